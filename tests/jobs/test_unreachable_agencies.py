"""A person who blocks the bot concerns the admins of their own agencies only (and ADMIN_TELEGRAM_IDS):
bot.domain.outbox `person_unreachable` with two agencies."""

import pytest

from bot.db import unit_of_work
from models import PeriodLock
from tests.support.agencies import A_ADMIN
from tests.support.agencies import B_ADMIN
from tests.support.agencies import B_PIC
from tests.support.agencies import add_agency_b
from tests.support.harness import ADMIN_ID
from tests.support.harness import PIC_ID
from tests.support.harness import BotHarness
from tests.support.outbox_steps import BLOCKED_NOTICE
from tests.support.outbox_steps import H7
from tests.support.outbox_steps import texts
from tests.support.outbox_steps import tick_and_send


@pytest.fixture
async def two(fake, db_url, engine, small_plan):
    with unit_of_work(engine) as session:
        _, side_b = add_agency_b(session, fake, small_plan)
        session.add_all([PeriodLock(plan_id=small_plan["plan"], quarter=1),
                         PeriodLock(plan_id=side_b.ids["plan"], quarter=1)])
    harness = BotHarness(fake, db_url, now=H7)
    await harness.start()
    yield harness
    await harness.stop()


def notices(fake, chat_id: int) -> list[str]:
    return [t for t in texts(fake, chat_id) if BLOCKED_NOTICE in t]


async def test_a_blocked_pic_is_told_to_their_agencys_admins_and_the_operator_only(two, fake):
    fake.block(B_PIC)  # Zaki, PIC of B
    fake.block(PIC_ID)  # Budi, PIC of A
    result = await tick_and_send(two, H7)
    assert result.unreachable == 2
    [to_b] = notices(fake, B_ADMIN)
    assert "Zaki Imunisasi" in to_b
    [to_a] = notices(fake, A_ADMIN)
    assert "Budi Santoso" in to_a
    # The operator (ADMIN_TELEGRAM_IDS) hears of both; neither agency's admin of the other's PIC.
    assert sorted("Zaki" in t for t in notices(fake, ADMIN_ID)) == [False, True]
