"""The outbox: reminder and group-post rows claimed, rendered, marked and recovered (no Telegram here).

The dispatcher (jobs/reminders.py) claims rows, renders them, sends them through the rate limiter
and hands each answer back here to be marked. Row states: pending → sending (claimed) → delivered /
failed / skipped; a retry puts the row back to pending with `next_attempt_at`.

Delivery guarantees
-------------------
- Nothing is lost. A row leaves 'pending' only by a committed claim and leaves 'sending' only by a
  committed mark, by `release_claims` (clean stop: back to pending, not counted as an attempt) or by
  `recover_stale_claims` (its worker died; back to pending).
- A row is claimed by one worker at a time. A claim is one UPDATE of pending rows that re-checks
  status = 'pending'. On PostgreSQL the candidates are first locked with SELECT … FOR UPDATE SKIP
  LOCKED in the same transaction, so a concurrent claimer skips them instead of waiting. SQLite
  serialises writers and does the claim as a single UPDATE … WHERE id IN (SELECT … LIMIT n).
- 'sending' means a send has started. The dispatcher reads due rows ahead (`due_outbox`, no claim)
  and claims them in small units (`claim_reminders(ids=…)`) only when it can send them at once, so
  the claim time is the request's start time; it marks each answer as soon as it comes (no linger).
  A live worker refreshes claims it still holds after a while (`touch_claims`), e.g. while the rate
  limiter sleeps out a 429, so a live claim never looks abandoned.
- A row is sent at most once, except in two windows where at-least-once is the honest guarantee:
  1. A hard crash (kill -9, power loss) after Telegram accepted a message and before its mark was
     committed: the sends truly in flight at that moment, plus answers whose mark was still being
     committed. Nothing tells those apart from the claimed sends that had not reached Telegram, so
     every row the dead worker left 'sending' is sent again, once its claim is older than the bot's
     HTTP timeout (the dispatcher passes it as `older_than`): by then no request of the dead worker
     can still arrive. Claims of post kinds the dispatcher does not send (a digest) expire after
     CLAIM_TIMEOUT. A clean stop never repeats anything: the dispatcher stops claiming, waits for the
     sends in flight, marks them, and releases the rest. A dispatch task cancelled mid-send leaves
     those rows 'sending' until their claims expire.
  2. A timeout where Telegram did deliver but the answer was lost on the way back. sendMessage has
     no idempotency key, so the retry repeats the message. Not retrying would lose messages instead,
     and a reminder repeated after a network fault is the lesser evil.
- Retries. 429 → next_attempt_at = now + retry_after, not counted against MAX_ATTEMPTS (flood
  control is not the message's fault). 5xx, timeouts and network errors → exponential backoff
  BACKOFF_BASE·2^(n-1) capped at BACKOFF_CAP, failed after MAX_ATTEMPTS. 403 or "chat not found" →
  the person is marked unreachable, the admins are told once, and the row fails. Any other 400 →
  failed.
- Skipped when it is sent: nothing is due any more (reported or locked meanwhile), the person is
  paused or unreachable, or the reminder's day has passed. Only the latest overdue nudge may go out
  late (see bot/reminders.py); everything else is sent on its own day or not at all.

GroupPost has no claimed_by / claimed_at columns. While a post is 'sending', its next_attempt_at
holds the claim time, so stale post claims are recovered like reminder claims. The dispatcher
releases its own unsent posts by id.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlmodel import Session

from bot.config import Settings
from bot.db import among
from bot.db import insert_ignore
from bot.domain import verification
from bot.domain.agencies import agencies_of_person
from bot.domain.agencies import agency_calendar
from bot.domain.agencies import plan_agency_names
from bot.domain.agencies import plan_calendars
from bot.domain.agencies import served_agencies
from bot.domain.audit import record
from bot.domain.calendar import OVERDUE_PREFIX
from bot.domain.calendar import ReportingCalendar
from bot.domain.calendar import short_date
from bot.domain.calendar import weekday_date
from bot.domain.locks import quarter_locked
from bot.domain.obligations import DueKegiatan
from bot.domain.obligations import DueOutcome
from bot.domain.obligations import OwedOutcomes
from bot.domain.obligations import as_utc
from bot.domain.obligations import due_for_plan
from bot.domain.obligations import outcomes_due
from bot.domain.obligations import reminder_items
from bot.domain.people import admin_telegram_ids
from bot.domain.people import notice_chats
from bot.domain.people import reachable_people
from bot.domain.people import verifier_telegram_ids
from bot.domain.period import find_kegiatan
from bot.domain.period import reporting_periods
from bot.domain.reminders import MAX_KEGIATAN_PER_MESSAGE
from bot.domain.reminders import _clip
from bot.domain.reminders import _kegiatan_content
from bot.domain.reminders import fit_message
from bot.domain.reminders import late_list
from bot.domain.reminders import outcome_content
from bot.domain.reminders import plan_due_reminders
from bot.domain.reminders import plan_late_list_posts
from bot.domain.reminders import reminder_wording
from bot.domain.reminders import render_late_list
from bot.text import formatting
from bot.text.render import render
from models import GroupPost
from models import Kegiatan
from models import Person
from models import PicAssignment
from models import Plan
from models import Reminder

log = logging.getLogger("rapk.outbox")

PENDING, SENDING, DELIVERED, FAILED, SKIPPED = "pending", "sending", "delivered", "failed", "skipped"
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_CAP = timedelta(minutes=15)
# A claim older than this belongs to a worker that died, when nothing shorter is known: the reminder
# dispatcher recovers its own kinds after the HTTP timeout instead (jobs/reminders.py claim_timeout);
# a digest (jobs/digest.py: a chart and several messages, paced at 20 a minute) keeps this.
CLAIM_TIMEOUT = timedelta(minutes=5)
ADMIN_NOTICE = "admin-notice"
LATE_LIST = "late-list"
UNREACHABLE_PREFIX = "unreachable: "
MANUAL_PREFIX = "manual-"
MAX_NAMES = 15  # names listed in /ingatkan and /jadwal before "and n more"
MODELS: dict[str, type[Reminder] | type[GroupPost]] = {"reminder": Reminder, "group_post": GroupPost}


# -- claims -------------------------------------------------------------------------------------

def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _claim(session: Session, model, due, order, limit: int, values: dict[str, Any]) -> list[int]:
    """Move up to `limit` due pending rows to 'sending' for this caller; returns their ids."""
    t = model.__table__
    if limit <= 0:
        return []
    picked = select(t.c.id).where(t.c.status == PENDING, due).order_by(*order).limit(limit)
    if _is_postgres(session):
        ids = list(session.execute(picked.with_for_update(skip_locked=True)).scalars())
        if not ids:
            return []
        target = among(t.c.id, ids)
    else:  # one statement under SQLite's write lock
        target = t.c.id.in_(picked.scalar_subquery())
    stmt = (update(t).where(target, t.c.status == PENDING)
            .values(status=SENDING, attempts=t.c.attempts + 1, **values).returning(t.c.id))
    return sorted(session.execute(stmt).scalars())


def _retry_due(t, now: datetime):
    return or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= now)


def _reminders_due(now: datetime):
    t = Reminder.__table__
    return and_(t.c.due_at <= now, _retry_due(t, now))


def _posts_due(now: datetime, kinds: list[str]):
    t = GroupPost.__table__
    return and_(t.c.kind.in_(kinds), _retry_due(t, now))


def claim_reminders(*, session: Session, worker_id: str, now: datetime, limit: int,
                    ids: Iterable[int] | None = None) -> list[int]:
    """Claim up to `limit` reminders that are due and not waiting for a retry (only among `ids` when
    given); returns their ids. `now` is stored as the claim time: claim just before sending."""
    now = as_utc(now)
    t = Reminder.__table__
    due = _reminders_due(now)
    if ids is not None:
        due = and_(due, among(t.c.id, list(ids)))
    return _claim(session, Reminder, due, (t.c.due_at, t.c.id), limit,
                  {"claimed_by": worker_id, "claimed_at": now, "next_attempt_at": None})


def claim_group_posts(*, session: Session, now: datetime, limit: int, kinds: Iterable[str],
                      ids: Iterable[int] | None = None) -> list[int]:
    """Claim up to `limit` due group posts of the kinds this dispatcher can render (only among `ids`)."""
    now = as_utc(now)
    t = GroupPost.__table__
    kinds = list(kinds)
    if not kinds:
        return []
    due = _posts_due(now, kinds)
    if ids is not None:
        due = and_(due, among(t.c.id, list(ids)))
    # While 'sending', next_attempt_at holds the claim time (the table has no claimed_at).
    return _claim(session, GroupPost, due, (t.c.id,), limit, {"next_attempt_at": now})


def due_outbox(*, session: Session, now: datetime, limit: int, kinds: Iterable[str]) -> tuple[list[int], list[int]]:
    """Up to `limit` rows that a claim would take now, reminders first, without claiming them (a read
    ahead: the dispatcher loads them together and claims them a few at a time as it sends)."""
    now = as_utc(now)
    t, p = Reminder.__table__, GroupPost.__table__
    if limit <= 0:
        return [], []
    ids = list(session.execute(select(t.c.id).where(t.c.status == PENDING, _reminders_due(now))
                               .order_by(t.c.due_at, t.c.id).limit(limit)).scalars())
    kinds = list(kinds)
    posts = []
    if kinds and len(ids) < limit:
        posts = list(session.execute(select(p.c.id).where(p.c.status == PENDING, _posts_due(now, kinds))
                                     .order_by(p.c.id).limit(limit - len(ids))).scalars())
    return ids, posts


def touch_claims(*, session: Session, worker_id: str, now: datetime, ids: Iterable[int] = (),
                 post_ids: Iterable[int] = ()) -> int:
    """A live worker still holds these claims (a send waiting in the rate limiter, an answer not yet
    marked): their claim time becomes `now`, so nobody takes them for a dead worker's."""
    now = as_utc(now)
    t, p = Reminder.__table__, GroupPost.__table__
    ids, post_ids = list(ids), list(post_ids)
    touched = 0
    if ids:
        touched += session.execute(update(t).where(among(t.c.id, ids), t.c.status == SENDING,
                                                   t.c.claimed_by == worker_id).values(claimed_at=now)).rowcount
    if post_ids:
        touched += session.execute(update(p).where(among(p.c.id, post_ids), p.c.status == SENDING)
                                   .values(next_attempt_at=now)).rowcount
    return touched


