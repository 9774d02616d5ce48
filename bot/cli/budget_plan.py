"""`rapk budget-plan KEGIATAN [TW1 TW2 TW3 TW4 | --clear]`: show or set a kegiatan's anggaran kas.

The same rules and words as /anggarankas in the bot (bot.domain.budget_plan); audited as «cli».
"""

import argparse
import sys

from bot.cli.common import one_kegiatan
from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import make_engine
from bot.db import migrate
from bot.db import unit_of_work
from bot.domain.budget_plan import BudgetPlanError
from bot.domain.budget_plan import budget_plan_card
from bot.domain.budget_plan import parse_amounts
from bot.domain.budget_plan import set_budget_plan
from bot.domain.digest import html_to_plain
from bot.domain.period import served_plan
from bot.text.render import render


def add_arguments_budget_plan(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kegiatan", help="kegiatan number in document order, or part of its name")
    parser.add_argument("amounts", nargs="*", metavar="AMOUNT",
                        help="four amounts, TW I to TW IV (`100.000.000`, `Rp100jt`, `0` or `-` for none); "
                             "none: show the plan")
    parser.add_argument("--clear", action="store_true", help="remove the plan (absorption against the pagu only)")


def cmd_budget_plan(args: argparse.Namespace) -> int:
    settings = load_settings()
    lang = settings.language
    if args.clear and args.amounts:
        print("rapk budget-plan: give four amounts or --clear, not both", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with unit_of_work(engine) as session:
            now = SystemClock().now()
            plan = served_plan(session=session, settings=settings, now=now)
            if plan is None:
                print("rapk budget-plan: no plan imported yet (rapk import FILE)", file=sys.stderr)
                return 1
            kegiatan = one_kegiatan("budget-plan", plan.id, args.kegiatan, session=session)
            if kegiatan is None:
                return 1
            try:
                if args.clear or args.amounts:
                    amounts = None if args.clear else parse_amounts(args.amounts)
                    card = set_budget_plan(kegiatan.id, amounts, session=session, actor_label="cli", now=now)
                else:
                    card = budget_plan_card(kegiatan.id, session=session)
            except BudgetPlanError as exc:
                error = html_to_plain(render("admin_error", lang, code=exc.code, d=exc.detail))
                print(f"rapk budget-plan: {error}", file=sys.stderr)
                return 1
    finally:
        engine.dispose()
    print(html_to_plain(render("anggarankas_card", lang, c=card, saved=bool(args.clear or args.amounts), cli=True)))
    return 0
