"""The realisation template: one sheet listing every item due in a quarter, with a «Realisasi» column to fill.

What is due is bot.domain.obligations' rule (due_kegiatan: a kegiatan with an aksi due or a budget;
a locked one owes nothing more and is left out), and for the IKU and program indicators, listed
first, bot.domain.period's (OutcomeItem.targets); what each row shows is what /lapor shows for it
(bot.domain.reporting.load_form: the quarter's target, the target to date, the mode, the stored
value), worded by templates/<lang>/realisasi_sheet.j2 as /lapor's questions are. The layout is the
one bot.domain.realisation_file.reader reads back: MARKER in A1, then «Instansi», «Tahun»,
«Triwulan», «Pelapor» rows, then the table heading and one row per item.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from sqlmodel import Session
from sqlmodel import select

from bot.domain import people
from bot.domain.locks import quarter_locked
from bot.domain.measure import target_to_date
from bot.domain.obligations import due_kegiatan
from bot.domain.people import outcome_holdings
from bot.domain.period import plan_outcomes
from bot.domain.realisation_file.reader import AKSI
from bot.domain.realisation_file.reader import BUDGET
from bot.domain.realisation_file.reader import IKU
from bot.domain.realisation_file.reader import INDICATOR
from bot.domain.realisation_file.reader import KENDALA
from bot.domain.realisation_file.reader import MARKER
from bot.domain.realisation_file.reader import PENDORONG
from bot.domain.realisation_file.reader import PROGRAM_INDICATOR
from bot.domain.realisation_file.reader import TINDAK_LANJUT
from bot.domain.realisation_file.store import outcome_stored
from bot.domain.reporting import ReportForm
from bot.domain.reporting import load_form
from bot.text.formatting import number
from bot.text.formatting import quarter_label
from bot.text.formatting import rupiah
from bot.text.render import labels
from bot.text.render import macro
from models import Agency
from models import KegiatanIndicator
from models import Person
from models import Plan

COLUMNS = ("col_seq", "col_kegiatan", "col_pic", "col_type", "col_no", "col_item", "col_target",
           "col_target_to_date", "col_how", "col_stored", "col_value")
WIDTHS = (10, 34, 18, 16, 6, 48, 24, 16, 30, 18, 18)
HEADER_ROW = 8


def template_rows(plan_id: int, quarter: int, *, session: Session, lang: str = "id") -> list[tuple]:
    """The sheet's item rows in COLUMNS order (the «Realisasi» cell empty), kegiatan by document order."""
    due = [k for k in due_kegiatan(plan_id, quarter, session=session) if not k.locked]
    names = dict(session.exec(select(Person.id, Person.name).where(
        Person.id.in_({p for k in due for p in k.pic_ids}))).all())
    seqs = dict(session.exec(select(KegiatanIndicator.id, KegiatanIndicator.seq).where(
        KegiatanIndicator.kegiatan_id.in_([k.kegiatan_id for k in due]))).all())
    words = labels("realisasi_labels", lang)
    rows = list(_outcome_rows(plan_id, quarter, session=session, lang=lang))
    for k in due:
        pics = ", ".join(sorted(names[p] for p in k.pic_ids))
        form = load_form(k.kegiatan_id, quarter, session=session)
        for kind, ref, cells in _items(form, seqs, lang):
            rows.append((k.seq, k.kegiatan_name, pics, words[f"type_{kind}"], ref, *cells, ""))
    return rows


def _items(form: ReportForm, seqs: dict[int, int], lang: str) -> Iterator[tuple[str, str, tuple]]:
    """(kind, number, (item, target, target to date, how to fill in, stored)) for each row of a kegiatan."""
    q = form.quarter

    def sheet(code: str, kind: str, **params) -> str:
        return macro("realisasi_sheet", code, lang, kind=kind, **params)

    def how(kind: str, mode: str = "", percent: bool = False) -> str:
        return sheet("how", kind, mode=mode, q=q, percent=percent)

    for a in form.aksi:
        unit = "%" if a.kind == "percent" else f" {a.unit}" if a.unit else ""
        to_date = f"{number(a.target_to_date, lang)}{unit}" if a.target_to_date is not None else ""
        yield AKSI, str(a.no), (sheet("item", AKSI, name=a.name, indicator=a.indicator),
                                sheet("target", AKSI, q=q, raw=a.target_raw, extra=None), to_date,
                                how(AKSI, a.mode, a.kind == "percent"), _stored(a.reported, a.value_raw, a.value, lang))
    for i in form.indicators:
        yield INDICATOR, str(seqs[i.indicator_id]), (
            i.text, sheet("target", INDICATOR, q=q, raw=i.target_raw, extra=""), "",
            how(INDICATOR, i.mode, i.unit == "%"), _stored(i.reported, i.value_raw, i.value, lang))
    yield BUDGET, "", (sheet("item", BUDGET, name="", indicator=""),
                       sheet("target", BUDGET, q=q, raw=form.budget, extra=form.budget_left), "", how(BUDGET),
                       rupiah(form.budget_realised, lang) if form.budget_reported else "")
    for kind, stored in ((KENDALA, form.kendala), (TINDAK_LANJUT, form.tindak_lanjut), (PENDORONG, form.pendorong)):
        yield kind, "", (sheet("item", kind, name="", indicator=""), "", "", how(kind), stored)


