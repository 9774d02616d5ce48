"""`rapk backup FILE` and `rapk restore FILE`, on SQLite and on PostgreSQL.

SQLite goes through its online backup API both ways, so a backup is consistent while the bot runs
and a restore replaces the pages through SQLite itself: a -wal file left behind cannot bring newer
rows back (copying the file over could). PostgreSQL uses pg_dump's custom format; a restore turns
it into SQL with pg_restore --clean --if-exists --no-owner --no-privileges and runs that with psql in
one transaction, after dropping the bot's tables the database has (a newer version's too), so it
works into a fresh database, over the same one, and over one an upgrade has migrated since.

A restore first checks that FILE is a backup of a RAPK database of the configured kind; anything
else (an empty file, another SQLite file, a PostgreSQL backup given to SQLite) leaves the database
as it was.
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
from sqlmodel import SQLModel

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


def _run(args: list[str], env: dict[str, str], what: str, stdin: str | None = None) -> str:
    """Run a client tool; its output, or one line naming the tool and its first complaint."""
    done = subprocess.run(args, env=env, capture_output=True, text=True, input=stdin, check=False)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[0]
        raise SystemExit(f"rapk {what}: {Path(args[0]).name} failed: {first}")
    return done.stdout


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
            # One self-contained file: in WAL mode merely reading it would leave -wal and -shm files beside it.
            dest.execute("PRAGMA journal_mode=DELETE")
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
    """A row in any table but Alembic's: a database that `rapk migrate` has only just made is still empty."""
    names = [name for name in sa.inspect(engine).get_table_names() if name != "alembic_version"]
    with engine.connect() as conn:
        return any(conn.execute(sa.select(sa.literal(1)).select_from(sa.table(name)).limit(1)).first()
                   for name in names)


def _not_a_backup(source: Path, kind: str) -> SystemExit:
    other = "PostgreSQL" if kind == "SQLite" else "SQLite"
    return SystemExit(f"rapk restore: {source} is not a `rapk backup` of a {kind} database "
                      f"(a {other} backup restores only into {other}); nothing was changed")


def _sqlite_source(source: Path) -> str:
    """A read-only URI of the backup, refused unless it is a SQLite RAPK database."""
    uri = source.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        tables = set()
    if "alembic_version" not in tables:  # an empty file is a valid, empty SQLite database
        raise _not_a_backup(source, "SQLite")
    return uri


def _archive_tables(source: Path, env: dict[str, str]) -> set[str]:
    """The tables in a pg_dump archive; refused unless it is an archive of a RAPK database."""
    done = subprocess.run(["pg_restore", "--list", str(source)], env=env, capture_output=True, text=True,
                          check=False)
    # Lines like `214; 1259 205514 TABLE public agency rapk`.
    tables = {parts[5] for line in done.stdout.splitlines()
              if not line.startswith(";") and len(parts := line.split()) > 5 and parts[3] == "TABLE"}
    if done.returncode != 0 or "alembic_version" not in tables:
        raise _not_a_backup(source, "PostgreSQL")
    return tables


def _restore_postgresql(engine, url: URL, source: Path, kept: set[str]) -> None:
    inspector = sa.inspect(engine)
    schema, current = inspector.default_schema_name, set(inspector.get_table_names())
    engine.dispose()
    _, env = _pg_command("pg_restore", url)
    script = _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--file=-",
                   str(source)], env, "restore")
    quote = engine.dialect.identifier_preparer.quote
    # The bot's tables go first, with what depends on them: a newer version's tables would stay otherwise
    # (the migration after the restore would trip on them), and so would a newer column's foreign key on
    # an old table, which --clean cannot drop around (program.goal_indicator_id holds goalindicator's key).
    # Only the bot's: the backup's tables and the models' (another program's tables in the schema stay).
    ours = kept | set(SQLModel.metadata.tables) | {"alembic_version"}
    drops = "".join(f"DROP TABLE IF EXISTS {quote(schema)}.{quote(name)} CASCADE;\n"
                    for name in sorted(current & ours))
    psql, env = _pg_command("psql", url)
    env["PGOPTIONS"] = "-c client_min_messages=warning"  # not a NOTICE per DROP ... IF EXISTS
    _run([*psql, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", "--file=-"], env,
         "restore", stdin=drops + script)


def cmd_restore(args: argparse.Namespace) -> int:
    settings = load_settings()
    url = make_url(settings.database_url)
    label = url.render_as_string(hide_password=True)
    source: Path = args.file
    if not source.is_file():
        print(f"rapk restore: {source} is not a file", file=sys.stderr)
        return 2
    sqlite = url.get_backend_name() == "sqlite"
    # What FILE is, before anything is touched.
    backup_uri = _sqlite_source(source) if sqlite else None
    kept = set() if sqlite else _archive_tables(source, _pg_command("pg_restore", url)[1])
    engine = make_engine(settings.database_url)
    if _holds_data(engine) and not args.force:
        print(f"rapk restore: {label} already holds data; stop the bot and add --force to replace it",
              file=sys.stderr)
        return 2
    if sqlite:
        engine.dispose()
        backup = sqlite3.connect(backup_uri, uri=True)
        dest = sqlite3.connect(_sqlite_path(url))
        try:
            backup.backup(dest)
        finally:
            dest.close()
            backup.close()
    else:
        _restore_postgresql(engine, url, source, kept)
    engine = make_engine(settings.database_url)
    migrate(engine)  # a backup of an older version is brought to this version's schema
    engine.dispose()
    print(f"restored {source} into {label}")
    return 0
