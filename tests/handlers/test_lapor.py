"""/lapor end to end: the PIC's whole report through the real bot and the fake Telegram."""

from datetime import datetime
from decimal import Decimal

from sqlmodel import select

from bot.db import unit_of_work
from models import AksiRealisation
from models import AuditLog
from models import Evidence
from models import KegiatanRealisation
from models import PeriodLock
from tests.support.harness import OTHER_GROUP
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import WIB
from tests.support.harness import forge_press

KEGIATAN = "📝 Pendidikan dan Pelatihan Teknis"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")


async def said(fake, user=PIC_ID, text=None, press=None, photo=None):
    """The PIC does one thing; return the bot's messages that followed."""
    before = len(fake.messages_to(user))
    if text is not None:
        fake.send_message(user, text) if not text.startswith("/") else fake.send_command(user, text)
    elif press is not None:
        fake.press(user, press)
    elif photo is not None:
        fake.send_photo(user, photo)
    await fake.wait_idle()
    return "\n---\n".join(m.get("text") or m.get("caption") or "" for m in fake.messages_to(user)[before:])


def stored(engine, small_plan, kegiatan_index=0):
    with unit_of_work(engine) as session:
        kegiatan_id = small_plan["kegiatan"][kegiatan_index]
        aksi_ids = small_plan["aksi"][kegiatan_id]
        aksi = {r.aksi_id: r for r in session.exec(select(AksiRealisation).where(AksiRealisation.quarter == 2)).all()
                if r.aksi_id in aksi_ids}
        keg = session.exec(select(KegiatanRealisation).where(KegiatanRealisation.kegiatan_id == kegiatan_id,
                                                             KegiatanRealisation.quarter == 2)).first()
        return [aksi.get(a) for a in aksi_ids], keg


async def report_fully(fake):
    """The happy path, with one typo the bot catches."""
    text = await said(fake, text="/lapor")
    assert "TW II 2020" in text and "7 Juli 2020" in text and "0 dari 2 aksi" in text
    text = await said(fake, press=KEGIATAN)
    assert "Aksi 1/2" in text and "50%" in text
    text = await said(fake, text="lima puluh")
    assert "bukan angka" in text and "Aksi 1/2" in text  # the same question again
    text = await said(fake, text="50%")
    # Asked in the aksi's mode (a count, increment), rendered, not raw HTML.
    assert "Aksi 2/2" in text and "Realisasi TW II saja (target TW II: 60; s.d. TW II: 60)" in text and "<b>" not in text
    text = await said(fake, press="🎯 Sesuai target")
    assert "Realisasi anggaran" in text and "Rp1.018.175.000" in text
    text = await said(fake, text="125jt")
    assert "Indikator kegiatan 1/1" in text
    text = await said(fake, text="30")
    assert "Kendala" in text
    text = await said(fake, press="Tidak ada")
    assert "Tindak lanjut" in text
    text = await said(fake, text="Diklat lanjutan TW III")
    assert "Faktor pendorong" in text and "opsional" in text
    text = await said(fake, text="Narasumber <b>BKN</b> hadir")
    assert "Bukti dukung" in text
    text = await said(fake, photo=PNG)
    assert "Diterima" in text
    text = await said(fake, press="Selesai")
    assert "Ringkasan laporan" in text and "Rp125.000.000" in text and "Diklat lanjutan TW III" in text
    assert "Faktor pendorong: Narasumber <b>BKN</b> hadir" in text  # escaped: shown as typed
    return text


async def test_full_report_is_saved_after_commit(harness, fake, engine, small_plan):
    await report_fully(fake)
    aksi, keg = stored(engine, small_plan)
    assert aksi[0] is None and keg is None  # nothing stored before Simpan
    text = await said(fake, press="💾 Simpan")
    assert "Tersimpan ✅" in text and "Semua aksi triwulan ini sudah dilaporkan" in text
    aksi, keg = stored(engine, small_plan)
    assert aksi[0].value == Decimal(50) and aksi[1].value == Decimal(60) and aksi[2] is None
    assert keg.budget_realised == 125_000_000 and keg.kendala == "" and keg.tindak_lanjut == "Diklat lanjutan TW III"
    assert keg.pendorong == "Narasumber <b>BKN</b> hadir"
    assert not keg.late and not aksi[0].late
    with unit_of_work(engine) as session:
        assert len(session.exec(select(Evidence)).all()) == 1
        actions = [a.action for a in session.exec(select(AuditLog).where(AuditLog.entity == "aksi_realisation"))]
        assert actions == ["report.create", "report.create"]