def _outcome_rows(plan_id: int, quarter: int, *, session: Session, lang: str) -> Iterator[tuple]:
    """The IKU and program indicators due in the quarter (bot.domain.period.OutcomeItem.targets), first, as
    the cascade is read; none when the plan's quarter is locked."""
    if quarter_locked(plan_id, quarter, session=session):
        return
    items = [i for i in plan_outcomes(plan_id, session=session) if quarter in i.targets]
    holders: dict[tuple[str, int], list[int]] = {}
    for h in outcome_holdings(session=session):
        holders.setdefault(h.key, []).append(h.person_id)
    names = dict(session.exec(select(Person.id, Person.name).where(
        Person.id.in_({p for ids in holders.values() for p in ids}))).all())
    stored = outcome_stored(items, quarter, session=session)
    words = labels("realisasi_labels", lang)
    for i in items:
        kind = IKU if i.kind == people.IKU else PROGRAM_INDICATOR
        unit = "%" if i.percent else f" {i.unit}" if i.unit else ""
        to_date = target_to_date(i.mode, i.targets, quarter)
        value, raw = stored.get(i.key, (None, ""))
        yield ("", "", ", ".join(sorted(names[p] for p in holders.get(i.key, []))), words[f"type_{kind}"], i.ref,
               macro("realisasi_sheet", "item", lang, kind=kind, name=i.text, indicator=i.owner),
               macro("realisasi_sheet", "target", lang, kind=kind, q=quarter, raw=i.target_raw,
                     extra=i.cells[quarter - 1]),
               f"{number(to_date, lang)}{unit}" if to_date is not None else "",
               macro("realisasi_sheet", "how", lang, kind=kind, mode=i.mode, q=quarter, percent=i.percent),
               _stored(i.key in stored, raw, value, lang), "")


def _stored(reported: bool, raw: str, value, lang: str) -> str:
    return (raw or number(value, lang)) if reported else ""


def build_template(plan_id: int, quarter: int, *, session: Session, lang: str = "id",
                   rows: list[tuple] | None = None) -> bytes:
    """The template workbook (.xlsx) of a plan's quarter (of `rows` when template_rows gave them already)."""
    from openpyxl import Workbook  # here: `rapk` commands that never write a workbook start faster
    from openpyxl.styles import Alignment
    from openpyxl.styles import Font
    from openpyxl.styles import PatternFill

    plan = session.get(Plan, plan_id)
    agency = session.get(Agency, plan.agency_id)
    rows = template_rows(plan_id, quarter, session=session, lang=lang) if rows is None else rows
    words = labels("realisasi_labels", lang)
    tw = quarter_label(quarter)
    book = Workbook()
    ws = book.active
    ws.title = words["sheet"].format(q=tw)
    fill = PatternFill("solid", fgColor="FFF2CC")
    ws["A1"] = MARKER
    ws["A1"].font = Font(color="808080", size=8)
    ws["B1"] = words["title"].format(q=tw, year=plan.year)
    ws["B1"].font = Font(bold=True, size=13)
    for row, (key, value) in enumerate((("agency", agency.name), ("year", plan.year), ("quarter", quarter),
                                        ("by", "")), start=2):
        ws.cell(row, 1, words[key]).font = Font(bold=True)
        ws.cell(row, 2, value).alignment = Alignment(horizontal="left")
    ws.cell(5, 2).fill = fill
    ws.cell(5, 2).number_format = "@"
    ws.cell(6, 2, macro("realisasi_sheet", "instructions", lang, q=quarter)).alignment = Alignment(wrap_text=True)
    ws.merge_cells(start_row=6, start_column=2, end_row=6, end_column=len(COLUMNS))
    ws.row_dimensions[6].height = 45
    for col, key in enumerate(COLUMNS, start=1):
        cell = ws.cell(HEADER_ROW, col, words[key].format(q=tw))
        cell.font = Font(bold=True)
        cell.fill = fill if key == "col_value" else PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, values in enumerate(rows, start=HEADER_ROW + 1):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(r, col, value)
            cell.alignment = wrap
            if COLUMNS[col - 1] in ("col_no", "col_value"):
                cell.number_format = "@"  # typed as text: `1.250` and `3.1` stay as typed
        ws.cell(r, len(COLUMNS)).fill = fill
    for col, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[ws.cell(1, col).column_letter].width = width
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
