"""Automatic leadership digests: the chart and the digest in the leadership group, through the outbox.

When (all in the agency's zone, at the reminder time, 08:00 by default):
- on the first working day after a quarter's deadline (calendar.late_list_date), the day the late
  list goes out;
- weekly on DIGEST_WEEKDAY (0 = Monday; -1 turns it off) while the quarter's reporting window is
  open (calendar.in_window), unless the whole quarter is locked (nothing can change any more).

Each is one GroupPost row (kind "digest", dedupe_key "digest:<plan_id>:<q>:<YYYY-MM-DD>"), created
with INSERT … ON CONFLICT DO NOTHING: a rerun, a late run or two processes create it once. The row
is created at any moment of its day after the reminder time (a bot that was down at 08:00 sends it
when it comes back that day), never on a later day.

This module sends its own rows: the reminder dispatcher sends text-only kinds, a digest is a photo
and messages with buttons. It claims one row at a time (bot.domain.outbox.claim_group_posts), builds the
digest and the chart at send time in worker threads, sends the photo then the messages (buttons
under the last one) and marks the row delivered; pending again with the outbox's backoff after a
429, a timeout or a network error; failed after 403, «chat not found» or any other refusal
(bot.telegram.sending.classify reads the error; a group has no person to mark unreachable).
Stale claims of a stopped worker are recovered by the reminder dispatcher (recover_stale_claims
covers every GroupPost). A post that fails half-way is sent whole on its retry (at-least-once,
like the outbox's other windows).

`build_report` / `send_report` are shared with /ringkasan (handlers/leadership.py); which plan and quarter
are served is bot.domain.period's.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime

from sqlmodel import Session
from telegram.error import TelegramError
from telegram.ext import Application
from telegram.ext import ContextTypes

from bot.config import Settings
from bot.db import insert_ignore
from bot.domain.agencies import agency_calendar
from bot.domain.agencies import plan_settings
from bot.domain.agencies import served_agencies
from bot.domain.calendar import ReportingCalendar
from bot.domain.digest import Digest
from bot.domain.digest import build_digest
from bot.domain.locks import quarter_locked
from bot.domain.obligations import as_utc
from bot.domain.outbox import PENDING
from bot.domain.outbox import UNREACHABLE_PREFIX
from bot.domain.outbox import claim_group_posts
from bot.domain.outbox import mark_delivered
from bot.domain.outbox import mark_failed
from bot.domain.outbox import mark_retry
from bot.domain.period import reporting_periods
from bot.domain.scoring import PlanScore
from bot.domain.scoring import score_plan_from_db
from bot.telegram.sending import FAILED
from bot.telegram.sending import UNREACHABLE
from bot.telegram.sending import classify
from bot.telegram.sending import drill_keyboard
from bot.telegram.sending import split_message
from bot.telegram.services import Services
from bot.telegram.services import services_of
from bot.text.render import render
from jobs import JOBS
from models import GroupPost

log = logging.getLogger("rapk.jobs.digest")

DIGEST = "digest"
TICK_INTERVAL = 60.0
LATE_LIST, WEEKLY, COMMAND = "late_list", "weekly", "command"  # why a digest is sent (its caption says)


def dedupe_key(plan_id: int, quarter: int, day: date) -> str:
    return f"{DIGEST}:{plan_id}:{quarter}:{day.isoformat()}"


def digest_day(key: str) -> date:
    """The day a dedupe_key was made for."""
    return date.fromisoformat(key.rsplit(":", 1)[1])


def plan_digest_posts(now: datetime, *, session: Session, settings: Settings, calendar: ReportingCalendar) -> int:
    """Create the digest rows due at `now` (idempotent: run it as often as you like); returns how many were new.
    Every agency served: its plans' digests go to its own leadership group, on its own schedule."""
    return sum(_agency_digest_posts(now, session=session, settings=scoped,
                                    calendar=agency_calendar(calendar, settings, scoped))
               for scoped in served_agencies(settings, session=session))


def _agency_digest_posts(now: datetime, *, session: Session, settings: Settings, calendar: ReportingCalendar) -> int:
    if not settings.leadership_chat_id:
        return 0
    now = as_utc(now)
    today = calendar.local_date(now)
    if now < datetime.combine(today, calendar.reminder_time, tzinfo=calendar.tz):
        return 0
    rows = []
    for period in reporting_periods(session=session, settings=settings, now=now, calendar=calendar):
        plan, quarter = period.plan, period.quarter
        late_list_day = calendar.late_list_date(plan.year, quarter) == today
        weekly = (settings.digest_weekday == today.weekday() and calendar.in_window(plan.year, quarter, now)
                  and not quarter_locked(plan.id, quarter, session=session))
        if late_list_day or weekly:
            rows.append({"dedupe_key": dedupe_key(plan.id, quarter, today), "plan_id": plan.id, "quarter": quarter,
                         "kind": DIGEST, "chat_id": settings.leadership_chat_id, "status": PENDING, "attempts": 0,
                         "created_at": now})
    return insert_ignore(session, GroupPost, rows, ["dedupe_key"]) if rows else 0


# -- building and sending (shared with /ringkasan) --------------------------------------------------

@dataclass(frozen=True)
class Report:
    """A digest ready to send: the scores behind it, its messages and buttons, the chart."""

    score: PlanScore
    digest: Digest
    chart: bytes


