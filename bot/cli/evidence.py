"""`rapk evidence`: bukti dukung from the command line.

* `rapk evidence require KEGIATAN [--aksi N] [--off]`: require evidence before Simpan for a kegiatan (or
  one of its aksi), or stop requiring it (bot.domain.evidence; audited as «cli»).
* `rapk evidence export --quarter N --out DIR`: download every file of the quarter from Telegram into
  DIR, one folder per kegiatan, each file named by kegiatan and aksi (bot.domain.evidence.export_plan).
  A file Telegram no longer serves is listed on stderr and the exit code is 1; nothing is skipped silently.
"""

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli.common import agency_argument
from bot.cli.common import one_kegiatan
from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import make_engine
from bot.db import migrate
from bot.db import unit_of_work
from bot.domain.evidence import export_plan
from bot.domain.evidence import set_required
from bot.domain.period import served_plan


def add_arguments_evidence(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    require = sub.add_parser("require", help="require evidence before Simpan for a kegiatan or one of its aksi")
    require.add_argument("kegiatan", help="kegiatan number in document order, or part of its name")
    require.add_argument("--aksi", type=int, help="only when this aksi (its number) is due")
    require.add_argument("--off", action="store_true", help="stop requiring it")
    export = sub.add_parser("export", help="download every evidence file of a quarter into a folder")
    export.add_argument("--quarter", type=int, required=True, choices=range(1, 5), metavar="N", help="1..4")
    export.add_argument("--out", type=Path, required=True, metavar="DIR")
    for action in (require, export):
        agency_argument(action)


def cmd_evidence(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with unit_of_work(engine) as session:
            plan = served_plan(session=session, settings=settings, now=SystemClock().now())
            if plan is None:
                print("rapk evidence: no plan imported yet (rapk import FILE)", file=sys.stderr)
                return 1
            if args.action == "require":
                kegiatan = one_kegiatan("evidence", plan.id, args.kegiatan, session=session)
                if kegiatan is None:
                    return 1
                try:
                    what = set_required(kegiatan.id, args.aksi, not args.off, session=session, actor_label="cli")
                except LookupError:
                    print(f"rapk evidence: kegiatan {kegiatan.seq} has no aksi {args.aksi}", file=sys.stderr)
                    return 1
                print(f"{what}: evidence {'not required' if args.off else 'required'} before Simpan")
                return 0
            items = export_plan(plan.id, args.quarter, session=session)
    finally:
        engine.dispose()
    return asyncio.run(_download(settings, items, args.out))


async def _download(settings, items, out: Path) -> int:
    from telegram import Bot
    from telegram.error import BadRequest

    from bot.telegram.app import api_urls

    urls = dict(zip(("base_url", "base_file_url"), api_urls(settings), strict=True)) if settings.telegram_base_url \
        else {}
    gone = []
    async with Bot(settings.telegram_bot_token.get_secret_value(), **urls) as bot:
        for item in items:
            target = out / item.path
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                file = await bot.get_file(item.file_id)
                await file.download_to_drive(target)
            except BadRequest as exc:
                gone.append((item, str(exc)))
    print(f"{len(items) - len(gone)} of {len(items)} files written to {out}")
    for item, error in gone:
        print(f"not served by Telegram any more (ask the PIC to upload it again): {item.path}: {error}",
              file=sys.stderr)
    return 1 if gone else 0
