"""How one measured item combines its quarters, what it achieves, and how items add up to a group.

The one rule for every level that is measured: aksi, kegiatan indicators (IKK), the indikator
sasaran (IKU) and program indicators. Pure functions over
Decimals; the item's mode comes from bot.domain.modes (stored at import).

An item, to TW n (`to_date`) or in TW n alone (`in_quarter`):

* Due quarters are those with a target (a number other than 0; 0 is a real target only for a
  negative item). An item with an annual target only (`against_annual`, a kegiatan indicator) is
  asked every quarter. An IKU or program indicator is due in the quarters its signed TW cells give
  a number; with none, in TW IV at its annual target (`outcome_targets`); before its first due
  quarter it is ``not_due`` and `against_annual` gives its progress (shown, never banded).
* ``increment``: target to date = the sum of the due quarters' targets to n; realisation to date =
  the sum of the values reported to n (a value in a quarter without a target is work done early,
  and counts). ``level`` and ``negative``: target to date = the latest due target to n; realisation
  = the latest value reported since that quarter.
* Achievement = realisation / target × 100; for a negative item (2 × target − realisation) /
  target × 100, floored at 0; rounded half-up to 0,1. It is shown as computed: 180% is 180%.
* A due value not reported is ``pending`` before that quarter's reporting deadline: the item is
  shown («belum lapor») and not scored. After the deadline it is ``missing`` («tidak lapor») and
  counts as 0: an increment quarter adds 0, a level or negative item scores 0%.
* Late work (tunggakan, `arrear`): an aksi whose target to TW n−1 is not met when TW n begins is
  still owed in TW n, and what the PIC does then is recorded as TW n's value (an earlier quarter is
  never written into). The sums above already count it (a TW III value counts towards a TW II
  target in both modes). The arrear ends when the target to date is met, or with the year.

A group (`combine_items` over items, `combine_groups` over groups, e.g. kegiatan → program):

* Each input is capped at the ceiling (SCORE_CAP_PCT, default 100) before it is averaged: one
  item far above target cannot hide one below it, and cannot move the headline by more than its
  weight allows.
* An item whose target is flagged as anomalous is left out (``excluded``, «perlu dicek admin»);
  a pending item is left out too; a missing one is in, at 0.
* The group's achievement is the mean of its inputs, rounded to 0,1; each level averages the
  rounded numbers of the level below, so a reader can redo the sums. `Coverage` counts the items
  behind every group (due, scored, pending, missing, excluded, capped).
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from decimal import Decimal
from itertools import accumulate
from typing import NamedTuple

INCREMENT, LEVEL, NEGATIVE = "increment", "level", "negative"
MODES: tuple[str, ...] = (INCREMENT, LEVEL, NEGATIVE)
OK, PARTIAL, PENDING, MISSING, NOT_DUE = "ok", "partial", "pending", "missing", "not_due"
DEFAULT_CAP_PCT = 100

HUNDRED = Decimal(100)
ZERO = Decimal(0)
_ONE_DECIMAL = Decimal("0.1")


def round1(value: Decimal) -> Decimal:
    """Half-up to one decimal: the precision reports show and bands are decided on."""
    return value.quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def achievement(real: Decimal, target: Decimal, *, negative: bool = False) -> Decimal:
    """Realisation / target × 100, or the negative-item rule; rounded to 0,1, never capped."""
    if negative:
        if target == 0:
            return HUNDRED if real <= 0 else ZERO
        return round1(max(ZERO, (2 * target - real) / target * HUNDRED))
    return round1(real / target * HUNDRED)


def mean(values: Sequence[Decimal]) -> Decimal | None:
    return round1(sum(values, ZERO) / len(values)) if values else None


def is_target(value: Decimal | None, mode: str) -> bool:
    """A usable target: a number, not zero unless lower is better."""
    return value is not None and (value != 0 or mode == NEGATIVE)


class Span(NamedTuple):
    """One item over a span (TW n alone, or to TW n): what it owes, what it got, what it achieves. A NamedTuple:
    scoring builds two for every aksi of a plan, and a tuple is built in a third of a frozen dataclass's time."""

    target: Decimal | None
    real: Decimal | None  # for a pending item: what is reported so far (shown, not scored)
    pct: Decimal | None  # uncapped; None when not due or pending
    status: str  # ok / pending / missing / not_due
    missing: tuple[int, ...] = ()  # due quarters not reported after their deadline (counted as 0)
    pending: tuple[int, ...] = ()  # due quarters not reported yet, before their deadline


