"""/target and /riwayat end to end: browse, unit check, reason, confirm; the PIC is told; history and digest."""

from decimal import Decimal

from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.digest import kegiatan_detail
from jobs.reminders import dispatch
from models import AksiTarget
from models import AuditLog
from models import KegiatanIndicator
from models import Person
from tests.support.admin_steps import act
from tests.support.admin_steps import alerts
from tests.support.admin_steps import snapshot
from tests.support.harness import ADMIN_ID
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID

PROGRAM = "Program Pendidikan dan Pelatihan ASN"
KEGIATAN = "Pendidikan dan Pelatihan Teknis"


async def open_aksi(fake, aksi_label: str) -> str:
    await act(fake, text="/target")
    await act(fake, press=PROGRAM)
    await act(fake, press=KEGIATAN)
    return await act(fake, press=aksi_label)


def target_row(engine, aksi_id: int, quarter: int) -> AksiTarget:
    with unit_of_work(engine) as session:
        return session.exec(select(AksiTarget).where(AksiTarget.aksi_id == aksi_id,
                                                     AksiTarget.quarter == quarter)).one()


async def test_target_change_is_checked_confirmed_audited_and_told(harness, fake, engine, small_plan):
    aksi_id = small_plan["aksi"][small_plan["kegiatan"][0]][1]
    text = await open_aksi(fake, "Aksi 2. Pendataan")
    assert "TW II: 60" in text and "TW III: 157" in text
    text = await act(fake, press="TW II: 60")
    assert "saat ini: <b>60</b>" not in text and "saat ini: 60" in text and "Ketik target baru" in text
    text = await act(fake, text="delapan puluh")
    assert "bukan target berupa angka" in text
    text = await act(fake, text="80")
    assert "Target baru: 80" in text and "alasan" in text
    text = await act(fake, text="Revisi DPA: kuota peserta bertambah")
    assert "Simpan perubahan target?" in text and "60 → 80" in text and "Budi Santoso" in text
    assert target_row(engine, aksi_id, 2).raw == "60"  # nothing stored before Simpan
    mark = fake.mark()
    text = await act(fake, press="💾 Simpan")
    assert "Tersimpan ✅" in text and "60 → 80" in text
    row = target_row(engine, aksi_id, 2)
    assert (row.raw, row.value, row.kind) == ("80", Decimal(80), "count")
    notice = await fake.wait_for_message(PIC_ID, contains="Target diubah oleh admin", since=mark)
    assert "60 → 80" in notice["text"] and "kuota peserta bertambah" in notice["text"]
    assert not [m for m in fake.messages_to(PIC2_ID) if "Target diubah" in (m.get("text") or "")]
    with unit_of_work(engine) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.action == "target.update")).one()
        assert (audit.entity, audit.entity_id, audit.old_value, audit.new_value) == ("aksi_target", row.id, "60", "80")
        assert audit.reason == "Revisi DPA: kuota peserta bertambah" and audit.actor_telegram_id == ADMIN_ID
        # The next digest compares with the new target.
        detail = kegiatan_detail(small_plan["kegiatan"][0], 2, session=session)
    aksi = next(a for a in detail.numbers["aksi"] if a["no"] == 2)
    assert aksi["target_to_date"] == Decimal(80)

    text = await act(fake, press="📜 Riwayat")
    assert "Riwayat: 2. Pendataan Peserta Kegiatan dan koordinasi" in text
    assert "target TW II: 60 → 80" in text and "alasan: Revisi DPA" in text and "23 Juni 2020 09.00" in text


async def test_pic_report_after_target_change_is_scored_against_it(harness, fake, engine, small_plan):
    await open_aksi(fake, "Aksi 2. Pendataan")
    await act(fake, press="TW II: 60")
    await act(fake, text="120")
    await act(fake, text="Tambahan peserta")
    await act(fake, press="💾 Simpan")
    await act(fake, PIC_ID, text="/lapor")
    await act(fake, PIC_ID, press="📝 Pendidikan dan Pelatihan Teknis")
    await act(fake, PIC_ID, text="50%")
    text = await act(fake, PIC_ID, text="130")
    assert "Realisasi anggaran" in text  # no «more than twice the target» question: 130 of 120, not of 60
    for step in ({"text": "125jt"}, {"text": "30"}, {"press": "Tidak ada catatan"},
                 {"press": "Selesai"}, {"press": "💾 Simpan"}):
        text = await act(fake, PIC_ID, **step)
    assert "Tersimpan ✅" in text
    with unit_of_work(engine) as session:
        detail = kegiatan_detail(small_plan["kegiatan"][0], 2, session=session)
    aksi = next(a for a in detail.numbers["aksi"] if a["no"] == 2)
    assert (aksi["target_to_date"], aksi["real_to_date"]) == (Decimal(120), Decimal(130))
    assert "120 → 130" in detail.text


