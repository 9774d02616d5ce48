"""Which plan and quarter the bot serves at a moment, and small plan look-ups shared by handlers and jobs
(programs, kegiatan by number or name, and the plan's IKU and program indicators with their numbers).

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
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlmodel import Session
from sqlmodel import select

from bot.domain.calendar import ReportingCalendar
from bot.domain.locks import open_quarters
from bot.domain.measure import outcome_due
from bot.domain.numbers import parse_reference
from bot.domain.people import IKU
from bot.domain.people import PROGRAM_INDICATOR
from bot.domain.people import kegiatan_of_person
from bot.domain.people import outcome_holdings
from models import Agency
from models import Goal
from models import GoalIndicator
from models import Kegiatan
from models import Plan
from models import Program
from models import ProgramIndicator
from models.base import as_utc

if TYPE_CHECKING:
    from bot.config import Settings


def _agency_query(agency_name: str | None, agency_id: int | None):
    query = select(Plan).join(Agency, Agency.id == Plan.agency_id)
    if agency_id is not None:
        return query.where(Agency.id == agency_id)
    return query.where(Agency.name == agency_name) if agency_name else query


def _agency_plan(*, session: Session, agency_name: str | None = None, year: int | None = None,
                 agency_id: int | None = None) -> Plan | None:
    """The agency's plan of `year` (the agency by id, else AGENCY_NAME, else any); without a year the newest."""
    query = _agency_query(agency_name, agency_id)
    if year:
        query = query.where(Plan.year == year)
    return session.exec(query.order_by(Plan.year.desc(), Plan.id.desc())).first()


def _nearest_plan(year: int, *, session: Session, agency_name: str | None, agency_id: int | None = None) -> Plan | None:
    """The agency's newest plan before `year`, else its oldest one after it."""
    query = _agency_query(agency_name, agency_id)
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


def _agency_id(settings: Settings, agency_id: int | None) -> int | None:
    """The agency asked for, else the one the settings pin (AGENCY_ID, or bot.domain.agencies for a person)."""
    return agency_id if agency_id is not None else settings.agency_id


def reporting_periods(*, session: Session, settings: Settings, now: datetime,
                      calendar: ReportingCalendar | None = None, agency_id: int | None = None) -> list[ServedPeriod]:
    """What reminders chase and digests are about at `now`: the reporting quarter, then the one before it
    (still chased while unlocked), each with its year's plan; a quarter of a year without a plan (or not
    the pinned PLAN_YEAR) is left out. The agency's plans (`agency_id`, else the settings' agency)."""
    calendar = _calendar(settings, calendar)
    agency_id = _agency_id(settings, agency_id)
    current = calendar.reporting_quarter(as_utc(now))
    periods = []
    plans: dict[int, Plan | None] = {}  # TW II's and TW I's are one year's plan, read once
    for year, quarter in (current, calendar.previous_quarter(*current)):
        if settings.plan_year and year != settings.plan_year:
            continue
        if year not in plans:
            plans[year] = _agency_plan(session=session, agency_name=settings.agency_name, year=year,
                                       agency_id=agency_id)
        plan = plans[year]
        if plan is not None:
            periods.append(ServedPeriod(plan, quarter))
    return periods


def served_period(*, session: Session, settings: Settings, now: datetime,
                  calendar: ReportingCalendar | None = None, agency_id: int | None = None) -> ServedPeriod | None:
    """The plan and quarter PICs report on, reminders are about and leadership reads by default at `now`:
    of the agency `agency_id` (else the one the settings pin: AGENCY_ID, AGENCY_NAME, or any agency)."""
    agency_id = _agency_id(settings, agency_id)
    periods = reporting_periods(session=session, settings=settings, now=now, calendar=calendar, agency_id=agency_id)
    if periods:
        return periods[0]
    year, quarter = _calendar(settings, calendar).reporting_quarter(as_utc(now))
    if settings.plan_year:
        plan = _agency_plan(session=session, agency_name=settings.agency_name, year=settings.plan_year,
                            agency_id=agency_id)
    else:
        plan = _nearest_plan(year, session=session, agency_name=settings.agency_name, agency_id=agency_id)
    if plan is None:
        return None
    return ServedPeriod(plan, quarter if plan.year == year else 4 if plan.year < year else 1, live=False)


def served_plan(*, session: Session, settings: Settings, now: datetime,
                calendar: ReportingCalendar | None = None, agency_id: int | None = None) -> Plan | None:
    """The plan of the served period (what the admin console browses and changes)."""
    period = served_period(session=session, settings=settings, now=now, calendar=calendar, agency_id=agency_id)
    return period.plan if period else None


def served_plans(*, session: Session, settings: Settings, now: datetime,
                 calendar: ReportingCalendar | None = None, agency_id: int | None = None) -> list[ServedPeriod]:
    """Every period leadership may read at `now`, the default (served_period) first."""
    periods = reporting_periods(session=session, settings=settings, now=now, calendar=calendar, agency_id=agency_id)
    if periods:
        return periods
    period = served_period(session=session, settings=settings, now=now, calendar=calendar, agency_id=agency_id)
    return [period] if period else []


