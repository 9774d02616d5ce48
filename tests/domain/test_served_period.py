"""Which plan and quarter the bot serves (bot.domain.period): the reporting quarter's year wins.

THE January test: with the 2020 and 2021 plans loaded and the clock at 5 January 2021 (TW IV 2020's
reporting window: its deadline is 8 January), /lapor, /status, the reminders and /ringkasan all
work on TW IV 2020, not on the newer 2021 plan.
"""

from datetime import datetime

import pytest
from sqlmodel import select

from bot.config import load_settings
from bot.db import unit_of_work
from bot.domain.period import earlier_open_quarters
from bot.domain.period import served_period
from bot.domain.period import served_plans
from jobs.reminders import run_tick
from models import Reminder
from tests.support.harness import ADMIN_ID
from tests.support.harness import LEADER_ID
from tests.support.harness import LEADERSHIP_CHAT
from tests.support.harness import PIC_ID
from tests.support.harness import WIB
from tests.support.harness import BotHarness
from tests.support.two_years import load_two_years

JANUARY = datetime(2021, 1, 5, 9, 0, tzinfo=WIB)
DEADLINE_DAY = datetime(2021, 1, 8, 8, 0, tzinfo=WIB)  # TW IV 2020's last call


@pytest.fixture
async def january(fake, db_url, engine):
    plans = load_two_years(engine)
    bot = BotHarness(fake, db_url, now=JANUARY)
    await bot.start()
    yield bot, plans
    await bot.stop()


async def said(fake, user: int, command: str, chat: int | None = None) -> str:
    chat = chat or user
    before = len(fake.messages_to(chat))
    fake.send_command(user, command, chat_id=None if chat == user else chat)
    await fake.wait_idle(timeout=30)
    return "\n---\n".join(m.get("text") or m.get("caption") or "" for m in fake.messages_to(chat)[before:])


def reminder_periods(engine) -> set[tuple[int, int]]:
    with unit_of_work(engine) as session:
        return {(r.plan_id, r.quarter) for r in session.exec(select(Reminder))}


async def test_in_january_everyone_works_on_tw_iv_of_last_year(january, fake, engine):
    bot, plans = january
    text = await said(fake, PIC_ID, "/lapor")
    assert "Laporan TW IV 2020" in text and "8 Januari 2021" in text and "TW IV 2021" not in text
    text = await said(fake, PIC_ID, "/status")
    assert "Status laporan TW IV 2020" in text and "TW I 2021" not in text and "TW IV 2021" not in text

    # Reminders: the admin's /ingatkan now, then the tick's last call on the deadline day.
    text = await said(fake, ADMIN_ID, "/ingatkan")
    assert "Terkirim: 1" in text
    assert reminder_periods(engine) == {(plans[2020], 4)}
    bot.clock.set(DEADLINE_DAY)
    await run_tick(bot.app)
    with unit_of_work(engine) as session:
        kinds = {(r.plan_id, r.quarter, r.kind) for r in session.exec(select(Reminder))}
    assert (plans[2020], 4, "deadline") in kinds and {(p, q) for p, q, _ in kinds} == {(plans[2020], 4)}

    bot.clock.set(JANUARY)
    text = await said(fake, LEADER_ID, "/ringkasan", LEADERSHIP_CHAT)
    assert text.startswith("📊 Capaian TW IV 2020") and "Capaian RAPK TW IV 2020" in text


def test_the_served_period_rules(engine):
    plans = load_two_years(engine)
    settings = load_settings(_env_file=None)
    with unit_of_work(engine) as session:
        def served(now, **pin):
            period = served_period(session=session, settings=settings.model_copy(update=pin), now=now)
            return period.plan.id, period.quarter, period.live

        # January: TW IV of last year; the quarter before it is still chased while open (locked here).
        assert served(JANUARY) == (plans[2020], 4, True)
        assert [(p.plan.id, p.quarter) for p in served_plans(session=session, settings=settings, now=JANUARY)] == [
            (plans[2020], 4), (plans[2020], 3)]
        assert earlier_open_quarters(served_period(session=session, settings=settings, now=JANUARY),
                                     session=session) == []
        # TW I 2021's window opens on its first reminder day (24 March).
        assert served(datetime(2021, 3, 23, 23, 0, tzinfo=WIB)) == (plans[2020], 4, True)
        assert served(datetime(2021, 3, 24, 0, 0, tzinfo=WIB)) == (plans[2021], 1, True)
        # PLAN_YEAR pins the plan: an earlier year serves its TW IV, a later one its TW I.
        assert served(datetime(2021, 8, 1, tzinfo=WIB), plan_year=2020) == (plans[2020], 4, False)
        assert served(JANUARY, plan_year=2021) == (plans[2021], 1, False)
        # No plan of the reporting year: the newest plan, at its nearest quarter.
        assert served(datetime(2023, 8, 1, tzinfo=WIB)) == (plans[2021], 4, False)
        assert served(datetime(2019, 8, 1, tzinfo=WIB)) == (plans[2020], 1, False)