def _finish(model, row_id: int, *, session: Session, worker_id: str | None, values: dict[str, Any]) -> bool:
    """Update a row this worker claimed; False (logged) when the claim was lost meanwhile."""
    t = model.__table__
    conditions = [t.c.id == row_id, t.c.status == SENDING]
    if worker_id is not None and model is Reminder:
        conditions.append(t.c.claimed_by == worker_id)
    done = session.execute(update(t).where(*conditions).values(**values)).rowcount == 1
    if not done:
        log.warning("%s %s: claim lost before it could be marked %s", t.name, row_id, values.get("status"))
    return done


def mark_delivered(row_id: int, *, session: Session, now: datetime, message_id: int | None = None,
                   worker_id: str | None = None, model=Reminder) -> bool:
    return mark_delivered_many([(row_id, message_id)], session=session, now=now, worker_id=worker_id,
                               model=model) == 1


def mark_delivered_many(delivered: Sequence[tuple[int, int | None]], *, session: Session, now: datetime,
                        worker_id: str | None = None, model=Reminder) -> int:
    """Mark (row id, Telegram message id) pairs delivered in one executemany; returns how many were."""
    if not delivered:
        return 0
    t = model.__table__
    conditions = [t.c.id == bindparam("row_id"), t.c.status == SENDING]
    if worker_id is not None and model is Reminder:
        conditions.append(t.c.claimed_by == worker_id)
    values: dict[str, Any] = {"status": DELIVERED, "delivered_at": as_utc(now), "next_attempt_at": None,
                              "last_error": None}
    if model is Reminder:
        values["message_id"] = bindparam("telegram_message_id")
    params = [{"row_id": row_id, "telegram_message_id": message_id} for row_id, message_id in delivered]
    done = session.execute(update(t).where(*conditions).values(**values), params).rowcount
    if done != len(delivered):
        log.warning("%d of %d %s row(s) lost their claim before they could be marked delivered",
                    len(delivered) - done, len(delivered), t.name)
    return done


