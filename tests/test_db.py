"""The schema comes from migrations, and the migrations match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel
from sqlmodel import select

from bot.db import unit_of_work
from models import Agency


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
