"""Engine, sessions and migrations. SQLite file by default, PostgreSQL through DATABASE_URL."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, create_engine

import models  # noqa: F401  (registers every table on the metadata)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


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


INSERT_CHUNK = 500


def insert_ignore(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]],
                  conflict_columns: Sequence[str]) -> int:
    """Insert rows, skipping those that hit the unique key; returns how many were inserted."""
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise NotImplementedError(f"insert-ignore is not implemented for {dialect}")
    table = model.__table__  # type: ignore[attr-defined]
    created = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        stmt = (insert(table).values(list(rows[start:start + INSERT_CHUNK]))
                .on_conflict_do_nothing(index_elements=list(conflict_columns)).returning(table.c.id))
        created += len(session.execute(stmt).all())
    return created
