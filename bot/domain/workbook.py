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

Written with XlsxWriter in constant-memory mode (a row is written out when the next begins; measured
against openpyxl's write-only mode, bench/reports_bench.py): every format is built once (`_Styles`), a
value cell carries its row's format, and the grid over the empty cells of a table is one border rule
(`_grid`) instead of a styled empty cell each; a goal or program row writes its empty cells, for the fill.
"""

from __future__ import annotations

import io
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal

import xlsxwriter
from sqlmodel import Session
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

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
FLAG_COLOR = "FFF2CC"  # the fill of a flagged target (annual and to date)
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
    """XlsxWriter in constant-memory mode: every row is written out as soon as the next begins, so rows
    (and the cells of a row spanned by a merge into the next) are written top to bottom. Strings are
    never read as formulas or links: a name typed as `=HYPERLINK(…)` stays text."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False})
    styles = _Styles(wb)
    _form_sheet(wb.add_worksheet("Evaluasi"), form, styles, paper)
    ws = wb.add_worksheet("Rencana Aksi")
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
    _grid(ws, FIRST_DATA_ROW, row - 1, N_COLS, styles)
    _footer(ws, row, ps, styles)
    _page_setup(ws, paper)
    _completeness_sheet(wb.add_worksheet("Kelengkapan"), ps, tw, styles)
    wb.close()
    return buf.getvalue()


# ---------------------------------------------------------------- layout

_FILLS = {"goal": "#D9D9D9", "program": "#EDEDED", "head": "#BDD7EE"}
_KINDS = {"text": None, "int": NUM_INT, "dec": NUM_DEC, "pct": NUM_PCT, "money": NUM_MONEY}
_BORDER = {"border": 1, "border_color": "#808080"}


class _Styles:
    """Every cell format, built once per workbook: level × kind (as the named styles were), a flagged
    variant, and the plain fonts of titles and signatures."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self.cell: dict[str, Format] = {}
        for level in ("goal", "program", "kegiatan", "item", "head"):
            for kind in _KINDS:
                self.cell[f"{level}_{kind}"] = wb.add_format(self._props(level, kind))
        self.flagged = {kind: wb.add_format(self._props("item", kind) | {"pattern": 1, "bg_color": f"#{FLAG_COLOR}"})
                        for kind in _KINDS}
        self.border = wb.add_format(_BORDER)
        self._fonts: dict[tuple, Format] = {}

    @staticmethod
    def _props(level: str, kind: str) -> dict[str, object]:
        head, numeric = level == "head", kind != "text"
        props = {"font_name": "Arial", "font_size": 9, "bold": level in {"goal", "program", "kegiatan", "head"},
                 "text_wrap": True, "valign": "vcenter" if head else "top",
                 "align": "center" if head else ("right" if numeric else "left"), **_BORDER}
        if _KINDS[kind]:
            props["num_format"] = _KINDS[kind]
        if level in _FILLS:
            props |= {"pattern": 1, "bg_color": _FILLS[level]}
        return props

    def font(self, size: float, *, bold: bool = False, underline: bool = False, center: bool = True) -> Format:
        key = (size, bold, underline, center)
        if key not in self._fonts:
            props = {"font_name": "Arial", "font_size": size, "bold": bold, "underline": 1 if underline else 0}
            self._fonts[key] = self.wb.add_format(props | ({"align": "center"} if center else {}))
        return self._fonts[key]


def _put(ws: Worksheet, row: int, col: int, value: object, fmt: Format | None = None) -> None:
    """One cell, 1-based as the column constants are; text is always text, never a formula."""
    if value is None:
        ws.write_blank(row - 1, col - 1, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row - 1, col - 1, value, fmt)
    else:
        ws.write_number(row - 1, col - 1, value, fmt)


def _merge(ws: Worksheet, first_row: int, first_col: int, last_row: int, last_col: int, value: object,
           fmt: Format | None) -> None:
    ws.merge_range(first_row - 1, first_col - 1, last_row - 1, last_col - 1, "" if value is None else value, fmt)


def _width(ws: Worksheet, col: int, width: float) -> None:
    """A column's width as stored in the file (characters with the cell padding, as before): XlsxWriter
    takes the width Excel shows and adds the padding, 5 px of a 7-px digit."""
    ws.set_column(col - 1, col - 1, width - 5 / 7)


def _merged_down(ws: Worksheet, spans: list[tuple[int, int, object]], top: int, fmt: Format) -> None:
    """Cells merged from row `top` into the next, several on the same rows. XlsxWriter's `merge_range` spans
    rows only once in constant-memory mode (it writes the next row's cells, which writes this row out;
    a known limitation, jmcnamara/XlsxWriter#292): so the top row is written whole, then the row below,
    and the ranges are recorded as `merge_range` records them."""
    for first, last, value in spans:
        _put(ws, top, first, value, fmt)
    for first, last, _ in spans:
        for col in range(first, last + 1):
            _put(ws, top + 1, col, None, fmt)
        ws.merge.append([top - 1, first - 1, top, last - 1])


def _grid(ws: Worksheet, first_row: int, last_row: int, n_cols: int, styles: _Styles) -> None:
    """The table's grid on the cells left empty: one border rule over the range instead of a styled blank
    cell each (a filled row writes its blanks, for the fill). Excel and LibreOffice show and print it."""
    if last_row >= first_row:
        ws.conditional_format(first_row - 1, 0, last_row - 1, n_cols - 1,
                              {"type": "formula", "criteria": "TRUE", "format": styles.border})


def _title(ws: Worksheet, ps: PlanScore, tw: str, styles: _Styles) -> None:
    month, day = QUARTER_END[ps.quarter_no]
    lines = [
        ("EVALUASI RENCANA AKSI PERJANJIAN KINERJA", 12),
        (f"{tw} TAHUN {ps.year}", 12),
        ((ps.agency or "").upper(), 11),
        (f"Keadaan s.d. {formatting.long_date(date(ps.year, month, day))}", 9),
    ]
    for i, (text, size) in enumerate(lines, start=1):
        _merge(ws, i, 1, i, N_COLS, text, styles.font(size, bold=i < 4))


def _header(ws: Worksheet, tw: str, styles: _Styles) -> None:
    top, sub, numbers = HEADER_TOP, HEADER_TOP + 1, HEADER_TOP + 2
    head = styles.cell["head_text"]
    ws.set_row(top - 1, 24)
    ws.set_row(sub - 1, 30)
    spans, col = [], 1
    while col <= N_COLS:
        text, subhead, _ = COLUMNS[col - 1]
        span = 1
        while col + span <= N_COLS and subhead and COLUMNS[col + span - 1][0] == text:
            span += 1
        spans.append((col, span, text.format(tw=tw), bool(subhead)))
        col += span
    for col, span, text, grouped in spans:
        if grouped:  # a group header over its sub-headers
            _merge(ws, top, col, top, col + span - 1, text, head)
    _merged_down(ws, [(col, col, text) for col, _, text, grouped in spans if not grouped], top, head)
    for col, span, _, grouped in spans:
        for c in range(col, col + span) if grouped else ():
            _put(ws, sub, c, COLUMNS[c - 1][1].format(tw=tw), head)
    for c, (_, _, width) in enumerate(COLUMNS, start=1):
        _put(ws, numbers, c, f"({c})", head)
        _width(ws, c, width)


def _page_setup(ws: Worksheet, paper: str) -> None:
    ws.freeze_panes(FIRST_DATA_ROW - 1, COL_INDICATOR - 1)
    ws.repeat_rows(HEADER_TOP - 1, HEADER_TOP + HEADER_ROWS - 2)
    _paper(ws, paper)


def _paper(ws: Worksheet, paper: str) -> None:
    """Landscape on A4 or F4/folio, one page wide, as many tall as needed."""
    ws.set_landscape()
    ws.set_paper(PAPER_SIZES.get(paper, PAPER_SIZES["a4"]))
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.center_horizontally()
    ws.set_footer("&CHalaman &P dari &N")


# ---------------------------------------------------------------- the form (sheet «Evaluasi»)

_FORM_LEVEL = {"goal": "goal", "iku": "item", "program": "program", "outcome": "item", "kegiatan": "kegiatan",
               "indicator": "item"}


def _form_sheet(ws: Worksheet, form: ef.EvaluationForm, styles: _Styles, paper: str) -> None:
    """The Permendagri 86/2017 table: title, the header over K / Rp, the numbers (1)–(18), rows, footer, signatures."""
    n_cols = ef.N_FORM_COLS
    for i, text in enumerate(form.title_lines, start=1):
        _merge(ws, i, 1, i, n_cols, text, styles.font(11 if i < 3 else 9, bold=i < 3))
    top = len(form.title_lines) + 2
    head = styles.cell["head_text"]
    ws.set_row(top - 1, 80)
    spans = []
    for number, text, subs in ef.headers(form):
        first = ef.LEAF[(number, subs[0] if subs else "")]
        spans.append((number, text, subs, first, first + max(len(subs), 1) - 1))
    for _, text, subs, first, last in spans:
        if subs:
            _merge(ws, top, first, top, last, text, head)
    _merged_down(ws, [(first, first, text) for _, text, subs, first, _ in spans if not subs], top, head)
    for _, _, subs, first, _ in spans:
        for i, s in enumerate(subs):
            _put(ws, top + 1, first + i, s, head)
    for number, _, subs, first, last in spans:
        if last > first:
            _merge(ws, top + 2, first, top + 2, last, f"({number})", head)
        else:
            _put(ws, top + 2, first, f"({number})", head)
    for c in range(1, n_cols + 1):
        _width(ws, c, _FORM_WIDTHS.get(c, 10))
    row = first_row = top + 3
    kinds = {c: "money" if c in ef.MONEY_COLS else "pct" for c in (*ef.MONEY_COLS, *ef.PCT_COLS)}
    for form_row in form.rows:
        level = _FORM_LEVEL[form_row.level]
        _write(ws, row, form_row.cells, level, styles, kinds, n_cols)
        row += 1
    _grid(ws, first_row, row - 1, n_cols, styles)
    for label, text in form.footer:
        ws.set_row(row - 1, min(409, max(15, 12 * (text.count("\n") + 1))))  # Excel's tallest row
        _merge(ws, row, 1, row, ef.C_INDICATOR, label, styles.cell["goal_text"])
        _merge(ws, row, ef.C_INDICATOR + 1, row, n_cols, text, styles.cell["item_text"])
        row += 1
    row += 1
    halves = ((1, ef.C_INDICATOR), (ef.C_TW_K[3], n_cols))
    blocks = [ef.signature_lines(signer) for signer in form.signers]
    for i in range(max(len(b) for b in blocks)):  # both signers side by side, row by row
        for lines, (first, last) in zip(blocks, halves, strict=True):
            if i < len(lines):
                _merge(ws, row + i, first, row + i, last, lines[i], styles.font(9, bold=i == 5, underline=i == 5))
    ws.freeze_panes(top + 2, ef.C_INDICATOR)
    ws.repeat_rows(top - 1, top + 1)
    _paper(ws, paper)


_FORM_WIDTHS = {ef.C_NO: 5, ef.C_GOAL: 22, ef.C_CODE: 7, ef.C_NAME: 32, ef.C_INDICATOR: 32, ef.C_UNIT: 16,
                ef.C_PIC: 16, ef.C_NOTE: 24, **{c: 14 for c in ef.MONEY_COLS}}


# ---------------------------------------------------------------- rows


def _write(ws: Worksheet, row: int, values: dict[int, object], level: str, styles: _Styles,
           formats: dict[int, str] | None = None, n_cols: int = N_COLS, flagged: tuple[int, ...] = ()) -> None:
    """One row: each value in the level's style (borders), numbers in their format. An empty cell is written
    only where the level fills the row (goal, program) or a flagged target is marked; `_grid` borders the rest."""
    formats = formats or {}
    cells = styles.cell
    r = row - 1
    if level in _FILLS:
        values = {col: values.get(col) for col in range(1, n_cols + 1)}
    for col, value in values.items():
        if col in flagged:
            fmt = styles.flagged[formats.get(col) or _default_format(value)]
        elif value is None:
            if level not in _FILLS:
                continue
            fmt = cells[f"{level}_{formats.get(col) or 'text'}"]
        else:
            fmt = cells[f"{level}_{formats.get(col) or _default_format(value)}"]
        if value is None:
            ws.write_blank(r, col - 1, None, fmt)
        elif isinstance(value, str):
            ws.write_string(r, col - 1, value, fmt)
        else:
            ws.write_number(r, col - 1, value, fmt)


def _default_format(value: object) -> str:
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return "dec"
    return "int" if isinstance(value, int | Decimal) else "text"


def _aggregate_row(ws: Worksheet, row: int, level: str, no: str, name: str, m: Measure, budget: Budget,
                   styles: _Styles) -> int:
    values = {COL_NO: no, (COL_GOAL if level == "goal" else COL_NAME): name}
    values |= _score_cells(m) | _budget_cells(budget)
    _write(ws, row, values, level, styles, _FORMATS)
    return row + 1


def _kegiatan_rows(ws: Worksheet, row: int, keg: KegiatanScore, quarter: int, styles: _Styles,
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
                                                               a.cumulative.real),
               flagged=(COL_ANNUAL, COL_TARGET) if a.flags else ())
        row += 1
    return row


def _outcome_rows(ws: Worksheet, row: int, label: str, items: list[OutcomeScore], quarter: int,
                  styles: _Styles, cap: Decimal) -> int:
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


def _footer(ws: Worksheet, row: int, ps: PlanScore, styles: _Styles) -> None:
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
        _merge(ws, row + 2, COL_NAME, row + 2, N_COLS, note, styles.cell["item_text"])


def _plan_note(ps: PlanScore) -> str:
    """How the absorption against the anggaran kas was summed (bot.domain.budget_plan), when there is one."""
    b = ps.budget
    if not b.kegiatan_planned:
        return ""
    tw = formatting.quarter_label(ps.quarter_no)
    return (f" Serapan terhadap rencana s.d. {tw} = realisasi ÷ anggaran kas TW I s.d. {tw}, hanya kegiatan yang "
            f"punya anggaran kas ({b.kegiatan_planned} dari {b.kegiatan_count} kegiatan); serapan terhadap pagu "
            f"= realisasi ÷ pagu setahun, semua kegiatan.")


def _completeness_sheet(ws: Worksheet, ps: PlanScore, tw: str, styles: _Styles) -> None:
    c = ps.completeness
    _put(ws, 1, 1, f"KELENGKAPAN LAPORAN {tw} {ps.year}", styles.font(12, bold=True, center=False))
    _put(ws, 2, 1, f"PIC sudah lapor {c.pics_reported} dari {c.pics_due}; kegiatan {c.kegiatan_reported} dari "
                   f"{c.kegiatan_due}")
    rows = [["PIC", "Kegiatan jatuh tempo", "Belum lapor", "Status", "Kegiatan belum lapor"]]
    names = {k.id: k.name for k in ps.kegiatan}
    for p in c.pics:
        rows.append([p.name, len(p.due_kegiatan), len(p.unreported_kegiatan),
                     "sudah lapor" if p.reported else "belum lapor",
                     "; ".join(names[k] for k in p.unreported_kegiatan) or None])
    orphans = [k for k in c.unreported if not k.pic_ids]
    for k in orphans:
        rows.append(["(belum ada PIC)", 1, 1, "belum lapor", k.name])
    for r, values in enumerate(rows, start=4):
        fmt = styles.cell["head_text" if r == 4 else "item_text"]
        for col, value in enumerate(values, start=1):
            _put(ws, r, col, value, fmt)
    for col, width in enumerate((28, 12, 12, 14, 70), start=1):
        _width(ws, col, width)
    ws.freeze_panes(4, 0)
