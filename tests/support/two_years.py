"""The bundled plan loaded as 2020 and as 2021 (two years of one agency), TW I–III of 2020 closed."""

from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.locks import lock_quarter
from bot.domain.plan_import import SAMPLE_PLAN
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.store import save_plan
from models import Kegiatan
from models import Person
from models import PicAssignment
from tests.support.harness import PIC_ID


def load_two_years(engine) -> dict[int, int]:
    """The bundled plan as 2020 and as 2021; Budi (PIC_ID) holds the first kegiatan of both. {year: plan id}."""
    parsed = parse_plan_file(SAMPLE_PLAN)
    with unit_of_work(engine) as session:
        plans = {year: save_plan(parsed, session=session, year=year, actor_label="test").plan_id
                 for year in (2020, 2021)}
        budi = Person(name="Budi Santoso", telegram_user_id=PIC_ID)
        session.add(budi)
        session.flush()
        for plan_id in plans.values():
            first = session.exec(select(Kegiatan).where(Kegiatan.plan_id == plan_id, Kegiatan.seq == 1)).one()
            session.add(PicAssignment(person_id=budi.id, kegiatan_id=first.id))
        for quarter in (1, 2, 3):  # evaluated and closed during 2020
            lock_quarter(plans[2020], quarter, session=session, actor_label="test")
    return plans
