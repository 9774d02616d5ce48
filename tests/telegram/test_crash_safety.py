"""A kill -9 at the worst moments of /lapor: no confirmed value differs from what the PIC answered.

The bot runs in its own process (tests.support.botproc) against the fake Telegram in this one;
the fake holds a chosen request of the bot's so the kill lands exactly where the test says.
"""

from decimal import Decimal

import pytest
from sqlmodel import select

from bot.db import unit_of_work
from models import AksiRealisation
from models import KegiatanRealisation
from tests.support.botproc import BotProcess
from tests.support.harness import ADMIN_ID
from tests.support.harness import LEADERSHIP_CHAT
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import WIB

KEGIATAN = "📝 Pendidikan dan Pelatihan Teknis"
SARI_KEGIATAN = "📝 Pendidikan Penjurangan Struktural"


@pytest.fixture
async def bot(fake, db_url, small_plan, tmp_path):
    from datetime import datetime

    process = BotProcess(fake, db_url, now=datetime(2020, 6, 23, 9, 0, tzinfo=WIB), log_path=tmp_path / "bot.log",
                         ADMIN_TELEGRAM_IDS=ADMIN_ID, LEADERSHIP_CHAT_ID=LEADERSHIP_CHAT,
                         RAPK_TEST_TIMEOUT=20)  # a held request stays held until the kill, however slow the machine
    await process.start()
    yield process
    process.kill()  # nothing to flush: a graceful stop would wait out a held request's 20 s


async def step(fake, user, *, text=None, press=None, expect: str) -> str:
    """The PIC types or taps; wait for the bot's message containing `expect`."""
    mark = len(fake.messages_to(user))
    if text is not None:
        fake.send_command(user, text) if text.startswith("/") else fake.send_message(user, text)
    else:
        fake.press(user, press)
    try:
        await fake.wait_for(lambda: any(expect in (m.get("text") or "") for m in fake.messages_to(user)[mark:]), 30)
    except AssertionError:
        raise AssertionError(f"no message with {expect!r}; the conversation:\n{fake.transcript()[-3000:]}") from None
    return "\n".join(m.get("text") or "" for m in fake.messages_to(user)[mark:])


async def finish_and_save(fake, user=PIC_ID) -> None:
    await step(fake, user, press="Lewati", expect="Kendala")
    await step(fake, user, press="Tidak ada catatan", expect="Bukti dukung")
    await step(fake, user, press="Selesai", expect="Simpan")
    await step(fake, user, press="💾 Simpan", expect="Tersimpan ✅")


def stored(engine, small_plan, kegiatan_index=0):
    with unit_of_work(engine) as session:
        kegiatan_id = small_plan["kegiatan"][kegiatan_index]
        rows = {r.aksi_id: r.value for r in session.exec(select(AksiRealisation).where(AksiRealisation.quarter == 2))}
        budget = session.exec(select(KegiatanRealisation.budget_realised).where(
            KegiatanRealisation.kegiatan_id == kegiatan_id, KegiatanRealisation.quarter == 2)).first()
        return [rows.get(a) for a in small_plan["aksi"][kegiatan_id]], budget


async def test_kill_after_the_next_question_went_out_asks_it_again(bot, fake, engine, small_plan):
    await step(fake, PIC_ID, text="/lapor", expect="TW II 2020")
    await step(fake, PIC_ID, press=KEGIATAN, expect="Aksi 1/2")
    # Telegram delivers «Aksi 2/2» but the bot never hears back: it is killed before it can note anything.
    fake.fail_next("sendMessage", "timeout_after_delivery", chat_id=PIC_ID)
    await step(fake, PIC_ID, text="40", expect="Aksi 2/2")
    bot.kill()
    await bot.start()
    last = fake.last_message_to(PIC_ID)["text"]
    assert "Bot baru saja dimulai ulang; pertanyaan terakhir" in last and "Aksi 2/2" in last, fake.transcript()[-3000:]
    await step(fake, PIC_ID, text="60", expect="Realisasi anggaran")
    await step(fake, PIC_ID, text="125jt", expect="Indikator")
    await finish_and_save(fake)
    assert stored(engine, small_plan) == ([Decimal(40), Decimal(60), None], 125_000_000)


async def test_kill_between_fetching_and_handling_loses_no_answer(bot, fake, engine, small_plan):
    await step(fake, PIC_ID, text="/lapor", expect="TW II 2020")
    await step(fake, PIC_ID, press=KEGIATAN, expect="Aksi 1/2")
    await step(fake, PIC_ID, text="40", expect="Aksi 2/2")
    # The press reaches the bot and Telegram is told it arrived; the bot dies before handling it.
    answers = len(fake.calls("answerCallbackQuery"))
    fake.fail_next("answerCallbackQuery", "timeout_after_delivery")
    fake.press(PIC_ID, "🎯 Sesuai target")
    await fake.wait_for(lambda: len(fake.calls("answerCallbackQuery")) > answers and not fake.pending_updates, 20)
    bot.kill()
    assert not fake.pending_updates  # Telegram will not send it again: only the bot's inbox has it
    await bot.start()
    await fake.wait_for_message(PIC_ID, contains="Realisasi anggaran", timeout=20)
    await step(fake, PIC_ID, text="125jt", expect="Indikator")
    await finish_and_save(fake)
    assert stored(engine, small_plan) == ([Decimal(40), Decimal(60), None], 125_000_000)


async def test_two_pics_interleaved_around_a_kill(bot, fake, engine, small_plan):
    for user, kegiatan in ((PIC_ID, KEGIATAN), (PIC2_ID, SARI_KEGIATAN)):
        await step(fake, user, text="/lapor", expect="TW II 2020")
        await step(fake, user, press=kegiatan, expect="Aksi 1/")
    # Sari's TW I was never reported: her first question is its late work (tunggakan TW I), left for later.
    await step(fake, PIC2_ID, press="Lewati", expect="Aksi 2/2")
    await step(fake, PIC_ID, text="40", expect="Aksi 2/2")
    # Budi's next question is held in flight while Sari's answer is handled and written.
    fake.fail_next("sendMessage", "timeout_after_delivery", chat_id=PIC_ID)
    await step(fake, PIC_ID, text="60", expect="Realisasi anggaran")
    await step(fake, PIC2_ID, text="7", expect="Realisasi anggaran")
    bot.kill()
    await bot.start()
    assert "pertanyaan terakhir" in fake.last_message_to(PIC_ID)["text"]
    await step(fake, PIC_ID, text="125jt", expect="Indikator")
    await finish_and_save(fake)
    await step(fake, PIC2_ID, text="5jt", expect="Indikator")
    await finish_and_save(fake, PIC2_ID)
    assert stored(engine, small_plan) == ([Decimal(40), Decimal(60), None], 125_000_000)
    assert stored(engine, small_plan, kegiatan_index=1) == ([None, Decimal(7)], 5_000_000)
