"""Engine, sessions and migrations. SQLite file by default, PostgreSQL through DATABASE_URL."""

from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlmodel import Session
from sqlmodel import SQLModel
from sqlmodel import create_engine
from sqlmodel import select

import models  # noqa: F401  (registers every table on the metadata)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Set in a pooled SQLite connection's info while a migration has its foreign keys off.
FOREIGN_KEYS_OFF = "rapk_foreign_keys_off"


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; for SQLite make the file's folder and turn on FKs, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "checkin")
        def _foreign_keys_back_on(dbapi_conn, record):
            # A migration turns them off on its connection and says so (migrations/env.py); no pooled one
            # keeps that. Only that one: a pragma on every checkin cost 3% of a busy bot's CPU.
            if record is None or record.info.pop(FOREIGN_KEYS_OFF, False):
                dbapi_conn.execute("PRAGMA foreign_keys=ON")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One session per unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def among(column, ids: Iterable[int]):
    """`column IN (ids)` with the ids written into the SQL text at execution time.

    For the hundreds of ids of a dispatcher chunk: bound one by one, psycopg would re-parse a statement
    with hundreds of placeholders on every execution. Only for integer ids (they are rendered as
    literals); the statement itself stays in SQLAlchemy's compiled cache.
    """
    return column.in_(bindparam("ids", [int(i) for i in ids], type_=column.type, expanding=True,
                                literal_execute=True, unique=True))


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _dialect(executor: Session | Connection, what: str) -> str:
    """The database's dialect name (from a Session or a Connection), one that `what` is written for."""
    dialect = executor.dialect.name if isinstance(executor, Connection) else executor.get_bind().dialect.name
    if dialect not in _INSERTS:
        raise NotImplementedError(f"{what} is not implemented for {dialect}")
    return dialect


@lru_cache(maxsize=256)
def _conflict_statement(dialect: str, table: Table, columns: tuple[str, ...], conflict: tuple[str, ...],
                        update: bool):
    """One statement object per table, columns and key: executed with its rows as parameters, so SQLAlchemy
    neither builds it again nor computes its cache key again (building took most of a one-row write)."""
    stmt = _INSERTS[dialect](table)
    if update:
        return stmt.on_conflict_do_update(index_elements=list(conflict),
                                          set_={c: stmt.excluded[c] for c in columns if c not in conflict})
    return stmt.on_conflict_do_nothing(index_elements=list(conflict)).returning(table.c.id)


def insert_ignore(session: Session | Connection, model: type[SQLModel], rows: Sequence[dict[str, Any]],
                  conflict_columns: Sequence[str]) -> int:
    """Insert rows, skipping those that hit the unique key; returns how many were inserted."""
    dialect = _dialect(session, "insert-ignore")
    if not rows:
        return 0
    # One executemany: SQLAlchemy batches it into multi-row INSERTs ("insertmanyvalues") from one cached
    # statement, and RETURNING yields only the rows that were inserted.
    stmt = _conflict_statement(dialect, model.__table__, (), tuple(conflict_columns), False)  # type: ignore[attr-defined]
    return len(session.execute(stmt, list(rows)).all())


def claim_rows(session: Session, model: type[SQLModel], column: str, ids: Iterable[int], fixed: dict[str, Any],
               defaults: dict[str, Any]) -> tuple[dict[int, Any], int]:
    """The rows of `model` whose `column` is one of `ids` and whose `fixed` columns have those values, created
    (with `defaults`) where missing and locked for this transaction: ({id: row}, how many were created).

    Two statements whatever the number of rows: the insert (concurrent writers meet on one row, the second
    waiting for the first's) and the locking read, in id order, so two writers take their locks in one order.
    On SQLite the insert takes the write lock, held to the commit: the caller's later writes, flushed
    together, keep few statements between the two."""
    ids = sorted(set(ids))
    if not ids:
        return {}, 0
    owner = getattr(model, column)
    created = insert_ignore(session, model, [{column: i, **fixed, **defaults} for i in ids], [column, *fixed])
    query = (select(model).where(owner.in_(ids), *(getattr(model, c) == v for c, v in fixed.items()))
             .order_by(owner).with_for_update().execution_options(populate_existing=True))
    return {getattr(row, column): row for row in session.exec(query)}, created


def upsert(session: Session | Connection, model: type[SQLModel], row: dict[str, Any],
           conflict_columns: Sequence[str]) -> None:
    """Insert a row or, when it hits the unique key, overwrite the other columns (safe under races)."""
    upsert_all(session, model, [row], conflict_columns)


def upsert_all(session: Session | Connection, model: type[SQLModel], rows: Sequence[dict[str, Any]],
               conflict_columns: Sequence[str]) -> None:
    """`upsert` of rows with the same columns, as one executemany: each row in turn, so a key given twice
    ends as its last row."""
    dialect = _dialect(session, "upsert")
    if rows:
        stmt = _conflict_statement(dialect, model.__table__, tuple(rows[0]), tuple(conflict_columns), True)  # type: ignore[attr-defined]
        session.execute(stmt, list(rows))
