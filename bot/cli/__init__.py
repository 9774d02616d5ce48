"""The `rapk` command line. Each subcommand lives in its own module and is imported when used."""

import argparse
import importlib
import io
import os
import sys

from bot.cli.common import agency_argument
from bot.cli.common import agency_pinned
from bot.config import ConfigError
from bot.config import redact

# name -> (module, help); each module has add_arguments_<name>(parser) and cmd_<name>(args), `-` read as `_`.
COMMANDS: dict[str, tuple[str, str]] = {
    "import": ("bot.cli.plan", "Import a RAPK plan file (tab-separated text or .xlsx)"),
    "plan": ("bot.cli.plan", "Print the stored plan as a tree"),
    "migrate": ("bot.cli.ops", "Apply database migrations"),
    "run": ("bot.cli.ops", "Run the bot (long polling, or webhook when WEBHOOK_URL is set)"),
    "invite": ("bot.cli.people", "Print a one-time onboarding link for a person"),
    "assign": ("bot.cli.people", "Assign a person as PIC of a kegiatan, an IKU or a program indicator"),
    "budget-plan": ("bot.cli.budget_plan", "Show or set a kegiatan's anggaran kas (planned drawings per quarter)"),
    "calendar": ("bot.cli.calendar", "Print the reporting calendar of a year"),
    "summary": ("bot.cli.reports", "Print the leadership digest of a quarter"),
    "export": ("bot.cli.reports", "Write the quarterly evaluation workbook (.xlsx)"),
    "realisasi": ("bot.cli.realisasi", "Realisations from a file: write the template of a quarter, import it filled"),
    "renstra": ("bot.cli.renstra", "Renstra figures of a kegiatan or its indicator, for the evaluation form"),
    "evidence": ("bot.cli.evidence", "Bukti dukung: require it before Simpan, or export a quarter's files to a folder"),
    "rekap": ("bot.cli.kabupaten", "Print every OPD ranked with the kabupaten figures (the kabupaten role's /rekap)"),
    "agency": ("bot.cli.kabupaten", "Onboard an OPD (add NAME --admin NAME: its first admin's invite), list them, "
                                    "or give a person of another OPD roles in one (member, members)"),
    "kabupaten": ("bot.cli.kabupaten", "Grant or revoke the kabupaten role (Bappeda / evaluator) or its admin"),
    "audit": ("bot.cli.ops", "Print the audit log"),
    "demo": ("bot.cli.demo", "Play one quarter end to end against the fake Telegram server"),
    "doctor": ("bot.cli.ops", "Check configuration, database, token and chats"),
    "backup": ("bot.cli.backup", "Back the database up into FILE (safe while the bot runs)"),
    "restore": ("bot.cli.backup", "Replace the database with a backup FILE (stop the bot first)"),
}


# Commands that act on a plan: `--agency NAME|ID` picks whose (bot.cli.common `agency_argument`).
AGENCY_SCOPED = {"invite", "assign", "budget-plan", "summary", "export", "realisasi", "renstra", "evidence"}

# Commands that do not open the configured database (the demo makes its own).
NO_DATABASE = {"calendar", "demo"}

