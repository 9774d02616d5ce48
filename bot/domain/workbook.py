"""The quarterly evaluation workbook (.xlsx): the Permendagri 86/2017 Renja evaluation form, then the RAPK.

Sheet «Evaluasi»: the form itself, from bot.domain.evaluation_form (its docstring says the columns (1)–(18),
K and Rp per TW, the rows, the footer and the «Disusun» / «Dievaluasi» signature block); the PDF
(bot.domain.form_pdf) prints the same model.
Sheet «Rencana Aksi»: title rows, a merged two-row header and a row of column numbers, then goal with
its IKU / program block with its outcome indicators / kegiatan / kegiatan-indicator / aksi rows
with annual target, target to date, realisation TW I–IV, realisation to date, achievement %,
budget (pagu), budget realised, absorption % of the pagu, anggaran kas to date and absorption % of
it (bot.domain.budget_plan: of the kegiatan that have one), band, PIC, obstacles and follow-up; at
the foot the Perjanjian Kinerja first («Capaian kinerja sasaran», the IKU; «Capaian program»), then
the plan's average of its aksi and the band; the last column counts the kegiatan's bukti dukung of TW n
(evidence is kept per kegiatan and quarter, so every row of a kegiatan shows its count).
Sheet «Kelengkapan»: who has and has not reported the quarter.

Number formats use Excel's codes (`#,##0`, `#,##0.0`): in a format code `,` and `.` mean «the
reader's grouping and decimal separators», so Excel on an Indonesian system shows
`1.018.175.000` and `84,3` from the same file. Percentages are stored as percent numbers
(84.3, not 0.843) so every cell equals the number the bot reports. Money is written as integer
rupiah, other values as Decimal — no floats are written. Panes are frozen below the header and
right of the names; pages are landscape, fitted to one page wide, header rows repeated.
"""

from __future__ import annotations

import io
from copy import copy
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.styles import Border
from openpyxl.styles import Font
from openpyxl.styles import NamedStyle
from openpyxl.styles import PatternFill
from openpyxl.styles import Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from bot.config import Settings
from bot.domain import evaluation_form as ef
from bot.domain.scoring import DEFAULT_BANDS
from bot.domain.scoring import MISSING
from bot.domain.scoring import NOT_DUE
from bot.domain.scoring import PARTIAL
from bot.domain.scoring import PENDING
from bot.domain.scoring import AksiScore
from bot.domain.scoring import Budget
from bot.domain.scoring import IndicatorScore
from bot.domain.scoring import KegiatanScore
from bot.domain.scoring import Measure
from bot.domain.scoring import OutcomeScore
from bot.domain.scoring import PlanScore
from bot.domain.scoring import gc_paused
from bot.domain.scoring import score_plan_from_db
from bot.text import formatting

PAPER_SIZES = {"a4": 9, "folio": 14}  # Excel paper codes; Folio/F4 is 8,5 × 13 in
QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}

# (header, sub-header or None, width); a run of the same header over sub-headers is merged.
COLUMNS: list[tuple[str, str | None, float]] = [
    ("No", None, 6),
    ("Sasaran Strategis", None, 24),
    ("Program / Kegiatan / Aksi", None, 40),
    ("Indikator Kinerja", None, 40),
    ("Target Tahunan", None, 11),
    ("Satuan", None, 9),
    ("Target s.d. {tw}", None, 11),
    ("Realisasi Kinerja", "TW I", 10),
    ("Realisasi Kinerja", "TW II", 10),
    ("Realisasi Kinerja", "TW III", 10),
    ("Realisasi Kinerja", "TW IV", 10),
    ("Realisasi s.d. {tw}", None, 11),
    ("Tingkat Capaian (%)", None, 10),
    ("Anggaran", "Pagu (Rp)", 17),
    ("Anggaran", "Realisasi s.d. {tw} (Rp)", 17),
    ("Anggaran", "Serapan terhadap pagu (%)", 10),
    ("Anggaran", "Rencana (anggaran kas) s.d. {tw} (Rp)", 17),
    ("Anggaran", "Serapan terhadap rencana s.d. {tw} (%)", 11),
    ("Predikat", None, 14),
    ("Penanggung Jawab (PIC)", None, 20),
    ("Faktor Penghambat", None, 30),
    ("Tindak Lanjut", None, 30),
    ("Bukti Dukung {tw} (berkas)", None, 10),
    ("Status Verifikasi", None, 16),
    ("Keterangan", None, 36),
]
(COL_NO, COL_GOAL, COL_NAME, COL_INDICATOR, COL_ANNUAL, COL_UNIT, COL_TARGET, COL_TW1, _, _, _, COL_TOTAL,
 COL_PCT, COL_PAGU, COL_SPENT, COL_ABSORPTION, COL_PLANNED, COL_ABSORPTION_PLAN, COL_BAND, COL_PIC, COL_KENDALA,
 COL_TINDAK, COL_EVIDENCE, COL_STATUS, COL_KETERANGAN) = range(1, 26)