def mark_failed(row_id: int, *, session: Session, error: str, worker_id: str | None = None,
                model=Reminder) -> bool:
    return _finish(model, row_id, session=session, worker_id=worker_id,
                   values={"status": FAILED, "next_attempt_at": None, "last_error": error[:1000]})


def mark_skipped(row_id: int, *, session: Session, reason: str, worker_id: str | None = None,
                 model=Reminder) -> bool:
    """Not sent on purpose: nothing due any more, person paused or unreachable, or the day has passed."""
    return _finish(model, row_id, session=session, worker_id=worker_id,
                   values={"status": SKIPPED, "next_attempt_at": None, "last_error": reason[:1000]})


def backoff(attempts: int) -> timedelta:
    """Delay before attempt `attempts + 1`: BACKOFF_BASE doubled per attempt, at most BACKOFF_CAP."""
    return min(BACKOFF_BASE * 2 ** max(0, attempts - 1), BACKOFF_CAP)


def mark_retry(row_id: int, *, session: Session, now: datetime, error: str, retry_after: float | None = None,
               worker_id: str | None = None, model=Reminder) -> str:
    """Back to pending for a later attempt; 'failed' after MAX_ATTEMPTS errors. Returns the new status.

    A 429 (`retry_after` given) waits exactly as long as Telegram asked and does not count as an attempt.
    """
    t = model.__table__
    attempts = session.execute(select(t.c.attempts).where(t.c.id == row_id)).scalar() or 0
    if retry_after is None and attempts >= MAX_ATTEMPTS:
        mark_failed(row_id, session=session, error=f"gave up after {attempts} attempts: {error}",
                    worker_id=worker_id, model=model)
        return FAILED
    delay = timedelta(seconds=retry_after) if retry_after is not None else backoff(attempts)
    values: dict[str, Any] = {"status": PENDING, "next_attempt_at": as_utc(now) + delay, "last_error": error[:1000]}
    if retry_after is not None:
        values["attempts"] = t.c.attempts - 1
    _finish(model, row_id, session=session, worker_id=worker_id, values=values)
    return PENDING


def release_claims(*, session: Session, worker_id: str, ids: Iterable[int] | None = None,
                   post_ids: Iterable[int] = ()) -> int:
    """Give back claims that were not attempted (clean stop): pending again, the attempt not counted.

    Reminders by worker (all of its claims, or only `ids`); group posts by id only (no claimer column).
    """
    t, p = Reminder.__table__, GroupPost.__table__
    conditions = [t.c.status == SENDING, t.c.claimed_by == worker_id]
    ids = None if ids is None else list(ids)
    if ids is not None:
        conditions.append(t.c.id.in_(ids))
    released = 0
    if ids is None or ids:
        released = session.execute(update(t).where(*conditions).values(
            status=PENDING, claimed_by=None, claimed_at=None, attempts=t.c.attempts - 1)).rowcount
    post_ids = list(post_ids)
    if post_ids:
        released += session.execute(update(p).where(p.c.id.in_(post_ids), p.c.status == SENDING).values(
            status=PENDING, next_attempt_at=None, attempts=p.c.attempts - 1)).rowcount
    if released:
        log.info("worker %s released %d unsent claim(s)", worker_id, released)
    return released


def recover_stale_claims(*, session: Session, now: datetime, older_than: timedelta = CLAIM_TIMEOUT,
                         post_kinds: Iterable[str] | None = None, keep_ids: Iterable[int] = (),
                         keep_post_ids: Iterable[int] = ()) -> int:
    """Rows left 'sending' by a worker that died, claimed `older_than` ago or earlier: pending again (or
    failed after MAX_ATTEMPTS). Group posts of `post_kinds` only, when given; the rows `keep_ids` and
    `keep_post_ids` (the caller's own claims, alive) are left alone.

    The dead worker may have sent the message before it died, so the attempt stays counted; this is
    the at-least-once window of a hard crash described in the module docstring.
    """
    cutoff = as_utc(now) - older_than
    t, p = Reminder.__table__, GroupPost.__table__
    note = "claim expired: the worker stopped while sending"
    recovered = 0
    keep_ids, keep_post_ids = list(keep_ids), list(keep_post_ids)
    mine = [~among(t.c.id, keep_ids)] if keep_ids else []
    posts = [p.c.kind.in_(list(post_kinds))] if post_kinds is not None else []
    posts += [~among(p.c.id, keep_post_ids)] if keep_post_ids else []
    for table, claimed_at, extra, only in ((t, t.c.claimed_at, {"claimed_by": None, "claimed_at": None}, mine),
                                           (p, p.c.next_attempt_at, {}, posts)):
        stale = [table.c.status == SENDING, claimed_at <= cutoff, *only]
        session.execute(update(table).where(*stale, table.c.attempts >= MAX_ATTEMPTS).values(
            status=FAILED, next_attempt_at=None, last_error=f"gave up: {note}"))
        recovered += session.execute(update(table).where(*stale).values(
            status=PENDING, next_attempt_at=None, last_error=note, **extra)).rowcount
    if recovered:
        log.warning("recovered %d claim(s) of a stopped worker; they may be sent a second time", recovered)
    return recovered


