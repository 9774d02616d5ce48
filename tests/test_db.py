"""The schema comes from migrations, and the migrations match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel
from sqlmodel import select

from bot.db import make_engine
from bot.db import migrate
from bot.db import unit_of_work
from models import Agency
from models import Person


def test_migrations_match_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_failed_unit_of_work_leaves_database_unchanged(engine):
    try:
        with unit_of_work(engine) as session:
            session.add(Agency(name="BKD"))
            session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with unit_of_work(engine) as session:
        assert session.exec(select(Agency)).all() == []


def test_after_a_migration_every_pooled_connection_refuses_a_broken_reference(tmp_path):
    """A migration runs with SQLite's foreign keys off; the connection it used goes back to the pool with them on."""
    engine = make_engine(f"sqlite:///{tmp_path}/rapk.sqlite3", pool_size=1, max_overflow=0)  # one connection, reused
    migrate(engine)
    for _ in range(2):
        with pytest.raises(IntegrityError), unit_of_work(engine) as session:
            session.add(Person(name="Budi", agency_id=999))  # no such agency
    engine.dispose()
