"""What a target change does before it is saved: the item re-scored, and the plan checked for consistency.

Used by /target (bot.domain.admin `check_*` / `change_*`; bot.domain.item_measure for a mode or unit), so the confirmation shows the old and the
new achievement and the warnings before «Simpan», and the PIC's notice says how their report is now
read. No rule of its own: the item is scored twice by bot.domain.scoring (`score_aksi`,
`score_indicator`, on the stored plan as `load_scoring_input` reads it, with one cell replaced), as
of the served quarter (`as_of`, from `scoring_moment`) — the number the next digest shows.

Warnings (the change is allowed, the admin is told before saving; codes worded in
templates/<lang>/target_macros.j2 `warning`):

* ``shares`` — an aksi measured as increment whose targets are all percentages: its quarterly shares
  no longer add up to 100% (the demo's 30% + 50% + 25% = 105%: the annual target reads 105%, over
  100%; a single cell over 100% is refused outright, `percent_over_100`);
* ``level_falls`` — an aksi measured as a level (the value to date) whose target falls from one due
  quarter to the next;
* ``flag:<code>`` — scoring still flags the item after the change (bot.domain.scoring `_flags`, the
  unit against the wording, mixed units, an implausible count): it stays out of every aggregate.

A realisation already reported is never changed: it is re-read against the new target, as every
report, digest and workbook will read it.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

from sqlmodel import Session

from bot.config import Settings
from bot.domain.measure import HUNDRED
from bot.domain.measure import INCREMENT
from bot.domain.measure import LEVEL
from bot.domain.period import served_period
from bot.domain.scoring import FLAG_PCT_OVER_100
from bot.domain.scoring import AksiIn
from bot.domain.scoring import AksiScore
from bot.domain.scoring import IndicatorIn
from bot.domain.scoring import IndicatorScore
from bot.domain.scoring import TargetIn
from bot.domain.scoring import closed_quarters
from bot.domain.scoring import load_scoring_input
from bot.domain.scoring import score_aksi
from bot.domain.scoring import score_indicator

__all__ = ["AsOf", "TargetEffect", "aksi_effect", "indicator_effect", "measure_effect", "scoring_moment",
           "unit_label"]


@dataclass(frozen=True)
class AsOf:
    """Score to TW `quarter`, counting what is missing as 0 in the `closed` quarters."""

    quarter: int = 4
    closed: frozenset[int] = frozenset()


def scoring_moment(plan_id: int, *, session: Session, settings: Settings, now: datetime) -> AsOf:
    """The served quarter when it is this plan's (else TW IV) and the quarters whose deadline has passed."""
    from bot.domain.calendar import ReportingCalendar
    from models import Plan

    plan = session.get(Plan, plan_id)
    period = served_period(session=session, settings=settings, now=now)
    quarter = period.quarter if period is not None and period.plan.id == plan_id else 4
    return AsOf(quarter, closed_quarters(plan.year, now, ReportingCalendar.from_settings(settings)))


def unit_label(kind: str, unit: str) -> str:
    """`%` for a percentage, the unit as written for a count (`""`: a plain number), `-` for no target."""
    if kind == "percent":
        return "%"
    return unit if kind == "count" else "-"


@dataclass(frozen=True)
class TargetEffect:
    """One item before and after a target change, as of TW `quarter`."""

    quarter: int
    old_unit: str  # unit_label
    new_unit: str
    old_annual: Decimal | None  # the aksi's annual target by its mode, or the indicator's
    new_annual: Decimal | None
    old_annual_unit: str  # `%` or the unit of the annual target
    new_annual_unit: str
    old_pct: Decimal | None  # achievement to TW n (None: not scored: pending, not due)
    new_pct: Decimal | None
    old_status: str
    new_status: str
    old_flags: tuple[str, ...]
    new_flags: tuple[str, ...]
    realised: tuple[tuple[int, Decimal], ...]  # the reports that are re-read, (quarter, value)
    warnings: tuple[tuple[str, dict], ...]
    old_mode: str = INCREMENT  # how the quarters combine (bot.domain.modes)
    new_mode: str = INCREMENT

    @property
    def unit_changed(self) -> bool:
        return "-" not in (self.old_unit, self.new_unit) and self.old_unit.casefold() != self.new_unit.casefold()

    @property
    def rescored(self) -> bool:
        return bool(self.realised)


def _find(items, item_id: int):
    return next(i for i in items if i.id == item_id)


def _flag_warnings(score: AksiScore | IndicatorScore) -> list[tuple[str, dict]]:
    return [(f"flag:{flag}", {}) for flag in score.flags if flag != FLAG_PCT_OVER_100]


def aksi_effect(plan_id: int, aksi_id: int, quarter: int, new: TargetIn, *, session: Session,
                as_of: AsOf) -> TargetEffect:
    """The aksi scored with its stored targets and with TW `quarter` set to `new`; the warnings of the new set."""
    before = _find(load_scoring_input(plan_id, session=session).aksi, aksi_id)
    targets = {q: t for q, t in before.targets.items() if q != quarter}
    if new.kind != "none":
        targets[quarter] = new
    old_cell = before.targets.get(quarter)
    return _aksi_compare(before, before._replace(targets=dict(sorted(targets.items()))), as_of,
                         unit_label(old_cell.kind, old_cell.unit) if old_cell else "-", unit_label(new.kind, new.unit))


