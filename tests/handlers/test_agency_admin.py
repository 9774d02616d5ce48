"""The admin side of many agencies: /impor stores a plan file only into the agency the admin acts in (a file
naming another OPD is refused, nothing changed; «BKD» and «Badan Kepegawaian Daerah Kabupaten Gresik» are the
same OPD), and a person with roles in two OPD switches which one they act in (/opd pilih)."""

from contextlib import asynccontextmanager

import pytest
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.agencies import set_member
from bot.telegram.sending import short
from bot.text.render import render
from models import Agency
from models import AuditLog
from models import Kegiatan
from models import Person
from models import Plan
from tests.support.admin_steps import act
from tests.support.admin_steps import alerts
from tests.support.admin_steps import buttons_of
from tests.support.admin_steps import changed_tables
from tests.support.admin_steps import snapshot
from tests.support.agencies import A_ADMIN
from tests.support.agencies import B_ADMIN
from tests.support.agencies import B_AGENCY
from tests.support.agencies import add_agency_b
from tests.support.harness import STRANGER_ID
from tests.support.harness import BotHarness
from tests.support.plans import seed_lines

A_TITLE = "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK"  # the seed file's title: agency A's plan
TXT = "text/plain"


def seed_file(year: int = 2020) -> bytes:
    return "\n".join(seed_lines()).replace("TAHUN 2020", f"TAHUN {year}").encode()


@pytest.fixture
def two(fake, engine, small_plan):
    """Agency A (the small plan's BKD) and agency B (a Dinas Kesehatan), each with its admin."""
    with unit_of_work(engine) as session:
        return add_agency_b(session, fake, small_plan)


@asynccontextmanager
async def bot(fake, db_url, **settings):
    harness = BotHarness(fake, db_url, **settings)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def counts(engine) -> tuple[int, int, int]:
    with unit_of_work(engine) as session:
        return tuple(len(session.exec(select(model.id)).all()) for model in (Agency, Plan, Kegiatan))


async def upload(fake, user: int, content: bytes, name: str = "rapk.txt") -> str:
    await act(fake, user, text="/impor")
    return await act(fake, user, document=(name, content, TXT))


@pytest.mark.parametrize(("lang", "refusal"), [
    ("id", f"Berkas ini rencana aksi instansi lain: judulnya menyebut «{A_TITLE}», sedangkan Anda admin {B_AGENCY}."),
    ("en", f"This file is another agency's action plan: its title names “{A_TITLE}”, and you are an admin of "
           f"{B_AGENCY}."),
])
async def test_an_admin_of_b_uploading_as_plan_is_refused_and_nothing_changes(two, fake, db_url, engine, lang,
                                                                                refusal):
    before, numbers = snapshot(engine), counts(engine)
    async with bot(fake, db_url, language=lang):
        text = await upload(fake, B_ADMIN, seed_file())
        assert refusal in text
        assert ("Tidak ada yang diubah" if lang == "id" else "Nothing was changed") in text
        assert not buttons_of(fake.messages_to(B_ADMIN)[-1])  # no Terapkan: there is nothing to apply
        # Another year's file of agency A is refused all the same: no new plan, no new agency from the title.
        assert refusal in await act(fake, B_ADMIN, document=("rapk-2021.txt", seed_file(2021), TXT))
    assert counts(engine) == numbers == (2, 2, 4)
    assert changed_tables(before, snapshot(engine)) == []


async def test_an_admin_of_a_stores_its_plan_into_a_whatever_the_title_spelling(two, fake, db_url, engine):
    side_a, _ = two
    with unit_of_work(engine) as session:
        session.get(Agency, side_a.ids["agency"]).name = "BKD"  # as typed at /opd tambah
    async with bot(fake, db_url):
        text = await upload(fake, A_ADMIN, seed_file(2021))
        assert f"Instansi: BKD (judul berkas: {A_TITLE}) · Tahun: 2021" in text
        assert "Rencana baru: belum ada rencana 2021 untuk instansi ini." in text
        text = await act(fake, A_ADMIN, press="✅ Terapkan")
        assert "Rencana aksi baru disimpan: rapk.txt" in text and "45 kegiatan" in text
    with unit_of_work(engine) as session:
        plan = session.exec(select(Plan).where(Plan.year == 2021)).one()
        assert plan.agency_id == side_a.ids["agency"]
        assert [a.name for a in session.exec(select(Agency).order_by(Agency.id))] == ["BKD", B_AGENCY]


# -- /instansi: which OPD a person of two acts as ---------------------------------------------------------------

