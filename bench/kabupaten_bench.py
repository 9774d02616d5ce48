"""A whole kabupaten on one PostgreSQL: 40 OPD the size of the seed, the H-7 fan-out, 300 PICs reporting, the rekap.

It generates --opd OPD (default 40), each a plan of 1,800 kegiatan (about 6,700 aksi) and 2,000 onboarded PICs
scaled by --size (bench/plan_gen.py, bulk COPY), TW I reported and locked, and prints:

1. The reminder fan-out at H-7 of TW II 2020 for every OPD: the reminder rows of all plans
   (bot.domain.reminders.plan_due_reminders), sent by 1 and then by 2 dispatcher processes (the real
   `rapk run --role dispatcher` build, tests/support/botproc.py, its clock at H-7) to the fake Bot API in its own
   process, answering 429 above --rate messages/s as Telegram does. Per run: messages, achieved rate ÷ cap
   (first to last delivered message), lost (rows not delivered), duplicated (extra copies a PIC got) and 429s.
   Target: achieved/cap ≥ 0.95, 0 lost, 0 duplicated. The full fan-out is about 80,000 messages, 45 minutes at
   30/s per run; --fanout N sends only the first N rows (the others are deleted) for a shorter run.
2. 300 PICs reporting at once through the real /lapor (bench/lapor_bench.py's drive, echo baseline first) on this
   kabupaten-size database: per-step p50/p99 and their ratio to echo's.
3. The rekap of every OPD against a plain SQL aggregate over the same tables (min/median/max over --rounds).

    .venv/bin/python bench/kabupaten_bench.py [--opd 40] [--size 1.0] [--fanout 0] [--rate 30] [--pics 300]
        [--rounds 3] [--only fanout,lapor,rekap] [--dispatchers 1,2]

Quick check: --opd 3 --size 0.05 --fanout 300 --pics 30.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from bench import lapor_bench  # noqa: E402
from bench._common import database  # noqa: E402
from bench.crash_common import FakeServer  # noqa: E402
from bench.crash_common import wait_until  # noqa: E402
from bench.plan_gen import generate_plan  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.db import unit_of_work  # noqa: E402
from bot.domain import kabupaten  # noqa: E402
from bot.domain.calendar import ReportingCalendar  # noqa: E402
from bot.domain.reminders import plan_due_reminders  # noqa: E402
from models import PeriodLock  # noqa: E402
from models import Person  # noqa: E402
from models import Plan  # noqa: E402
from models import Reminder  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:KABUPATEN-BENCH"
H7 = datetime(2020, 6, 23, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # TW II 2020's H-7 reminder
SEED_KEGIATAN, SEED_AKSI, SEED_PICS = 1800, 7000, 2000  # one OPD the size of the seed plan
TELEGRAM_BASE = 10_000_000  # a generated PIC's Telegram id is this + person id (lapor_bench's are 500,000…)
QUARTER = 2
ANALYZED = ("agency", "plan", "goal", "program", "kegiatan", "kegiatanindicator", "aksi", "aksitarget", "person",
            "picassignment", "periodlock", "aksirealisation", "kegiatanrealisation", "indicatorrealisation")


# -- the kabupaten ------------------------------------------------------------------------------------

def generate(url: str, opd: int, size: float) -> tuple[list[int], float]:
    """`opd` plans with their agencies and onboarded PICs; TW I reported and locked. (plan ids, seconds)."""
    started = time.perf_counter()
    engine = make_engine(url)
    plans = []
    for i in range(opd):
        with unit_of_work(engine) as session:  # one transaction per OPD: bounded memory, and progress shows
            plan_id = generate_plan(max(1, round(SEED_KEGIATAN * size)), session=session, seed=i + 1, year=2020,
                                    quarters=1, agency=f"OPD {i + 1:02d} KABUPATEN BENCH",
                                    pics=max(1, round(SEED_PICS * size)))
            agency_id = session.get(Plan, plan_id).agency_id
            session.execute(sa.update(Person).where(Person.telegram_user_id.is_(None))
                            .values(telegram_user_id=TELEGRAM_BASE + Person.id, agency_id=agency_id))
            session.add(PeriodLock(plan_id=plan_id, quarter=1))
            plans.append(plan_id)
        print(f"\r  generated {i + 1}/{opd} OPD in {time.perf_counter() - started:.0f} s", end="", flush=True)
    print()
    with engine.connect() as conn:
        for table in ANALYZED:  # only this schema's tables: a bare ANALYZE reads every schema of the database
            conn.execute(sa.text(f"ANALYZE {table}"))
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("kegiatan", "aksi", "person", "picassignment")}
    engine.dispose()
    seconds = time.perf_counter() - started
    print(f"  kabupaten: {opd} OPD, {counts['kegiatan']:,} kegiatan, {counts['aksi']:,} aksi, {counts['person']:,} "
          f"people ({counts['picassignment']:,} PIC assignments); generated in {seconds:.1f} s")
    return plans, seconds


# -- 1. the fan-out -----------------------------------------------------------------------------------

def queue_h7(url: str, plans: list[int], fanout: int) -> tuple[list[int], int]:
    """The H-7 reminder rows of every plan (only the first `fanout` kept when given): the PICs' Telegram ids, and
    how many rows the whole fan-out has."""
    engine = make_engine(url)
    calendar = ReportingCalendar()
    with unit_of_work(engine) as session:
        session.execute(sa.delete(Reminder))
        total = sum(plan_due_reminders(H7, session=session, calendar=calendar, plan_id=plan_id) for plan_id in plans)
        if fanout:
            keep = sa.select(Reminder.id).order_by(Reminder.id).limit(fanout).scalar_subquery()
            session.execute(sa.delete(Reminder).where(Reminder.id.not_in(keep)))
        users = list(session.execute(sa.select(Person.telegram_user_id).join(Reminder, Reminder.person_id == Person.id)
                                     .order_by(Reminder.id)).scalars())
    engine.dispose()
    return users, total


def reset_outbox(url: str) -> None:
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        session.execute(sa.update(Reminder).values(status="pending", attempts=0, next_attempt_at=None, claimed_by=None,
                                                   claimed_at=None, delivered_at=None, message_id=None,
                                                   last_error=None))
    engine.dispose()


def start_dispatcher(fake: FakeServer, url: str, *, worker: str, dispatchers: int, rate: float, log: Path,
                     epoch: float):
    """`rapk run --role dispatcher` as tests/support/botproc.py builds it (the same build_application and
    run_dispatcher; its clock is H-7 at `epoch`, the same for every dispatcher of a run, and runs)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "RAPK_"))},
           "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": fake.base_url, "DATABASE_URL": url,
           "TELEGRAM_MAX_MESSAGES_PER_SECOND": str(rate), "TELEGRAM_DISPATCHERS": str(dispatchers),
           "RAPK_TEST_ROLE": "dispatcher", "RAPK_TEST_WORKER": worker, "RAPK_TEST_NOW": H7.isoformat(),
           "RAPK_TEST_EPOCH": repr(epoch),
           "RAPK_TEST_TIMEOUT": "10", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "tests.support.botproc"], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)


