"""3,000 reminders through the real dispatcher to a fake Telegram capped at a fixed rate.

For each database it seeds 3,000 PICs (one kegiatan each, aksi due in TW II), runs the tick (3,000
Reminder rows), then times one dispatch run of the real application (AIORateLimiter set to the cap)
against the fake Bot API server, which answers 429 above the cap. The fake runs in a child process,
as Telegram would be, so the CPU time per message is the bot's alone (all its threads, the database
work included). It prints the achieved rate against the cap (target ≥ 0.9), the CPU time per
message, and lost and duplicate messages counted at the fake (target: none).

The machine is shared, so each database runs --rounds rounds (bare sends, then the dispatcher, on a
fresh fake each) and the medians are printed with every round's figure.

    .venv/bin/python bench/reminder_bench.py [--reminders 3000] [--rate 300] [--db sqlite,postgresql] [--rounds 3]
"""

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from telegram import InlineKeyboardButton  # noqa: E402
from telegram import InlineKeyboardMarkup  # noqa: E402

from bench._common import database  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.db import unit_of_work  # noqa: E402
from bot.main import build_application  # noqa: E402
from jobs.reminders import dispatch  # noqa: E402
from jobs.reminders import run_tick  # noqa: E402
from jobs.reminders import senders_for  # noqa: E402
from models import Agency  # noqa: E402
from models import Aksi  # noqa: E402
from models import AksiTarget  # noqa: E402
from models import Goal  # noqa: E402
from models import Kegiatan  # noqa: E402
from models import PeriodLock  # noqa: E402
from models import Person  # noqa: E402
from models import PicAssignment  # noqa: E402
from models import Plan  # noqa: E402
from models import Program  # noqa: E402
from models import Reminder  # noqa: E402

FIRST_USER = 800_000
TOKEN = "123456:BENCH-TOKEN"
H7 = datetime(2020, 6, 23, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # TW II 2020's H-7 reminder
AKSI = [("Persiapan pelaksanaan kegiatan", "50%", 50, "%", "percent"),
        ("Pendataan peserta kegiatan", "60 Orang", 60, "Orang", "count"),
        ("Evaluasi atas pelaksanaan kegiatan", "1 dokumen", 1, "dokumen", "count")]


def _ids(session, model, rows: list[dict]) -> list[int]:
    stmt = sa.insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.execute(stmt, rows).scalars())


def seed(url: str, n: int, *, year: int = 2020, quarter: int = 2, locked: tuple[int, ...] = (1,)) -> None:
    """n onboarded PICs, one kegiatan each with three aksi due in `quarter` (TW II 2020); `locked` quarters
    locked (TW I)."""
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        [agency] = _ids(s, Agency, [{"name": "BKD BENCH"}])
        [plan] = _ids(s, Plan, [{"agency_id": agency, "year": year, "title": f"RAPK {year}"}])
        [goal] = _ids(s, Goal, [{"plan_id": plan, "seq": 1, "name": "Sasaran"}])
        [program] = _ids(s, Program, [{"plan_id": plan, "goal_id": goal, "seq": 1, "name": "Program"}])
        people = _ids(s, Person, [{"name": f"PIC {i:04d}", "agency_id": agency, "telegram_user_id": FIRST_USER + i,
                                   "is_admin": False} for i in range(n)])
        kegiatan = _ids(s, Kegiatan, [{"plan_id": plan, "program_id": program, "seq": i + 1, "no": str(i + 1),
                                       "name": f"Pendidikan dan Pelatihan Teknis {i + 1}", "budget": 250_000_000,
                                       "budget_raw": ""} for i in range(n)])
        aksi = _ids(s, Aksi, [{"kegiatan_id": k, "no": no, "name": name, "indicator": "Indikator",
                               "indicator_kind": "positive", "source_line": 0}
                              for k in kegiatan for no, (name, *_rest) in enumerate(AKSI, 1)])
        s.execute(sa.insert(AksiTarget), [
            {"aksi_id": a, "quarter": q, "raw": raw if q == quarter else "", "value": value if q == quarter else None,
             "unit": unit if q == quarter else "", "kind": kind if q == quarter else "none"}
            for a, (_, raw, value, unit, kind) in zip(aksi, AKSI * n, strict=True) for q in range(1, 5)])
        s.execute(sa.insert(PicAssignment), [{"person_id": p, "kegiatan_id": k} for p, k in zip(people, kegiatan,
                                                                                                  strict=True)])
        s.add_all([PeriodLock(plan_id=plan, quarter=q) for q in locked])
    engine.dispose()


# -- the fake Telegram, in its own process ------------------------------------------------------------

def serve_fake(conn, users: int, per_second: float) -> None:
    asyncio.run(_serve_fake(conn, users, per_second))


async def _serve_fake(conn, users: int, per_second: float) -> None:
    from fake_telegram.server import FakeTelegram

    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    for i in range(users):
        fake.add_user(FIRST_USER + i, f"PIC{i}")
    fake.set_rate_limit(per_second=per_second)
    conn.send(fake.base_url)
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # until the bot is done
    ok = [c.time for c in fake.calls("sendMessage") if c.ok]
    conn.send({"delivered": dict(fake.stats.delivered), "rate_limited": fake.stats.rate_limited,
               "cpu": time.process_time(), "requests": len(fake.sent),
               "violations": [str(v) for v in fake.violations[:3]], "span": max(ok) - min(ok) if ok else 0.0})
    await fake.stop()


def _settings(url: str, rate: float, base_url: str):
    return load_settings(telegram_bot_token=TOKEN, telegram_base_url=base_url, database_url=url,
                         telegram_max_messages_per_second=rate, _env_file=None)


