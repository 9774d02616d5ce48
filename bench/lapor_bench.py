"""300 PICs report at once through the real bot and the fake Bot API server.

For each database it prints updates/s and p50/p99 latency per conversation step for the real
/lapor conversation, next to the same figures for a bare echo handler driven the same way in
the same run: the ratio is the figure, printed with its min, median and max over `--rounds` rounds.
The rate limiter is off on both sides, so what is measured is the bot's own work (Telegram would cap a
real bot at ~30 messages/s anyway). Echo uses the bot's own HTTP client and update processor, and each
driver waits on changes in its own chat, so neither side's figure includes what the other does not.
The same rounds again with the fake and the drivers in a child process, as Telegram and the phones are not in
the bot's interpreter: the ratios, and the bot process's CPU per update (all its threads) on each side.

Then the morning burst as production runs it: the production rate limiter on, a leadership group
configured, and every PIC sending /lapor at once; it prints the time from each PIC's first update
to the bot's answer to it (p50/p99, how many were answered within a minute, and the bot's CPU time per
answer). The fake runs in a child process here, as Telegram does not share the bot's interpreter. Anything the bot
asks of the group on a PIC's path queues at the limiter's 20 calls a minute to groups. Its baseline,
in the same run, is the single queue the bot had before: PTB's AIORateLimiter at 30 messages/s for
every send. Both run twice: alone, and while that morning's reminders go out (the 08:00 tick and the
dispatcher, as the PICs tap «Lapor sekarang» on the first ones to arrive). One more PIC warms the bot
up first, as a bot running since the day before is.

Memory: the RSS that importing the bot's code costs (measured in a fresh interpreter, with what the report
libraries, imported on first use, would add), and the peak RSS of the process during the 300 PICs (the fake
and the drivers run in it too: echo's peak in the same run is the baseline).

Then one PIC at a time (`--parts`, 20 PICs one after the other): p50 per step next to echo's, and the
milliseconds of each part of a /lapor step (the update on its way in, the handler, its domain SQL, template
rendering, persistence, the Bot API calls it makes) as a table.

    .venv/bin/python bench/lapor_bench.py [--pics 300] [--db sqlite,postgresql] [--only steps|first|parts] [--sql]
"""

import argparse
import asyncio
import functools
import json
import multiprocessing
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fake_telegram.server import FakeTelegram  # noqa: E402
from telegram.ext import AIORateLimiter
from telegram.ext import ApplicationBuilder  # noqa: E402
from telegram.ext import CallbackQueryHandler  # noqa: E402
from telegram.ext import MessageHandler  # noqa: E402
from telegram.ext import filters  # noqa: E402

from bench._common import database  # noqa: E402
from bench._common import peak_rss_mb  # noqa: E402
from bench._common import percentile  # noqa: E402
from bench._common import reset_peak_rss  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.db import unit_of_work  # noqa: E402
from bot.main import build_application  # noqa: E402
from bot.telegram.app import PerChatUpdateProcessor  # noqa: E402
from bot.telegram.http import AiohttpRequest  # noqa: E402
from jobs.reminders import dispatch
from jobs.reminders import run_tick
from models import Agency  # noqa: E402,E501
from models import Aksi  # noqa: E402,E501
from models import AksiTarget  # noqa: E402,E501
from models import Goal  # noqa: E402,E501
from models import Kegiatan  # noqa: E402,E501
from models import KegiatanIndicator  # noqa: E402,E501
from models import Person  # noqa: E402,E501
from models import PicAssignment  # noqa: E402,E501
from models import Plan  # noqa: E402,E501
from models import Program  # noqa: E402,E501

FIRST_USER = 500000
LEADERSHIP_CHAT = -100500
LEADER = 400000
# (what the PIC does, a text the bot's answer contains) — a full report of one kegiatan.
STEPS = [
    ("cmd", "/lapor", "Pilih kegiatan"),
    ("press", "📝 Kegiatan {n}", "Aksi 1/2"),
    ("text", "50%", "Aksi 2/2"),
    ("press", "🎯 Sesuai target", "Realisasi anggaran"),
    ("text", "125jt", "Indikator kegiatan"),
    ("text", "30", "Kendala"),
    ("press", "Tidak ada catatan", "Bukti dukung"),
    ("press", "Selesai", "Ringkasan laporan"),
    ("press", "💾 Simpan", "Tersimpan"),
]


