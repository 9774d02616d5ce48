"""THE New Year sweep: with the 2020 and 2021 plans loaded and PLAN_YEAR unset, the clock walks across New
Year's Day, and at every step /lapor, /status, the reminder tick, /ringkasan and /ekspor work on the same
quarter of the same year — TW IV 2020 from its window's opening (23 December 2020) until TW I 2021's opens
(24 March 2021), never the newer 2021 plan before its first quarter (calendar: `rapk calendar 2020`)."""

from datetime import datetime

import pytest
from sqlmodel import select

from bot.db import unit_of_work
from jobs.reminders import run_tick
from models import Reminder
from tests.support.harness import ADMIN_ID
from tests.support.harness import PIC_ID
from tests.support.harness import WIB
from tests.support.harness import BotHarness
from tests.support.two_years import load_two_years

# (the moment, its quarter and year, whether the tick owes Budi a reminder then)
STEPS = [
    (datetime(2020, 12, 23, 9, 0, tzinfo=WIB), 4, 2020, True),  # H-7 of TW IV 2020, moved from cuti bersama
    (datetime(2020, 12, 30, 9, 0, tzinfo=WIB), 4, 2020, True),  # H-1
    (datetime(2020, 12, 31, 23, 0, tzinfo=WIB), 4, 2020, False),  # New Year's Eve, late
    (datetime(2021, 1, 1, 0, 30, tzinfo=WIB), 4, 2020, False),  # New Year's Day: 2021 has begun, TW IV 2020 is due
    (datetime(2021, 1, 8, 9, 0, tzinfo=WIB), 4, 2020, True),  # TW IV 2020's deadline
    (datetime(2021, 1, 12, 9, 0, tzinfo=WIB), 4, 2020, True),  # late: the first overdue reminder
    (datetime(2021, 3, 23, 9, 0, tzinfo=WIB), 4, 2020, True),  # the last day of TW IV 2020's window
    (datetime(2021, 3, 24, 9, 0, tzinfo=WIB), 1, 2021, True),  # TW I 2021's H-7: the 2021 plan is served
]
TW = {1: "TW I", 4: "TW IV"}


@pytest.fixture
async def bot(fake, db_url, engine):
    plans = load_two_years(engine)
    harness = BotHarness(fake, db_url, now=STEPS[0][0])
    await harness.start()
    yield harness, plans
    await harness.stop()


async def _said(fake, user: int, command: str) -> list[dict]:
    before = len(fake.messages_to(user))
    fake.send_command(user, command)
    await fake.wait_idle(timeout=30)
    return fake.messages_to(user)[before:]


def _text(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or m.get("caption") or "" for m in messages)


def _reminders(engine) -> set[tuple[int, int, str]]:
    with unit_of_work(engine) as session:
        return {(r.plan_id, r.quarter, r.kind) for r in session.exec(select(Reminder))}


async def test_across_new_years_day_everything_works_on_the_same_quarter(bot, fake, engine):
    harness, plans = bot
    wrong = []
    seen = _reminders(engine)
    for when, quarter, year, reminded in STEPS:
        harness.clock.set(when)
        step, period = f"{when:%d %b %Y %H:%M}", f"{TW[quarter]} {year}"
        other = f"{TW[4] if quarter == 1 else TW[1]} {2021 if quarter == 4 else 2020}"
        lapor = _text(await _said(fake, PIC_ID, "/lapor"))
        await _said(fake, PIC_ID, "/batal")
        if f"Laporan {period}" not in lapor or other in lapor:
            wrong.append(f"{step}: /lapor says {lapor.splitlines()[:1]}")
        status = _text(await _said(fake, PIC_ID, "/status"))
        if f"Status laporan {period}" not in status:
            wrong.append(f"{step}: /status says {status.splitlines()[:1]}")
        await run_tick(harness.app)
        new = _reminders(engine) - seen
        seen |= new
        if {(p, q) for p, q, _ in new} != ({(plans[year], quarter)} if reminded else set()):
            wrong.append(f"{step}: the tick made {sorted(new)}")
        ringkasan = _text(await _said(fake, ADMIN_ID, "/ringkasan"))
        if not ringkasan.startswith(f"📊 Capaian {period}"):
            wrong.append(f"{step}: /ringkasan says {ringkasan.splitlines()[:1]}")
        ekspor = [m for m in await _said(fake, ADMIN_ID, "/ekspor") if "document" in m]
        names = [m["document"].get("file_name") for m in ekspor]
        if names != [f"Evaluasi-RAPK-{year}-{TW[quarter].replace(' ', '-')}.xlsx"]:
            wrong.append(f"{step}: /ekspor sent {names}")
    assert not wrong, "\n".join(wrong)


async def test_last_years_quarters_stay_readable(bot, fake, engine):
    harness, _ = bot
    harness.clock.set(STEPS[-1][0])  # TW I 2021 is served
    assert _text(await _said(fake, ADMIN_ID, "/ringkasan")).startswith("📊 Capaian TW I 2021")
    assert _text(await _said(fake, ADMIN_ID, "/ringkasan 4 2020")).startswith("📊 Capaian TW IV 2020")
    assert _text(await _said(fake, ADMIN_ID, "/ringkasan 2020")).startswith("📊 Capaian TW IV 2020")  # a past year: TW IV
    assert _text(await _said(fake, ADMIN_ID, "/ringkasan 2 2020")).startswith("📊 Capaian TW II 2020")
    sent = [m["document"]["file_name"] for m in await _said(fake, ADMIN_ID, "/ekspor 4 2020") if "document" in m]
    assert sent == ["Evaluasi-RAPK-2020-TW-IV.xlsx"]
    assert _text(await _said(fake, ADMIN_ID, "/ringkasan 4 2019")) == \
        "Belum ada rencana aksi tahun 2019. Tanpa tahun, saya pakai rencana yang sedang dilaporkan."
