"""The evaluation workbook: Permendagri 86/2017 layout, and every number equal to the database's."""

import io
from datetime import UTC
from datetime import datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlmodel import Session

from bot.cli import main as rapk
from bot.domain.workbook import COL_BAND
from bot.domain.workbook import COL_PAGU
from bot.domain.workbook import COL_PCT
from bot.domain.workbook import COL_PIC
from bot.domain.workbook import COL_SPENT
from bot.domain.workbook import COL_TOTAL
from bot.domain.workbook import COL_TW1
from bot.domain.workbook import FLAG_COLOR
from bot.domain.workbook import build_workbook
from models import Agency
from models import Kegiatan
from models import KegiatanRealisation
from models import Person
from tests.support.seed import DIKLAT_TEKNIS
from tests.support.seed import JARINGAN
from tests.support.seed import MAKAN_MINUM
from tests.support.seed import PENJENJANGAN
from tests.support.seed import seed_with_reports
from tests.support.workbook import number
from tests.support.workbook import rows_by_kind


@pytest.fixture
def seed_plan(engine, seed_plan_path) -> int:
    return seed_with_reports(engine, seed_plan_path)


NOW = datetime(2020, 7, 9, 2, 0, tzinfo=UTC)  # 9 Juli 2020: TW II's deadline (7 Juli) has passed


def workbook(engine, plan_id: int, quarter: int = 2, now=NOW, **kwargs):
    with Session(engine) as session:
        data = build_workbook(plan_id, quarter, session=session, now=now, **kwargs)
    return load_workbook(io.BytesIO(data))


