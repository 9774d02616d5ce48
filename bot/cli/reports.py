"""`rapk summary [--quarter N] [--as-of YYYY-MM-DD] [--json]` and `rapk export [--quarter N] [--pdf] --out FILE`
(the evaluation workbook, or with --pdf the form as a PDF), offline."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from datetime import datetime
from datetime import time
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session

from bot.clock import SystemClock
from bot.config import Settings
from bot.config import load_settings
from bot.db import make_engine
from bot.db import migrate
from bot.db import unit_of_work
from bot.domain.period import served_period
from models import Plan


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quarter", "-q", type=int, choices=(1, 2, 3, 4),
                        help="triwulan 1..4 (default: the quarter being reported now)")
    parser.add_argument("--plan-year", "--year", dest="plan_year", type=int,
                        help="plan year, a past one too (default: the plan served now, see bot.domain.period)")


def add_arguments_summary(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument("--json", action="store_true", help="the digest's numbers as JSON")
    parser.add_argument("--chart", type=Path, metavar="FILE.png", help="also write the achievement chart")
    parser.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="the state at the end of that day (which reporting deadlines have passed; "
                             "default: now)")


def add_arguments_export(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="FILE", help="where to write the workbook or PDF")
    parser.add_argument("--pdf", action="store_true",
                        help="the Permendagri 86/2017 form as a PDF (landscape, with the signature block)")
    parser.add_argument("--paper", choices=("a4", "folio"), default="a4", help="print paper size (default a4)")


def cmd_summary(args: argparse.Namespace) -> int:
    from bot.domain.charts import achievement_chart
    from bot.domain.digest import build_digest
    from bot.domain.scoring import score_plan_from_db

    def work(plan: Plan, session: Session, settings: Settings) -> int:
        # The end of the day asked about, in the agency's time zone: its deadline day is still open.
        now = datetime.combine(args.as_of, time.max, tzinfo=settings.tz) if args.as_of else SystemClock().now()
        score = score_plan_from_db(plan.id, args.quarter, session=session, now=now, settings=settings)
        digest = build_digest(plan.id, args.quarter, session=session, settings=settings, score=score, now=now)
        if args.chart:
            args.chart.parent.mkdir(parents=True, exist_ok=True)
            args.chart.write_bytes(achievement_chart(score, args.quarter, lang=settings.language))
        if args.json:
            print(json.dumps(digest.numbers, ensure_ascii=False, indent=2, default=_json_default))
        else:
            print(digest.plain)
        return 0

    return _on_plan(args, "summary", work)


def cmd_export(args: argparse.Namespace) -> int:
    from bot.domain.form_pdf import build_pdf
    from bot.domain.workbook import build_workbook

    def work(plan: Plan, session: Session, settings: Settings) -> int:
        build = build_pdf if args.pdf else build_workbook
        data = build(plan.id, args.quarter, session=session, settings=settings, paper=args.paper,
                     now=SystemClock().now())
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(data)
        kind = "PDF" if args.pdf else "xlsx"
        print(f"{args.out}: evaluasi TW {args.quarter} {plan.year}, {kind} ({len(data):,} bytes)")
        return 0

    return _on_plan(args, "export", work)


def _on_plan(args: argparse.Namespace, command: str, work: Callable[[Plan, Session, Settings], int]) -> int:
    """Open the configured database, find the plan and quarter (--plan-year / --quarter, else the period
    the bot serves now), run `work`."""
    settings = load_settings()
    if args.plan_year:
        settings = settings.model_copy(update={"plan_year": args.plan_year})
    engine = make_engine(settings.database_url)
    migrate(engine)
    with unit_of_work(engine) as session:
        period = served_period(session=session, settings=settings, now=SystemClock().now())
        if period is None:
            print(f"rapk {command}: no plan imported yet (rapk import FILE)", file=sys.stderr)
            return 1
        args.quarter = args.quarter or period.quarter
        return work(period.plan, session, settings)


def _json_default(value: object) -> object:
    """Percentages are Decimal with one place: as JSON numbers they print exactly (84.3)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