def readable_plan_ids(*, session: Session, settings: Settings, now: datetime,
                      calendar: ReportingCalendar | None = None) -> set[int]:
    """The plans leadership may read at `now`: those served, and every plan of the agency the settings pin
    (last year's stays readable: `/ringkasan 4 2020`); only those served when no agency is pinned."""
    served = {p.plan.id for p in served_plans(session=session, settings=settings, now=now, calendar=calendar)}
    if settings.agency_id is None and not settings.agency_name:
        return served
    query = _agency_query(settings.agency_name, settings.agency_id).with_only_columns(Plan.id)
    return served | set(session.exec(query).all())


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
    """What /start shows: the plan year served, the names of the person's kegiatan in it and the IKU /
    program indicators they report there."""
    plan = served_plan(session=session, settings=settings, now=now)
    kegiatan, outcomes = [], []
    if person_id is not None and plan is not None:
        kegiatan = [k.name for k in kegiatan_of_person(person_id, session=session, plan_id=plan.id)]
        held = {h.key for h in outcome_holdings(session=session, people=[person_id])}
        if held:
            outcomes = [i for i in plan_outcomes(plan.id, session=session) if i.key in held]
    return {"plan_year": plan.year if plan else None, "kegiatan": kegiatan, "outcomes": outcomes}


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


# -- the plan's IKU and program indicators ------------------------------------------------------------

@dataclass(frozen=True)
class OutcomeItem:
    """An indikator sasaran (IKU) or a program indicator of a plan, numbered as `rapk summary --json`
    numbers them: IKU `n` (its place among the plan's IKU in document order, `iku[].seq`) or program
    indicator `B.N` (block seq B, its Nth indicator: `program_blocks[].seq`, `indicators[].n`)."""

    kind: str  # IKU / PROGRAM_INDICATOR
    id: int
    ref: str
    text: str
    owner_id: int  # its goal (an IKU) or program block (a program indicator)
    owner: str  # the name of that goal or block
    target_raw: str  # the annual target as written
    annual: Decimal | None
    unit: str
    mode: str
    cells: tuple[str, str, str, str]  # TW I..IV as written
    quarterly: tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]

    @property
    def key(self) -> tuple[str, int]:
        return self.kind, self.id

    @property
    def assignment(self) -> dict[str, int]:
        """Its id as bot.domain.people's assign_outcome / holds_outcome take it."""
        return {"goal_indicator_id" if self.kind == IKU else "program_indicator_id": self.id}

    @property
    def targets(self) -> dict[int, Decimal]:
        """Its due quarters and their targets (bot.domain.measure.outcome_due)."""
        return outcome_due(self.mode, self.annual, dict(enumerate(self.quarterly, start=1)))

    @property
    def percent(self) -> bool:
        return self.unit == "%"


def _outcome_item(kind: str, ref: str, owner_id: int, owner: str, row) -> OutcomeItem:
    return OutcomeItem(kind=kind, id=row.id, ref=ref, text=row.text, owner_id=owner_id, owner=owner,
                       target_raw=row.target_raw or "",
                       annual=row.target_value, unit=row.target_unit or "", mode=row.mode,
                       cells=(row.tw1_raw or "", row.tw2_raw or "", row.tw3_raw or "", row.tw4_raw or ""),
                       quarterly=(row.tw1_value, row.tw2_value, row.tw3_value, row.tw4_value))


def plan_outcomes(plan_id: int, *, session: Session) -> list[OutcomeItem]:
    """Every IKU of the plan (by goal, then position), then every program indicator (by block, then
    position), in two queries."""
    items = []
    iku = session.exec(select(GoalIndicator, Goal.name).join(Goal, Goal.id == GoalIndicator.goal_id)
                       .where(Goal.plan_id == plan_id)
                       .order_by(Goal.seq, Goal.id, GoalIndicator.seq, GoalIndicator.id)).all()
    for n, (row, goal) in enumerate(iku, start=1):
        items.append(_outcome_item(IKU, str(n), row.goal_id, goal, row))
    rows = session.exec(select(ProgramIndicator, Program.seq, Program.name)
                        .join(Program, Program.id == ProgramIndicator.program_id)
                        .where(Program.plan_id == plan_id)
                        .order_by(Program.seq, Program.id, ProgramIndicator.seq, ProgramIndicator.id)).all()
    position: dict[int, int] = {}
    for row, block, name in rows:
        position[row.program_id] = position.get(row.program_id, 0) + 1
        items.append(_outcome_item(PROGRAM_INDICATOR, f"{block}.{position[row.program_id]}", row.program_id, name,
                                   row))
    return items


def find_outcome(plan_id: int, kind: str, ref: str, *, session: Session) -> OutcomeItem | None:
    """The IKU `n` or the program indicator `B.N` of the plan (`ref` as `rapk assign --iku 2` or
    `--program-indicator 3.1` types it); None when the plan has none of that number."""
    parts = ref.strip().split(".")
    if len(parts) != (1 if kind == IKU else 2) or not all(p.strip().isdigit() for p in parts):
        return None
    wanted = ".".join(str(parse_reference(p)) for p in parts)  # `03.1` is 3.1
    return next((i for i in plan_outcomes(plan_id, session=session) if i.kind == kind and i.ref == wanted), None)