def seed(url: str, pics: int, *, agencies: int = 1) -> None:
    """One kegiatan per PIC, two aksi due in TW II, one indicator; with `agencies` > 1 the PICs are spread over
    that many OPD (each its own plan), so each acts in their own agency."""
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        programs = []
        for i in range(agencies):
            agency = Agency(name="BKD BENCH" if agencies == 1 else f"BENCH OPD {i + 1:02d}")
            s.add(agency)
            s.flush()
            plan = Plan(agency_id=agency.id, year=2020)
            s.add(plan)
            s.flush()
            goal = Goal(plan_id=plan.id, seq=1, name="Sasaran")
            s.add(goal)
            s.flush()
            program = Program(plan_id=plan.id, goal_id=goal.id, seq=1, name="Program")
            s.add(program)
            s.flush()
            programs.append((agency, plan, program))
        for n in range(pics):
            agency, plan, program = programs[n % agencies]
            k = Kegiatan(plan_id=plan.id, program_id=program.id, seq=n + 1, no=str(n + 1), name=f"Kegiatan {n}",
                         budget=1_000_000_000)
            p = Person(name=f"PIC {n}", agency_id=agency.id, telegram_user_id=FIRST_USER + n)
            s.add_all([k, p])
            s.flush()
            s.add(PicAssignment(person_id=p.id, kegiatan_id=k.id))
            s.add(KegiatanIndicator(kegiatan_id=k.id, seq=1, text="Jumlah peserta", target_raw="30 Orang",
                                    target_value=Decimal(30), target_unit="Orang"))
            for no, (raw, value, unit, kind) in enumerate([("50%", 50, "%", "percent"), ("60", 60, "", "count")], 1):
                a = Aksi(kegiatan_id=k.id, no=no, name=f"Aksi {no}", indicator="Indikator")
                s.add(a)
                s.flush()
                for q in range(1, 5):
                    due = q == 2
                    s.add(AksiTarget(aksi_id=a.id, quarter=q, raw=raw if due else "", value=Decimal(value) if due else None,
                                     unit=unit if due else "", kind=kind if due else "none"))
    engine.dispose()


async def take_step(fake: FakeTelegram, n: int, kind: str, what: str, marker: str, *, before_send=None) -> float:
    """PIC `n` does one step; seconds until the bot's answer containing `marker` is in the chat."""
    user = FIRST_USER + n
    loop = asyncio.get_running_loop()
    before = len(fake.messages_to(user))
    if before_send is not None:
        before_send()
    started = loop.time()
    if kind == "cmd":
        fake.send_command(user, what)
    elif kind == "text":
        fake.send_message(user, what)
    else:
        fake.press(user, what.format(n=n))
    # Woken by changes in this PIC's chat only: the driver's cost does not grow with the other PICs.
    await fake.wait_for(lambda: any(marker in (m.get("text") or "")
                                    for m in fake.messages_to(user)[before:]), timeout=120, chat_id=user)
    return loop.time() - started


async def drive(fake: FakeTelegram, pics: int, steps) -> tuple[float, dict[int, list[float]], int]:
    """Every PIC walks through `steps` concurrently; returns wall time, latencies per step, updates."""
    latencies: dict[int, list[float]] = defaultdict(list)

    async def one(n: int) -> None:
        for index, (kind, what, marker) in enumerate(steps):
            latencies[index].append(await take_step(fake, n, kind, what, marker))

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(pics)))
    return time.perf_counter() - started, latencies, pics * len(steps)


async def drive_one_by_one(fake: FakeTelegram, pics: int, steps, parts: "Parts | None" = None, *, first: int = 0):
    """The PICs walk through `steps` one after the other (one update in the bot at a time); latencies per step.
    With `parts`, each step's parts are read once the bot has finished the update (persistence included)."""
    latencies: dict[int, list[float]] = defaultdict(list)
    started = time.perf_counter()
    for n in range(first, first + pics):
        for index, (kind, what, marker) in enumerate(steps):
            latency = await take_step(fake, n, kind, what, marker, before_send=parts.begin if parts else None)
            latencies[index].append(latency)
            if parts is not None:
                await parts.end(index, latency)
    return time.perf_counter() - started, latencies, pics * len(steps)


