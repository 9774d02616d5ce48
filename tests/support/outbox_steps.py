"""Reminder and outbox steps: the TW II 2020 reminder moments, ticks that send, what a chat received."""

from datetime import UTC
from datetime import datetime

from sqlmodel import select

from bot.db import unit_of_work
from jobs.reminders import dispatch
from jobs.reminders import run_tick
from models import Aksi
from models import AksiTarget
from models import Kegiatan
from models import PeriodLock
from models import Person
from models import PicAssignment
from models import Reminder
from tests.support.builders import PlanBuilder
from tests.support.builders import parse_target
from tests.support.builders import report
from tests.support.harness import WIB

H7 = datetime(2020, 6, 23, 8, 0, tzinfo=WIB)  # TW II 2020: H-7 Tue 23 Jun, H-3 Fri 26 Jun, H-1 Mon 29 Jun
H3 = datetime(2020, 6, 26, 8, 0, tzinfo=WIB)
H1 = datetime(2020, 6, 29, 8, 0, tzinfo=WIB)
LATE_LIST_DAY = datetime(2020, 7, 8, 8, 0, tzinfo=WIB)  # deadline Tue 7 Jul, late list Wed 8 Jul
BUDI_KEGIATAN = "Pendidikan dan Pelatihan Teknis"
SARI_KEGIATAN = "Pendidikan Penjurangan Struktural"
BLOCKED_NOTICE = "tidak bisa dihubungi"
FIRST_USER = 700_000  # the Telegram id of make_crowd's first PIC


async def tick_and_send(harness, at: datetime | None = None):
    if at is not None:
        harness.clock.set(at)
    await run_tick(harness.app)
    return await dispatch(harness.app)


def texts(fake, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in fake.messages_to(chat_id)]


def statuses(engine) -> dict[tuple[int, str], str]:
    with unit_of_work(engine) as session:
        return {(r.person_id, r.kind): r.status for r in session.exec(select(Reminder))}


def set_person(engine, person_id: int, **fields) -> None:
    with unit_of_work(engine) as session:
        person = session.get(Person, person_id)
        for name, value in fields.items():
            setattr(person, name, value)


def report_all(engine, small_plan, index: int, quarter: int = 2) -> None:
    with unit_of_work(engine) as session:
        kegiatan = session.get(Kegiatan, small_plan["kegiatan"][index])
        report(session, kegiatan, quarter, datetime(2020, 6, 24, tzinfo=UTC))


async def said(fake, user, text):
    before = len(fake.messages_to(user))
    if text.startswith("/"):
        command, _, args = text.partition(" ")
        fake.send_command(user, command, args=args or None)
    else:
        fake.send_message(user, text)
    await fake.wait_idle()
    return "\n---\n".join(texts(fake, user)[before:])


def make_crowd(engine, n: int) -> dict[int, int]:
    """n PICs (Telegram ids FIRST_USER…), one kegiatan each with an aksi due in TW II; TW I locked.
    Returns telegram id → person id."""
    with unit_of_work(engine) as session:
        b = PlanBuilder(session)
        people = [Person(name=f"PIC {i:03d}", telegram_user_id=FIRST_USER + i) for i in range(n)]
        kegiatan = [Kegiatan(plan_id=b.plan.id, program_id=b.program.id, seq=i + 1, no=str(i + 1),
                             name=f"Kegiatan {i:03d}") for i in range(n)]
        session.add_all([*people, *kegiatan])
        session.flush()
        aksi = [Aksi(kegiatan_id=k.id, no=1, name="Pelaksanaan kegiatan", indicator="Persentase") for k in kegiatan]
        session.add_all(aksi)
        session.flush()
        session.add_all([AksiTarget(aksi_id=a.id, quarter=q, **parse_target("50%" if q == 2 else ""))
                         for a in aksi for q in range(1, 5)])
        session.add_all([PicAssignment(person_id=p.id, kegiatan_id=k.id)
                         for p, k in zip(people, kegiatan, strict=True)])
        session.add(PeriodLock(plan_id=b.plan.id, quarter=1))
        return {p.telegram_user_id: p.id for p in people}