def to_date(mode: str, targets: Mapping[int, Decimal], reals: Mapping[int, Decimal], quarter: int,
            closed: Collection[int], *, fixed_target: Decimal | None = None) -> Span:
    """Cumulative to TW `quarter`. `targets`: the due quarters' targets; `closed`: quarters whose
    reporting deadline has passed. `fixed_target` replaces the target to date (an annual target)."""
    # Plain loops: scoring asks this of every aksi and indicator of a plan (16,000 on a large one).
    negative = mode == NEGATIVE
    due = [q for q, t in targets.items() if q <= quarter and t is not None and (negative or t != 0)]
    if not due:
        return Span(None, None, None, NOT_DUE)
    due.sort()
    reported = [q for q in reals if q <= quarter]
    reported.sort()
    if mode == INCREMENT:
        target = ZERO
        for q in due:
            target += targets[q]
        gaps = [q for q in due if q not in reals]
        if reported or gaps:
            real = ZERO
            for q in reported:
                real += reals[q]
        else:
            real = None
    else:
        last = due[-1]
        target = targets[last]
        since = [q for q in reported if q >= last]
        real = reals[since[-1]] if since else None
        gaps = [] if since else [last]
    if fixed_target is not None:
        target = fixed_target
    if gaps:
        missing = tuple([q for q in gaps if q in closed])
        pending = tuple([q for q in gaps if q not in closed])
    else:
        missing = pending = ()
    if pending:
        shown = real if mode == INCREMENT else (reals[reported[-1]] if reported else None)
        return Span(target, shown if reported else None, None, PENDING, missing, pending)
    if not is_target(target, mode):
        return Span(target, real, None, NOT_DUE)
    if mode != INCREMENT and missing:
        return Span(target, None, ZERO, MISSING, missing)
    pct = achievement(real, target, negative=mode == NEGATIVE)
    return Span(target, real, pct, MISSING if missing else OK, missing)


def in_quarter(mode: str, target: Decimal | None, real: Decimal | None, quarter: int,
               closed: Collection[int]) -> Span:
    """TW `quarter` alone: its own target and its own value."""
    if not is_target(target, mode):
        return Span(None, real, None, NOT_DUE)
    if real is None:
        if quarter in closed:
            return Span(target, None, ZERO, MISSING, (quarter,))
        return Span(target, None, None, PENDING, (), (quarter,))
    return Span(target, real, achievement(real, target, negative=mode == NEGATIVE), OK)


def against_annual(mode: str, annual: Decimal | None, reals: Mapping[int, Decimal], quarter: int,
                   closed: Collection[int]) -> Span:
    """An item with an annual target only (a kegiatan indicator), asked every quarter: increment sums
    the quarters' values to date, level takes the latest, both against the annual target."""
    if not is_target(annual, mode):
        reported = [reals[q] for q in sorted(reals) if q <= quarter]
        real = (sum(reported, ZERO) if mode == INCREMENT else reported[-1]) if reported else None
        return Span(annual, real, None, NOT_DUE)
    return to_date(mode, dict.fromkeys(range(1, quarter + 1), annual), reals, quarter, closed,
                   fixed_target=annual)


def outcome_targets(annual: Decimal | None, quarterly: Mapping[int, Decimal | None]) -> dict[int, Decimal]:
    """The due quarters of an IKU or program indicator: its quarterly cells where they hold a number;
    with none, the annual target falls due in TW IV (the Perjanjian Kinerja's year-end figure)."""
    due = {q: v for q, v in sorted(quarterly.items()) if v is not None}
    if not due and annual is not None:
        due = {4: annual}
    return due


