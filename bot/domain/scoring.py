"""Tingkat capaian: physical achievement, budget absorption and reporting completeness of a plan.

Pure functions over plain dataclasses and NamedTuples. `load_scoring_input` reads a whole plan with a fixed
handful of bulk queries (no per-row queries, so 12,000 aksi load in well under a second);
`score_plan` turns that into a `PlanScore` for one quarter: each kegiatan's figures are averaged
from its aksi's measurements (`Measured`), and the aksi's and indicators' own scores are built from
those the first time something reads them (`KegiatanScore.aksi`, `.indicators`: a drill-down, the
workbook), so a digest builds only those of the kegiatan it lists as flagged. Nothing here imports Telegram.

Rules (Permendagri 86/2017 Renja evaluation: achievement = realisation / target × 100). How an
item's quarters combine, its achievement, the ceiling and how items add up are
bot.domain.measure's (one rule for every level); each item's mode is stored at import
(bot.domain.modes). What this module adds:

* Only quarters with a target count. A target cell that is empty, `-`, unparsed or zero
  means nothing is due that quarter (a zero target is real only for a negative item).
* Kegiatan achievement = the mean of its aksi to date, each capped at the ceiling
  (SCORE_CAP_PCT, default 100); program, goal and overall = the mean of their kegiatan. Above
  aksi, units differ and cannot be summed, so the target of an aggregate is 100 (% of what is
  due) and its realisation is the mean achievement. Each item is shown as computed (180%).
* Late work (tunggakan): a TW III value counts towards a TW II target in both modes (measure.to_date);
  `AksiScore.arrear` says which earlier target was still owed when TW n began, and whether TW n met it.
* Before a quarter's reporting deadline an unreported aksi is pending («belum lapor»: shown, not
  scored); after it the aksi counts as 0 («tidak lapor»). `closed` are the quarters whose deadline
  has passed (`closed_quarters`, from the reporting calendar and the moment asked about).
* Anomalous targets (a percentage over 100, a percent cell on a «Jumlah …» indicator or a count
  on a «Persentase …» one, a unitless count of a million or more) are flagged as the importer
  flags them; a flagged item is left out of every aggregate and listed as «perlu dicek admin»
  until its target is fixed (/target), so one typing error cannot move the headline.
* Every achievement is rounded half-up to one decimal — the number people see — and each
  level averages the rounded numbers of the level below, so a reader can redo the sums.
  The band is decided on that rounded number against the lower bounds (default 91/76/66/51):
  90,5 is Tinggi, 90,96 shows as 91,0 and is Sangat Tinggi, 50,9 is Sangat Rendah.
* Lagging kegiatan: scored below the second lower bound (Tinggi, 76 by default), worst first.
* Kegiatan indicators (IKK; an annual target, no quarterly ones) are measured against the annual
  target by their mode (increment: the quarters' values summed; level: the latest), shown with
  the kegiatan; they do not feed the kegiatan's achievement yet.
* The Perjanjian Kinerja comes first: each indikator sasaran (IKU) and each program indicator is
  measured to date against its signed quarterly targets by its mode (`outcome_targets`: with no
  quarterly number, the annual target is due in TW IV). «Capaian kinerja sasaran» is the mean of
  the IKU, «capaian program» the mean of the program indicators, each input capped and flagged
  ones left out like aksi. Before an indicator's first due quarter it is not scored; its progress
  against the annual target (`progress_pct`) is shown, never banded.
* Budget absorption = budget realised to TW n / pagu × 100, per kegiatan and summed above. Where
  a kegiatan has an anggaran kas (bot.domain.budget_plan) it is also measured against the plan to
  date: realised to TW n / planned TW I..n × 100. Above a kegiatan that figure sums only the
  kegiatan with a plan (their realised over their plan to date) and says how many they are; a
  kegiatan without one never enters it, with its pagu or otherwise (README «Cara menghitung capaian»).
* Completeness for TW n is bot.domain.obligations' rule (aksi_due, kegiatan_due, is_complete: what
  reminders, /status and /lapor say), so the digest's «PIC sudah lapor X dari Y» never contradicts
  a PIC's /status. A PIC has reported when all their due kegiatan are complete. A due kegiatan
  without a PIC is not counted in «kegiatan X dari Y» (nobody can report it) but is listed as
  unreported, shown as «belum ada PIC». This is the reporting rule only: achievement still scores
  just the quarters with a usable target (a zero or unparsed cell is owed a value but not scored).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session

from bot.domain import obligations
from bot.domain import verification
from bot.domain.budget_plan import planned_to_date
from bot.domain.bulk import gc_paused
from bot.domain.measure import DEFAULT_CAP_PCT
from bot.domain.measure import HUNDRED
from bot.domain.measure import INCREMENT
from bot.domain.measure import LEVEL
from bot.domain.measure import MISSING
from bot.domain.measure import MODES
from bot.domain.measure import NEGATIVE
from bot.domain.measure import NOT_DUE
from bot.domain.measure import OK
from bot.domain.measure import PARTIAL
from bot.domain.measure import PENDING
from bot.domain.measure import ZERO
from bot.domain.measure import Arrear
from bot.domain.measure import Coverage
from bot.domain.measure import Measure
from bot.domain.measure import Span
from bot.domain.measure import achievement
from bot.domain.measure import against_annual
from bot.domain.measure import arrear
from bot.domain.measure import combine_groups
from bot.domain.measure import combine_items
from bot.domain.measure import in_quarter
from bot.domain.measure import is_target
from bot.domain.measure import mean
from bot.domain.measure import outcome_due
from bot.domain.measure import real_to_date
from bot.domain.measure import round1
from bot.domain.measure import to_date
from bot.domain.modes import wording
from models import Agency
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import Goal
from models import GoalIndicator
from models import GoalIndicatorRealisation
from models import IndicatorRealisation
from models import Kegiatan
from models import KegiatanBudgetPlan
from models import KegiatanIndicator
from models import KegiatanRealisation
from models import Person
from models import PicAssignment
from models import Plan
from models import Program
from models import ProgramIndicator
from models import ProgramIndicatorRealisation

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.domain.calendar import ReportingCalendar

__all__ = [
    "BAND_NAMES", "DEFAULT_BANDS", "DEFAULT_CAP_PCT", "FLAG_IMPLAUSIBLE", "FLAG_PCT_OVER_100", "FLAG_UNIT_MISMATCH",
    "INCREMENT", "LEVEL", "MISSING", "MODES", "NEGATIVE", "NOT_DUE", "OK", "PARTIAL", "PENDING", "AksiIn",
    "AksiScore", "Budget", "Coverage", "GoalIn", "IndicatorIn", "IndicatorScore", "KegiatanDetail", "KegiatanIn",
    "KegiatanScore", "Measure", "Measured", "OutcomeIn", "OutcomeScore", "PlanScore", "ProgramIn", "ProgramScore",
    "ScoringInput", "TargetIn", "absorption", "achievement", "band_for", "closed_quarters", "load_scoring_input",
    "mean", "round1", "score_aksi", "score_indicator", "score_plan", "score_plan_from_db", "score_plans_from_db",
]

BAND_NAMES: tuple[str, ...] = ("Sangat Tinggi", "Tinggi", "Sedang", "Rendah", "Sangat Rendah")
DEFAULT_BANDS: tuple[int, ...] = (91, 76, 66, 51)
QUARTERS: tuple[int, ...] = (1, 2, 3, 4)

# Flag codes (templates turn them into words).
FLAG_PCT_OVER_100 = "pct_over_100"
FLAG_UNIT_MISMATCH = "unit_mismatch"
FLAG_IMPLAUSIBLE = "implausible_value"

_IMPLAUSIBLE_UNITLESS = Decimal(1_000_000)  # the importer's ABSURD_COUNT


# ---------------------------------------------------------------- input


class TargetIn(NamedTuple):
    """One quarterly target cell: as written, and its parse (kind percent / count / none)."""

    raw: str
    value: Decimal | None
    unit: str = ""
    kind: str = "count"


# The input rows are NamedTuples: a plan's load builds tens of thousands of them, and a tuple is built in a
# quarter of a frozen dataclass's time. `_replace` gives a changed copy; an empty mapping default is read-only
# (and cannot be pickled or deep-copied: nothing does that to an input row).
_NO_VALUES: Mapping = MappingProxyType({})


class AksiIn(NamedTuple):
    id: int
    kegiatan_id: int
    no: int
    name: str
    indicator: str = ""
    mode: str = INCREMENT  # bot.domain.modes, stored at import
    targets: Mapping[int, TargetIn] = _NO_VALUES
    reals: Mapping[int, Decimal] = _NO_VALUES
    # Quarters with a realisation row but no value: not scored, yet reported (bot.domain.obligations).
    blank_reports: frozenset[int] = frozenset()

    def owes(self, quarter: int) -> tuple[bool, bool]:
        """(due, reported) in TW `quarter` by bot.domain.obligations' rule."""
        target = self.targets.get(quarter)
        if target is None or not obligations.aksi_due(target.kind):
            return False, False
        return True, quarter in self.reals or quarter in self.blank_reports


