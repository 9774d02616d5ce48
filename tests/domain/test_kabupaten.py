"""The kabupaten view (bot.domain.kabupaten): two small OPD plans, every figure worked out by hand in
tests/support/kabupaten.py, and onboarding an OPD."""

from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.config import load_settings
from bot.db import unit_of_work
from bot.domain.kabupaten import add_agency
from bot.domain.kabupaten import agency_lines
from bot.domain.kabupaten import rekap
from bot.domain.kabupaten import set_kabupaten
from bot.domain.people import Refused
from bot.domain.people import Role
from bot.domain.people import redeem_invite
from bot.domain.people import resolve_actor
from bot.domain.period import served_period
from models import Agency
from models import AuditLog
from models import Person
from tests.support.kabupaten import AFTER_TW1
from tests.support.kabupaten import BAPPEDA_ID
from tests.support.kabupaten import EXPECTED
from tests.support.kabupaten import KAB_ADMIN_ID
from tests.support.kabupaten import KABUPATEN
from tests.support.kabupaten import OPD_A
from tests.support.kabupaten import OPD_B
from tests.support.kabupaten import OPD_C
from tests.support.kabupaten import make_kabupaten
from tests.support.migrations import downgrade_to
from tests.support.migrations import upgrade_to_head
from tests.support.plans import snapshot


@pytest.fixture
def kabupaten(engine):
    with unit_of_work(engine) as session:
        return make_kabupaten(session)


def test_rekap_rows_and_kabupaten_figures_by_hand(engine, kabupaten):
    with unit_of_work(engine) as session:
        result = rekap(session=session, settings=load_settings(), now=AFTER_TW1)
    assert result.quarter == 1
    assert [r.agency for r in result.rows] == [OPD_A, OPD_B, OPD_C]
    for row in result.rows[:2]:
        want = EXPECTED[row.agency]
        got = {"rank": row.rank, "iku": row.iku_pct, "aksi": row.aksi_pct, "absorption": row.absorption,
               "pagu": row.pagu, "realised": row.realised, "due": row.kegiatan_due, "reported": row.kegiatan_reported,
               "completeness": row.completeness, "accepted": row.verification.accepted,
               "pending": row.verification.pending}
        assert got == want, row.agency
        assert (row.year, row.quarter) == (2020, 1)
    c = result.rows[2]
    assert (c.rank, c.plan_id, c.iku_pct, c.completeness) == (None, None, None, None)
    t = result.totals
    assert (t.opd, t.with_plan) == (3, 2)
    assert {"iku": t.iku_pct, "aksi": t.aksi_pct, "absorption": t.absorption, "completeness": t.completeness,
            "pagu": t.pagu, "realised": t.realised, "accepted": t.verification.accepted,
            "pending": t.verification.pending, "returned": t.verification.returned} == KABUPATEN


def test_rekap_of_another_quarter_scores_that_quarter(engine, kabupaten):
    """TW II asked for: nothing is due in TW II, so no aksi figure, and the TW I money is still absorbed to date."""
    with unit_of_work(engine) as session:
        result = rekap(session=session, settings=load_settings(), now=AFTER_TW1, quarter=2)
    a = result.row(kabupaten[OPD_A]["agency"])
    assert (result.quarter, a.quarter, a.realised, a.absorption) == (2, 2, 25_000_000, D("25.0"))
    assert a.verification.submitted == 0  # the TW I review does not count for TW II


def test_served_period_of_one_agency(engine, kabupaten):
    with unit_of_work(engine) as session:
        settings = load_settings()
        a = served_period(session=session, settings=settings, now=AFTER_TW1, agency_id=kabupaten[OPD_A]["agency"])
        b = served_period(session=session, settings=settings, now=AFTER_TW1, agency_id=kabupaten[OPD_B]["agency"])
        c_id = session.exec(select(Agency.id).where(Agency.name == OPD_C)).one()
        assert (a.plan.id, b.plan.id) == (kabupaten[OPD_A]["plan"], kabupaten[OPD_B]["plan"])
        assert served_period(session=session, settings=settings, now=AFTER_TW1, agency_id=c_id) is None