# -- unreachable people -------------------------------------------------------------------------

_BLOCKED_KEY = re.compile(r"blocked:(\d+):.*")


def blocked_key(person_id: int, day: date, chat_id: int) -> str:
    """The dedupe key of an «unreachable» admin notice: one per person, day and admin chat."""
    return f"blocked:{person_id}:{day.isoformat()}:chat={chat_id}"


def blocked_person(key: str) -> int | None:
    """The person of a blocked_key (None for any other key)."""
    match = _BLOCKED_KEY.fullmatch(key)
    return int(match[1]) if match else None


def mark_unreachable(person_id: int, *, session: Session, now: datetime, today: date,
                     admin_chat_ids: Iterable[int], error: str = "") -> bool:
    """Telegram refused to deliver (403, chat not found): stop reminding the person and tell each admin
    once. False when the person was already unreachable (nobody is told twice)."""
    query = select(Person).where(Person.id == person_id)
    if _is_postgres(session):
        query = query.with_for_update()
    person = session.scalars(query).first()
    if person is None or person.unreachable_at is not None:
        return False
    person.unreachable_at = as_utc(now)
    record(session, action="person.unreachable", entity="person", entity_id=person_id, field="unreachable_at",
           new_value=person.unreachable_at.isoformat(), reason=error[:300], actor_label="telegram")
    rows = [{"dedupe_key": blocked_key(person_id, today, chat_id), "kind": ADMIN_NOTICE, "chat_id": chat_id,
             "status": PENDING, "attempts": 0, "created_at": as_utc(now)}
            for chat_id in dict.fromkeys(admin_chat_ids) if chat_id != person.telegram_user_id]
    if rows:
        insert_ignore(session, GroupPost, rows, ["dedupe_key"])
    session.flush()
    log.warning("person %s is unreachable (%s); %d admin notice(s) queued", person_id, error, len(rows))
    return True


def person_unreachable(person_id: int, *, session: Session, now: datetime, today: date,
                       admin_config_ids: Sequence[int] = (), error: str = "") -> bool:
    """The one 403 rule, wherever Telegram refused (a reminder, a notice): the person is marked
    unreachable and the admins of the agencies they belong to (and ADMIN_TELEGRAM_IDS) are told once; a
    person of no agency (made before agencies) concerns every admin. False when they already were unreachable."""
    agencies = agencies_of_person(person_id, session=session) or [None]
    admins = list(dict.fromkeys([*admin_config_ids, *(  # an admin of two of them is told once
        chat for agency_id in agencies for chat in admin_telegram_ids(session=session, config_ids=[],
                                                                      agency_id=agency_id))]))
    return mark_unreachable(person_id, session=session, now=now, today=today, admin_chat_ids=admins, error=error)


def unreachable_telegram_ids(*, session: Session) -> set[int]:
    return set(session.scalars(select(Person.telegram_user_id).where(
        Person.unreachable_at.is_not(None), Person.telegram_user_id.is_not(None))))


def clear_unreachable(telegram_user_id: int, *, session: Session, now: datetime) -> bool:
    """The person wrote to the bot again (so they unblocked it): reminders resume."""
    person = session.scalars(select(Person).where(Person.telegram_user_id == telegram_user_id,
                                                  Person.unreachable_at.is_not(None))).first()
    if person is None:
        return False
    record(session, action="person.reachable", entity="person", entity_id=person.id, field="unreachable_at",
           old_value=as_utc(person.unreachable_at).isoformat(), actor_person_id=person.id,
           actor_telegram_id=telegram_user_id, actor_label=person.name, at=as_utc(now))
    person.unreachable_at = None
    session.flush()
    return True


# -- rendering claimed rows ---------------------------------------------------------------------

@dataclass(frozen=True)
class Outgoing:
    """A claimed row rendered at send time: what to send to which chat, or why to skip it."""

    model: str  # "reminder" / "group_post"
    row_id: int
    chat_id: int | None = None
    text: str = ""
    report: tuple[tuple[int, str], ...] = ()  # (kegiatan id, name): a «Lapor sekarang» button each
    report_outcomes: bool = False  # and one for the IKU / program indicators the person reports
    person_id: int | None = None
    skip: str | None = None
    error: str | None = None  # rendering failed: the row is marked failed

    @property
    def key(self) -> tuple[str, int]:
        return self.model, self.row_id

    def render(self, calendar: ReportingCalendar, lang: str = "id", *, limit: int = 0) -> Outgoing:
        """Already rendered (see ReminderDraft.render)."""
        return self


@dataclass(frozen=True)
class ReminderDraft:
    """A claimed reminder with everything its text says, loaded with its chunk in one transaction.

    `render` needs no session, so the dispatcher renders each draft on the event loop just before
    sending it rather than in the database thread: work in that thread while the loop is sending
    costs more CPU than the same work on the loop, because the two take turns at the GIL.
    """

    row_id: int
    person_id: int
    chat_id: int
    person_name: str
    year: int
    quarter: int
    kind: str
    due_at: datetime
    items: tuple[DueKegiatan, ...]
    model: str = "reminder"
    outcomes: tuple[DueOutcome, ...] = ()  # IKU / program indicators due and not reported
    calendar: ReportingCalendar | None = None  # its plan's agency's (deadline, days off); None: the one given
    agency: str | None = None  # its OPD's name, when the deployment has more than one

    @property
    def key(self) -> tuple[str, int]:
        return self.model, self.row_id

    def render(self, calendar: ReportingCalendar, lang: str = "id", *, limit: int) -> Outgoing:
        """The message to send (at most `limit` characters), or an Outgoing with the error when the text
        cannot be rendered."""
        base = {"model": self.model, "row_id": self.row_id, "person_id": self.person_id}
        try:
            text, shown = reminder_text(self, person_name=self.person_name, year=self.year, items=self.items,
                                        calendar=self.calendar or calendar, lang=lang, limit=limit,
                                        outcomes=self.outcomes, agency=self.agency)
            names = {k.kegiatan_id: k.kegiatan_name for k in self.items}
            return Outgoing(**base, chat_id=self.chat_id, text=text, report=tuple((i, names[i]) for i in shown),
                            report_outcomes=bool(self.outcomes))
        except Exception as exc:  # noqa: BLE001 - one broken row must not stop the others
            log.exception("reminder %s could not be rendered", self.row_id)
            return Outgoing(**base, error=f"render: {type(exc).__name__}: {exc}")


