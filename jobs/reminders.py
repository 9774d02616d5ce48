"""Reminder jobs: the idempotent tick that creates outbox rows, and the dispatcher that sends them.

The tick runs every minute, and once right at start-up so that a bot that was down at 08:00 sends
that day's reminders when it comes back. The dispatcher runs every few seconds. Each run claims
due rows in chunks of about CHUNK_SECONDS of sending and loads what is due at that moment in one
transaction (a worker thread); the senders render each reminder on the event loop just before they
send it, concurrently through the application's bot (so the AIORateLimiter sets the pace and sleeps
out 429s), and every answer is group-committed as soon as it arrives. The delivery guarantees are
described in bot/outbox.py.

A run stops when nothing is left to claim, or as soon as the application stops: it claims nothing
more, lets the sends in flight finish, marks them, and releases the rows it claimed but did not send.
JobQueue.stop() waits for the running job, so a clean shutdown or restart never sends a row twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from dataclasses import field

from telegram.error import TelegramError
from telegram.ext import Application
from telegram.ext import ContextTypes
from telegram.warnings import PTBUserWarning

from bot.domain.calendar import ReportingCalendar
from bot.domain.outbox import DELIVERED
from bot.domain.outbox import FAILED
from bot.domain.outbox import GROUP_POST_RENDERERS
from bot.domain.outbox import PENDING
from bot.domain.outbox import SKIPPED
from bot.domain.outbox import Outcome
from bot.domain.outbox import Outgoing
from bot.domain.outbox import ReminderDraft
from bot.domain.outbox import TickResult
from bot.domain.outbox import claim_group_posts
from bot.domain.outbox import claim_reminders
from bot.domain.outbox import load_outgoing
from bot.domain.outbox import plan_tick
from bot.domain.outbox import record_outcomes
from bot.domain.outbox import recover_stale_claims
from bot.domain.outbox import release_claims
from bot.telegram.sending import BACKOFF
from bot.telegram.sending import FAILED as REFUSED
from bot.telegram.sending import MESSAGE_LIMIT
from bot.telegram.sending import UNREACHABLE
from bot.telegram.sending import button_column
from bot.telegram.sending import classify
from bot.telegram.sending import report_buttons
from bot.telegram.services import Services
from bot.telegram.services import services_of
from jobs import JOBS

log = logging.getLogger("rapk.jobs.reminders")

TICK_INTERVAL = 60.0
DISPATCH_INTERVAL = 5.0
# Rows claimed and loaded at a time: about CHUNK_SECONDS of sending, so loading (a handful of queries
# per chunk) stays a small share of the work and what a reminder says is at most that old.
CHUNK_SECONDS = 2
MIN_CHUNK, MAX_CHUNK = 20, 1000
MIN_SENDERS, MAX_SENDERS = 4, 8  # more connections cost httpcore more CPU than they gain
STOP_CHECK = 0.5  # seconds between looks at application.running while waiting for answers
# Answers are committed in groups: one transaction per MARK_LINGER seconds instead of one per message.
# A hard crash can repeat what was answered in the last MARK_LINGER seconds (see bot/outbox.py).
MARK_LINGER = 0.1
UNREACHABLE_IDS = "unreachable_telegram_ids"  # bot_data: who to mark reachable again when they write

# The dispatcher sends with Bot.do_api_request on purpose (see _Dispatcher._send_message); PTB's
# advice to use send_message instead is known here and would otherwise be logged.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)


def senders_for(rate: float) -> int:
    """Concurrent sends: enough for ~100 ms round trips at `rate`, within MIN_SENDERS..MAX_SENDERS."""
    return int(min(MAX_SENDERS, max(MIN_SENDERS, rate // 3)))


async def run_tick(application: Application) -> TickResult:
    """Create the rows due now (reminders for people with something open, late lists)."""
    services = services_of(application)
    calendar = ReportingCalendar.from_settings(services.settings)
    result = await services.db(plan_tick, services.now(), settings=services.settings, calendar=calendar)
    application.bot_data.pop(UNREACHABLE_IDS, None)  # another process may have marked someone meanwhile
    if result.reminders or result.posts:
        log.info("tick created %d reminder(s) and %d group post(s)", result.reminders, result.posts)
    return result


async def reminder_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue entry: the idempotent reminder tick."""
    await run_tick(context.application)


