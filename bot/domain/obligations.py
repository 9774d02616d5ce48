"""What each PIC still has to report in a quarter, and their reporting status.

What is due for a kegiatan in quarter q (DESIGN.md, "What is reported each quarter"; the same
rule everywhere: the report form (bot/domain/reporting.py), /status and scoring's completeness
(bot/domain/scoring.py) call the functions below, so "due" and "complete" mean one thing):

- every aksi whose AksiTarget for q has kind != "none" (an empty or `-` cell means nothing is due);
  reported when an AksiRealisation(aksi_id, q) row exists;
- the budget realisation of q, reported when a KegiatanRealisation(kegiatan_id, q) row has
  budget_realised set (0 is a real answer; a row holding only narrative does not count).
  It is due for every listed kegiatan, including one with a budget (pagu > 0) but no aksi
  target in q: budget absorption is evaluated every quarter.

A kegiatan is listed when it has an aksi due in q or a budget; one with neither is not due at all.
The kegiatan indicators' realised values are listed with their state but are optional (the report
form lets the PIC skip them), so they do not keep a kegiatan incomplete.

Late work (tunggakan; the arithmetic is bot.domain.measure.arrear): an aksi whose target to q−1 is
not met when q begins is offered in q too («tunggakan TW II», with what is still missing to date),
and what the PIC reports is q's realisation (a locked earlier quarter is never written into). It is
listed in /lapor, /status and a reminder's list of what is due, but it does not make q incomplete:
the quarter counts as reported without it, and a PIC whose own items of q are all in is not chased
for late work alone (`reminder_items`). A kegiatan with late work only (no aksi due, no budget) is
listed so the work can be recorded, and owes nothing else. An aksi with a value stored in q stays
on q's form even when nothing is owed any more (so the value can be seen and corrected).
Locks (bot.domain.locks): a locked kegiatan or quarter owes nothing more, and what is missing there is missed.

The IKU and program indicators a person reports (people.OutcomeAssignment, `outcomes_due`) are owed in q
when q has a target by bot.domain.measure.outcome_due (a number in q's signed cell; with none at all,
the annual target in TW IV); reported when a realisation row of q exists. The others they hold are
listed too (progress before the due quarter is welcome) but owe nothing. A quarter locked for the whole
plan owes nothing more.
Everything is read in a fixed handful of queries per call (no query per kegiatan).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING
from typing import Literal

from sqlalchemy import and_
from sqlmodel import Session
from sqlmodel import select

from bot.db import among
from bot.domain.locks import locked_kegiatan
from bot.domain.locks import quarter_locked
from bot.domain.measure import INCREMENT
from bot.domain.measure import MODES
from bot.domain.measure import Arrear
from bot.domain.measure import arrear
from bot.domain.people import IKU
from bot.domain.people import PROGRAM_INDICATOR
from bot.domain.people import outcome_holdings
from bot.domain.period import OutcomeItem
from bot.domain.period import plan_outcomes
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import GoalIndicatorRealisation
from models import IndicatorRealisation
from models import Kegiatan
from models import KegiatanIndicator
from models import KegiatanRealisation
from models import PicAssignment
from models import Plan
from models import ProgramIndicatorRealisation
from models.base import as_utc  # callers import it from here too

if TYPE_CHECKING:
    from bot.domain.calendar import ReportingCalendar

Status = Literal["none", "pending", "submitted", "late", "missed"]


# -- the rule (also what the report form, /status and scoring's completeness count) ------------------

def aksi_due(target_kind: str | None) -> bool:
    """An aksi is due in a quarter when its target cell there is anything but «none» (empty, `-`)."""
    return target_kind is not None and target_kind != "none"


def due_target():
    """aksi_due as a SQL condition on AksiTarget (the row of the quarter asked about)."""
    return AksiTarget.kind != "none"


def kegiatan_due(aksi_due_count: int, budget: int | None) -> bool:
    """A kegiatan owes a report when an aksi is due or it has a budget (pagu > 0)."""
    return aksi_due_count > 0 or (budget or 0) > 0


def is_complete(aksi_outstanding: int, budget_reported: bool, *, owes: bool = True) -> bool:
    """Every due aksi and the budget realisation reported (Rp0 counts; kegiatan indicators are optional;
    late work does not count). A kegiatan listed for late work only (`owes` False) is complete."""
    return not owes or (aksi_outstanding == 0 and budget_reported)


def still_open(done: bool, locked: bool) -> bool:
    """Something is still to report (not `done`) and the kegiatan's quarter is not locked."""
    return not done and not locked


