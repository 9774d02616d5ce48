"""Benchmark: the workbook and the PDF form written by each candidate writer, from the same scored plan.

    .venv/bin/python bench/writers_bench.py [--kegiatan 3000] [--quarter 4] [--repeat 3] [--backend sqlite]

The plan is generated and scored once; only the writing is timed (min / median / max over `--repeat`
rounds, peak RSS of the rounds), so the writers are compared on exactly the same rows:

- workbook, main's way: openpyxl, every cell of a table written and styled (bot/domain/workbook.py as it
  is on main, loaded from `--main`, default /work/main);
- workbook, openpyxl write-only: the cells the shipped writer writes (no empty cell but a filled row's),
  replayed as WriteOnlyCells with named styles built once;
- workbook, XlsxWriter normal mode and constant-memory mode (the shipped writer);
- PDF, main's form_pdf against the shipped one.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import database  # noqa: E402
from bench._common import peak_rss_mb  # noqa: E402
from bench._common import reset_peak_rss  # noqa: E402
from bench.plan_gen import generate_plan  # noqa: E402
from bench.reports_bench import AFTER_YEAR  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.db import unit_of_work  # noqa: E402
from bot.domain import evaluation_form as ef  # noqa: E402
from bot.domain import form_pdf  # noqa: E402
from bot.domain import workbook  # noqa: E402
from bot.domain.scoring import gc_paused  # noqa: E402
from bot.domain.scoring import score_plan_from_db  # noqa: E402


class _Sheet:
    """What bot.domain.workbook asks of an XlsxWriter worksheet, recorded: cells by row, merges, widths."""

    def __init__(self, name: str):
        self.name, self.rows, self.merge, self.widths, self.freeze = name, {}, [], {}, None

    def _cell(self, row, col, value, fmt):
        self.rows.setdefault(row, {})[col] = (value, fmt)

    def write_string(self, row, col, value, fmt=None):
        self._cell(row, col, value, fmt)

    write_number = write_string

    def write_blank(self, row, col, value, fmt=None):
        if fmt is not None:
            self._cell(row, col, None, fmt)

    def merge_range(self, r1, c1, r2, c2, value, fmt=None):
        self.merge.append([r1, c1, r2, c2])
        self._cell(r1, c1, value, fmt)

    def set_column(self, first, last, width):
        self.widths[first] = width + 5 / 7

    def freeze_panes(self, row, col):
        self.freeze = (row, col)

    def __getattr__(self, name):  # page setup, row heights, the grid rule: not what is compared
        return lambda *args, **kwargs: None


class _Recorder:
    def __init__(self, buf, options):
        self.sheets = []

    def add_format(self, props):
        return SimpleNamespace(**props)

    def add_worksheet(self, name):
        self.sheets.append(_Sheet(name))
        return self.sheets[-1]

    def close(self):
        _Recorder.last = self


def openpyxl_write_only(book: _Recorder) -> bytes:
    """The recorded cells through openpyxl's write-only mode, one named style per format."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment
    from openpyxl.styles import Border
    from openpyxl.styles import Font
    from openpyxl.styles import NamedStyle
    from openpyxl.styles import PatternFill
    from openpyxl.styles import Side
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    names: dict[int, str] = {}

    def style(fmt) -> str:
        if id(fmt) not in names:
            p = vars(fmt)
            side = Side(style="thin", color="808080") if p.get("border") else Side()
            named = NamedStyle(
                name=f"s{len(names)}", number_format=p.get("num_format", "General"),
                border=Border(left=side, right=side, top=side, bottom=side),
                fill=PatternFill("solid", fgColor=p["bg_color"].lstrip("#")) if p.get("pattern") else PatternFill(),
                font=Font(name=p.get("font_name", "Calibri"), size=p.get("font_size", 11), bold=p.get("bold", False)),
                alignment=Alignment(wrap_text=p.get("text_wrap", False), vertical={"vcenter": "center"}.get(p.get("valign"), p.get("valign")),
                                    horizontal=p.get("align")))
            wb.add_named_style(named)
            names[id(fmt)] = named.name
        return names[id(fmt)]

    for sheet in book.sheets:
        ws = wb.create_sheet(sheet.name)
        for col, width in sheet.widths.items():
            ws.column_dimensions[get_column_letter(col + 1)].width = width
        if sheet.freeze:
            ws.freeze_panes = f"{get_column_letter(sheet.freeze[1] + 1)}{sheet.freeze[0] + 1}"
        last = -1
        for r in sorted(sheet.rows):
            for _ in range(r - last - 1):
                ws.append([])
            cells = sheet.rows[r]
            out = [None] * (max(cells) + 1)
            for c, (value, fmt) in cells.items():
                cell = WriteOnlyCell(ws, value=value)
                if fmt is not None:
                    cell.style = style(fmt)
                out[c] = cell
            ws.append(out)
            last = r
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def load_main(name: str, main: Path):
    spec = importlib.util.spec_from_file_location(f"main_{name}", main / "bot" / "domain" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rounds(fn: Callable[[], bytes], repeat: int) -> tuple[list[float], float, int]:
    reset_peak_rss()
    times, size = [], 0
    with gc_paused():
        for _ in range(repeat):
            start = time.perf_counter()
            size = len(fn())
            times.append(time.perf_counter() - start)
    return times, peak_rss_mb(), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kegiatan", type=int, default=3000)
    parser.add_argument("--quarter", type=int, default=4, choices=(1, 2, 3, 4))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--main", type=Path, default=Path("/work/main"), help="a checkout of main, for its writers")
    parser.add_argument("--skip", default="", help="comma-separated writers to leave out (e.g. main-pdf)")
    args = parser.parse_args()
    with database(args.backend) as url:
        engine = make_engine(url)
        with unit_of_work(engine) as session:
            plan_id = generate_plan(args.kegiatan, session=session, seed=1, quarters=4)
        with unit_of_work(engine) as session:
            ps = score_plan_from_db(plan_id, args.quarter, session=session, now=AFTER_YEAR)
            extras = ef.load_extras(plan_id, args.quarter, session=session)
        engine.dispose()
    form = ef.build_form(ps, extras, now=AFTER_YEAR)
    q = args.quarter

    def xlsxwriter_mode(constant: bool) -> Callable[[], bytes]:
        import xlsxwriter

        class Workbook(xlsxwriter.Workbook):
            def __init__(self, buf, options):
                super().__init__(buf, options | {"constant_memory": constant})

        def run() -> bytes:
            real = workbook.xlsxwriter
            workbook.xlsxwriter = SimpleNamespace(Workbook=Workbook)
            try:
                return workbook._build(ps, form, extras, q, "a4")
            finally:
                workbook.xlsxwriter = real
        return run

    def write_only() -> bytes:
        real = workbook.xlsxwriter
        workbook.xlsxwriter = SimpleNamespace(Workbook=_Recorder)
        try:
            workbook._build(ps, form, extras, q, "a4")
        finally:
            workbook.xlsxwriter = real
        return openpyxl_write_only(_Recorder.last)

    writers: list[tuple[str, Callable[[], bytes]]] = []
    if args.main.exists():
        old_wb = load_main("workbook", args.main)
        writers.append(("main-xlsx", lambda: old_wb._build(ps, form, extras, q, "a4")))
    writers += [("openpyxl-write-only", write_only), ("xlsxwriter-normal", xlsxwriter_mode(False)),
                ("xlsxwriter-constant-memory", xlsxwriter_mode(True))]
    if args.main.exists():
        old_pdf = load_main("form_pdf", args.main)
        writers.append(("main-pdf", lambda: old_pdf.render_pdf(form)))
    writers.append(("pdf", lambda: form_pdf.render_pdf(form)))
    skip = set(filter(None, args.skip.split(",")))
    print(f"{args.backend}: {args.kegiatan:,} kegiatan, TW {q}; {len(form.rows):,} form rows; writing only, "
          f"{args.repeat} rounds")
    for name, fn in writers:
        if name in skip:
            continue
        times, rss, size = rounds(fn, args.repeat)
        print(f"  {name:<28} min/median/max {min(times) * 1000:8,.0f} / {statistics.median(times) * 1000:8,.0f} / "
              f"{max(times) * 1000:8,.0f} ms   peak RSS {rss:6,.0f} MB   {size:,} bytes", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
