"""`rapk migrate`, `rapk run`, `rapk audit` and `rapk doctor`."""

import argparse
import asyncio
import sys
import warnings
from datetime import datetime

from bot.config import ConfigError
from bot.config import load_settings
from bot.db import make_engine
from bot.db import migrate


def add_arguments_migrate(parser: argparse.ArgumentParser) -> None:
    pass


def cmd_migrate(args) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    migrate(engine)
    print(f"database is at the newest schema ({engine.url.render_as_string(hide_password=True)})")
    return 0


ROLES = ("all", "updates", "dispatcher")  # bot.telegram.services ALL, UPDATES, DISPATCHER


def add_arguments_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", choices=ROLES, default="all",
                        help="all (default): answer updates and send the outbox; updates: answer updates and run "
                             "the ticks, leave the outbox to dispatchers; dispatcher: only send the outbox "
                             "(any number of them, TELEGRAM_DISPATCHERS says how many share the cap)")


def cmd_run(args) -> int:
    from bot.main import build_application
    from bot.telegram.app import ALLOWED_UPDATES
    from bot.telegram.app import setup_logging
    from bot.telegram.webhook import run_webhook

    settings = load_settings()
    if settings.telegram_bot_token is None:
        raise ConfigError("configuration error: TELEGRAM_BOT_TOKEN: required to run the bot (see .env.example)")
    setup_logging(settings.log_level, settings.telegram_bot_token.get_secret_value())
    warnings.filterwarnings("ignore", message="If 'per_message=False'")  # our conversations are per chat
    role = getattr(args, "role", "all")
    application = build_application(settings, role=role)
    # Ask getMe once before PTB does: PTB logs an unreachable Telegram as a 200-line traceback, this
    # fails with one line (bot.cli.describe_failure). The session is reopened by run_polling.
    asyncio.run(_check_telegram(application))
    if role == "dispatcher":
        from bot.telegram.app import run_dispatcher

        asyncio.run(run_dispatcher(application))
    elif settings.webhook_url:
        secret = settings.webhook_secret_token.get_secret_value() if settings.webhook_secret_token else None
        asyncio.run(run_webhook(application, webhook_url=settings.webhook_url, listen=settings.webhook_listen,
                                port=settings.webhook_port, secret=secret))
    elif settings.webapp_url:
        # The Mini App needs the web server: polling and the server in one loop (bot/telegram/webhook.py).
        from bot.telegram.webhook import run_polling_with_web

        asyncio.run(run_polling_with_web(application, listen=settings.webhook_listen, port=settings.webhook_port))
    else:
        # run_polling stops cleanly on SIGTERM and SIGINT.
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


async def _check_telegram(application) -> None:
    try:
        await application.bot.initialize()
    finally:
        await application.bot.shutdown()


def add_arguments_audit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", help="YYYY-MM-DD: only entries from this day on")
    parser.add_argument("--limit", type=int, default=None, help="only the newest N entries (still oldest first)")


def cmd_audit(args) -> int:
    from bot.db import unit_of_work
    from bot.domain.audit import history

    settings = load_settings()
    engine = make_engine(settings.database_url)
    migrate(engine)
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since).replace(tzinfo=settings.tz)
        except ValueError:
            print(f"rapk audit: --since {args.since!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
            return 2
    with unit_of_work(engine) as session:
        rows = history(session=session, since=since, limit=args.limit)
        for row in rows:
            at = row.at.astimezone(settings.tz)
            change = ""
            if row.old_value is not None or row.new_value is not None:
                change = f" {row.old_value!s} → {row.new_value!s}"
            reason = f" ({row.reason})" if row.reason else ""
            who = row.actor_label or (f"person#{row.actor_person_id}" if row.actor_person_id else "-")
            print(f"{at:%Y-%m-%d %H:%M} {who}: {row.action} {row.entity}#{row.entity_id or '-'}"
                  f"{'.' + row.field if row.field else ''}{change}{reason}")
    return 0


def add_arguments_doctor(parser: argparse.ArgumentParser) -> None:
    pass


def cmd_doctor(args) -> int:
    """Check configuration, database and migrations, the token (getMe) and the leadership chat."""
    from bot.cli.doctor import run_checks

    problems = 0
    for ok, what, advice in run_checks():
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            problems += 1
            print(f"     → {advice}")
    print("all checks passed" if not problems else f"{problems} problem(s) found")
    return 0 if not problems else 1
