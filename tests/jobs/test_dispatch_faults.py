"""Reminders under fire: 500 due reminders through a fake Telegram that answers 429, 5xx, timeouts and 403;
a restart in the middle of a batch; a worker killed while sending (what it leaves 'sending', and when that goes out
again); two dispatchers on PostgreSQL."""

import asyncio
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.config import load_settings
from bot.db import make_engine
from bot.db import unit_of_work
from bot.domain.calendar import ReportingCalendar
from bot.domain.outbox import CLAIM_TIMEOUT
from bot.domain.outbox import claim_reminders
from bot.domain.reminders import plan_due_reminders
from bot.main import build_application
from jobs.reminders import claim_timeout
from jobs.reminders import claim_unit
from jobs.reminders import dispatch
from jobs.reminders import dispatch_job
from jobs.reminders import run_tick
from jobs.reminders import senders_for
from models import Person
from models import Plan
from models import Reminder
from tests.support.harness import ADMIN_ID
from tests.support.harness import LEADERSHIP_CHAT
from tests.support.harness import BotHarness
from tests.support.outbox_steps import BLOCKED_NOTICE
from tests.support.outbox_steps import FIRST_USER
from tests.support.outbox_steps import H7
from tests.support.outbox_steps import make_crowd

CROWD = 500
# Faults a retry cures. Not "timeout_after_delivery": Telegram delivered and the answer was lost, so
# the retry repeats the message (the documented at-least-once window, see bot/outbox.py).
CURABLE = ("429", "500", "502", "timeout", "disconnect")


@pytest.fixture
def crowd(engine, fake) -> dict[int, int]:
    people = make_crowd(engine, CROWD)
    for user_id in people:
        fake.add_user(user_id, f"PIC{user_id}")
    return people


def row_states(engine) -> Counter:
    with unit_of_work(engine) as session:
        return Counter(r.status for r in session.exec(select(Reminder)))


def messages_per_chat(fake, chats) -> Counter:
    return Counter({chat: len(fake.messages_to(chat)) for chat in chats})


async def drain(harness_or_apps, clock, engine, rounds: int = 40) -> None:
    """Dispatch until no row waits for a retry, moving the clock past any backoff between rounds."""
    apps = harness_or_apps if isinstance(harness_or_apps, list) else [harness_or_apps.app]
    for _ in range(rounds):
        await asyncio.gather(*(dispatch(app) for app in apps))
        states = row_states(engine)
        if not states["pending"] and not states["sending"]:
            return
        clock.advance(minutes=15)
    raise AssertionError(f"rows still waiting after {rounds} rounds: {row_states(engine)}")


async def test_500_reminders_with_random_faults_exactly_once_each(fake, db_url, engine, crowd):
    blocked = sorted(crowd)[::50]
    for user_id in blocked:
        fake.block(user_id)
    harness = BotHarness(fake, db_url, now=H7, telegram_max_messages_per_second=500)
    await harness.start()
    try:
        fake.set_random_faults(rate=0.2, kinds=CURABLE, seed=7, retry_after=0.05)
        assert (await run_tick(harness.app)).reminders == CROWD
        await drain(harness, harness.clock, engine)
    finally:
        await harness.stop()
    got = messages_per_chat(fake, crowd)
    assert {u for u, n in got.items() if n != 1} == set(blocked)
    assert all(got[u] == 0 for u in blocked)
    assert all("Pengingat laporan TW II 2020" in fake.last_message_to(u)["text"] for u in crowd if u not in blocked)
    assert fake.stats.rate_limited and fake.stats.server_errors and fake.stats.timeouts and fake.stats.disconnects
    notices = [m["text"] for m in fake.messages_to(ADMIN_ID) if BLOCKED_NOTICE in m["text"]]
    assert sorted(n.split("\n")[0] for n in notices) == sorted(
        f"🚫 PIC {u - FIRST_USER:03d} tidak bisa dihubungi bot" for u in blocked)
    with unit_of_work(engine) as session:
        unreachable = set(session.exec(select(Person.telegram_user_id).where(Person.unreachable_at.is_not(None))))
    assert unreachable == set(blocked)
    assert row_states(engine) == Counter({"delivered": CROWD - len(blocked), "failed": len(blocked)})
    assert fake.messages_to(LEADERSHIP_CHAT) == []


