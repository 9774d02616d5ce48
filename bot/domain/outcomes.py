"""The IKU and program indicators a person reports: what their quarter's form holds, and saving it.

The person is whoever the admin assigned them to (bot.domain.people `assign_outcome`, usually the
Kasubag Perencanaan or a Kepala Bidang); which of them are owed in a quarter is bot.domain.obligations'
rule (`outcomes_due`), their numbers (IKU n, program indicator B.N) bot.domain.period's. A value is
stored per quarter as the indicator's mode asks it (the quarter's own value for an increment
indicator, the value to date otherwise: bot.domain.measure), as /lapor and a realisations file give it.
Saving is `save_report`'s discipline: the caller's transaction, rows locked, every change audited,
the holder and the lock checked again at commit time.
"""

from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session
from sqlmodel import select

from bot.db import claim_rows
from bot.domain.audit import record_many
from bot.domain.locks import quarter_locked
from bot.domain.measure import real_to_date
from bot.domain.measure import target_to_date
from bot.domain.obligations import DueOutcome
from bot.domain.obligations import outcomes_due
from bot.domain.obligations import still_open
from bot.domain.people import IKU
from bot.domain.people import PROGRAM_INDICATOR
from bot.domain.reporting import ReportError
from bot.domain.reporting import SaveResult
from bot.domain.reporting import take_values
from bot.domain.reporting import values_storable
from models import Goal
from models import GoalIndicator
from models import GoalIndicatorRealisation
from models import OutcomeAssignment
from models import Plan
from models import Program
from models import ProgramIndicator
from models import ProgramIndicatorRealisation

# Per kind: the indicator table, its owner (goal or program block) and the realisation table with its column.
_TABLES = {
    IKU: (GoalIndicator, GoalIndicator.goal_id, Goal, GoalIndicatorRealisation, "goal_indicator_id",
          "goal_indicator_realisation", "iku"),
    PROGRAM_INDICATOR: (ProgramIndicator, ProgramIndicator.program_id, Program, ProgramIndicatorRealisation,
                        "program_indicator_id", "program_indicator_realisation", "indikator_program"),
}


# -- the form -------------------------------------------------------------------------------------------

@dataclass
class OutcomeFormItem:
    """One indicator on the form: what is owed (bot.domain.obligations.DueOutcome), and what the question
    shows besides: the target to this quarter and what was reported before it, both by the mode."""

    owed: DueOutcome
    real_before: Decimal | None = None

    @property
    def item(self):
        return self.owed.item

    @property
    def targets(self) -> dict[int, Decimal]:
        return self.item.targets

    @property
    def first_due(self) -> int | None:
        return min(self.targets, default=None)

    @property
    def early(self) -> bool:
        """Before its first due quarter (or never due): what is reported is progress, not yet scored."""
        return self.first_due is None or self.owed.quarter < self.first_due

    @property
    def target_to_date(self) -> Decimal | None:
        return target_to_date(self.item.mode, self.targets, self.owed.quarter)


@dataclass
class OutcomeForm:
    """The IKU and program indicators one person reports, in one quarter of one plan."""

    plan_id: int
    year: int
    quarter: int
    items: list[OutcomeFormItem]
    locked: bool

    @property
    def due_count(self) -> int:
        return sum(1 for i in self.items if i.owed.due)

    @property
    def done_count(self) -> int:
        return sum(1 for i in self.items if i.owed.due and i.owed.reported)

    @property
    def complete(self) -> bool:
        return self.done_count == self.due_count

    @property
    def open(self) -> bool:
        """Something due is still to report and the quarter is not locked."""
        return still_open(self.complete, self.locked)

    @property
    def done(self) -> bool:
        """Shown as done (✅), as bot.domain.obligations.OwedOutcomes.done."""
        return self.complete and self.started

    @property
    def started(self) -> bool:
        """Something of this quarter is stored already (the form opens on the summary card)."""
        return any(i.owed.reported for i in self.items)