_SCALE = {"statements": 1, "calls": 1}  # counts; every other part is seconds, printed as ms


class Parts:
    """Where a /lapor step's milliseconds go, one update at a time: the bot's own functions wrapped in place
    (the same objects the bot runs, so nothing else changes). Wall time on the event loop's side: a part run in
    a worker thread counts the time the handler waited for it. Parts that run at the same time each count in
    full (a press's answer and the closing of its question go out while its checkpoint is written), so on
    those steps «other code» (the handler less the parts) comes out below zero."""

    NAMES = ("in", "handler", "sql", "render", "persistence", "api", "statements", "calls")

    def __init__(self):
        self.rows: dict[int, list[dict[str, float]]] = defaultdict(list)
        self._current: dict[str, float] = {}
        self._texts: list[str] = []
        self.last_texts: dict[int, list[str]] = {}  # step → the statements the last PIC's step sent
        self._sent = 0.0
        self._done: asyncio.Event | None = None
        self._undo: list = []

    def install(self) -> None:
        from jinja2 import Template

        from bot.telegram.app import RapkApplication
        from bot.telegram.persistence import DatabasePersistence
        from bot.telegram.services import Services

        self._wrap(Services, "db", "sql")
        self._wrap(Template, "render", "render")
        for name in ("checkpoint", "finish_update"):
            self._wrap(DatabasePersistence, name, "persistence")
        self._wrap(AiohttpRequest, "do_request", "api", skip=lambda args, kwargs: str(kwargs.get("url", args[1] if len(args) > 1 else "")).endswith("getUpdates"),
                   count="calls")
        original = RapkApplication.process_update
        parts = self

        @functools.wraps(original)
        async def process_update(app, update):
            begun = time.perf_counter()
            parts._current["in"] = begun - parts._sent
            try:
                return await original(app, update)
            finally:
                parts._current["handler"] = time.perf_counter() - begun
                if parts._done is not None:
                    parts._done.set()

        RapkApplication.process_update = process_update
        self._undo.append((RapkApplication, "process_update", original))
        sa.event.listen(sa.Engine, "before_cursor_execute", self._statement)

    def _statement(self, conn, cursor, statement, *args) -> None:
        """Every SQL statement the step sends, the domain's and persistence's alike (`--sql`: their text too)."""
        self._current["statements"] = self._current.get("statements", 0) + 1
        self._texts.append(statement)  # as sent: read only with --sql

    def uninstall(self) -> None:
        sa.event.remove(sa.Engine, "before_cursor_execute", self._statement)
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()

    def _wrap(self, owner, name: str, part: str, skip=lambda args, kwargs: False, count: str | None = None) -> None:
        original = getattr(owner, name)
        parts = self

        def add(started: float) -> None:
            parts._current[part] = parts._current.get(part, 0.0) + time.perf_counter() - started
            if count:
                parts._current[count] = parts._current.get(count, 0) + 1

        if asyncio.iscoroutinefunction(original):
            @functools.wraps(original)
            async def wrapped(*args, **kwargs):
                if skip(args, kwargs):
                    return await original(*args, **kwargs)
                started = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    add(started)
        else:
            @functools.wraps(original)
            def wrapped(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    add(started)
        setattr(owner, name, wrapped)
        self._undo.append((owner, name, original))

    def begin(self) -> None:
        self._current = {}
        self._texts = []
        self._done = asyncio.Event()
        self._sent = time.perf_counter()

    async def end(self, step: int, latency: float) -> None:
        await asyncio.wait_for(self._done.wait(), 30)
        row = {name: self._current.get(name, 0.0) for name in self.NAMES}
        row["latency"] = latency
        row["other"] = row["handler"] - row["sql"] - row["render"] - row["persistence"] - row["api"]
        self.rows[step].append(row)
        self.last_texts[step] = self._texts

    def table(self) -> list[str]:
        columns = ("latency", "in", "handler", "sql", "render", "persistence", "api", "other", "statements", "calls")
        heads = ("seen by PIC", "HTTP in", "handler", "domain SQL", "render", "persistence", "Bot API out",
                 "other code", "statements", "API calls")
        lines = ["  step (p50 ms)           " + " ".join(f"{h:>11}" for h in heads)]
        every: dict[str, list[float]] = defaultdict(list)
        for step, rows in sorted(self.rows.items()):
            label = f"{STEPS[step][0]} {STEPS[step][1].format(n='n')}"[:24]
            cells = []
            for column in columns:
                values = [r[column] for r in rows]
                every[column].extend(values)
                cells.append(percentile(values, 50) * _SCALE.get(column, 1000))
            lines.append(f"  {label:<24} " + " ".join(f"{c:>11.2f}" for c in cells))
        lines.append(f"  {'every step':<24} " + " ".join(
            f"{percentile(every[c], 50) * _SCALE.get(c, 1000):>11.2f}" for c in columns))
        return lines


async def run_real(url: str, pics: int, *, one_by_one: bool = False, parts: Parts | None = None):
    fake = FakeTelegram(token="123456:BENCH-TOKEN")
    await fake.start()
    for n in range(pics + one_by_one):  # one more to warm up with
        fake.add_user(FIRST_USER + n, f"PIC{n}")
    settings = load_settings(telegram_bot_token=fake.token, telegram_base_url=fake.base_url, database_url=url,
                             _env_file=None)
    clock = ManualClock(datetime(2020, 6, 23, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta")))
    app = build_application(settings, clock=clock, rate_limiter=False, run_jobs=False, read_timeout=30)
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        if one_by_one:
            await drive_one_by_one(fake, 1, STEPS, first=pics)  # warm up (the last PIC): compiled statements
            if parts is not None:
                parts.install()
            try:
                return await drive_one_by_one(fake, pics, STEPS, parts)
            finally:
                if parts is not None:
                    parts.uninstall()
        reset_peak_rss()
        result = await drive(fake, pics, STEPS)
        print(f"  /lapor     peak RSS of the process (bot, fake and drivers) {peak_rss_mb():7,.0f} MB")
        return result
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await fake.stop()
        fake.assert_no_violations()


def echo_application(pics: int, token: str, base_url: str, base_file_url: str, *, extra: int = 0):
    """The baseline: a bare handler that answers every message and press with one line and a button
    (`extra`: PICs beyond `pics` it may be driven by, to warm up with)."""
    from telegram import InlineKeyboardButton
    from telegram import InlineKeyboardMarkup

    labels = sorted({s[1] for s in STEPS if s[0] == "press"} | {f"📝 Kegiatan {n}" for n in range(pics + extra)})
    markers = {s[2] for s in STEPS}

    async def echo(update, context):
        if update.callback_query:
            await update.callback_query.answer()
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"e{i}")]
                                         for i, label in enumerate(labels) if not label.startswith("📝")
                                         or label == f"📝 Kegiatan {update.effective_user.id - FIRST_USER}"])
        await context.bot.send_message(update.effective_chat.id, " ".join(sorted(markers)), reply_markup=keyboard)

    # The bot's own HTTP client and update processor, so the ratio measures the bot's work, not PTB's default client.
    app = (ApplicationBuilder().token(token).base_url(base_url).base_file_url(base_file_url)
           .request(AiohttpRequest()).get_updates_request(AiohttpRequest(connection_pool_size=1))
           .concurrent_updates(PerChatUpdateProcessor()).build())
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.add_handler(CallbackQueryHandler(echo))
    return app


