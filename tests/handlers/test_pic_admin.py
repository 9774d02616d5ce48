"""/pic and /undang in chat: browse program → kegiatan, toggle PICs, make invite links."""

import re

from sqlmodel import select

from bot.db import unit_of_work
from models import Person
from models import PicAssignment
from tests.support.admin_steps import act
from tests.support.admin_steps import alerts
from tests.support.harness import ADMIN_ID
from tests.support.harness import PIC2_ID
from tests.support.harness import STRANGER_ID
from tests.support.harness import forge_press


async def test_admin_assigns_a_pic_by_browsing_and_the_pic_is_told(harness, fake, engine, small_plan):
    text = await act(fake, text="/pic")
    assert "1 orang belum terhubung ke Telegram" in text and "• Rina Lestari" in text
    await act(fake, press="✅ Sari Dewi")
    await act(fake, press="Program Pendidikan dan Pelatihan ASN")
    text = await act(fake, press="▫️ Pendidikan dan Pelatihan Teknis")
    assert "✅ Pendidikan dan Pelatihan Teknis" in str(fake.buttons(fake.last_message_to(ADMIN_ID)))
    with unit_of_work(engine) as session:
        rows = session.exec(select(PicAssignment).where(PicAssignment.person_id == small_plan["sari"])).all()
        assert {r.kegiatan_id for r in rows} == set(small_plan["kegiatan"])
    notice = await fake.wait_for_message(PIC2_ID, contains="Anda ditugaskan sebagai PIC")
    assert "Pendidikan dan Pelatihan Teknis" in notice["text"]


async def test_stale_pic_button_after_the_person_is_gone_gets_one_answer(harness, fake, small_plan):
    await act(fake, text="/pic")
    menu = fake.last_message_to(ADMIN_ID)
    forge_press(fake, ADMIN_ID, menu, "pic:g:999999:1")
    await fake.wait_idle()
    assert alerts(fake)[-1].startswith("Tombol ini sudah tidak berlaku")


async def test_blocked_pic_is_marked_unreachable_when_told_of_an_assignment(harness, fake, engine, small_plan):
    fake.block(PIC2_ID)
    await act(fake, text="/pic Sari Dewi")
    await act(fake, press="Program Pendidikan dan Pelatihan ASN")
    await act(fake, press="▫️ Pendidikan dan Pelatihan Teknis")
    with unit_of_work(engine) as session:
        assert session.get(Person, small_plan["sari"]).unreachable_at is not None


async def test_undang_makes_a_single_use_link(harness, fake, engine, small_plan):
    text = await act(fake, text="/undang Rina Lestari")
    assert "https://t.me/rapk_test_bot?start=" in text and "sekali" in text
    token = re.search(r"\?start=([\w-]+)", text).group(1)
    # The link binds whoever taps it first to Rina Lestari ...
    fake.send_command(STRANGER_ID, "/start", args=token)
    assert "Rina Lestari" in (await fake.wait_for_message(STRANGER_ID, contains="terhubung"))["text"]
    with unit_of_work(engine) as session:
        assert session.get(Person, small_plan["rina"]).telegram_user_id == STRANGER_ID
    # ... and only once: a second tap by someone else is refused and changes nothing.
    fake.send_command(PIC2_ID, "/start", args=token)
    await fake.wait_for_message(PIC2_ID, contains="sudah pernah dipakai")
    with unit_of_work(engine) as session:
        assert session.get(Person, small_plan["rina"]).telegram_user_id == STRANGER_ID


async def test_undang_twice_gives_a_fresh_link_and_the_first_stops_working(harness, fake):
    """On SQLite the second /undang compared a stored (naive) expiry with an aware now and crashed."""
    first = re.search(r"\?start=([\w-]+)", await act(fake, text="/undang Rina")).group(1)
    second = re.search(r"\?start=([\w-]+)", await act(fake, text="/undang Rina")).group(1)
    assert first != second
    fake.send_command(PIC2_ID, "/start", args=first)
    await fake.wait_for_message(PIC2_ID, contains="kedaluwarsa")