def reminder_text(reminder: Reminder | ReminderDraft, *, person_name: str, year: int, items: Sequence[DueKegiatan],
                  calendar: ReportingCalendar, lang: str = "id", limit: int,
                  max_kegiatan: int = MAX_KEGIATAN_PER_MESSAGE,
                  outcomes: Sequence[DueOutcome] = (), agency: str | None = None) -> tuple[str, list[int]]:
    """The reminder as Telegram HTML (at most `limit` characters) and the ids of the kegiatan it lists
    (one «Lapor sekarang» button each), from the person's open kegiatan and IKU / program indicators
    already loaded, so a chunk of reminders costs a handful of queries. `calendar` is the plan's agency's;
    `agency` its name, said first when the deployment has more than one (a PIC of two OPD gets one each)."""
    quarter = reminder.quarter
    sent_on = calendar.local_date(as_utc(reminder.due_at))
    end, deadline, end_text, deadline_text = _quarter_dates(calendar, year, quarter, lang)
    kegiatan = [_kegiatan_content(k) for k in items]
    text, shown = fit_message(
        "reminder", lang, kegiatan, limit=limit, max_items=max_kegiatan, person_name=person_name, year=year, quarter=quarter,
        quarter_label=formatting.quarter_label(quarter), kind=reminder.kind, wording=reminder_wording(reminder.kind),
        days_left=(end - sent_on).days, quarter_end=end_text, deadline=deadline_text, deadline_date=deadline,
        outcomes=[outcome_content(o) for o in outcomes], agency=agency)
    return text, [k["id"] for k in kegiatan[:shown]]


@lru_cache(maxsize=64)
def _quarter_dates(calendar: ReportingCalendar, year: int, quarter: int, lang: str) -> tuple[date, date, str, str]:
    """Quarter end and deadline with their long dates (the same for every reminder of a quarter)."""
    end, deadline = calendar.quarter_end(year, quarter), calendar.deadline(year, quarter)
    return end, deadline, formatting.long_date(end, lang), formatting.long_date(deadline, lang)


def _skip_reason(reminder: Reminder, person: Person | None, today: date, calendar: ReportingCalendar) -> str | None:
    if person is None or person.telegram_user_id is None or person.unreachable_at is not None:
        return "unreachable"
    if person.paused_until is not None and person.paused_until >= today:
        return f"paused until {person.paused_until.isoformat()}"
    if not reminder.kind.startswith(OVERDUE_PREFIX) and calendar.local_date(as_utc(reminder.due_at)) < today:
        return "expired: its day has passed"
    return None


class _OpenItems:
    """Open kegiatan per person for a chunk: its people's due items loaded once per plan and quarter."""

    def __init__(self, session: Session, reminders: Sequence[Reminder]):
        self.session = session
        self.people: dict[tuple[int, int], set[int]] = {}
        for r in reminders:
            self.people.setdefault((r.plan_id, r.quarter), set()).add(r.person_id)
        self.loaded: dict[tuple[int, int], dict[int, list[DueKegiatan]]] = {}
        self.owed: dict[tuple[int, int], dict[int, OwedOutcomes]] = {}

    def outcomes(self, plan_id: int, quarter: int, person_id: int) -> list[DueOutcome]:
        """The person's IKU / program indicators due and not reported (none in a locked quarter)."""
        key = (plan_id, quarter)
        if key not in self.owed:
            self.owed[key] = outcomes_due(plan_id, quarter, session=self.session, people=self.people[key])
        owed = self.owed[key].get(person_id)
        return owed.outstanding if owed is not None and owed.open else []

    def __call__(self, plan_id: int, quarter: int, person_id: int) -> list[DueKegiatan]:
        key = (plan_id, quarter)
        if key not in self.loaded:
            locked = quarter_locked(plan_id, quarter, session=self.session)
            self.loaded[key] = {} if locked else due_for_plan(plan_id, quarter, session=self.session,
                                                              people=self.people[key])
        return reminder_items(self.loaded[key].get(person_id, []))


def load_reminders(ids: Sequence[int], *, session: Session, calendar: ReportingCalendar,
                   now: datetime, settings: Settings | None = None) -> list[ReminderDraft | Outgoing]:
    """Claimed reminders with what is due right now, ready to render; rows with nothing to say are skipped.
    With the kabupaten's `settings`, each is rendered on its plan's agency's calendar (bot.domain.agencies
    `plan_calendars`: that OPD's deadline), as the tick created it."""
    if not ids:
        return []
    reminders = list(session.scalars(select(Reminder).where(among(Reminder.id, ids)).order_by(Reminder.id)))
    person_ids = {r.person_id for r in reminders}
    people = {p.id: p for p in session.scalars(select(Person).where(among(Person.id, person_ids)))}
    plan_ids = {r.plan_id for r in reminders}
    years = dict(session.execute(select(Plan.id, Plan.year).where(Plan.id.in_(plan_ids))).all())
    calendars = plan_calendars(plan_ids, settings, calendar, session=session) if settings is not None else {}
    agencies = plan_agency_names(plan_ids, session=session)
    open_items = _OpenItems(session, reminders)
    today = calendar.local_date(as_utc(now))
    out: list[ReminderDraft | Outgoing] = []
    for r in reminders:
        person = people.get(r.person_id)
        reason = _skip_reason(r, person, today, calendar)
        items = [] if reason else open_items(r.plan_id, r.quarter, r.person_id)
        owed = [] if reason else open_items.outcomes(r.plan_id, r.quarter, r.person_id)
        if reason or not (items or owed):
            out.append(Outgoing("reminder", r.id, person_id=r.person_id, skip=reason or "nothing due"))
            continue
        out.append(ReminderDraft(row_id=r.id, person_id=r.person_id, chat_id=person.telegram_user_id,
                                 person_name=person.name, year=years[r.plan_id], quarter=r.quarter, kind=r.kind,
                                 due_at=as_utc(r.due_at), items=tuple(items), outcomes=tuple(owed),
                                 calendar=calendars.get(r.plan_id), agency=agencies.get(r.plan_id)))
    return out