async def test_double_tap_and_redelivered_update_store_once(harness, fake, engine, small_plan):
    await report_fully(fake)
    summary = fake.last_message_to(PIC_ID)
    fake.press(PIC_ID, "💾 Simpan")
    fake.press_button(PIC_ID, summary, next(b for row in summary["reply_markup"]["inline_keyboard"]
                                           for b in row if b["text"] == "💾 Simpan")["callback_data"])
    fake.duplicate_last_update()
    await fake.wait_idle()
    texts = [m["text"] for m in fake.messages_to(PIC_ID)]
    assert sum("Tersimpan ✅" in t for t in texts) == 1
    with unit_of_work(engine) as session:
        assert len(session.exec(select(AksiRealisation)).all()) == 2
        assert len(session.exec(select(AuditLog).where(AuditLog.entity == "aksi_realisation")).all()) == 2


async def test_validation_asks_again_and_confirms_unusual_values(harness, fake, engine, small_plan):
    await said(fake, text="/lapor")
    await said(fake, press=KEGIATAN)
    text = await said(fake, text="-5")
    assert "negatif" in text
    text = await said(fake, text="150%")
    assert "lebih dari 100%" in text
    text = await said(fake, press="Ketik ulang")
    assert "Aksi 1/2" in text
    text = await said(fake, text="50")
    text = await said(fake, text="500")  # target 60: more than twice
    assert "lebih dari dua kali target" in text
    text = await said(fake, press="Ya, sudah benar")
    assert "Realisasi anggaran" in text
    text = await said(fake, text="banyak sekali")
    assert "Realisasi anggaran" in text and "125.000.000" in text
    text = await said(fake, text="2 M")  # beyond the kegiatan's pagu
    assert "melebihi sisa pagu" in text
    text = await said(fake, press="Ketik ulang")
    text = await said(fake, text="Rp 100 juta")
    assert "Indikator kegiatan" in text
    text = await said(fake, photo=PNG)  # a photo where a number goes
    assert "menunggu jawaban" in text
    await said(fake, press="Lewati")
    await said(fake, text="x" * 1500)
    text = fake.messages_to(PIC_ID)[-2]["text"]
    assert "dipotong menjadi 1000" in text
    await said(fake, press="Tidak ada")
    await said(fake, press="Tidak ada")
    text = await said(fake, text="sudah")  # text where evidence goes
    assert "kirim foto atau berkas PDF" in text
    await said(fake, press="Selesai")
    await said(fake, press="💾 Simpan")
    aksi, keg = stored(engine, small_plan)
    assert aksi[1].value == Decimal(500) and keg.budget_realised == 100_000_000 and len(keg.kendala) == 1000


async def test_change_after_saving_is_audited(harness, fake, engine, small_plan):
    await report_fully(fake)
    await said(fake, press="💾 Simpan")
    text = await said(fake, text="/lapor")
    assert "2 dari 2 aksi" in text
    text = await said(fake, press="✅ Pendidikan dan Pelatihan Teknis")
    assert "Ringkasan laporan" in text and "50" in text  # stored values shown
    await said(fake, press="✏️ Ubah")
    text = await said(fake, press="Aksi 1. Persiapan pelaksanaan kegiatan diklat")  # the whole name fits
    assert "Nilai tersimpan: 50%" in text
    text = await said(fake, text="75")
    assert "Ringkasan laporan" in text and "sebelumnya 50%" in text
    await said(fake, press="💾 Simpan")
    aksi, _ = stored(engine, small_plan)
    assert aksi[0].value == Decimal(75)
    with unit_of_work(engine) as session:
        update = session.exec(select(AuditLog).where(AuditLog.action == "report.update")).one()
        assert Decimal(update.old_value) == 50 and Decimal(update.new_value) == 75
        assert update.actor_label == "Budi Santoso"


async def test_locked_quarter_is_read_only(harness, fake, engine, small_plan):
    with unit_of_work(engine) as session:
        session.add(PeriodLock(plan_id=small_plan["plan"], quarter=2))
    await said(fake, text="/lapor")
    text = await said(fake, press="🔒 Pendidikan dan Pelatihan Teknis")
    assert "sudah dikunci" in text
    assert stored(engine, small_plan)[1] is None


async def test_lock_between_summary_and_save_refuses(harness, fake, engine, small_plan):
    await report_fully(fake)
    with unit_of_work(engine) as session:
        session.add(PeriodLock(plan_id=small_plan["plan"], quarter=2))
    text = await said(fake, press="💾 Simpan")
    assert "dikunci" in text and "Tersimpan" not in text
    aksi, keg = stored(engine, small_plan)
    assert aksi == [None, None, None] and keg is None