A_PEOPLE, B_PEOPLE = ("Budi Santoso", "Sari Dewi"), ("Zaki Imunisasi", "Yusuf Verifikasi")


@pytest.fixture
def ahmad_in_b(two, engine) -> dict:
    """Ahmad, admin of A, is made admin of B too (as `rapk agency member B Ahmad --admin` does); a third OPD
    he is not in."""
    side_a, side_b = two
    with unit_of_work(engine) as session:
        ahmad = session.exec(select(Person.id).where(Person.telegram_user_id == A_ADMIN)).one()
        set_member(side_b.ids["agency"], ahmad, admin=True, session=session, actor_label="cli")
        other = Agency(name="DINAS SOSIAL KABUPATEN GRESIK")
        session.add(other)
        session.flush()
        return {"a": side_a.ids["agency"], "b": side_b.ids["agency"], "other": other.id, "ahmad": ahmad}


def shows(text: str, people: tuple[str, ...]) -> bool:
    return all(name in text for name in people)


def shows_none(text: str, people: tuple[str, ...]) -> bool:
    return not any(name in text for name in people)


async def test_an_admin_of_two_switches_to_b_sees_bs_people_and_back(ahmad_in_b, fake, db_url, engine):
    async with bot(fake, db_url) as harness:
        text = await act(fake, A_ADMIN, text="/pengguna")
        assert shows(text, A_PEOPLE) and shows_none(text, B_PEOPLE)  # his own agency, A, until he chooses
        text = await act(fake, A_ADMIN, text="/start")
        assert f"🏛 Anda bertindak sebagai {A_TITLE}; /instansi untuk memilih OPD lain tempat Anda terdaftar." in text
        assert "/instansi — pilih OPD tempat Anda bertindak" in await act(fake, A_ADMIN, text="/bantuan")
        text = await act(fake, A_ADMIN, text="/instansi")
        assert f"🏛 Anda bertindak sebagai {A_TITLE} (admin)." in text
        assert f"• {B_AGENCY} (admin)" in text and "Anda terdaftar di 2 OPD" in text
        assert [b["text"] for b in buttons_of(fake.messages_to(A_ADMIN)[-1])] == [f"✅ {short(A_TITLE)}",
                                                                                 short(B_AGENCY)]
        text = await act(fake, A_ADMIN, press=short(B_AGENCY))
        assert f"✅ Sekarang Anda bertindak sebagai {B_AGENCY} (admin)." in text
        text = await act(fake, A_ADMIN, text="/pengguna")
        assert shows(text, B_PEOPLE) and shows_none(text, A_PEOPLE)
        await harness.restart()  # the choice is kept in the database, not in memory
        text = await act(fake, A_ADMIN, text="/pengguna")
        assert shows(text, B_PEOPLE) and shows_none(text, A_PEOPLE)
        assert f"Anda bertindak sebagai {B_AGENCY}" in await act(fake, A_ADMIN, text="/start")
        await act(fake, A_ADMIN, text="/instansi")
        text = await act(fake, A_ADMIN, press=short(A_TITLE))
        assert f"✅ Sekarang Anda bertindak sebagai {A_TITLE} (admin)." in text
        text = await act(fake, A_ADMIN, text="/pengguna")
        assert shows(text, A_PEOPLE) and shows_none(text, B_PEOPLE)
    with unit_of_work(engine) as session:
        rows = session.exec(select(AuditLog.old_value, AuditLog.new_value)
                            .where(AuditLog.action == "person.acting_agency").order_by(AuditLog.id)).all()
        assert rows == [("", str(ahmad_in_b["b"])), (str(ahmad_in_b["b"]), str(ahmad_in_b["a"]))]


async def test_a_forged_agency_is_refused_and_a_choice_lasts_only_while_he_belongs(ahmad_in_b, fake, db_url,
                                                                                   engine):
    async with bot(fake, db_url):
        await act(fake, A_ADMIN, text="/instansi")
        await act(fake, A_ADMIN, press=short(B_AGENCY))
        before = snapshot(engine, conversations=True)
        message = fake.messages_to(A_ADMIN)[-1]
        for agency in (ahmad_in_b["other"], 99999):  # an OPD he is not in, one that does not exist
            fake.press_button(A_ADMIN, message, f"ins:p:{agency}", forge=True)
            await fake.wait_idle()
            assert alerts(fake)[-1] == render("refused_alert", "id")
        assert changed_tables(before, snapshot(engine, conversations=True)) == []
        text = await act(fake, A_ADMIN, text="/pengguna")
        assert shows(text, B_PEOPLE) and shows_none(text, A_PEOPLE)  # still B
        with unit_of_work(engine) as session:  # his membership of B ends: he is back in his own agency
            set_member(ahmad_in_b["b"], ahmad_in_b["ahmad"], remove=True, session=session, actor_label="cli")
        text = await act(fake, A_ADMIN, text="/pengguna")
        assert shows(text, A_PEOPLE) and shows_none(text, B_PEOPLE)
        text = await act(fake, A_ADMIN, text="/instansi")
        assert f"🏛 Anda bertindak sebagai {A_TITLE} (admin). Anda hanya terdaftar di OPD ini." in text
        assert not buttons_of(fake.messages_to(A_ADMIN)[-1])


