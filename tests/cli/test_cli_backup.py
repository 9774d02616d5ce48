"""`rapk backup FILE` and `rapk restore FILE`: a round trip on SQLite and on PostgreSQL."""

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic import command

from bot.cli import main
from bot.db import alembic_config
from bot.db import make_engine
from bot.db import unit_of_work
from bot.domain.plan_import import SAMPLE_PLAN
from models import Person

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _counts(url):
    engine = make_engine(url)
    # Plain SQL, not the models: the database may be one migration older than they are.
    with engine.connect() as conn:
        result = (conn.execute(sa.text("SELECT COUNT(*) FROM kegiatan")).scalar_one(),
                  sorted(conn.execute(sa.text("SELECT name FROM person")).scalars()))
    engine.dispose()
    return result


def _revision(url):
    engine = make_engine(url)
    with engine.connect() as conn:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    return revision


def _one_version_older(url):
    """The database as the previous version of the bot left it: the newest migration undone."""
    engine = make_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "-1")
    engine.dispose()


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


def _refused(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "nothing was changed" in err, err
    return err


def test_sqlite_restore_checks_the_file_and_needs_no_force_into_a_database_only_migrated(tmp_path, monkeypatch,
                                                                                        capsys):
    url = f"sqlite:///{tmp_path}/rapk.sqlite3"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["import", str(SAMPLE_PLAN)]) == 0
    _add_person(url, "Budi Santoso").dispose()
    backup = tmp_path / "backup" / "rapk.db"
    assert main(["backup", str(backup)]) == 0
    saved = _counts(url)
    # Anything that is not a SQLite RAPK backup is refused and the database stays as it was: an empty file (a
    # valid, empty SQLite database), a text file, a SQLite file of something else.
    (tmp_path / "empty.db").write_bytes(b"")
    (tmp_path / "notes.db").write_text("not a database")
    other = sa.create_engine(f"sqlite:///{tmp_path}/other.db")
    with other.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    other.dispose()
    for name in ("empty.db", "notes.db", "other.db"):
        assert "a PostgreSQL backup restores only into PostgreSQL" in _refused(capsys, "restore", "--force",
                                                                               str(tmp_path / name))
        assert _counts(url) == saved
    # The backup is one file: restoring from it leaves no -wal or -shm beside it.
    assert main(["restore", "--force", str(backup)]) == 0
    assert sorted(p.name for p in backup.parent.iterdir()) == ["rapk.db"]

    # A new installation: `rapk migrate` made the tables, nothing is in them, so no --force is needed.
    fresh = f"sqlite:///{tmp_path}/new/rapk.sqlite3"
    monkeypatch.setenv("DATABASE_URL", fresh)
    assert main(["migrate"]) == 0
    capsys.readouterr()
    assert main(["restore", str(backup)]) == 0, capsys.readouterr().err
    assert _counts(fresh) == saved


def test_postgresql_restore_of_an_older_version_over_a_migrated_database(tmp_path, monkeypatch, capsys,
                                                                         fresh_pg_databases):
    """Yesterday's backup, restored after an upgrade: the newer tables go, the migration brings them back."""
    source, target = fresh_pg_databases
    monkeypatch.setenv("DATABASE_URL", source)
    assert main(["import", str(SAMPLE_PLAN)]) == 0
    _add_person(source, "Budi Santoso").dispose()
    head = _revision(source)
    _one_version_older(source)
    old = tmp_path / "old.dump"
    assert main(["backup", str(old)]) == 0
    saved = _counts(source)

    monkeypatch.setenv("DATABASE_URL", target)  # the upgraded installation, with data of its own
    assert main(["migrate"]) == 0
    _add_person(target, "Newer Person").dispose()
    capsys.readouterr()
    assert main(["restore", "--force", str(old)]) == 0, capsys.readouterr().err
    assert _revision(target) == head
    assert _counts(target) == saved

    # A SQLite backup or an empty file is refused before anything is touched.
    sqlite_backup = tmp_path / "rapk.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/rapk.sqlite3")
    assert main(["migrate"]) == 0 and main(["backup", str(sqlite_backup)]) == 0
    (tmp_path / "empty.dump").write_bytes(b"")
    monkeypatch.setenv("DATABASE_URL", target)
    for path in (sqlite_backup, tmp_path / "empty.dump"):
        assert "a SQLite backup restores only into SQLite" in _refused(capsys, "restore", "--force", str(path))
        assert _counts(target) == saved