@dataclass(frozen=True)
class TargetCell:
    """One due quarterly target of an aksi, as stored."""

    raw: str
    value: Decimal | None
    unit: str
    kind: str


@dataclass(frozen=True)
class RealCell:
    """One stored realisation of an aksi (value None: a row without a value)."""

    id: int
    value: Decimal | None
    value_raw: str
    reported_at: datetime | None


@dataclass(frozen=True)
class AksiOwed:
    """An aksi in quarter q: its due targets and stored realisations to q, and what it owes in q."""

    kegiatan_id: int
    aksi_id: int
    no: int
    name: str
    indicator: str
    mode: str
    quarter: int
    targets: dict[int, TargetCell]  # due quarters (aksi_due) up to q
    reals: dict[int, RealCell]  # stored rows up to q

    @property
    def due(self) -> bool:
        """A target in q itself (what completeness counts)."""
        return self.quarter in self.targets

    @property
    def values(self) -> dict[int, Decimal]:
        return {q: r.value for q, r in self.reals.items() if r.value is not None}

    @property
    def target_values(self) -> dict[int, Decimal]:
        return {q: t.value for q, t in self.targets.items() if t.value is not None}

    @cached_property
    def arrear(self) -> Arrear | None:
        """Late work owed in q (bot.domain.measure.arrear)."""
        return arrear(self.mode, self.target_values, self.values, self.quarter)

    @property
    def offered(self) -> bool:
        """On q's form: due in q, late work owed, or a value stored in q."""
        return self.due or self.quarter in self.reals or self.arrear is not None

    @property
    def cell(self) -> TargetCell:
        """q's target; for late work only, an empty cell with the unit and kind of the quarter it is owed from."""
        if self.due:
            return self.targets[self.quarter]
        late = self.arrear
        source = self.targets.get(late.since) if late else next(iter(self.targets.values()), None)
        return TargetCell("", None, source.unit if source else "", source.kind if source else "none")


def aksi_owed(kegiatan_ids, quarter: int, *, session: Session) -> list[AksiOwed]:
    """The aksi of these kegiatan (ids, or a subquery of them) that are on q's form, by kegiatan and number,
    in two queries: their due targets and their realisations up to q."""
    info: dict[int, tuple] = {}
    targets: dict[int, dict[int, TargetCell]] = defaultdict(dict)
    for k_id, a_id, no, name, indicator, mode, q, raw, value, unit, kind in session.exec(
            select(Aksi.kegiatan_id, Aksi.id, Aksi.no, Aksi.name, Aksi.indicator, Aksi.mode, AksiTarget.quarter,
                   AksiTarget.raw, AksiTarget.value, AksiTarget.unit, AksiTarget.kind)
            .join(AksiTarget, AksiTarget.aksi_id == Aksi.id)
            .where(Aksi.kegiatan_id.in_(kegiatan_ids), AksiTarget.quarter <= quarter, due_target())):
        info[a_id] = (k_id, no, name, indicator, mode)
        targets[a_id][q] = TargetCell(raw or "", value, unit or "", kind)
    reals: dict[int, dict[int, RealCell]] = defaultdict(dict)
    rows = session.exec(
        select(Aksi.kegiatan_id, Aksi.id, Aksi.no, Aksi.name, Aksi.indicator, Aksi.mode, AksiRealisation.quarter,
               AksiRealisation.id, AksiRealisation.value, AksiRealisation.value_raw, AksiRealisation.reported_at)
        .join(AksiRealisation, AksiRealisation.aksi_id == Aksi.id)
        .where(Aksi.kegiatan_id.in_(kegiatan_ids), AksiRealisation.quarter <= quarter))
    for k_id, a_id, no, name, indicator, mode, q, r_id, value, raw, at in rows:
        info.setdefault(a_id, (k_id, no, name, indicator, mode))
        reals[a_id][q] = RealCell(r_id, value, raw or "", as_utc(at))
    owed = [AksiOwed(k_id, a_id, no, name, indicator or "", mode if mode in MODES else INCREMENT, quarter,
                     targets[a_id], reals[a_id])
            for a_id, (k_id, no, name, indicator, mode) in info.items()]
    return sorted((a for a in owed if a.offered), key=lambda a: (a.kegiatan_id, a.no, a.aksi_id))