async def run_echo(pics: int, *, one_by_one: bool = False):
    """Echo driven as /lapor is (`run_real`), the fake and the drivers in this process."""
    fake = FakeTelegram(token="123456:BENCH-TOKEN")
    await fake.start()
    for n in range(pics + one_by_one):  # one more to warm up with
        fake.add_user(FIRST_USER + n, f"PIC{n}")
    app = echo_application(pics, fake.token, fake.base_url, fake.base_file_url, extra=one_by_one)
    async with fake.run_application(app, poll_timeout=1):
        if one_by_one:
            await drive_one_by_one(fake, 1, STEPS, first=pics)
            result = await drive_one_by_one(fake, pics, STEPS)
        else:
            reset_peak_rss()
            result = await drive(fake, pics, STEPS)
            print(f"  echo       peak RSS of the process (bot, fake and drivers) {peak_rss_mb():7,.0f} MB")
    await fake.stop()
    return result


def serve_steps(conn, pics: int) -> None:
    """The fake Telegram and the 300 PICs' drivers in a process of their own, as Telegram and the phones are:
    the bot's interpreter does the bot's work only. Commands: "drive" (every PIC through STEPS), "stop"."""
    asyncio.run(_serve_steps(conn, pics))


async def _serve_steps(conn, pics: int) -> None:
    fake = FakeTelegram(token="123456:BENCH-TOKEN")
    await fake.start()
    for n in range(pics):
        fake.add_user(FIRST_USER + n, f"PIC{n}")
    conn.send((fake.token, fake.base_url, fake.base_file_url))
    loop = asyncio.get_running_loop()
    while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
        conn.send(await drive(fake, pics, STEPS))
    conn.send([str(v) for v in fake.violations[:3]])
    await fake.stop()