async def test_late_report_for_past_open_quarter(harness, fake, engine, small_plan):
    harness.clock.set(datetime(2020, 7, 20, 10, 0, tzinfo=WIB))  # TW II deadline was 7 July
    await said(fake, user=PIC2_ID, text="/lapor")
    text = fake.last_message_to(PIC2_ID)["text"]
    assert "TW II 2020" in text and "sudah lewat" in text
    text = await said(fake, user=PIC2_ID, press="📝 Pendidikan Penjurangan Struktural")
    # TW I was never reported: its 100% «Persiapan» is owed as late work (skipped here, TW I is still open).
    assert "Aksi 1/2: 1. Persiapan" in text and "Tunggakan TW I: kurang 100%" in text
    await said(fake, user=PIC2_ID, press="Lewati")
    await said(fake, user=PIC2_ID, text="50")
    await said(fake, user=PIC2_ID, press="Belum ada realisasi (Rp0)")
    await said(fake, user=PIC2_ID, press="Lewati")
    await said(fake, user=PIC2_ID, press="Tidak ada catatan")
    await said(fake, user=PIC2_ID, press="Selesai")
    text = await said(fake, user=PIC2_ID, press="💾 Simpan")
    assert "dicatat terlambat" in text
    aksi, keg = stored(engine, small_plan, kegiatan_index=1)
    assert keg.late and keg.budget_realised == 0 and aksi[1].late


async def test_restart_mid_flow_keeps_entered_values(harness, fake, engine, small_plan):
    await said(fake, text="/lapor")
    await said(fake, press=KEGIATAN)
    await said(fake, text="50%")
    await harness.restart()
    text = await said(fake, press="🎯 Sesuai target")
    assert "Realisasi anggaran" in text
    await said(fake, text="125jt")
    await said(fake, press="Lewati")
    await said(fake, press="Tidak ada catatan")
    await said(fake, press="Selesai")
    text = await said(fake, press="💾 Simpan")
    assert "Tersimpan ✅" in text
    aksi, keg = stored(engine, small_plan)
    assert aksi[0].value == Decimal(50) and aksi[1].value == Decimal(60) and keg.budget_realised == 125_000_000


async def test_group_lapor_points_to_private_chat(harness, fake):
    fake.send_command(PIC_ID, "/lapor", chat_id=OTHER_GROUP)
    await fake.wait_idle()
    message = fake.last_message_to(OTHER_GROUP)
    assert "chat pribadi" in message["text"]
    url = message["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert url.endswith("?start=lapor")


async def test_another_pics_kegiatan_is_refused(harness, fake, engine, small_plan):
    await said(fake, text="/lapor")
    pick = fake.last_message_to(PIC_ID)
    forged = f"lp:k:{small_plan['kegiatan'][1]}:2"  # Sari's kegiatan
    forge_press(fake, PIC_ID, pick, forged)
    await fake.wait_idle()
    assert any("tidak berhak" in (c.params.get("text") or "") for c in fake.calls("answerCallbackQuery"))
    assert "Aksi 1/" not in fake.last_message_to(PIC_ID)["text"]


async def test_two_pics_of_one_kegiatan_saving_at_once(harness, fake, engine, small_plan):
    from bot.domain.people import assign_pic

    with unit_of_work(engine) as session:
        assign_pic(small_plan["sari"], small_plan["kegiatan"][0], session=session)
    for user in (PIC_ID, PIC2_ID):
        await said(fake, user=user, text="/lapor")
        await said(fake, user=user, press=KEGIATAN)
        await said(fake, user=user, text="40" if user == PIC_ID else "45")
        await said(fake, user=user, text="60")
        await said(fake, user=user, text="10jt")
        for label in ("Lewati", "Tidak ada catatan", "Selesai"):
            await said(fake, user=user, press=label)
    fake.press(PIC_ID, "💾 Simpan")
    fake.press(PIC2_ID, "💾 Simpan")
    await fake.wait_idle()
    aksi, keg = stored(engine, small_plan)
    assert aksi[0].value in (Decimal(40), Decimal(45)) and keg.budget_realised == 10_000_000
    with unit_of_work(engine) as session:
        rows = session.exec(select(AksiRealisation)).all()
        assert len(rows) == 2  # one row per aksi and quarter, whoever saved
        audit = session.exec(select(AuditLog).where(AuditLog.field == f"aksi:{small_plan['aksi'][small_plan['kegiatan'][0]][0]}")).all()
        assert [a.action for a in audit] == ["report.create", "report.update"]
