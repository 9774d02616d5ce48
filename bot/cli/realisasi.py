"""`rapk realisasi template --quarter N --out F.xlsx` and `rapk realisasi import F.xlsx|F.json --quarter N --by NAME
[--dry-run]`: realisations from a file, for admins whose PICs send Excel (bot.domain.realisation_file)."""

import argparse
import sys
from pathlib import Path

from bot.cli.common import agency_argument
from bot.cli.people import NAME_HELP
from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import make_engine
from bot.db import migrate
from bot.db import unit_of_work
from bot.domain.period import served_plan
from bot.domain.plan_import.parser import MAX_PLAN_BYTES
from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.realisation_file.reader import MAX_PROBLEMS
from bot.domain.realisation_file.reader import NotRealisationFile
from bot.domain.realisation_file.reader import Problem
from bot.domain.realisation_file.reader import Where
from bot.domain.realisation_file.reader import read_realisation_file
from bot.domain.realisation_file.store import RealisationRefused
from bot.domain.realisation_file.store import import_into_served_plan
from bot.domain.realisation_file.template import build_template
from bot.domain.realisation_file.template import template_rows
from bot.text.render import plain


def add_arguments_realisasi(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    template = actions.add_parser("template", help="write the sheet of every item due in a quarter, to fill in")
    import_ = actions.add_parser("import", help="store the realisations of a filled sheet (.xlsx) or its JSON form")
    import_.add_argument("file", help="the filled template (.xlsx) or the JSON form (.json)")
    for sub in (template, import_):
        agency_argument(sub)
        sub.add_argument("--quarter", "-q", type=int, choices=(1, 2, 3, 4), required=True, help="triwulan 1..4")
        sub.add_argument("--plan-year", type=int,
                         help="plan year (default: PLAN_YEAR, else the plan served now, see bot.domain.period)")
    template.add_argument("--out", type=Path, required=True, metavar="FILE.xlsx", help="where to write the sheet")
    import_.add_argument("--by", required=True, help="who reports: every value is stored as theirs and refused "
                                                     "where they are no PIC; " + NAME_HELP)
    import_.add_argument("--dry-run", action="store_true", help="check and print what would change; store nothing")


def cmd_realisasi(args: argparse.Namespace) -> int:
    return _template(args) if args.action == "template" else _import(args)


def _settings(args: argparse.Namespace):
    settings = load_settings()
    return settings.model_copy(update={"plan_year": args.plan_year}) if args.plan_year else settings


def _template(args: argparse.Namespace) -> int:
    settings = _settings(args)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with unit_of_work(engine) as session:
            plan = served_plan(session=session, settings=settings, now=SystemClock().now())
            if plan is None:
                return _refused(settings.language, "template", [Problem(Where(), "no_plan")])
            rows = template_rows(plan.id, args.quarter, session=session, lang=settings.language)
            data = build_template(plan.id, args.quarter, session=session, lang=settings.language, rows=rows)
            year = plan.year
    finally:
        engine.dispose()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(plain("realisasi_template_written", settings.language, path=args.out, quarter=args.quarter, year=year,
                rows=len(rows), kegiatan=len({r[0] for r in rows if r[0]})))
    return 0


def _import(args: argparse.Namespace) -> int:
    settings = _settings(args)
    lang = settings.language
    path = Path(args.file)
    try:
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise PlanFormatError(0, "file_too_big", size=path.stat().st_size, limit=MAX_PLAN_BYTES)
        file = read_realisation_file(path.read_bytes(), path.name)
    except FileNotFoundError:
        return _refused(lang, "import", [Problem(Where(), "file_not_found", path=str(path))])
    except IsADirectoryError:
        return _refused(lang, "import", [Problem(Where(), "is_directory", path=str(path))])
    except NotRealisationFile:
        return _refused(lang, "import", [Problem(Where(), "not_a_realisation_file")], name=path.name)
    except PlanFormatError as exc:
        return _refused(lang, "import", [Problem(Where(), cause=exc)], name=path.name)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with unit_of_work(engine) as session:
            checked = import_into_served_plan(file, session=session, settings=settings, now=SystemClock().now(),
                                              importer={"actor_label": "cli"}, dry_run=args.dry_run,
                                              quarter=args.quarter, by=args.by)
    except RealisationRefused as exc:
        return _refused(lang, "import", exc.problems, name=path.name)
    finally:
        engine.dispose()
    print(plain("realisasi_result", lang, c=checked, stage="dry_run" if args.dry_run else "saved", limit=None))
    return 0


def _refused(lang: str, action: str, problems: list[Problem], name: str = "") -> int:
    """The file (or the set-up) is refused: nothing was stored; one line per problem, on stderr; exit 1."""
    if not name:
        print(f"rapk realisasi {action}: {problems[0].text(lang)}", file=sys.stderr)
        return 1
    print(f"rapk realisasi {action}: " + plain("realisasi_refused", lang, name=name, count=len(problems),
                                               problems=[p.text(lang) for p in problems[:MAX_PROBLEMS]], bot=False),
          file=sys.stderr)
    return 1