async def run_apart(pics: int, make_app) -> tuple[object, float]:
    """Drive the bot `make_app(token, base_url, base_file_url)` builds with the fake and drivers in a child
    process (`serve_steps`); (drive's result, the bot process's CPU seconds per update)."""
    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    server = context.Process(target=serve_steps, args=(child, pics), daemon=True)
    server.start()
    pipe = ThreadPoolExecutor(1)
    loop = asyncio.get_running_loop()

    async def ask(command):
        await loop.run_in_executor(pipe, conn.send, command)
        return await loop.run_in_executor(pipe, conn.recv)

    app = make_app(*await loop.run_in_executor(pipe, conn.recv))
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        cpu = time.process_time()
        result = await ask("drive")
        cpu = time.process_time() - cpu
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        violations = await ask("stop")
        pipe.shutdown()
        server.join(timeout=30)
        if server.is_alive():
            server.terminate()
    assert not violations, violations
    return result, cpu / result[2]


def real_application(url: str):
    """`make_app` of the real bot for `run_apart`."""
    def make(token: str, base_url: str, _base_file_url: str):
        settings = load_settings(telegram_bot_token=token, telegram_base_url=base_url, database_url=url,
                                 _env_file=None)
        clock = ManualClock(datetime(2020, 6, 23, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta")))
        return build_application(settings, clock=clock, rate_limiter=False, run_jobs=False, read_timeout=30)
    return make


def serve_burst(conn, pics: int) -> None:
    """The fake Telegram of the morning burst, in its own process as Telegram is: its work and the PICs'
    waiting do not take the bot's interpreter. Commands from the bench: ("warm", user), ("burst", n)."""
    asyncio.run(_serve_burst(conn, pics))


async def _serve_burst(conn, pics: int) -> None:
    fake = FakeTelegram(token="123456:BENCH-TOKEN")
    await fake.start()
    for n in range(pics + 1):  # the last one warms the bot up
        fake.add_user(FIRST_USER + n, f"PIC{n}")
    fake.add_user(LEADER, "Kepala")
    fake.add_group(LEADERSHIP_CHAT, "Pimpinan", [LEADER])
    conn.send(fake.base_url)
    loop = asyncio.get_running_loop()

    def answered(user: int) -> bool:
        return any(STEPS[0][2] in (m.get("text") or "") for m in fake.messages_to(user))

    async def one(user: int, waits: list[float]) -> None:
        started = loop.time()
        fake.send_command(user, "/lapor")
        await fake.wait_for(lambda: answered(user), timeout=1800)
        waits.append(loop.time() - started)

    while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
        what, n = command
        waits: list[float] = []
        await asyncio.gather(*(one(FIRST_USER + i, waits) for i in ([pics] if what == "warm" else range(n))))
        conn.send(waits)
    conn.send({"violations": [str(v) for v in fake.violations[:3]], "getChatMember": len(fake.calls("getChatMember"))})
    await fake.stop()


async def run_first_answer(url: str, pics: int, *, one_queue: bool, reminders: bool) -> tuple[list[float], float]:
    """Every PIC sends /lapor at once, rate limiter on; seconds to each one's answer (the kegiatan list),
    and the bot process's CPU seconds meanwhile (all its threads).

    `one_queue`: the limiter the bot had before (every send in one 30/s queue) instead of production's.
    `reminders`: the reminders due at 08:00 are being dispatched meanwhile."""
    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    server = context.Process(target=serve_burst, args=(child, pics), daemon=True)
    server.start()
    pipe = ThreadPoolExecutor(1)  # the bot's own executor runs its database work
    loop = asyncio.get_running_loop()

    async def ask(command):
        await loop.run_in_executor(pipe, conn.send, command)
        return await loop.run_in_executor(pipe, conn.recv)

    settings = load_settings(telegram_bot_token="123456:BENCH-TOKEN", telegram_base_url=conn.recv(),
                             database_url=url, leadership_chat_id=LEADERSHIP_CHAT, _env_file=None)
    clock = ManualClock(datetime(2020, 6, 23, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta")))  # TW II's H-7 reminder
    limiter = AIORateLimiter(max_retries=3, overall_max_rate=settings.telegram_max_messages_per_second) \
        if one_queue else True
    app = build_application(settings, clock=clock, run_jobs=False, read_timeout=30, rate_limiter=limiter)
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        # A bot running since yesterday: pool connections open, statements compiled (a cold start adds
        # about a second before the first answer, paid by everyone in the burst).
        await ask(("warm", 1))
        sending = due = None
        if reminders:
            due = (await run_tick(app)).reminders  # H-7 of TW II, and TW I's budget still owed
            sending = asyncio.create_task(dispatch(app))
        cpu = time.process_time()
        reset_peak_rss()
        waits = await ask(("burst", pics))
        cpu = time.process_time() - cpu
        print(f"  the bot's peak RSS during the burst: {peak_rss_mb():,.0f} MB")
        if sending is not None:
            assert (await sending).delivered == due
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        report = await ask("stop")  # the fake stops once the bot no longer polls it
        pipe.shutdown()
        server.join(timeout=30)
        if server.is_alive():
            server.terminate()
    assert not report["violations"], report["violations"]
    if report["getChatMember"]:
        print(f"  getChatMember calls: {report['getChatMember']}")
    return waits, cpu


def report_first_answer(kind: str, waits: list[float], cpu: float) -> float:
    within = sum(w <= 60 for w in waits)
    print(f"  {kind:<48} p50 {percentile(waits, 50):6.2f} s, p99 {percentile(waits, 99):6.2f} s, "
          f"max {max(waits):6.2f} s; {within} within 60 s; CPU {cpu * 1000 / len(waits):5.1f} ms per answer")
    return percentile(waits, 99)


def spread(values: list[float]) -> str:
    return (f"min {min(values):.2f}×, median {statistics.median(values):.2f}×, max {max(values):.2f}× "
            f"({len(values)} rounds)")


def report(name: str, result) -> tuple[float, float, float]:
    wall, latencies, updates = result
    every = [x for values in latencies.values() for x in values]
    rate = updates / wall
    p50, p99 = percentile(every, 50) * 1000, percentile(every, 99) * 1000
    print(f"  {name:<10} {updates:>6} updates in {wall:6.2f} s = {rate:7.1f} updates/s; "
          f"step latency p50 {p50:7.1f} ms, p99 {p99:7.1f} ms")
    return rate, p50, p99


IMPORT_RSS = """
import json, sys
def rss():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))
start = rss()
import bot.main
bot_code = rss()
eager = {"matplotlib", "openpyxl", "xlsxwriter", "reportlab", "PIL"} & {m.split(".")[0] for m in sys.modules}
import bot.domain.charts, bot.domain.kabupaten_chart, bot.domain.workbook, bot.domain.kabupaten_workbook
import bot.domain.form_pdf
print(json.dumps({"bot": bot_code - start, "reports": rss() - bot_code, "eager": sorted(eager)}))
"""


def import_rss() -> None:
    """What importing the bot's code costs, in a fresh interpreter (this one has the fake and the bench)."""
    root = Path(__file__).resolve().parent.parent
    out = json.loads(subprocess.run([sys.executable, "-c", IMPORT_RSS], cwd=root, capture_output=True, text=True,
                                    check=True).stdout)
    print(f"  RSS of importing the bot's code (bot.main and what it loads): {out['bot']:,.0f} MB; the report "
          f"libraries (matplotlib, openpyxl, xlsxwriter, reportlab), imported on first use, add {out['reports']:,.0f} MB"
          + (f" (imported at start: {', '.join(out['eager'])})" if out["eager"] else " (none imported at start)"))


def run_parts(kind: str, pics: int, sql: bool = False) -> None:
    """One PIC at a time: p50 per step against echo's, and the parts of a /lapor step."""
    with database(kind) as url:
        seed(url, pics + 1)
        echo = report("echo", asyncio.run(run_echo(pics, one_by_one=True)))
        parts = Parts()
        real = report("/lapor", asyncio.run(run_real(url, pics, one_by_one=True, parts=parts)))
    print(f"{kind}: one PIC at a time, /lapor ÷ echo, p50 latency: {real[1] / echo[1]:.2f}×, "
          f"p99 latency: {real[2] / echo[2]:.2f}×")
    print(f"{kind}: the parts of a /lapor step, one PIC at a time ({pics} PICs one after the other):")
    for line in parts.table():
        print(line)
    if sql:
        for step, texts in sorted(parts.last_texts.items()):
            print(f"  {STEPS[step][0]} {STEPS[step][1].format(n='n')}: {len(texts)} statements")
            for text in texts:
                print(f"      {' '.join(text.split())[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pics", type=int, default=300)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--only", choices=["steps", "first", "parts"], help="run only one of the benchmarks")
    parser.add_argument("--parts-pics", type=int, default=20, help="PICs one after the other in the parts table")
    parser.add_argument("--sql", action="store_true", help="with the parts table: the statements of each step")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the steps benchmark (each ratio: min, median, max)")
    args = parser.parse_args()
    print(f"/lapor benchmark: {args.pics} PICs, {len(STEPS)} steps each, all at once")
    import_rss()
    for kind in args.db.split(","):
        if args.only in (None, "parts"):
            run_parts(kind, args.parts_pics, args.sql)
        if args.only in (None, "steps"):
            ratios: dict[str, list[float]] = defaultdict(list)
            for round_no in range(1, args.rounds + 1):
                print(f"{kind}, round {round_no}:")
                with database(kind) as url:
                    seed(url, args.pics)
                    echo = report("echo", asyncio.run(run_echo(args.pics)))
                    real = report("/lapor", asyncio.run(run_real(url, args.pics)))
                for name, index in (("updates/s", 0), ("p50 latency", 1), ("p99 latency", 2)):
                    ratios[name].append(real[index] / echo[index])
            for name, values in ratios.items():
                print(f"{kind}: /lapor ÷ echo, {name}: " + spread(values))
            apart: dict[str, list[float]] = defaultdict(list)
            for round_no in range(1, args.rounds + 1):
                print(f"{kind}, round {round_no}, the fake and the drivers in a child process:")
                with database(kind) as url:
                    seed(url, args.pics)
                    echo_app = functools.partial(echo_application, args.pics)
                    echo_run, echo_cpu = asyncio.run(run_apart(args.pics, echo_app))
                    echo = report("echo", echo_run)
                    real_run, real_cpu = asyncio.run(run_apart(args.pics, real_application(url)))
                    real = report("/lapor", real_run)
                print(f"  the bot's CPU per update: echo {echo_cpu * 1000:.2f} ms, /lapor {real_cpu * 1000:.2f} ms")
                for name, index in (("updates/s", 0), ("p50 latency", 1), ("p99 latency", 2)):
                    apart[name].append(real[index] / echo[index])
                apart["bot CPU per update"].append(real_cpu / echo_cpu)
            for name, values in apart.items():
                print(f"{kind}: /lapor ÷ echo, the fake apart, {name}: " + spread(values))
        if args.only in (None, "first"):
            print(f"{kind}: first answer to {args.pics} PICs sending /lapor at once (rate limiter on, "
                  f"leadership group set)")
            for reminders in (False, True):
                p99 = {}
                for one_queue in (True, False):
                    with database(kind) as url:
                        seed(url, args.pics + 1)
                        waits, cpu = asyncio.run(run_first_answer(url, args.pics, one_queue=one_queue,
                                                                  reminders=reminders))
                    label = ("one 30/s queue (before)" if one_queue else "replies first (production)") + (
                        ", reminders going out" if reminders else "")
                    p99[one_queue] = report_first_answer(label, waits, cpu)
                print(f"  {kind}: p99 {p99[False] / p99[True]:.2f}x the single queue's"
                      + (" with the reminders going out" if reminders else ""))


if __name__ == "__main__":
    main()
