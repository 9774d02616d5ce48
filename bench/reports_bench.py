"""Benchmark: digest, chart and workbook of a 3,000-kegiatan plan, on SQLite and PostgreSQL.

    .venv/bin/python bench/reports_bench.py [--kegiatan 3000] [--quarter 4] [--backends sqlite,postgresql]

For each database: generate a plan (about 12,000 aksi) with a year of realisations, then time
scoring (load + score), the digest, the chart, the workbook and the PDF form. The baseline of each
step is a raw fetch of exactly the rows it reads: the statements the step sent, replayed on a bare
DBAPI cursor with every row fetched, timed in the same rounds; the ratio is printed as min / median /
max over `--repeat` rounds, with the number of statements (the workbook and the PDF: their times'
min / median / max and peak RSS too). A plain SQL aggregate
(SUM per kegiatan) is printed too, for scale. PostgreSQL runs in a private schema that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import database  # noqa: E402
from bench._common import peak_rss_mb  # noqa: E402
from bench._common import reset_peak_rss  # noqa: E402
from bench.plan_gen import generate_plan  # noqa: E402
from bench.plan_gen import plain_aggregate_sql  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.db import unit_of_work  # noqa: E402
from bot.domain.charts import achievement_chart  # noqa: E402
from bot.domain.digest import build_digest  # noqa: E402
from bot.domain.form_pdf import build_pdf  # noqa: E402
from bot.domain.scoring import score_plan_from_db  # noqa: E402
from bot.domain.workbook import build_workbook  # noqa: E402
from bot.telegram.sending import split_message  # noqa: E402

# The generated plan is 2020's with every quarter reported: scored after TW IV's deadline, so an
# unreported aksi counts as 0 (as in the leadership digest of January 2021).
AFTER_YEAR = datetime(2021, 1, 15, tzinfo=UTC)


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    """Wall time of each of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


class Statements:
    """The SQL a step sends, with its parameters as the driver got them (the baseline replays exactly these)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.sent: list[tuple[str, object]] = []

    def _note(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.sent.append((statement, parameters))

    def during(self, fn: Callable[[], object]) -> object:
        self.sent.clear()
        sa.event.listen(self.engine, "before_cursor_execute", self._note)
        try:
            return fn()
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", self._note)

    def raw_fetch(self) -> int:
        """Run the step's statements on a bare DBAPI cursor and fetch every row: the floor of reading them."""
        rows = 0
        conn = self.engine.raw_connection()
        try:
            cursor = conn.cursor()
            for statement, parameters in self.sent:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    rows += len(cursor.fetchall())
            conn.rollback()
        finally:
            conn.close()
        return rows


def rounds(fn: Callable[[], object], times: list[float]) -> Callable[[], object]:
    """`fn`, noting in `times` the RSS as the timed rounds begin, then the wall time of each round (the
    first call, which records the statements, is not one)."""
    calls = []

    def run() -> object:
        if len(calls) == 1:
            times.append(rss_mb())  # as the timed rounds begin, what the peak RSS is measured from
        start = time.perf_counter()
        result = fn()
        if calls:
            times.append(time.perf_counter() - start)
        calls.append(1)
        return result

    return run


