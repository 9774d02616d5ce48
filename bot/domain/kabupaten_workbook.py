"""The kabupaten workbook (.xlsx): sheet «Rekap» with every OPD's row in rank order and the kabupaten row
below them, then one sheet per OPD with a plan: its kegiatan with aksi progress, pagu, realisation,
absorption, whether TW n is reported and its verification state.

Every figure is the rekap's (bot.domain.kabupaten) and each OPD sheet is that OPD's PlanScore: nothing is
computed here, so the «Rekap» row of an OPD is its sheet's figures, and the kabupaten row is recomputable
from the OPD rows (its note says how). Its own module: the one-OPD evaluation workbook is bot.domain.workbook.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.styles import Font
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from bot.domain.kabupaten import Rekap
from bot.text.render import labels

PCT, MONEY = "#,##0.0", "#,##0"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SHEET_NAME_MAX = 31  # Excel's limit
SUMMARY = ("rank", "opd", "plan_year", "quarter", "iku", "aksi", "absorption", "pagu", "realised", "due",
           "reported", "completeness", "accepted", "pending", "returned")
OPD_COLUMNS = ("no", "kegiatan", "pics", "aksi", "pagu", "realised", "absorption", "status", "verification")
FORMATS = {"iku": PCT, "aksi": PCT, "absorption": PCT, "completeness": PCT, "pagu": MONEY, "realised": MONEY}


def _number(value):
    return float(value) if isinstance(value, Decimal) else value


def _header(ws, row: int, keys, words) -> None:
    for col, key in enumerate(keys, start=1):
        cell = ws.cell(row, col, words[key])
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def _put(ws, row: int, keys, values: dict, *, bold: bool = False) -> None:
    for col, key in enumerate(keys, start=1):
        cell = ws.cell(row, col, _number(values.get(key)))
        if key in FORMATS:
            cell.number_format = FORMATS[key]
        if bold:
            cell.font = Font(bold=True)


def _sheet_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:SHEET_NAME_MAX] or "OPD"
    out, n = base, 2
    while out.casefold() in taken:
        suffix = f" ({n})"
        out, n = base[:SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
    taken.add(out.casefold())
    return out


def build_kabupaten_workbook(rekap: Rekap, *, lang: str = "id") -> bytes:
    words = labels("rekap_labels", lang)
    wb = Workbook()
    ws = wb.active
    ws.title = words["summary_sheet"]
    year = next((r.year for r in rekap.rows if r.year), "")
    ws.cell(1, 1, words["title"].format(tw=f"TW {rekap.quarter}" if rekap.quarter else "", year=year)).font = Font(
        bold=True, size=14)
    _header(ws, 3, SUMMARY, words)
    for i, r in enumerate(rekap.rows, start=4):
        _put(ws, i, SUMMARY, {"rank": r.rank, "opd": r.agency, "plan_year": r.year, "quarter": r.quarter,
                              "iku": r.iku_pct, "aksi": r.aksi_pct, "absorption": r.absorption, "pagu": r.pagu,
                              "realised": r.realised, "due": r.kegiatan_due if r.plan_id else None,
                              "reported": r.kegiatan_reported if r.plan_id else None,
                              "completeness": r.completeness, "accepted": r.verification.accepted,
                              "pending": r.verification.pending, "returned": r.verification.returned}
             if r.plan_id is not None else {"opd": r.agency, "plan_year": words["no_plan"]})
    t = rekap.totals
    last = 4 + len(rekap.rows)
    _put(ws, last, SUMMARY, {"opd": words["kabupaten"], "quarter": rekap.quarter, "iku": t.iku_pct, "aksi": t.aksi_pct,
                             "absorption": t.absorption, "pagu": t.pagu, "realised": t.realised,
                             "due": t.kegiatan_due, "reported": t.kegiatan_reported, "completeness": t.completeness,
                             "accepted": t.verification.accepted, "pending": t.verification.pending,
                             "returned": t.verification.returned}, bold=True)
    ws.cell(last + 1, 2, words["kabupaten_note"]).font = Font(italic=True)
    for col, width in enumerate((9, 40, 8, 9, 11, 11, 13, 18, 18, 11, 11, 13, 10, 12, 12), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "C4"

    taken = {ws.title.casefold()}
    for r in rekap.rows:
        ps = rekap.scores.get(r.agency_id)
        if ps is None:
            continue
        sheet = wb.create_sheet(_sheet_name(r.agency, taken))
        sheet.cell(1, 1, f"{r.agency} · {words['title'].format(tw=f'TW {ps.quarter_no}', year=ps.year)}").font = Font(
            bold=True, size=13)
        _header(sheet, 3, OPD_COLUMNS, words)
        statuses = rekap.reviews.get(r.agency_id, {})
        row = 4
        for k in ps.kegiatan:
            reported = k.reported
            _put(sheet, row, OPD_COLUMNS, {
                "no": k.seq, "kegiatan": k.name, "pics": ", ".join(k.pic_names), "aksi": k.cumulative.pct,
                "pagu": k.budget.pagu, "realised": k.budget.real_cumulative, "absorption": k.budget.absorption,
                "status": words["not_due" if reported is None else "reported_yes" if reported else "reported_no"],
                "verification": words[f"status_{statuses.get(k.id, 'none')}"]})
            row += 1
        _put(sheet, row, OPD_COLUMNS, {"kegiatan": words["opd"], "aksi": r.aksi_pct, "pagu": r.pagu,
                                       "realised": r.realised, "absorption": r.absorption,
                                       "status": f"{r.kegiatan_reported}/{r.kegiatan_due}"}, bold=True)
        sheet.cell(row + 1, 2, f"{words['iku']}: {'' if r.iku_pct is None else r.iku_pct}")
        for col, width in enumerate((6, 48, 28, 11, 18, 18, 13, 14, 16), start=1):
            sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.freeze_panes = "C4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
