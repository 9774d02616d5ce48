"""Many agencies, one bot: a PIC of two OPD sees both, each labelled with its name; each agency's reminder
tick chases its own plan; an agency's own settings (reminder time, days off) are its own."""

from datetime import datetime

import pytest
from sqlmodel import select

from bot.config import load_settings
from bot.db import unit_of_work
from bot.domain.agencies import agency_settings
from bot.domain.calendar import ReportingCalendar
from jobs.reminders import run_tick
from models import Agency
from models import Kegiatan
from models import PicAssignment
from models import Reminder
from tests.support.agencies import B_AGENCY
from tests.support.agencies import B_KEGIATAN
from tests.support.agencies import add_agency_b
from tests.support.harness import PIC_ID
from tests.support.harness import WIB
from tests.support.harness import BotHarness

A_AGENCY = "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK"
H7_TW2 = datetime(2020, 6, 23, 9, 0, tzinfo=WIB)  # TW II 2020's H-7 reminder day


@pytest.fixture
async def budi_in_two(fake, db_url, engine, small_plan):
    """Budi (PIC_ID, of agency A) is PIC of B's second kegiatan too."""
    with unit_of_work(engine) as session:
        add_agency_b(session, fake, small_plan)
        second = session.exec(select(Kegiatan.id).where(Kegiatan.name == B_KEGIATAN[1])).one()
        session.add(PicAssignment(person_id=small_plan["budi"], kegiatan_id=second))
    harness = BotHarness(fake, db_url, now=H7_TW2)
    await harness.start()
    yield harness
    await harness.stop()


async def test_a_pic_of_two_agencies_sees_both_in_status_each_labelled(budi_in_two, fake, engine, small_plan):
    before = len(fake.messages_to(PIC_ID))
    fake.send_command(PIC_ID, "/status")
    await fake.wait_idle()
    texts = [m["text"] for m in fake.messages_to(PIC_ID)[before:]]
    assert [t.splitlines()[:2] for t in texts] == [[f"🏛 {A_AGENCY}", "Status laporan TW II 2020"],
                                                   [f"🏛 {B_AGENCY}", "Status laporan TW II 2020"]]
    assert "Pendidikan dan Pelatihan Teknis" in texts[0] and B_KEGIATAN[1] not in texts[0]
    assert B_KEGIATAN[1] in texts[1] and B_KEGIATAN[0] not in texts[1]  # B's other kegiatan is Zaki's

    await run_tick(budi_in_two.app)  # the H-7 reminders of both agencies' plans
    with unit_of_work(engine) as session:
        rows = session.exec(select(Reminder.plan_id, Reminder.quarter, Reminder.kind)
                            .where(Reminder.person_id == small_plan["budi"])).all()
    # Each agency's plan chases Budi: TW II's H-7, and TW I's overdue reminder (TW I is not locked in either).
    assert sorted(rows) == sorted([(small_plan["plan"], 2, "h-7"), (_plan_of_b(engine), 2, "h-7"),
                                   (small_plan["plan"], 1, "overdue-2020-06-22"),
                                   (_plan_of_b(engine), 1, "overdue-2020-06-22")])


def _plan_of_b(engine) -> int:
    with unit_of_work(engine) as session:
        return session.exec(select(Kegiatan.plan_id).where(Kegiatan.name == B_KEGIATAN[0])).one()


def test_an_agencys_own_schedule_and_days_off_over_the_kabupatens():
    settings = load_settings(_env_file=None, extra_days_off=["2020-08-21"])
    own = Agency(id=7, name="DINAS", reminder_offsets_days="3,7", reminder_time="07:30",
                 extra_days_off="2020-08-26, 2020-12-24", leadership_chat_id=-100900)
    scoped = agency_settings(settings, own)
    assert (scoped.agency_id, scoped.leadership_chat_id, scoped.reminder_offsets_days, str(scoped.reminder_time)) == (
        7, -100900, [7, 3], "07:30:00")
    assert [str(d) for d in scoped.extra_days_off] == ["2020-08-21", "2020-08-26", "2020-12-24"]
    assert agency_settings(settings, Agency(id=8, name="BKD")).model_dump(exclude={"agency_id"}) == \
        settings.model_dump(exclude={"agency_id"})  # an agency of no settings of its own: the kabupaten's
    calendar = ReportingCalendar.from_settings(scoped)
    assert not calendar.is_working_day(datetime(2020, 8, 26).date())
    assert ReportingCalendar.from_settings(settings).is_working_day(datetime(2020, 8, 26).date())


def test_an_admin_changes_roles_only_of_their_own_agencys_people(engine, small_plan):
    from bot.domain.people import person_in_agency
    from models import AgencyMember
    from models import Person

    with unit_of_work(engine) as session:
        b = Agency(name="DINAS LAIN")
        session.add(b)
        session.flush()
        guest = Person(name="Tamu Dinas", agency_id=b.id)
        session.add(guest)
        session.flush()
        session.add(AgencyMember(agency_id=small_plan["agency"], person_id=guest.id))
        session.flush()
        a = small_plan["agency"]
        assert person_in_agency(guest.id, a, session=session)  # a member: seen in A's /pengguna and /pic
        assert not person_in_agency(guest.id, a, session=session, own=True)  # their admin flag is B's
        assert person_in_agency(small_plan["budi"], a, session=session, own=True)
        assert not person_in_agency(small_plan["budi"], b.id, session=session)