def test_kabupaten_roles(engine, kabupaten):
    with unit_of_work(engine) as session:
        reader = resolve_actor(BAPPEDA_ID, session=session, admin_ids=[])
        admin = resolve_actor(KAB_ADMIN_ID, session=session, admin_ids=[])
        assert reader.roles == {Role.KABUPATEN}
        assert admin.roles == {Role.KABUPATEN, Role.KABUPATEN_ADMIN}
        set_kabupaten(kabupaten["bappeda"], reader=False, session=session, actor_label="test")
        assert resolve_actor(BAPPEDA_ID, session=session, admin_ids=[]).roles == {Role.STRANGER}
        assert session.exec(select(AuditLog.action).where(AuditLog.entity_id == kabupaten["bappeda"],
                                                          AuditLog.entity == "person")).all() == ["kabupaten.revoke"]


def test_add_agency_makes_its_first_admin_with_an_invite(engine, kabupaten):
    with unit_of_work(engine) as session:
        new = add_agency("  Dinas   Sosial ", "Citra Sosial", session=session, now=AFTER_TW1, ttl_days=7,
                         actor_label="test")
        agency_id, token = new.agency.id, new.invite.token
    with unit_of_work(engine) as session:
        assert redeem_invite(token, telegram_user_id=5200, telegram_username=None, session=session,
                             now=AFTER_TW1).person_name == "Citra Sosial"
        person = session.exec(select(Person).where(Person.telegram_user_id == 5200)).one()
        assert (person.is_admin, person.agency_id) == (True, agency_id)
        assert resolve_actor(5200, session=session, admin_ids=[]).has(Role.ADMIN)
        line = next(a for a in agency_lines(session=session) if a.id == agency_id)
        assert (line.name, line.years, line.admins, line.admins_onboarded) == ("Dinas Sosial", (), ("Citra Sosial",), 1)


@pytest.mark.parametrize(("name", "admin", "code"), [
    ("dinas kesehatan", "Dewi", "opd_exists"), ("  ", "Dewi", "opd_name"), ("Dinas Baru", "", "opd_admin_name"),
    ("D" * 301, "Dewi", "opd_name")])
def test_add_agency_refusals_change_nothing(engine, kabupaten, name, admin, code):
    before = snapshot(engine)
    with pytest.raises(Refused) as refused, unit_of_work(engine) as session:
        add_agency(name, admin, session=session, now=AFTER_TW1, ttl_days=7, actor_label="test")
    assert refused.value.code == code
    assert snapshot(engine) == before


def test_migration_0013_keeps_every_person_and_grants_nobody(engine, kabupaten):
    """Before 0013 there is no kabupaten role: every person stays, and after the upgrade nobody holds it."""
    with engine.connect() as conn:
        people = conn.execute(sa.text("SELECT id, name, telegram_user_id, is_admin FROM person ORDER BY id")).all()
    downgrade_to(engine, "0012")
    assert not {"is_kabupaten", "is_kabupaten_admin"} & {c["name"] for c in sa.inspect(engine).get_columns("person")}
    upgrade_to_head(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id, name, telegram_user_id, is_admin FROM person ORDER BY id")).all() == people
        assert conn.execute(sa.text("SELECT COUNT(*) FROM person WHERE is_kabupaten OR is_kabupaten_admin")).scalar() == 0


def test_kabupaten_chart_is_a_png_with_every_opd(engine, kabupaten):
    from bot.domain.kabupaten_chart import kabupaten_chart

    with unit_of_work(engine) as session:
        result = rekap(session=session, settings=load_settings(), now=AFTER_TW1)
    png = kabupaten_chart(result)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_ranking_and_means_leave_out_what_has_no_figure():
    """IKU first, then aksi, then absorption; no IKU figure after every IKU figure; no plan last and unranked.
    Means by hand: IKU (70,0 + 70,0) / 2 = 70,0 (C has none); aksi (90,0 + 60,0 + 80,0) / 3 = 76,7."""
    from bot.domain.kabupaten import OpdRow
    from bot.domain.kabupaten import rank
    from bot.domain.kabupaten import totals

    rows = [OpdRow(1, "A", plan_id=1, iku_pct=D("70.0"), aksi_pct=D("60.0")),
            OpdRow(2, "B", plan_id=2, iku_pct=D("70.0"), aksi_pct=D("90.0")),
            OpdRow(3, "C", plan_id=3, iku_pct=None, aksi_pct=D("80.0")),
            OpdRow(4, "D")]
    assert [(r.agency, r.rank) for r in rank(rows)] == [("B", 1), ("A", 2), ("C", 3), ("D", None)]
    t = totals(rows)
    assert (t.iku_pct, t.aksi_pct, t.absorption, t.completeness, t.with_plan) == (D("70.0"), D("76.7"), None, None, 3)