@dataclass
class DueAksi:
    """One aksi on the quarter's form: with a target this quarter, or late work only (`due` False)."""

    aksi_id: int
    no: int
    name: str
    indicator: str
    target_raw: str
    target_value: Decimal | None
    unit: str
    reported: bool
    reported_value: Decimal | None
    reported_at: datetime | None = None
    due: bool = True
    arrear: Arrear | None = None  # late work owed this quarter (tunggakan), with or without a target of its own

    @classmethod
    def of(cls, owed: AksiOwed) -> DueAksi:
        cell, real = owed.cell, owed.reals.get(owed.quarter)
        return cls(aksi_id=owed.aksi_id, no=owed.no, name=owed.name, indicator=owed.indicator, target_raw=cell.raw,
                   target_value=cell.value, unit=cell.unit, reported=real is not None,
                   reported_value=real.value if real else None, reported_at=real.reported_at if real else None,
                   due=owed.due, arrear=owed.arrear)

    @property
    def target_text(self) -> str:
        """The target as written, with the unit added when the cell does not show it."""
        raw = self.target_raw.strip()
        if not raw and self.target_value is not None:
            raw = format(self.target_value.normalize(), "f")
        if self.unit and self.unit.casefold() not in raw.casefold():
            return f"{raw}{'' if self.unit == '%' else ' '}{self.unit}".strip()
        return raw


@dataclass
class DueIndicator:
    """A kegiatan indicator and its realised value this quarter (optional: the PIC may skip it)."""

    indicator_id: int
    text: str
    target_raw: str
    unit: str
    reported: bool
    reported_value: Decimal | None
    reported_at: datetime | None = None


@dataclass
class DueKegiatan:
    """Everything one kegiatan owes in one quarter."""

    kegiatan_id: int
    kegiatan_no: str
    kegiatan_name: str
    seq: int
    budget: int | None
    aksi: list[DueAksi] = field(default_factory=list)  # a target this quarter
    arrears: list[DueAksi] = field(default_factory=list)  # late work only (no target this quarter)
    indicators: list[DueIndicator] = field(default_factory=list)
    budget_reported: bool = False
    budget_reported_at: datetime | None = None
    locked: bool = False
    pic_ids: list[int] = field(default_factory=list)

    @property
    def outstanding(self) -> list[DueAksi]:
        """The aksi not reported yet."""
        return [a for a in self.aksi if not a.reported]

    @property
    def outstanding_indicators(self) -> list[DueIndicator]:
        return [i for i in self.indicators if not i.reported]

    @property
    def owes(self) -> bool:
        """Something of the quarter's own is due (not listed for late work only)."""
        return kegiatan_due(len(self.aksi), self.budget)

    @property
    def late_work(self) -> list[DueAksi]:
        """Late work not reported this quarter yet: the aksi without a target of their own, then those
        with one, in aksi order."""
        return sorted((a for a in (*self.aksi, *self.arrears) if a.arrear and not a.reported), key=lambda a: a.no)

    @property
    def late_work_open(self) -> bool:
        return still_open(not self.late_work, self.locked)

    @property
    def budget_outstanding(self) -> bool:
        return self.owes and not self.budget_reported

    @property
    def indicator_reported(self) -> bool:
        return not self.outstanding_indicators

    @property
    def complete(self) -> bool:
        return is_complete(len(self.outstanding), self.budget_reported, owes=self.owes)

    @property
    def open(self) -> bool:
        return still_open(self.complete, self.locked)

    @property
    def last_reported_at(self) -> datetime | None:
        """When the last required item was reported (None when none was)."""
        times = [a.reported_at for a in self.aksi] + [self.budget_reported_at]
        return max((t for t in times if t is not None), default=None)


