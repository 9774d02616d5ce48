"""/rekap and /opd end to end (the real bot against the fake Bot API): Bappeda reads every OPD ranked, drills
into one OPD's digest and back, takes the kabupaten workbook; the kabupaten admin adds an OPD whose first
admin joins with the invite. Figures: tests/support/kabupaten.py (worked out by hand)."""

import html
import io
import re

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.db import unit_of_work
from bot.telegram import callbacks as cb
from bot.telegram.app import command_menu
from bot.telegram.commands import PIC_MENU
from models import Agency
from models import Person
from tests.support.admin_steps import changed_tables
from tests.support.admin_steps import snapshot
from tests.support.harness import ADMIN_ID
from tests.support.harness import BotHarness
from tests.support.kabupaten import AFTER_TW1
from tests.support.kabupaten import BAPPEDA_ID
from tests.support.kabupaten import KAB_ADMIN_ID
from tests.support.kabupaten import OPD_A
from tests.support.kabupaten import OPD_B
from tests.support.kabupaten import OPD_C
from tests.support.kabupaten import make_kabupaten


def plain(message: dict) -> str:
    return html.unescape(re.sub(r"</?[a-z][^>]*>", "", message.get("text") or message.get("caption") or ""))


@pytest.fixture
async def bot(fake, db_url, engine):
    with unit_of_work(engine) as session:
        ids = make_kabupaten(session)
    fake.add_user(BAPPEDA_ID, "Bappeda", username="bappeda")
    fake.add_user(KAB_ADMIN_ID, "AdminKab", username="adminkab")
    h = BotHarness(fake, db_url, now=AFTER_TW1)
    await h.start()
    h.ids = ids
    yield h
    await h.stop()


async def test_rekap_ranks_every_opd_with_the_hand_figures(bot, fake):
    fake.send_command(BAPPEDA_ID, "/rekap")
    await fake.wait_idle()
    photo, text = fake.messages_to(BAPPEDA_ID)[-2:]
    assert "photo" in photo
    body = plain(text)
    assert "Rekap kabupaten TW I · 2 dari 3 OPD punya rencana" in body
    assert "Capaian IKU (rata-rata OPD): 82,5%" in body
    assert "Progres aksi (rata-rata OPD): 65,0%" in body
    assert "Serapan anggaran: 18,8% (Rp75.000.000 dari Rp400.000.000 terhadap pagu)" in body
    assert "Kelengkapan laporan: 2 dari 3 kegiatan (66,7%)" in body
    assert "Verifikasi: ✅ 1 diterima · ⏳ 1 menunggu · ↩️ 0 dikembalikan" in body
    assert body.index(f"1. {OPD_A}") < body.index(f"2. {OPD_B}") < body.index(f"–. {OPD_C} · belum ada rencana")
    assert "IKU 90,0% · aksi 80,0% · serapan 25,0% · lapor 1/1 · ✅ 1 ⏳ 0 ↩️ 0" in body
    assert "IKU 75,0% · aksi 50,0% · serapan 16,7% · lapor 1/2 · ✅ 0 ⏳ 1 ↩️ 0" in body
    assert fake.buttons(text) == [[f"1. {OPD_A}"], [f"2. {OPD_B}"], ["📥 Workbook"]]


async def test_drill_down_into_one_opd_and_back(bot, fake):
    fake.send_command(BAPPEDA_ID, "/rekap")
    await fake.wait_idle()
    rekap = fake.messages_to(BAPPEDA_ID)[-1]
    fake.press_button(BAPPEDA_ID, rekap, cb.REKAP_OPD.build(agency=bot.ids[OPD_B]["agency"], quarter=1))
    await fake.wait_idle()
    digest = fake.last_message_to(BAPPEDA_ID)
    assert OPD_B in plain(digest) and "Rehabilitasi ruang kelas" in plain(digest)  # the OPD's own digest
    assert fake.buttons(digest) == [["⬅️ Rekap"]]
    fake.press_button(BAPPEDA_ID, digest, cb.REKAP_BACK.build(quarter=1))
    await fake.wait_idle()
    assert "Rekap kabupaten TW I" in plain(fake.last_message_to(BAPPEDA_ID))


