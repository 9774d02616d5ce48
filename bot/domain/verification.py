"""Verification of kegiatan reports: the status of one kegiatan's report in one quarter, and who may move it.

The rules (README «Verifikasi laporan»):

* Simpan (or a realisation file) puts the report in the verifiers' queue: «menunggu verifikasi»
  (`PENDING`). A report saved again while pending stays pending; a returned one goes back to pending.
* A verifier accepts a pending report («diterima», `ACCEPTED`): frozen for the PIC, `save_report`
  refuses a change with `accepted`; or returns it with a note («dikembalikan», `RETURNED`), which the
  PIC is told at once. Returning an accepted report is how it is reopened.
* «Terima semua yang sesuai target»: every pending report whose due aksi all equal their targets and
  which has evidence (`on_target`).
* Every transition is audited (`review.submit`, `review.accept`, `review.return`) on the kegiatan with
  field `tw<n>`, so /riwayat of the kegiatan shows it.
* Who verifies: a person granted the role in /pengguna, and the admins while ADMINS_VERIFY is on
  (bot.domain.people.resolve_actor). Verification counts for scoring when VERIFICATION is `on`, or
  `auto` and someone holds the role (`verification_on`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from sqlmodel import select

from bot.db import claim_rows
from bot.db import insert_ignore
from bot.domain.audit import record
from bot.domain.people import is_pic_of
from models import Evidence
from models import Kegiatan
from models import Person
from models import PicAssignment
from models import Program
from models import ReportReview

PENDING, ACCEPTED, RETURNED = "pending", "accepted", "returned"
MAX_NOTE = 1000  # characters of a verifier's note


class VerificationError(Exception):
    """A transition that may not happen; `code` picks the message (templates/*/verifikasi_error.j2)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def verification_on(mode: str, *, session: Session) -> bool:
    """Whether only accepted reports count: `on`, `off`, or `auto` = once someone holds the verifier role."""
    if mode in ("on", "off"):
        return mode == "on"
    return session.exec(select(Person.id).where(Person.is_verifier.is_(True)).limit(1)).first() is not None


def review_of(kegiatan_id: int, quarter: int, *, session: Session) -> ReportReview | None:
    return session.exec(select(ReportReview).where(ReportReview.kegiatan_id == kegiatan_id,
                                                   ReportReview.quarter == quarter)).first()


def status_of(kegiatan_id: int, quarter: int, *, session: Session) -> str | None:
    """The report's status, None when nothing was ever submitted."""
    review = review_of(kegiatan_id, quarter, session=session)
    return review.status if review else None


def is_accepted(kegiatan_id: int, quarter: int, *, session: Session) -> bool:
    return status_of(kegiatan_id, quarter, session=session) == ACCEPTED


def _audit(session: Session, review: ReportReview, old: str | None, *, action: str, now: datetime,
           actor_person_id: int | None, actor_label: str, reason: str = "") -> None:
    record(session, action=action, entity="kegiatan", entity_id=review.kegiatan_id, field=f"tw{review.quarter}",
           old_value=old, new_value=review.status, reason=reason, actor_person_id=actor_person_id,
           actor_label=actor_label, at=now)


def mark_submitted(kegiatan_id: int, quarter: int, *, session: Session, person_id: int | None, actor_label: str,
                   now: datetime) -> ReportReview:
    """Simpan happened (in the caller's transaction): the report waits for a verifier. Refused when accepted.

    The row is created unless it exists and then locked, as the realisations are (bot.db `claim_rows`): two
    PICs of one kegiatan saving different aksi at once meet here, and the second waits for the first instead
    of failing on the unique key."""
    rows, created = claim_rows(session, ReportReview, "kegiatan_id", [kegiatan_id], {"quarter": quarter},
                               dict(status=PENDING, note="", submitted_by=person_id, submitted_at=now))
    review = rows[kegiatan_id]
    if created:
        _audit(session, review, None, action="review.submit", now=now, actor_person_id=person_id,
               actor_label=actor_label)
    elif review.status == ACCEPTED:
        raise VerificationError("accepted")
    elif review.status == RETURNED:
        review.status, review.submitted_by, review.submitted_at = PENDING, person_id, now
        _audit(session, review, RETURNED, action="review.submit", now=now, actor_person_id=person_id,
               actor_label=actor_label)
    session.flush()
    return review


def _pending(kegiatan_id: int, quarter: int, session: Session) -> ReportReview:
    review = review_of(kegiatan_id, quarter, session=session)
    if review is None or session.get(Kegiatan, kegiatan_id) is None:
        raise VerificationError("unknown")
    return review


def accept(kegiatan_id: int, quarter: int, *, session: Session, actor_person_id: int | None, actor_label: str,
           now: datetime) -> ReportReview:
    """A verifier accepts a pending report (a PIC verifying their own kegiatan is refused)."""
    review = _pending(kegiatan_id, quarter, session)
    if review.status != PENDING:
        raise VerificationError("not_pending")
    if actor_person_id is not None and is_pic_of(actor_person_id, kegiatan_id, session=session):
        raise VerificationError("own_report")
    review.status, review.note, review.reviewed_by, review.reviewed_at = ACCEPTED, "", actor_person_id, now
    _audit(session, review, PENDING, action="review.accept", now=now, actor_person_id=actor_person_id,
           actor_label=actor_label)
    session.flush()
    return review


def short_text(text: str | None, limit: int) -> tuple[str, str | None]:
    """A note or response as typed, whitespace collapsed, and what is wrong with it: `empty`, `long` or None
    (a verifier's note here, a leadership response in bot.domain.feedback)."""
    value = " ".join((text or "").split())
    return value, "empty" if not value else "long" if len(value) > limit else None


def clean_note(text: str) -> str:
    note, problem = short_text(text, MAX_NOTE)
    if problem:
        raise VerificationError(f"{problem}_note")
    return note


def return_report(kegiatan_id: int, quarter: int, note: str, *, session: Session, actor_person_id: int | None,
                  actor_label: str, now: datetime) -> ReturnedReport:
    """Return a pending report, or reopen an accepted one, with a note; says whom to tell."""
    review = _pending(kegiatan_id, quarter, session)
    note = clean_note(note)
    if review.status == RETURNED:
        raise VerificationError("not_pending")
    if actor_person_id is not None and is_pic_of(actor_person_id, kegiatan_id, session=session):
        raise VerificationError("own_report")
    old = review.status
    review.status, review.note, review.reviewed_by, review.reviewed_at = RETURNED, note, actor_person_id, now
    _audit(session, review, old, action="review.return", now=now, actor_person_id=actor_person_id,
           actor_label=actor_label, reason=note)
    session.flush()
    from bot.domain.admin import recipients_of

    kegiatan = session.get(Kegiatan, kegiatan_id)
    return ReturnedReport(kegiatan_id, kegiatan.name, quarter, note, actor_label,
                          tuple(recipients_of([kegiatan_id], session=session)), old == ACCEPTED)


@dataclass(frozen=True)
class ReturnedReport:
    kegiatan_id: int
    kegiatan_name: str
    quarter: int
    note: str
    by: str
    recipients: tuple  # bot.domain.admin.Recipient: the kegiatan's PICs who can be messaged
    reopened: bool


@dataclass(frozen=True)
class QueueItem:
    kegiatan_id: int
    quarter: int
    program: str
    kegiatan: str
    submitted_at: datetime | None


def queue(plan_id: int, *, session: Session, status: str = PENDING) -> list[QueueItem]:
    """The reports of a plan in `status` (the queue: pending), by program, kegiatan and quarter."""
    rows = session.exec(
        select(ReportReview, Kegiatan, Program).join(Kegiatan, Kegiatan.id == ReportReview.kegiatan_id)
        .join(Program, Program.id == Kegiatan.program_id)
        .where(Kegiatan.plan_id == plan_id, ReportReview.status == status)
        .order_by(Program.seq, Kegiatan.seq, ReportReview.quarter)
    ).all()
    return [QueueItem(k.id, r.quarter, p.name, k.name, r.submitted_at) for r, k, p in rows]


def next_in_queue(plan_id: int, after: tuple[int, int] | None, *, session: Session) -> QueueItem | None:
    """The queue's item after (kegiatan, quarter), wrapping round; the first when `after` is None."""
    items = queue(plan_id, session=session)
    if not items:
        return None
    keys = [(i.kegiatan_id, i.quarter) for i in items]
    if after is None or after not in keys:
        return items[0]
    return items[(keys.index(after) + 1) % len(items)] if len(items) > 1 else None


@dataclass
class Card:
    """What a verifier sees of one report: the form (values against targets), its status and evidence."""

    form: object  # bot.domain.reporting.ReportForm
    review: ReportReview
    program: str
    evidence: list[Evidence]
    pics: list[str]
    position: int
    total: int

    @property
    def on_target(self) -> bool:
        return on_target(self.form, len(self.evidence))


def on_target(form, evidence_count: int) -> bool:
    """Every due aksi reported and equal to its target, and evidence attached: what «Terima semua» takes."""
    due = [a for a in form.aksi if a.due]
    return bool(due) and evidence_count > 0 and all(
        a.reported and a.target_value is not None and a.value == a.target_value for a in due)


def card(kegiatan_id: int, quarter: int, *, session: Session, plan_id: int) -> Card | None:
    from bot.domain.reporting import evidence_of
    from bot.domain.reporting import load_form

    review = review_of(kegiatan_id, quarter, session=session)
    kegiatan = session.get(Kegiatan, kegiatan_id)
    if review is None or kegiatan is None or kegiatan.plan_id != plan_id:
        return None
    items = queue(plan_id, session=session)
    keys = [(i.kegiatan_id, i.quarter) for i in items]
    program = session.get(Program, kegiatan.program_id)
    pics = list(session.exec(select(Person.name).join(PicAssignment, PicAssignment.person_id == Person.id)
                             .where(PicAssignment.kegiatan_id == kegiatan_id).order_by(Person.name)).all())
    return Card(load_form(kegiatan_id, quarter, session=session), review, program.name if program else "",
                evidence_of(kegiatan_id, quarter, session=session), pics,
                keys.index((kegiatan_id, quarter)) + 1 if (kegiatan_id, quarter) in keys else 0, len(items))


def accept_all_on_target(plan_id: int, *, session: Session, actor_person_id: int | None, actor_label: str,
                         now: datetime, apply: bool) -> list[QueueItem]:
    """The pending reports «Terima semua yang sesuai target» takes (accepted when `apply`), in queue order.
    The verifier's own kegiatan are left for someone else."""
    from bot.domain.reporting import load_form

    taken = []
    for item in queue(plan_id, session=session):
        if actor_person_id is not None and is_pic_of(actor_person_id, item.kegiatan_id, session=session):
            continue
        form = load_form(item.kegiatan_id, item.quarter, session=session)
        count = len(session.exec(select(Evidence.id).where(Evidence.kegiatan_id == item.kegiatan_id,
                                                          Evidence.quarter == item.quarter)).all())
        if on_target(form, count):
            taken.append(item)
            if apply:
                accept(item.kegiatan_id, item.quarter, session=session, actor_person_id=actor_person_id,
                       actor_label=actor_label, now=now)
    return taken


# -- what counts for scoring ------------------------------------------------------------------------

def accepted_reports(plan_id: int, *, session: Session) -> set[tuple[int, int]]:
    """(kegiatan id, quarter) of the plan's accepted reports."""
    return set(session.exec(select(ReportReview.kegiatan_id, ReportReview.quarter)
                            .join(Kegiatan, Kegiatan.id == ReportReview.kegiatan_id)
                            .where(Kegiatan.plan_id == plan_id, ReportReview.status == ACCEPTED)).all())


def verified_only(data, *, session: Session):
    """A bot.domain.scoring.ScoringInput keeping only the values of accepted reports (verification on):
    a report waiting or returned counts as not reported — pending before the deadline, 0 after it, as
    any unreported one. Kendala and tindak lanjut stay (they are narrative, not scored)."""
    from dataclasses import replace  # ScoringInput is a dataclass; its rows are NamedTuples

    accepted = accepted_reports(data.plan_id, session=session)

    def keep(kegiatan_id: int, values: dict) -> dict:
        return {q: v for q, v in values.items() if (kegiatan_id, q) in accepted}

    return replace(
        data,
        aksi=[a._replace(reals=keep(a.kegiatan_id, a.reals),
                         blank_reports=frozenset(q for q in a.blank_reports if (a.kegiatan_id, q) in accepted))
              for a in data.aksi],
        indicators=[i._replace(reals=keep(i.kegiatan_id, i.reals)) for i in data.indicators],
        kegiatan=[k._replace(budget_reals=keep(k.id, k.budget_reals)) for k in data.kegiatan],
    )


def waiting(plan_id: int, quarter: int, *, session: Session) -> int:
    """How many of the quarter's reports wait for a verifier (the digest's «menunggu verifikasi»)."""
    return len(session.exec(select(ReportReview.id).join(Kegiatan, Kegiatan.id == ReportReview.kegiatan_id)
                            .where(Kegiatan.plan_id == plan_id, ReportReview.quarter == quarter,
                                   ReportReview.status != ACCEPTED)).all())


# -- reminding the verifiers ------------------------------------------------------------------------

VERIFY_QUEUE = "verify-queue"  # GroupPost kind: «N reports wait for you» to one verifier's chat


def queue_due(plan_id: int, now: datetime, *, session: Session, calendar, wait_days: int) -> bool:
    """A verifier reminder is due today: a working day after the reminder time, with a report waiting
    `wait_days` working days or more, or any waiting on the deadline day of its quarter."""
    from datetime import datetime as _dt

    from bot.domain.obligations import as_utc
    from models import Plan

    today = calendar.local_date(now)
    if not calendar.is_working_day(today) or now.astimezone(calendar.tz).time() < calendar.reminder_time:
        return False
    plan = session.get(Plan, plan_id)
    for review in session.exec(select(ReportReview).join(Kegiatan, Kegiatan.id == ReportReview.kegiatan_id)
                               .where(Kegiatan.plan_id == plan_id, ReportReview.status == PENDING)).all():
        if calendar.deadline(plan.year, review.quarter) == today:
            return True
        submitted = calendar.local_date(as_utc(review.submitted_at or _dt.min.replace(tzinfo=calendar.tz)))
        if calendar.add_working_days(submitted, wait_days) <= today:
            return True
    return False


def plan_verifier_posts(now: datetime, *, session: Session, calendar, plan_id: int, chat_ids, wait_days: int) -> int:
    """GroupPost rows reminding each verifier of the queue, at most one per chat and day (idempotent)."""
    from models import GroupPost

    if not chat_ids or not queue_due(plan_id, now, session=session, calendar=calendar, wait_days=wait_days):
        return 0
    day = calendar.local_date(now).isoformat()
    rows = [{"dedupe_key": f"{VERIFY_QUEUE}:plan={plan_id}:day={day}:chat={chat}", "plan_id": plan_id,
             "kind": VERIFY_QUEUE, "chat_id": chat, "status": "pending", "attempts": 0, "created_at": now}
            for chat in chat_ids]
    return insert_ignore(session, GroupPost, rows, ["dedupe_key"])


def render_verifier_post(post, *, session: Session, calendar, lang: str, limit: int) -> str | None:
    """The queue as it stands at send time; None when it has been emptied meanwhile."""
    from bot.domain.obligations import as_utc
    from bot.text import formatting
    from bot.text.render import render

    items = queue(post.plan_id, session=session) if post.plan_id is not None else []
    if not items:
        return None
    oldest = min((i.submitted_at for i in items if i.submitted_at), default=None)
    return render("verifikasi_reminder", lang, count=len(items), programs=len({i.program for i in items}),
                  oldest=formatting.long_date(calendar.local_date(as_utc(oldest)), lang) if oldest else None)[:limit]