def _kegiatan_ids(plan_id: int, people: Collection[int] | None):
    """A subquery of the plan's kegiatan ids (of these PICs only when `people` is given)."""
    query = select(Kegiatan.id).where(Kegiatan.plan_id == plan_id)
    if people is not None:
        # IN (subquery) rather than a join: for a join, SQLite probes the assignments once per kegiatan
        # of the plan and person in the list, which a chunk of hundreds of people makes quadratic.
        query = query.where(Kegiatan.id.in_(select(PicAssignment.kegiatan_id).where(
            among(PicAssignment.person_id, people))))
    return query


def _collect(plan_id: int, quarter: int, session: Session, people: Collection[int] | None = None) -> list[DueKegiatan]:
    """Due kegiatan of a plan's quarter in document order, in five queries (plain columns, no ORM objects)."""
    ids = _kegiatan_ids(plan_id, people)
    kegiatan: dict[int, DueKegiatan] = {}
    # Each kegiatan with its quarter's budget realisation (when given) and its PICs: a row per PIC.
    for k_id, no, name, seq, budget, real_id, real_at, pic_id in session.exec(
            select(Kegiatan.id, Kegiatan.no, Kegiatan.name, Kegiatan.seq, Kegiatan.budget, KegiatanRealisation.id,
                   KegiatanRealisation.reported_at, PicAssignment.person_id)
            .outerjoin(KegiatanRealisation, and_(KegiatanRealisation.kegiatan_id == Kegiatan.id,
                                                 KegiatanRealisation.quarter == quarter,
                                                 KegiatanRealisation.budget_realised.is_not(None)))
            .outerjoin(PicAssignment, PicAssignment.kegiatan_id == Kegiatan.id)
            .where(Kegiatan.id.in_(ids)).order_by(Kegiatan.id, PicAssignment.id)):
        k = kegiatan.get(k_id)
        if k is None:
            k = kegiatan[k_id] = DueKegiatan(kegiatan_id=k_id, kegiatan_no=no, kegiatan_name=name, seq=seq,
                                             budget=budget)
            if real_id is not None:
                k.budget_reported, k.budget_reported_at = True, as_utc(real_at)
        if pic_id is not None:
            k.pic_ids.append(pic_id)
    for owed in aksi_owed(ids, quarter, session=session):
        k = kegiatan[owed.kegiatan_id]
        (k.aksi if owed.due else k.arrears).append(DueAksi.of(owed))
    due = {k_id: k for k_id, k in kegiatan.items() if k.owes or k.arrears}
    indicator_rows = session.exec(
        select(KegiatanIndicator.kegiatan_id, KegiatanIndicator.id, KegiatanIndicator.text,
               KegiatanIndicator.target_raw, KegiatanIndicator.target_unit, IndicatorRealisation.id,
               IndicatorRealisation.value, IndicatorRealisation.reported_at)
        .outerjoin(IndicatorRealisation, and_(IndicatorRealisation.indicator_id == KegiatanIndicator.id,
                                              IndicatorRealisation.quarter == quarter))
        .where(KegiatanIndicator.kegiatan_id.in_(ids))
        .order_by(KegiatanIndicator.kegiatan_id, KegiatanIndicator.seq)
    )
    for k_id, ind_id, text, raw, unit, real_id, real_value, real_at in indicator_rows:
        if k_id in due:
            due[k_id].indicators.append(DueIndicator(
                indicator_id=ind_id, text=text, target_raw=raw, unit=unit, reported=real_id is not None,
                reported_value=real_value, reported_at=as_utc(real_at)))
    _apply_locks(due, plan_id, quarter, session)
    return sorted(due.values(), key=lambda k: (k.seq, k.kegiatan_id))


