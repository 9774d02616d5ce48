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
from functools import lru_cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
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
from reportlab.platypus.tables import CellStyle
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
    """The header (with the column numbers) is drawn at the top of every later page by the page template
    (once, as a form XObject each page places), and the body goes in tables of `_CHUNK` rows: one table of 20,000 rows split page by page by reportlab
    costs time quadratic in its rows (re-measured at every page)."""
    size = PAPERS.get(paper, PAPERS["a4"])
    margin = 8 * mm
    width, height = size[0] - 2 * margin, size[1] - 2 * margin
    col_widths = _col_widths(width)
    repeated = _header(form, col_widths)
    header_h = repeated.wrap(width, height)[1]

    def later(canvas, doc) -> None:
        _page_number(canvas, doc)
        if not canvas.hasForm(_HEADER_FORM):  # drawn once, placed on every later page
            canvas.beginForm(_HEADER_FORM)
            repeated.drawOn(canvas, margin, size[1] - margin - header_h)
            canvas.endForm()
        canvas.doForm(_HEADER_FORM)

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
    cells = _Cells()
    for start in range(0, len(form.rows), _CHUNK):
        story.append(_body(form.rows[start:start + _CHUNK], col_widths, cells))
    story += [Spacer(1, 3 * mm), _footer(form, width), Spacer(1, 5 * mm), KeepTogether(_signatures(form, width))]
    doc.build(story)
    return buf.getvalue()


_CHUNK = 50
_HEADER_FORM = "header"
_PAD_H, _PAD_V = 1.5, 1  # a cell's left and right, top and bottom padding
_LINES = ("GRID", (0, 0), (-1, -1), 0.3, colors.grey)
_GRID = [_LINES, ("LEFTPADDING", (0, 0), (-1, -1), _PAD_H), ("RIGHTPADDING", (0, 0), (-1, -1), _PAD_H),
         ("TOPPADDING", (0, 0), (-1, -1), _PAD_V), ("BOTTOMPADDING", (0, 0), (-1, -1), _PAD_V)]


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


def _body(rows: list[ef.FormRow], col_widths: list[float], cells: _Cells) -> Table:
    """Plain strings, not Paragraphs: the text cut into lines here (`_lines`, as a Paragraph cuts it) and
    drawn by the table: the same page as Paragraphs gave, at a fraction of the cost (no markup to parse,
    each distinct cell measured once). Each cell gets one of four shared styles and each row the height
    reportlab would measure, so reportlab neither applies a style command to every cell nor measures
    every cell again (that was half of the time of the 260,000 cells of a 3,000-kegiatan plan)."""
    style = [_LINES]
    widths = [w - 2 * _PAD_H for w in col_widths]
    columns = [(c, c in _NUMERIC_SET, widths[c - 1]) for c in range(1, ef.N_FORM_COLS + 1)]
    data, heights, looks = [], [], []
    for i, row in enumerate(rows):
        bold = row.level in {"goal", "program", "kegiatan"}
        font = _BOLD.fontName if bold else _TEXT.fontName
        values, row_looks, lines = [], [], 0
        for c, numeric, width in columns:
            value = row.cells.get(c)
            text = cells.text(c, value, font, width)
            values.append(text)
            row_looks.append(cells.styles[(bold and isinstance(value, str), numeric)])  # numbers stay regular
            if isinstance(text, str):
                lines = max(lines, text.count("\n") + 1)
        data.append(values)
        looks.append(row_looks)
        heights.append(lines * _TEXT.leading + 2 * _PAD_V)  # as reportlab measures a row of text lines
        if row.level in _FILLS:
            style.append(("BACKGROUND", (0, i), (-1, i), _FILLS[row.level]))
    table = Table(data, colWidths=col_widths, rowHeights=heights, cellStyles=looks, normalizedData=1)  # str or ()
    table.setStyle(TableStyle(style))
    return table


_NUMERIC_SET = frozenset(range(1, ef.N_FORM_COLS + 1)) - {ef.C_NO, ef.C_GOAL, ef.C_CODE, ef.C_NAME, ef.C_INDICATOR,
                                                          ef.C_UNIT, ef.C_PIC, ef.C_NOTE}


