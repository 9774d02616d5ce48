"""The seed as an Excel workbook imports to the same plan as the text."""

from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl import load_workbook

from bot.domain.plan_import.parser import parse_plan_bytes
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.parser import parse_plan_xlsx
from bot.domain.plan_import.store import plan_json
from tests.fixtures.make_xlsx import SEED
from tests.fixtures.make_xlsx import write_xlsx

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "rapk-2020-bkd-gresik.xlsx"


def comparable(plan: dict) -> dict:
    # A text line keeps its trailing tabs; a sheet row has no "trailing empty cells" to keep.
    return {**plan, "anomalies": [{**a, "raw": a["raw"].rstrip("\t")} for a in plan["anomalies"]]}


def test_the_xlsx_fixture_is_typed_like_excel_holds_it():
    sheet = load_workbook(FIXTURE).active
    budget, percent, decimal = sheet["K14"], sheet["H14"], sheet["J17"]
    assert (budget.value, budget.number_format) == (1018175000, "#,##0.00")
    assert (percent.value, percent.number_format) == (0.5, "0%")
    assert (decimal.value, decimal.number_format) == (3.0, "0.00")
    assert sheet["D14"].value == "30 Orang"


def test_xlsx_imports_to_the_same_plan_as_the_text():
    from_text = plan_json(parse_plan_file(SEED))
    from_xlsx = plan_json(parse_plan_file(FIXTURE))
    assert from_xlsx["kegiatan"] == from_text["kegiatan"]
    assert from_xlsx["budget_total"] == 17_326_515_850
    assert comparable(from_xlsx) == comparable(from_text)


def test_the_committed_fixture_is_what_the_script_writes(tmp_path):
    fresh = tmp_path / "fresh.xlsx"
    write_xlsx(SEED.read_text(encoding="utf-8"), fresh)
    assert plan_json(parse_plan_file(fresh)) == plan_json(parse_plan_file(FIXTURE))


def test_xlsx_bytes_are_sniffed_whatever_the_name():
    # A chat attachment may arrive without a useful name.
    assert len(parse_plan_bytes(FIXTURE.read_bytes(), "lampiran").kegiatan) == 45


def test_the_sheet_with_the_kegiatan_table_is_used(tmp_path):
    path = tmp_path / "two-sheets.xlsx"
    write_xlsx(SEED.read_text(encoding="utf-8"), path)
    workbook = load_workbook(path)
    cover = workbook.create_sheet("Sampul", 0)
    cover["A1"] = "Rencana aksi BKD Gresik 2020 — lihat lembar berikut"
    workbook.save(path)
    assert len(parse_plan_xlsx(path).kegiatan) == 45


def test_pic_column_in_xlsx(tmp_path):
    lines = SEED.read_text(encoding="utf-8").split("\n")
    lines[11] += "\tPIC"  # the first kegiatan header
    lines[13] += "\tSiti Aminah, S.E.; Budi Santoso"
    lines[17] += "\tsiti aminah, S.E."
    path = tmp_path / "pic.xlsx"
    write_xlsx("\n".join(lines), path)
    parsed = parse_plan_xlsx(path)
    assert parsed.kegiatan[0].pics == ["Siti Aminah, S.E.", "Budi Santoso"]
    assert parsed.kegiatan[1].pics == ["siti aminah, S.E."]
    assert parsed.kegiatan[0].budget == 1_018_175_000  # the PIC column does not push the budget out


def parse_with_cell(tmp_path, address: str, value: object, number_format: str):
    """The first kegiatan of the seed as a workbook, with one cell replaced."""
    path = tmp_path / "cells.xlsx"
    write_xlsx("\n".join(SEED.read_text(encoding="utf-8").split("\n")[:17]), path)
    workbook = load_workbook(path)
    cell = workbook.active[address]
    cell.value, cell.number_format = value, number_format
    workbook.save(path)
    return parse_plan_xlsx(path).kegiatan[0]


@pytest.mark.parametrize(("value", "number_format", "shown"), [
    (0.25, "0%", "25%"), (0.075, "0.0%", "7,5%"), (2835, "General", "2835"), (3.5, "General", "3,5"),
    (1, "0.00", "1,00"),
])
def test_numeric_cells_read_as_the_sheet_shows_them(tmp_path, value, number_format, shown):
    kegiatan = parse_with_cell(tmp_path, "G17", value, number_format)  # TW I of aksi 4
    assert kegiatan.aksi[3].tw[0] == shown


@pytest.mark.parametrize(("value", "number_format", "raw", "budget"), [
    (1018175000, "#,##0.00", "1.018.175.000,00", 1018175000), (10000000, "#,##0", "10.000.000", 10000000),
    (25000000, "General", "25000000", 25000000),
])
def test_budget_cells_in_any_number_format(tmp_path, value, number_format, raw, budget):
    kegiatan = parse_with_cell(tmp_path, "K14", value, number_format)  # KETERANGAN of kegiatan 1
    assert (kegiatan.budget_raw, kegiatan.budget) == (raw, budget)


def test_empty_workbook_sheet_is_refused(tmp_path):
    path = tmp_path / "empty.xlsx"
    Workbook().save(path)
    with pytest.raises(ValueError, match=r"^Baris 1: lembar kerja “Sheet” kosong"):
        parse_plan_xlsx(path)
