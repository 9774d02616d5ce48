"""The evaluation form (bot.domain.evaluation_form) as a PDF: landscape A4 or F4/folio, with reportlab.

The same rows, footer and signature block as the workbook's «Evaluasi» sheet; the header (with the
column numbers) repeats on every page (`render_pdf`). Every text goes through `_p`, which escapes it: reportlab's
Paragraph reads a small markup, and a name typed as `<b>` or `&` must print as typed. Numbers in
Indonesian format (bot.text.formatting).
"""

from __future__ import annotations

import io
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate
from reportlab.platypus import Frame
from reportlab.platypus import KeepTogether
from reportlab.platypus import LongTable
from reportlab.platypus import NextPageTemplate
from reportlab.platypus import PageTemplate
from reportlab.platypus import Paragraph
from reportlab.platypus import Spacer
from reportlab.platypus import Table
from reportlab.platypus import TableStyle
from sqlmodel import Session

from bot.config import Settings
from bot.domain import evaluation_form as ef
from bot.domain.scoring import DEFAULT_BANDS
from bot.domain.scoring import PlanScore
from bot.domain.scoring import gc_paused
from bot.domain.scoring import score_plan_from_db
from bot.text import formatting

PAPERS = {"a4": landscape(A4), "folio": landscape((8.5 * inch, 13 * inch))}  # F4/folio: 8,5 × 13 in
_FILLS = {"goal": colors.HexColor("#D9D9D9"), "program": colors.HexColor("#EDEDED")}
_TEXT = ParagraphStyle("cell", fontName="Helvetica", fontSize=5, leading=6)
_BOLD = ParagraphStyle("bold", parent=_TEXT, fontName="Helvetica-Bold")
_HEAD = ParagraphStyle("head", parent=_BOLD, alignment=1)
_NUM = ParagraphStyle("num", parent=_TEXT, alignment=2)
_TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=10, leading=12, alignment=1)
_SIGN = ParagraphStyle("sign", fontName="Helvetica", fontSize=8, leading=10, alignment=1)
# Relative widths of the leaf columns (scaled to the page): names wide, K / Rp narrow.
_WEIGHTS = {ef.C_NO: 1.6, ef.C_GOAL: 6, ef.C_CODE: 2.4, ef.C_NAME: 9, ef.C_INDICATOR: 9, ef.C_UNIT: 5, ef.C_PIC: 4.5,
            ef.C_NOTE: 6, **{c: 5.4 for c in ef.MONEY_COLS}}


def build_pdf(plan_id: int, quarter: int, *, session: Session, settings: Settings | None = None,
              score: PlanScore | None = None, paper: str = "a4", now: datetime | None = None) -> bytes:
    """The evaluation form of TW `quarter` as PDF bytes, as things stand at `now` (default: now)."""
    now = now or datetime.now(UTC)
    bands = tuple(settings.score_bands) if settings else DEFAULT_BANDS
    ps = score or score_plan_from_db(plan_id, quarter, session=session, now=now, settings=settings, bands=bands)
    extras = ef.load_extras(plan_id, quarter, session=session)
    with gc_paused():
        return render_pdf(ef.build_form(ps, extras, now=now, settings=settings), paper)


def render_pdf(form: ef.EvaluationForm, paper: str = "a4") -> bytes:
    """The header (with the column numbers) is drawn at the top of every later page by the page template,
    and the body goes in tables of `_CHUNK` rows: one table of 20,000 rows split page by page by reportlab
    costs time quadratic in its rows (re-measured at every page)."""
    size = PAPERS.get(paper, PAPERS["a4"])
    margin = 8 * mm
    width, height = size[0] - 2 * margin, size[1] - 2 * margin
    col_widths = _col_widths(width)
    repeated = _header(form, col_widths)
    header_h = repeated.wrap(width, height)[1]

    def later(canvas, doc) -> None:
        _page_number(canvas, doc)
        repeated.drawOn(canvas, margin, size[1] - margin - header_h)

    frame = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}
    buf = io.BytesIO()
    doc = BaseDocTemplate(buf, pagesize=size, leftMargin=margin, rightMargin=margin, topMargin=margin,
                          bottomMargin=margin, title=form.title_lines[0], author=form.signers[0].title)
    doc.addPageTemplates([
        PageTemplate("first", [Frame(margin, margin, width, height, id="first", **frame)], onPage=_page_number),
        PageTemplate("later", [Frame(margin, margin, width, height - header_h, id="later", **frame)], onPage=later),
    ])
    story = [Paragraph(_e(line), _TITLE) for line in form.title_lines] + [Spacer(1, 3 * mm), NextPageTemplate("later")]
    story.append(_header(form, col_widths))
    for start in range(0, len(form.rows), _CHUNK):
        story.append(_body(form.rows[start:start + _CHUNK], col_widths))
    story += [Spacer(1, 3 * mm), _footer(form, width), Spacer(1, 5 * mm), KeepTogether(_signatures(form, width))]
    doc.build(story)
    return buf.getvalue()