class _Cells:
    """What the body tables of one PDF share: the cell styles by (bold, right-aligned), which set what
    `_GRID`'s padding, top alignment and the body font would set cell by cell (built per PDF: reportlab
    changes a style in place), and each distinct cell's text cut into lines once (figures, units, PIC
    names and indicator wordings recur)."""

    def __init__(self) -> None:
        self.styles: dict[tuple[bool, bool], CellStyle] = {}
        for bold in (False, True):
            for right in (False, True):
                s = self.styles[(bold, right)] = CellStyle(f"body-{bold}-{right}")
                s.fontname, s.fontsize, s.leading = (_BOLD if bold else _TEXT).fontName, _TEXT.fontSize, _TEXT.leading
                s.leftPadding = s.rightPadding = _PAD_H
                s.topPadding = s.bottomPadding = _PAD_V
                s.valign, s.alignment = "TOP", "RIGHT" if right else "LEFT"
        self._figures: dict[tuple, str] = {}
        self._texts: dict[tuple, str] = {}

    def text(self, col: int, value: object, font: str, width: float) -> str | tuple:
        """The cell's lines; () for nothing to draw (an empty string is still a text object)."""
        if value is None:
            return ()
        if isinstance(value, int | Decimal):  # regular, cut like a word too wide for its column
            key = (col in ef.PCT_COLS, type(value), str(value), width)
            text = self._figures.get(key)
            if text is None:
                figure = formatting.number(Decimal(value), decimals=1) if key[0] else formatting.number(value)
                text = self._figures[key] = "\n".join(_lines(figure, _TEXT.fontName, _TEXT.fontSize, width))
            return text
        key = (font, value, width)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = "\n".join(_lines(str(value), font, _TEXT.fontSize, width))
        return text


def _lines(text: str, font: str, size: float, width: float) -> list[str]:
    """Words to lines no wider than `width`, as a Paragraph breaks them (reportlab's `breakLines`): runs of
    white space are one space, and a word wider than the column is cut letter by letter, beginning in
    what is left of the current line."""
    space = _width(" ", font, size)
    shrink = _TEXT.spaceShrinkage * space
    lines, line, used = [], [], -space  # used: the width of the line so far, as reportlab counts it
    for word in text.split():
        w = _width(word, font, size)
        if w > width:
            piece, used = "", used + space
            for ch in word:
                cw = _width(ch, font, size)
                if used + cw > width and (piece or cw <= width):
                    lines.append(" ".join([*line, piece]).rstrip())
                    line, piece, used = [], "", 0.0
                piece += ch
                used += cw
            line.append(piece)
        elif line and used + space + w > width + shrink * len(line):  # its spaces may shrink a little
            lines.append(" ".join(line))
            line, used = [word], w
        else:
            line.append(word)
            used += space + w
    if line:
        lines.append(" ".join(line))
    return lines


@lru_cache(maxsize=65_536)
def _width(text: str, font: str, size: float) -> float:
    """reportlab's `stringWidth`, once per word (a plan repeats its words)."""
    return stringWidth(text, font, size)


def _footer(form: ef.EvaluationForm, width: float) -> LongTable:
    """One row per line (a kegiatan's pendorong, penghambat, tindak lanjut), so a long footer breaks
    across pages like the table above it instead of overflowing one; plain strings, as in `_body`."""
    data = []
    label_width, text_width = width * 0.25, width * 0.75
    style = [("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("FONT", (1, 0), (1, -1), _TEXT.fontName, _TEXT.fontSize, _TEXT.leading)]
    for label, text in form.footer:
        # The label's cell in bold; below it an empty cell in the table's own font, which sets the row's height.
        style.append(("FONT", (0, len(data)), (0, len(data)), _BOLD.fontName, _BOLD.fontSize, _BOLD.leading))
        for i, line in enumerate(text.split("\n")):
            data.append(["\n".join(_lines(label, _BOLD.fontName, _TEXT.fontSize, label_width - 12)) if i == 0 else "",
                         "\n".join(_lines(line, _TEXT.fontName, _TEXT.fontSize, text_width - 12))])
    table = LongTable(data, colWidths=[label_width, text_width])
    table.setStyle(TableStyle(style))
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