def outcome_due(mode: str, annual: Decimal | None, quarterly: Mapping[int, Decimal | None]) -> dict[int, Decimal]:
    """The quarters an IKU or program indicator is due in, with their targets: `outcome_targets` that are
    usable targets (`is_target`). Scoring measures by it; /lapor, /status and reminders owe by it."""
    return {q: v for q, v in outcome_targets(annual, quarterly).items() if is_target(v, mode)}


def target_to_date(mode: str, targets: Mapping[int, Decimal], quarter: int) -> Decimal | None:
    """What is due to TW `quarter` (the «s.d. TW n» of /lapor's question): summed for an increment
    item, the latest due target otherwise."""
    due = sorted(q for q, t in targets.items() if q <= quarter and is_target(t, mode))
    if not due:
        return None
    return sum((targets[q] for q in due), ZERO) if mode == INCREMENT else targets[due[-1]]


def real_to_date(mode: str, reals: Mapping[int, Decimal], quarter: int) -> Decimal | None:
    """What is reported to TW `quarter`: summed for an increment item, the latest value otherwise."""
    reported = [reals[q] for q in sorted(reals) if q <= quarter]
    if not reported:
        return None
    return sum(reported, ZERO) if mode == INCREMENT else reported[-1]


# ---------------------------------------------------------------- late work (tunggakan)


@dataclass(frozen=True)
class Arrear:
    """Work due before TW `quarter` and not met when that quarter began («tunggakan TW `since`»).

    `target`: due to TW quarter−1 (by the mode); `before`: realised to TW quarter−1, `after`: to TW
    `quarter`, its own value included (None: nothing reported since the last due quarter)."""

    mode: str
    quarter: int
    since: int
    target: Decimal
    before: Decimal | None
    after: Decimal | None

    @property
    def owed(self) -> Decimal | None:
        """What was missing when the quarter began (None for a negative item with no value yet)."""
        return _gap(self.mode, self.target, self.before)

    @property
    def remaining(self) -> Decimal | None:
        """What is still missing with this quarter's value counted (0 once it is met)."""
        return _gap(self.mode, self.target, self.after)

    @property
    def settled(self) -> bool:
        """Met during this quarter: the late work is done."""
        return _met(self.mode, self.target, self.after)


def _met(mode: str, target: Decimal, real: Decimal | None) -> bool:
    if real is None:
        return False
    return real <= target if mode == NEGATIVE else real >= target


def _gap(mode: str, target: Decimal, real: Decimal | None) -> Decimal | None:
    if _met(mode, target, real):
        return ZERO
    if mode == NEGATIVE:
        return None if real is None else real - target
    return target - (real or ZERO)


def arrear(mode: str, targets: Mapping[int, Decimal], reals: Mapping[int, Decimal], quarter: int) -> Arrear | None:
    """The late work an aksi still owes in TW `quarter` (None: none). The one rule for /lapor, /status,
    reminders and scoring: the target to TW quarter−1 not met by what was realised to then.

    `since` names the quarter it is owed from: for an increment item the first due quarter whose
    target to date the realisation does not reach, for a level or negative item the last due one.
    A level or negative item with a target in TW `quarter` itself owes no late work: the value to date
    it is asked for is measured against that target, which takes the earlier one's place."""
    if not 2 <= quarter <= 4:  # nothing is owed before TW I, and the year ends with TW IV
        return None
    # Plain loops: scoring asks this of every aksi of a plan (12,000 on a large one).
    due = [q for q in sorted(targets) if q < quarter and is_target(targets[q], mode)]
    if not due:
        return None
    if mode == INCREMENT:
        target = ZERO
        for q in due:
            target += targets[q]
        before = this = None
        for q, v in reals.items():
            if q < quarter:
                before = v if before is None else before + v
            elif q == quarter:
                this = v
        if before is not None and before >= target:
            return None
        after = before if this is None else (before or ZERO) + this
        cumulative = accumulate(targets[q] for q in due)
        since = next((q for q, c in zip(due, cumulative, strict=True) if c > (before or ZERO)), due[-1])
        return Arrear(mode, quarter, since, target, before, after)
    if is_target(targets.get(quarter), mode):
        return None
    last = due[-1]
    target = targets[last]
    before = after = None
    for q in sorted(reals):
        if last <= q < quarter:
            before = reals[q]
        if last <= q <= quarter:
            after = reals[q]
    if _met(mode, target, before):
        return None
    return Arrear(mode, quarter, last, target, before, after)