def fan_out(url: str, users: list[int], dispatchers: int, rate: float, home: Path) -> dict:
    reset_outbox(url)
    engine = make_engine(url)
    rows = len(users)
    with FakeServer(token=TOKEN, users=[(u, f"PIC{u}") for u in users], rate=rate) as fake:
        epoch = time.time()
        processes = [start_dispatcher(fake, url, worker=f"dispatcher-{n}", dispatchers=dispatchers, rate=rate,
                                      log=home / f"fanout-{dispatchers}-{n}.log", epoch=epoch)
                     for n in range(dispatchers)]
        try:
            # Done when every row is final; a dead dispatcher or a stall ends the wait too.
            def done() -> bool:
                with engine.connect() as conn:
                    left = conn.execute(sa.select(sa.func.count()).select_from(Reminder)
                                        .where(Reminder.status.in_(("pending", "sending")))).scalar()
                return not left or any(p.poll() is not None for p in processes)

            wait_until(done, timeout=rows / rate * 3 + 120, poll=0.5)
            cpu = sum(_cpu_seconds(p.pid) for p in processes)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(60)
        calls = fake.calls("sendMessage")
    dead = [p for p in processes if p.returncode not in (0, -15)]
    if not any(c["delivered"] for c in calls):
        tail = (home / f"fanout-{dispatchers}-0.log").read_text(errors="replace").strip().splitlines()[-15:]
        raise SystemExit(f"no message delivered ({len(dead)} dispatcher(s) died); its log ends:\n" + "\n".join(tail))
    with engine.connect() as conn:
        states = Counter(dict(conn.execute(sa.select(Reminder.status, sa.func.count()).group_by(Reminder.status))
                              .all()))
        senders = Counter(dict(conn.execute(sa.select(Reminder.claimed_by, sa.func.count())
                                            .group_by(Reminder.claimed_by)).all()))
        sent_by = {(chat, message): worker for chat, message, worker in conn.execute(
            sa.select(Person.telegram_user_id, Reminder.message_id, Reminder.claimed_by)
            .join(Person, Person.id == Reminder.person_id).where(Reminder.status == "delivered"))}
    engine.dispose()
    ok = [c for c in calls if c["delivered"]]
    per_chat = Counter(int(c["chat_id"]) for c in ok)
    times = sorted(c["time"] for c in ok)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    achieved = (len(ok) - 1) / span if len(times) > 1 else 0.0
    # While every dispatcher was sending (each starts a few seconds after the other, and ends on its own): the
    # messages between the last one's first send and the first one's last, by the fake's clock.
    by_worker: dict[str, list[float]] = {}
    for c in ok:
        by_worker.setdefault(sent_by.get((int(c["chat_id"]), c["message_id"]), "?"), []).append(c["time"])
    start, end = max(min(t) for t in by_worker.values()), min(max(t) for t in by_worker.values())
    inside = sum(start <= t <= end for t in times)
    together = (inside - 1) / (end - start) if end > start else float("nan")
    return {"rows": rows, "delivered": len(ok), "cpu_ms": cpu * 1000 / max(1, len(ok)), "achieved": achieved,
            "together": together, "together_span": end - start, "span": span,
            "lost": rows - len(per_chat.keys() & set(users)),
            "duplicated": sum(n - 1 for n in per_chat.values()), "rate_limited": sum(c["status"] == 429 for c in calls),
            "states": dict(states), "senders": dict(senders)}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report_fan_out(dispatchers: int, r: dict, rate: float) -> None:
    print(f"  {dispatchers} dispatcher(s): {r['delivered']:,} messages of {r['rows']:,} rows in {r['span']:.1f} s; "
          f"achieved {r['achieved']:.2f}/s = {r['achieved'] / rate:.3f} of the cap ({r['together'] / rate:.3f} in the "
          f"{r['together_span']:.0f} s all were sending); lost {r['lost']}, "
          f"duplicated {r['duplicated']}, 429s {r['rate_limited']}; dispatcher CPU {r['cpu_ms']:.1f} ms a message "
          f"(start-up included); rows {r['states']}; "
          f"sent by {sorted(r['senders'].values(), reverse=True)}")