def reminder_items(items: list[DueKegiatan]) -> list[DueKegiatan]:
    """What a reminder lists of a PIC's kegiatan in a quarter: nothing when none of the quarter's own
    items is open (late work alone does not chase anyone), else every kegiatan with something still
    open, late work included."""
    if not any(k.open for k in items):
        return []
    return [k for k in items if k.open or k.late_work_open]


def _apply_locks(due: dict[int, DueKegiatan], plan_id: int, quarter: int, session: Session) -> None:
    whole_plan, locked = locked_kegiatan(plan_id, quarter, session=session)
    for k in due.values():
        k.locked = whole_plan or k.kegiatan_id in locked


def due_for_person(person_id: int, plan_id: int, quarter: int, *, session: Session) -> list[DueKegiatan]:
    """The kegiatan a PIC is responsible for that have something due in the quarter (reported or not)."""
    return _collect(plan_id, quarter, session, [person_id])


def due_for_plan(plan_id: int, quarter: int, *, session: Session,
                 people: Collection[int] | None = None) -> dict[int, list[DueKegiatan]]:
    """Due kegiatan grouped by PIC (person id); a kegiatan with two PICs is listed under both.

    With `people`, only their kegiatan are loaded and only they are listed (a dispatcher chunk)."""
    wanted = None if people is None else set(people)
    grouped: dict[int, list[DueKegiatan]] = defaultdict(list)
    for k in _collect(plan_id, quarter, session, wanted):
        for person_id in k.pic_ids:
            if wanted is None or person_id in wanted:
                grouped[person_id].append(k)
    return dict(grouped)


def due_kegiatan(plan_id: int, quarter: int, *, session: Session) -> list[DueKegiatan]:
    """Every kegiatan of the plan with something due in the quarter, with its PIC ids (possibly none)."""
    return _collect(plan_id, quarter, session)


def status_of(items: list[DueKegiatan], *, now: datetime, deadline_end: datetime) -> Status:
    """A PIC's status from their due kegiatan (DESIGN.md: pending → submitted / late → missed).

    none: nothing due. submitted: everything reported before the deadline day ended.
    late: the deadline has passed without an on-time report — reported after it, or still
    outstanding at `now` (the `complete` of each kegiatan tells the two apart).
    missed: something unreported in a locked kegiatan or quarter. pending: something unreported,
    the deadline not passed yet. A kegiatan listed for late work only owes nothing here.
    """
    items = [k for k in items if k.owes]
    if not items:
        return "none"
    if any(not k.complete and k.locked for k in items):
        return "missed"
    if all(k.complete for k in items):
        last = max((k.last_reported_at for k in items if k.last_reported_at), default=None)
        return "late" if last is not None and last >= deadline_end else "submitted"
    return "late" if as_utc(now) >= deadline_end else "pending"


def person_status(person_id: int, plan_id: int, quarter: int, now: datetime, calendar: ReportingCalendar, *,
                  session: Session) -> Status:
    """pending / submitted / late / missed (none when nothing is due) of a PIC for a quarter at `now`."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise ValueError(f"no plan {plan_id}")
    items = due_for_person(person_id, plan_id, quarter, session=session)
    return status_of(items, now=now, deadline_end=calendar.deadline_end(plan.year, quarter))


# -- IKU and program indicators ------------------------------------------------------------------------

@dataclass
class DueOutcome:
    """An IKU or program indicator a person reports, in one quarter: due there or not, and what is stored."""

    item: OutcomeItem
    quarter: int
    reported: bool = False
    reported_value: Decimal | None = None
    reported_raw: str = ""
    reported_at: datetime | None = None

    @property
    def due(self) -> bool:
        return self.quarter in self.item.targets

    @property
    def target_value(self) -> Decimal | None:
        return self.item.targets.get(self.quarter)

    @property
    def target_raw(self) -> str:
        """The quarter's target as written (its cell; the annual target when it falls due in TW IV unwritten)."""
        if not self.due:
            return ""
        return self.item.cells[self.quarter - 1].strip() or self.item.target_raw


