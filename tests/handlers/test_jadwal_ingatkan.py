"""Admin: /jadwal shows the running schedule and the outbox, /ingatkan sends the due reminders now."""

from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlmodel import select

from bot.db import unit_of_work
from models import AuditLog
from models import Reminder
from tests.support.harness import ADMIN_ID
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import WIB
from tests.support.outbox_steps import BLOCKED_NOTICE
from tests.support.outbox_steps import H3
from tests.support.outbox_steps import H7
from tests.support.outbox_steps import report_all
from tests.support.outbox_steps import said
from tests.support.outbox_steps import set_person
from tests.support.outbox_steps import texts
from tests.support.outbox_steps import tick_and_send


async def test_jadwal_shows_the_quarter_the_reasons_and_the_outbox(harness, fake, engine, tw1_locked):
    set_person(engine, tw1_locked["sari"], paused_until=date(2020, 7, 3))
    fake.block(PIC_ID)
    await tick_and_send(harness, H7 + timedelta(hours=1))
    text = await said(fake, ADMIN_ID, "/jadwal")
    assert "Jadwal pengingat TW II 2020" in text
    assert "Batas akhir laporan: Selasa 7 Juli 2020 (5 hari kerja setelah akhir triwulan)" in text
    assert "Daftar terlambat ke pimpinan dan admin: Rabu 8 Juli 2020" in text
    assert "Pengingat pukul 08.00 (Asia/Jakarta): H-7, H-3, H-1" in text
    assert "✅ Selasa 23 Juni 2020 08.00 — H-7: 7 hari sebelum akhir TW II 2020 (30 Juni 2020)" in text
    assert "⏳ Jumat 26 Juni 2020 08.00 — H-3" in text and "⏳ Selasa 7 Juli 2020 08.00 — Batas akhir" in text
    assert "Pengingat terlambat setiap 2 hari kerja" in text and "9 Jul 2020, 13 Jul 2020" in text
    assert "Berikutnya: Jumat 26 Juni 2020 08.00" in text
    assert "0 menunggu, 0 sedang dikirim, 0 terkirim, 1 gagal, 0 dilewati" in text  # Budi blocked, Sari paused
    assert "Tidak bisa dihubungi: Budi Santoso (sejak 23 Juni 2020)" in text
    assert "Cuti atau dijeda: Sari Dewi (s.d. 3 Juli 2020)" in text


async def test_jadwal_says_why_a_reminder_moved(harness, fake, engine, tw1_locked):
    harness.clock.set(datetime(2020, 3, 25, 9, 0, tzinfo=WIB))  # in TW I 2020's reporting window
    text = await said(fake, ADMIN_ID, "/jadwal")
    assert "Jadwal pengingat TW I 2020" in text and "🔒" in text  # TW I is locked in this test
    assert "⏳ Jumat 27 Maret 2020 08.00 — H-3 dipindah dari Sabtu 28 Maret 2020 (akhir pekan)" in text
    assert "tidak dihitung: 4 April 2020 (akhir pekan), 5 April 2020 (akhir pekan)" in text


async def test_only_admins_see_the_schedule_or_send_reminders(harness, fake, tw1_locked):
    for command in ("/jadwal", "/ingatkan"):
        text = await said(fake, PIC_ID, command)
        assert "Jadwal" not in text and "Terkirim" not in text and text
    assert not any("Pengingat laporan" in t for t in texts(fake, PIC2_ID))


async def test_ingatkan_sends_the_due_reminders_now_and_reports(harness, fake, engine, tw1_locked):
    harness.clock.set(datetime(2020, 6, 24, 10, 0, tzinfo=WIB))  # no scheduled reminder today
    set_person(engine, tw1_locked["rina"], telegram_user_id=None)
    with unit_of_work(engine) as session:
        from models import PicAssignment

        session.add(PicAssignment(person_id=tw1_locked["rina"], kegiatan_id=tw1_locked["kegiatan"][1]))
    text = await said(fake, ADMIN_ID, "/ingatkan")
    assert "Mengirim 2 pengingat" in text and "Terkirim: 2" in text
    assert "Belum terhubung ke bot (kirim undangan dengan /undang): Rina Lestari" in text
    assert "6 hari lagi" in texts(fake, PIC_ID)[-1] and "Pendidikan dan Pelatihan Teknis" in texts(fake, PIC_ID)[-1]
    assert len(texts(fake, PIC2_ID)) == 1
    with unit_of_work(engine) as session:
        kinds = {r.kind for r in session.exec(select(Reminder))}
        assert kinds == {"manual-20200624-100000"}
        audit = session.exec(select(AuditLog).where(AuditLog.action == "reminder.manual")).one()
        assert audit.actor_telegram_id == ADMIN_ID and audit.new_value.startswith("2 ")

    # Everyone has reported: nothing to send.
    report_all(engine, tw1_locked, 0)
    report_all(engine, tw1_locked, 1)
    harness.clock.advance(minutes=5)
    text = await said(fake, ADMIN_ID, "/ingatkan")
    assert "Tidak ada pengingat yang perlu dikirim sekarang" in text and "Rina" not in text


