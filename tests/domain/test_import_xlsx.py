"""The seed as an Excel workbook imports to the same plan as the text."""

import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl import load_workbook

from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.plan_import.parser import parse_plan_bytes
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.parser import parse_plan_xlsx
from bot.domain.plan_import.store import plan_json
from tests.fixtures.make_xlsx import SEED
from tests.fixtures.make_xlsx import cache_formula_values
from tests.fixtures.make_xlsx import write_formula_xlsx
from tests.fixtures.make_xlsx import write_with_hidden_draft
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


def test_the_sheet_with_the_kegiatan_table_is_used_and_named(tmp_path):
    path = tmp_path / "two-sheets.xlsx"
    write_xlsx(SEED.read_text(encoding="utf-8"), path)
    workbook = load_workbook(path)
    cover = workbook.create_sheet("Sampul", 0)
    cover["A1"] = "Rencana aksi BKD Gresik 2020 — lihat lembar berikut"
    workbook.save(path)
    parsed = parse_plan_xlsx(path)
    assert len(parsed.kegiatan) == 45
    assert (parsed.sheet, parsed.sheet_hidden) == ("RAPK 2020", False)


def two_plan_sheets(tmp_path) -> Path:
    path = tmp_path / "draft-and-final.xlsx"
    write_with_hidden_draft(SEED.read_text(encoding="utf-8"), path)
    return path


def test_several_plan_sheets_are_refused_unless_one_is_named(tmp_path):
    path = two_plan_sheets(tmp_path)
    with pytest.raises(PlanFormatError) as info:
        parse_plan_xlsx(path)
    assert info.value.code == "ambiguous_sheet"
    assert info.value.params["sheets"] == [{"title": "Draft", "hidden": True}, {"title": "RAPK 2020", "hidden": False}]
    assert str(info.value) == ("Buku kerja ini memuat rencana aksi di 2 lembar kerja: “Draft” (tersembunyi), "
                               "“RAPK 2020”. Sebutkan lembar yang dibaca (--sheet NAMA).")
    final = parse_plan_xlsx(path, sheet="RAPK 2020")
    assert (len(final.kegiatan), final.sheet, final.sheet_hidden) == (45, "RAPK 2020", False)
    draft = parse_plan_bytes(path.read_bytes(), "x.xlsx", sheet="draft")  # case does not matter
    assert (len(draft.kegiatan), draft.sheet, draft.sheet_hidden) == (44, "Draft", True)


def test_an_unknown_sheet_is_refused_with_the_sheets_there_are(tmp_path):
    with pytest.raises(PlanFormatError) as info:
        parse_plan_xlsx(FIXTURE, sheet="Final")
    assert info.value.code == "unknown_sheet"
    assert str(info.value) == "Lembar kerja “Final” tidak ada; buku kerja ini memuat: “RAPK 2020”."
    with pytest.raises(PlanFormatError, match="hanya untuk buku kerja Excel"):
        parse_plan_file(SEED, sheet="RAPK 2020")


def test_formulas_without_cached_values_are_refused(tmp_path):
    """A script wrote `=0.5` and `=1018175000` without computing them: the values are simply not in the file."""
    path = tmp_path / "formulas.xlsx"
    write_formula_xlsx(SEED.read_text(encoding="utf-8"), path)
    with pytest.raises(PlanFormatError) as info:
        parse_plan_xlsx(path)
    error = info.value
    # Counted off the seed's text with make_xlsx.typed_cell: 285 cells get a number format (`72%`, budgets, `3,00`).
    assert (error.code, error.line) == ("formula_without_value", 8)
    assert error.params["cells"] == ["D8", "H8", "D10", "H10", "D11"]
    assert error.params["count"] == 285
    assert str(error) == ("Baris 8: 285 sel berisi rumus tanpa nilai tersimpan (D8, H8, D10, H10, D11, …); berkas ini "
                          "ditulis oleh program lain dan nilainya belum dihitung. Buka dan simpan dulu di Excel, "
                          "lalu kirim lagi.")
    cache_formula_values(path)  # opened and saved in Excel: the same plan as typed values
    assert plan_json(parse_plan_xlsx(path)) == plan_json(parse_plan_file(FIXTURE))


def test_a_formula_returning_an_empty_string_has_a_cached_value(tmp_path):
    path = tmp_path / "empty-result.xlsx"
    write_xlsx("\n".join(SEED.read_text(encoding="utf-8").split("\n")[:17]), path)
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"</row></sheetData>",
                                                     b'<c r="Z17" t="str"><f>IF(1,"","x")</f><v></v></c>'
                                                     b"</row></sheetData>")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert parse_plan_xlsx(path).kegiatan[0].aksi[3].tw == ["", "", "", "3,00"]


def test_an_excel_date_in_a_target_cell_is_an_anomaly_not_a_target(tmp_path):
    """`2/1` typed into a target cell becomes 2 January: it is kept as written, never read as target 2."""
    kegiatan, parsed = parse_with_cell(tmp_path, "G17", datetime(2020, 1, 2), "dd-mm-yyyy", whole=True)
    aksi = kegiatan.aksi[3]
    assert aksi.tw[0] == "02-01-2020"
    assert (aksi.targets[0].kind, aksi.targets[0].value) == ("text", None)
    dates = [a for a in parsed.anomalies if a.code == "date_as_target"]
    assert [(a.line, a.why) for a in dates] == [
        (17, ("Target berisi tanggal: TW I “02-01-2020” (Excel mengubah ketikan menjadi tanggal?); tidak dibaca "
              "sebagai angka. Ketik ulang targetnya sebagai teks atau angka."))]
    assert not [a for a in parsed.anomalies if a.line == 17 and a.code == "quarter_target_not_a_number"]


def test_a_negative_budget_cell_is_refused_not_read_as_a_target(tmp_path):
    with pytest.raises(PlanFormatError) as info:
        parse_with_cell(tmp_path, "K14", -1018175000, "#,##0.00")
    assert (info.value.code, info.value.line) == ("negative_budget", 14)
    assert str(info.value) == "Baris 14: pagu negatif “-1.018.175.000,00”; pagu anggaran tidak boleh kurang dari nol."


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


def parse_with_cell(tmp_path, address: str, value: object, number_format: str, whole: bool = False):
    """The first kegiatan of the seed as a workbook, with one cell replaced (`whole`: and the parsed plan)."""
    path = tmp_path / "cells.xlsx"
    write_xlsx("\n".join(SEED.read_text(encoding="utf-8").split("\n")[:17]), path)
    workbook = load_workbook(path)
    cell = workbook.active[address]
    cell.value, cell.number_format = value, number_format
    workbook.save(path)
    parsed = parse_plan_xlsx(path)
    return (parsed.kegiatan[0], parsed) if whole else parsed.kegiatan[0]


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
