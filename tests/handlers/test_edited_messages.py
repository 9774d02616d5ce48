"""An edited message is never an answer: editing an earlier reply during /lapor leaves every answer
as it was (it used to answer the question shown at that moment), and an edited command does not run."""

from decimal import Decimal

from sqlmodel import select

from bot.db import unit_of_work
from models import AksiRealisation
from models import KegiatanRealisation
from tests.support.harness import LEADER_ID
from tests.support.harness import LEADERSHIP_CHAT
from tests.support.harness import PIC_ID

KEGIATAN = "📝 Pendidikan dan Pelatihan Teknis"
IGNORED = "Pesan yang diubah tidak saya baca"


async def step(fake, *, text=None, press=None, edit=None, user=PIC_ID):
    """One thing the PIC does (a message, a tap, or an edit of `edit` = (earlier update, new text));
    returns (the update sent, the bot's replies joined)."""
    before = len(fake.messages_to(user))
    if text is not None:
        sent = fake.send_message(user, text)
    elif press is not None:
        sent = fake.press(user, press)
    else:
        sent = fake.edit_message(user, *edit)
    await fake.wait_idle()
    return sent, "\n---\n".join(m.get("text") or "" for m in fake.messages_to(user)[before:])


async def test_edits_during_lapor_answer_nothing(harness, fake, engine, small_plan):
    await step(fake, text="/lapor")
    await step(fake, press=KEGIATAN)
    first, text = await step(fake, text="50%")
    assert "Aksi 2/2" in text
    _, text = await step(fake, edit=(first, "45"))  # while «Aksi 2/2» is shown
    assert IGNORED in text and "✏️ Ubah" in text and "Aksi 2/2" not in text
    _, text = await step(fake, text="60")
    assert "Realisasi anggaran" in text  # the aksi 2 question was still open: 60 answered it
    budget, text = await step(fake, text="125jt")
    _, text = await step(fake, text="30")
    assert "Kendala" in text
    _, text = await step(fake, edit=(budget, "Hujan deras"))  # while Kendala is asked
    assert IGNORED in text
    kendala, text = await step(fake, text="Jadwal bergeser")
    assert "Tindak lanjut" in text
    _, text = await step(fake, edit=(kendala, "Jadwal ulang"))  # while Tindak lanjut is asked
    assert IGNORED in text
    _, text = await step(fake, text="Diklat lanjutan TW III")
    assert "Faktor pendorong" in text
    _, text = await step(fake, text="Dukungan narasumber")
    assert "Bukti dukung" in text
    await step(fake, press="Selesai")
    _, text = await step(fake, press="💾 Simpan")
    assert "Tersimpan ✅" in text
    with unit_of_work(engine) as session:
        kegiatan_id = small_plan["kegiatan"][0]
        aksi_ids = small_plan["aksi"][kegiatan_id]
        values = {r.aksi_id: r.value for r in session.exec(select(AksiRealisation))}
        row = session.exec(select(KegiatanRealisation).where(KegiatanRealisation.kegiatan_id == kegiatan_id)).one()
    assert values == {aksi_ids[0]: Decimal(50), aksi_ids[1]: Decimal(60)}
    assert (row.budget_realised, row.kendala, row.tindak_lanjut) == (125_000_000, "Jadwal bergeser",
                                                                      "Diklat lanjutan TW III")


async def test_an_edited_command_does_not_run(harness, fake, small_plan):
    sent, _ = await step(fake, text="/bantuan")
    _, text = await step(fake, edit=(sent, "/lapor"))
    assert IGNORED in text and "TW II 2020" not in text  # no list of kegiatan to report


async def test_edits_in_a_group_are_ignored_silently(harness, fake, small_plan):
    sent = fake.send_command(LEADER_ID, "/bantuan", chat_id=LEADERSHIP_CHAT)
    await fake.wait_idle()
    before = len(fake.messages_to(LEADERSHIP_CHAT))
    fake.edit_message(LEADER_ID, sent, "/ringkasan@rapk_test_bot")
    await fake.wait_idle()
    assert len(fake.messages_to(LEADERSHIP_CHAT)) == before
