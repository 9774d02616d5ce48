"""/lapor takes an answer only for the question the PIC was last sent: failed sends, restarts, old buttons."""

from decimal import Decimal

from sqlmodel import select

from bot.db import unit_of_work
from models import AksiRealisation
from tests.support.harness import PIC_ID
from tests.support.harness import said as said_by

KEGIATAN = "📝 Pendidikan dan Pelatihan Teknis"


async def said(fake, text=None, press=None):
    return await said_by(fake, PIC_ID, text, press)


async def save_rest(fake) -> str:
    assert "Indikator" in await said(fake, text="125jt")
    for label in ("Lewati", "Tidak ada catatan", "Selesai"):
        await said(fake, press=label)
    return await said(fake, press="💾 Simpan")


def aksi_values(engine, small_plan):
    with unit_of_work(engine) as session:
        rows = {r.aksi_id: r.value for r in session.exec(select(AksiRealisation).where(AksiRealisation.quarter == 2))}
    return [rows.get(a) for a in small_plan["aksi"][small_plan["kegiatan"][0]]]


async def test_a_question_that_failed_to_send_is_asked_again_not_answered(harness, fake, engine, small_plan):
    await said(fake, text="/lapor")
    await said(fake, press=KEGIATAN)
    fake.fail_next("sendMessage", "500", chat_id=PIC_ID)  # «Aksi 2/2» never reaches the PIC
    text = await said(fake, text="40")
    assert "Aksi 2/2" not in text and "Maaf" in text
    # The PIC, seeing no next question, types the value again: it is not taken for aksi 2.
    text = await said(fake, text="40")
    assert "belum sempat terkirim" in text and "Aksi 2/2" in text
    assert "Realisasi anggaran" in await said(fake, text="60")
    assert "Tersimpan ✅" in await save_rest(fake)
    assert aksi_values(engine, small_plan) == [Decimal(40), Decimal(60), None]


async def test_after_a_restart_the_unsent_question_is_asked_again(harness, fake, engine, small_plan):
    await said(fake, text="/lapor")
    await said(fake, press=KEGIATAN)
    fake.fail_next("sendMessage", "500", chat_id=PIC_ID)
    await said(fake, text="40")
    await harness.restart()
    last = fake.last_message_to(PIC_ID)["text"]
    assert "Bot baru saja dimulai ulang; pertanyaan terakhir" in last and "Aksi 2/2" in last
    assert "Realisasi anggaran" in await said(fake, text="60")
    assert "Tersimpan ✅" in await save_rest(fake)
    assert aksi_values(engine, small_plan) == [Decimal(40), Decimal(60), None]


async def test_a_button_of_an_earlier_question_does_not_answer_the_current_one(harness, fake, engine, small_plan):
    await said(fake, text="/lapor")
    await said(fake, press=KEGIATAN)
    first = next(m for m in fake.messages_to(PIC_ID) if "Aksi 1/2" in (m.get("text") or ""))
    await said(fake, text="40")  # typed, so aksi 1's buttons are still on its message
    zero = next(b["callback_data"] for row in first["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "0")
    fake.press_button(PIC_ID, first, zero)
    await fake.wait_idle()
    alerts = [c.params.get("text") or "" for c in fake.calls("answerCallbackQuery")]
    assert "Tombol ini untuk pertanyaan sebelumnya" in alerts[-1]
    assert "Aksi 2/2" in fake.last_message_to(PIC_ID)["text"]  # still the current question
    assert "Realisasi anggaran" in await said(fake, text="60")
    assert "Tersimpan ✅" in await save_rest(fake)
    assert aksi_values(engine, small_plan) == [Decimal(40), Decimal(60), None]


async def test_answers_typed_before_the_question_came_are_not_taken(harness, fake, engine, small_plan):
    await said(fake, text="/lapor")
    await said(fake, press=KEGIATAN)
    # Three answers typed in a row, before the bot could ask again (a slow network, a bot that was down):
    # the first answers «Aksi 1/2»; the other two were typed before «Aksi 2/2» existed.
    for value in ("40", "41", "42"):
        fake.send_message(PIC_ID, value)
    await fake.wait_idle()
    texts = [m.get("text") or "" for m in fake.messages_to(PIC_ID)]
    assert sum("belum dicatat" in t for t in texts) == 1  # one note, not one per stale answer
    assert sum("Aksi 2/2" in t for t in texts) == 1
    assert "Realisasi anggaran" in await said(fake, text="60")
    assert "Tersimpan ✅" in await save_rest(fake)
    assert aksi_values(engine, small_plan) == [Decimal(40), Decimal(60), None]


async def test_a_press_on_a_slow_network_costs_two_round_trips_and_closes_its_question_first(harness, fake, small_plan):
    """A phone in the kabupaten on a slow network: the press is answered and its question closed at the same time
    (one round trip, not two), and the next question goes out only once the old one has lost its buttons."""
    await said(fake, text="/lapor")
    await said(fake, press=KEGIATAN)
    assert "Aksi 2/2" in await said(fake, text="40")
    trip = 0.5
    fake.set_latency(trip)  # every request answered half a second after it arrives
    since = len(fake.calls())
    assert "Realisasi anggaran" in await said(fake, press="0")
    calls = fake.calls()[since:]
    answered = next(c for c in calls if c.method == "answerCallbackQuery")
    closed = next(c for c in calls if c.method == "editMessageText")
    asked = next(c for c in calls if c.method == "sendMessage")
    assert abs(closed.time - answered.time) < trip / 2  # sent together, not one after the other's answer
    assert "➡️ <b>0</b>" in closed.params["text"]
    assert asked.time >= closed.time + trip * 0.9  # sent once the edit was answered
    fake.set_latency(0)