def load_outcome_form(person_id: int, plan_id: int, quarter: int, *, session: Session) -> OutcomeForm | None:
    """The person's IKU and program indicators of the plan in the quarter; None when they hold none."""
    plan = session.get(Plan, plan_id)
    owed = outcomes_due(plan_id, quarter, session=session, people=[person_id]).get(person_id) if plan else None
    if owed is None:
        return None
    earlier: dict[tuple[str, int], dict[int, Decimal]] = defaultdict(dict)
    for kind, (_, _, _, realisation, column, _, _) in _TABLES.items():
        ids = [o.item.id for o in owed.items if o.item.kind == kind]
        owner = getattr(realisation, column)
        if ids and quarter > 1:
            for owner_id, q, value in session.exec(select(owner, realisation.quarter, realisation.value)
                                                   .where(owner.in_(ids), realisation.quarter < quarter)):
                if value is not None:
                    earlier[(kind, owner_id)][q] = value
    items = [OutcomeFormItem(o, real_to_date(o.item.mode, earlier[o.item.key], quarter - 1)) for o in owed.items]
    return OutcomeForm(plan_id=plan_id, year=plan.year, quarter=quarter, items=items, locked=owed.locked)


# -- saving ------------------------------------------------------------------------------------------

@dataclass
class OutcomeSubmission:
    """What the person confirmed for a quarter: per GoalIndicator.id (`iku_values`) and per
    ProgramIndicator.id (`program_values`), the value and the text as typed. Items not given stay as they were."""

    quarter: int
    iku_values: dict[int, tuple[Decimal, str]] = field(default_factory=dict)
    program_values: dict[int, tuple[Decimal, str]] = field(default_factory=dict)

    def values(self) -> list[tuple[str, int, Decimal, str]]:
        """(kind, indicator id, value, as typed) of every item given, IKU first."""
        return [(IKU, i, v, raw) for i, (v, raw) in self.iku_values.items()] + [
            (PROGRAM_INDICATOR, i, v, raw) for i, (v, raw) in self.program_values.items()]


def _plans_of(kind: str, ids: list[int], session: Session) -> dict[int, int]:
    """{indicator id: plan id} of the ids that exist."""
    model, owner, parent, *_ = _TABLES[kind]
    if not ids:
        return {}
    return dict(session.exec(select(model.id, parent.plan_id).join(parent, parent.id == owner)
                             .where(model.id.in_(ids))).all())


def _held(kind: str, ids: list[int], person_id: int, session: Session) -> set[int]:
    column = getattr(OutcomeAssignment, _TABLES[kind][4])
    if not ids:
        return set()
    return set(session.exec(select(column).where(OutcomeAssignment.person_id == person_id,
                                                 column.in_(ids))).all())


def save_outcome_report(sub: OutcomeSubmission, *, session: Session, person_id: int, actor_label: str,
                        now: datetime) -> SaveResult:
    """Store the values in the caller's transaction; each change is audited (old → new).

    Refused whole (ReportError) before anything is written: `unknown_item` for an id no plan has,
    `not_pic` when the person does not report that indicator, `locked` when its plan's quarter is
    locked, `bad_value` for a value its column cannot hold (or a quarter outside 1..4).
    """
    if sub.quarter not in (1, 2, 3, 4):
        raise ReportError("bad_value")
    given = sub.values()
    plans: dict[tuple[str, int], int] = {}
    for kind in _TABLES:
        ids = [i for k, i, _, _ in given if k == kind]
        found = _plans_of(kind, ids, session)
        if len(found) != len(set(ids)):
            raise ReportError("unknown_item")
        if _held(kind, ids, person_id, session) != set(ids):
            raise ReportError("not_pic")
        plans.update({(kind, i): plan_id for i, plan_id in found.items()})
    if any(quarter_locked(plan_id, sub.quarter, session=session) for plan_id in set(plans.values())):
        raise ReportError("locked")
    if not values_storable([(v, raw) for _, _, v, raw in given]):
        raise ReportError("bad_value")
    result = SaveResult()
    changes: list[dict] = []  # the audit rows, old → new
    with session.no_autoflush:  # the writes go out together at the flush (bot.db.claim_rows)
        for kind, (_, _, _, realisation, column, entity, label) in _TABLES.items():
            values = {i: (v, raw) for k, i, v, raw in given if k == kind}
            rows, _ = claim_rows(session, realisation, column, values, {"quarter": sub.quarter},
                                 {"value": None, "value_raw": "", "reported_by": person_id, "reported_at": now})
            take_values(rows, values, entity=entity, label=label, person_id=person_id, now=now, changes=changes,
                        result=result)
    record_many(session, changes, actor_person_id=person_id, actor_label=actor_label, at=now)
    session.flush()
    return result


__all__ = ["OutcomeForm", "OutcomeFormItem", "OutcomeSubmission", "load_outcome_form", "save_outcome_report"]