# Optional dependencies a command needs, and how to install them (a server installs only `-e .`).
OPTIONAL = {"fake_telegram": "the fake Telegram server: .venv/bin/pip install -e packages/fake-telegram -e '.[demo]'"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rapk", description="RAPK Bot command line")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = (exc.name or "").partition(".")[0]
            if exc.name != module_name and missing not in OPTIONAL:
                raise
            # Only this command is unavailable; every other one still works.
            sp.set_defaults(_unavailable=f"needs {OPTIONAL[missing]}" if missing in OPTIONAL
                            else "not available in this build")
            continue
        getattr(module, f"add_arguments_{name.replace('-', '_')}")(sp)
        if name in AGENCY_SCOPED and not any(a.dest == "agency" for a in sp._actions):
            agency_argument(sp)
        sp.set_defaults(_handler=getattr(module, f"cmd_{name.replace('-', '_')}"))
    return parser


class RedactingStream(io.TextIOBase):
    """A text stream that drops the bot token from everything written through it."""

    def __init__(self, inner, secrets: tuple[str, ...]):
        self.inner, self.secrets = inner, secrets

    def write(self, text: str) -> int:
        self.inner.write(redact(text, *self.secrets))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    @property
    def encoding(self):
        return getattr(self.inner, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.inner.fileno()


def _secrets() -> tuple[str, ...]:
    """The configured token and webhook secret, even when the rest of the configuration is invalid."""
    from dotenv import dotenv_values

    from bot.config import rapk_home

    values = {**dotenv_values(rapk_home() / ".env"), **os.environ}
    return tuple(v for k in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET_TOKEN") if (v := values.get(k)))


def describe_failure(command: str, exc: BaseException) -> tuple[str, int]:
    """One line and an exit code for what stopped a command (2: fix the set-up; 1: a bug)."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import NoSuchModuleError

    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, ConfigError):
        return str(exc), 2
    try:
        from telegram.error import InvalidToken
        from telegram.error import TelegramError
    except ModuleNotFoundError:  # pragma: no cover - telegram is a dependency
        InvalidToken = TelegramError = ()  # noqa: N806
    if isinstance(exc, InvalidToken):
        return "configuration error: TELEGRAM_BOT_TOKEN: rejected by Telegram (check the token from @BotFather)", 2
    if isinstance(exc, TelegramError):
        return (f"rapk {command}: Telegram unreachable or answering wrongly ({first}); "
                "check TELEGRAM_BASE_URL and the network"), 2
    if isinstance(exc, DBAPIError):
        url = _database_label()
        orig = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        return f"rapk {command}: database {url} unreachable or failing: {orig}".replace("  ", " "), 2
    if isinstance(exc, NoSuchModuleError):
        return f"configuration error: DATABASE_URL: {first}", 2
    if isinstance(exc, OSError):
        return f"rapk {command}: {first}", 2
    return f"rapk {command}: unexpected error {type(exc).__name__}: {first} (RAPK_TRACEBACK=1 shows where)", 1


def _database_label() -> str:
    """The configured database, password hidden."""
    from sqlalchemy.engine import make_url

    try:
        from bot.config import load_settings

        return make_url(load_settings().database_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only a label for an error line
        return ""


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # `rapk plan | head`: the reader took what it wanted. No error line; what is left unwritten goes
        # nowhere (Python's advice), and the exit code is a shell's for a closed pipe, 128 + SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if getattr(args, "_unavailable", None):  # whatever its options, say what is missing
        print(f"rapk {args.command}: {args._unavailable}", file=sys.stderr)
        return 2
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")  # as parse_args does
    secrets = _secrets()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(sys.stdout, secrets), RedactingStream(sys.stderr, secrets)
    try:
        if args.command not in NO_DATABASE:
            label = _database_label()
            if label:  # not when the configuration is invalid: the command says what is wrong
                print(f"rapk: database {label}", file=sys.stderr)
        with agency_pinned(args.command, getattr(args, "agency", None) if args.command in AGENCY_SCOPED else None):
            return int(args._handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise
    except SystemExit as exc:
        if isinstance(exc.code, str):  # a one-line refusal
            print(redact(exc.code, *secrets), file=sys.stderr)
            return 2
        raise
    except Exception as exc:  # noqa: BLE001 - an operator gets one line, never a traceback
        if os.environ.get("RAPK_TRACEBACK"):
            import traceback

            traceback.print_exc()
        line, code = describe_failure(args.command, exc)
        print(redact(line, *secrets), file=sys.stderr)
        return code
    finally:
        sys.stdout, sys.stderr = saved
        sys.stdout.flush()
        sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