def min_median_max(noted: list[float]) -> str:
    start_rss, times = noted[0], noted[1:]
    return (f"time min/median/max {min(times) * 1000:,.0f} / {statistics.median(times) * 1000:,.0f} / "
            f"{max(times) * 1000:,.0f} ms; RSS {start_rss:,.0f} MB as the rounds began")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next((int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:")), 0.0)


def spread(values: list[float]) -> str:
    return f"×{min(values):,.1f} / ×{statistics.median(values):,.1f} / ×{max(values):,.1f}"


def run(backend: str, n_kegiatan: int, quarter: int, repeat: int) -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = []
    with database(backend) as url:
        engine = make_engine(url)
        start = time.perf_counter()
        with unit_of_work(engine) as session:
            plan_id = generate_plan(n_kegiatan, session=session, seed=1, quarters=4)
        rows.append(("generate plan (bulk insert)", time.perf_counter() - start, ""))
        if backend == "postgresql":
            with engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
        statements = Statements(engine)
        with unit_of_work(engine) as session:
            counts = session.execute(sa.text(
                "SELECT (SELECT COUNT(*) FROM kegiatan WHERE plan_id = :p), "
                "(SELECT COUNT(*) FROM aksi a JOIN kegiatan k ON k.id = a.kegiatan_id WHERE k.plan_id = :p), "
                "(SELECT COUNT(*) FROM aksirealisation)"), {"p": plan_id}).one()
            rows.append((f"plan: {counts[0]:,} kegiatan, {counts[1]:,} aksi, {counts[2]:,} aksi realisations",
                         0.0, ""))
            sql_s, agg = timed(lambda: session.execute(plain_aggregate_sql(), {"plan_id": plan_id}).all(), repeat)
            rows.append(("plain SQL aggregate (SUM per kegiatan)", statistics.median(sql_s), f"{len(agg):,} rows"))

            def step(name: str, fn: Callable[[], object], runs: int, describe: Callable[[object], str]) -> object:
                """Time the step and, in the same rounds, a raw fetch of exactly the rows it reads."""
                result = statements.during(fn)
                sent = len(statements.sent)
                ratios, step_times, fetch_times = [], [], []
                reset_peak_rss()
                for _ in range(runs):
                    fetch, fetched = timed(statements.raw_fetch, 1)
                    took, result = timed(fn, 1)
                    fetch_times += fetch
                    step_times += took
                    ratios.append(took[0] / fetch[0])
                rows.append((f"  raw fetch of its rows ({sent} statements)", statistics.median(fetch_times),
                             f"{fetched:,} rows"))
                rows.append((name, statistics.median(step_times),
                             f"{describe(result)}; ÷ raw fetch min/median/max {spread(ratios)}; "
                             f"peak RSS {peak_rss_mb():,.0f} MB"))
                return result

            def headline(score) -> str:
                c = score.cumulative.coverage
                return (f"headline {score.cumulative.pct}% {score.cumulative.band}: {c.scored:,} of {c.due:,} "
                        f"aksi due scored ({c.missing:,} not reported, counted 0; {c.capped:,} capped at "
                        f"{score.cap_pct}%), {c.excluded:,} flagged left out")

            score = step("load + score plan", lambda: score_plan_from_db(plan_id, quarter, session=session,
                                                                          now=AFTER_YEAR), repeat, headline)
            step("digest (load + score + render)", lambda: build_digest(plan_id, quarter, session=session,
                                                                         now=AFTER_YEAR), repeat,
                 lambda d: f"{len(split_message(d.text))} messages, {len(d.text):,} chars")
            chart_s, png = timed(lambda: achievement_chart(score, quarter), repeat)
            rows.append(("chart (from the score)", statistics.median(chart_s),
                         f"{len(png):,} bytes PNG; min/median/max {min(chart_s) * 1000:.0f} / "
                         f"{statistics.median(chart_s) * 1000:.0f} / {max(chart_s) * 1000:.0f} ms"))
            wb_times, pdf_times = [], []
            step("workbook (load + score + xlsx: form + RAPK sheets)",
                 rounds(lambda: build_workbook(plan_id, quarter, session=session, now=AFTER_YEAR), wb_times), repeat,
                 lambda xlsx: f"{len(xlsx):,} bytes; {min_median_max(wb_times)}")
            step("PDF form (load + score + reportlab, A4 landscape)",
                 rounds(lambda: build_pdf(plan_id, quarter, session=session, now=AFTER_YEAR), pdf_times), repeat,
                 lambda pdf: f"{len(pdf):,} bytes, "
                             f"{pdf.count(b'/Type /Page') - pdf.count(b'/Type /Pages'):,} pages; "
                             f"{min_median_max(pdf_times)}")
        engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kegiatan", type=int, default=3000)
    parser.add_argument("--quarter", type=int, default=4, choices=(1, 2, 3, 4))
    parser.add_argument("--repeat", type=int, default=3, help="rounds per step (median; ratios min/median/max)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        try:
            rows = run(backend, args.kegiatan, args.quarter, args.repeat)
        except sa.exc.OperationalError as exc:
            print(f"\n{backend}: unavailable ({exc.__class__.__name__})")
            continue
        print(f"\n{backend} — TW {args.quarter}, median of {args.repeat}")
        for name, seconds, note in rows:
            shown = f"{seconds * 1000:9.1f} ms" if seconds else " " * 12
            print(f"  {name:<58} {shown}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