N_COLS = len(COLUMNS)
HEADER_TOP, HEADER_ROWS = 6, 3  # two header rows and a row of column numbers
FIRST_DATA_ROW = HEADER_TOP + HEADER_ROWS

NUM_INT, NUM_DEC, NUM_PCT, NUM_MONEY = "#,##0", "#,##0.00", "#,##0.0", "#,##0"
FLAG_FILL = PatternFill("solid", fgColor="FFF2CC")
FLAG_NOTE = "target tidak wajar"


def build_workbook(plan_id: int, quarter: int, *, session: Session, settings: Settings | None = None,
                   score: PlanScore | None = None, paper: str = "a4", now: datetime | None = None) -> bytes:
    """The evaluation workbook of TW `quarter` as .xlsx bytes, as things stand at `now` (default: now)."""
    bands = tuple(settings.score_bands) if settings else DEFAULT_BANDS
    now = now or datetime.now(UTC)
    ps = score or score_plan_from_db(plan_id, quarter, session=session, now=now, settings=settings, bands=bands)
    extras = ef.load_extras(plan_id, quarter, session=session)
    with gc_paused():
        form = ef.build_form(ps, extras, now=now, settings=settings)
        return _build(ps, form, extras, quarter, paper)


def _build(ps: PlanScore, form: ef.EvaluationForm, extras: ef.FormExtras, quarter: int, paper: str) -> bytes:
    wb = Workbook()
    styles = _register_styles(wb)
    _form_sheet(wb.active, form, styles, paper)
    ws = wb.create_sheet("Rencana Aksi")
    tw = formatting.quarter_label(quarter)
    _title(ws, ps, tw, styles)
    _header(ws, tw, styles)
    row = FIRST_DATA_ROW
    for goal in ps.goals:
        row = _aggregate_row(ws, row, "goal", goal.no, goal.name, goal.cumulative, goal.budget, styles)
        row = _outcome_rows(ws, row, "IKU", goal.indicators, quarter, styles, ps.cap_pct)
        for program in goal.programs:
            # A block the document prints without a number still gets a row of its own.
            row = _aggregate_row(ws, row, "program", program.no or "–", program.name, program.cumulative,
                                 program.budget, styles)
            row = _outcome_rows(ws, row, "IK Program", program.indicators, quarter, styles, ps.cap_pct)
            for keg in program.kegiatan:
                row = _kegiatan_rows(ws, row, keg, quarter, styles, ps.cap_pct, extras.evidence.get(keg.id, 0),
                                     extras.remarks.get(keg.id))
    _footer(ws, row, ps, styles)
    _page_setup(ws, paper)
    _completeness_sheet(wb.create_sheet("Kelengkapan"), ps, tw, styles)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- layout


