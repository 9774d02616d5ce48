"""Which plan and quarter the bot serves at a moment, and small plan look-ups shared by handlers and jobs.

The served period (one rule for /lapor, /status, reminders, digests, /ringkasan, /ekspor, the admin
console, /start and the CLI): the reporting quarter at `now` — the quarter whose reporting window is
open (bot.domain.calendar: from its first reminder day until the next quarter's window opens) —
decides the year, so in January TW IV of last year is served. Its plan is the configured agency's
(AGENCY_NAME) plan of that year. PLAN_YEAR, when set, pins the plan. Without a plan of the
reporting year the previous quarter's plan is served (its TW IV is still chased while unlocked),
else the plan nearest in time (the newest earlier one, else the oldest later one). A pinned or
fallback plan of another year serves its nearest quarter (TW IV of an earlier year, TW I of a later one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session
from sqlmodel import select

from bot.domain.calendar import ReportingCalendar
from bot.domain.locks import open_quarters
from bot.domain.numbers import parse_reference
from bot.domain.people import kegiatan_of_person
from models import Agency
from models import Kegiatan
from models import Plan
from models import Program
from models.base import as_utc

if TYPE_CHECKING:
    from bot.config import Settings


def _agency_plan(*, session: Session, agency_name: str | None = None, year: int | None = None) -> Plan | None:
    """The configured agency's plan of `year`; without a year the newest plan imported."""
    query = select(Plan).join(Agency, Agency.id == Plan.agency_id)
    if agency_name:
        query = query.where(Agency.name == agency_name)
    if year:
        query = query.where(Plan.year == year)
    return session.exec(query.order_by(Plan.year.desc(), Plan.id.desc())).first()


def _nearest_plan(year: int, *, session: Session, agency_name: str | None) -> Plan | None:
    """The agency's newest plan before `year`, else its oldest one after it."""
    query = select(Plan).join(Agency, Agency.id == Plan.agency_id)
    if agency_name:
        query = query.where(Agency.name == agency_name)
    return (session.exec(query.where(Plan.year < year).order_by(Plan.year.desc(), Plan.id.desc())).first()
            or session.exec(query.where(Plan.year > year).order_by(Plan.year, Plan.id.desc())).first())


@dataclass(frozen=True)
class ServedPeriod:
    """A plan and one of its quarters; `live` when it is the reporting quarter (or the one before it) at the moment."""

    plan: Plan
    quarter: int
    live: bool = True

    @property
    def year(self) -> int:
        return self.plan.year


def _calendar(settings: Settings, calendar: ReportingCalendar | None) -> ReportingCalendar:
    return calendar or ReportingCalendar.from_settings(settings)


def reporting_periods(*, session: Session, settings: Settings, now: datetime,
                      calendar: ReportingCalendar | None = None) -> list[ServedPeriod]:
    """What reminders chase and digests are about at `now`: the reporting quarter, then the one before it
    (still chased while unlocked), each with its year's plan; a quarter of a year without a plan (or not
    the pinned PLAN_YEAR) is left out."""
    calendar = _calendar(settings, calendar)
    current = calendar.reporting_quarter(as_utc(now))
    periods = []
    for year, quarter in (current, calendar.previous_quarter(*current)):
        if settings.plan_year and year != settings.plan_year:
            continue
        plan = _agency_plan(session=session, agency_name=settings.agency_name, year=year)
        if plan is not None:
            periods.append(ServedPeriod(plan, quarter))
    return periods


def served_period(*, session: Session, settings: Settings, now: datetime,
                  calendar: ReportingCalendar | None = None) -> ServedPeriod | None:
    """The plan and quarter PICs report on, reminders are about and leadership reads by default at `now`."""
    periods = reporting_periods(session=session, settings=settings, now=now, calendar=calendar)
    if periods:
        return periods[0]
    year, quarter = _calendar(settings, calendar).reporting_quarter(as_utc(now))
    if settings.plan_year:
        plan = _agency_plan(session=session, agency_name=settings.agency_name, year=settings.plan_year)
    else:
        plan = _nearest_plan(year, session=session, agency_name=settings.agency_name)
    if plan is None:
        return None
    return ServedPeriod(plan, quarter if plan.year == year else 4 if plan.year < year else 1, live=False)


def served_plan(*, session: Session, settings: Settings, now: datetime,
                calendar: ReportingCalendar | None = None) -> Plan | None:
    """The plan of the served period (what the admin console browses and changes)."""
    period = served_period(session=session, settings=settings, now=now, calendar=calendar)
    return period.plan if period else None


def served_plans(*, session: Session, settings: Settings, now: datetime,
                 calendar: ReportingCalendar | None = None) -> list[ServedPeriod]:
    """Every period leadership may read at `now`, the default (served_period) first."""
    periods = reporting_periods(session=session, settings=settings, now=now, calendar=calendar)
    if periods:
        return periods
    period = served_period(session=session, settings=settings, now=now, calendar=calendar)
    return [period] if period else []


def earlier_open_quarters(period: ServedPeriod, *, session: Session, shown: int | None = None) -> list[int]:
    """The served plan's quarters before the served one that are not locked: /lapor offers them too
    (`shown`, the quarter on screen, is left out)."""
    return open_quarters(period.plan.id, [q for q in range(1, period.quarter) if q != shown], session=session)


def quarter_served_for(plan_id: int | None, *, session: Session, settings: Settings, now: datetime,
                       calendar: ReportingCalendar | None = None) -> int:
    """The quarter served for a plan at `now` (a reminder's «Lapor sekarang» names only the kegiatan):
    its period among served_plans, else the reporting quarter's number."""
    for period in served_plans(session=session, settings=settings, now=now, calendar=calendar):
        if period.plan.id == plan_id:
            return period.quarter
    return _calendar(settings, calendar).reporting_quarter(as_utc(now))[1]


def home_summary(person_id: int | None, *, session: Session, settings: Settings, now: datetime) -> dict:
    """What /start shows: the plan year served and the names of the person's kegiatan in it."""
    plan = served_plan(session=session, settings=settings, now=now)
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
    if ref.strip().isdigit():  # a number, whatever its script: only one a database integer holds can match
        seq = parse_reference(ref)
        return list(session.exec(query.where(Kegiatan.seq == seq)).all()) if seq is not None else []
    rows = session.exec(query.order_by(Kegiatan.seq)).all()
    needle = ref.strip().casefold()
    exact = [k for k in rows if k.name.casefold() == needle]
    return exact or [k for k in rows if needle in k.name.casefold()]
