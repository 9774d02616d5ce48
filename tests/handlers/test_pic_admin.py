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


def people_named(engine) -> list[str]:
    with unit_of_work(engine) as session:
        return sorted(p.name for p in session.exec(select(Person)))


async def test_pic_and_undang_match_part_of_a_name_and_offer_the_choices(harness, fake, engine, small_plan):
    before = people_named(engine)
    text = await act(fake, text="/pic Budi")  # made a new «Budi», PIC of nothing
    assert text.startswith("Budi Santoso\nPilih program") and "Orang baru" not in text
    assert people_named(engine) == before
    text = await act(fake, text="/undang budi")
    assert "Budi Santoso" in text and "https://t.me/rapk_test_bot?start=" in text
    with unit_of_work(engine) as session:
        session.add(Person(name="Budi Hartono", agency_id=small_plan["agency"]))
    text = await act(fake, text="/pic Budi")  # two people: the choices, never a guess
    assert "«Budi» cocok dengan 2 orang" in text and '/pic "Budi"' in text
    assert fake.buttons(fake.last_message_to(ADMIN_ID)) == [["⏳ Budi Hartono"], ["✅ Budi Santoso"]]
    text = await act(fake, press="⏳ Budi Hartono")
    assert "Budi Hartono" in text and "Program Pendidikan dan Pelatihan ASN" in str(
        fake.buttons(fake.last_message_to(ADMIN_ID)))
    text = await act(fake, text="/undang Budi")
    assert "«Budi» cocok dengan 2 orang" in text and "https://t.me/" not in text
    assert fake.buttons(fake.last_message_to(ADMIN_ID)) == [["⏳ Budi Hartono"], ["✅ Budi Santoso"]]
    text = await act(fake, press="⏳ Budi Hartono")
    assert "Budi Hartono" in text and "https://t.me/rapk_test_bot?start=" in text
    assert people_named(engine) == sorted([*before, "Budi Hartono"])


async def test_pic_makes_a_new_person_only_for_a_new_name(harness, fake, engine, small_plan):
    text = await act(fake, text='/pic "Budi"')  # in quotes: exactly that name, though Budi Santoso exists
    assert "Orang baru ditambahkan: Budi" in text
    text = await act(fake, text="/pic Andi Wijaya")
    assert "Orang baru ditambahkan: Andi Wijaya" in text
    text = await act(fake, text="/pic andi wijaya")  # the same person again, not a third one
    assert "Orang baru" not in text and "Andi Wijaya" in text
    with unit_of_work(engine) as session:
        assert {p.name for p in session.exec(select(Person))} >= {"Budi", "Budi Santoso", "Andi Wijaya"}
        assert len(session.exec(select(Person).where(Person.name == "Andi Wijaya")).all()) == 1
    text = await act(fake, text="/undang Joko")
    assert "Tidak ada orang bernama «Joko»" in text