@dataclass
class OwedOutcomes:
    """Everything one person reports of the plan's IKU and program indicators in one quarter."""

    items: list[DueOutcome] = field(default_factory=list)
    locked: bool = False

    @property
    def due(self) -> list[DueOutcome]:
        return [i for i in self.items if i.due]

    @property
    def outstanding(self) -> list[DueOutcome]:
        return [i for i in self.items if i.due and not i.reported]

    @property
    def complete(self) -> bool:
        return not self.outstanding

    @property
    def open(self) -> bool:
        return still_open(self.complete, self.locked)

    @property
    def done(self) -> bool:
        """Shown as done (✅): nothing due is missing and something is reported, so indicators not due yet
        and not touched still read as something to fill in."""
        return self.complete and any(i.reported for i in self.items)


def outcomes_due(plan_id: int, quarter: int, *, session: Session,
                 people: Collection[int] | None = None) -> dict[int, OwedOutcomes]:
    """Per person (of `people` only, when given) who reports any of the plan's IKU or program indicators:
    each of them in document order, with what is stored for the quarter; in six queries."""
    holdings = outcome_holdings(session=session, people=people)
    if not holdings:
        return {}
    items = {i.key: i for i in plan_outcomes(plan_id, session=session)}
    stored = {}
    for kind, model, column in ((IKU, GoalIndicatorRealisation, GoalIndicatorRealisation.goal_indicator_id),
                                (PROGRAM_INDICATOR, ProgramIndicatorRealisation,
                                 ProgramIndicatorRealisation.program_indicator_id)):
        ids = [i.id for i in items.values() if i.kind == kind]
        if ids:
            for owner, value, raw, at in session.exec(select(column, model.value, model.value_raw, model.reported_at)
                                                      .where(column.in_(ids), model.quarter == quarter)):
                stored[(kind, owner)] = (value, raw or "", as_utc(at))
    locked = quarter_locked(plan_id, quarter, session=session)
    order = {key: n for n, key in enumerate(items)}
    out: dict[int, OwedOutcomes] = {}
    for h in sorted((h for h in holdings if h.key in items), key=lambda h: order[h.key]):
        value, raw, at = stored.get(h.key, (None, "", None))
        out.setdefault(h.person_id, OwedOutcomes(locked=locked)).items.append(DueOutcome(
            item=items[h.key], quarter=quarter, reported=h.key in stored, reported_value=value, reported_raw=raw,
            reported_at=at))
    return out


__all__ = [
    "AksiOwed", "DueAksi", "DueIndicator", "DueKegiatan", "DueOutcome", "OwedOutcomes", "RealCell", "Status",
    "TargetCell", "aksi_due", "aksi_owed", "as_utc", "due_for_person", "due_for_plan", "due_kegiatan", "due_target",
    "is_complete", "kegiatan_due", "outcomes_due", "person_status", "reminder_items", "status_of", "still_open",
]


def next_unreported(person_id: int, kegiatan_id: int, quarter: int, *, session: Session,
                    plan_id: int | None = None) -> int | None:
    """The PIC's next kegiatan still to report in the quarter after `kegiatan_id` (in the order /lapor lists
    them, then from the top; not locked, not complete), for /lapor's «Lanjut ke kegiatan berikutnya».
    `plan_id`: the kegiatan's plan, when the caller has it."""
    if plan_id is None:
        kegiatan = session.get(Kegiatan, kegiatan_id)
        if kegiatan is None:
            return None
        plan_id = kegiatan.plan_id
    listed = due_for_person(person_id, plan_id, quarter, session=session)
    at = next((n for n, k in enumerate(listed) if k.kegiatan_id == kegiatan_id), -1)
    order = listed[at + 1:] + listed[:max(at, 0)]
    return next((k.kegiatan_id for k in order if not k.locked and not k.complete), None)
