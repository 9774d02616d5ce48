"""What a target change does before it is saved: the item re-scored, and the plan checked for consistency.

Used by /target (bot.domain.admin `check_*` / `change_*`), so the confirmation shows the old and the
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
from dataclasses import replace
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
from bot.domain.scoring import AksiScore
from bot.domain.scoring import IndicatorScore
from bot.domain.scoring import TargetIn
from bot.domain.scoring import closed_quarters
from bot.domain.scoring import load_scoring_input
from bot.domain.scoring import score_aksi
from bot.domain.scoring import score_indicator

__all__ = ["AsOf", "TargetEffect", "aksi_effect", "indicator_effect", "scoring_moment", "unit_label"]


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
    data = load_scoring_input(plan_id, session=session)
    before = _find(data.aksi, aksi_id)
    targets = {q: t for q, t in before.targets.items() if q != quarter}
    if new.kind != "none":
        targets[quarter] = new
    after = replace(before, targets=dict(sorted(targets.items())))
    old = score_aksi(before, as_of.quarter, closed=as_of.closed)
    now = score_aksi(after, as_of.quarter, closed=as_of.closed)
    old_cell = before.targets.get(quarter)
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
        quarter=as_of.quarter,
        old_unit=unit_label(old_cell.kind, old_cell.unit) if old_cell else "-", new_unit=unit_label(new.kind, new.unit),
        old_annual=old.annual_target, new_annual=now.annual_target, old_annual_unit=old.unit,
        new_annual_unit=now.unit,
        old_pct=old.cumulative.pct, new_pct=now.cumulative.pct,
        old_status=old.cumulative.status, new_status=now.cumulative.status,
        old_flags=old.flags, new_flags=now.flags,
        realised=tuple((q, v) for q, v in sorted(before.reals.items()) if q <= as_of.quarter),
        warnings=tuple(warnings))


def indicator_effect(plan_id: int, indicator_id: int, new: TargetIn, *, session: Session,
                     as_of: AsOf) -> TargetEffect:
    """A kegiatan indicator scored against its stored annual target and against `new`."""
    data = load_scoring_input(plan_id, session=session)
    before = _find(data.indicators, indicator_id)
    after = replace(before, target_raw=new.raw, target_value=new.value if new.kind != "none" else None,
                    target_unit="%" if new.kind == "percent" else new.unit)
    old = score_indicator(before, as_of.quarter, closed=as_of.closed)
    now = score_indicator(after, as_of.quarter, closed=as_of.closed)
    old_kind = "percent" if "%" in before.target_unit else "count" if before.target_value is not None else "none"
    return TargetEffect(
        quarter=as_of.quarter, old_unit=unit_label(old_kind, before.target_unit),
        new_unit=unit_label(new.kind, new.unit), old_annual=before.target_value, new_annual=after.target_value,
        old_annual_unit=before.target_unit, new_annual_unit=after.target_unit, old_pct=old.pct, new_pct=now.pct, old_status=old.status,
        new_status=now.status, old_flags=old.flags, new_flags=now.flags,
        realised=tuple(sorted(old.reals.items())), warnings=tuple(_flag_warnings(now)))