async def run_dispatcher(url: str, n: int, rate: float, base_url: str) -> dict:
    """The tick, then one dispatch run of the real application."""
    app = build_application(_settings(url, rate, base_url), clock=ManualClock(H7), run_jobs=False, read_timeout=10,
                            worker_id="bench")
    await app.initialize()
    await app.start()
    try:
        started = time.perf_counter()
        tick = await run_tick(app)
        tick_seconds = time.perf_counter() - started
        cpu, started = time.process_time(), time.perf_counter()
        result = await dispatch(app)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await app.stop()
        await app.shutdown()
    return {"rows": tick.reminders, "tick": tick_seconds, "wall": wall, "cpu": cpu, "sent": result.delivered,
            "outcomes": dict(result.counts)}


async def run_bare(url: str, n: int, rate: float, base_url: str) -> dict:
    """The baseline: the same application's bot sending one fixed reminder-sized message per PIC, with as
    many concurrent senders as the dispatcher uses, and nothing else (no database, no rendering)."""
    app = build_application(_settings(url, rate, base_url), clock=ManualClock(H7), run_jobs=False, read_timeout=10)
    await app.initialize()
    chats = asyncio.Queue()
    for i in range(n):
        chats.put_nowait(FIRST_USER + i)
    text = ("⏰ <b>Pengingat laporan TW II 2020</b>\nHalo, PIC. TW II berakhir 7 hari lagi (30 Juni 2020). "
            "Batas akhir laporan: <b>7 Juli 2020</b>.\n\nYang masih harus Anda laporkan:\n\n📌 <b>Pendidikan dan "
            "Pelatihan Teknis</b>\n• Aksi 1. Persiapan pelaksanaan kegiatan: target TW II <b>50%</b>\n• Aksi 2. "
            "Pendataan peserta kegiatan: target TW II <b>60 Orang</b>\n• Realisasi anggaran TW II\n\n"
            "Ketuk «Lapor sekarang» di bawah untuk melapor.")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("📝 Lapor sekarang", callback_data="lapor:1")]])
    sent = 0

    async def sender() -> None:
        nonlocal sent
        while not chats.empty():
            await app.bot.send_message(chats.get_nowait(), text, reply_markup=markup)
            sent += 1

    try:
        cpu, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(senders_for(rate))))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await app.shutdown()
    return {"wall": wall, "cpu": cpu, "sent": sent}


def against_fake(runner, url: str, n: int, rate: float) -> tuple[dict, dict]:
    """Run `runner` against a fresh fake Telegram in a child process; returns its figures and the fake's."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=serve_fake, args=(child, n, rate), daemon=True)
    server.start()
    try:
        figures = asyncio.run(runner(url, n, rate, parent.recv()))
        parent.send("report")
        return figures, parent.recv()
    finally:
        server.join(timeout=30)
        if server.is_alive():
            server.terminate()


def reset_outbox(url: str) -> None:
    """Remove the reminder rows of the previous round, so the next tick creates all of them again."""
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        s.execute(sa.delete(Reminder))
    engine.dispose()


def bench(kind: str, n: int, rate: float, rounds: int) -> None:
    """`rounds` rounds of bare sends and a dispatch run, interleaved so both see the same machine."""
    bare_runs, bot_runs, lost, duplicates, rate_limited, violations = [], [], 0, 0, 0, []
    with database(kind) as url:
        seed(url, n)
        for _ in range(rounds):
            bare, _ = against_fake(run_bare, url, n, rate)
            reset_outbox(url)
            bot, fake = against_fake(run_dispatcher, url, n, rate)
            counts = [fake["delivered"].get(FIRST_USER + i, 0) for i in range(n)]
            lost += sum(c == 0 for c in counts)
            duplicates += sum(c - 1 for c in counts if c > 1)
            rate_limited += fake["rate_limited"]
            violations += fake["violations"]
            bare_runs.append(bare)
            bot_runs.append({**bot, "fake_cpu": fake["cpu"] / max(1, fake["requests"])})

    def rates(runs):
        return sorted(r["sent"] / r["wall"] / rate for r in runs)

    def cpu(runs):
        return statistics.median(r["cpu"] / max(1, r["sent"]) * 1000 for r in runs)

    achieved, bare_rates = rates(bot_runs), rates(bare_runs)
    ratios = sorted((b["sent"] / b["wall"]) / (a["sent"] / a["wall"]) for a, b in zip(bare_runs, bot_runs, strict=True))
    def spread(values):
        return f"median {statistics.median(values):.2f} (rounds {', '.join(f'{v:.2f}' for v in values)})"

    print(f"{kind}: {rounds} round(s) of {n} messages")
    print(f"  tick          {bot_runs[0]['rows']} Reminder rows created in "
          f"{statistics.median(r['tick'] for r in bot_runs):.2f} s (median)")
    print(f"  dispatcher    achieved/cap {spread(achieved)}; CPU {cpu(bot_runs):.2f} ms/message; "
          f"lost {lost}, duplicates {duplicates}; 429 answers {rate_limited}")
    print(f"  bare sends    achieved/cap {spread(bare_rates)}; CPU {cpu(bare_runs):.2f} ms/message "
          f"(PTB send_message, the HTTP client and the rate limiter alone)")
    print(f"  dispatcher / bare sends in the same round: {spread(ratios)}; the fake used "
          f"{statistics.median(r['fake_cpu'] for r in bot_runs) * 1000:.2f} ms CPU per request")
    if violations:
        print("  Bot API violations:", *violations[:3], sep="\n    ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per database; medians are printed")
    args = parser.parse_args()
    print(f"reminder dispatch benchmark: {args.reminders} reminders, fake Telegram capped at {args.rate:g}/s")
    for kind in args.db.split(","):
        bench(kind, args.reminders, args.rate, args.rounds)


if __name__ == "__main__":
    main()
