"""Reminder rows and their content: the domain half of the idempotent reminder tick.

`plan_due_reminders` turns calendar slots into Reminder rows (one per person, plan, quarter and
kind); the dispatcher (jobs/) claims, sends and marks them. Rules:

- A slot is due when its time has come (due_at <= now) on the same local day: a bot that was
  down at 08:00 creates that day's reminders when it comes back, but never yesterday's.
  Overdue nudges are the exception: the latest due overdue slot is created even when its day
  has passed (older ones are not), so a PIC still hears once that the report is late.
- Only for people with something open (unreported and unlocked) in that quarter, the IKU and program
  indicators they report included (bot.domain.obligations.outcomes_due), who are not
  paused (paused_until >= today), not unreachable (blocked the bot), and onboarded (a bot cannot
  message someone who never started it). No rows for a quarter locked for the whole plan.
- Rows are inserted with INSERT … ON CONFLICT DO NOTHING on the unique key, so running the tick
  twice, late, or from two processes at once creates each row exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from sqlmodel import Session
from sqlmodel import select

from bot.db import insert_ignore
from bot.domain.calendar import KIND_DEADLINE
from bot.domain.calendar import OVERDUE_PREFIX
from bot.domain.calendar import ReminderSlot
from bot.domain.calendar import ReportingCalendar
from bot.domain.locks import quarter_locked
from bot.domain.obligations import DueKegiatan
from bot.domain.obligations import DueOutcome
from bot.domain.obligations import as_utc
from bot.domain.obligations import due_for_person
from bot.domain.obligations import due_for_plan
from bot.domain.obligations import due_kegiatan
from bot.domain.obligations import outcomes_due
from bot.domain.people import reachable_people
from bot.text import formatting
from bot.text.render import render
from models import GroupPost
from models import Person
from models import Plan
from models import Reminder

MAX_KEGIATAN_PER_MESSAGE = 10  # one «Lapor sekarang» button each; the rest are summarised
CLIP_CHARS = 300  # a name or indicator longer than this is cut (the document has some very long cells)


def due_slots(calendar: ReportingCalendar, year: int, quarter: int, now_utc: datetime) -> list[ReminderSlot]:
    """The person-reminder slots of a quarter to create at `now_utc` (see the module rules)."""
    today = calendar.local_date(now_utc)
    slots = [s for s in calendar.reminder_slots(year, quarter) if s.date == today and s.utc <= now_utc]
    overdue = calendar.latest_overdue_slot(year, quarter, now_utc)
    return slots + ([overdue] if overdue else [])


def plan_due_reminders(now_utc: datetime, *, session: Session, calendar: ReportingCalendar, plan_id: int) -> int:
    """Create the Reminder rows due at `now_utc` for one plan; returns how many were new."""
    now_utc = as_utc(now_utc)
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise ValueError(f"no plan {plan_id}")
    today = calendar.local_date(now_utc)
    created = 0
    for quarter in range(1, 5):
        slots = due_slots(calendar, plan.year, quarter, now_utc)
        if not slots or quarter_locked(plan_id, quarter, session=session):
            continue
        open_people = [p for p, items in due_for_plan(plan_id, quarter, session=session).items()
                       if any(k.open for k in items)]
        open_people += [p for p, owed in outcomes_due(plan_id, quarter, session=session).items() if owed.open]
        people = sorted(reachable_people(open_people, today, session=session))
        rows = [{"person_id": p, "plan_id": plan_id, "quarter": quarter, "kind": s.kind, "due_at": s.utc,
                 "status": "pending", "attempts": 0, "created_at": now_utc}
                for s in slots for p in people]
        created += insert_ignore(session, Reminder, rows, ["person_id", "plan_id", "quarter", "kind"])
    return created


def open_kegiatan(person_id: int, plan_id: int, quarter: int, *, session: Session) -> list[DueKegiatan]:
    """The person's kegiatan with something unreported and unlocked in the quarter (late work aside)."""
    if quarter_locked(plan_id, quarter, session=session):
        return []
    return [k for k in due_for_person(person_id, plan_id, quarter, session=session) if k.open]


def open_outcomes(person_id: int, plan_id: int, quarter: int, *, session: Session) -> list[DueOutcome]:
    """The IKU and program indicators the person reports that are due in the quarter and not reported yet."""
    owed = outcomes_due(plan_id, quarter, session=session, people=[person_id]).get(person_id)
    return owed.outstanding if owed is not None and owed.open else []


def still_due(reminder: Reminder, *, session: Session) -> bool:
    """False when the person has meanwhile reported everything (or it was locked): skip sending."""
    return bool(open_kegiatan(reminder.person_id, reminder.plan_id, reminder.quarter, session=session)
                or open_outcomes(reminder.person_id, reminder.plan_id, reminder.quarter, session=session))


