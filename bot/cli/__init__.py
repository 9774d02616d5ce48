"""The `rapk` command line. Each subcommand lives in its own module and is imported when used."""

import argparse
import importlib
import sys

from bot.config import ConfigError

# name -> (module, function, help); each module also has add_arguments_<name>(parser).
COMMANDS: dict[str, tuple[str, str]] = {
    "import": ("bot.cli.plan", "Import a RAPK plan file (tab-separated text or .xlsx)"),
    "plan": ("bot.cli.plan", "Print the stored plan as a tree"),
    "migrate": ("bot.cli.ops", "Apply database migrations"),
    "run": ("bot.cli.ops", "Run the bot (long polling, or webhook when WEBHOOK_URL is set)"),
    "invite": ("bot.cli.people", "Print a one-time onboarding link for a person"),
    "assign": ("bot.cli.people", "Assign a person as PIC of a kegiatan"),
    "calendar": ("bot.cli.calendar", "Print the reporting calendar of a year"),
    "summary": ("bot.cli.reports", "Print the leadership digest of a quarter"),
    "export": ("bot.cli.reports", "Write the quarterly evaluation workbook (.xlsx)"),
    "audit": ("bot.cli.ops", "Print the audit log"),
    "demo": ("bot.cli.demo", "Play one quarter end to end against the fake Telegram server"),
    "doctor": ("bot.cli.ops", "Check configuration, database, token and chats"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rapk", description="RAPK Bot command line")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            sp.set_defaults(_unavailable=module_name)
            continue
        getattr(module, f"add_arguments_{name}")(sp)
        sp.set_defaults(_handler=getattr(module, f"cmd_{name}"))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_unavailable", None):
        print(f"rapk {args.command}: not available in this build", file=sys.stderr)
        return 2
    try:
        return int(args._handler(args) or 0)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
