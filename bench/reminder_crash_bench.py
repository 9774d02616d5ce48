"""Reminders through kill -9: the real `rapk run` killed at random moments while it sends, and started again.

For each database it seeds --reminders PICs with something due in the quarter served today and queues one
reminder each (as /ingatkan does), starts the fake Bot API server in its own process (answering after a
round trip of --latency seconds, like Telegram) and `rapk run` in another, then --kills times: waits for
the life's first reminder to arrive, lets it send for a random while (about the same share of the rows each
life), kills it with SIGKILL and starts it again. After the last kill it lets the bot finish and stop.

What the server received is then held against the outbox rows:
  sent        messages that reached a PIC during the life a kill ended
  sending     rows the kill left 'sending' (ambiguous: was the message sent?)
  in flight   of those, messages the server had delivered but whose answer never reached the bot
  unmarked    of those, messages answered but whose 'delivered' mark was not yet committed
  duplicated  PICs who got that reminder a second time because of this kill (in flight + unmarked)
  lost        rows of this kill that never reached their PIC
  resent      seconds from the kill to the second send of its ambiguous rows (median / max)
The floor is the in-flight column: a message Telegram delivered and the bot never heard about cannot be
told from one that was not sent, so at-least-once sends it again (see README, Reliability).

    .venv/bin/python bench/reminder_crash_bench.py [--reminders 3300] [--kills 24] [--rate 30]
        [--latency 0.1] [--db sqlite,postgresql] [--seed 1]
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from bench._common import database
from bench.crash_common import BotProcess
from bench.crash_common import FakeServer
from bench.crash_common import bot_env
from bench.crash_common import wait_until
from bench.reminder_bench import FIRST_USER
from bench.reminder_bench import TOKEN
from bench.reminder_bench import seed
from bot.config import load_settings
from bot.db import make_engine
from bot.db import unit_of_work
from bot.domain.calendar import ReportingCalendar
from bot.domain.outbox import create_manual_reminders
from bot.telegram.http import AiohttpRequest
from models import Person
from models import Reminder

FINAL = ("delivered", "failed", "skipped")


@dataclass
class Kill:
    number: int
    at: float  # time.monotonic() right after the process was gone
    boundary: int  # index of the first request the server received after it
    sending: dict[int, tuple] = field(default_factory=dict)  # rows left 'sending' → (claimed by, claimed at)
    new: set[int] = field(default_factory=set)  # of those, claimed in the life this kill ended
    pending: int = 0


def queue_reminders(url: str, n: int) -> tuple[int, int, int]:
    """n PICs owing something in the quarter served now, and one reminder row each; (rows, year, quarter)."""
    now = datetime.now(UTC)
    settings = load_settings(telegram_bot_token=TOKEN, database_url=url, _env_file=None)
    calendar = ReportingCalendar.from_settings(settings)
    year, quarter = calendar.reporting_quarter(now)
    seed(url, n, year=year, quarter=quarter, locked=tuple(q for q in range(1, 5) if q != quarter))
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        batch = create_manual_reminders(now, session=session, settings=settings, calendar=calendar)
    engine.dispose()
    return batch.created, year, quarter


def outbox(engine) -> dict[int, tuple[int, str, int | None, tuple]]:
    """Reminder id → (PIC's Telegram id, status, message id, (claimed by, claimed at))."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Reminder.id, Person.telegram_user_id, Reminder.status, Reminder.message_id,
                                      Reminder.claimed_by, Reminder.claimed_at)
                            .join(Person, Person.id == Reminder.person_id))
        return {r[0]: (r[1], r[2], r[3], (r[4], r[5])) for r in rows}


def http_timeout() -> float:
    """The total time one request of `rapk run` may take (its AiohttpRequest's four timeouts)."""
    request = AiohttpRequest()
    return sum(t for t in (request._read_timeout, request._write_timeout, request._connect_timeout,
                           request._pool_timeout) if t is not None)


def run(kind: str, args: argparse.Namespace, rng: random.Random) -> None:
    with database(kind) as url, tempfile.TemporaryDirectory(prefix="rapk-crash-") as home:
        rows, year, quarter = queue_reminders(url, args.reminders)
        engine = make_engine(url)
        users = [(FIRST_USER + i, f"PIC{i}") for i in range(args.reminders)]
        per_life = rows / (args.rate * (args.kills + 2))  # seconds of sending per life, on average
        kills: list[Kill] = []
        started = time.monotonic()
        with FakeServer(token=TOKEN, users=users, latency=args.latency) as fake:
            env = bot_env(fake.base_url, url, token=TOKEN, home=home, telegram_max_messages_per_second=args.rate,
                          log_level="WARNING")
            with BotProcess(env, log_dir=home) as bot:
                boundary = 0
                bot.start()
                while len(kills) < args.kills:
                    if not fake.wait_for_calls(1, since=boundary, timeout=120):
                        break  # nothing more to send
                    time.sleep(rng.uniform(0.05, 1.95) * per_life)
                    bot.kill()
                    kill = Kill(len(kills) + 1, time.monotonic(), fake.count())
                    states = outbox(engine)
                    kill.sending = {i: claim for i, (_, status, _, claim) in states.items() if status == "sending"}
                    before = kills[-1].sending if kills else {}
                    kill.new = {i for i, claim in kill.sending.items() if before.get(i) != claim}
                    kill.pending = sum(status == "pending" for _, status, _, _ in states.values())
                    kills.append(kill)
                    boundary = kill.boundary
                    bot.start()
                    if not kill.sending and not kill.pending:
                        break
                settled = wait_until(lambda: all(s in FINAL for _, s, _, _ in outbox(engine).values()),
                                     timeout=args.settle, poll=0.5)
                bot.stop()
                if not settled:
                    print(f"  not settled within {args.settle:.0f} s; see {bot.log_path}")
            calls = fake.calls("sendMessage")
        wall = time.monotonic() - started
        final = outbox(engine)
        engine.dispose()
    report(kind, args, rows, year, quarter, kills, calls, final, wall)


