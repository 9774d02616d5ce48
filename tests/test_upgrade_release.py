"""A database written by the release before agencies (migration 0011) migrates to head and keeps every
row, on SQLite and on PostgreSQL (tests/fixtures/release-0011.sqlite3; how it was made: its generator)."""

import sqlalchemy as sa
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.people import resolve_actor
from models import Person
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
    agency_id = before["agency"][0][0]
    assert len(before["agency"]) == 1 and {row[1] for row in before["person"]} == {None}
    # The one change: every person now belongs to the single agency; every other value is as it was.
    assert after["person"] == [(row[0], agency_id, *row[2:]) for row in before["person"]]
    for name in tables:
        if name != "person":
            assert after[name] == before[name], name
    with release_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM agencymember")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM plan WHERE agency_id <> :a"), {"a": agency_id}).scalar() == 0
        agency = conn.execute(sa.text("SELECT leadership_chat_id, reminder_offsets_days, reminder_time, extra_days_off "
                                      "FROM agency")).one()
    assert tuple(agency) == (None, None, None, None)  # the kabupaten's settings (the environment) serve it, as before
    with unit_of_work(release_engine) as session:
        admin = session.exec(select(Person).where(Person.name == "Rina Admin")).one()
        verifier = session.exec(select(Person).where(Person.name == "Vera Verifikator")).one()
        roles = {
            "admin": resolve_actor(9001, session=session, admin_ids=[], admins_verify=False),
            "verifier": resolve_actor(9002, session=session, admin_ids=[], admins_verify=False),
            "pic": resolve_actor(9101, session=session, admin_ids=[], admins_verify=False),
        }
    assert (admin.agency_id, verifier.agency_id) == (agency_id, agency_id)
    assert {k: (a.is_admin, a.is_verifier, a.is_pic, a.agency_id) for k, a in roles.items()} == {
        "admin": (True, False, False, agency_id), "verifier": (False, True, False, agency_id),
        "pic": (False, False, True, agency_id)}