def _clip(text: str, limit: int = CLIP_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _kegiatan_content(k: DueKegiatan) -> dict[str, Any]:
    """What a reminder says of one kegiatan: the aksi still to report this quarter and its late work, in aksi order."""
    listed = {a.aksi_id: a for a in (*k.outstanding, *k.late_work)}
    return {
        "id": k.kegiatan_id,
        "no": k.kegiatan_no,
        "name": _clip(k.kegiatan_name),
        "budget": k.budget,
        "budget_due": k.budget_outstanding,
        "aksi": [{"no": a.no, "name": _clip(a.name), "indicator": _clip(a.indicator),
                  "target": _clip(a.target_text) if a.due else "", "target_raw": a.target_raw, "unit": a.unit,
                  "late": {"since": a.arrear.since, "owed": a.arrear.owed} if a.arrear else None}
                 for a in sorted(listed.values(), key=lambda a: a.no)],
    }


def outcome_content(o: DueOutcome) -> dict[str, Any]:
    """What a reminder says of an IKU or program indicator due: its number, text and this quarter's target."""
    return {"kind": o.item.kind, "ref": o.item.ref, "text": _clip(o.item.text), "target": _clip(o.target_raw)}


def reminder_wording(kind: str) -> str:
    """before (H-d) / deadline (last call) / overdue."""
    if kind == KIND_DEADLINE:
        return "deadline"
    return "overdue" if kind.startswith(OVERDUE_PREFIX) else "before"


def fit_message(template: str, lang: str, items: list[Any], *, limit: int,
                max_items: int | None = None, **context: Any) -> tuple[str, int]:
    """Render with as many leading items as fit in `limit` characters; the template gets `items`
    and `more` (how many were left out). Returns the text and the number of items shown. The limit
    is the runtime's (bot.telegram.sending.MESSAGE_LIMIT): the domain does not know Telegram's."""
    def attempt(shown: int) -> str:
        return render(template, lang, **context, items=items[:shown], more=len(items) - shown)

    low, high = 0, len(items) if max_items is None else min(len(items), max_items)
    best = attempt(high)
    if len(best) <= limit:
        return best, high
    best = attempt(0)
    while high - low > 1:  # invariant: `low` items fit (or low == 0), `high` items do not
        middle = (low + high) // 2
        text = attempt(middle)
        if len(text) <= limit:
            low, best = middle, text
        else:
            high = middle
    return best, low


@dataclass
class LateKegiatan:
    """A kegiatan with items still unreported, for the leadership and admin late list."""

    kegiatan_id: int
    no: str
    name: str
    pic_names: list[str]
    outstanding_aksi: int
    budget_missing: bool
    locked: bool
    pic_telegram_ids: list[int | None] = field(default_factory=list)  # for a tg://user?id= mention


def late_list(plan_id: int, quarter: int, *, session: Session) -> list[LateKegiatan]:
    """Kegiatan with outstanding items in the quarter and their PICs' names, in document order."""
    items = [k for k in due_kegiatan(plan_id, quarter, session=session) if not k.complete]
    pic_ids = {p for k in items for p in k.pic_ids}
    people = {p.id: p for p in session.exec(select(Person).where(Person.id.in_(pic_ids))).all()} if pic_ids else {}
    out = []
    for k in items:
        pics = sorted((people[p] for p in k.pic_ids), key=lambda p: p.name)
        out.append(LateKegiatan(kegiatan_id=k.kegiatan_id, no=k.kegiatan_no, name=k.kegiatan_name,
                                pic_names=[p.name for p in pics], outstanding_aksi=len(k.outstanding),
                                budget_missing=k.budget_outstanding, locked=k.locked,
                                pic_telegram_ids=[p.telegram_user_id for p in pics]))
    return out


def render_late_list(plan_id: int, quarter: int, *, session: Session, calendar: ReportingCalendar,
                     lang: str = "id", limit: int) -> str:
    """The late list as Telegram HTML (at most `limit` characters; the rest summarised)."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise ValueError(f"no plan {plan_id}")
    late = late_list(plan_id, quarter, session=session)
    rows = [{"no": k.no, "name": _clip(k.name), "pics": [_clip(n, 100) for n in k.pic_names],
             "mentions": k.pic_telegram_ids,
             "aksi": k.outstanding_aksi, "budget": k.budget_missing}
            for k in late]
    people = sorted({n for k in late for n in k.pic_names})
    text, _ = fit_message("late_list", lang, rows, limit=limit, year=plan.year, quarter=quarter,
                          deadline=formatting.long_date(calendar.deadline(plan.year, quarter), lang),
                          people_count=len(people), total=len(rows))
    return text


def plan_late_list_posts(now_utc: datetime, *, session: Session, calendar: ReportingCalendar, plan_id: int,
                         chat_ids: Iterable[int]) -> int:
    """Create the late-list GroupPost rows (one per chat) on the late-list day once its time has come,
    for unlocked quarters that have late kegiatan; idempotent like the reminder rows."""
    now_utc = as_utc(now_utc)
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise ValueError(f"no plan {plan_id}")
    today = calendar.local_date(now_utc)
    rows = []
    for quarter in range(1, 5):
        slot = calendar.late_list_slot(plan.year, quarter)
        if slot.date != today or slot.utc > now_utc or quarter_locked(plan_id, quarter, session=session):
            continue
        if not late_list(plan_id, quarter, session=session):
            continue
        rows += [{"dedupe_key": f"late-list:plan={plan_id}:q={quarter}:chat={chat_id}", "plan_id": plan_id,
                  "quarter": quarter, "kind": "late-list", "chat_id": chat_id, "status": "pending", "attempts": 0,
                  "created_at": now_utc} for chat_id in chat_ids]
    return insert_ignore(session, GroupPost, rows, ["dedupe_key"])


__all__ = [
    "LateKegiatan", "due_slots", "fit_message", "insert_ignore", "late_list", "open_kegiatan", "open_outcomes",
    "outcome_content", "plan_due_reminders",
    "plan_late_list_posts", "reachable_people", "reminder_wording", "render_late_list",
    "still_due",
]
