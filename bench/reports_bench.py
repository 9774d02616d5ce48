"""Benchmark: digest, chart and workbook of a 3,000-kegiatan plan, on SQLite and PostgreSQL.

    .venv/bin/python bench/reports_bench.py [--kegiatan 3000] [--quarter 4] [--backends sqlite,postgresql]

For each database: generate a plan (about 12,000 aksi) with a year of realisations, then time
scoring (load + score), the digest, the chart, the workbook and the PDF form, each next to a plain SQL
aggregate over the same tables (realised values and budget summed per kegiatan) measured in the
same run, and print the ratio. PostgreSQL runs in a private schema that is dropped afterwards.
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


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


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
        with unit_of_work(engine) as session:
            counts = session.execute(sa.text(
                "SELECT (SELECT COUNT(*) FROM kegiatan WHERE plan_id = :p), "
                "(SELECT COUNT(*) FROM aksi a JOIN kegiatan k ON k.id = a.kegiatan_id WHERE k.plan_id = :p), "
                "(SELECT COUNT(*) FROM aksirealisation)"), {"p": plan_id}).one()
            rows.append((f"plan: {counts[0]:,} kegiatan, {counts[1]:,} aksi, {counts[2]:,} aksi realisations",
                         0.0, ""))
            sql_s, agg = timed(lambda: session.execute(plain_aggregate_sql(), {"plan_id": plan_id}).all(), repeat)
            rows.append(("plain SQL aggregate (SUM per kegiatan)", sql_s, f"{len(agg):,} rows"))
            score_s, score = timed(lambda: score_plan_from_db(plan_id, quarter, session=session, now=AFTER_YEAR),
                                   repeat)
            c = score.cumulative.coverage
            headline = (f"headline {score.cumulative.pct}% {score.cumulative.band}: {c.scored:,} of {c.due:,} "
                        f"aksi due scored ({c.missing:,} not reported, counted 0; {c.capped:,} capped at "
                        f"{score.cap_pct}%), {c.excluded:,} flagged left out")
            rows.append(("load + score plan", score_s, headline))
            digest_s, digest = timed(lambda: build_digest(plan_id, quarter, session=session, now=AFTER_YEAR), repeat)
            rows.append(("digest (load + score + render)", digest_s,
                         f"{len(split_message(digest.text))} messages, {len(digest.text):,} chars"))
            chart_s, png = timed(lambda: achievement_chart(score, quarter), repeat)
            rows.append(("chart (from the score)", chart_s, f"{len(png):,} bytes PNG"))
            wb_s, xlsx = timed(lambda: build_workbook(plan_id, quarter, session=session, now=AFTER_YEAR), 1)
            rows.append(("workbook (load + score + xlsx: form + RAPK sheets)", wb_s, f"{len(xlsx):,} bytes"))
            pdf_s, pdf = timed(lambda: build_pdf(plan_id, quarter, session=session, now=AFTER_YEAR), 1)
            rows.append(("PDF form (load + score + reportlab, A4 landscape)", pdf_s,
                         f"{len(pdf):,} bytes, {pdf.count(b'/Type /Page') - pdf.count(b'/Type /Pages'):,} pages"))
        engine.dispose()
    return [(name, s, note + (f"  ×{s / sql_s:,.0f} SQL" if s and name.startswith(("load", "digest", "chart",
                                                                                     "workbook", "PDF")) else ""))
            for name, s, note in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kegiatan", type=int, default=3000)
    parser.add_argument("--quarter", type=int, default=4, choices=(1, 2, 3, 4))
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (median); the workbook runs once")
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
