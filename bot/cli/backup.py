"""`rapk backup FILE` and `rapk restore FILE`, on SQLite and on PostgreSQL.

SQLite goes through its online backup API both ways, so a backup is consistent while the bot runs
and a restore replaces the pages through SQLite itself: a -wal file left behind cannot bring newer
rows back (copying the file over could). PostgreSQL uses pg_dump's custom format and pg_restore
with --clean --if-exists --no-owner --no-privileges in one transaction, so it works into a fresh
database as well as over the same one.
"""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.engine import make_url

from bot.config import load_settings
from bot.db import make_engine
from bot.db import migrate


def _force(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("--force", action="store_true", help=what)


def add_arguments_backup(parser: argparse.ArgumentParser) -> None:
    _force(parser, "overwrite FILE when it exists")


def add_arguments_restore(parser: argparse.ArgumentParser) -> None:
    _force(parser, "replace a database that already holds data (stop the bot first)")


def _sqlite_path(url: URL) -> Path:
    return Path(url.database or "")


def _pg_command(tool: str, url: URL) -> tuple[list[str], dict[str, str]]:
    """The tool with a libpq URI (no password: it goes in PGPASSWORD, not on the command line)."""
    if shutil.which(tool) is None:
        raise SystemExit(f"rapk: {tool} not found; install the PostgreSQL client tools (postgresql-client)")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return [tool, f"--dbname={uri}"], env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[0]
        raise SystemExit(f"rapk {what}: {Path(args[0]).name} failed: {first}")


def cmd_backup(args: argparse.Namespace) -> int:
    settings = load_settings()
    url = make_url(settings.database_url)
    target: Path = args.file
    if target.exists() and not args.force:
        print(f"rapk backup: {target} exists; choose a new file or add --force to overwrite it", file=sys.stderr)
        return 2
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
    else:
        command, env = _pg_command("pg_dump", url)
        _run([*command, "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"], env, "backup")
    partial.replace(target)  # a half-written backup never carries the real name
    print(f"backed up {url.render_as_string(hide_password=True)} to {target} ({target.stat().st_size:,} bytes)")
    return 0


def _holds_data(engine) -> bool:
    return "alembic_version" in sa.inspect(engine).get_table_names()


def cmd_restore(args: argparse.Namespace) -> int:
    settings = load_settings()
    url = make_url(settings.database_url)
    label = url.render_as_string(hide_password=True)
    source: Path = args.file
    if not source.is_file():
        print(f"rapk restore: {source} is not a file", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    if _holds_data(engine) and not args.force:
        print(f"rapk restore: {label} already holds data; stop the bot and add --force to replace it",
              file=sys.stderr)
        return 2
    if url.get_backend_name() == "sqlite":
        engine.dispose()
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dest = sqlite3.connect(_sqlite_path(url))
        try:
            backup.backup(dest)
        finally:
            dest.close()
            backup.close()
    else:
        engine.dispose()
        command, env = _pg_command("pg_restore", url)
        _run([*command, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", str(source)], env, "restore")
    engine = make_engine(settings.database_url)
    migrate(engine)  # a backup of an older version is brought to this version's schema
    engine.dispose()
    print(f"restored {source} into {label}")
    return 0