GroupPostRenderer = Callable[..., str | None]


def render_late_list_post(post: GroupPost, *, session: Session, calendar: ReportingCalendar, lang: str,
                          limit: int) -> str | None:
    """The late list as it stands now; None when everyone has reported meanwhile or it was locked."""
    if post.plan_id is None or post.quarter is None or quarter_locked(post.plan_id, post.quarter, session=session):
        return None
    if not late_list(post.plan_id, post.quarter, session=session):
        return None
    return render_late_list(post.plan_id, post.quarter, session=session, calendar=calendar, lang=lang, limit=limit)


def render_admin_notice(post: GroupPost, *, session: Session, calendar: ReportingCalendar, lang: str,
                        limit: int) -> str | None:
    """«<name> cannot be reached»: the person and the kegiatan they hold (the person id is in the dedupe key)."""
    person_id = blocked_person(post.dedupe_key)
    person = session.get(Person, person_id) if person_id is not None else None
    if person is None or person.unreachable_at is None:  # reachable again before the notice went out
        return None
    kegiatan = list(session.scalars(
        select(Kegiatan.name).join(PicAssignment, PicAssignment.kegiatan_id == Kegiatan.id)
        .where(PicAssignment.person_id == person.id).order_by(Kegiatan.plan_id.desc(), Kegiatan.seq)))
    return render("admin_notice", lang, name=person.name, username=person.telegram_username or "",
                  since=formatting.date_time(as_utc(person.unreachable_at).astimezone(calendar.tz), lang),
                  kegiatan=[_clip(k, 80) for k in kegiatan[:MAX_NAMES]], more=max(0, len(kegiatan) - MAX_NAMES))


# Kinds of GroupPost this dispatcher sends, and how each is rendered at send time. Other kinds (a
# digest, say) stay untouched until their module registers a renderer here.
GROUP_POST_RENDERERS: dict[str, GroupPostRenderer] = {LATE_LIST: render_late_list_post,
                                                      ADMIN_NOTICE: render_admin_notice,
                                                      verification.VERIFY_QUEUE: verification.render_verifier_post}


def prepare_group_posts(ids: Sequence[int], *, session: Session, calendar: ReportingCalendar,
                        lang: str = "id", limit: int, settings: Settings | None = None) -> list[Outgoing]:
    """Render claimed group posts; a post with nothing to say any more is skipped. With the kabupaten's
    `settings`, a post of a plan (a late list: its deadline) is rendered on that plan's agency's calendar."""
    if not ids:
        return []
    out = []
    posts = list(session.scalars(select(GroupPost).where(GroupPost.id.in_(ids)).order_by(GroupPost.id)))
    calendars = plan_calendars({p.plan_id for p in posts if p.plan_id is not None}, settings, calendar,
                               session=session) if settings is not None else {}
    for post in posts:
        base = {"model": "group_post", "row_id": post.id, "chat_id": post.chat_id}
        try:
            renderer = GROUP_POST_RENDERERS.get(post.kind)
            text = renderer(post, session=session, calendar=calendars.get(post.plan_id, calendar), lang=lang,
                            limit=limit) if renderer else None
            out.append(Outgoing(**base, text=text) if text else Outgoing(**base, skip="nothing to say"))
        except Exception as exc:  # noqa: BLE001
            log.exception("group post %s could not be rendered", post.id)
            out.append(Outgoing(**base, error=f"render: {type(exc).__name__}: {exc}"))
    return out


def load_outgoing(reminder_ids: Sequence[int], post_ids: Sequence[int], *, session: Session,
                  calendar: ReportingCalendar, now: datetime, lang: str = "id",
                  limit: int, settings: Settings | None = None) -> list[ReminderDraft | Outgoing]:
    """A claimed chunk: reminders ready to render (`.render()`), group posts rendered (they need queries);
    every text at most `limit` characters; each on its plan's agency's calendar when `settings` are given."""
    return [*load_reminders(reminder_ids, session=session, calendar=calendar, now=now, settings=settings),
            *prepare_group_posts(post_ids, session=session, calendar=calendar, lang=lang, limit=limit,
                                 settings=settings)]


# -- marking answers ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What became of one send: delivered / retry / failed / skipped / unreachable."""

    model: str
    row_id: int
    result: str
    message_id: int | None = None
    error: str = ""
    retry_after: float | None = None
    person_id: int | None = None