def life_of(index: int, kills: list[Kill]) -> int:
    """The kill that ended the life a request arrived in (0: the last life, ended by a clean stop)."""
    return next((kill.number for kill in kills if index < kill.boundary), 0)


def report(kind, args, rows, year, quarter, kills, calls, final, wall) -> None:
    delivered = [c for c in calls if c["delivered"]]
    by_chat: dict[int, list[dict]] = defaultdict(list)
    for c in delivered:
        by_chat[int(c["chat_id"])].append(c)
    kept = {}  # delivered row id → the receipt its mark names (None: the server never delivered it)
    for row_id, (chat, status, message_id, _) in final.items():
        if status == "delivered":
            kept[row_id] = next((c for c in by_chat[chat] if c["message_id"] == message_id), None)
    named = {c["index"] for c in kept.values() if c is not None}
    extra = [c for c in delivered if c["index"] not in named]  # another copy of a row marked by a later send
    lost = {i for i, (_, status, _, _) in final.items() if status in ("failed", "pending", "sending")}
    lost |= {i for i, receipt in kept.items() if receipt is None}
    skipped = sum(status == "skipped" for _, status, _, _ in final.values())
    life = defaultdict(list)
    for c in delivered:
        life[life_of(c["index"], kills)].append(c)
    extra_of = defaultdict(list)
    for c in extra:
        extra_of[life_of(c["index"], kills)].append(c)

    def waited(kill: Kill) -> list[float]:
        return [kept[i]["time"] - kill.at for i in kill.new if kept.get(i) and kept[i]["time"] > kill.at]

    made = len(final) - rows  # by the bot's own tick, e.g. today's overdue nudge for the same PICs
    print(f"{kind}: {len(final)} reminder rows (TW {quarter} {year}: {rows} queued"
          f"{f', {made} made by the tick' if made else ''}), {len(kills)} kills, {args.rate:g}/s, "
          f"round trip {args.latency * 1000:.0f} ms; {wall:.0f} s in all")
    print("  kill  sent  sending  in flight  unmarked  duplicated  lost  resent after (median / max)")
    for kill in kills:
        dups = extra_of[kill.number]
        in_flight = sum(c["status"] == -1 for c in dups)
        waits = waited(kill)
        resent = f"{statistics.median(waits):5.1f} / {max(waits):5.1f} s" if waits else "      -"
        print(f"  {kill.number:4d}  {len(life[kill.number]):4d}  {len(kill.new):7d}  {in_flight:9d}"
              f"  {len(dups) - in_flight:8d}  {len(dups):10d}  {len(lost & kill.new):4d}  {resent}")
    at_kills = sum(len(extra_of[k.number]) for k in kills)
    ambiguous = sum(len(k.new) for k in kills)
    waits = [w for k in kills for w in waited(k)]
    print(f"  totals: sent {len(kept) - sum(v is None for v in kept.values())} rows in {len(delivered)} messages; "
          f"lost {len(lost)}; duplicated {len(extra)} ({at_kills} at a kill, {at_kills / max(1, len(kills)):.2f} "
          f"per kill, {sum(c['status'] == -1 for c in extra)} of them in flight; {len(extra_of[0])} without a kill); "
          f"skipped {skipped}")
    print(f"  left 'sending' by the kills: {ambiguous} rows ({ambiguous / max(1, len(final)):.1%} of the run's rows, "
          f"median {statistics.median([len(k.new) for k in kills]) if kills else 0:g} per kill); resent after "
          f"median {statistics.median(waits) if waits else float('nan'):.1f} s, max "
          f"{max(waits, default=float('nan')):.1f} s (HTTP timeout {http_timeout():g} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=3300)
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--rate", type=float, default=30, help="TELEGRAM_MAX_MESSAGES_PER_SECOND (production: 30)")
    parser.add_argument("--latency", type=float, default=0.1, help="the fake's round trip, seconds")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=1, help="of the kill moments")
    parser.add_argument("--settle", type=float, default=400, help="seconds to wait for the last rows")
    args = parser.parse_args()
    print(f"reminder crash benchmark: {args.reminders} reminders, {args.kills} kill -9 of `rapk run`")
    for kind in args.db.split(","):
        run(kind, args, random.Random(args.seed))


if __name__ == "__main__":
    main()