async def dispatch_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue entry: send what is due."""
    await dispatch(context.application)


@dataclass
class DispatchResult:
    """What one dispatch run did (final statuses of the rows it finished)."""

    claimed: int = 0
    counts: Counter = field(default_factory=Counter)
    released: int = 0
    seconds: float = 0.0

    @property
    def delivered(self) -> int:
        return self.counts[DELIVERED]

    @property
    def skipped(self) -> int:
        return self.counts[SKIPPED]

    @property
    def failed(self) -> int:
        return self.counts[FAILED]

    @property
    def unreachable(self) -> int:
        return self.counts["unreachable"]

    @property
    def retried(self) -> int:
        return self.counts[PENDING]


async def dispatch(application: Application, *, limit: int | None = None) -> DispatchResult:
    """Send every due outbox row (at most `limit` claims) until none is left or the application stops."""
    return await _Dispatcher(application, limit).run()


class _Dispatcher:
    """One dispatch run: a producer claims and renders, senders send, a marker group-commits answers."""

    def __init__(self, application: Application, limit: int | None):
        self.app = application
        self.services: Services = services_of(application)
        settings = self.services.settings
        self.calendar = ReportingCalendar.from_settings(settings)
        rate = settings.telegram_max_messages_per_second
        self.chunk = int(min(MAX_CHUNK, max(MIN_CHUNK, rate * CHUNK_SECONDS)))
        self.n_senders = senders_for(rate)
        self.limit = limit
        self.queue: asyncio.Queue[ReminderDraft | Outgoing | None] = asyncio.Queue(maxsize=self.chunk)
        self.answers: asyncio.Queue[Outcome | None] = asyncio.Queue()
        self.claimed: set[tuple[str, int]] = set()  # claimed, answer not yet handed to the marker
        self.in_flight: set[tuple[str, int]] = set()
        self.unmarked = 0  # answers handed to the marker, not committed yet
        self.marked = asyncio.Event()
        self.result = DispatchResult()

    @property
    def worker(self) -> str:
        return self.services.worker_id

    def _running(self) -> bool:
        return self.app.running and (self.limit is None or self.result.claimed < self.limit)

    async def run(self) -> DispatchResult:
        started = time.perf_counter()
        producer = senders = marker = None
        try:
            await self.services.db(recover_stale_claims, now=self.services.now())
            marker = asyncio.create_task(self._mark_loop())
            senders = [asyncio.create_task(self._send_loop()) for _ in range(self.n_senders)]
            producer = asyncio.create_task(self._produce())
            await producer
            for _ in senders:
                await self.queue.put(None)
            await asyncio.gather(*senders)
        finally:
            for task in [producer, *(senders or [])]:
                if task is not None:
                    task.cancel()
            await asyncio.gather(*(t for t in [producer, *(senders or [])] if t is not None), return_exceptions=True)
            if marker is not None:
                await self.answers.put(None)
                await marker
            await self._release_unsent()
            self.result.seconds = time.perf_counter() - started
        if self.result.claimed:
            log.info("dispatch %s: %d claimed, %s, %d released in %.1f s", self.worker, self.result.claimed,
                     dict(self.result.counts), self.result.released, self.result.seconds)
        return self.result

    # -- producer -------------------------------------------------------------------------------

    async def _claim(self) -> tuple[list[int], list[int]]:
        size = self.chunk if self.limit is None else min(self.chunk, self.limit - self.result.claimed)
        now = self.services.now()

        def claim(*, session):
            ids = claim_reminders(session=session, worker_id=self.worker, now=now, limit=size)
            posts = claim_group_posts(session=session, now=now, limit=max(0, size - len(ids)),
                                      kinds=GROUP_POST_RENDERERS)
            return ids, posts

        ids, posts = await self.services.db(claim)
        self.claimed.update(("reminder", i) for i in ids)
        self.claimed.update(("group_post", i) for i in posts)
        self.result.claimed += len(ids) + len(posts)
        return ids, posts

    async def _produce(self) -> None:
        while self._running():
            ids, posts = await self._claim()
            if not ids and not posts:
                # Answers still being marked can free work (a 403's admin notice, a short retry_after):
                # wait for them, then look once more before stopping.
                if not await self._settle():
                    return
                continue
            loaded = await self.services.db(load_outgoing, ids, posts, calendar=self.calendar,
                                            now=self.services.now(), lang=self.services.lang, limit=MESSAGE_LIMIT)
            for item in loaded:
                if not self._answered_unsent(item):
                    await self.queue.put(item)  # a reminder draft is rendered by its sender

    async def _settle(self) -> bool:
        """Wait until every claimed row is answered and marked; True when anything was marked meanwhile."""
        if not self.claimed and not self.unmarked:
            return False
        while (self.claimed or self.unmarked) and self.app.running:
            self.marked.clear()
            with contextlib.suppress(TimeoutError):  # wakes up now and then to notice a stop
                await asyncio.wait_for(self.marked.wait(), STOP_CHECK)
        return self.app.running

    # -- senders --------------------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while (queued := await self.queue.get()) is not None:
            if not self.app.running:
                continue  # stays claimed: released at the end, never sent
            item = queued.render(self.calendar, self.services.lang, limit=MESSAGE_LIMIT)
            if self._answered_unsent(item):
                continue
            self.in_flight.add(item.key)
            outcome = await self._send(item)  # cancelled mid-send: stays in flight (not released)
            self.in_flight.discard(item.key)
            self._hand_over(outcome)

    async def _send(self, item: Outgoing) -> Outcome:
        def answer(result: str, **kwargs) -> Outcome:
            return Outcome(item.model, item.row_id, result, person_id=item.person_id, **kwargs)

        try:
            message_id = await self._send_message(item)
        except Exception as exc:  # noqa: BLE001 - read by the one classifier; e.g. a closed HTTP client backs off
            verdict = classify(exc)
            if verdict.result == REFUSED:
                log.warning("%s %s refused by Telegram: %s", item.model, item.row_id, exc)
            elif verdict.result == BACKOFF and not isinstance(exc, TelegramError):
                log.exception("%s %s: unexpected error while sending", item.model, item.row_id)
            result = {BACKOFF: "retry", UNREACHABLE: "unreachable", REFUSED: "failed"}.get(verdict.result, "retry")
            return answer(result, error=verdict.error, retry_after=verdict.retry_after)
        return answer("delivered", message_id=message_id)

    async def _send_message(self, item: Outgoing) -> int:
        """sendMessage through the bot (its rate limiter, retries and errors) without turning the answer
        into a telegram.Message: only its id is kept, and building the object is a good share of a send."""
        bot = self.app.bot
        answer = await bot.do_api_request("sendMessage", api_kwargs={
            "chat_id": item.chat_id, "text": item.text, "parse_mode": bot.defaults.parse_mode if bot.defaults else None,
            "reply_markup": button_column(report_buttons(item.report, self.services.lang))})
        return answer["message_id"]

    # -- marker ---------------------------------------------------------------------------------

    def _answered_unsent(self, item: ReminderDraft | Outgoing) -> bool:
        """Hand over a row that is not to be sent (rendering failed, nothing to say); False for one to send."""
        if isinstance(item, Outgoing) and (item.error or item.skip):
            result, error = ("failed", item.error) if item.error else ("skipped", item.skip)
            self._hand_over(Outcome(item.model, item.row_id, result, error=error, person_id=item.person_id))
            return True
        return False

    def _hand_over(self, outcome: Outcome) -> None:
        self.claimed.discard((outcome.model, outcome.row_id))
        self.unmarked += 1
        self.answers.put_nowait(outcome)

    async def _mark_loop(self) -> None:
        """Group commit: the answers of the next MARK_LINGER seconds go into one transaction."""
        settings = self.services.settings
        done = False
        while not done:
            batch = [await self.answers.get()]
            if batch[0] is not None:
                await asyncio.sleep(MARK_LINGER)
            while not self.answers.empty():
                batch.append(self.answers.get_nowait())
            done = None in batch
            batch = [o for o in batch if o is not None]
            if not batch:
                continue
            now = self.services.now()
            try:
                counts = await self.services.db(record_outcomes, batch, worker_id=self.worker, now=now,
                                                today=self.calendar.local_date(now),
                                                admin_config_ids=settings.admin_telegram_ids)
                self.result.counts.update(counts)
                if counts["unreachable"]:
                    self.app.bot_data.pop(UNREACHABLE_IDS, None)  # reloaded on the next update
            except Exception:  # noqa: BLE001 - the rows stay 'sending' and are recovered later
                log.exception("could not mark %d answer(s); their claims will expire and be retried", len(batch))
            finally:
                self.unmarked -= len(batch)
                self.marked.set()

    async def _release_unsent(self) -> None:
        """Hand back rows claimed but not sent (stop or error); rows cut off mid-send stay 'sending'
        until their claim expires, because Telegram may have delivered them."""
        unsent = [key for key in self.claimed if key not in self.in_flight]
        if self.in_flight:
            log.warning("%d send(s) interrupted; they are retried when their claims expire", len(self.in_flight))
        if not unsent:
            return
        reminders = [i for m, i in unsent if m == "reminder"]
        posts = [i for m, i in unsent if m == "group_post"]
        try:
            self.result.released = await self.services.db(release_claims, worker_id=self.worker, ids=reminders,
                                                          post_ids=posts)
        except Exception:  # noqa: BLE001
            log.exception("could not release %d claim(s); they are retried when the claims expire", len(unsent))
        self.claimed.difference_update(unsent)


# First runs right after start-up. Not 0: APScheduler's interval trigger would read a start time that
# has just passed as "next interval" and run the first tick a minute late.
JOBS.extend([
    ("reminder_tick", reminder_tick, TICK_INTERVAL, 1.0),
    ("reminder_dispatch", dispatch_job, DISPATCH_INTERVAL, 2.0),
])