def record_outcomes(outcomes: Sequence[Outcome], *, session: Session, worker_id: str, now: datetime, today: date,
                    admin_config_ids: Sequence[int] = ()) -> Counter:
    """Mark a group of answers in one commit; returns the final statuses counted."""
    counts: Counter = Counter()
    for name, model in MODELS.items():
        delivered = [(o.row_id, o.message_id) for o in outcomes if o.result == "delivered" and o.model == name]
        mark_delivered_many(delivered, session=session, now=now, worker_id=worker_id, model=model)
        counts[DELIVERED] += len(delivered)
    for o in outcomes:
        model = MODELS[o.model]
        common = {"session": session, "worker_id": worker_id, "model": model}
        if o.result == "delivered":
            continue
        if o.result == "retry":
            counts[mark_retry(o.row_id, now=now, error=o.error, retry_after=o.retry_after, **common)] += 1
        elif o.result == "skipped":
            mark_skipped(o.row_id, reason=o.error, **common)
            counts[SKIPPED] += 1
        elif o.result == "unreachable" and model is Reminder and o.person_id is not None:
            person_unreachable(o.person_id, session=session, now=now, today=today,
                               admin_config_ids=admin_config_ids, error=o.error)
            mark_failed(o.row_id, error=UNREACHABLE_PREFIX + o.error, **common)
            counts["unreachable"] += 1
        else:
            mark_failed(o.row_id, error=o.error, **common)
            counts[FAILED] += 1
    return counts


# -- the tick -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TickResult:
    reminders: int  # new Reminder rows
    posts: int  # new GroupPost rows (late lists)


def plan_tick(now: datetime, *, session: Session, settings: Settings, calendar: ReportingCalendar) -> TickResult:
    """Create every reminder and late-list row due at `now` (idempotent: run it as often as you like), for
    every agency served, each on its own schedule, to its own leadership group, admins and verifiers."""
    results = [_agency_tick(now, session=session, settings=scoped, calendar=agency_calendar(calendar, settings, scoped))
               for scoped in served_agencies(settings, session=session)]
    return TickResult(sum(r.reminders for r in results), sum(r.posts for r in results))


def _agency_tick(now: datetime, *, session: Session, settings: Settings, calendar: ReportingCalendar) -> TickResult:
    now = as_utc(now)
    plan_ids = list(dict.fromkeys(p.plan.id for p in reporting_periods(session=session, settings=settings, now=now,
                                                                       calendar=calendar)))
    reminders = sum(plan_due_reminders(now, session=session, calendar=calendar, plan_id=p) for p in plan_ids)
    chats = notice_chats(session=session, settings=settings)
    posts = sum(plan_late_list_posts(now, session=session, calendar=calendar, plan_id=p, chat_ids=chats)
                for p in plan_ids)
    # Verifiers hear of their queue while verification is on (`auto`: once someone holds the role).
    verifiers = verifier_telegram_ids(session=session, config_ids=settings.admin_telegram_ids,
                                      admins_verify=settings.admins_verify, agency_id=settings.agency_id) \
        if verification.verification_on(settings.verification, session=session) else []
    posts += sum(verification.plan_verifier_posts(now, session=session, calendar=calendar, plan_id=p,
                                                  chat_ids=verifiers, wait_days=settings.verifier_reminder_working_days)
                 for p in plan_ids)
    return TickResult(reminders, posts)


# -- /ingatkan ------------------------------------------------------------------------------------

@dataclass
class ManualBatch:
    """Reminders an admin asked for now, and who could not get one."""

    kinds: list[str] = field(default_factory=list)
    created: int = 0
    paused: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    not_onboarded: list[str] = field(default_factory=list)
    kegiatan: str | None = None
    problem: str | None = None  # no_plan / not_found / ambiguous
    choices: list[str] = field(default_factory=list)


def _names(session: Session, ids: Iterable[int]) -> list[str]:
    ids = list(ids)
    if not ids:
        return []
    return sorted(session.scalars(select(Person.name).where(Person.id.in_(ids))))


def create_manual_reminders(now: datetime, *, session: Session, settings: Settings, calendar: ReportingCalendar,
                            kegiatan_ref: str | None = None, actor_telegram_id: int | None = None,
                            actor_label: str = "") -> ManualBatch:
    """Reminder rows now (kind manual-<local time>, overdue-manual-… once the deadline has passed) for
    everyone with something open in the reporting quarter or the unlocked one before it, or for the
    PICs of one kegiatan (`kegiatan_ref`: its number in the document or a part of its name)."""
    now = as_utc(now)
    targets = [(p.plan, p.quarter) for p in reporting_periods(session=session, settings=settings, now=now,
                                                              calendar=calendar)]
    batch = ManualBatch()
    if not targets:
        batch.problem = "no_plan"
        return batch
    kegiatan_id = None
    if kegiatan_ref:
        found = find_kegiatan(targets[0][0].id, kegiatan_ref, session=session)
        if len(found) != 1:
            batch.problem = "not_found" if not found else "ambiguous"
            batch.choices = [f"{k.seq}. {_clip(k.name, 60)}" for k in found[:10]]
            return batch
        kegiatan_id, batch.kegiatan = found[0].id, found[0].name
    today = calendar.local_date(now)
    stamp = now.astimezone(calendar.tz).strftime("%Y%m%d-%H%M%S")
    rows, unreachable = [], set()
    for plan, quarter in targets:
        if quarter_locked(plan.id, quarter, session=session):
            continue
        owing = {p for p, items in due_for_plan(plan.id, quarter, session=session).items()
                 if any(k.open and kegiatan_id in (None, k.kegiatan_id) for k in items)}
        if kegiatan_id is None:  # everyone: those owing an IKU or program indicator too
            owing |= {p for p, owed in outcomes_due(plan.id, quarter, session=session).items() if owed.open}
        reachable = reachable_people(owing, today, session=session)
        unreachable |= owing - reachable
        kind = (OVERDUE_PREFIX if calendar.is_late(plan.year, quarter, now) else "") + MANUAL_PREFIX + stamp
        batch.kinds.append(kind)
        rows += [{"person_id": p, "plan_id": plan.id, "quarter": quarter, "kind": kind, "due_at": now,
                  "status": PENDING, "attempts": 0, "created_at": now} for p in sorted(reachable)]
    batch.created = insert_ignore(session, Reminder, rows, ["person_id", "plan_id", "quarter", "kind"])
    for person in session.scalars(select(Person).where(Person.id.in_(unreachable))).all() if unreachable else []:
        if person.telegram_user_id is None:
            batch.not_onboarded.append(person.name)
        elif person.unreachable_at is not None:
            batch.blocked.append(person.name)
        else:
            batch.paused.append(person.name)
    for names in (batch.not_onboarded, batch.blocked, batch.paused):
        names.sort()
    record(session, action="reminder.manual", entity="plan", entity_id=targets[0][0].id, field="reminders",
           new_value=f"{batch.created} ({', '.join(batch.kinds)})", reason=batch.kegiatan or "",
           actor_telegram_id=actor_telegram_id, actor_label=actor_label, at=now)
    return batch