# -- 2. 300 PICs reporting at once -------------------------------------------------------------------------

def lapor_round(url: str, pics: int) -> tuple[tuple, tuple]:
    """Echo, then the real /lapor, on this database: the PICs of lapor_bench.seed, spread over OPD of their own."""
    echo = lapor_bench.report("echo", asyncio.run(lapor_bench.run_echo(pics)))
    real = lapor_bench.report("/lapor", asyncio.run(lapor_bench.run_real(url, pics)))
    return echo, real


# -- 3. the rekap --------------------------------------------------------------------------------------------

def rekap(session, plans: list[int], now: datetime) -> list:
    """The kabupaten's /rekap of every OPD (bot.domain.kabupaten.rekap): its rows of the generated plans."""
    settings = load_settings(_env_file=None)
    result = kabupaten.rekap(session=session, settings=settings, now=now, quarter=QUARTER)
    return [row for row in result.rows if row.plan_id in plans]


def plain_rekap_sql() -> sa.TextClause:
    """The yardstick: per plan, the aksi realised against their targets and the budget spent, summed."""
    return sa.text(
        "SELECT k.plan_id, SUM(ar.value) AS realised, SUM(t.value) AS target, "
        "(SELECT SUM(kr.budget_realised) FROM kegiatanrealisation kr JOIN kegiatan k2 ON k2.id = kr.kegiatan_id "
        " WHERE k2.plan_id = k.plan_id) AS spent, SUM(k.budget) AS budget "
        "FROM kegiatan k JOIN aksi a ON a.kegiatan_id = k.id "
        "LEFT JOIN aksitarget t ON t.aksi_id = a.id AND t.quarter <= :quarter "
        "LEFT JOIN aksirealisation ar ON ar.aksi_id = a.id AND ar.quarter = t.quarter "
        "WHERE k.plan_id = ANY(:plans) GROUP BY k.plan_id")


