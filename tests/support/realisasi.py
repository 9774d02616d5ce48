"""Filling the realisation template as a PIC would in Excel, for the domain, CLI and bot tests."""

import io

from openpyxl import load_workbook

from bot.domain.realisation_file.template import HEADER_ROW

Key = tuple[str, int | str, str]  # (Jenis as the sheet says it, kegiatan seq or "", number or "")


def _columns(ws) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[HEADER_ROW]}


def sheet_rows(data: bytes) -> dict[Key, int]:
    """{(Jenis, kegiatan seq, No.): row number} of the template's item rows."""
    ws = load_workbook(io.BytesIO(data)).active
    col = _columns(ws)
    return {(ws.cell(r, col["Jenis"]).value, ws.cell(r, col["No. kegiatan"]).value or "",
             ws.cell(r, col["No."]).value or ""): r
            for r in range(HEADER_ROW + 1, ws.max_row + 1)}


def fill(data: bytes, values: dict[Key, object], *, by: str | None = None, cells: dict[str, object] = ()) -> bytes:
    """The template with the «Realisasi» cell of each keyed row typed in (a str stays text, a number is
    stored as Excel stores a typed number), «Pelapor» set, and any other `cells` (`"B4": 3`) overwritten."""
    book = load_workbook(io.BytesIO(data))
    ws = book.active
    col = _columns(ws)
    rows = sheet_rows(data)
    for key, value in values.items():
        cell = ws.cell(rows[key], col["Realisasi"])
        cell.value = value
        if not isinstance(value, str):
            cell.number_format = "General"
    if by is not None:
        ws["B5"] = by
    for ref, value in dict(cells).items():
        ws[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
