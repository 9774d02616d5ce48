"""The verifiers' reminder: their queue waited VERIFIER_REMINDER_WORKING_DAYS working days, or it is the
deadline day; once a day per chat, sent by the dispatcher like the late list."""

from datetime import datetime
from decimal import Decimal

from bot.db import unit_of_work
from bot.domain.reporting import Submission
from bot.domain.reporting import save_report
from models import Person
from tests.support.harness import ADMIN_ID
from tests.support.harness import WIB
from tests.support.outbox_steps import tick_and_send

VERA = 4001
SUBMITTED = datetime(2020, 6, 23, 9, 0, tzinfo=WIB)  # Tuesday


def verifier_messages(fake, chat: int) -> list[str]:
    return [m["text"] for m in fake.messages_to(chat) if "menunggu verifikasi" in m.get("text", "")]


async def test_verifiers_hear_of_a_queue_that_waited_two_working_days_once_a_day(harness, fake, engine, small_plan):
    fake.add_user(VERA, "Vera")
    k1 = small_plan["kegiatan"][0]
    with unit_of_work(engine) as session:
        session.add(Person(name="Vera Verifikator", telegram_user_id=VERA, is_verifier=True))
        aksi = small_plan["aksi"][k1][0]
        save_report(Submission(kegiatan_id=k1, quarter=2, aksi_values={aksi: (Decimal(50), "50")}),
                    session=session, person_id=small_plan["budi"], actor_label="Budi", now=SUBMITTED, late=False)
    # Wednesday: one working day. Thursday 25 June 08:00: two working days, the reminder is due.
    await tick_and_send(harness, datetime(2020, 6, 24, 8, 0, tzinfo=WIB))
    assert verifier_messages(fake, VERA) == []
    await tick_and_send(harness, datetime(2020, 6, 25, 8, 0, tzinfo=WIB))
    await tick_and_send(harness, datetime(2020, 6, 25, 15, 0, tzinfo=WIB))  # the same day again: nothing new
    expected = ["🔎 1 laporan menunggu verifikasi (1 program), yang terlama sejak 23 Juni 2020. "
                "Ketik /verifikasi untuk memeriksanya."]
    assert verifier_messages(fake, VERA) == expected
    assert verifier_messages(fake, ADMIN_ID) == expected  # admins verify by default