async def test_instansi_in_english_and_for_a_stranger(ahmad_in_b, fake, db_url):
    async with bot(fake, db_url, language="en"):
        text = await act(fake, A_ADMIN, text="/instansi")
        assert f"🏛 You act for {A_TITLE} (admin)." in text and "You belong to 2 OPD" in text
        text = await act(fake, A_ADMIN, press=short(B_AGENCY))
        assert f"✅ You now act for {B_AGENCY} (admin)." in text
        text = await act(fake, STRANGER_ID, text="/instansi")
        assert "not linked to any OPD yet" in text


KAB_ADMIN = 5301  # the kabupaten admin (Bappeda), who onboards OPD


async def test_a_kabupaten_admin_gives_and_takes_roles_in_an_opd(two, fake, db_url, engine):
    with unit_of_work(engine) as session:
        session.add(Person(name="Pak Admin Kabupaten", telegram_user_id=KAB_ADMIN, is_kabupaten_admin=True))
    fake.add_user(KAB_ADMIN, "AdminKab")
    async with bot(fake, db_url):
        text = await act(fake, KAB_ADMIN, text=f"/opd anggota {B_AGENCY}; Ahmad; admin")
        assert f"✅ Ahmad Admin BKD ({A_TITLE}) anggota {B_AGENCY}: admin." in text
        assert f"• Ahmad Admin BKD ({A_TITLE}): admin" in text
        assert "Anda terdaftar di 2 OPD" in await act(fake, A_ADMIN, text="/instansi")
        before = snapshot(engine)
        for typed, said in (("/opd anggota Dinas Entah; Ahmad", "Tidak ada OPD (atau ada beberapa) yang cocok"),
                            ("/opd anggota kesehatan; Nobody; admin", "Tidak ada orang yang cocok dengan «Nobody»"),
                            ("/opd anggota kesehatan; Zaki; admin",
                             f"{B_AGENCY} adalah OPD Zaki Imunisasi sendiri"),
                            ("/opd anggota kesehatan; Ahmad; bos", "Peran ditulis sebagai admin")):
            assert said in await act(fake, KAB_ADMIN, text=typed)
        assert changed_tables(before, snapshot(engine)) == []
        text = await act(fake, KAB_ADMIN, text="/opd anggota kesehatan; Ahmad; hapus")
        assert f"✅ Ahmad Admin BKD bukan lagi anggota {B_AGENCY}" in text and "belum ada" in text
        assert "Anda hanya terdaftar di OPD ini" in await act(fake, A_ADMIN, text="/instansi")
        assert "bukan anggota" in await act(fake, KAB_ADMIN, text="/opd anggota kesehatan; Ahmad; hapus")
    with unit_of_work(engine) as session:
        rows = session.exec(select(AuditLog.action, AuditLog.actor_label).where(AuditLog.entity == "person",
                                                                                AuditLog.action != "person.unit")
                            .order_by(AuditLog.id)).all()
        assert [(a, label) for a, label in rows if a.startswith(("member", "admin"))] == [
            ("member.add", "Pak Admin Kabupaten"), ("admin.grant", "Pak Admin Kabupaten"),
            ("member.remove", "Pak Admin Kabupaten")]


async def test_terapkan_after_switching_to_b_is_refused_as_the_other_agencys_file(ahmad_in_b, fake, db_url, engine):
    async with bot(fake, db_url):
        assert "Pratinjau rencana aksi" in await upload(fake, A_ADMIN, seed_file(2021))  # A's file, acting as A
        await act(fake, A_ADMIN, text="/instansi")
        await act(fake, A_ADMIN, press=short(B_AGENCY))
        before = snapshot(engine)
        text = await act(fake, A_ADMIN, press="✅ Terapkan")
        assert f"judulnya menyebut «{A_TITLE}», sedangkan Anda admin {B_AGENCY}" in text
        assert changed_tables(before, snapshot(engine)) == []