def manual_summary(kinds: Sequence[str], *, session: Session) -> Counter:
    """delivered / skipped / unreachable / failed / pending counts of the rows of these kinds."""
    t = Reminder.__table__
    counts: Counter = Counter()
    if not kinds:
        return counts
    query = select(t.c.status, t.c.last_error).where(t.c.kind.in_(list(kinds)))
    for status, error in session.execute(query):
        if status == FAILED and (error or "").startswith(UNREACHABLE_PREFIX):
            counts["unreachable"] += 1
        else:
            counts[PENDING if status == SENDING else status] += 1
    return counts


# -- /jadwal ----------------------------------------------------------------------------------------

def _listed(items: list[Any]) -> dict[str, Any]:
    return {"items": items[:MAX_NAMES], "more": max(0, len(items) - MAX_NAMES)}


def schedule_overview(now: datetime, *, session: Session, settings: Settings, calendar: ReportingCalendar,
                      lang: str = "id") -> dict[str, Any]:
    """The reporting quarter's schedule (dates and reasons from the calendar) and the outbox state."""
    now = as_utc(now)
    today = calendar.local_date(now)
    year, quarter = calendar.reporting_quarter(now)
    slots = calendar.calendar_slots(year, quarter)
    overdue = [s for s in slots if s.kind.startswith(OVERDUE_PREFIX)]
    # The reporting quarter's own plan (a plan served only as a fallback has no schedule now).
    plan = next((period.plan for period in reporting_periods(session=session, settings=settings, now=now,
                                                             calendar=calendar)
                 if (period.year, period.quarter) == (year, quarter)), None)
    r, p = Reminder.__table__, GroupPost.__table__
    reminders: Counter = Counter()
    posts: Counter = Counter()
    if plan is not None:
        reminders.update(dict(session.execute(select(r.c.status, func.count()).where(
            r.c.plan_id == plan.id, r.c.quarter == quarter).group_by(r.c.status)).all()))
    posts.update(dict(session.execute(select(p.c.status, func.count()).where(
        or_(p.c.plan_id.is_(None), p.c.plan_id == (plan.id if plan else -1))).group_by(p.c.status)).all()))
    unreachable = session.execute(select(Person.name, Person.unreachable_at).where(
        Person.unreachable_at.is_not(None)).order_by(Person.name)).all()
    paused = session.execute(select(Person.name, Person.paused_until).where(
        Person.paused_until >= today).order_by(Person.paused_until, Person.name)).all()
    return {
        "year": year, "quarter": quarter, "plan": (plan.title or str(plan.year)) if plan else None,
        "locked": plan is not None and quarter_locked(plan.id, quarter, session=session),
        "tz": calendar.tz.key, "time": calendar.reminder_time, "offsets": calendar.reminder_offsets_days,
        "deadline_working_days": calendar.deadline_working_days,
        "overdue_every": calendar.overdue_every_working_days,
        "quarter_end": weekday_date(calendar.quarter_end(year, quarter), lang),
        "deadline": weekday_date(calendar.deadline(year, quarter), lang),
        "late_list_date": weekday_date(calendar.late_list_date(year, quarter), lang),
        "slots": [{"date": weekday_date(s.date, lang), "time": s.time, "kind": s.kind, "reason": s.reason,
                   "past": s.utc <= now} for s in slots if s not in overdue],
        "overdue": {**_listed([short_date(s.date, lang) for s in overdue]),
                    "sent": sum(s.utc <= now for s in overdue), "total": len(overdue)},
        "next": next(({"date": weekday_date(s.date, lang), "time": s.time} for s in slots if s.utc > now), None),
        "reminders": {k: reminders[k] for k in (PENDING, SENDING, DELIVERED, FAILED, SKIPPED)},
        "posts": {k: posts[k] for k in (PENDING, SENDING, DELIVERED, FAILED, SKIPPED)},
        "unreachable": _listed([{"name": n, "since": as_utc(at).astimezone(calendar.tz).date()}
                                for n, at in unreachable]),
        "paused": _listed([{"name": n, "until": until} for n, until in paused]),
    }


__all__ = [
    "ADMIN_NOTICE", "BACKOFF_BASE", "BACKOFF_CAP", "CLAIM_TIMEOUT", "DELIVERED", "FAILED", "GROUP_POST_RENDERERS",
    "LATE_LIST", "MAX_ATTEMPTS", "PENDING", "SENDING", "SKIPPED", "ManualBatch", "Outcome",
    "Outgoing", "ReminderDraft", "TickResult", "backoff", "blocked_key", "claim_group_posts", "claim_reminders",
    "clear_unreachable", "create_manual_reminders", "due_outbox", "load_outgoing", "load_reminders", "manual_summary",
    "mark_delivered", "mark_failed", "mark_retry", "mark_skipped", "mark_unreachable", "person_unreachable",
    "plan_tick", "prepare_group_posts", "record_outcomes",
    "recover_stale_claims", "release_claims", "reminder_text", "schedule_overview", "touch_claims",
    "unreachable_telegram_ids",
]
