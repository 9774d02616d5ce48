"""`rapk calendar YEAR [--json]`: every date of a year's reporting cycle with its reason."""

import argparse
import json
from datetime import timedelta
from typing import Any

from bot.config import load_settings
from bot.domain.calendar import OVERDUE_PREFIX
from bot.domain.calendar import ReportingCalendar
from bot.domain.calendar import render_text


def add_arguments_calendar(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("year", type=int, help="plan year, e.g. 2020")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def calendar_text(calendar: ReportingCalendar, year: int) -> str:
    """The year's calendar as terminal text, in the calendar's language."""
    quarters: list[dict[str, Any]] = []
    for q in range(1, 5):
        slots = calendar.calendar_slots(year, q)
        quarters.append({
            "quarter": q,
            "start": calendar.quarter_start(year, q),
            "end": calendar.quarter_end(year, q),
            "deadline": calendar.deadline(year, q),
            "window_first": calendar.window(year, q)[0].date(),
            "window_last": (calendar.window(year, q)[1] - timedelta(days=1)).date(),
            "slots": [s for s in slots if not s.kind.startswith(OVERDUE_PREFIX)],
            "overdue": [s for s in slots if s.kind.startswith(OVERDUE_PREFIX)],
        })
    return render_text("reminder_calendar", calendar.lang, year=year, quarters=quarters, calendar=calendar)


def cmd_calendar(args: argparse.Namespace) -> int:
    calendar = ReportingCalendar.from_settings(load_settings())
    if args.json:
        print(json.dumps(calendar.year_calendar(args.year), ensure_ascii=False, indent=2))
    else:
        print(calendar_text(calendar, args.year))
    return 0