# ---------------------------------------------------------------- groups


class Coverage(NamedTuple):
    """The items behind a group's number (a NamedTuple: every kegiatan, program and goal has two). Coverages add
    up field by field, `Coverage(*map(sum, zip(*coverages)))`: `+` would join the tuples."""

    due: int = 0  # items with something due in the span
    scored: int = 0  # in the mean: reported, or missing after the deadline and counted as 0
    pending: int = 0  # not reported yet, before the deadline: shown, not scored
    missing: int = 0  # of `scored`: not reported after the deadline, counted as 0
    excluded: int = 0  # target flagged as anomalous: left out until the admin fixes it
    capped: int = 0  # of `scored`: above the ceiling, counted at it


class Measure(NamedTuple):
    """Target, realisation and achievement (%) of one span; `coverage` for a group. A NamedTuple, as Span is."""

    target: Decimal | None
    real: Decimal | None
    pct: Decimal | None
    band: str | None
    status: str  # ok / partial / pending / missing / not_due
    coverage: Coverage | None = None


def combine_items(items: Sequence[tuple[Span | Measure, bool]], cap: Decimal | int) -> tuple[Decimal | None, str,
                                                                                              Coverage]:
    """(achievement, status, coverage) of a group of items, each given with whether it is excluded."""
    ceiling = Decimal(cap)
    due = excluded = pending = missing = over = 0
    inputs: list[Decimal] = []
    statuses: list[str] = []
    for s, left_out in items:  # one pass: this runs twice for every kegiatan of a plan
        status = s.status
        if status == NOT_DUE:
            continue
        due += 1
        if left_out:
            excluded += 1
        elif status == PENDING:
            pending += 1
        elif s.pct is not None:
            pct = s.pct
            statuses.append(status)
            missing += status == MISSING
            if pct > ceiling:
                over += 1
                inputs.append(ceiling)  # an input of a group: at most the ceiling
            else:
                inputs.append(pct)
    coverage = Coverage(due=due, scored=len(inputs), pending=pending, missing=missing, excluded=excluded,
                        capped=over)
    return mean(inputs), _group_status(due, statuses, bool(pending), bool(excluded)), coverage


def combine_groups(groups: Sequence[Measure], cap: Decimal | int) -> tuple[Decimal | None, str, Coverage]:
    """(achievement, status, coverage) of a group of groups: the mean of the scored ones, each capped."""
    ceiling = Decimal(cap)
    due = unscored = 0
    pending = False
    inputs: list[Decimal] = []
    statuses: list[str] = []
    coverages: list[Coverage] = []
    for g in groups:  # one pass: programs, goals and the plan each average every kegiatan, twice
        if g.coverage is not None:
            coverages.append(g.coverage)
        status = g.status
        if status == NOT_DUE:
            continue
        due += 1
        pending = pending or status == PENDING
        pct = g.pct
        if pct is None:
            unscored += 1
            continue
        statuses.append(status)
        inputs.append(pct if pct <= ceiling else ceiling)  # at most the ceiling
    return (mean(inputs), _group_status(due, statuses, pending, bool(unscored) and not pending),
            Coverage(*map(sum, zip(*coverages))))  # field by field


def _group_status(due: int, scored: list[str], pending: bool, left_out: bool) -> str:
    """not_due: nothing due · pending: nothing scored yet · partial: something due is not in the figure
    (pending, or flagged) · missing: everything due is in it, some of it as 0 (not reported after the
    deadline) · ok: everything due reported."""
    if not due:
        return NOT_DUE
    if not scored:
        return PENDING if pending else PARTIAL
    if pending or left_out or any(s not in (OK, MISSING) for s in scored):
        return PARTIAL
    return OK if all(s == OK for s in scored) else MISSING
