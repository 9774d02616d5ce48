"""A database written by the release before agencies (migration 0011) migrates to head and keeps every
row, on SQLite and on PostgreSQL (tests/fixtures/release-0011.sqlite3; how it was made: its generator)."""

from tests.support.migrations import upgrade_to_head
from tests.support.release_db import release_rows
from tests.support.release_db import release_tables


def test_release_database_upgrades_keeping_every_row(release_engine):
    tables = release_tables()
    before = release_rows(release_engine, tables)
    assert len(before["person"]) == 11 and len(before["aksirealisation"]) == 150  # the fixture is what we think
    assert all(before[name] for name in ("reminder", "reportreview", "periodlock", "evidence", "leadershipresponse",
                                         "invite", "auditlog", "outcomeassignment", "renstrafigure"))
    upgrade_to_head(release_engine)
    after = release_rows(release_engine, tables)
    for name in tables:
        assert after[name] == before[name], name
