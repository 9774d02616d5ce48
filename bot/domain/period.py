"""Which plan the bot serves, and small plan look-ups shared by handlers and jobs."""

from sqlmodel import Session, select

from bot.domain.people import kegiatan_of_person
from models import Agency, Kegiatan, Plan, Program


def current_plan(*, session: Session, agency_name: str | None = None, year: int | None = None) -> Plan | None:
    """The configured agency's plan for the configured year; by default the newest plan imported."""
    query = select(Plan).join(Agency, Agency.id == Plan.agency_id)
    if agency_name:
        query = query.where(Agency.name == agency_name)
    if year:
        query = query.where(Plan.year == year)
    return session.exec(query.order_by(Plan.year.desc(), Plan.id.desc())).first()


def home_summary(person_id: int | None, *, session: Session, agency_name: str | None = None,
                 year: int | None = None) -> dict:
    """What /start shows: the plan year served and the names of the person's kegiatan in it."""
    plan = current_plan(session=session, agency_name=agency_name, year=year)
    kegiatan = []
    if person_id is not None and plan is not None:
        kegiatan = [k.name for k in kegiatan_of_person(person_id, session=session, plan_id=plan.id)]
    return {"plan_year": plan.year if plan else None, "kegiatan": kegiatan}


def programs_of(plan_id: int, *, session: Session) -> list[Program]:
    return list(session.exec(select(Program).where(Program.plan_id == plan_id).order_by(Program.seq)).all())


def kegiatan_of_program(program_id: int, *, session: Session) -> list[Kegiatan]:
    return list(session.exec(select(Kegiatan).where(Kegiatan.program_id == program_id).order_by(Kegiatan.seq)).all())


def find_kegiatan(plan_id: int, ref: str, *, session: Session) -> list[Kegiatan]:
    """Kegiatan by document order number (`12`) or by a case-insensitive part of the name."""
    query = select(Kegiatan).where(Kegiatan.plan_id == plan_id)
    if ref.strip().isdigit():
        return list(session.exec(query.where(Kegiatan.seq == int(ref))).all())
    rows = session.exec(query.order_by(Kegiatan.seq)).all()
    needle = ref.strip().casefold()
    exact = [k for k in rows if k.name.casefold() == needle]
    return exact or [k for k in rows if needle in k.name.casefold()]