_CHUNK = 50
_GRID = [("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("LEFTPADDING", (0, 0), (-1, -1), 1.5),
         ("RIGHTPADDING", (0, 0), (-1, -1), 1.5), ("TOPPADDING", (0, 0), (-1, -1), 1),
         ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]


def _col_widths(width: float) -> list[float]:
    weights = [_WEIGHTS.get(c, 2.4) for c in range(1, ef.N_FORM_COLS + 1)]
    return [width * w / sum(weights) for w in weights]


def _header(form: ef.EvaluationForm, col_widths: list[float]) -> Table:
    n = ef.N_FORM_COLS
    head, sub, numbers = [""] * n, [""] * n, [""] * n
    style = [*_GRID, ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#BDD7EE"))]
    for number, text, subs in ef.headers(form):
        first = ef.LEAF[(number, subs[0] if subs else "")] - 1
        last = first + max(len(subs), 1) - 1
        head[first] = Paragraph(_e(text), _HEAD)
        numbers[first] = Paragraph(f"({number})", _HEAD)
        style.append(("SPAN", (first, 2), (last, 2)))
        if subs:
            style.append(("SPAN", (first, 0), (last, 0)))
            for i, s in enumerate(subs):
                sub[first + i] = Paragraph(_e(s), _HEAD)
        else:
            style.append(("SPAN", (first, 0), (first, 1)))
    table = Table([head, sub, numbers], colWidths=col_widths)
    table.setStyle(TableStyle(style))
    return table


def _body(rows: list[ef.FormRow], col_widths: list[float]) -> Table:
    style = [*_GRID, ("VALIGN", (0, 0), (-1, -1), "TOP")]
    data = []
    for i, row in enumerate(rows):
        bold = row.level in {"goal", "program", "kegiatan"}
        data.append([_cell(c, row.cells.get(c), bold) for c in range(1, ef.N_FORM_COLS + 1)])
        if row.level in _FILLS:
            style.append(("BACKGROUND", (0, i), (-1, i), _FILLS[row.level]))
    table = Table(data, colWidths=col_widths)
    table.setStyle(TableStyle(style))
    return table


def _cell(col: int, value: object, bold: bool) -> Paragraph | str:
    if value is None:
        return ""
    if isinstance(value, int | Decimal):
        if col in ef.PCT_COLS:
            text = formatting.number(Decimal(value), decimals=1)
        else:
            text = formatting.number(value)
        return Paragraph(_e(text), _NUM)
    return Paragraph(_e(str(value)), _BOLD if bold else _TEXT)


def _footer(form: ef.EvaluationForm, width: float) -> LongTable:
    """One row per line (a kegiatan's pendorong, penghambat, tindak lanjut), so a long footer breaks
    across pages like the table above it instead of overflowing one."""
    data = []
    for label, text in form.footer:
        for i, line in enumerate(text.split("\n")):
            data.append([Paragraph(_e(label), _BOLD) if i == 0 else "", Paragraph(_e(line), _TEXT)])
    table = LongTable(data, colWidths=[width * 0.25, width * 0.75])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _signatures(form: ef.EvaluationForm, width: float) -> Table:
    cols = [[Paragraph(_e(line) if i != 5 else f"<u><b>{_e(line)}</b></u>", _SIGN)
             for i, line in enumerate(ef.signature_lines(s))] for s in form.signers]
    data = [list(pair) for pair in zip(*cols, strict=True)]
    table = Table(data, colWidths=[width / 2, width / 2])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _page_number(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 6)
    canvas.drawCentredString(doc.pagesize[0] / 2, 4 * mm, f"Halaman {doc.page}")
    canvas.restoreState()


def _e(text: str) -> str:
    return escape(text)
