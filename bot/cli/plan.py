"""`rapk import FILE` and `rapk plan`: load a RAPK plan into the database and print it back."""

import argparse
import json
import sys
from pathlib import Path

from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import make_engine
from bot.db import migrate
from bot.db import unit_of_work
from bot.domain.admin import AdminError
from bot.domain.admin import import_agency
from bot.domain.period import served_plan
from bot.domain.plan_import.modes import mode_counts
from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.store import PlanStoreError
from bot.domain.plan_import.store import load_plan_tree
from bot.domain.plan_import.store import plan_json
from bot.domain.plan_import.store import save_plan
from bot.text.render import message
from bot.text.render import plain


def add_arguments_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="plan file: tab-separated text (.txt) or Excel (.xlsx)")
    parser.add_argument("--agency", metavar="NAME|ID",
                        help="the agency (OPD) the plan is stored in: a stored agency's id, name or part of it, or a "
                             "new agency's name; the file's title, when it names one, must name that agency "
                             "(default: the agency the title names)")
    parser.add_argument("--year", type=int, help="plan year (default: read from the title, `TAHUN 2020`)")
    parser.add_argument("--dry-run", action="store_true", help="parse and report only; the database is not touched")
    parser.add_argument("--json", action="store_true", help="print the parsed plan as JSON on stdout")
    parser.add_argument("--sheet", metavar="NAME",
                        help="the worksheet to read in an .xlsx (needed when several hold a plan)")
    parser.add_argument("--force", action="store_true",
                        help="merge even when the file removes items with realisations (they go, with their "
                             "realisations) or empties targets or budgets that have realisations")


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        parsed = parse_plan_file(path, sheet=args.sheet)
    except FileNotFoundError:
        print(f"rapk import: berkas {path} tidak ditemukan.", file=sys.stderr)
        return 1
    except IsADirectoryError:
        print(f"rapk import: {path} adalah folder, bukan berkas.", file=sys.stderr)
        return 1
    except PlanFormatError as exc:
        print(f"rapk import: {path.name}: {message(exc, load_settings().language)}", file=sys.stderr)
        return 1
    title_agency = parsed.agency
    parsed = parsed.with_overrides(agency=args.agency, year=args.year)
    settings = load_settings()
    lang = settings.language
    result = None
    if not args.dry_run:
        engine = make_engine(settings.database_url)
        try:
            migrate(engine)
            with unit_of_work(engine) as session:
                agency = import_agency(args.agency, title_agency, session=session) if args.agency else None
                if agency is not None:  # the summary printed below names the stored agency, not `--agency` as typed
                    parsed = parsed.with_overrides(agency=agency.name)
                result = save_plan(parsed, session=session, force=args.force, agency_id=agency.id if agency else None,
                                   actor_label="cli")
        except AdminError as exc:  # other_agency: the file's title names another agency than --agency
            print(f"rapk import: {path.name}: its title names {exc.detail['file_agency']!r}, not the agency "
                  f"{exc.detail['agency']!r} (--agency); nothing was imported", file=sys.stderr)
            return 1
        except (PlanStoreError, PlanFormatError) as exc:
            print(f"rapk import: {path.name}: {message(exc, lang)}", file=sys.stderr)
            return 1
        finally:
            engine.dispose()
    summary = plain("import_summary", lang, dry_run=args.dry_run, source=path.name,
                     agency=parsed.agency, year=parsed.year, kegiatan_count=len(parsed.kegiatan),
                     aksi_count=parsed.aksi_count, indicator_count=parsed.indicator_count,
                     budget_total=parsed.budget_total, result=result, limit=None, sheet=parsed.sheet,
                     sheet_hidden=parsed.sheet_hidden, anomaly_count=parsed.anomaly_count,
                     modes=mode_counts(parsed).as_dict(),
                     budget_plan_count=(result or parsed).budget_plan_count,
                     budget_plan_total=(result or parsed).budget_plan_total,
                     anomalies=[{"line": a.line, "why": message(a, lang)} for a in parsed.anomalies])
    if args.json:
        # stdout stays pure JSON for the programs that read it; the human summary goes to stderr.
        json.dump(plan_json(parsed, lang), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        print(summary, file=sys.stderr)
    else:
        print(summary)
    return 0


def add_arguments_plan(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agency", help="agency name (default: AGENCY_NAME, or the only/newest plan)")
    parser.add_argument("--year", type=int, help="plan year (default: PLAN_YEAR, else the plan served now)")


def cmd_plan(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with unit_of_work(engine) as session:
            chosen = settings.model_copy(update={"agency_name": args.agency or settings.agency_name,
                                                 "plan_year": args.year or settings.plan_year})
            plan = served_plan(session=session, settings=chosen, now=SystemClock().now())
            if plan is None:
                print("rapk plan: no plan imported yet, or none of that agency and year (rapk import FILE)",
                      file=sys.stderr)
                return 1
            tree = load_plan_tree(plan.id, session=session)
    finally:
        engine.dispose()
    print(plain("plan_tree", settings.language, **tree))
    return 0