async def test_restart_in_the_middle_of_a_batch_resumes_without_repeats(fake, db_url, engine, crowd):
    harness = BotHarness(fake, db_url, now=H7, telegram_max_messages_per_second=100)
    await harness.start()
    try:
        await run_tick(harness.app)
        harness.app.job_queue.run_once(dispatch_job, 0.1)  # as in production: the job queue runs it
        await fake.wait_for(lambda: sum(fake.stats.delivered.values()) >= 120, timeout=20)
        await harness.restart()  # a clean stop: the running dispatch finishes its sends and releases the rest

        with unit_of_work(engine) as session:
            rows = {r.person_id: r for r in session.exec(select(Reminder))}
        states = Counter(r.status for r in rows.values())
        assert set(states) == {"delivered", "pending"} and 0 < states["delivered"] < CROWD
        for user_id, person_id in crowd.items():
            assert len(fake.messages_to(user_id)) == (rows[person_id].status == "delivered")
        assert all(r.claimed_by is None and r.attempts == 0 for r in rows.values() if r.status == "pending")

        await dispatch(harness.app)
    finally:
        await harness.stop()
    assert set(messages_per_chat(fake, crowd).values()) == {1}
    assert row_states(engine) == Counter({"delivered": CROWD})


async def test_rows_a_killed_worker_left_sending_go_out_once_the_http_timeout_has_passed(fake, db_url, engine, crowd):
    harness = BotHarness(fake, db_url, now=H7, telegram_max_messages_per_second=500)
    await harness.start()
    try:
        # The harness's HTTP client: read 2 s + write 2 s + connect 2 s + a free connection 1 s = 7 s.
        assert claim_timeout(harness.app) == timedelta(seconds=7) < CLAIM_TIMEOUT
        await run_tick(harness.app)
        with unit_of_work(engine) as session:  # a worker claims 40 rows, starts sending and is killed
            dead = claim_reminders(session=session, worker_id="killed", now=H7, limit=40)
        result = await dispatch(harness.app)
        assert result.delivered == CROWD - 40 and row_states(engine)["sending"] == 40
        harness.clock.advance(seconds=6.999)  # one of its requests could still reach Telegram
        assert (await dispatch(harness.app)).claimed == 0
        with unit_of_work(engine) as session:
            assert {r.claimed_by for r in session.exec(select(Reminder).where(Reminder.id.in_(dead)))} == {"killed"}
        harness.clock.advance(seconds=0.001)  # 7 s after the claim: none can any more
        result = await dispatch(harness.app)
        assert result.delivered == 40 and result.claimed == 40
    finally:
        await harness.stop()
    assert set(messages_per_chat(fake, crowd).values()) == {1}
    with unit_of_work(engine) as session:
        assert {r.attempts for r in session.exec(select(Reminder).where(Reminder.id.in_(dead)))} == {2}


