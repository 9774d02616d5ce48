"""Benchmark: digest, chart and workbook of a 3,000-kegiatan plan, on SQLite and PostgreSQL.

    .venv/bin/python bench/reports_bench.py [--kegiatan 3000] [--quarter 4] [--backends sqlite,postgresql]
                                            [--steps score,digest,chart,workbook,pdf] [--repeat 3]
    .venv/bin/python bench/reports_bench.py --scale [--steps …] [--backends …]

For each database: generate a plan (about 12,000 aksi) with a year of realisations, then time
scoring (load + score; and again with every aksi's and indicator's own score read, which scoring builds
when first read), the digest, the chart, the workbook and the PDF form. The baseline of each
step is a raw fetch of exactly the rows it reads: the statements the step sent, replayed on a bare
DBAPI cursor with every row fetched, timed in the same rounds; the ratio is printed as min / median /
max over `--repeat` rounds with the number of statements; and again in this
process's CPU time, which a busy machine moves less (on PostgreSQL the server's share of the fetch is
not in it, so there that ratio overstates). A plain SQL aggregate
(SUM per kegiatan) is printed too, for scale. PostgreSQL runs in a private schema that is dropped afterwards.
A step's peak RSS is this process's, which holds the generated plan and the earlier steps' results; the
workbook and the PDF are then built once more, each in a fresh process that imports only what `/ekspor`
needs, whose peak RSS is the build's own.

`--scale` runs each step on plans of 1×, 10× and 100× the seed plan's kegiatan (45, 450, 4,500), each
in a fresh database, and prints the median time and the statements sent at each size with the fitted
exponent (time ∝ sizeᵏ: 1 is linear); then the import alike: parsing the seed text repeated 1×, 10×,
100× (as the parser runs, with the garbage collector paused, and with it left on) and storing it
(`save_plan`, first import).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from collections.abc import Collection
from datetime import UTC
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import database  # noqa: E402
from bench._common import peak_rss_mb  # noqa: E402
from bench._common import reset_peak_rss  # noqa: E402
from bench.import_bench import multiplied_seed  # noqa: E402
from bench.plan_gen import generate_plan  # noqa: E402
from bench.plan_gen import plain_aggregate_sql  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.db import unit_of_work  # noqa: E402
from bot.domain.bulk import gc_paused  # noqa: E402
from bot.domain.charts import achievement_chart  # noqa: E402
from bot.domain.digest import build_digest  # noqa: E402
from bot.domain.form_pdf import build_pdf  # noqa: E402
from bot.domain.plan_import import parser as plan_parser  # noqa: E402
from bot.domain.plan_import.store import save_plan  # noqa: E402
from bot.domain.scoring import score_plan_from_db  # noqa: E402
from bot.domain.workbook import build_workbook  # noqa: E402
from bot.telegram.sending import split_message  # noqa: E402

# The generated plan is 2020's with every quarter reported: scored after TW IV's deadline, so an
# unreported aksi counts as 0 (as in the leadership digest of January 2021).
AFTER_YEAR = datetime(2021, 1, 15, tzinfo=UTC)
STEPS = ("score", "digest", "chart", "workbook", "pdf")
SCALES = (1, 10, 100)


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
            with gc_paused():  # as the steps build: a collection here would scan the last step's result
                cursor = conn.cursor()
                for statement, parameters in self.sent:
                    cursor.execute(statement, parameters)
                    if cursor.description is not None:
                        rows += len(cursor.fetchall())
                conn.rollback()
        finally:
            conn.close()
        return rows


def spread(values: list[float]) -> str:
    return f"×{min(values):,.1f} / ×{statistics.median(values):,.1f} / ×{max(values):,.1f}"


def exponent(sizes: list[int], seconds: list[float]) -> float:
    """k of the least-squares fit seconds ∝ sizeᵏ (log-log): 1 is linear."""
    xs, ys = [math.log(n) for n in sizes], [math.log(max(t, 1e-9)) for t in seconds]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


class Step:
    """One step's figures: its times, the raw fetch of its rows in the same rounds, what it sent."""

    def __init__(self, name: str):
        self.name = name
        self.times: list[float] = []
        self.fetch_times: list[float] = []
        self.ratios: list[float] = []
        self.cpu_ratios: list[float] = []  # the same, in this process's CPU time (less moved by a busy machine)
        self.statements = 0
        self.rows = 0
        self.rss = 0.0
        self.note = ""
        self.result: object = None


