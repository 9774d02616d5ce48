"""`rapk run --role dispatcher` as real processes against the fake Bot API: two of them share the cap and send
every reminder exactly once; one killed with SIGKILL mid-run leaves its claims to the other, which sends them once
the claim timeout has passed, and nobody gets a reminder twice."""

import asyncio
from collections import Counter
from datetime import UTC

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.config import load_settings
from bot.db import unit_of_work
from bot.domain.calendar import ReportingCalendar
from bot.domain.reminders import plan_due_reminders
from bot.main import build_application
from bot.telegram.services import ALL
from bot.telegram.services import DISPATCHER
from bot.telegram.services import UPDATES
from jobs import jobs_for
from jobs.reminders import dispatch
from jobs.reminders import senders_for
from models import Plan
from models import Reminder
from tests.support.botproc import BotProcess
from tests.support.harness import ADMIN_ID
from tests.support.outbox_steps import H7
from tests.support.outbox_steps import make_crowd

CAP = 40  # TELEGRAM_MAX_MESSAGES_PER_SECOND of the deployment; each of the two dispatchers sends at CAP / 2
N = 300
WORKERS = ("dispatcher-a", "dispatcher-b")


@pytest.fixture
def crowd(engine, fake) -> list[int]:
    """N PICs with one reminder due each (the tick's H-7 rows, as the updates process would make them)."""
    people = make_crowd(engine, N)
    for user_id in people:
        fake.add_user(user_id, f"PIC{user_id}")
    with unit_of_work(engine) as session:
        plan_id = session.exec(select(Plan.id)).one()
        plan_due_reminders(H7.astimezone(UTC), session=session, calendar=ReportingCalendar(), plan_id=plan_id)
    return sorted(people)


@pytest.fixture
async def dispatchers(fake, db_url, tmp_path):
    processes = [BotProcess(fake, db_url, now=H7, log_path=tmp_path / f"{worker}.log", RAPK_TEST_ROLE="dispatcher",
                            RAPK_TEST_WORKER=worker, TELEGRAM_MAX_MESSAGES_PER_SECOND=CAP, TELEGRAM_DISPATCHERS=2,
                            ADMIN_TELEGRAM_IDS=ADMIN_ID)
                 for worker in WORKERS]
    yield processes
    for process in processes:
        process.stop()


def delivered(fake) -> int:
    return sum(1 for call in fake.calls("sendMessage") if call.delivered)


def per_chat(fake, chats) -> Counter:
    return Counter({chat: len(fake.messages_to(chat)) for chat in chats})


def outbox(engine) -> list[Reminder]:
    with unit_of_work(engine) as session:
        return list(session.exec(select(Reminder)))


async def condition(predicate, timeout: float = 20.0) -> None:
    """Wait for a state another process writes to the database (the fake's traffic cannot announce it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met"
        await asyncio.sleep(0.05)


async def test_two_dispatcher_processes_share_the_cap_and_send_every_reminder_once(fake, engine, crowd, dispatchers):
    # Telegram's flood control a quarter above the deployment's cap: two processes each sending at the whole
    # cap would be refused (429); at CAP / 2 each they never are.
    fake.set_rate_limit(per_second=CAP * 1.25)
    await asyncio.gather(*(process.start() for process in dispatchers))
    await fake.wait_for(lambda: delivered(fake) >= N, 60)
    for process in dispatchers:
        process.stop()  # SIGTERM: a clean stop, nothing left claimed
    assert set(per_chat(fake, crowd).values()) == {1}
    assert fake.stats.rate_limited == 0
    rows = outbox(engine)
    assert Counter(r.status for r in rows) == Counter({"delivered": N})
    senders = Counter(r.claimed_by for r in rows)
    assert set(senders) == set(WORKERS) and min(senders.values()) > N // 10  # both really sent


async def test_a_dispatcher_killed_mid_run_leaves_its_claims_to_the_other_and_nothing_goes_twice(
        fake, engine, crowd, dispatchers):
    victim, survivor = dispatchers
    await asyncio.gather(*(process.start() for process in dispatchers))
    await fake.wait_for(lambda: delivered(fake) >= N // 5, 60)
    # Every sender of both processes gets stuck in a request Telegram holds and does not deliver, so the kill
    # lands where it is known what reached Telegram: each answer it gave has been marked (checked below).
    held = 2 * senders_for(CAP / 2)
    fake.fail_next("sendMessage", "timeout", count=held)
    await fake.wait_for(lambda: sum(c.error == "timeout" for c in fake.calls("sendMessage")) >= held, 30)
    await condition(lambda: sum(r.status == "delivered" for r in outbox(engine)) == delivered(fake))
    victim.kill()
    left = {r.id for r in outbox(engine) if r.status == "sending" and r.claimed_by == WORKERS[0]}
    assert left  # its held sends at least, and the unit it had claimed ahead
    # The survivor takes them back once their claims are older than the HTTP timeout (7 s here) and sends them.
    await fake.wait_for(lambda: delivered(fake) >= N, 120)
    survivor.stop()
    assert set(per_chat(fake, crowd).values()) == {1}
    rows = outbox(engine)
    assert Counter(r.status for r in rows) == Counter({"delivered": N})
    assert {r.claimed_by for r in rows if r.id in left} == {WORKERS[1]}


def test_the_roles_split_the_jobs():
    def names(role):
        return {name for name, *_ in jobs_for(role)}

    assert names(DISPATCHER) == {"reminder_dispatch"}
    assert names(UPDATES) == names(ALL) - {"reminder_dispatch"} and "reminder_tick" in names(UPDATES)


async def test_an_updates_process_leaves_the_outbox_to_the_dispatchers(fake, db_url, engine, crowd):
    settings = load_settings(telegram_bot_token=fake.token, telegram_base_url=fake.base_url, database_url=db_url,
                             _env_file=None)
    app = build_application(settings, clock=ManualClock(H7), read_timeout=2, run_jobs=False, role=UPDATES)
    await app.initialize()
    await app.start()
    try:
        assert (await dispatch(app)).claimed == 0  # as /ingatkan and «Ingatkan» call it there
    finally:
        await app.stop()
        await app.shutdown()
    assert Counter(r.status for r in outbox(engine)) == Counter({"pending": N})
    assert not fake.calls("sendMessage")