def score_and_digest(plan_id: int, quarter: int, *, session: Session, settings: Settings, lang: str,
                     now: datetime) -> tuple[PlanScore, Digest]:
    """Score the plan once and render its digest (runs in a worker thread through services.db)."""
    score = score_plan_from_db(plan_id, quarter, session=session, now=now, settings=settings)
    return score, build_digest(plan_id, quarter, session=session, settings=settings, lang=lang, now=now, score=score)


async def build_report(services: Services, plan_id: int, quarter: int) -> Report:
    """Digest and chart off the event loop: scoring in a database thread, matplotlib in another."""
    score, digest = await services.db(score_and_digest, plan_id, quarter, settings=services.settings,
                                      lang=services.lang, now=services.now())
    from bot.domain.charts import achievement_chart  # on first use: matplotlib is 50+ MB `rapk run` may never need

    chart = await asyncio.to_thread(achievement_chart, score, quarter, lang=services.lang)
    return Report(score, digest, chart)


async def send_report(bot, chat_id: int, report: Report, caption: str) -> None:
    """The chart with a short caption, then the digest's messages, the last carrying the drill-down buttons."""
    await bot.send_photo(chat_id, photo=report.chart, caption=caption)
    messages = split_message(report.digest.text)
    for i, text in enumerate(messages):
        await bot.send_message(chat_id, text,
                               reply_markup=drill_keyboard(report.digest.buttons) if i == len(messages) - 1 else None)


def caption(report: Report, lang: str, *, reason: str, deadline: date | None = None) -> str:
    return render("ringkasan_caption", lang, ps=report.score, reason=reason, deadline=deadline)


# -- the job ----------------------------------------------------------------------------------------

@dataclass
class DigestRun:
    created: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def _claim(*, session: Session, now: datetime) -> GroupPost | None:
    ids = claim_group_posts(session=session, now=now, limit=1, kinds=(DIGEST,))
    return session.get(GroupPost, ids[0]) if ids else None


def _mark(post_id: int, result: str, *, session: Session, now: datetime, error: str = "",
          retry_after: float | None = None) -> str:
    if result == "delivered":
        mark_delivered(post_id, session=session, now=now, model=GroupPost)
        return "delivered"
    if result == "retry":
        return "retried" if mark_retry(post_id, session=session, now=now, error=error, retry_after=retry_after,
                                       model=GroupPost) == PENDING else "failed"
    mark_failed(post_id, session=session, error=error, model=GroupPost)
    return "failed"


async def _send_post(application: Application, post: GroupPost, calendar: ReportingCalendar) -> dict:
    """Build and send one claimed post; returns how to mark it (result, error, retry_after). The plan is scored
    and dated as its agency serves it (its own deadline and days off: bot.domain.agencies `plan_settings`)."""
    services = services_of(application)
    try:
        scoped = await services.db(plan_settings, post.plan_id, services.settings)
        if scoped is not services.settings:
            services = replace(services, settings=scoped)
            calendar = agency_calendar(calendar, services_of(application).settings, scoped)
        report = await build_report(services, post.plan_id, post.quarter)
        year = report.score.year
        day = digest_day(post.dedupe_key)
        late = calendar.late_list_date(year, post.quarter) == day
        text = caption(report, services.lang, reason=LATE_LIST if late else WEEKLY,
                       deadline=calendar.deadline(year, post.quarter))
    except Exception as exc:  # noqa: BLE001 - a post that cannot be built must not stop the others
        log.exception("digest post %s could not be built", post.id)
        return {"result": "failed", "error": f"render: {type(exc).__name__}: {exc}"}
    try:
        await send_report(application.bot, post.chat_id, report, text)
    except TelegramError as exc:
        verdict = classify(exc)
        if verdict.result in (FAILED, UNREACHABLE):  # a group, not a person: nobody to mark; failed
            log.warning("digest post %s refused by Telegram: %s", post.id, exc)
            return {"result": "failed", "error": (UNREACHABLE_PREFIX if verdict.result == UNREACHABLE else "")
                    + verdict.error}
        return {"result": "retry", "error": verdict.error, "retry_after": verdict.retry_after}
    return {"result": "delivered"}


async def run_digests(application: Application) -> DigestRun:
    """Create the digest rows due now, then send every due one until none is left or the bot stops."""
    services = services_of(application)
    calendar = ReportingCalendar.from_settings(services.settings)
    run = DigestRun(created=await services.db(plan_digest_posts, services.now(), settings=services.settings,
                                              calendar=calendar))
    while application.running:
        post = await services.db(_claim, now=services.now())
        if post is None:
            break
        outcome = await _send_post(application, post, calendar)
        counted = await services.db(_mark, post.id, now=services.now(), **outcome)
        setattr(run, counted, getattr(run, counted) + 1)
        log.info("digest post %s (%s) %s %s", post.id, post.dedupe_key, counted, outcome.get("error", ""))
    return run


async def digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue entry: the idempotent digest tick and its sending."""
    await run_digests(context.application)


# Every minute, and right after start-up (not 0: see jobs/reminders.py).
JOBS.append(("leadership_digest", digest_job, TICK_INTERVAL, 1.0))

__all__ = ["COMMAND", "DIGEST", "LATE_LIST", "WEEKLY", "DigestRun", "Report", "build_report", "caption",
           "dedupe_key", "plan_digest_posts", "run_digests", "send_report"]