class IndicatorIn(NamedTuple):
    """A kegiatan indicator: annual target and realised value per quarter."""

    id: int
    kegiatan_id: int
    seq: int
    text: str
    target_raw: str = ""
    target_value: Decimal | None = None
    target_unit: str = ""
    mode: str = INCREMENT
    reals: Mapping[int, Decimal] = _NO_VALUES


class KegiatanIn(NamedTuple):
    id: int
    program_id: int
    seq: int
    no: str
    name: str
    budget: int | None = None
    budget_reals: Mapping[int, int] = _NO_VALUES
    budget_plan: tuple[int, ...] | None = None  # anggaran kas TW I..IV (bot.domain.budget_plan), if any
    kendala: Mapping[int, str] = _NO_VALUES
    tindak_lanjut: Mapping[int, str] = _NO_VALUES
    pic_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ProgramIn:
    """A program block: a program row under one IKU (`goal_indicator_id`)."""

    id: int
    goal_id: int
    seq: int
    no: str
    name: str
    goal_indicator_id: int | None = None


@dataclass(frozen=True)
class OutcomeIn:
    """An IKU (owner: its goal) or a program indicator (owner: its program block), with the signed
    annual target, the numbers of its four quarterly cells (None: nothing written) and what is reported."""

    id: int
    owner_id: int
    seq: int
    no: str
    text: str
    target_raw: str = ""
    target_value: Decimal | None = None
    target_unit: str = ""
    mode: str = INCREMENT
    quarterly: dict[int, Decimal | None] = field(default_factory=dict)
    reals: dict[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class GoalIn:
    id: int
    seq: int
    no: str
    name: str


@dataclass(frozen=True)
class ScoringInput:
    """A whole plan as plain data, in document order."""

    plan_id: int
    year: int
    agency: str
    title: str
    goals: list[GoalIn]
    programs: list[ProgramIn]
    kegiatan: list[KegiatanIn]
    aksi: list[AksiIn]
    indicators: list[IndicatorIn] = field(default_factory=list)
    people: dict[int, str] = field(default_factory=dict)
    goal_indicators: list[OutcomeIn] = field(default_factory=list)  # IKU, by goal then seq
    program_indicators: list[OutcomeIn] = field(default_factory=list)  # by program block then seq


def load_scoring_input(plan_id: int, *, session: Session) -> ScoringInput:
    """Read one plan and everything reported against it with a fixed number of bulk queries."""
    data = load_scoring_inputs([plan_id], session=session).get(plan_id)
    if data is None:
        raise LookupError(f"no plan with id {plan_id}")
    return data


def load_scoring_inputs(plan_ids: Collection[int], *, session: Session) -> dict[int, ScoringInput]:
    """Read several plans (the kabupaten's OPD) with the same fixed number of bulk queries as one: each
    table once for all of them (`plan_id IN (…)`), its rows then dealt to their plan. A plan id that
    does not exist is left out."""
    ids = sorted(set(plan_ids))
    if not ids:
        return {}
    rows = _bulk_rows(session, ids)
    decimal = _decimals()  # shared: the same stored number is one Decimal across the plans
    return {plan_id: _scoring_input(plan_id, plan_rows, decimal) for plan_id, plan_rows in _by_plan(rows).items()}


def _by_plan(rows: dict) -> dict[int, dict]:
    """The bulk rows of many plans dealt to each plan, in the order read (each plan's document order)."""
    if len(rows["plan"]) == 1:  # one plan (a digest): every row is its own, nothing to deal
        plan_id, *row = rows["plan"][0]
        return {plan_id: {**rows, "plan": [tuple(row)], **{name: [r[1:] for r in rows[name]]
                                                            for name in ("goals", "programs", "kegiatan")}}}
    plan_of_goal, plan_of_program, plan_of_keg = {}, {}, {}
    out: dict[int, dict] = {}
    for plan_id, *row in rows["plan"]:
        out[plan_id] = defaultdict(list, plan=[tuple(row)])

    def deal(name: str, plan_of, key: int = 0, strip: bool = False) -> None:
        for row in rows[name]:
            plan = out.get(plan_of(row) if callable(plan_of) else plan_of.get(row[key]))
            if plan is not None:
                plan[name].append(row[1:] if strip else row)

    deal("goals", lambda r: r[0], strip=True)
    deal("programs", lambda r: r[0], strip=True)
    deal("kegiatan", lambda r: r[0], strip=True)
    for plan_id, rs in out.items():
        plan_of_goal.update((r[0], plan_id) for r in rs["goals"])
        plan_of_program.update((r[0], plan_id) for r in rs["programs"])
        plan_of_keg.update((r[0], plan_id) for r in rs["kegiatan"])
    plan_of_aksi = {r[0]: plan_of_keg.get(r[1]) for r in rows["aksi"]}
    plan_of_ind = {r[0]: plan_of_keg.get(r[1]) for r in rows["indicators"]}
    plan_of_gi = {r[0]: plan_of_goal.get(r[1]) for r in rows["goal_indicators"]}
    plan_of_pi = {r[0]: plan_of_program.get(r[1]) for r in rows["program_indicators"]}
    for name, plan_of, key in (("goal_indicators", plan_of_goal, 1), ("goal_indicator_reals", plan_of_gi, 0),
                               ("program_indicators", plan_of_program, 1), ("program_indicator_reals", plan_of_pi, 0),
                               ("indicators", plan_of_keg, 1), ("aksi", plan_of_keg, 1),
                               ("targets", plan_of_aksi, 0), ("aksi_reals", plan_of_aksi, 0),
                               ("indicator_reals", plan_of_ind, 0), ("kegiatan_reals", plan_of_keg, 0),
                               ("budget_plans", plan_of_keg, 0), ("pics", plan_of_keg, 0)):
        deal(name, plan_of, key)
    names = dict(rows["people"])
    for rs in out.values():  # each plan's people: its own PICs
        held = {person_id for _, person_id in rs["pics"]}
        rs["people"] = [(pid, names[pid]) for pid in names if pid in held]
    return out


def _scoring_input(plan_id: int, rows: dict, decimal) -> ScoringInput:
    """One plan's ScoringInput from its bulk rows."""
    year, title, agency = rows["plan"][0]
    # Target cells repeat (25/25/25/25, 100%): one shared TargetIn per distinct cell (they are immutable).
    cells: dict[tuple, TargetIn] = {}
    targets: dict[int, dict[int, TargetIn]] = defaultdict(dict)
    for aksi_id, quarter, raw, value, unit, kind in rows["targets"]:
        key = (raw, value, value.__class__, unit, kind)
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = TargetIn(raw or "", decimal(value), unit or "", kind or "none")
        targets[aksi_id][quarter] = cell
    aksi_reals: dict[int, dict[int, Decimal]] = defaultdict(dict)
    blank_reports: dict[int, set[int]] = defaultdict(set)
    for aksi_id, quarter, value in rows["aksi_reals"]:
        if value is None:
            blank_reports[aksi_id].add(quarter)
        else:
            aksi_reals[aksi_id][quarter] = decimal(value)
    ind_reals = _by_owner_quarter(rows["indicator_reals"], decimal)
    budget_reals: dict[int, dict[int, int]] = defaultdict(dict)
    kendala: dict[int, dict[int, str]] = defaultdict(dict)
    tindak: dict[int, dict[int, str]] = defaultdict(dict)
    for keg_id, quarter, money, why, follow_up in rows["kegiatan_reals"]:
        if money is not None:
            budget_reals[keg_id][quarter] = int(money)
        kendala[keg_id][quarter] = why or ""
        tindak[keg_id][quarter] = follow_up or ""
    plans: dict[int, dict[int, int]] = defaultdict(dict)
    for keg_id, quarter, amount in rows["budget_plans"]:
        plans[keg_id][quarter] = int(amount)
    pics: dict[int, list[int]] = defaultdict(list)
    for keg_id, person_id in rows["pics"]:
        pics[keg_id].append(person_id)
    no_blanks: frozenset[int] = frozenset()
    return ScoringInput(
        plan_id=plan_id,
        year=year,
        agency=agency or "",
        title=title or "",
        goals=[GoalIn(*r) for r in rows["goals"]],
        programs=[ProgramIn(*r) for r in rows["programs"]],
        goal_indicators=_outcomes(rows["goal_indicators"], _by_owner_quarter(rows["goal_indicator_reals"], decimal),
                                  decimal),
        program_indicators=_outcomes(rows["program_indicators"],
                                     _by_owner_quarter(rows["program_indicator_reals"], decimal), decimal),
        kegiatan=[
            KegiatanIn(keg_id, program_id, seq, no, name, None if budget is None else int(budget),
                       budget_reals.get(keg_id, {}),
                       tuple(plans[keg_id].get(q, 0) for q in QUARTERS) if keg_id in plans else None,
                       kendala.get(keg_id, {}), tindak.get(keg_id, {}), tuple(pics.get(keg_id, ())))
            for keg_id, program_id, seq, no, name, budget in rows["kegiatan"]
        ],
        aksi=[
            AksiIn(aksi_id, keg_id, no, name, indicator or "", _mode(mode), targets.get(aksi_id, {}),
                   aksi_reals.get(aksi_id, {}),
                   frozenset(blank_reports[aksi_id]) if aksi_id in blank_reports else no_blanks)
            for aksi_id, keg_id, no, name, indicator, mode in rows["aksi"]
        ],
        indicators=[
            IndicatorIn(ind_id, keg_id, seq, text, target_raw or "", decimal(target_value), target_unit or "",
                        _mode(mode), ind_reals.get(ind_id, {}))
            for ind_id, keg_id, seq, text, target_raw, target_value, target_unit, mode in rows["indicators"]
        ],
        people=dict(rows["people"]),
    )


def _bulk_rows(session: Session, plan_ids: list[int]) -> dict:
    """The plans' rows, one query per table for all of them, as plain tuples (plan, goals, programs and
    kegiatan lead with their plan id: `_by_plan` deals the rest through them).

    Runs on the session's connection (Core) and takes the driver's own tuples from its cursor: ORM
    objects, and even SQLAlchemy's rows, cost more than the queries (no column read here has a result
    processor: numbers come as the driver gives them, see `_exact`).
    """
    conn = session.connection()

    def run(query) -> list[tuple]:
        result = conn.execute(query)
        try:
            return result.cursor.fetchall()
        finally:
            result.close()

    keg_ids = sa.select(Kegiatan.id).where(Kegiatan.plan_id.in_(plan_ids)).scalar_subquery()
    aksi_ids = sa.select(Aksi.id).where(Aksi.kegiatan_id.in_(keg_ids)).scalar_subquery()
    ind_ids = sa.select(KegiatanIndicator.id).where(KegiatanIndicator.kegiatan_id.in_(keg_ids)).scalar_subquery()
    return {
        "plan": run(sa.select(Plan.id, Plan.year, Plan.title, Agency.name.label("agency"))
                    .join(Agency, Agency.id == Plan.agency_id, isouter=True)
                    .where(Plan.id.in_(plan_ids))),
        "goals": run(sa.select(Goal.plan_id, Goal.id, Goal.seq, Goal.no, Goal.name)
                     .where(Goal.plan_id.in_(plan_ids)).order_by(Goal.seq, Goal.id)),
        "programs": run(sa.select(Program.plan_id, Program.id, Program.goal_id, Program.seq, Program.no, Program.name,
                                  Program.goal_indicator_id)
                        .where(Program.plan_id.in_(plan_ids)).order_by(Program.seq, Program.id)),
        **_outcome_rows(run, GoalIndicator, GoalIndicator.goal_id, GoalIndicatorRealisation.goal_indicator_id,
                        GoalIndicatorRealisation, sa.select(Goal.id).where(Goal.plan_id.in_(plan_ids)), "goal_indicator"),
        **_outcome_rows(run, ProgramIndicator, ProgramIndicator.program_id,
                        ProgramIndicatorRealisation.program_indicator_id, ProgramIndicatorRealisation,
                        sa.select(Program.id).where(Program.plan_id.in_(plan_ids)), "program_indicator"),
        "kegiatan": run(sa.select(Kegiatan.plan_id, Kegiatan.id, Kegiatan.program_id, Kegiatan.seq, Kegiatan.no, Kegiatan.name,
                                  Kegiatan.budget)
                        .where(Kegiatan.plan_id.in_(plan_ids)).order_by(Kegiatan.seq, Kegiatan.id)),
        "indicators": run(sa.select(KegiatanIndicator.id, KegiatanIndicator.kegiatan_id, KegiatanIndicator.seq,
                                    KegiatanIndicator.text, KegiatanIndicator.target_raw,
                                    _exact(KegiatanIndicator.target_value), KegiatanIndicator.target_unit,
                                    KegiatanIndicator.mode)
                          .where(KegiatanIndicator.kegiatan_id.in_(keg_ids))
                          .order_by(KegiatanIndicator.kegiatan_id, KegiatanIndicator.seq,
                                    KegiatanIndicator.id)),
        "aksi": run(sa.select(Aksi.id, Aksi.kegiatan_id, Aksi.no, Aksi.name, Aksi.indicator, Aksi.mode)
                    .where(Aksi.kegiatan_id.in_(keg_ids)).order_by(Aksi.kegiatan_id, Aksi.no, Aksi.id)),
        "targets": run(sa.select(AksiTarget.aksi_id, AksiTarget.quarter, AksiTarget.raw, _exact(AksiTarget.value),
                                 AksiTarget.unit, AksiTarget.kind)
                       .where(AksiTarget.aksi_id.in_(aksi_ids))),
        "aksi_reals": run(sa.select(AksiRealisation.aksi_id, AksiRealisation.quarter, _exact(AksiRealisation.value))
                          .where(AksiRealisation.aksi_id.in_(aksi_ids))),
        "indicator_reals": run(sa.select(IndicatorRealisation.indicator_id, IndicatorRealisation.quarter,
                                         _exact(IndicatorRealisation.value))
                               .where(IndicatorRealisation.indicator_id.in_(ind_ids))),
        "kegiatan_reals": run(sa.select(KegiatanRealisation.kegiatan_id, KegiatanRealisation.quarter,
                                        KegiatanRealisation.budget_realised, KegiatanRealisation.kendala,
                                        KegiatanRealisation.tindak_lanjut)
                              .where(KegiatanRealisation.kegiatan_id.in_(keg_ids))),
        "budget_plans": run(sa.select(KegiatanBudgetPlan.kegiatan_id, KegiatanBudgetPlan.quarter,
                                      KegiatanBudgetPlan.amount)
                            .where(KegiatanBudgetPlan.kegiatan_id.in_(keg_ids))),
        "pics": run(sa.select(PicAssignment.kegiatan_id, PicAssignment.person_id)
                    .where(PicAssignment.kegiatan_id.in_(keg_ids))
                    .order_by(PicAssignment.kegiatan_id, PicAssignment.id)),
        "people": run(sa.select(Person.id, Person.name)
                      .where(Person.id.in_(sa.select(PicAssignment.person_id)
                                           .where(PicAssignment.kegiatan_id.in_(keg_ids))))),
    }


def _outcome_rows(run, model, owner, real_owner, realisation, owners, name: str) -> dict:
    """An IKU or program indicator table of the plan, and the values reported on it."""
    ids = sa.select(model.id).where(owner.in_(owners))
    return {
        f"{name}s": run(sa.select(model.id, owner, model.seq, model.no, model.text, model.target_raw,
                                  _exact(model.target_value), model.target_unit, model.mode,
                                  *(_exact(getattr(model, f"tw{q}_value")) for q in QUARTERS))
                        .where(owner.in_(owners)).order_by(owner, model.seq, model.id)),
        f"{name}_reals": run(sa.select(real_owner, realisation.quarter, _exact(realisation.value))
                             .where(real_owner.in_(ids))),
    }


def _outcomes(rows, reals: dict[int, dict[int, Decimal]], decimal) -> list[OutcomeIn]:
    return [OutcomeIn(id=r[0], owner_id=r[1], seq=r[2], no=r[3] or "", text=r[4], target_raw=r[5] or "",
                      target_value=decimal(r[6]), target_unit=r[7] or "", mode=_mode(r[8]),
                      quarterly={q: decimal(v) for q, v in zip(QUARTERS, r[9:13], strict=True)},
                      reals=reals.get(r[0], {}))
            for r in rows]


def _mode(value: str | None) -> str:
    return value if value in MODES else INCREMENT


def _exact(column):
    """A Numeric column fetched without SQLAlchemy's per-row Decimal processing (see `_decimal`)."""
    return sa.type_coerce(column, sa.String)


def _decimal(value) -> Decimal | None:
    """PostgreSQL hands back Decimal; SQLite an int or a float whose repr is the stored 4-place value."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _decimals():
    """`_decimal` for one load, each distinct SQLite int or float converted once (values repeat: 100, 25, 1).
    Keyed by type as well, so 1 and 1.0 keep their own Decimal (`1` and `1.0` print differently)."""
    seen: dict[type, dict] = {int: {}, float: {}}

    def decimal(value) -> Decimal | None:
        cache = seen.get(value.__class__)
        if cache is None:
            return _decimal(value)
        out = cache.get(value)
        if out is None:
            out = cache[value] = Decimal(str(value))
        return out

    return decimal


def _by_owner_quarter(rows: Iterable[tuple[int, int, Decimal | None]], decimal) -> dict[int, dict[int, Decimal]]:
    """{owner_id: {quarter: value}}; a stored row without a value counts as not reported."""
    out: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for owner, quarter, value in rows:
        if value is not None:
            out[owner][quarter] = decimal(value)
    return out


# ---------------------------------------------------------------- output


class Budget(NamedTuple):
    """Pagu and realised rupiah (integers) with absorption % to TW n; where an anggaran kas exists, the
    plan to date and absorption against it (of the kegiatan with a plan only: `kegiatan_planned`). A NamedTuple:
    every kegiatan, program and goal has one."""

    pagu: int | None
    real_quarter: int | None
    real_cumulative: int | None
    absorption: Decimal | None  # against the pagu
    planned_to_date: int | None = None  # anggaran kas TW I..n of the kegiatan with one; None: none has
    real_planned: int | None = None  # realised to TW n by those same kegiatan
    absorption_plan: Decimal | None = None  # real_planned / planned_to_date × 100
    kegiatan_planned: int = 0  # kegiatan with an anggaran kas, of
    kegiatan_count: int = 0  # the kegiatan in this figure
    plan: tuple[int, ...] | None = None  # one kegiatan's own four amounts


@dataclass(frozen=True)
class AksiScore:
    id: int
    kegiatan_id: int
    no: int
    name: str
    indicator: str
    unit: str  # "%" for percentage targets, else the unit as written (often empty)
    mode: str  # increment / level / negative (bot.domain.modes)
    annual_target: Decimal | None
    targets: dict[int, Decimal]  # due quarters only
    reals: dict[int, Decimal]
    quarter: Measure
    cumulative: Measure
    missing_quarters: tuple[int, ...]  # due quarters to TW n not reported after their deadline (counted as 0)
    flags: tuple[str, ...]
    pending_quarters: tuple[int, ...] = ()  # due quarters to TW n not reported yet, before their deadline
    quarter_no: int = 0  # the n of TW n

    @property
    def excluded(self) -> bool:
        """Its target looks like a typing error: left out of every aggregate («perlu dicek admin»)."""
        return bool(self.flags)

    @cached_property
    def arrear(self) -> Arrear | None:
        """Late work owed in TW n (bot.domain.measure.arrear): an earlier target not met when TW n began,
        `settled` when TW n's value met it. Already counted in `cumulative`; shown so TW II reads late.
        Worked out when asked (a drill-down, the workbook), not for every aksi of every digest."""
        return arrear(self.mode, self.targets, self.reals, self.quarter_no)


@dataclass(frozen=True)
class IndicatorScore:
    """A kegiatan indicator against its annual target (the form's «capaian» column)."""

    id: int
    seq: int
    text: str
    target_raw: str
    target: Decimal | None
    unit: str
    reals: dict[int, Decimal]
    total: Decimal | None  # realisation to TW n by the mode: summed (increment) or the latest
    pct: Decimal | None
    band: str | None
    flags: tuple[str, ...]
    mode: str = INCREMENT
    status: str = NOT_DUE  # ok / pending / missing / not_due (no usable target)
    missing_quarters: tuple[int, ...] = ()
    pending_quarters: tuple[int, ...] = ()

    @property
    def excluded(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class OutcomeScore:
    """An IKU or program indicator to TW n against its signed targets (the PK's «capaian kinerja»)."""

    id: int
    owner_id: int
    seq: int
    no: str
    text: str
    target_raw: str
    annual: Decimal | None
    unit: str
    mode: str
    targets: dict[int, Decimal]  # due quarters (outcome_targets)
    reals: dict[int, Decimal]
    cumulative: Measure  # to TW n against the target due to date; not_due before its first due quarter
    realised: Decimal | None  # reported to TW n by the mode (summed, or the latest), due or not
    progress_pct: Decimal | None  # realised / annual target × 100: shown, never banded
    flags: tuple[str, ...]
    missing_quarters: tuple[int, ...] = ()
    pending_quarters: tuple[int, ...] = ()

    @property
    def excluded(self) -> bool:
        return bool(self.flags)

    @property
    def status(self) -> str:
        return self.cumulative.status


@dataclass(frozen=True)
class KegiatanScore:
    id: int
    program_id: int
    seq: int
    no: str
    name: str
    quarter: Measure
    cumulative: Measure
    budget: Budget
    detail: KegiatanDetail = field(repr=False, compare=False)  # its aksi and indicators, scored when asked
    pic_ids: tuple[int, ...]
    pic_names: tuple[str, ...]
    aksi_due: int  # aksi with a target cell in TW n (bot.domain.obligations' rule)
    aksi_reported: int  # of those, with a realisation row
    kendala: str
    tindak_lanjut: str
    flags: tuple[str, ...]
    due: bool = False  # something to report in TW n: an aksi due, or a budget (pagu > 0)
    budget_reported: bool = False  # the budget realisation of TW n is entered (0 counts)

    @cached_property
    def aksi(self) -> list[AksiScore]:
        """Its aksi's scores, in document order: built from the measurements its own figures were
        averaged from, the first time something reads them (a drill-down, the workbook)."""
        d = self.detail
        return [_score_measured(m, d.quarter, d.bounds) for m in d.measured]

    @cached_property
    def indicators(self) -> list[IndicatorScore]:
        """Its kegiatan indicators' scores, scored the first time something reads them."""
        d = self.detail
        return [score_indicator(i, d.quarter, d.bounds, closed=d.closed) for i in d.indicators]

    @property
    def reported(self) -> bool | None:
        """Complete for TW n by bot.domain.obligations' rule; None when nothing is due."""
        if not self.due:
            return None
        return obligations.is_complete(self.aksi_due - self.aksi_reported, self.budget_reported)

    @property
    def counted(self) -> bool:
        """Counts in «kegiatan X dari Y»: due in TW n and held by a PIC."""
        return self.due and bool(self.pic_ids)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class ProgramScore:
    """A program block: its outcome indicators and, below them, its kegiatan."""

    id: int
    goal_id: int
    seq: int
    no: str
    name: str
    quarter: Measure
    cumulative: Measure
    budget: Budget
    kegiatan: list[KegiatanScore]
    goal_indicator_id: int | None = None
    indicators: list[OutcomeScore] = field(default_factory=list)
    outcome: Measure | None = None  # the mean of its indicators (each capped), as for the IKU


@dataclass(frozen=True)
class GoalScore:
    id: int
    seq: int
    no: str
    name: str
    quarter: Measure
    cumulative: Measure
    budget: Budget
    programs: list[ProgramScore]
    indicators: list[OutcomeScore] = field(default_factory=list)  # its IKU

    @property
    def kegiatan(self) -> list[KegiatanScore]:
        return [k for p in self.programs for k in p.kegiatan]


@dataclass(frozen=True)
class PicStatus:
    person_id: int
    name: str
    due_kegiatan: tuple[int, ...]
    unreported_kegiatan: tuple[int, ...]

    @property
    def reported(self) -> bool:
        return not self.unreported_kegiatan


@dataclass(frozen=True)
class Completeness:
    """Who has and has not reported TW n (only kegiatan and PICs with something due count)."""

    kegiatan_due: int  # due and held by a PIC
    kegiatan_reported: int  # of those, complete
    pics: list[PicStatus]
    # Due and not complete, in document order; includes kegiatan without a PIC («belum ada PIC»),
    # so it is exactly bot.domain.obligations.due_kegiatan's incomplete set.
    unreported: list[KegiatanScore]

    @property
    def pics_due(self) -> int:
        return len(self.pics)

    @property
    def pics_reported(self) -> int:
        return sum(1 for p in self.pics if p.reported)


@dataclass(frozen=True)
class PlanScore:
    plan_id: int
    year: int
    agency: str
    title: str
    quarter_no: int
    bands: tuple[int, ...]
    quarter: Measure
    cumulative: Measure
    budget: Budget
    goals: list[GoalScore]
    completeness: Completeness
    cap_pct: Decimal = Decimal(DEFAULT_CAP_PCT)  # the ceiling of each input of an aggregate
    closed: frozenset[int] = frozenset()  # quarters whose reporting deadline had passed
    # The Perjanjian Kinerja: «Capaian kinerja sasaran» (the IKU) and «capaian program» (their indicators).
    iku_measure: Measure | None = None
    program_measure: Measure | None = None

    @property
    def iku(self) -> list[OutcomeScore]:
        return [i for g in self.goals for i in g.indicators]

    @property
    def program_indicators(self) -> list[OutcomeScore]:
        return [i for p in self.programs for i in p.indicators]

    @property
    def programs(self) -> list[ProgramScore]:
        return [p for g in self.goals for p in g.programs]

    @property
    def kegiatan(self) -> list[KegiatanScore]:
        return [k for p in self.programs for k in p.kegiatan]

    def find_program(self, program_id: int) -> ProgramScore | None:
        return next((p for p in self.programs if p.id == program_id), None)

    def find_kegiatan(self, kegiatan_id: int) -> KegiatanScore | None:
        return next((k for k in self.kegiatan if k.id == kegiatan_id), None)

    @property
    def past_deadline(self) -> bool:
        """The quarter's reporting deadline has passed: what is not reported counts as 0."""
        return self.quarter_no in self.closed

    def lagging(self) -> list[KegiatanScore]:
        """Kegiatan scored below the Tinggi band to date, worst first."""
        floor = Decimal(self.bands[1])
        low = [k for k in self.kegiatan if k.cumulative.pct is not None and k.cumulative.pct < floor]
        return sorted(low, key=lambda k: (k.cumulative.pct, k.seq))

    def excluded(self) -> list[tuple[KegiatanScore, AksiScore | IndicatorScore]]:
        """Items whose target is flagged («perlu dicek admin»), in document order: aksi, then indicators."""
        # A flagged item flags its kegiatan: the others' items need not be scored to be passed over.
        return [(k, item) for k in self.kegiatan if k.flags for item in (*k.aksi, *k.indicators) if item.excluded]

    def excluded_outcomes(self) -> list[tuple[str, OutcomeScore]]:
        """IKU (`iku`) and program indicators (`program`) whose target is flagged, in document order."""
        return [("iku", i) for i in self.iku if i.excluded] + [
            ("program", i) for i in self.program_indicators if i.excluded]


# ---------------------------------------------------------------- arithmetic


def band_for(pct: Decimal | None, bounds: Sequence[int] = DEFAULT_BANDS) -> str | None:
    """Band name of an achievement: the first lower bound it reaches (rounded to 0,1 first)."""
    if pct is None:
        return None
    key = (pct, tuple(bounds))
    band = _BAND_OF.get(key)
    if band is None:
        if len(_BAND_OF) > 50_000:  # achievements repeat (100,0, 0,0, 50,0): this stays small in practice
            _BAND_OF.clear()
        band = _BAND_OF[key] = _band(pct, bounds)
    return band


_BAND_OF: dict[tuple, str] = {}


def _band(pct: Decimal, bounds: Sequence[int]) -> str:
    shown = round1(Decimal(pct))
    for name, bound in zip(BAND_NAMES, bounds, strict=False):
        if shown >= Decimal(bound):
            return name
    return BAND_NAMES[-1]


def absorption(real: int | None, pagu: int | None) -> Decimal | None:
    if real is None or not pagu:
        return None
    return round1(Decimal(real) / Decimal(pagu) * HUNDRED)


def closed_quarters(year: int, now: datetime | None, calendar: ReportingCalendar | None = None) -> frozenset[int]:
    """The quarters of `year` whose reporting deadline has passed at `now` (None: none has)."""
    if now is None:
        return frozenset()
    if calendar is None:
        from bot.domain.calendar import ReportingCalendar

        calendar = ReportingCalendar()
    return frozenset(q for q in QUARTERS if now >= calendar.deadline_end(year, q))


def _with_band(span: Span, bounds: Sequence[int]) -> Measure:
    return Measure(span.target, span.real, span.pct, band_for(span.pct, bounds), span.status)


def _group(result: tuple[Decimal | None, str, Coverage], bounds: Sequence[int]) -> Measure:
    pct, status, coverage = result
    return Measure(None if status == NOT_DUE else HUNDRED, pct, pct, band_for(pct, bounds), status, coverage)


# ---------------------------------------------------------------- aksi


def _due_targets(aksi: AksiIn) -> tuple[dict[int, TargetIn], dict[int, Decimal]]:
    """Quarters with something due, in order: a parsed value, non-zero unless lower-is-better. Their cells, and
    their values (what bot.domain.measure counts), built in one pass."""
    targets = aksi.targets
    negative = aksi.mode == NEGATIVE
    cells, values = {}, {}
    for q in sorted(targets):
        t = targets[q]
        value = t.value
        if t.kind != "none" and value is not None and (negative or value != 0):  # measure.is_target
            cells[q] = t
            values[q] = value
    return cells, values


@lru_cache(maxsize=4096)
def _wording(text: str) -> str | None:
    """bot.domain.modes.wording, once per distinct text (a plan repeats its indicator wordings)."""
    return wording(text)


def _flags(indicator: str, due: dict[int, TargetIn]) -> tuple[str, ...]:
    """Why an aksi's targets look like typing errors (the importer's checks, on the stored targets)."""
    if not due:
        return ()
    kinds = set()
    over = implausible = False
    for t in due.values():  # one pass: this runs for every aksi of a plan
        kinds.add(t.kind)
        if t.kind == "percent":
            over = over or t.value > HUNDRED
        elif t.kind == "count" and not t.unit:
            implausible = implausible or t.value >= _IMPLAUSIBLE_UNITLESS
    clue = _wording(indicator)
    flags = []
    if over:
        flags.append(FLAG_PCT_OVER_100)
    if len(kinds) > 1 or ("percent" in kinds and clue == "count") or ("count" in kinds and clue == "percent"):
        flags.append(FLAG_UNIT_MISMATCH)
    if implausible:
        flags.append(FLAG_IMPLAUSIBLE)
    return tuple(flags)


class Measured(NamedTuple):
    """One aksi measured for TW n (bot.domain.measure): what its kegiatan averages, and what its AksiScore is
    built from when something reads it."""

    aksi: AksiIn
    mode: str
    due_targets: dict[int, TargetIn]
    due: dict[int, Decimal]
    in_quarter: Span  # TW n alone (measure.in_quarter)
    to_date: Span  # cumulative to TW n (measure.to_date)
    flags: tuple[str, ...]


class KegiatanDetail(NamedTuple):
    """What a kegiatan's aksi and indicator scores are built from (KegiatanScore.aksi, .indicators)."""

    measured: list[Measured]
    indicators: list[IndicatorIn]
    quarter: int
    bounds: tuple[int, ...]
    closed: frozenset[int]


def _measure_aksi(aksi: AksiIn, quarter: int, closed: Collection[int]) -> Measured:
    """One aksi for TW `quarter` alone and cumulative to it, by its mode (bot.domain.measure)."""
    mode = aksi.mode if aksi.mode in MODES else INCREMENT
    due_targets, due = _due_targets(aksi)
    reals = aksi.reals
    return Measured(aksi, mode, due_targets, due,
                    in_quarter(mode, due.get(quarter), reals.get(quarter), quarter, closed),
                    to_date(mode, due, reals, quarter, closed), _flags(aksi.indicator, due_targets))


def score_aksi(aksi: AksiIn, quarter: int, bounds: Sequence[int] = DEFAULT_BANDS, *,
               closed: Collection[int] = ()) -> AksiScore:
    """One aksi's score for TW `quarter`: `_measure_aksi`, with its bands, annual target and unit."""
    return _score_measured(_measure_aksi(aksi, quarter, closed), quarter, bounds)


def _score_measured(m: Measured, quarter: int, bounds: Sequence[int]) -> AksiScore:
    aksi, mode, due_targets, due = m.aksi, m.mode, m.due_targets, m.due
    reals = aksi.reals
    reals = dict(sorted(reals.items())) if len(reals) > 1 else dict(reals)
    if due:
        if mode == INCREMENT:
            annual = ZERO
            for value in due.values():
                annual += value
        else:
            annual = due[max(due)]
        first = due_targets[next(iter(due_targets))]  # mixed units: the first target's unit is the intended one
        unit = "%" if first.kind == "percent" else first.unit
    else:
        annual = None
        unit = ""
    cumulative = m.to_date
    return AksiScore(
        aksi.id, aksi.kegiatan_id, aksi.no, aksi.name, aksi.indicator, unit, mode, annual, due, reals,
        _with_band(m.in_quarter, bounds), _with_band(cumulative, bounds), cumulative.missing, m.flags,
        cumulative.pending, quarter,
    )


# ---------------------------------------------------------------- indicators


def score_indicator(ind: IndicatorIn, quarter: int, bounds: Sequence[int] = DEFAULT_BANDS, *,
                    closed: Collection[int] = ()) -> IndicatorScore:
    """Realisation to TW n against the annual target, by the indicator's mode (bot.domain.measure)."""
    mode = ind.mode if ind.mode in MODES else INCREMENT
    reals = {q: v for q, v in sorted(ind.reals.items()) if q <= quarter}
    span = against_annual(mode, ind.target_value, reals, quarter, closed)
    target = ind.target_value
    return IndicatorScore(
        id=ind.id, seq=ind.seq, text=ind.text, target_raw=ind.target_raw, target=target, unit=ind.target_unit,
        reals=reals, total=span.real, pct=span.pct, band=band_for(span.pct, bounds),
        flags=_annual_flags(ind.text, target, ind.target_unit),
        mode=mode, status=span.status, missing_quarters=span.missing, pending_quarters=span.pending,
    )


def _annual_flags(text: str, target: Decimal | None, unit: str) -> tuple[str, ...]:
    """Why an annual target looks like a typing error (the importer's checks, on the stored target)."""
    if target is None:
        return ()
    is_percent = "%" in unit or unit.lower() in {"persen", "percent"}
    clue = _wording(text)
    flags = []
    if is_percent and target > HUNDRED:
        flags.append(FLAG_PCT_OVER_100)
    if (is_percent and clue == "count") or (not is_percent and clue == "percent"):
        flags.append(FLAG_UNIT_MISMATCH)
    if not unit.strip() and target >= _IMPLAUSIBLE_UNITLESS:
        flags.append(FLAG_IMPLAUSIBLE)
    return tuple(flags)


def score_outcome(ind: OutcomeIn, quarter: int, bounds: Sequence[int] = DEFAULT_BANDS, *,
                  closed: Collection[int] = ()) -> OutcomeScore:
    """An IKU or program indicator to TW `quarter`: against the target due to date by its mode, and its
    progress against the annual target (bot.domain.measure)."""
    mode = ind.mode if ind.mode in MODES else INCREMENT
    due = outcome_due(mode, ind.target_value, ind.quarterly)
    reals = {q: v for q, v in sorted(ind.reals.items()) if q <= quarter}
    span = to_date(mode, due, reals, quarter, closed)
    real = real_to_date(mode, reals, quarter)
    progress = (achievement(real, ind.target_value, negative=mode == NEGATIVE)
                if real is not None and is_target(ind.target_value, mode) else None)
    return OutcomeScore(
        id=ind.id, owner_id=ind.owner_id, seq=ind.seq, no=ind.no, text=ind.text, target_raw=ind.target_raw,
        annual=ind.target_value, unit=ind.target_unit, mode=mode, targets=due, reals=reals,
        cumulative=_with_band(span, bounds), realised=real, progress_pct=progress,
        flags=_annual_flags(ind.text, ind.target_value, ind.target_unit),
        missing_quarters=span.missing, pending_quarters=span.pending,
    )


# ---------------------------------------------------------------- aggregates


def _sum_budgets(budgets: Iterable[Budget]) -> Budget:
    budgets = list(budgets)

    def total(values: list[int | None]) -> int | None:
        present = [v for v in values if v is not None]
        return sum(present) if present else None

    pagu = total([b.pagu for b in budgets])
    real = total([b.real_cumulative for b in budgets])
    planned = [b for b in budgets if b.planned_to_date is not None]
    plan_to_date = total([b.planned_to_date for b in planned])
    real_planned = total([b.real_planned for b in planned])
    return Budget(pagu, total([b.real_quarter for b in budgets]), real, absorption(real, pagu),
                  plan_to_date, real_planned, absorption(real_planned, plan_to_date), len(planned),
                  sum(b.kegiatan_count for b in budgets))


def _kegiatan_budget(keg: KegiatanIn, quarter: int) -> Budget:
    to_date = [v for q, v in keg.budget_reals.items() if q <= quarter]
    real = sum(to_date) if to_date else None
    planned = planned_to_date(keg.budget_plan, quarter)
    if planned is None:
        return Budget(keg.budget, keg.budget_reals.get(quarter), real, absorption(real, keg.budget), kegiatan_count=1)
    return Budget(keg.budget, keg.budget_reals.get(quarter), real, absorption(real, keg.budget), planned, real,
                  absorption(real, planned), 1, 1, keg.budget_plan)


def score_plan(data: ScoringInput, quarter: int, bands: Sequence[int] = DEFAULT_BANDS, *,
               cap_pct: Decimal | int = DEFAULT_CAP_PCT, closed: Collection[int] = ()) -> PlanScore:
    """Score every level of the plan for TW `quarter` (1..4). `cap_pct`: the ceiling of each input of an
    aggregate; `closed`: the quarters whose reporting deadline has passed (`closed_quarters`)."""
    if quarter not in QUARTERS:
        raise ValueError(f"quarter must be 1..4, not {quarter!r}")
    bounds = tuple(int(b) for b in bands)
    cap = Decimal(cap_pct)
    closed = frozenset(closed)
    aksi_by_keg: dict[int, list[Measured]] = defaultdict(list)
    owed: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # kegiatan → [aksi due, aksi reported]
    for a in data.aksi:
        aksi_by_keg[a.kegiatan_id].append(_measure_aksi(a, quarter, closed))
        due, reported = a.owes(quarter)
        if due:
            counts = owed[a.kegiatan_id]
            counts[0] += 1
            counts[1] += reported
    ind_by_keg: dict[int, list[IndicatorIn]] = defaultdict(list)
    for ind in data.indicators:
        ind_by_keg[ind.kegiatan_id].append(ind)

    keg_by_program: dict[int, list[KegiatanScore]] = defaultdict(list)
    for keg in data.kegiatan:
        keg_by_program[keg.program_id].append(
            _score_kegiatan(keg, KegiatanDetail(aksi_by_keg[keg.id], ind_by_keg[keg.id], quarter, bounds, closed),
                            data.people, cap, owed.get(keg.id, (0, 0))))

    outcomes: dict[tuple[str, int], list[OutcomeScore]] = defaultdict(list)
    for level, items in (("goal", data.goal_indicators), ("program", data.program_indicators)):
        for ind in items:
            outcomes[(level, ind.owner_id)].append(score_outcome(ind, quarter, bounds, closed=closed))

    prog_by_goal: dict[int, list[ProgramScore]] = defaultdict(list)
    for p in data.programs:
        kegs = keg_by_program[p.id]
        quarter_m, cum_m, budget = _roll_up(kegs, bounds, cap)
        indicators = outcomes[("program", p.id)]
        prog_by_goal[p.goal_id].append(ProgramScore(p.id, p.goal_id, p.seq, p.no, p.name, quarter_m, cum_m,
                                                    budget, kegs, p.goal_indicator_id, indicators,
                                                    _outcome_measure(indicators, bounds, cap)))
    goals = []
    for g in data.goals:
        progs = prog_by_goal[g.id]
        quarter_m, cum_m, budget = _roll_up([k for p in progs for k in p.kegiatan], bounds, cap)
        goals.append(GoalScore(g.id, g.seq, g.no, g.name, quarter_m, cum_m, budget, progs, outcomes[("goal", g.id)]))
    all_keg = [k for g in goals for k in g.kegiatan]
    quarter_m, cum_m, budget = _roll_up(all_keg, bounds, cap)
    return PlanScore(
        plan_id=data.plan_id, year=data.year, agency=data.agency, title=data.title, quarter_no=quarter,
        bands=bounds, quarter=quarter_m, cumulative=cum_m, budget=budget, goals=goals,
        completeness=_completeness(all_keg, data.people), cap_pct=cap, closed=closed,
        iku_measure=_outcome_measure([i for g in goals for i in g.indicators], bounds, cap),
        program_measure=_outcome_measure([i for g in goals for p in g.programs for i in p.indicators], bounds, cap),
    )


def _outcome_measure(items: Sequence[OutcomeScore], bounds: Sequence[int], cap: Decimal) -> Measure:
    """The mean of IKU or program indicators to date, each capped, flagged ones left out (like aksi)."""
    return _group(combine_items([(i.cumulative, i.excluded) for i in items], cap), bounds)


def _roll_up(kegs: Sequence[KegiatanScore], bounds: Sequence[int],
             cap: Decimal) -> tuple[Measure, Measure, Budget]:
    """Program, goal and plan level: the mean of their kegiatan (each capped), and summed budgets."""
    return (_group(combine_groups([k.quarter for k in kegs], cap), bounds),
            _group(combine_groups([k.cumulative for k in kegs], cap), bounds),
            _sum_budgets(k.budget for k in kegs))


def _score_kegiatan(keg: KegiatanIn, detail: KegiatanDetail, people: dict[int, str], cap: Decimal,
                    owed: Sequence[int]) -> KegiatanScore:
    """A kegiatan's figures: the mean of its measured aksi (each capped, flagged ones left out). Its aksi and
    indicators are scored when something reads them (KegiatanScore.aksi, .indicators)."""
    aksi_due, aksi_reported = owed
    measured, bounds, quarter = detail.measured, detail.bounds, detail.quarter
    flags = sorted({f for m in measured for f in m.flags}
                   | {f for i in detail.indicators for f in _annual_flags(i.text, i.target_value, i.target_unit)})
    return KegiatanScore(
        id=keg.id, program_id=keg.program_id, seq=keg.seq, no=keg.no, name=keg.name,
        quarter=_group(combine_items([(m.in_quarter, bool(m.flags)) for m in measured], cap), bounds),
        cumulative=_group(combine_items([(m.to_date, bool(m.flags)) for m in measured], cap), bounds),
        budget=_kegiatan_budget(keg, quarter), detail=detail, pic_ids=keg.pic_ids,
        pic_names=tuple(people.get(p, "?") for p in keg.pic_ids),
        aksi_due=aksi_due, aksi_reported=aksi_reported,
        kendala=keg.kendala.get(quarter, ""), tindak_lanjut=keg.tindak_lanjut.get(quarter, ""),
        flags=tuple(flags), due=obligations.kegiatan_due(aksi_due, keg.budget),
        budget_reported=quarter in keg.budget_reals,
    )


def _completeness(kegiatan: Sequence[KegiatanScore], people: dict[int, str]) -> Completeness:
    due = [k for k in kegiatan if k.reported is not None]
    per_person_due: dict[int, list[int]] = defaultdict(list)
    per_person_open: dict[int, list[int]] = defaultdict(list)
    for k in due:
        for pid in k.pic_ids:
            per_person_due[pid].append(k.id)
            if not k.reported:
                per_person_open[pid].append(k.id)
    pics = sorted(
        (PicStatus(pid, people.get(pid, "?"), tuple(ids), tuple(per_person_open.get(pid, ())))
         for pid, ids in per_person_due.items()),
        key=lambda p: (p.name.casefold(), p.person_id),
    )
    counted = [k for k in due if k.counted]
    return Completeness(
        kegiatan_due=len(counted), kegiatan_reported=sum(1 for k in counted if k.reported),
        pics=pics, unreported=[k for k in due if not k.reported],
    )


def score_plan_from_db(plan_id: int, quarter: int, *, session: Session, now: datetime | None,
                       settings: Settings | None = None, bands: Sequence[int] | None = None,
                       calendar: ReportingCalendar | None = None) -> PlanScore:
    """Load and score in one call (what reports use), as things stand at `now`: the quarters whose
    reporting deadline has passed by then count what is not reported as 0 (None: no deadline has
    passed). Bands, the ceiling and the calendar come from `settings` (defaults without)."""
    scores = score_plans_from_db({plan_id: quarter}, session=session, now=now, settings=settings, bands=bands,
                                 calendar=calendar)
    if plan_id not in scores:
        raise LookupError(f"no plan with id {plan_id}")
    return scores[plan_id]


def score_plans_from_db(quarters: dict[int, int], *, session: Session, now: datetime | None,
                        settings: Settings | None = None, bands: Sequence[int] | None = None,
                        calendar: ReportingCalendar | None = None) -> dict[int, PlanScore]:
    """`score_plan_from_db` of several plans (plan id → quarter; the kabupaten's OPD) with the bulk
    statements of one (`load_scoring_inputs`). A plan id that does not exist is left out."""
    if calendar is None and settings is not None:
        from bot.domain.calendar import ReportingCalendar

        calendar = ReportingCalendar.from_settings(settings)
    if bands is None:
        bands = tuple(settings.score_bands) if settings is not None else DEFAULT_BANDS
    cap = settings.score_cap_pct if settings is not None else DEFAULT_CAP_PCT
    with gc_paused():
        inputs = load_scoring_inputs(quarters, session=session)
        verified = settings is not None and verification.verification_on(settings.verification, session=session)
        out = {}
        for plan_id, data in inputs.items():
            if verified:
                data = verification.verified_only(data, session=session)  # only accepted reports count
            out[plan_id] = score_plan(data, quarters[plan_id], bands, cap_pct=cap,
                                      closed=closed_quarters(data.year, now, calendar))
        return out
