"""Reminder jobs: the idempotent tick that creates outbox rows, and the dispatcher that sends them.

The tick runs every minute, and once right at start-up so that a bot that was down at 08:00 sends
that day's reminders when it comes back. The dispatcher runs every few seconds. Each run reads due
rows ahead in chunks of about CHUNK_SECONDS of sending and loads what they say in one transaction
(a worker thread), without claiming them. It claims them a unit at a time (claim_unit: about 0.1 s
of sending), only when the senders can take them at once, so a row is 'sending' from the moment its
send starts and a kill leaves at most the sends in flight and one unit ambiguous. The senders
render each reminder on the event loop just before they send it, concurrently through the
application's bot (so the AIORateLimiter sets the pace and sleeps out 429s), and every answer is
committed as soon as it arrives, at most one commit per MARK_GAP (answers that come meanwhile
share it). Claims held for a while are refreshed (HEARTBEAT_SHARE), so a live claim never looks
abandoned. Rows a dead worker left 'sending' are taken back once their claim is older than the
bot's HTTP timeout (claim_timeout), at the start of a run and before every chunk. The delivery
guarantees are described in bot/domain/outbox.py.

A run stops when nothing is left to claim, or as soon as the application stops: it claims nothing
more, lets the sends in flight finish, marks them, and releases the rows it claimed but did not send.
JobQueue.stop() waits for the running job, so a clean shutdown or restart never sends a row twice.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from telegram.error import TelegramError
from telegram.ext import Application
from telegram.ext import ContextTypes
from telegram.warnings import PTBUserWarning

from bot.domain.calendar import ReportingCalendar
from bot.domain.outbox import CLAIM_TIMEOUT
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
from bot.domain.outbox import due_outbox
from bot.domain.outbox import load_outgoing
from bot.domain.outbox import plan_tick
from bot.domain.outbox import record_outcomes
from bot.domain.outbox import recover_stale_claims
from bot.domain.outbox import release_claims
from bot.domain.outbox import touch_claims
from bot.telegram.sending import BACKOFF
from bot.telegram.sending import FAILED as REFUSED
from bot.telegram.sending import MESSAGE_LIMIT
from bot.telegram.sending import UNREACHABLE
from bot.telegram.sending import button_column
from bot.telegram.sending import classify
from bot.telegram.sending import report_buttons
from bot.telegram.sending import with_webapp
from bot.telegram.services import Services
from bot.telegram.services import services_of
from jobs import DISPATCH_JOBS
from jobs import JOBS

log = logging.getLogger("rapk.jobs.reminders")

TICK_INTERVAL = 60.0
DISPATCH_INTERVAL = 5.0
# Rows read ahead and loaded at a time: about CHUNK_SECONDS of sending, so loading (a handful of queries
# per chunk) stays a small share of the work and what a reminder says is at most that old.
CHUNK_SECONDS = 2
MIN_CHUNK, MAX_CHUNK = 20, 1000
MIN_SENDERS, MAX_SENDERS = 4, 8  # more connections cost httpcore more CPU than they gain
# Rows claimed at a time, just before they are sent: about CLAIM_UNIT_SECONDS of sending (at least
# MIN_CLAIM_UNIT), one small transaction each. At most the senders' sends plus one unit are 'sending'
# at any moment, so that is what a kill leaves ambiguous: 8 + 4 rows at Telegram's 30 messages/s.
CLAIM_UNIT_SECONDS = 0.1
MIN_CLAIM_UNIT = 4
# Answers are committed as they come, at most one commit per MARK_GAP seconds: at 30 messages/s that is
# one commit per answer; at 300/s about six answers share one, which keeps the database work per message
# small. A kill repeats the sends in flight plus the answers of the last MARK_GAP at most.
MARK_GAP = 0.02
STOP_CHECK = 0.5  # seconds between looks at application.running while waiting for answers
# Seconds between refreshes of claims held longer than that (touch_claims), as a share of claim_timeout.
HEARTBEAT_SHARE = 0.25
UNREACHABLE_IDS = "unreachable_telegram_ids"  # bot_data: who to mark reachable again when they write
HELD_CLAIMS = "outbox_held_claims"  # bot_data: the claims of this process's running dispatches (/ingatkan too)

# The dispatcher sends with Bot.do_api_request on purpose (see _Dispatcher._send_message); PTB's
# advice to use send_message instead is known here and would otherwise be logged.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)


def senders_for(rate: float) -> int:
    """Concurrent sends: enough for ~100 ms round trips at `rate`, within MIN_SENDERS..MAX_SENDERS."""
    return int(min(MAX_SENDERS, max(MIN_SENDERS, rate // 3)))


def claim_unit(rate: float) -> int:
    """Rows claimed at a time at `rate` messages/s: CLAIM_UNIT_SECONDS of sending, at least MIN_CLAIM_UNIT."""
    return max(MIN_CLAIM_UNIT, round(rate * CLAIM_UNIT_SECONDS))


def claim_timeout(application: Application) -> timedelta:
    """How old a claim of the dispatcher's rows must be before it is taken for a dead worker's: the bot's
    HTTP timeout (all four of the request's timeouts), since after it no request of a process that died can
    still arrive at Telegram. CLAIM_TIMEOUT when the HTTP client sets no bound."""
    total = getattr(application.bot.request, "total_timeout", None)
    return timedelta(seconds=total) if total else CLAIM_TIMEOUT


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
    """Send every due outbox row (at most `limit` claims) until none is left or the application stops.
    Nothing in an `--role updates` process: the dispatchers send what /ingatkan or «Ingatkan» queued there."""
    if not services_of(application).dispatches:
        return DispatchResult()
    return await _Dispatcher(application, limit).run()


class _Dispatcher:
    """One dispatch run: a producer reads ahead and claims in units, senders send, a marker commits answers."""

    def __init__(self, application: Application, limit: int | None):
        self.app = application
        self.services: Services = services_of(application)
        settings = self.services.settings
        self.calendar = ReportingCalendar.from_settings(settings)
        rate = settings.dispatch_rate  # this process's share of the cap
        self.chunk = int(min(MAX_CHUNK, max(MIN_CHUNK, rate * CHUNK_SECONDS)))
        self.n_senders = senders_for(rate)
        self.unit = claim_unit(rate)
        self.claim_timeout = claim_timeout(application)
        self.limit = limit
        # Claimed rows not yet answered: at most the senders' sends plus one unit waiting for a sender.
        self.slots = asyncio.Semaphore(self.n_senders + self.unit)
        self.queue: asyncio.Queue[ReminderDraft | Outgoing | None] = asyncio.Queue()
        self.answers: asyncio.Queue[Outcome | None] = asyncio.Queue()
        self.claimed: set[tuple[str, int]] = set()  # claimed, answer not yet handed to the marker
        self.in_flight: set[tuple[str, int]] = set()
        self.held: dict[tuple[str, int], datetime] = {}  # claimed, not yet marked → claim time
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
        producer = senders = marker = heartbeat = None
        live = self.app.bot_data.setdefault(HELD_CLAIMS, [])
        live.append(self.held)
        try:
            await self._recover()
            marker = asyncio.create_task(self._mark_loop())
            heartbeat = asyncio.create_task(self._heartbeat())
            senders = [asyncio.create_task(self._send_loop()) for _ in range(self.n_senders)]
            producer = asyncio.create_task(self._produce())
            await producer
            for _ in senders:
                await self.queue.put(None)
            await asyncio.gather(*senders)
        finally:
            for task in [producer, heartbeat, *(senders or [])]:
                if task is not None:
                    task.cancel()
            await asyncio.gather(*(t for t in [producer, heartbeat, *(senders or [])] if t is not None),
                                 return_exceptions=True)
            if marker is not None:
                await self.answers.put(None)
                await marker
            await self._release_unsent()
            live.remove(self.held)
            self.result.seconds = time.perf_counter() - started
        if self.result.claimed:
            log.info("dispatch %s: %d claimed, %s, %d released in %.1f s", self.worker, self.result.claimed,
                     dict(self.result.counts), self.result.released, self.result.seconds)
        return self.result

    # -- producer -------------------------------------------------------------------------------

    async def _recover(self) -> None:
        """Take back what dead workers left 'sending': the dispatcher's own kinds after the HTTP timeout,
        other group posts (a digest) after CLAIM_TIMEOUT."""
        now = self.services.now()
        held = [key for claims in self.app.bot_data.get(HELD_CLAIMS, ()) for key in claims]  # alive: not stale
        keep = {"keep_ids": [i for m, i in held if m == "reminder"],
                "keep_post_ids": [i for m, i in held if m == "group_post"]}

        def recover(*, session):
            recover_stale_claims(session=session, now=now, older_than=self.claim_timeout,
                                 post_kinds=GROUP_POST_RENDERERS, **keep)
            recover_stale_claims(session=session, now=now, **keep)

        await self.services.db(recover)

    async def _read_ahead(self) -> list[ReminderDraft | Outgoing]:
        """The next chunk of due rows, loaded but not claimed."""
        size = self.chunk if self.limit is None else min(self.chunk, self.limit - self.result.claimed)
        now = self.services.now()

        def load(*, session):
            ids, posts = due_outbox(session=session, now=now, limit=size, kinds=GROUP_POST_RENDERERS)
            return load_outgoing(ids, posts, session=session, calendar=self.calendar, now=now,
                                 lang=self.services.lang, limit=MESSAGE_LIMIT, settings=self.services.settings)

        return await self.services.db(load)

    async def _claim(self, unit: list[ReminderDraft | Outgoing]) -> set[tuple[str, int]]:
        """Claim the unit's rows that are still pending (another worker may have taken some); their keys."""
        reminders = [item.row_id for item in unit if item.model == "reminder"]
        posts = [item.row_id for item in unit if item.model == "group_post"]
        now = self.services.now()

        def claim(*, session):
            return (claim_reminders(session=session, worker_id=self.worker, now=now, limit=len(reminders),
                                    ids=reminders),
                    claim_group_posts(session=session, now=now, limit=len(posts), kinds=GROUP_POST_RENDERERS,
                                      ids=posts))

        ids, post_ids = await self.services.db(claim)
        keys = {("reminder", i) for i in ids} | {("group_post", i) for i in post_ids}
        self.claimed |= keys
        self.held.update(dict.fromkeys(keys, now))
        self.result.claimed += len(keys)
        return keys

    async def _produce(self) -> None:
        ahead: collections.deque[ReminderDraft | Outgoing] = collections.deque()
        while self._running():
            if not ahead:
                await self._recover()
                ahead.extend(await self._read_ahead())
                if not ahead:
                    # Answers still being marked can free work (a 403's admin notice, a short retry_after):
                    # wait for them, then look once more before stopping.
                    if not await self._settle():
                        return
                    continue
            size = self.unit if self.limit is None else min(self.unit, self.limit - self.result.claimed)
            unit = [ahead.popleft() for _ in range(min(size, len(ahead)))]
            for _ in unit:  # claim only what the senders can start at once
                await self.slots.acquire()
            if not self._running():
                for _ in unit:
                    self.slots.release()
                return
            claimed = await self._claim(unit)
            for item in unit:
                if item.key not in claimed or self._answered_unsent(item):
                    self.slots.release()
                else:
                    self.queue.put_nowait(item)  # a reminder draft is rendered by its sender

    async def _settle(self) -> bool:
        """Wait until every claimed row is answered and marked; True when anything was marked meanwhile."""
        if not self.claimed and not self.unmarked:
            return False
        while (self.claimed or self.unmarked) and self.app.running:
            self.marked.clear()
            with contextlib.suppress(TimeoutError):  # wakes up now and then to notice a stop
                await asyncio.wait_for(self.marked.wait(), STOP_CHECK)
        return self.app.running

    async def _heartbeat(self) -> None:
        """Refresh claims held longer than a share of claim_timeout (a send sleeping out a 429 in the rate
        limiter, a slow mark), so that recovery never takes a live worker's claim for a dead one's."""
        every = self.claim_timeout * HEARTBEAT_SHARE
        while True:
            await asyncio.sleep(every.total_seconds())
            now = self.services.now()
            old = [key for key, at in self.held.items() if now - at >= every]
            if not old:
                continue
            try:
                await self.services.db(touch_claims, worker_id=self.worker, now=now,
                                       ids=[i for m, i in old if m == "reminder"],
                                       post_ids=[i for m, i in old if m == "group_post"])
            except Exception:  # tried again at the next beat
                log.exception("could not refresh %d claim(s)", len(old))
                continue
            for key in old:
                if key in self.held:
                    self.held[key] = now

    # -- senders --------------------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while (queued := await self.queue.get()) is not None:
            try:
                if not self.app.running:
                    continue  # stays claimed: released at the end, never sent
                item = queued.render(self.calendar, self.services.lang, limit=MESSAGE_LIMIT)
                if self._answered_unsent(item):
                    continue
                self.in_flight.add(item.key)
                outcome = await self._send(item)  # cancelled mid-send: stays in flight (not released)
                self.in_flight.discard(item.key)
                self._hand_over(outcome)
            finally:
                self.slots.release()

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
            "reply_markup": with_webapp(button_column(report_buttons(item.report, self.services.lang,
                                                                     outcomes=item.report_outcomes)),
                                        self.services.settings.webapp_url, self.services.lang)})
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
        """Commit each answer as soon as it comes, at most one commit per MARK_GAP; answers that arrive
        meanwhile share the next commit."""
        settings = self.services.settings
        loop = asyncio.get_running_loop()
        done, last = False, -MARK_GAP
        while not done:
            batch = [await self.answers.get()]
            gap = MARK_GAP - (loop.time() - last)
            if batch[0] is not None and gap > 0:
                await asyncio.sleep(gap)
            last = loop.time()
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
                for outcome in batch:
                    self.held.pop((outcome.model, outcome.row_id), None)
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
        for key in unsent:
            self.held.pop(key, None)


# First runs right after start-up. Not 0: APScheduler's interval trigger would read a start time that
# has just passed as "next interval" and run the first tick a minute late.
JOBS.extend([
    ("reminder_tick", reminder_tick, TICK_INTERVAL, 1.0),
    ("reminder_dispatch", dispatch_job, DISPATCH_INTERVAL, 2.0),
])
DISPATCH_JOBS.add("reminder_dispatch")
