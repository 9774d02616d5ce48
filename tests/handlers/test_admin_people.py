"""/pengguna and /pic end to end: roles, onboarding, reachability; grant/revoke admin; pause reminders."""

from datetime import date
from datetime import datetime

from sqlmodel import select

from bot.db import unit_of_work
from models import AuditLog
from models import Kegiatan
from models import Person
from tests.support.admin_steps import act
from tests.support.admin_steps import alerts
from tests.support.admin_steps import find_button
from tests.support.harness import ADMIN_ID
from tests.support.harness import LEADER_ID
from tests.support.harness import PIC_ID
from tests.support.harness import WIB


def person(engine, person_id: int) -> Person:
    with unit_of_work(engine) as session:
        return session.get(Person, person_id)


def audit_actions(engine) -> list[str]:
    with unit_of_work(engine) as session:
        return [a.action for a in session.exec(select(AuditLog).order_by(AuditLog.id))]


async def test_list_shows_roles_onboarding_and_reachability(harness, fake, engine, small_plan):
    with unit_of_work(engine) as session:
        session.get(Person, small_plan["sari"]).unreachable_at = datetime(2020, 6, 1, tzinfo=WIB)
        session.get(Person, small_plan["budi"]).paused_until = date(2020, 7, 3)
        session.add(Person(name="Kepala Badan", telegram_user_id=LEADER_ID))
    text = await act(fake, text="/pengguna")
    assert "4 orang · 3 terhubung ke Telegram · 1 belum" in text
    assert "✅ Budi Santoso · PIC 1 kegiatan · 🌴 jeda s.d. 3 Juli 2020" in text
    assert "✅ Sari Dewi · PIC 1 kegiatan · ⛔ memblokir bot" in text and "⏳ Rina Lestari" in text
    assert "Admin dari konfigurasi server tanpa data orang: 1001" in text
    text = await act(fake, press="✅ Kepala Badan")
    assert "Peran: pimpinan (anggota grup pimpinan)" in text
    await act(fake, press="⬅️ Kembali")
    text = await act(fake, press="✅ Sari Dewi")
    assert "Memblokir bot sejak 1 Juni 2020" in text and "Peran: PIC 1 kegiatan" in text


async def test_grant_and_revoke_admin(harness, fake, engine, small_plan):
    text = await act(fake, PIC_ID, text="/pengguna")
    assert "hanya untuk admin" in text
    await act(fake, text="/pengguna")
    await act(fake, press="✅ Budi Santoso")
    text = await act(fake, press="👑 Jadikan admin")
    assert "Peran: 👑 admin · PIC 1 kegiatan" in text and "Disimpan ✅" in alerts(fake)
    assert person(engine, small_plan["budi"]).is_admin
    assert "impor" in [name for name, _ in fake.commands({"type": "chat", "chat_id": PIC_ID})]
    text = await act(fake, PIC_ID, text="/pengguna")  # Budi is an admin now
    assert "Pengguna RAPK Bot" in text
    await act(fake, press="Cabut hak admin")
    assert not person(engine, small_plan["budi"]).is_admin
    assert fake.commands({"type": "chat", "chat_id": PIC_ID}) is None
    text = await act(fake, PIC_ID, text="/pengguna")
    assert "hanya untuk admin" in text
    assert audit_actions(engine) == ["admin.grant", "admin.revoke"]


async def test_configured_and_own_admin_right_cannot_be_revoked(harness, fake, engine, small_plan):
    with unit_of_work(engine) as session:
        me = Person(name="Admin Perencanaan", telegram_user_id=ADMIN_ID)
        session.add(me)
        session.get(Person, small_plan["budi"]).is_admin = True
        session.flush()
        me_id = me.id
    await act(fake, text="/pengguna")
    text = await act(fake, press="✅ Admin Perencanaan")
    assert "Peran: 👑 admin (konfigurasi server)" in text and "Cabut" not in str(fake.last_message_to(ADMIN_ID))
    message, _ = find_button(fake, ADMIN_ID, "⬅️ Kembali")
    fake.press_button(ADMIN_ID, message, f"usr:adm:{me_id}:0", forge=True)
    await fake.wait_idle()
    assert "konfigurasi server" in alerts(fake)[-1]
    # Budi (a granted admin) cannot revoke himself.
    await act(fake, PIC_ID, text="/pengguna")
    await act(fake, PIC_ID, press="✅ Budi Santoso")
    await act(fake, PIC_ID, press="Cabut hak admin")
    assert "tidak dapat mencabut hak admin Anda sendiri" in alerts(fake)[-1]
    assert person(engine, small_plan["budi"]).is_admin and audit_actions(engine) == []


async def test_pause_and_resume_reminders(harness, fake, engine, small_plan):
    await act(fake, text="/pengguna")
    await act(fake, press="✅ Sari Dewi")
    text = await act(fake, press="🌴 Jeda pengingat s.d. 7 Juli 2020")
    assert "Pengingat dijeda s.d. 7 Juli 2020" in text
    assert person(engine, small_plan["sari"]).paused_until == date(2020, 7, 7)
    text = await act(fake, press="▶️ Lanjutkan pengingat")
    assert "Pengingat aktif" in text and person(engine, small_plan["sari"]).paused_until is None
    message, _ = find_button(fake, ADMIN_ID, "⬅️ Kembali")
    fake.press_button(ADMIN_ID, message, f"usr:pz:{small_plan['sari']}:20300101", forge=True)  # beyond a year
    fake.press_button(ADMIN_ID, message, f"usr:pz:{small_plan['sari']}:20201399", forge=True)  # no such day
    await fake.wait_idle()
    assert "setahun ke depan" in alerts(fake)[-2] and "tidak berlaku" in alerts(fake)[-1]
    with unit_of_work(engine) as session:
        rows = session.exec(select(AuditLog).where(AuditLog.entity == "person")).all()
    assert [(r.action, r.old_value, r.new_value) for r in rows] == [
        ("person.pause", None, "2020-07-07"), ("person.unpause", "2020-07-07", None)]


async def test_pic_lists_kegiatan_without_pic_and_people_not_yet_onboarded(harness, fake, engine, small_plan):
    with unit_of_work(engine) as session:
        session.add(Kegiatan(plan_id=small_plan["plan"], program_id=small_plan["program"], seq=3, no="3",
                             name="Diklat Fungsional"))
    text = await act(fake, text="/pic")
    assert "1 kegiatan belum punya PIC" in text and "• Diklat Fungsional" in text
    assert "1 orang belum terhubung ke Telegram" in text and "• Rina Lestari" in text
    text = await act(fake, text="/pic Dewi Anggraini")  # a new person: also not onboarded
    await act(fake, text="/pic")
    text = fake.last_message_to(ADMIN_ID)["text"]
    assert "2 orang belum terhubung" in text and "• Dewi Anggraini" in text
