"""Import the seed plan and a 100x plan (4,500 kegiatan); print kegiatan/s on SQLite and PostgreSQL.

For each database and plan it times, in fresh databases:
  - import:   save_plan of the parsed plan (first import: agency, plan, goals, programs, kegiatan,
              indicators, aksi, quarterly targets, anomalies, audit) in one transaction;
  - re-import: the same file again, a merge that finds nothing to change;
  - baseline: a plain executemany INSERT of the same rows with ids computed up front (no merge,
              no RETURNING, no checks) — the floor for writing this data through SQLAlchemy;
and prints kegiatan/s for each and the ratio import/baseline. Parsing is timed once per plan.
PostgreSQL runs in a private schema that is dropped afterwards.

    .venv/bin/python bench/import_bench.py [--copies 100] [--db sqlite,postgresql] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import database  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.db import unit_of_work  # noqa: E402
from bot.domain.numbers import parse_target  # noqa: E402
from bot.domain.plan_import import SAMPLE_PLAN  # noqa: E402
from bot.domain.plan_import.parser import ParsedPlan  # noqa: E402
from bot.domain.plan_import.parser import parse_plan_text  # noqa: E402
from bot.domain.plan_import.store import save_plan  # noqa: E402
from models import Agency  # noqa: E402
from models import Aksi  # noqa: E402
from models import AksiTarget  # noqa: E402
from models import Goal  # noqa: E402
from models import GoalIndicator  # noqa: E402
from models import ImportAnomaly  # noqa: E402
from models import Kegiatan  # noqa: E402
from models import KegiatanIndicator  # noqa: E402
from models import Plan  # noqa: E402
from models import Program  # noqa: E402
from models import ProgramIndicator  # noqa: E402

SEED = SAMPLE_PLAN


def multiplied_seed(copies: int) -> str:
    """The seed text `copies` times over, each copy's kegiatan renamed (names are unique in a plan)."""
    text = SEED.read_text(encoding="utf-8")
    kegiatan_lines = {k.line for k in parse_plan_text(text).kegiatan}
    lines = text.split("\n")
    out: list[str] = []
    for copy in range(1, copies + 1):
        for number, line in enumerate(lines, start=1):
            if number in kegiatan_lines and copies > 1:
                cells = line.split("\t")
                cells[1] = f"{cells[1]} (salinan {copy})"
                line = "\t".join(cells)
            out.append(line)
    return "\n".join(out)


def baseline_rows(parsed: ParsedPlan) -> list[tuple[sa.Table, list[dict]]]:
    """The rows an import writes, with ids assigned here, table by table in foreign-key order."""
    t = {m: m.__table__ for m in (Agency, Plan, Goal, GoalIndicator, Program, ProgramIndicator, Kegiatan,
                                  KegiatanIndicator, Aksi, AksiTarget, ImportAnomaly)}
    rows: dict = {m: [] for m in t}
    rows[Agency].append({"id": 1, "name": parsed.agency})
    rows[Plan].append({"id": 1, "agency_id": 1, "year": parsed.year, "title": parsed.title, "source_name": ""})

    def target_rows(model, parent: str, parent_id: int, indicators) -> None:
        for seq, r in enumerate(indicators, start=1):
            rows[model].append({"id": len(rows[model]) + 1, parent: parent_id, "seq": seq, "no": r.no,
                                "text": r.text, "target_raw": r.target_raw, "tw1_raw": r.tw[0],
                                "tw2_raw": r.tw[1], "tw3_raw": r.tw[2], "tw4_raw": r.tw[3]})

    goal_ids = {}
    for seq, g in enumerate(parsed.goals, start=1):
        goal_ids[g.name] = seq
        rows[Goal].append({"id": seq, "plan_id": 1, "seq": seq, "no": g.no, "name": g.name})
        target_rows(GoalIndicator, "goal_id", seq, g.indicators)
    program_ids = {}
    for seq, p in enumerate(parsed.programs, start=1):
        program_ids[(p.goal, p.name)] = seq
        rows[Program].append({"id": seq, "plan_id": 1, "goal_id": goal_ids[p.goal], "seq": seq, "no": p.no,
                              "name": p.name})
        target_rows(ProgramIndicator, "program_id", seq, p.indicators)
    for k in parsed.kegiatan:
        rows[Kegiatan].append({"id": k.seq, "plan_id": 1, "program_id": program_ids[(k.goal, k.program)],
                               "seq": k.seq, "no": k.no, "name": k.name, "budget": k.budget,
                               "budget_raw": k.budget_raw, "source_line": k.line})
        for seq, i in enumerate(k.indicators, start=1):
            rows[KegiatanIndicator].append({"id": len(rows[KegiatanIndicator]) + 1, "kegiatan_id": k.seq, "seq": seq,
                                            "text": i.text, "target_raw": i.target_raw, "target_value": i.target.value,
                                            "target_unit": i.target.unit, "indicator_kind": i.kind})
        for a in k.aksi:
            aksi_id = len(rows[Aksi]) + 1
            rows[Aksi].append({"id": aksi_id, "kegiatan_id": k.seq, "no": a.no, "name": a.name,
                               "indicator": a.indicator, "indicator_kind": a.kind, "source_line": a.line})
            for q, raw in enumerate(a.tw, start=1):
                target = parse_target(raw)
                rows[AksiTarget].append({"id": len(rows[AksiTarget]) + 1, "aksi_id": aksi_id, "quarter": q, "raw": raw,
                                         "value": target.value, "unit": target.unit, "kind": target.kind})
    for n, a in enumerate(parsed.anomalies, start=1):
        rows[ImportAnomaly].append({"id": n, "plan_id": 1, "line": a.line, "raw": a.raw[:2000], "why": a.why[:500]})
    return [(t[m], rows[m]) for m in t]