async def test_indicator_target_and_percent_rules(harness, fake, engine, small_plan):
    await act(fake, text="/target")
    await act(fake, press=PROGRAM)
    await act(fake, press="Pendidikan Penjurangan Struktural")
    text = await act(fake, press="Indikator 1. Jumlah peserta diklat")
    assert "Target tahunan indikator saat ini: 30 Orang" in text and "80 Orang" in text
    await act(fake, text="35 orang")  # the same unit, another case
    await act(fake, text="Tambahan angkatan")
    text = await act(fake, press="💾 Simpan")
    assert "30 Orang → <b>35 orang</b>" not in text and "30 Orang → 35 orang" in text
    with unit_of_work(engine) as session:
        indicator = session.exec(select(KegiatanIndicator).where(
            KegiatanIndicator.kegiatan_id == small_plan["kegiatan"][1])).one()
        assert (indicator.target_raw, indicator.target_value, indicator.target_unit) == \
            ("35 orang", Decimal(35), "orang")
    assert (await fake.wait_for_message(PIC2_ID, contains="Target diubah"))

    await act(fake, text="/target")
    await act(fake, press=PROGRAM)
    await act(fake, press="Pendidikan Penjurangan Struktural")
    await act(fake, press="Aksi 2. Pelaksanaan")
    await act(fake, press="TW II: 50%")
    text = await act(fake, text="150%")
    assert "paling banyak 100%" in text and "tanpa tanda persen, misalnya 150" in text
    text = await act(fake, text="-")  # no target this quarter: nothing reported yet, so allowed
    assert "Target baru: -" in text
    text = await act(fake, text="/batal")
    assert "Dibatalkan" in text
    assert target_row(engine, small_plan["aksi"][small_plan["kegiatan"][1]][1], 2).raw == "50%"


async def test_empty_cell_takes_any_unit_and_restart_resumes(harness, fake, engine, small_plan):
    aksi_id = small_plan["aksi"][small_plan["kegiatan"][0]][2]
    await open_aksi(fake, "Aksi 3. Evaluasi")
    text = await act(fake, press="TW II: –")
    assert "saat ini: –" in text
    await act(fake, text="2 dokumen")
    await harness.restart()
    text = await act(fake, text="Evaluasi tengah tahun")
    assert "Simpan perubahan target?" in text
    await act(fake, press="💾 Simpan")
    row = target_row(engine, aksi_id, 2)
    assert (row.raw, row.value, row.unit, row.kind) == ("2 dokumen", Decimal(2), "dokumen", "count")


async def test_hint_stale_and_double_save(harness, fake, engine, small_plan):
    await open_aksi(fake, "Aksi 1. Persiapan")
    await act(fake, press="TW II: 50%")
    fake.send_photo(ADMIN_ID, b"\x89PNG\r\n\x1a\n")  # a photo where the value goes
    await fake.wait_idle()
    assert "Saya menunggu target baru" in fake.last_message_to(ADMIN_ID)["text"]
    await act(fake, text="60%")
    await act(fake, text="Perubahan jadwal")
    card, = [m for m in fake.messages_to(ADMIN_ID) if "Simpan perubahan" in (m.get("text") or "")]
    save = next(b for row in card["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "💾 Simpan")
    fake.press_button(ADMIN_ID, card, save["callback_data"])
    fake.press_button(ADMIN_ID, card, save["callback_data"])
    await fake.wait_idle()
    with unit_of_work(engine) as session:
        assert len(session.exec(select(AuditLog).where(AuditLog.action == "target.update")).all()) == 1
    assert "Tombol ini sudah tidak berlaku. Ulangi perintahnya." in alerts(fake)
    assert sum("Tersimpan ✅" in (m.get("text") or "") for m in fake.messages_to(ADMIN_ID)) == 1


async def test_blocked_pic_is_marked_unreachable_and_admin_told(harness, fake, engine, small_plan):
    """The one 403 rule, for a notice as for a reminder: the PIC is marked and every admin told once."""
    fake.block(PIC_ID)
    await open_aksi(fake, "Aksi 2. Pendataan")
    await act(fake, press="TW II: 60")
    await act(fake, text="70")
    await act(fake, text="Koreksi")
    before = snapshot(engine)["auditlog"]
    text = await act(fake, press="💾 Simpan")
    assert "Tersimpan ✅" in text and "tidak terkirim kepada: Budi Santoso" in text
    with unit_of_work(engine) as session:
        assert session.get(Person, small_plan["budi"]).unreachable_at is not None
    assert len(snapshot(engine)["auditlog"]) == len(before) + 2  # the change and the 403
    await dispatch(harness.app)  # the admin notice is an outbox row
    told = [m["text"] for m in fake.messages_to(ADMIN_ID) if "tidak bisa dihubungi bot" in (m.get("text") or "")]
    assert len(told) == 1 and "Budi Santoso" in told[0]
