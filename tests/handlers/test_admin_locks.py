"""/kunci and /buka end to end: PICs are told, a locked quarter refuses the PIC's change, unlock reopens it."""

from datetime import datetime
from decimal import Decimal

from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.reporting import Submission
from bot.domain.reporting import save_report
from models import AksiRealisation
from models import AuditLog
from models import PeriodLock
from models import Person
from tests.support.admin_steps import act
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import WIB

KEGIATAN = "Pendidikan dan Pelatihan Teknis"


def reported(engine, small_plan) -> None:
    """Budi has reported aksi 1 of TW II as 50%."""
    kegiatan_id = small_plan["kegiatan"][0]
    aksi_id = small_plan["aksi"][kegiatan_id][0]
    with unit_of_work(engine) as session:
        save_report(Submission(kegiatan_id, 2, aksi_values={aksi_id: (Decimal(50), "50%")}, budget_realised=0),
                    session=session, person_id=small_plan["budi"], actor_label="Budi Santoso",
                    now=datetime(2020, 6, 22, 10, tzinfo=WIB), late=False)


def value_of(engine, small_plan) -> Decimal:
    aksi_id = small_plan["aksi"][small_plan["kegiatan"][0]][0]
    with unit_of_work(engine) as session:
        return session.exec(select(AksiRealisation.value).where(AksiRealisation.aksi_id == aksi_id)).one()


def locks(engine) -> list[tuple]:
    with unit_of_work(engine) as session:
        return [(lock.quarter, lock.kegiatan_id) for lock in session.exec(select(PeriodLock)).all()]


async def test_lock_refuses_the_pic_and_unlock_reopens(harness, fake, engine, small_plan):
    reported(engine, small_plan)
    # Budi is changing his value when the admin locks the quarter.
    await act(fake, PIC_ID, text="/lapor")
    await act(fake, PIC_ID, press=f"📝 {KEGIATAN}")
    await act(fake, PIC_ID, press="✏️ Ubah")
    await act(fake, PIC_ID, press="Aksi 1.")
    text = await act(fake, PIC_ID, text="75")
    assert "Ringkasan laporan" in text
    text = await act(fake, text="/kunci 2")
    assert "Kunci TW II 2020" in text and "Saat ini: terbuka." in text
    text = await act(fake, press="🔒 Kunci seluruh rencana")
    assert "TW II 2020 dikunci untuk seluruh rencana" in text and "Budi Santoso, Sari Dewi" in text
    for pic, kegiatan in ((PIC_ID, KEGIATAN), (PIC2_ID, "Pendidikan Penjurangan Struktural")):
        notice = fake.last_message_to(pic)["text"]
        assert "Laporan TW II 2020 dikunci" in notice and kegiatan in notice
    assert locks(engine) == [(2, None)]

    text = await act(fake, PIC_ID, press="💾 Simpan")
    assert "dikunci" in text and "Tersimpan" not in text
    assert value_of(engine, small_plan) == Decimal(50)
    await act(fake, PIC_ID, text="/lapor")
    text = await act(fake, PIC_ID, press=f"🔒 {KEGIATAN}")
    assert "sudah dikunci" in text

    text = await act(fake, text="/buka TW II")
    assert "Saat ini: terkunci untuk seluruh rencana." in text
    text = await act(fake, press="🔓 Buka seluruh rencana")
    assert "TW II 2020 dibuka untuk seluruh rencana" in text
    assert "dibuka kembali" in fake.last_message_to(PIC_ID)["text"]
    assert locks(engine) == []
    await act(fake, PIC_ID, text="/lapor")
    await act(fake, PIC_ID, press=f"📝 {KEGIATAN}")
    await act(fake, PIC_ID, press="✏️ Ubah")
    await act(fake, PIC_ID, press="Aksi 1.")
    await act(fake, PIC_ID, text="75")
    text = await act(fake, PIC_ID, press="💾 Simpan")
    assert "Tersimpan ✅" in text
    assert value_of(engine, small_plan) == Decimal(75)
    with unit_of_work(engine) as session:
        actions = [a.action for a in session.exec(select(AuditLog).where(AuditLog.action.like("period.%")))]
    assert actions == ["period.lock", "period.unlock"]


async def test_one_kegiatan_lock_is_idempotent(harness, fake, engine, small_plan):
    sari_kegiatan = small_plan["kegiatan"][1]
    text = await act(fake, text="/kunci 2 2")  # by document number
    assert "dikunci untuk Pendidikan Penjurangan Struktural" in text and "Sari Dewi" in text
    assert "dikunci" in fake.last_message_to(PIC2_ID)["text"]
    assert not any("dikunci" in (m.get("text") or "") for m in fake.messages_to(PIC_ID))
    sent = len(fake.messages_to(PIC2_ID))
    text = await act(fake, text="/kunci 2 penjurangan")
    assert "sudah terkunci" in text and "tidak ada yang diubah" in text
    assert len(fake.messages_to(PIC2_ID)) == sent  # nobody told twice
    assert locks(engine) == [(2, sari_kegiatan)]
    await act(fake, PIC_ID, text="/lapor")  # Budi's kegiatan is still open
    assert "📝 Pendidikan dan Pelatihan Teknis" in str(fake.last_message_to(PIC_ID)["reply_markup"])

    text = await act(fake, text="/kunci 2")
    assert "terkunci untuk 1 kegiatan" in text and "• Pendidikan Penjurangan Struktural" in text
    await act(fake, press="🔒 Kunci seluruh rencana")
    assert "Memberi tahu PIC: Budi Santoso." in fake.last_message_to(1001)["text"]  # Sari already knew
    text = await act(fake, text="/buka 2 2")
    assert "dikunci untuk seluruh rencana, jadi satu kegiatan tidak dapat dibuka sendiri" in text
    await act(fake, text="/buka 2")
    await act(fake, press="🔓 Buka seluruh rencana")
    assert locks(engine) == []
    text = await act(fake, text="/buka 2 2")
    assert "memang belum dikunci" in text
    with unit_of_work(engine) as session:
        assert len(session.exec(select(AuditLog).where(AuditLog.action.like("period.%"))).all()) == 4


async def test_pick_one_kegiatan_with_buttons_and_usage(harness, fake, engine, small_plan):
    text = await act(fake, text="/kunci")
    assert "Sebutkan triwulannya" in text
    text = await act(fake, text="/kunci 5")
    assert "Sebutkan triwulannya" in text
    await act(fake, text="/kunci III")
    await act(fake, press="Pilih satu kegiatan")
    await act(fake, press="Program Pendidikan")
    text = await act(fake, press=KEGIATAN)
    assert "TW III 2020 dikunci untuk Pendidikan dan Pelatihan Teknis" in text
    assert locks(engine) == [(3, small_plan["kegiatan"][0])]
    text = await act(fake, text="/kunci 2 tidak ada")
    assert "Tidak ada kegiatan yang cocok" in text


async def test_blocked_pic_does_not_stop_the_others(harness, fake, engine, small_plan):
    fake.block(PIC2_ID)
    await act(fake, text="/kunci 2")
    text = await act(fake, press="🔒 Kunci seluruh rencana")
    assert "tidak terkirim kepada: Sari Dewi" in text
    assert "dikunci" in fake.last_message_to(PIC_ID)["text"]
    with unit_of_work(engine) as session:
        assert session.get(Person, small_plan["sari"]).unreachable_at is not None
    await act(fake, text="/buka 2")
    text = await act(fake, press="🔓 Buka seluruh rencana")
    assert "Memberi tahu PIC: Budi Santoso." in text and "tidak terkirim" not in text  # Sari is skipped now