def _register_styles(wb: Workbook) -> dict[str, StyleArray]:
    """Named styles, one per level × kind, as the style arrays cells take (see `_style_cell`)."""
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fills = {"goal": PatternFill("solid", fgColor="D9D9D9"), "program": PatternFill("solid", fgColor="EDEDED"),
             "kegiatan": PatternFill(fill_type=None), "item": PatternFill(fill_type=None),
             "head": PatternFill("solid", fgColor="BDD7EE")}
    formats = {"text": "General", "int": NUM_INT, "dec": NUM_DEC, "pct": NUM_PCT, "money": NUM_MONEY}
    names = {}
    for level, fill in fills.items():
        for kind, fmt in formats.items():
            name = f"rk_{level}_{kind}"
            numeric = kind != "text"
            style = NamedStyle(
                name=name, number_format=fmt, border=border, fill=fill,
                font=Font(name="Arial", size=9, bold=level in {"goal", "program", "kegiatan", "head"}),
                alignment=Alignment(wrap_text=True, vertical="center" if level == "head" else "top",
                                    horizontal="center" if level == "head" else ("right" if numeric else "left")),
            )
            wb.add_named_style(style)
            names[f"{level}_{kind}"] = style.as_tuple()
    return names


def _title(ws: Worksheet, ps: PlanScore, tw: str, styles: dict[str, StyleArray]) -> None:
    month, day = QUARTER_END[ps.quarter_no]
    lines = [
        ("EVALUASI RENCANA AKSI PERJANJIAN KINERJA", 12),
        (f"{tw} TAHUN {ps.year}", 12),
        ((ps.agency or "").upper(), 11),
        (f"Keadaan s.d. {formatting.long_date(date(ps.year, month, day))}", 9),
    ]
    for i, (text, size) in enumerate(lines, start=1):
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=N_COLS)
        cell = ws.cell(i, 1, text)
        _as_text(cell)
        cell.font = Font(name="Arial", size=size, bold=i < 4)
        cell.alignment = Alignment(horizontal="center")


def _header(ws: Worksheet, tw: str, styles: dict[str, StyleArray]) -> None:
    top, sub, numbers = HEADER_TOP, HEADER_TOP + 1, HEADER_TOP + 2
    col = 1
    while col <= N_COLS:
        head, subhead, _ = COLUMNS[col - 1]
        span = 1
        while col + span <= N_COLS and subhead and COLUMNS[col + span - 1][0] == head:
            span += 1
        ws.cell(top, col, head.format(tw=tw))
        if subhead:  # a group header over its sub-headers
            ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + span - 1)
            for c in range(col, col + span):
                ws.cell(sub, c, COLUMNS[c - 1][1].format(tw=tw))
        else:
            ws.merge_cells(start_row=top, start_column=col, end_row=sub, end_column=col)
        col += span
    for c, (_, _, width) in enumerate(COLUMNS, start=1):
        ws.cell(numbers, c, f"({c})")
        ws.column_dimensions[get_column_letter(c)].width = width
        for r in (top, sub, numbers):
            _style_cell(ws.cell(r, c), styles["head_text"])
    ws.row_dimensions[top].height = 24
    ws.row_dimensions[sub].height = 30


def _page_setup(ws: Worksheet, paper: str) -> None:
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, COL_INDICATOR)
    ws.print_title_rows = f"{HEADER_TOP}:{HEADER_TOP + HEADER_ROWS - 1}"
    _paper(ws, paper)