async def test_ingatkan_one_kegiatan_by_number_or_name(harness, fake, engine, tw1_locked):
    text = await said(fake, ADMIN_ID, "/ingatkan 2")
    assert "Penjurangan Struktural" in text and "Terkirim: 1" in text
    assert texts(fake, PIC_ID) == [] and len(texts(fake, PIC2_ID)) == 1
    harness.clock.advance(minutes=1)
    text = await said(fake, ADMIN_ID, "/ingatkan teknis")
    assert "Terkirim: 1" in text and len(texts(fake, PIC_ID)) == 1
    text = await said(fake, ADMIN_ID, "/ingatkan pendidikan")
    assert "cocok dengan beberapa kegiatan" in text and "1. Pendidikan dan Pelatihan Teknis" in text
    text = await said(fake, ADMIN_ID, "/ingatkan 99")
    assert "tidak ditemukan" in text
    assert len(texts(fake, PIC_ID)) == 1 and len(texts(fake, PIC2_ID)) == 1


async def test_ingatkan_reports_paused_and_blocked_people(harness, fake, engine, tw1_locked):
    set_person(engine, tw1_locked["sari"], paused_until=date(2020, 7, 1))
    fake.block(PIC_ID)
    text = await said(fake, ADMIN_ID, "/ingatkan")
    assert "Terkirim: 0" in text and "Tidak bisa dihubungi (memblokir bot): 1" in text
    assert "Sedang cuti atau dijeda: Sari Dewi" in text
    # The notice goes through the outbox, which may send it after the bot has gone quiet on /ingatkan.
    await fake.wait_for_message(ADMIN_ID, contains=BLOCKED_NOTICE)
    assert sum(BLOCKED_NOTICE in t and "Budi Santoso" in t for t in texts(fake, ADMIN_ID)) == 1
    harness.clock.advance(minutes=1)
    text = await said(fake, ADMIN_ID, "/ingatkan")
    assert "Memblokir bot: Budi Santoso" in text


async def test_ingatkan_after_the_deadline_says_the_report_is_late(harness, fake, engine, tw1_locked):
    await tick_and_send(harness, H3)
    report_all(engine, tw1_locked, 1)
    harness.clock.set(datetime(2020, 7, 10, 14, 0, tzinfo=WIB))
    text = await said(fake, ADMIN_ID, "/ingatkan")
    assert "Terkirim: 1" in text
    assert "Laporan Anda terlambat" in texts(fake, PIC_ID)[-1] and "7 Juli 2020" in texts(fake, PIC_ID)[-1]
    assert len(texts(fake, PIC2_ID)) == 1
    with unit_of_work(engine) as session:
        assert session.exec(select(Reminder.kind).where(Reminder.kind.like("overdue-manual-%"))).one()


async def test_the_admin_side_speaks_english_too(fake, db_url, engine, tw1_locked):
    from tests.support.harness import BotHarness

    harness = BotHarness(fake, db_url, now=H7 + timedelta(hours=1), language="en")
    await harness.start()
    try:
        fake.block(PIC_ID)
        text = await said(fake, ADMIN_ID, "/ingatkan")
        assert "Reminders sent" in text and "Unreachable (blocked the bot): 1" in text
        assert any("The bot cannot reach Budi Santoso" in t for t in texts(fake, ADMIN_ID))
        assert "Reminder 2020" not in text and "TW II" in texts(fake, PIC2_ID)[-1]
        text = await said(fake, ADMIN_ID, "/jadwal")
        assert "Reminder schedule TW II 2020" in text and "Unreachable: Budi Santoso" in text
        text = await said(fake, PIC2_ID, "/cuti")
        assert "Until which date" in text
        assert "until Friday July 31, 2020" in await said(fake, PIC2_ID, "31/7")
        assert "more than 90 days" in await said(fake, PIC2_ID, "/cuti 31/12")
    finally:
        await harness.stop()