def test_layout_of_the_evaluation_form(engine, seed_plan):
    ws = workbook(engine, seed_plan)["Rencana Aksi"]
    assert [ws.cell(r, 1).value for r in range(1, 5)] == [
        "EVALUASI RENCANA AKSI PERJANJIAN KINERJA", "TW II TAHUN 2020", "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK",
        "Keadaan s.d. 30 Juni 2020"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A6:A7", "C6:C7", "H6:K6", "N6:R6", "V6:V7"} <= merged  # two-row header, grouped columns
    assert [ws.cell(7, c).value for c in range(8, 12)] == ["TW I", "TW II", "TW III", "TW IV"]
    assert [ws.cell(7, c).value for c in range(14, 19)] == [
        "Pagu (Rp)", "Realisasi s.d. TW II (Rp)", "Serapan terhadap pagu (%)", "Rencana (anggaran kas) s.d. TW II (Rp)",
        "Serapan terhadap rencana s.d. TW II (%)"]
    assert ws.cell(6, 13).value == "Tingkat Capaian (%)" and ws.cell(8, 22).value == "(22)"
    assert ws.freeze_panes == "D9"
    assert ws.print_title_rows == "$6:$8"
    setup = ws.page_setup
    # fitToWidth absent is 1 (ECMA-376's default): one page wide.
    assert (setup.orientation, setup.paperSize, setup.fitToWidth or 1, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    folio = workbook(engine, seed_plan, paper="folio")["Rencana Aksi"]
    assert folio.page_setup.paperSize == 14


def test_numbers_equal_the_database(engine, seed_plan):
    ws = workbook(engine, seed_plan)["Rencana Aksi"]
    with engine.connect() as conn:
        aksi_reals = {(k, no, q): v for k, no, q, v in conn.execute(sa.text(
            "SELECT k.name, a.no, r.quarter, r.value FROM aksirealisation r JOIN aksi a ON a.id = r.aksi_id "
            "JOIN kegiatan k ON k.id = a.kegiatan_id"))}
        budgets = dict(conn.execute(sa.text("SELECT name, budget FROM kegiatan")).all())
        spent = dict(conn.execute(sa.text(
            "SELECT k.name, SUM(r.budget_realised) FROM kegiatanrealisation r JOIN kegiatan k ON k.id = r.kegiatan_id "
            "WHERE r.quarter <= 2 GROUP BY k.name")).all())
        ind_reals = {(t, q): v for t, q, v in conn.execute(sa.text(
            "SELECT i.text, r.quarter, r.value FROM indicatorrealisation r "
            "JOIN kegiatanindicator i ON i.id = r.indicator_id"))}
    seen = {"aksi": 0, "kegiatan": 0, "indicator": 0}
    for kind, keg, row in rows_by_kind(ws, engine, seed_plan):
        values = [c.value for c in row]
        if kind == "aksi":
            no = int(values[2].split(".")[0])
            for q in (1, 2):
                assert number(values[COL_TW1 + q - 2]) == aksi_reals.get((keg, no, q)), (keg, no, q)
            assert values[COL_TW1 + 1 : COL_TW1 + 3] == [None, None]  # TW III and IV are not evaluated yet
        elif kind == "kegiatan":
            assert values[COL_PAGU - 1] == budgets[keg]
            assert values[COL_SPENT - 1] == spent.get(keg)
        elif kind == "indicator":
            for q in (1, 2):
                assert number(values[COL_TW1 + q - 2]) == ind_reals.get((values[3], q))
        seen[kind] = seen.get(kind, 0) + 1
    assert (seen["kegiatan"], seen["aksi"], seen["goal"], seen["program"]) == (45, 168, 3, 11)  # 11 blocks
    footer = [c.value for c in list(ws.iter_rows(min_row=ws.max_row - 2, max_row=ws.max_row - 2))[0]]
    assert footer[2] == "Rata-rata capaian kinerja dan jumlah anggaran"
    # 93,7: after TW II's deadline, worked out by hand in tests/domain/test_scoring.py.
    assert (footer[COL_PCT - 1], footer[COL_PAGU - 1], footer[COL_SPENT - 1]) == (93.7, 17_326_515_850, 6_422_349_132)
    assert footer[COL_BAND - 1] == "Sangat Tinggi (sebagian perlu dicek admin)"
    how = ws.cell(ws.max_row, 3).value
    assert how.startswith("Cara hitung: rata-rata capaian kegiatan; capaian kegiatan = rata-rata aksinya, tiap aksi "
                          "dibatasi 100%. Dihitung ")
    assert how.endswith(": 0 belum lapor (belum dihitung), 8 tidak lapor (dihitung 0), 4 target tidak wajar (tidak "
                        "dihitung, perlu dicek admin), 0 di atas 100%.")


def test_rows_a_reviewer_checks(engine, seed_plan):
    ws = workbook(engine, seed_plan)["Rencana Aksi"]
    rows = {}
    for kind, keg, row in rows_by_kind(ws, engine, seed_plan):
        rows.setdefault((kind, keg), []).append(row)
    diklat = [c.value for c in rows[("kegiatan", DIKLAT_TEKNIS)][0]]
    assert (diklat[COL_PCT - 1], diklat[COL_BAND - 1], diklat[COL_PIC - 1]) == (83.3, "Tinggi", "Ani Rahmawati")
    assert (diklat[COL_PAGU - 1], diklat[COL_SPENT - 1], diklat[COL_SPENT]) == (1_018_175_000, 305_452_500, 30)
    counted = [c.value for c in rows[("aksi", DIKLAT_TEKNIS)][1]]  # «Jumlah peserta … di data»: 60, 157
    assert counted[4:7] == [217, None, 60] and counted[8] == 48 and counted[COL_TOTAL - 1] == 48
    assert (counted[COL_PCT - 1], counted[COL_BAND - 1]) == (80, "Tinggi")
    wawasan = [c.value for c in rows[("indicator", DIKLAT_TEKNIS)][2]]
    assert wawasan[3:6] == ["c. Jumlah Peserta Wawasan Kebangsaan", 157, "Orang"]
    assert (wawasan[7], wawasan[8], wawasan[COL_TOTAL - 1], wawasan[COL_PCT - 1]) == (50, 60, 110, 70.1)
    assert wawasan[COL_BAND - 1] is None  # against the annual target: banded only at TW IV

    food_rows = rows[("aksi", MAKAN_MINUM)]
    first = food_rows[0]
    assert first[4].value == 1000 and first[COL_PCT - 1].value == 10
    assert first[COL_BAND - 1].value == "Sangat Rendah — target tidak wajar, tidak dihitung"
    assert first[4].fill.fgColor.rgb.endswith(FLAG_COLOR)
    food = [c.value for c in rows[("kegiatan", MAKAN_MINUM)][0]]
    assert (food[COL_PCT - 1], food[COL_BAND - 1]) == (None, "perlu dicek admin")
    # «Pendataan Peserta» of Penjenjangan: 30 due in TW II, nothing reported, deadline passed → 0.
    late = [c.value for c in rows[("aksi", PENJENJANGAN)][1]]
    silent = "Sangat Rendah — tidak lapor TW II (dihitung 0)"
    assert (late[COL_TOTAL - 1], late[COL_PCT - 1], late[COL_BAND - 1]) == (0, 0, silent)
    keg = [c.value for c in rows[("kegiatan", PENJENJANGAN)][0]]
    assert (keg[COL_PCT - 1], keg[COL_BAND - 1]) == (45.8, "Sangat Rendah (ada yang tidak lapor: dihitung 0)")
    # On 1 July the same aksi was still to come: not scored, not 0.
    before = workbook(engine, seed_plan, now=datetime(2020, 7, 1, 2, 0, tzinfo=UTC))["Rencana Aksi"]
    late = [[c.value for c in r] for kind, keg, r in rows_by_kind(before, engine, seed_plan)
            if kind == "aksi" and keg == PENJENJANGAN][1]
    assert (late[COL_PCT - 1], late[COL_BAND - 1]) == (None, "belum lapor TW II")
    money = rows[("kegiatan", DIKLAT_TEKNIS)][0][COL_PAGU - 1]
    assert money.number_format == "#,##0" and rows[("kegiatan", DIKLAT_TEKNIS)][0][COL_PCT - 1].number_format == "#,##0.0"


def test_completeness_sheet_lists_who_has_not_reported(engine, seed_plan):
    ws = workbook(engine, seed_plan)["Kelengkapan"]
    rows = [tuple(c.value for c in r) for r in ws.iter_rows(min_row=5)]
    assert rows[0] == ("Ani Rahmawati", 4, 1, "belum lapor", PENJENJANGAN)
    assert rows[-1] == ("(belum ada PIC)", 1, 1, "belum lapor", JARINGAN)
    # bot/due.py's rule: 44 due kegiatan held by a PIC (all 45 have a pagu; Jaringan has no PIC), 42 complete.
    assert ws["A2"].value == "PIC sudah lapor 7 dari 9; kegiatan 42 dari 44"


def test_cli_export_writes_the_workbook(engine, seed_plan, db_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    out = tmp_path / "evaluasi" / "tw2.xlsx"
    assert rapk(["export", "--quarter", "2", "--out", str(out)]) == 0
    assert "evaluasi TW 2 2020" in capsys.readouterr().out
    assert load_workbook(out)["Rencana Aksi"]["A2"].value == "TW II TAHUN 2020"


def test_indicator_rows_get_a_band_at_year_end(engine, seed_plan):
    ws = workbook(engine, seed_plan, quarter=4, now=datetime(2021, 1, 15, 2, 0, tzinfo=UTC))["Rencana Aksi"]
    wawasan = next(r for kind, keg, r in rows_by_kind(ws, engine, seed_plan)
                   if kind == "indicator" and r[3].value == "c. Jumlah Peserta Wawasan Kebangsaan")
    # 50 + 60 + 0 + 0 of 157 for the year (increment: TW III and IV never reported count 0) = 70,1.
    silent = "Sedang — tidak lapor TW III, TW IV (dihitung 0)"
    assert (wawasan[COL_PCT - 1].value, wawasan[COL_BAND - 1].value) == (70.1, silent)


def test_text_that_looks_like_a_formula_is_written_as_text(engine, seed_plan):
    """A kegiatan, a PIC or a kendala typed as a formula must not run when leadership opens the file."""
    evil = {"kegiatan": '=HYPERLINK("http://evil.example","klik")', "pic": "=1+2", "kendala": "=cmd|' /C calc'!A0"}
    with Session(engine) as session:
        session.execute(sa.update(Kegiatan).where(Kegiatan.name == DIKLAT_TEKNIS).values(name=evil["kegiatan"]))
        session.execute(sa.update(Person).where(Person.name == "Budi Santoso").values(name=evil["pic"]))
        session.execute(sa.update(KegiatanRealisation).values(kendala=evil["kendala"]))
        session.execute(sa.update(Agency).values(name="=2+2"))
        session.commit()
    book = workbook(engine, seed_plan)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    values = {c.value for c in cells}
    assert {evil["kegiatan"], evil["kendala"], "=2+2"} <= values
    assert any(isinstance(v, str) and evil["pic"] in v for v in values)