def _paper(ws: Worksheet, paper: str) -> None:
    """Landscape on A4 or F4/folio, one page wide, as many tall as needed."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = PAPER_SIZES.get(paper, PAPER_SIZES["a4"])
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "Halaman &P dari &N"


# ---------------------------------------------------------------- the form (sheet «Evaluasi»)

_FORM_LEVEL = {"goal": "goal", "iku": "item", "program": "program", "outcome": "item", "kegiatan": "kegiatan",
               "indicator": "item"}


def _form_sheet(ws: Worksheet, form: ef.EvaluationForm, styles: dict[str, StyleArray], paper: str) -> None:
    """The Permendagri 86/2017 table: title, the header over K / Rp, the numbers (1)–(18), rows, footer, signatures."""
    ws.title = "Evaluasi"
    n_cols = ef.N_FORM_COLS
    for i, text in enumerate(form.title_lines, start=1):
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=n_cols)
        cell = ws.cell(i, 1, text)
        _as_text(cell)
        cell.font = Font(name="Arial", size=11 if i < 3 else 9, bold=i < 3)
        cell.alignment = Alignment(horizontal="center")
    top = len(form.title_lines) + 2
    for number, text, subs in ef.headers(form):
        first = ef.LEAF[(number, subs[0] if subs else "")]
        last = first + max(len(subs), 1) - 1
        ws.cell(top, first, text)
        if subs:
            ws.merge_cells(start_row=top, start_column=first, end_row=top, end_column=last)
            for i, sub in enumerate(subs):
                ws.cell(top + 1, first + i, sub)
        else:
            ws.merge_cells(start_row=top, start_column=first, end_row=top + 1, end_column=first)
        ws.merge_cells(start_row=top + 2, start_column=first, end_row=top + 2, end_column=last)
        ws.cell(top + 2, first, f"({number})")
    for c in range(1, n_cols + 1):
        for r in (top, top + 1, top + 2):
            _style_cell(ws.cell(r, c), styles["head_text"])
        ws.column_dimensions[get_column_letter(c)].width = _FORM_WIDTHS.get(c, 10)
    ws.row_dimensions[top].height = 80
    row = top + 3
    for form_row in form.rows:
        formats = {c: ("money" if c in ef.MONEY_COLS else "pct" if c in ef.PCT_COLS else _default_format(v))
                   for c, v in form_row.cells.items()}
        level = _FORM_LEVEL[form_row.level]
        for col in range(1, n_cols + 1):
            value = form_row.cells.get(col)
            _style_cell(ws.cell(row, col, value), styles[f"{level}_{formats.get(col) or _default_format(value)}"])
        row += 1
    for label, text in form.footer:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ef.C_INDICATOR)
        ws.merge_cells(start_row=row, start_column=ef.C_INDICATOR + 1, end_row=row, end_column=n_cols)
        _style_cell(ws.cell(row, 1, label), styles["goal_text"])
        _style_cell(ws.cell(row, ef.C_INDICATOR + 1, text), styles["item_text"])
        ws.row_dimensions[row].height = min(409, max(15, 12 * (text.count("\n") + 1)))  # Excel's tallest row
        row += 1
    row += 1
    halves = ((1, ef.C_INDICATOR), (ef.C_TW_K[3], n_cols))
    for signer, (first, last) in zip(form.signers, halves, strict=True):
        for i, text in enumerate(ef.signature_lines(signer)):
            ws.merge_cells(start_row=row + i, start_column=first, end_row=row + i, end_column=last)
            cell = ws.cell(row + i, first, text)
            _as_text(cell)
            cell.font = Font(name="Arial", size=9, bold=i == 5, underline="single" if i == 5 else None)
            cell.alignment = Alignment(horizontal="center")
    ws.freeze_panes = ws.cell(top + 3, ef.C_INDICATOR + 1)
    ws.print_title_rows = f"{top}:{top + 2}"
    _paper(ws, paper)


_FORM_WIDTHS = {ef.C_NO: 5, ef.C_GOAL: 22, ef.C_CODE: 7, ef.C_NAME: 32, ef.C_INDICATOR: 32, ef.C_UNIT: 16,
                ef.C_PIC: 16, ef.C_NOTE: 24, **{c: 14 for c in ef.MONEY_COLS}}




# ---------------------------------------------------------------- rows


def _write(ws: Worksheet, row: int, values: dict[int, object], level: str, styles: dict[str, StyleArray],
           formats: dict[int, str] | None = None) -> None:
    """One full-width row: every column gets the level's style (borders), numbers their format."""
    formats = formats or {}
    for col in range(1, N_COLS + 1):
        value = values.get(col)
        _style_cell(ws.cell(row, col, value), styles[f"{level}_{formats.get(col) or _default_format(value)}"])


def _style_cell(cell, style: StyleArray) -> None:
    # What `cell.style = name` does, minus its search of the style names on every call, which
    # dominated the time of a 20,000-row sheet.
    cell._style = copy(style)
    _as_text(cell)


def _as_text(cell) -> None:
    """The workbook holds data, never formulas: a name or kendala typed as `=HYPERLINK(…)` stays text."""
    if cell.data_type == "f":
        cell.data_type = "s"


