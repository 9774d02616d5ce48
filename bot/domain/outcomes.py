"""The IKU and program indicators a person reports: saving what they report in a quarter.

The person is whoever the admin assigned them to (bot.domain.people `assign_outcome`, usually the
Kasubag Perencanaan or a Kepala Bidang); their numbers (IKU n, program indicator B.N) are
bot.domain.period's (`plan_outcomes`, `find_outcome`). A value is
stored per quarter as the indicator's mode asks it (the quarter's own value for an increment
indicator, the value to date otherwise: bot.domain.measure), as /lapor and a realisations file give it.
Saving is `save_report`'s discipline: the caller's transaction, rows locked, every change audited,
the holder and the lock checked again at commit time.
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session
from sqlmodel import select

from bot.domain.audit import record
from bot.domain.locks import quarter_locked
from bot.domain.people import IKU
from bot.domain.people import PROGRAM_INDICATOR
from bot.domain.reporting import ReportError
from bot.domain.reporting import SaveResult
from bot.domain.reporting import _fmt
from bot.domain.reporting import _insert
from bot.domain.reporting import _locked_row
from bot.domain.reporting import values_storable
from models import Goal
from models import GoalIndicator
from models import GoalIndicatorRealisation
from models import OutcomeAssignment
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
    for kind, indicator_id, value, raw in given:
        _, _, _, realisation, column, entity, label = _TABLES[kind]
        _insert(session, realisation, {column: indicator_id, "quarter": sub.quarter, "value": None, "value_raw": "",
                                       "reported_by": person_id, "reported_at": now}, [column, "quarter"])
        row = _locked_row(session, realisation, **{column: indicator_id, "quarter": sub.quarter})
        fresh = row.value is None and row.value_raw == ""
        if fresh:
            result.created += 1
        if row.value != value or row.value_raw != raw:
            record(session, action="report.create" if fresh else "report.update", entity=entity, entity_id=row.id,
                   field=f"{label}:{indicator_id}", old_value=_fmt(row.value), new_value=_fmt(value),
                   actor_person_id=person_id, actor_label=actor_label, at=now)
            if not fresh:
                result.changed.append(f"{label}:{indicator_id}")
            row.value, row.value_raw, row.reported_by, row.reported_at = value, raw, person_id, now
    session.flush()
    return result


__all__ = ["OutcomeSubmission", "save_outcome_report"]