def measure(engine: sa.Engine, plan_id: int, quarter: int, repeat: int, steps: Collection[str]) -> list[Step]:
    """Time each step of `steps` on the plan, `repeat` rounds."""
    statements = Statements(engine)
    out: list[Step] = []
    with unit_of_work(engine) as session:

        def step(name: str, fn: Callable[[], object], runs: int, describe: Callable[[object], str]) -> Step:
            """Time the step and, in the same rounds, a raw fetch of exactly the rows it reads."""
            figures = Step(name)
            statements.during(fn)  # a first run: the statements it sends, caches warm
            figures.statements = len(statements.sent)
            statements.raw_fetch()  # and the baseline's: its connection opened, its pages read, outside the timing
            reset_peak_rss()
            for _ in range(runs):
                cpu = time.process_time()
                fetch, figures.rows = timed(statements.raw_fetch, 1)
                fetch_cpu = time.process_time() - cpu
                cpu = time.process_time()
                took, figures.result = timed(fn, 1)
                took_cpu = time.process_time() - cpu
                figures.fetch_times += fetch
                figures.times += took
                figures.ratios.append(took[0] / fetch[0])
                figures.cpu_ratios.append(took_cpu / max(fetch_cpu, 1e-6))
            figures.rss = peak_rss_mb()
            figures.note = describe(figures.result)
            out.append(figures)
            return figures

        def headline(score) -> str:
            c = score.cumulative.coverage
            return (f"headline {score.cumulative.pct}% {score.cumulative.band}: {c.scored:,} of {c.due:,} "
                    f"aksi due scored ({c.missing:,} not reported, counted 0; {c.capped:,} capped at "
                    f"{score.cap_pct}%), {c.excluded:,} flagged left out")

        score = step("load + score plan", lambda: score_plan_from_db(plan_id, quarter, session=session,
                                                                      now=AFTER_YEAR), repeat, headline).result
        if "score" in steps:

            def every_item_read():
                """Load + score, then every aksi's and indicator's own score read as the workbook reads them
                (score_plan builds them when first read), with the collector paused."""
                ps = score_plan_from_db(plan_id, quarter, session=session, now=AFTER_YEAR)
                with gc_paused():
                    return sum(len(k.aksi) + len(k.indicators) for k in ps.kegiatan)

            step("  the same, every aksi and indicator read", every_item_read, repeat,
                 lambda items: f"{items:,} aksi and indicator scores built")
        if "digest" in steps:
            step("digest (load + score + render)", lambda: build_digest(plan_id, quarter, session=session,
                                                                         now=AFTER_YEAR), repeat,
                 lambda d: f"{len(split_message(d.text))} messages, {len(d.text):,} chars")
        if "chart" in steps:
            figures = Step("chart (from the score)")
            reset_peak_rss()
            figures.times, png = timed(lambda: achievement_chart(score, quarter), repeat)
            figures.rss = peak_rss_mb()
            figures.note = f"{len(png):,} bytes PNG"
            out.append(figures)
        if "workbook" in steps:
            step("workbook (load + score + xlsx: form + RAPK sheets)",
                 lambda: build_workbook(plan_id, quarter, session=session, now=AFTER_YEAR), repeat,
                 lambda xlsx: f"{len(xlsx):,} bytes")
        if "pdf" in steps:
            step("PDF form (load + score + reportlab, A4 landscape)",
                 lambda: build_pdf(plan_id, quarter, session=session, now=AFTER_YEAR), repeat,
                 lambda pdf: f"{len(pdf):,} bytes, "
                             f"{pdf.count(b'/Type /Page') - pdf.count(b'/Type /Pages'):,} pages")
    if "score" not in steps:
        out = out[1:]
    return out