async def test_a_kill_mid_run_leaves_only_the_sends_in_flight_and_one_unit_sending(fake, db_url, engine):
    n = 60  # a chunk at Telegram's 30 messages/s (2 s of sending): all of them are read ahead at once
    for user_id in make_crowd(engine, n):
        fake.add_user(user_id, f"PIC{user_id}")
    harness = BotHarness(fake, db_url, now=H7, telegram_max_messages_per_second=30)
    await harness.start()
    try:
        await run_tick(harness.app)
        senders, unit = senders_for(30), claim_unit(30)
        assert (senders, unit) == (8, 4)  # at most 8 sends in flight and one unit of 4 claimed ahead: 12
        # The first sends reach Telegram and their answers never come back: the senders are all busy.
        fake.fail_next("sendMessage", "timeout_after_delivery", count=senders)
        run = asyncio.create_task(dispatch(harness.app))
        await fake.wait_for(lambda: len(fake.calls("sendMessage")) >= senders)
        # What a kill -9 now would leave on disk (the loop runs nothing else while this reads):
        states = row_states(engine)
        assert 8 <= states["sending"] <= 12
        assert states["pending"] == n - states["sending"] and not states["delivered"]
        with unit_of_work(engine) as session:
            ambiguous = set(session.exec(select(Reminder.id).where(Reminder.status == "sending")))
        # Every row was read at H7; each of the others is claimed, and stamped, when its own send starts.
        harness.clock.advance(seconds=1)
        await run
    finally:
        await harness.stop()
    with unit_of_work(engine) as session:
        rows = session.exec(select(Reminder)).all()
    early = {r.id for r in rows if r.claimed_at.replace(tzinfo=UTC) == H7.astimezone(UTC)}
    assert ambiguous <= early and len(early) <= 12
    later = [r for r in rows if r.id not in early]
    assert len(later) >= n - 12 and {r.status for r in later} == {"delivered"}
    assert {r.claimed_at.replace(tzinfo=UTC) for r in later} == {H7.astimezone(UTC) + timedelta(seconds=1)}


async def test_two_dispatchers_on_postgresql_never_send_a_row_twice(fake, db_url, engine, crowd):
    if engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED claims: PostgreSQL only (SQLite serialises writers)")
    clock = ManualClock(H7)
    settings = load_settings(telegram_bot_token=fake.token, telegram_base_url=fake.base_url, database_url=db_url,
                             admin_telegram_ids=[ADMIN_ID], leadership_chat_id=LEADERSHIP_CHAT,
                             telegram_max_messages_per_second=60, _env_file=None)  # 120-row chunks
    engines = [make_engine(db_url), make_engine(db_url)]
    apps = [build_application(settings, engine=e, clock=clock, read_timeout=2, worker_id=w, run_jobs=False)
            for e, w in zip(engines, ("worker-a", "worker-b"), strict=True)]
    for app in apps:
        await app.initialize()
        await app.start()
    try:
        fake.set_random_faults(rate=0.1, kinds=("429", "500", "timeout"), seed=3, retry_after=0.05)
        await run_tick(apps[0])
        first = await asyncio.gather(*(dispatch(app) for app in apps))
        assert all(r.delivered > 50 for r in first)  # both really worked at the same time
        await drain(apps, clock, engine)
    finally:
        for app in apps:
            await app.stop()
            await app.shutdown()
        for e in engines:
            e.dispose()
    assert set(messages_per_chat(fake, crowd).values()) == {1}
    with unit_of_work(engine) as session:
        senders = Counter(r.claimed_by for r in session.exec(select(Reminder)))
    assert set(senders) == {"worker-a", "worker-b"} and sum(senders.values()) == CROWD


def test_concurrent_claims_never_hand_out_a_row_twice(engine, db_url):
    make_crowd(engine, 300)
    with unit_of_work(engine) as session:
        plan_id = session.exec(select(Plan.id)).one()
        plan_due_reminders(H7.astimezone(UTC), session=session, calendar=ReportingCalendar(), plan_id=plan_id)
    engines = [make_engine(db_url) for _ in range(4)]
    start = threading.Barrier(len(engines))

    def claim_until_empty(n: int) -> list[int]:
        start.wait(timeout=10)
        claimed: list[int] = []
        while True:
            with unit_of_work(engines[n]) as session:
                ids = claim_reminders(session=session, worker_id=f"w{n}", now=H7, limit=7)
            if not ids:
                return claimed
            claimed += ids

    try:
        with ThreadPoolExecutor(len(engines)) as pool:
            claimed = list(pool.map(claim_until_empty, range(len(engines)), timeout=120))
    finally:
        for e in engines:
            e.dispose()
    every = [i for ids in claimed for i in ids]
    assert len(every) == len(set(every)) == 300
    assert sum(1 for ids in claimed if ids) >= 2