def _default_format(value: object) -> str:
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return "dec"
    return "int" if isinstance(value, int | Decimal) else "text"


def _aggregate_row(ws: Worksheet, row: int, level: str, no: str, name: str, m: Measure, budget: Budget,
                   styles: dict[str, StyleArray]) -> int:
    values = {COL_NO: no, (COL_GOAL if level == "goal" else COL_NAME): name}
    values |= _score_cells(m) | _budget_cells(budget)
    _write(ws, row, values, level, styles, _FORMATS)
    return row + 1


def _kegiatan_rows(ws: Worksheet, row: int, keg: KegiatanScore, quarter: int, styles: dict[str, StyleArray],
                   cap: Decimal, evidence: int, remark: ef.Remark | None = None) -> int:
    values = {COL_NO: keg.no, COL_NAME: keg.name, COL_PIC: ", ".join(keg.pic_names) or None,
              COL_KENDALA: keg.kendala or None, COL_TINDAK: keg.tindak_lanjut or None, COL_EVIDENCE: evidence,
              COL_STATUS: remark.status if remark else None, COL_KETERANGAN: remark.text if remark else None}
    values |= _score_cells(keg.cumulative) | _budget_cells(keg.budget)
    _write(ws, row, values, "kegiatan", styles, _FORMATS)
    row += 1
    for ind in keg.indicators:
        _write(ws, row, _indicator_cells(ind, quarter, cap), "item", styles, _value_formats(ind.reals, ind.target,
                                                                                     ind.total))
        row += 1
    for a in keg.aksi:
        values = _aksi_cells(a, quarter, cap) | {COL_EVIDENCE: evidence}
        _write(ws, row, values, "item", styles, _value_formats(a.reals, a.annual_target, a.cumulative.target,
                                                               a.cumulative.real))
        if a.flags:
            for col in (COL_ANNUAL, COL_TARGET):
                ws.cell(row, col).fill = FLAG_FILL
        row += 1
    return row


def _outcome_rows(ws: Worksheet, row: int, label: str, items: list[OutcomeScore], quarter: int,
                  styles: dict[str, StyleArray], cap: Decimal) -> int:
    """IKU or program indicator rows: against the target due to date (its signed TW cells)."""
    for n, ind in enumerate(items, start=1):
        m = ind.cumulative
        state = _item_text(m, ind, cap)
        if m.status == NOT_DUE and ind.targets:
            due = ", ".join(formatting.quarter_label(q) for q in sorted(ind.targets))
            progress = (f"; progres {formatting.number(ind.progress_pct)}% dari target tahunan"
                        if ind.progress_pct is not None else "")
            state = f"dinilai {due}{progress}"
        values = {COL_NAME: f"{label} {n}", COL_INDICATOR: ind.text,
                  COL_ANNUAL: _num(ind.annual) if ind.annual is not None else (ind.target_raw or None),
                  COL_UNIT: ind.unit or None, COL_TARGET: _num(m.target), COL_TOTAL: _num(m.real),
                  COL_PCT: m.pct, COL_BAND: state}
        values.update(_quarter_cells(ind.reals, quarter))
        _write(ws, row, values, "item", styles, _value_formats(ind.reals, ind.annual, m.target, m.real))
        row += 1
    return row


_FORMATS = {COL_PCT: "pct", COL_PAGU: "money", COL_SPENT: "money", COL_ABSORPTION: "pct", COL_PLANNED: "money",
            COL_ABSORPTION_PLAN: "pct"}


def _score_cells(m: Measure) -> dict[int, object]:
    return {COL_PCT: m.pct, COL_BAND: _band_text(m)}


def _budget_cells(b: Budget) -> dict[int, object]:
    return {COL_PAGU: b.pagu, COL_SPENT: b.real_cumulative, COL_ABSORPTION: b.absorption,
            COL_PLANNED: b.planned_to_date, COL_ABSORPTION_PLAN: b.absorption_plan}