# The workbook or PDF built once in a fresh interpreter that imports only what `/ekspor` needs: its peak RSS
# is the build's own, not this process's (which holds the generated plan and the earlier steps' results).
_ALONE = """
import json, sys, time
from datetime import datetime
sys.path.insert(0, sys.argv[1])

step, url, plan_id, quarter, now = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
from bench._common import peak_rss_mb as peak  # bot.db and SQLAlchemy, which the export needs anyway
from bot.db import make_engine, unit_of_work
if step == "workbook":
    from bot.domain.workbook import build_workbook as build
else:
    from bot.domain.form_pdf import build_pdf as build
imported = peak()
with unit_of_work(make_engine(url)) as session:
    start = time.perf_counter()
    build(plan_id, quarter, session=session, now=datetime.fromisoformat(now))
    took = time.perf_counter() - start
print(json.dumps({"import": imported, "peak": peak(), "seconds": took}))
"""


def alone(step: str, url: str, plan_id: int, quarter: int) -> dict:
    """`_ALONE` in a child process: {"import": MB, "peak": MB, "seconds": s}."""
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run([sys.executable, "-c", _ALONE, root, step, url, str(plan_id), str(quarter),
                          AFTER_YEAR.isoformat()], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def ms_spread(values: list[float]) -> str:
    return f"{min(values) * 1000:,.0f} / {statistics.median(values) * 1000:,.0f} / {max(values) * 1000:,.0f} ms"


def run(backend: str, n_kegiatan: int, quarter: int, repeat: int, steps: Collection[str]) -> None:
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
            rows.append(("plain SQL aggregate (SUM per kegiatan)", statistics.median(sql_s), f"{len(agg):,} rows"))
        for figures in measure(engine, plan_id, quarter, repeat, steps):
            if figures.fetch_times:
                rows.append((f"  raw fetch of its rows ({figures.statements} statements)",
                             statistics.median(figures.fetch_times),
                             f"{figures.rows:,} rows; min/median/max {ms_spread(figures.fetch_times)}"))
                rows.append((figures.name, statistics.median(figures.times),
                             f"{figures.note}; min/median/max {ms_spread(figures.times)}; ÷ raw fetch "
                             f"min/median/max {spread(figures.ratios)} (in CPU time of this process "
                             f"{spread(figures.cpu_ratios)}); peak RSS {figures.rss:,.0f} MB"))
            else:
                rows.append((figures.name, statistics.median(figures.times),
                             f"{figures.note}; min/median/max {ms_spread(figures.times)}; "
                             f"peak RSS {figures.rss:,.0f} MB"))
        for step in ("workbook", "pdf"):
            if step in steps:
                built = alone(step, url, plan_id, quarter)
                rows.append((f"  {step} alone, built once in a fresh process", built["seconds"],
                             f"peak RSS {built['peak']:,.0f} MB, of which {built['import']:,.0f} MB importing "
                             f"the bot's code (bot.db and the {step}'s module)"))
        engine.dispose()
    print(f"\n{backend} — TW {quarter}, median of {repeat}")
    for name, seconds, note in rows:
        shown = f"{seconds * 1000:9.1f} ms" if seconds else " " * 12
        print(f"  {name:<58} {shown}  {note}")


def scale_reports(backend: str, quarter: int, repeat: int, steps: Collection[str], seed_kegiatan: int) -> None:
    """Each step at 1×, 10×, 100× the seed's kegiatan: median ms, statements, fitted exponent."""
    sizes = [seed_kegiatan * m for m in SCALES]
    table: dict[str, list[Step]] = {}
    for n in sizes:
        with database(backend) as url:
            engine = make_engine(url)
            with unit_of_work(engine) as session:
                plan_id = generate_plan(n, session=session, seed=1, quarters=4)
            if backend == "postgresql":
                with engine.begin() as conn:
                    conn.execute(sa.text("ANALYZE"))
            for figures in measure(engine, plan_id, quarter, repeat, steps):
                table.setdefault(figures.name, []).append(figures)
            engine.dispose()
    print(f"\n{backend} — reports at {' / '.join(f'{m}×' for m in SCALES)} the seed "
          f"({' / '.join(f'{n:,}' for n in sizes)} kegiatan), TW {quarter}, median of {repeat}")
    print(f"  {'step':<52}" + "".join(f"{f'{n:,} kegiatan':>27}" for n in sizes) + f"{'exponent':>10}")
    for name, figures in table.items():
        medians = [statistics.median(f.times) for f in figures]
        cells = "".join(f"{f'{t * 1000:,.1f} ms ({f.statements} stmts)':>27}" for t, f in zip(medians, figures,
                                                                                              strict=True))
        print(f"  {name[:52]:<52}{cells}{exponent(sizes, medians):>10.2f}")
        if figures[0].fetch_times:
            fetch = [statistics.median(f.fetch_times) for f in figures]
            cells = "".join(f"{f'{t * 1000:,.1f} ms ({f.rows:,} rows)':>27}" for t, f in zip(fetch, figures,
                                                                                             strict=True))
            print(f"  {'  its raw fetch':<52}{cells}{exponent(sizes, fetch):>10.2f}")


@contextlib.contextmanager
def collector_left_on():
    """The parser as it was: the garbage collector running while it builds (for comparison)."""
    paused = plan_parser.gc_paused
    plan_parser.gc_paused = contextlib.nullcontext
    try:
        yield
    finally:
        plan_parser.gc_paused = paused


def scale_import(backends: list[str], repeat: int) -> None:
    """Parsing (collector paused, as the parser runs; and left on) and storing the seed at 1×, 10×, 100×."""
    texts = [multiplied_seed(m) for m in SCALES]
    parsed = [plan_parser.parse_plan_text(t, "scale.txt") for t in texts]
    sizes = [len(p.kegiatan) for p in parsed]
    paused, left_on = [], []
    for text in texts:  # the two alternate round by round: a busy moment of the machine hits both alike
        took: dict[str, list[float]] = {"paused": [], "on": []}
        for _ in range(repeat):
            took["paused"] += timed(lambda text=text: plan_parser.parse_plan_text(text, "scale.txt"), 1)[0]
            with collector_left_on():
                took["on"] += timed(lambda text=text: plan_parser.parse_plan_text(text, "scale.txt"), 1)[0]
        paused.append(statistics.median(took["paused"]))
        left_on.append(statistics.median(took["on"]))
    rows: list[tuple[str, list[float]]] = [("parse (collector paused: as the parser runs)", paused),
                                           ("parse (collector left on)", left_on)]
    for backend in backends:
        medians = []
        for plan in parsed:
            took = []
            for _ in range(repeat):
                with database(backend) as url:
                    engine = make_engine(url)
                    with engine.connect():  # the pool's connection opened outside the timing
                        pass

                    def first(plan=plan, engine=engine) -> None:
                        with unit_of_work(engine) as session:
                            save_plan(plan, session=session)

                    took += timed(first, 1)[0]
                    engine.dispose()
            medians.append(statistics.median(took))
        rows.append((f"import on {backend} (save_plan, first import)", medians))
    print(f"\nimport at {' / '.join(f'{m}×' for m in SCALES)} the seed ({' / '.join(f'{n:,}' for n in sizes)} "
          f"kegiatan), median of {repeat}")
    print(f"  {'step':<52}" + "".join(f"{f'{n:,} kegiatan':>27}" for n in sizes) + f"{'exponent':>10}")
    for label, medians in rows:
        cells = "".join(f"{f'{t * 1000:,.1f} ms ({t / n * 1e6:,.0f} µs/k)':>27}" for t, n in zip(medians, sizes,
                                                                                                 strict=True))
        print(f"  {label:<52}{cells}{exponent(sizes, medians):>10.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kegiatan", type=int, default=3000)
    parser.add_argument("--quarter", type=int, default=4, choices=(1, 2, 3, 4))
    parser.add_argument("--repeat", type=int, default=3, help="rounds per step (median; ratios min/median/max)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"some of {','.join(STEPS)}")
    parser.add_argument("--scale", action="store_true", help="each step at 1×, 10×, 100× the seed, and the import")
    args = parser.parse_args()
    steps = [s for s in args.steps.split(",") if s]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps: {', '.join(unknown)}")
    backends = []
    for backend in args.backends.split(","):
        try:
            if args.scale:
                scale_reports(backend, args.quarter, args.repeat, steps,
                              len(plan_parser.parse_plan_text(multiplied_seed(1)).kegiatan))
            else:
                run(backend, args.kegiatan, args.quarter, args.repeat, steps)
            backends.append(backend)
        except sa.exc.OperationalError as exc:
            print(f"\n{backend}: unavailable ({exc.__class__.__name__})")
    if args.scale:
        scale_import(backends, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
