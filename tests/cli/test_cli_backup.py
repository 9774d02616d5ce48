"""`rapk backup FILE` and `rapk restore FILE`: a round trip on SQLite and on PostgreSQL."""

import os
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.cli import main
from bot.db import make_engine
from bot.db import unit_of_work
from bot.domain.plan_import import SAMPLE_PLAN
from models import Kegiatan
from models import Person

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _counts(url):
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        result = (len(session.exec(select(Kegiatan)).all()), sorted(p.name for p in session.exec(select(Person))))
    engine.dispose()
    return result


def _add_person(url, name):
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        session.add(Person(name=name))
    return engine  # kept open: on SQLite its last writes stay in the -wal file


def test_sqlite_round_trip_even_with_a_wal_file_left(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path}/rapk.sqlite3"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["import", str(SAMPLE_PLAN)]) == 0
    _add_person(url, "Budi Santoso").dispose()
    backup = tmp_path / "backup" / "rapk.sqlite3"  # the folder is made
    assert main(["backup", str(backup)]) == 0
    saved = _counts(url)
    assert saved[0] > 0 and saved[1] == ["Budi Santoso"]
    assert main(["backup", str(backup)]) == 2  # never overwritten silently
    assert "--force" in capsys.readouterr().err.strip().splitlines()[-1]

    engine = _add_person(url, "Newer Person")  # after the backup, still in the -wal
    assert (tmp_path / "rapk.sqlite3-wal").exists()
    assert main(["restore", str(backup)]) == 2  # the database holds data: --force required
    assert _counts(url)[1] == ["Budi Santoso", "Newer Person"]
    engine.dispose()
    engine = _add_person(url, "Even Newer")
    assert main(["restore", "--force", str(backup)]) == 0
    engine.dispose()
    assert _counts(url) == saved  # the newer rows are gone, the -wal did not bring them back


@pytest.fixture
def fresh_pg_databases():
    try:
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable under CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    names = [f"rapk_bk_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield [PG_ADMIN.rsplit("/", 1)[0] + f"/{name}" for name in names]
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgresql_round_trip_into_a_fresh_database(tmp_path, monkeypatch, capsys, fresh_pg_databases):
    source, target = fresh_pg_databases
    monkeypatch.setenv("DATABASE_URL", source)
    assert main(["import", str(SAMPLE_PLAN)]) == 0
    _add_person(source, "Budi Santoso").dispose()
    backup = tmp_path / "rapk.dump"
    assert main(["backup", str(backup)]) == 0
    monkeypatch.setenv("DATABASE_URL", target)
    capsys.readouterr()
    assert main(["restore", str(backup)]) == 0, capsys.readouterr().err
    assert "error" not in capsys.readouterr().err.lower()
    assert _counts(target) == _counts(source)
    # Restoring again over the now filled database needs --force, and then works without errors.
    assert main(["restore", str(backup)]) == 2
    _add_person(target, "Newer Person").dispose()
    assert main(["restore", "--force", str(backup)]) == 0, capsys.readouterr().err
    assert _counts(target) == _counts(source)
