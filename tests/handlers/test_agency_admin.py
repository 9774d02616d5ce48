"""The admin side of many agencies: /impor stores a plan file only into the agency the admin acts in (a file
naming another OPD is refused, nothing changed; «BKD» and «Badan Kepegawaian Daerah Kabupaten Gresik» are the
same OPD), and a person with roles in two OPD switches which one they act in (/opd pilih)."""

from contextlib import asynccontextmanager

import pytest
from sqlmodel import select

from bot.db import unit_of_work
from models import Agency
from models import Kegiatan
from models import Plan
from tests.support.admin_steps import act
from tests.support.admin_steps import buttons_of
from tests.support.admin_steps import changed_tables
from tests.support.admin_steps import snapshot
from tests.support.agencies import A_ADMIN
from tests.support.agencies import B_ADMIN
from tests.support.agencies import B_AGENCY
from tests.support.agencies import add_agency_b
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
