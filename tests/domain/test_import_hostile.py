"""Hostile and oversized files are refused before they are parsed, in a few megabytes of memory.

The zip bomb (one 200 MB shared string in a 1 MB workbook) and the 2-million-cell sheet are built
here at run time, never committed. Memory is measured with tracemalloc: every Python allocation,
the decompressed bytes included.
"""

import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from bot.domain.plan_import.parser import MAX_PLAN_BYTES
from bot.domain.plan_import.parser import MAX_XLSX_CELLS
from bot.domain.plan_import.parser import MAX_XLSX_UNPACKED
from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.plan_import.parser import parse_plan_bytes
from bot.domain.plan_import.parser import parse_plan_file
from bot.text.render import message
from tests.fixtures.make_broken import hostile_xlsx
from tests.fixtures.make_broken import many_cells_xlsx
from tests.fixtures.make_broken import zip_bomb_xlsx
from tests.support.plans import seed_lines

MB = 1024 * 1024
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "rapk-2020-bkd-gresik.xlsx"


def refusal(data: bytes, name: str = "rencana.xlsx") -> PlanFormatError:
    with pytest.raises(PlanFormatError) as info:
        parse_plan_bytes(data, name)
    return info.value


def traced_refusal(data: bytes) -> tuple[PlanFormatError, int]:
    """The refusal of `data` and the peak of memory allocated while refusing it."""
    message(PlanFormatError(0, "too_many_cells", limit=1))  # the message templates compiled beforehand
    tracemalloc.start()
    try:
        error = refusal(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return error, peak


def test_the_limits_are_the_documented_ones():
    assert (MAX_PLAN_BYTES, MAX_XLSX_UNPACKED, MAX_XLSX_CELLS) == (5 * MB, 50 * MB, 200_000)


@pytest.fixture
def openpyxl_untouched(monkeypatch):
    """Refused before parsing means before openpyxl opens the workbook at all."""
    import openpyxl

    def opened(*args, **kwargs):
        raise AssertionError("openpyxl opened a workbook that should have been refused before")

    monkeypatch.setattr(openpyxl, "load_workbook", opened)


def test_a_zip_bomb_is_refused_by_its_uncompressed_size_without_unpacking_it(openpyxl_untouched):
    bomb = zip_bomb_xlsx(200 * MB)
    assert len(bomb) < 2 * MB
    error, peak = traced_refusal(bomb)
    assert error.code == "xlsx_unpacked_too_big"
    assert str(error) == (
        "Isi buku kerja terlalu besar setelah dibuka: 200,0 MB, paling banyak 50 MB "
        "(bom zip atau berkas rusak?). Simpan ulang di Excel tanpa data yang tidak perlu."
    )
    assert peak < 8 * MB  # the 200 MB string is never inflated


def test_a_two_million_cell_sheet_is_refused_by_its_cell_count_before_it_is_read(openpyxl_untouched):
    sheet = many_cells_xlsx(2_000_000)
    error, peak = traced_refusal(sheet)
    assert error.code == "too_many_cells"
    assert str(error) == (
        "Buku kerja terlalu besar: lebih dari 200.000 sel. "
        "Hapus lembar kerja dan baris yang tidak perlu, lalu kirim lagi."
    )
    assert peak < 8 * MB  # streamed in chunks: never the 31 MB sheet, never a cell object per cell


def test_cells_in_prefixed_xml_are_counted_too(openpyxl_untouched):
    """`<x:c>` is the same cell to a spreadsheet reader: it must not slip past the count."""
    error = refusal(prefixed_sheet(rows=MAX_XLSX_CELLS // 20 + 1))
    assert error.code == "too_many_cells"


def prefixed_sheet(rows: int) -> bytes:
    """A sheet written with a namespace prefix on every element (`<x:row><x:c><x:v>`), 20 cells a row."""
    plain = hostile_xlsx([])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                row = b"<x:row>" + b"<x:c><x:v>1</x:v></x:c>" * 20 + b"</x:row>"
                data = (
                    b'<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/'
                    b'spreadsheetml/2006/main"><x:sheetData>' + row * rows + b"</x:sheetData></x:worksheet>"
                )
            dst.writestr(info.filename, data)
    return out.getvalue()


def test_a_row_far_past_the_last_excel_row_is_refused_not_walked_to():
    rows = [b'<row r="1"><c r="A1"><v>1</v></c></row>', b'<row r="900000000"><c r="A900000000"><v>1</v></c></row>']
    error = refusal(hostile_xlsx(rows))
    assert error.code == "broken_xlsx"


def test_cells_padded_to_a_far_column_count_against_the_limit():
    """One stored cell at column XFD makes a row 16,384 cells wide: reading it costs that much."""
    rows = [b'<row r="%d"><c r="XFD%d"><v>1</v></c></row>' % (r, r) for r in range(1, 14)]
    error = refusal(hostile_xlsx(rows))
    assert error.code == "too_many_cells"


def test_a_wrong_stored_dimension_is_not_trusted():
    """Some writers store `<dimension ref="A1:XFD1048576"/>`: read as stored, not padded to 17 billion cells."""
    with zipfile.ZipFile(FIXTURE) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert b'<dimension ref="A3:M278"' in sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b'<dimension ref="A3:M278"', b'<dimension ref="A1:XFD1048576"')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    parsed = parse_plan_bytes(out.getvalue(), "rapk.xlsx")
    assert len(parsed.kegiatan) == 45 and parsed.budget_total == 17_326_515_850


def test_a_file_past_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "rencana.txt"
    junk = "\t".join(["x"] * 10) + "\n"
    text = "\n".join(seed_lines()) + "\n" + junk * ((MAX_PLAN_BYTES // len(junk)) + 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanFormatError) as info:
        parse_plan_file(path)
    assert info.value.code == "file_too_big"
    assert str(info.value).startswith("Berkas terlalu besar: 5,0 MB, paling banyak 5 MB.")
    with pytest.raises(PlanFormatError, match="^Berkas terlalu besar"):
        parse_plan_bytes(path.read_bytes(), "rencana.txt")