def timed(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure(kind: str, parsed: ParsedPlan, repeat: int) -> dict[str, float]:
    """Median seconds of import, re-import and baseline, each in a fresh database."""
    rows = baseline_rows(parsed)
    out: dict[str, list[float]] = {"import": [], "reimport": [], "baseline": []}
    for _ in range(repeat):
        with database(kind) as url:
            engine = make_engine(url)
            with engine.connect():  # open the pool's connection outside the timing
                pass

            def first() -> None:
                with unit_of_work(engine) as session:
                    save_plan(parsed, session=session)

            out["import"].append(timed(first))
            out["reimport"].append(timed(first))
            engine.dispose()
        with database(kind) as url:
            engine = make_engine(url)
            with engine.connect():
                pass

            def plain() -> None:
                with engine.begin() as conn:
                    for table, table_rows in rows:
                        if table_rows:
                            conn.execute(table.insert(), table_rows)

            out["baseline"].append(timed(plain))
            engine.dispose()
    return {name: statistics.median(values) for name, values in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=100, help="size of the big plan, in copies of the seed")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is printed)")
    args = parser.parse_args(argv)

    plans = []
    for label, copies in (("seed", 1), (f"{args.copies}x", args.copies)):
        text = multiplied_seed(copies)
        start = time.perf_counter()
        parsed = parse_plan_text(text, f"{label}.txt")
        parse_s = time.perf_counter() - start
        plans.append((label, parsed, parse_s))
        print(f"{label}: {len(parsed.kegiatan):,} kegiatan, {parsed.aksi_count:,} aksi, "
              f"{parsed.anomaly_count:,} anomalies ({len(parsed.anomalies):,} stored); parse {parse_s * 1000:.0f} ms "
              f"({len(parsed.kegiatan) / parse_s:,.0f} kegiatan/s)")
    assert plans[0][1].budget_total == 17_326_515_850
    print()
    print(f"{'db':<11}{'plan':<7}{'kegiatan':>9}{'import k/s':>12}{'re-import k/s':>15}{'baseline k/s':>14}"
          f"{'import/baseline':>17}{'parse+import k/s':>18}")
    for kind in args.db.split(","):
        for label, parsed, parse_s in plans:
            n = len(parsed.kegiatan)
            s = measure(kind, parsed, args.repeat)
            print(f"{kind:<11}{label:<7}{n:>9,}{n / s['import']:>12,.0f}{n / s['reimport']:>15,.0f}"
                  f"{n / s['baseline']:>14,.0f}{s['baseline'] / s['import']:>17.2f}"
                  f"{n / (parse_s + s['import']):>18,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