def _band_text(m: Measure) -> str | None:
    """An aggregate's band, and why its figure is provisional or holds zeros (bot.domain.measure's statuses)."""
    if m.pct is None:
        return {PENDING: "belum lapor", PARTIAL: "perlu dicek admin"}.get(m.status)
    if m.status == PARTIAL:
        why = "data belum lengkap" if m.coverage is None or m.coverage.pending else "sebagian perlu dicek admin"
        return f"{m.band} ({why})"
    if m.status == MISSING:
        return f"{m.band} (ada yang tidak lapor: dihitung 0)"
    return m.band


def _item_text(m: Measure, item: AksiScore | IndicatorScore | OutcomeScore, cap: Decimal, *,
               band: bool = True) -> str | None:
    """An item's band and state: waiting, silent (0), above the ceiling, or left out for its target."""
    parts = [m.band] if band and m.band else []
    if item.pending_quarters:
        parts.append("belum lapor " + ", ".join(formatting.quarter_label(q) for q in item.pending_quarters))
    if item.missing_quarters:
        parts.append("tidak lapor " + ", ".join(formatting.quarter_label(q) for q in item.missing_quarters)
                     + " (dihitung 0)")
    # An aksi's late work (tunggakan), already counted in its figure; not for a target left out as a typo.
    late = None if item.excluded else getattr(item, "arrear", None)
    if late is not None:
        since, now = formatting.quarter_label(late.since), formatting.quarter_label(late.quarter)
        parts.append(f"tunggakan {since} dipenuhi di {now}" if late.settled else
                     f"tunggakan {since}" + ("" if late.remaining is None else
                                             f", kurang {formatting.number(late.remaining)}{_unit(item)}"))
    if item.excluded:
        parts.append(f"{FLAG_NOTE}, tidak dihitung")
    elif m.pct is not None and m.pct > cap:
        parts.append(f"dihitung {formatting.number(cap)}%")
    return " — ".join(parts) or None


def _unit(item: AksiScore) -> str:
    return "%" if item.unit == "%" else f" {item.unit}" if item.unit else ""


def _quarter_cells(reals: dict[int, Decimal], quarter: int) -> dict[int, object]:
    """Realisation TW I..TW n (later quarters stay blank: they are not evaluated yet)."""
    return {COL_TW1 + q - 1: _num(v) for q, v in reals.items() if q <= quarter}


def _indicator_cells(ind: IndicatorScore, quarter: int, cap: Decimal) -> dict[int, object]:
    # Against the annual target: the band is only meaningful once the year is complete (TW IV).
    band = Measure(ind.target, ind.total, ind.pct, ind.band, ind.status)
    values = {COL_INDICATOR: ind.text, COL_ANNUAL: _num(ind.target) if ind.target is not None else ind.target_raw,
              COL_UNIT: ind.unit or None, COL_TOTAL: _num(ind.total), COL_PCT: ind.pct,
              COL_BAND: _item_text(band, ind, cap, band=quarter == 4)}
    values.update(_quarter_cells(ind.reals, quarter))
    return values


def _aksi_cells(a: AksiScore, quarter: int, cap: Decimal) -> dict[int, object]:
    values = {COL_NAME: f"{a.no}. {a.name}", COL_INDICATOR: a.indicator, COL_ANNUAL: _num(a.annual_target),
              COL_UNIT: a.unit or None, COL_TARGET: _num(a.cumulative.target), COL_TOTAL: _num(a.cumulative.real),
              COL_PCT: a.cumulative.pct, COL_BAND: _item_text(a.cumulative, a, cap)}
    values.update(_quarter_cells(a.reals, quarter))
    return values


def _value_formats(reals: dict[int, Decimal], *others: Decimal | None) -> dict[int, str]:
    """Whole numbers without decimals, others with two; achievement with one."""
    cols = {COL_TW1 + q - 1: v for q, v in reals.items()}
    cols.update({COL_ANNUAL: others[0], COL_TARGET: others[1] if len(others) > 1 else None,
                 COL_TOTAL: others[-1]})
    out = {col: ("dec" if v is not None and v != v.to_integral_value() else "int") for col, v in cols.items()}
    out[COL_PCT] = "pct"
    return out


_num = ef.plain_number