async def test_kabupaten_workbook_has_a_summary_and_a_sheet_per_opd(bot, fake):
    fake.send_command(BAPPEDA_ID, "/rekap")
    await fake.wait_idle()
    fake.press_button(BAPPEDA_ID, fake.messages_to(BAPPEDA_ID)[-1], cb.REKAP_XLSX.build(quarter=1))
    await fake.wait_idle()
    [(name, content)] = [(n, c) for n, c, method in fake.files_sent_to(BAPPEDA_ID) if method == "sendDocument"]
    assert name == "Rekap-Kabupaten-2020-TW-I.xlsx"
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Rekap", OPD_A, OPD_B]
    rows = [[c.value for c in row] for row in book["Rekap"].iter_rows(min_row=4, max_row=7)]
    assert rows[0][:9] == [1, OPD_A, 2020, 1, 90, 80, 25, 100_000_000, 25_000_000]
    assert rows[1][:12] == [2, OPD_B, 2020, 1, 75, 50, 16.7, 300_000_000, 50_000_000, 2, 1, 50]
    assert rows[2][:3] == [None, OPD_C, "belum ada rencana"]
    assert rows[3][1:15] == ["KABUPATEN", None, 1, 82.5, 65, 18.8, 400_000_000, 75_000_000, 3, 2, 66.7, 1, 1, 0]
    sheet = [[c.value for c in row] for row in book[OPD_B].iter_rows(min_row=4, max_row=5)]
    assert sheet[0][:9] == [1, "Bantuan operasional sekolah", "Bayu Pendidikan", 100, 200_000_000, 50_000_000, 25,
                            "sudah lapor", "menunggu"]
    assert sheet[1][1] == "Rehabilitasi ruang kelas" and sheet[1][3] == 0 and sheet[1][7] == "belum lapor"


async def test_opd_tambah_invites_the_first_admin(bot, fake, engine):
    fake.send_command(KAB_ADMIN_ID, "/opd tambah Dinas Sosial; Citra Dewi")
    await fake.wait_idle()
    answer = plain(fake.last_message_to(KAB_ADMIN_ID))
    assert "OPD Dinas Sosial ditambahkan. Admin pertamanya: Citra Dewi." in answer
    token = re.search(r"start=([\w-]+)", answer)[1]
    fake.add_user(5300, "Citra", username="citra")
    fake.send_command(5300, "/start", token)
    await fake.wait_idle()
    with unit_of_work(engine) as session:
        agency = session.exec(select(Agency).where(Agency.name == "Dinas Sosial")).one()
        person = session.exec(select(Person).where(Person.telegram_user_id == 5300)).one()
        assert (person.name, person.is_admin, person.agency_id) == ("Citra Dewi", True, agency.id)
    fake.send_command(KAB_ADMIN_ID, "/opd")
    await fake.wait_idle()
    assert "Dinas Sosial · rencana belum ada · admin Citra Dewi (1 sudah terhubung)" in plain(
        fake.last_message_to(KAB_ADMIN_ID))


@pytest.mark.parametrize(("text", "expected"), [
    ("/opd tambah dinas kesehatan; Dewi", "OPD «dinas kesehatan» sudah ada"),
    ("/opd tambah Dinas Baru", "Nama admin pertama kosong"),
    ("/opd tambah", "Nama OPD kosong"),
    ("/opd hapus Dinas Kesehatan", "Perintah /opd tidak dikenal"),
])
async def test_opd_bad_input_is_explained_and_changes_nothing(bot, fake, engine, text, expected):
    before = snapshot(engine)
    fake.send_message(KAB_ADMIN_ID, text)
    await fake.wait_idle()
    assert expected in plain(fake.last_message_to(KAB_ADMIN_ID))
    assert changed_tables(before, snapshot(engine)) == []


async def test_rekap_and_opd_refuse_others(bot, fake, engine):
    before = snapshot(engine)
    for user, command in ((ADMIN_ID, "/rekap"), (ADMIN_ID, "/opd"), (BAPPEDA_ID, "/opd tambah X; Y")):
        fake.send_message(user, command)
        await fake.wait_idle()
        assert "Maaf, perintah ini untuk" in plain(fake.last_message_to(user)), command
    assert changed_tables(before, snapshot(engine)) == []


async def test_the_kabupaten_menus(bot, fake):
    """At /start: Bappeda's chat menu is the PIC menu and /rekap; the kabupaten admin's adds /opd."""
    pic_menu = [c.command for c in command_menu(PIC_MENU, "id")]
    for user, extra in ((BAPPEDA_ID, ["rekap"]), (KAB_ADMIN_ID, ["rekap", "opd"])):
        fake.send_command(user, "/start")
        await fake.wait_idle()
        assert [name for name, _ in fake.commands({"type": "chat", "chat_id": user})] == pic_menu + extra
        assert "ketuk /rekap" in plain(fake.last_message_to(user))


async def test_bantuan_names_the_kabupaten_commands(bot, fake):
    fake.send_command(KAB_ADMIN_ID, "/bantuan")
    await fake.wait_idle()
    text = plain(fake.last_message_to(KAB_ADMIN_ID))
    assert "/rekap [TW]" in text and "/opd tambah Nama OPD; Nama admin" in text and "belum terdaftar" not in text


async def test_rekap_bad_quarter(bot, fake):
    fake.send_command(BAPPEDA_ID, "/rekap 7")
    await fake.wait_idle()
    assert "Triwulan «7» tidak dikenal" in plain(fake.last_message_to(BAPPEDA_ID))