def time_rekap(url: str, plans: list[int], rounds: int) -> None:
    engine = make_engine(url)
    now = H7
    timings: dict[str, list[float]] = {"rekap": [], "sql": []}
    for _ in range(rounds):
        with unit_of_work(engine) as session:
            started = time.perf_counter()
            scores = rekap(session, plans, now)
            timings["rekap"].append(time.perf_counter() - started)
        with engine.connect() as conn:
            started = time.perf_counter()
            rows = conn.execute(plain_rekap_sql(), {"quarter": QUARTER, "plans": plans}).all()
            timings["sql"].append(time.perf_counter() - started)
    engine.dispose()
    assert len(scores) == len(rows) == len(plans)
    for name, values in timings.items():
        print(f"  {name:>5}: min {min(values):.2f} s, median {statistics.median(values):.2f} s, "
              f"max {max(values):.2f} s ({rounds} rounds, {len(plans)} OPD)")
    ratios = [r / s for r, s in zip(timings["rekap"], timings["sql"], strict=True)]
    print(f"  rekap ÷ SQL aggregate: min {min(ratios):.1f}×, median {statistics.median(ratios):.1f}×, "
          f"max {max(ratios):.1f}×")


def main() -> None:
    warnings.filterwarnings("ignore", message="If 'per_message=False'")  # as `rapk run` does
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opd", type=int, default=40)
    parser.add_argument("--size", type=float, default=1.0, help="each OPD's size against the seed's (1.0: 1,800 "
                                                                 "kegiatan, 2,000 PICs)")
    parser.add_argument("--fanout", type=int, default=0, help="send only the first N reminder rows (0: all)")
    parser.add_argument("--rate", type=float, default=30, help="Telegram's cap, messages/s (the fake's and the bot's)")
    parser.add_argument("--pics", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="fanout,lapor,rekap")
    parser.add_argument("--dispatchers", default="1,2", help="the fan-out's runs: dispatcher processes per run "
                                                            "(the full fan-out takes about 30 min a run)")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    print(f"kabupaten benchmark: {args.opd} OPD × {args.size:g} seed size, cap {args.rate:g} messages/s "
          f"(machine shared: read the ratios)")
    with database("postgresql") as url, tempfile.TemporaryDirectory(prefix="rapk-kabupaten-") as home:
        plans, _ = generate(url, args.opd, args.size)
        if "fanout" in parts:
            users, total = queue_h7(url, plans, args.fanout)
            print(f"fan-out at H-7 (TW II 2020) of {len(plans)} OPD: {total:,} reminder rows, {total / args.rate / 60:.0f}"
                  f" min at the cap" + (f"; only the first {len(users):,} sent" if len(users) < total else ""))
            results = {}
            for dispatchers in (int(n) for n in args.dispatchers.split(",")):
                results[dispatchers] = fan_out(url, users, dispatchers, args.rate, Path(home))
                report_fan_out(dispatchers, results[dispatchers], args.rate)
        if "rekap" in parts:
            print("/rekap of every OPD (bot.domain.kabupaten.rekap) against a plain SQL aggregate:")
            time_rekap(url, plans, args.rounds)
        if "lapor" in parts:
            print(f"{args.pics} PICs reporting at once on the kabupaten database (rate limiter off, as in "
                  f"bench/lapor_bench.py):")
            lapor_bench.seed(url, args.pics, agencies=min(args.opd, args.pics))
            ratios: dict[str, list[float]] = {"p50": [], "p99": []}
            for round_no in range(1, args.rounds + 1):
                print(f" round {round_no}:")
                echo, real = lapor_round(url, args.pics)
                _reset_reports(url)
                ratios["p50"].append(real[1] / echo[1])
                ratios["p99"].append(real[2] / echo[2])
            for name, values in ratios.items():
                print(f"  /lapor ÷ echo, step {name}: min {min(values):.2f}×, median {statistics.median(values):.2f}×, "
                      f"max {max(values):.2f}× ({len(values)} rounds)")


def _reset_reports(url: str) -> None:
    """Remove the TW II reports of the served plan (lapor_bench's, the newest) and every conversation, so the next
    round reports again on the same kabupaten."""
    engine = make_engine(url)
    kegiatan = "SELECT id FROM kegiatan WHERE plan_id = (SELECT max(id) FROM plan)"
    with unit_of_work(engine) as session:
        for statement in (
                f"DELETE FROM aksirealisation WHERE aksi_id IN (SELECT id FROM aksi WHERE kegiatan_id IN ({kegiatan}))",
                f"DELETE FROM indicatorrealisation WHERE indicator_id IN "
                f"(SELECT id FROM kegiatanindicator WHERE kegiatan_id IN ({kegiatan}))",
                f"DELETE FROM kegiatanrealisation WHERE kegiatan_id IN ({kegiatan})",
                f"DELETE FROM reportreview WHERE kegiatan_id IN ({kegiatan})",
                f"DELETE FROM evidence WHERE kegiatan_id IN ({kegiatan})",
                "DELETE FROM botstate"):
            session.execute(sa.text(statement))
    engine.dispose()


if __name__ == "__main__":
    main()