def _footer(ws: Worksheet, row: int, ps: PlanScore, styles: dict[str, StyleArray]) -> None:
    # The Perjanjian Kinerja first: what the Kepala signed, then the programs' outcomes.
    for name, m in (("Capaian kinerja sasaran (IKU)", ps.iku_measure), ("Capaian program", ps.program_measure)):
        if m is not None:
            c = m.coverage
            text = _band_text(m) if m.status != NOT_DUE else "belum jatuh tempo"
            if c is not None and c.due:
                text = f"{text} · {c.scored} dari {c.due} indikator dihitung"
            _write(ws, row, {COL_NAME: name, COL_PCT: m.pct, COL_BAND: text}, "goal", styles, _FORMATS)
            row += 1
    values = {COL_NAME: "Rata-rata capaian kinerja dan jumlah anggaran"}
    values |= _score_cells(ps.cumulative) | _budget_cells(ps.budget)
    _write(ws, row, values, "goal", styles, _FORMATS)
    _write(ws, row + 1, {COL_NAME: "Predikat kinerja", COL_BAND: ps.cumulative.band}, "goal", styles)
    c = ps.cumulative.coverage
    if c is not None and c.due:
        note = (f"Cara hitung: rata-rata capaian kegiatan; capaian kegiatan = rata-rata aksinya, tiap aksi dibatasi "
                f"{formatting.number(ps.cap_pct)}%. Dihitung {c.scored} dari {c.due} aksi jatuh tempo s.d. "
                f"{formatting.quarter_label(ps.quarter_no)}: {c.pending} belum lapor (belum dihitung), {c.missing} "
                f"tidak lapor (dihitung 0), {c.excluded} target tidak wajar (tidak dihitung, perlu dicek admin), "
                f"{c.capped} di atas {formatting.number(ps.cap_pct)}%." + _plan_note(ps))
        ws.merge_cells(start_row=row + 2, start_column=COL_NAME, end_row=row + 2, end_column=N_COLS)
        _style_cell(ws.cell(row + 2, COL_NAME, note), styles["item_text"])


def _plan_note(ps: PlanScore) -> str:
    """How the absorption against the anggaran kas was summed (bot.domain.budget_plan), when there is one."""
    b = ps.budget
    if not b.kegiatan_planned:
        return ""
    tw = formatting.quarter_label(ps.quarter_no)
    return (f" Serapan terhadap rencana s.d. {tw} = realisasi ÷ anggaran kas TW I s.d. {tw}, hanya kegiatan yang "
            f"punya anggaran kas ({b.kegiatan_planned} dari {b.kegiatan_count} kegiatan); serapan terhadap pagu "
            f"= realisasi ÷ pagu setahun, semua kegiatan.")


def _completeness_sheet(ws: Worksheet, ps: PlanScore, tw: str, styles: dict[str, StyleArray]) -> None:
    c = ps.completeness
    ws.append([f"KELENGKAPAN LAPORAN {tw} {ps.year}"])
    ws.append([f"PIC sudah lapor {c.pics_reported} dari {c.pics_due}; kegiatan {c.kegiatan_reported} dari "
               f"{c.kegiatan_due}"])
    ws.append([])
    ws.append(["PIC", "Kegiatan jatuh tempo", "Belum lapor", "Status", "Kegiatan belum lapor"])
    names = {k.id: k.name for k in ps.kegiatan}
    for p in c.pics:
        ws.append([p.name, len(p.due_kegiatan), len(p.unreported_kegiatan),
                   "sudah lapor" if p.reported else "belum lapor",
                   "; ".join(names[k] for k in p.unreported_kegiatan) or None])
    orphans = [k for k in c.unreported if not k.pic_ids]
    for k in orphans:
        ws.append(["(belum ada PIC)", 1, 1, "belum lapor", k.name])
    for row in ws.iter_rows(min_row=4, max_row=ws.max_row):
        for cell in row:
            _style_cell(cell, styles["head_text" if cell.row == 4 else "item_text"])
    for col, width in zip("ABCDE", (28, 12, 12, 14, 70), strict=True):
        ws.column_dimensions[col].width = width
    ws["A1"].font = Font(name="Arial", size=12, bold=True)
    ws.freeze_panes = "A5"
