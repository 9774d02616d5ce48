"""Shared fixtures: a clean, migrated database per test, on SQLite and on PostgreSQL.

Every test that takes `engine` (or `db_url`) runs twice: once on a SQLite file and once
on PostgreSQL. TEST_DATABASE_URL picks one database instead. Under CI=true an unreachable
PostgreSQL fails the run instead of skipping.
"""

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from bot.db import make_engine
from bot.db import migrate
from bot.db import unit_of_work
from bot.domain.plan_import import SAMPLE_PLAN
from models import PeriodLock

ROOT = Path(__file__).resolve().parent.parent
SEED_PLAN = SAMPLE_PLAN
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _backends() -> list[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return ["postgresql" if url.startswith("postgresql") else "sqlite"]
    return ["sqlite", "postgresql"]


def _pg_base_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else DEFAULT_PG_URL


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file that each test copies (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("dbtemplate") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema_url() -> str:
    """A PostgreSQL schema of our own (per xdist worker), migrated once."""
    base = _pg_base_url()
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable under CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=_backends())
def db_url(request, tmp_path) -> str:
    """URL of a clean, migrated database for this test."""
    if request.param == "sqlite":
        path = tmp_path / "rapk.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_schema_url")
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    for attempt in range(3):
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            break
        except sa.exc.OperationalError as exc:
            # TRUNCATE locks every table at once; autovacuum or ANALYZE from another process can
            # deadlock with it. PostgreSQL picks one side to fail: that side simply tries again.
            if "deadlock detected" not in str(exc) or attempt == 2:
                raise
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def seed_plan_path() -> Path:
    return SEED_PLAN


@pytest.fixture
async def fake():
    """A fake Telegram Bot API server; a test fails if the bot sent anything Telegram would reject."""
    from fake_telegram.server import FakeTelegram

    from tests.support.harness import add_people

    server = FakeTelegram()
    await server.start()
    add_people(server)
    yield server
    await server.stop()
    server.assert_no_violations()


@pytest.fixture
async def small_plan(engine):
    from bot.db import unit_of_work
    from tests.support.factories import make_small_plan

    with unit_of_work(engine) as session:
        return make_small_plan(session)


@pytest.fixture
async def harness(fake, db_url, small_plan):
    """The real bot running against the fake server, on the small plan."""
    from tests.support.harness import BotHarness

    h = BotHarness(fake, db_url)
    await h.start()
    yield h
    await h.stop()


@pytest.fixture
def tw1_locked(engine, small_plan):
    """By June TW I is closed, so only TW II is chased."""
    with unit_of_work(engine) as session:
        session.add(PeriodLock(plan_id=small_plan["plan"], quarter=1))
    return small_plan


@pytest.fixture
def unused_port() -> int:
    """A local port nothing listens on (for "Telegram or the database is unreachable")."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=_backends())
def release_engine(request, tmp_path):
    """The database the release before agencies wrote (migration 0011), on SQLite and on PostgreSQL."""
    from tests.support.release_db import release_database

    try:
        with release_database(request.param, tmp_path, _pg_base_url()) as engine:
            yield engine
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable under CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that timed out waiting for the bot reports, while its bot still runs, what every thread is
    doing and, on PostgreSQL, what each session of the database waits on: the reason is in the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or call.excinfo is None or "not idle" not in str(call.excinfo.value):
        return
    from tests.support.watchdog import thread_stacks

    report.sections.append(("threads when the wait ended", thread_stacks()))
    db_url = item.funcargs.get("db_url")
    if isinstance(db_url, str) and db_url.startswith("postgresql"):
        report.sections.append(("PostgreSQL sessions when the wait ended", _pg_sessions(db_url)))


def _pg_sessions(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT pid, state, wait_event_type, wait_event, pg_blocking_pids(pid), now() - xact_start, "
                "left(query, 300) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'")).all()
        return "\n".join(str(tuple(r)) for r in rows) or "(no busy session)"
    except Exception as exc:  # noqa: BLE001 - a report, not a test
        return f"(not read: {exc})"
    finally:
        engine.dispose()
