"""Leadership on a kegiatan card: a response (tanggapan pimpinan) and a nudge («Ingatkan») to its PICs.

* `respond`: a short text stored in `LeadershipResponse`, audited (`response.create` on the kegiatan,
  field `tw<n>`), for the kegiatan's PICs and the admins to be told; `responses_of` gives them to the
  workbook's keterangan column.
* `nudge`: a reminder row for one PIC now (kind `manual-nudge-<window>`, the manual reminders' wording),
  sent by the dispatcher like /ingatkan's. One row per PIC, plan, quarter and window of
  NUDGE_EVERY_MINUTES: the outbox's unique key makes a double tap (or two leaders at once) send once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from sqlmodel import select

from bot.db import insert_ignore
from bot.domain.audit import record
from bot.domain.calendar import OVERDUE_PREFIX
from bot.domain.obligations import as_utc
from bot.domain.outbox import MANUAL_PREFIX
from bot.domain.people import admin_telegram_ids
from bot.domain.people import is_pic_of
from bot.domain.people import reachable_people
from bot.domain.verification import short_text
from models import Kegiatan
from models import LeadershipResponse
from models import Person
from models import Plan
from models import Reminder

MAX_RESPONSE = 1000  # characters
NUDGE_PREFIX = MANUAL_PREFIX + "nudge-"


class FeedbackError(Exception):
    """`code` picks the message (templates/*/tanggapan_error.j2)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Responded:
    kegiatan_name: str
    quarter: int
    text: str
    author: str
    recipients: tuple  # bot.domain.admin.Recipient: the PICs who can be messaged
    admin_ids: tuple[int, ...]  # Telegram ids of the admins


def clean_text(text: str) -> str:
    value, problem = short_text(text, MAX_RESPONSE)
    if problem:
        raise FeedbackError(problem)
    return value


def respond(kegiatan_id: int, quarter: int, text: str, *, session: Session, person_id: int | None, author: str,
            telegram_id: int | None, config_admin_ids: list[int], now: datetime) -> Responded:
    from bot.domain.admin import recipients_of

    kegiatan = session.get(Kegiatan, kegiatan_id)
    if kegiatan is None:
        raise FeedbackError("unknown")
    value = clean_text(text)
    row = LeadershipResponse(kegiatan_id=kegiatan_id, quarter=quarter, person_id=person_id, author=author,
                             text=value, at=now)
    session.add(row)
    session.flush()
    record(session, action="response.create", entity="kegiatan", entity_id=kegiatan_id, field=f"tw{quarter}",
           new_value=value, actor_person_id=person_id, actor_telegram_id=telegram_id, actor_label=author, at=now)
    pics = tuple(r for r in recipients_of([kegiatan_id], session=session) if r.telegram_user_id != telegram_id)
    pic_ids = {r.telegram_user_id for r in pics}
    agency_id = session.get(Plan, kegiatan.plan_id).agency_id
    admins = tuple(t for t in admin_telegram_ids(session=session, config_ids=config_admin_ids, agency_id=agency_id)
                   if t != telegram_id and t not in pic_ids)
    return Responded(kegiatan.name, quarter, value, author, pics, admins)


def responses_of(kegiatan_ids, quarter: int, *, session: Session) -> dict[int, list[LeadershipResponse]]:
    """Each kegiatan's responses up to `quarter`, oldest first (the workbook's keterangan)."""
    ids = list(kegiatan_ids)
    out: dict[int, list[LeadershipResponse]] = {}
    if not ids:
        return out
    for row in session.exec(select(LeadershipResponse).where(LeadershipResponse.kegiatan_id.in_(ids),
                                                             LeadershipResponse.quarter <= quarter)
                            .order_by(LeadershipResponse.at, LeadershipResponse.id)).all():
        out.setdefault(row.kegiatan_id, []).append(row)
    return out


def response_text(rows: list[LeadershipResponse]) -> str:
    """One keterangan cell: «Tanggapan pimpinan (TW n, author): text» per response."""
    return "\n".join(f"Tanggapan pimpinan (TW {r.quarter}, {r.author}): {r.text}" for r in rows)


@dataclass(frozen=True)
class Nudge:
    name: str
    created: bool  # False: already nudged in this window (a double tap), or cannot be messaged
    reachable: bool
    kind: str


def nudge(person_id: int, kegiatan_id: int, quarter: int, now: datetime, *, session: Session, every_minutes: int,
          today, late: bool) -> Nudge:
    """A reminder row for the PIC of a kegiatan now, once per window (the double tap sends once)."""
    person = session.get(Person, person_id)
    kegiatan = session.get(Kegiatan, kegiatan_id)
    if person is None or kegiatan is None or not is_pic_of(person_id, kegiatan_id, session=session):
        raise FeedbackError("unknown")
    now = as_utc(now)
    window = int(now.timestamp()) // (every_minutes * 60)
    kind = (OVERDUE_PREFIX if late else "") + f"{NUDGE_PREFIX}{window}"  # worded as /ingatkan's
    if person_id not in reachable_people([person_id], today, session=session):
        return Nudge(person.name, False, False, kind)
    created = insert_ignore(session, Reminder, [{
        "person_id": person_id, "plan_id": kegiatan.plan_id, "quarter": quarter, "kind": kind, "due_at": now,
        "status": "pending", "attempts": 0, "created_at": now}], ["person_id", "plan_id", "quarter", "kind"])
    return Nudge(person.name, bool(created), True, kind)


@dataclass(frozen=True)
class CardActions:
    """What a kegiatan card in the digest offers leadership besides its numbers."""

    kegiatan_id: int
    quarter: int
    evidence: int
    open_pics: tuple[tuple[int, str], ...]  # (person id, name) of PICs who still owe the quarter: «Ingatkan»


def card_actions(kegiatan_id: int, quarter: int, *, session: Session) -> CardActions | None:
    from sqlalchemy import func

    from bot.domain.obligations import due_kegiatan
    from models import Evidence

    kegiatan = session.get(Kegiatan, kegiatan_id)
    if kegiatan is None:
        return None
    due = next((k for k in due_kegiatan(kegiatan.plan_id, quarter, session=session) if k.kegiatan_id == kegiatan_id),
               None)
    pics: tuple = ()
    if due is not None and due.pic_ids and not due.locked and (due.outstanding or due.budget_outstanding):
        names = dict(session.exec(select(Person.id, Person.name).where(Person.id.in_(due.pic_ids))).all())
        pics = tuple(sorted(((p, names[p]) for p in due.pic_ids), key=lambda x: x[1]))
    count = session.exec(select(func.count()).select_from(Evidence).where(Evidence.kegiatan_id == kegiatan_id,
                                                                        Evidence.quarter == quarter)).one()
    return CardActions(kegiatan_id, quarter, int(count), pics)
