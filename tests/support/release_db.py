"""The database the release before agencies wrote (tests/fixtures/release-0011.sqlite3, made by
tests/fixtures/make_release_db.py), on SQLite as it is and on PostgreSQL copied row by row."""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from bot.db import alembic_config
from bot.db import make_engine
from models.base import as_utc

RELEASE_DB = Path(__file__).resolve().parents[1] / "fixtures" / "release-0011.sqlite3"
RELEASE_REVISION = "0011"


def release_tables() -> dict[str, sa.Table]:
    """The release's tables as its file declares them (the columns it had)."""
    engine = make_engine(f"sqlite:///{RELEASE_DB}")
    meta = sa.MetaData()
    meta.reflect(engine)
    engine.dispose()
    return {t.name: t for t in meta.sorted_tables if t.name != "alembic_version"}


def _plain(value):
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, bool):
        return int(value)
    return value


def release_rows(engine, tables: dict[str, sa.Table]) -> dict[str, list[tuple]]:
    """Every row of the release's tables, only the release's columns, in primary-key order, as plain values."""
    out = {}
    with engine.connect() as conn:
        meta = sa.MetaData()
        meta.reflect(conn, only=list(tables))
        for name, table in tables.items():
            live = meta.tables[name]
            columns = [live.c[c.name] for c in table.columns]
            rows = conn.execute(sa.select(*columns).order_by(*[live.c[c.name] for c in table.primary_key]))
            out[name] = [tuple(_plain(v) for v in row) for row in rows]
    return out


def _copy_into(target, tables: dict[str, sa.Table]) -> None:
    """The release file's rows inserted into `target` (migrated to 0011), ids and all; sequences moved on."""
    source = make_engine(f"sqlite:///{RELEASE_DB}")
    with source.connect() as src, target.begin() as dst:
        meta = sa.MetaData()
        meta.reflect(dst, only=list(tables))
        for name, table in tables.items():
            rows = [dict(r._mapping) for r in src.execute(sa.select(table))]
            if rows:
                dst.execute(meta.tables[name].insert(), rows)
            if "id" in table.c and rows:
                dst.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                                    f"(SELECT max(id) FROM \"{name}\"))"))
    source.dispose()


@contextmanager
def release_database(backend: str, tmp_path: Path, pg_base_url: str) -> Iterator[sa.Engine]:
    """An engine on a fresh copy of the release database (at migration 0011)."""
    if backend == "sqlite":
        path = tmp_path / "release.sqlite3"
        shutil.copy(RELEASE_DB, path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    schema = f"up_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(pg_base_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_base_url else "?"
    engine = make_engine(f"{pg_base_url}{sep}options=-csearch_path%3D{schema}")
    try:
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, RELEASE_REVISION)
        _copy_into(engine, release_tables())
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