def _aksi_unit(aksi: AksiIn) -> str:
    due = [t for t in aksi.targets.values() if t.kind in ("percent", "count")]
    return unit_label(due[0].kind, due[0].unit) if due else "-"


def _aksi_compare(before: AksiIn, after: AksiIn, as_of: AsOf, old_unit: str, new_unit: str) -> TargetEffect:
    old = score_aksi(before, as_of.quarter, closed=as_of.closed)
    now = score_aksi(after, as_of.quarter, closed=as_of.closed)
    warnings: list[tuple[str, dict]] = []
    due = after.targets
    values = {q: t.value for q, t in due.items() if t.kind in ("percent", "count") and t.value}
    percent = bool(values) and all(due[q].kind == "percent" for q in values)
    if after.mode == INCREMENT and percent and now.annual_target != HUNDRED:
        warnings.append(("shares", {"total": now.annual_target, "old_total": old.annual_target,
                                    "cells": [(q, values[q]) for q in sorted(values)]}))
    if after.mode == LEVEL:
        falls = [(a, b) for a, b in pairwise(sorted(values)) if values[b] < values[a]]
        if falls:
            a, b = falls[0]
            warnings.append(("level_falls", {"from_q": a, "to_q": b, "from_v": values[a], "to_v": values[b],
                                             "unit": unit_label(due[b].kind, due[b].unit)}))
    warnings += _flag_warnings(now)
    return TargetEffect(
        quarter=as_of.quarter, old_unit=old_unit, new_unit=new_unit,
        old_annual=old.annual_target, new_annual=now.annual_target, old_annual_unit=old.unit,
        new_annual_unit=now.unit,
        old_pct=old.cumulative.pct, new_pct=now.cumulative.pct,
        old_status=old.cumulative.status, new_status=now.cumulative.status,
        old_flags=old.flags, new_flags=now.flags,
        realised=tuple((q, v) for q, v in sorted(before.reals.items()) if q <= as_of.quarter),
        warnings=tuple(warnings), old_mode=before.mode, new_mode=after.mode)


def measure_effect(plan_id: int, what: str, item_id: int, mode: str, unit: str | None, *, session: Session,
                   as_of: AsOf) -> TargetEffect:
    """An aksi (`a`) or kegiatan indicator (`i`) scored as stored and measured by `mode`, its counts in `unit`
    (None: unchanged; a percentage stays one)."""
    data = load_scoring_input(plan_id, session=session)
    if what == "a":
        before = _find(data.aksi, item_id)
        targets = {q: t._replace(unit=unit) if unit is not None and t.kind == "count" else t
                   for q, t in before.targets.items()}
        after = before._replace(mode=mode, targets=targets)
        return _aksi_compare(before, after, as_of, _aksi_unit(before), _aksi_unit(after))
    before = _find(data.indicators, item_id)
    percent = "%" in before.target_unit
    after = before._replace(mode=mode, target_unit=before.target_unit if unit is None or percent else unit)
    return _indicator_compare(before, after, as_of)


def indicator_effect(plan_id: int, indicator_id: int, new: TargetIn, *, session: Session,
                     as_of: AsOf) -> TargetEffect:
    """A kegiatan indicator scored against its stored annual target and against `new`."""
    before = _find(load_scoring_input(plan_id, session=session).indicators, indicator_id)
    after = before._replace(target_raw=new.raw, target_value=new.value if new.kind != "none" else None,
                            target_unit="%" if new.kind == "percent" else new.unit)
    return _indicator_compare(before, after, as_of, new_unit=unit_label(new.kind, new.unit))


def _indicator_unit(ind: IndicatorIn) -> str:
    kind = "percent" if "%" in ind.target_unit else "count" if ind.target_value is not None else "none"
    return unit_label(kind, ind.target_unit)


def _indicator_compare(before: IndicatorIn, after: IndicatorIn, as_of: AsOf, new_unit: str | None = None
                       ) -> TargetEffect:
    old = score_indicator(before, as_of.quarter, closed=as_of.closed)
    now = score_indicator(after, as_of.quarter, closed=as_of.closed)
    return TargetEffect(
        quarter=as_of.quarter, old_unit=_indicator_unit(before),
        new_unit=new_unit if new_unit is not None else _indicator_unit(after), old_annual=before.target_value,
        new_annual=after.target_value, old_annual_unit=before.target_unit, new_annual_unit=after.target_unit,
        old_pct=old.pct, new_pct=now.pct, old_status=old.status, new_status=now.status, old_flags=old.flags,
        new_flags=now.flags, realised=tuple(sorted(old.reals.items())), warnings=tuple(_flag_warnings(now)),
        old_mode=before.mode, new_mode=after.mode)
