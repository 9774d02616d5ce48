"""Store a parsed plan: first import, or a merge with the plan already held for that agency and year.

The merge is keyed by kegiatan name and aksi number (indicators by their text, then their
position in the kegiatan: `pair_indicators`), so the ids that realisations point at survive a re-import. Anything that already
has realisations and is missing from the new file, or whose target (or budget) the new file
empties in a quarter that has realisations, is refused unless forced. Rows go in with
executemany statements on the session's connection: a 4,500-kegiatan plan is about 100,000
rows, too many for one ORM object each. Everything runs in the caller's transaction.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import SQLModel
from sqlmodel import select

from bot.domain.audit import record
from bot.domain.budget_plan import plans_of
from bot.domain.numbers import Target
from bot.domain.numbers import fits_decimal_column
from bot.domain.people import assign_pic
from bot.domain.people import get_or_create_person
from bot.domain.plan_import.modes import parsed_aksi_mode
from bot.domain.plan_import.modes import parsed_indicator_mode
from bot.domain.plan_import.modes import parsed_outcome_mode
from bot.domain.plan_import.parser import MAX_ANOMALIES
from bot.domain.plan_import.parser import MESSAGES
from bot.domain.plan_import.parser import QUARTERS
from bot.domain.plan_import.parser import ParsedAksi
from bot.domain.plan_import.parser import ParsedIndicator
from bot.domain.plan_import.parser import ParsedKegiatan
from bot.domain.plan_import.parser import ParsedPlan
from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.plan_import.parser import TargetRow
from bot.domain.plan_import.parser import name_key
from bot.domain.plan_import.parser import read_target
from bot.text.render import macro
from bot.text.render import message
from models import Agency
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import Evidence
from models import Goal
from models import GoalIndicator
from models import GoalIndicatorRealisation
from models import ImportAnomaly
from models import IndicatorRealisation
from models import Kegiatan
from models import KegiatanBudgetPlan
from models import KegiatanIndicator
from models import KegiatanRealisation
from models import LeadershipResponse
from models import OutcomeAssignment
from models import PeriodLock
from models import Person
from models import PicAssignment
from models import Plan
from models import Program
from models import ProgramIndicator
from models import ProgramIndicatorRealisation
from models import RenstraFigure
from models import ReportReview
from models.base import utcnow

__all__ = [
    "Change", "MergeRefused", "MergeResult", "PlanStoreError", "load_plan_tree", "plan_json", "save_plan",
]


class PlanStoreError(ValueError):
    """The plan cannot be stored as asked: a `code` and `params` (import_messages.j2); str() is Indonesian."""

    template = MESSAGES

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(message(self))


@dataclass(frozen=True)
class Blocked:
    """An item with realisations that the new file no longer has (kind kegiatan/aksi/indikator), or
    whose target or budget it empties in quarters with realisations (target_aksi/target_indikator/pagu)."""

    kind: str
    name: str
    quarters: tuple[int, ...]
    kegiatan: str = ""
    no: int | None = None
    template = MESSAGES
    code = "blocked_item"

    @property
    def params(self) -> dict[str, Any]:
        return {"b": self}


class MergeRefused(PlanStoreError):
    """Items with realisations are missing from the new file or emptied by it, and the import was not forced."""

    def __init__(self, items: list[Blocked]):
        self.items = items
        super().__init__("merge_refused", items=items)

    @property
    def blocked(self) -> list[str]:
        """Each refused item in Indonesian."""
        return [message(item) for item in self.items]


@dataclass
class Change:
    """One added, changed or removed item, as data; import_messages.j2 words it (`change_key`, `change_detail`).

    kind: sasaran/program/kegiatan/indikator/aksi/pic. `name` is the item, or the kegiatan it belongs
    to with `no` (aksi number, indicator position) or `item` (indicator text, person) naming the part.
    A change names its `field` (a column) with `before` and `after`; an added or removed aksi its name in `text`.
    """

    kind: str
    name: str
    no: int | None = None
    item: str = ""
    field: str = ""
    before: Any = None
    after: Any = None
    quarter: str = ""
    text: str = ""
    template = MESSAGES

    @property
    def key(self) -> str:
        """The item in Indonesian (`Kegiatan X · aksi 2`)."""
        return macro(MESSAGES, "change_key", "id", c=self)

    @property
    def detail(self) -> str:
        """What changed, in Indonesian (`target TW II: “60” → “70”`)."""
        return macro(MESSAGES, "change_detail", "id", c=self)


@dataclass
class MergeResult:
    plan_id: int
    created: bool
    added: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    kegiatan_count: int = 0
    aksi_count: int = 0
    indicator_count: int = 0
    budget_total: int = 0
    anomaly_count: int = 0
    budget_plan_count: int = 0  # kegiatan with an anggaran kas after the import
    budget_plan_total: int = 0

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.changed or self.removed)


# ---------------------------------------------------------------------------------------------
# JSON


def plan_json(parsed: ParsedPlan, lang: str = "id") -> dict[str, Any]:
    """The parsed plan in the stable shape that `rapk import --json` prints (automated checks read it).

    A kegiatan from a table with anggaran kas columns also has `budget_plan`: its four amounts or null.

    Each anomaly's `why` is worded in `lang`; its `code` stays the same in every language.
    """
    return {
        "agency": parsed.agency or "",
        "year": parsed.year or 0,
        "kegiatan": [
            {
                "seq": k.seq,
                "no": k.no,
                "name": k.name,
                "goal": k.goal,
                "program": k.program,
                "budget": k.budget,
                "indicators": [{"text": i.text, "target_raw": i.target_raw} for i in k.indicators],
                "aksi": [{"no": a.no, "name": a.name, "indicator": a.indicator, "tw": list(a.tw)} for a in k.aksi],
                # Only from a table with anggaran kas columns: a plan without them prints as it always did.
                **({"budget_plan": k.budget_plan} if k.budget_plan_given else {}),
            }
            for k in parsed.kegiatan
        ],
        "budget_total": parsed.budget_total,
        "anomalies": [{"line": a.line, "raw": a.raw, "why": message(a, lang), "code": a.code}
                      for a in parsed.anomalies],
    }


# ---------------------------------------------------------------------------------------------
# row values


def _stored_target(target: Target) -> tuple[Decimal | None, str]:
    """The one value scoring can use: a single number, or a leading percentage with details after it."""
    if not target.parts or (len(target.parts) > 1 and target.parts[0].unit != "%"):
        return None, ""
    value, unit = target.parts[0]
    return (value if fits_decimal_column(value) else None), unit[:100]  # else raw only


def pair_indicators(stored: list[Any], parsed: list[ParsedIndicator]) -> tuple[list[tuple[Any, ParsedIndicator]], list[Any]]:
    """Which stored indicator each parsed one updates (None: a new one), and the stored ones left over.

    By text first (case and spacing aside), so a split packed cell (bot.domain.plan_import.packed)
    keeps the stored unsplit indicator, and what was reported on it, on its first part and adds the
    others; then by position among the rest, so a corrected text keeps its row.
    """
    free = list(stored)
    by_text: dict[str, list[Any]] = defaultdict(list)
    for row in stored:
        by_text[name_key(printed(row, "text", "printed_text"))].append(row)
        if row["text"] != printed(row, "text", "printed_text"):
            by_text[name_key(row["text"])].append(row)  # renamed: the document may print the new text
    matched: list[Any] = [None] * len(parsed)
    for n, ind in enumerate(parsed):
        for key in (name_key(ind.text), name_key(ind.packed_from) if ind.part == 1 else None):
            candidates = [r for r in by_text.get(key, ()) if r in free] if key else []
            if candidates:
                matched[n] = candidates[0]
                free.remove(candidates[0])
                break
    rest = iter([r for r in free if not any(name_key(printed(r, "text", "printed_text")) == name_key(p.packed_from)
                                            for p in parsed if p.packed_from)])
    for n, ind in enumerate(parsed):
        if matched[n] is None and not ind.packed_from:
            matched[n] = next(rest, None)
            if matched[n] is not None:
                free.remove(matched[n])
    return list(zip(matched, parsed, strict=True)), free


def _indicator_values(ind: ParsedIndicator) -> dict[str, Any]:
    value, unit = _stored_target(ind.target)
    return {"text": ind.text, "printed_text": ind.text, "target_raw": ind.target_raw, "target_value": value,
            "target_unit": unit,
            "indicator_kind": ind.kind, "mode": parsed_indicator_mode(ind)}


def _aksi_values(aksi: ParsedAksi) -> dict[str, Any]:
    return {"name": aksi.name, "printed_name": aksi.name, "indicator": aksi.indicator, "indicator_kind": aksi.kind,
            "mode": parsed_aksi_mode(aksi), "source_line": aksi.line}


def _target_values(raw: str) -> dict[str, Any]:
    target = read_target(raw)
    # A quarterly cell holds one target; its first number is the one scoring uses.
    value, unit = (None, "") if target.kind not in ("percent", "count") else _stored_target(
        Target(raw, target.parts[:1], target.kind))
    return {"raw": raw, "value": value, "unit": unit, "kind": target.kind}


def _kegiatan_values(k: ParsedKegiatan, program_id: int) -> dict[str, Any]:
    return {"seq": k.seq, "no": k.no, "name": k.name, "printed_name": k.name, "program_id": program_id,
            "budget": k.budget,
            "budget_raw": k.budget_raw, "source_line": k.line}


def _target_rows(rows: list[TargetRow]) -> list[dict[str, Any]]:
    """IKU / program indicator rows: the cells as written, the numbers scoring uses, the mode."""
    out = []
    for i, r in enumerate(rows, start=1):
        value, unit = _stored_target(read_target(r.target_raw))
        row = {"seq": i, "no": r.no, "text": r.text, "target_raw": r.target_raw, "target_value": value,
               "target_unit": unit, "mode": parsed_outcome_mode(r)}
        for q, raw in enumerate(r.tw, start=1):
            row[f"tw{q}_raw"] = raw
            row[f"tw{q}_value"] = _target_values(raw)["value"]
        out.append(row)
    return out


# What ties a program block in the file to the stored row: its goal, its name and which time that
# name is printed under that goal (a plan printed afresh keeps its blocks, and their reports).
def _block_keys(blocks: Iterable[tuple[Any, str]]) -> list[tuple[Any, str, int]]:
    seen: dict[tuple[Any, str], int] = defaultdict(int)
    keys = []
    for goal, name in blocks:
        seen[(goal, name_key(name))] += 1
        keys.append((goal, name_key(name), seen[(goal, name_key(name))]))
    return keys


def _limit(model: type[SQLModel], column: str) -> int:
    return _table(model).c[column].type.length or 10**9


def _check_lengths(parsed: ParsedPlan) -> None:
    """Refuse, by line, a cell longer than its column before anything is written (PostgreSQL would fail late)."""
    def check(line: int, what: str, texts: Iterable[str], limit: int) -> None:
        longest = max((len(t) for t in texts), default=0)
        if longest > limit:
            raise PlanFormatError(line, "too_long", field=what, longest=longest, limit=limit)

    for owner_model, model, owners in ((Goal, GoalIndicator, parsed.goals),
                                       (Program, ProgramIndicator, parsed.programs)):
        text, target, tw = _limit(model, "text"), _limit(model, "target_raw"), _limit(model, "tw1_raw")
        for owner in owners:
            check(owner.line, "goal_name", [owner.name], _limit(owner_model, "name"))
            for r in owner.indicators:
                check(r.line, "indicator_text", [r.text], text)
                check(r.line, "annual_target", [r.target_raw], target)
                check(r.line, "quarter_target", r.tw, tw)
    limits = {name: _limit(model, column) for name, model, column in (
        ("name", Kegiatan, "name"), ("no", Kegiatan, "no"), ("ind", KegiatanIndicator, "text"),
        ("target", KegiatanIndicator, "target_raw"), ("aksi", Aksi, "name"), ("aksi_ind", Aksi, "indicator"),
        ("tw", AksiTarget, "raw"))}
    for k in parsed.kegiatan:
        check(k.line, "kegiatan_name", [k.name], limits["name"])
        check(k.line, "kegiatan_no", [k.no], limits["no"])
        for i in k.indicators:
            check(i.line, "kegiatan_indicator", [i.text], limits["ind"])
            check(i.line, "annual_target", [i.target_raw], limits["target"])
        for a in k.aksi:
            check(a.line, "aksi_name", [a.name], limits["aksi"])
            check(a.line, "aksi_indicator", [a.indicator], limits["aksi_ind"])
            check(a.line, "quarter_target", a.tw, limits["tw"])


# ---------------------------------------------------------------------------------------------
# bulk statements on the session's connection


def _table(model: type[SQLModel]) -> sa.Table:
    return model.__table__  # type: ignore[attr-defined]


def _insert(session: Session, model: type[SQLModel], rows: list[dict[str, Any]], *, ids: bool = False) -> list[int]:
    """executemany INSERT; with ids=True the new ids come back in the order of `rows`."""
    if not rows:
        return []
    table = _table(model)
    conn = session.connection()
    if not ids:
        conn.execute(sa.insert(table), rows)
        return []
    result = conn.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return [row[0] for row in result]


def printed(row: Any, display: str, column: str) -> str:
    """The text as printed (the merge key); a row stored before migration 0008 filled it has its name."""
    return row[column] or row[display]


def _as_printed(row: Any, display: str, column: str) -> dict[str, Any]:
    """The stored row as the document printed it, to compare with the file (a rename is no difference)."""
    return {**row, display: printed(row, display, column)}


def _keep_rename(row: Any, values: dict[str, Any], display: str, column: str) -> dict[str, Any]:
    """The file's values for a stored row: the printed text follows the file; the name shown stays the
    admin's when they renamed it (bot.domain.rename), else follows the file too."""
    if row[display] != printed(row, display, column):
        return {**values, display: row[display]}
    return values


def _differs(stored: Any, values: dict[str, Any]) -> bool:
    return any(stored[column] != value for column, value in values.items())


def _update(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """executemany UPDATE by id; every row carries the same columns plus `id`."""
    if not rows:
        return
    table = _table(model)
    columns = [c for c in rows[0] if c != "id"]
    stmt = (sa.update(table).where(table.c.id == sa.bindparam("_id"))
            .values({c: sa.bindparam(f"_{c}") for c in columns}))
    session.connection().execute(stmt, [{f"_{k}": v for k, v in row.items()} for row in rows])


def _delete(session: Session, model: type[SQLModel], column: str, ids: Iterable[int]) -> None:
    ids = sorted(set(ids))
    table = _table(model)
    for start in range(0, len(ids), 500):
        session.connection().execute(sa.delete(table).where(table.c[column].in_(ids[start:start + 500])))


def _select(session: Session, stmt) -> list[Any]:
    return list(session.connection().execute(stmt).mappings())


# ---------------------------------------------------------------------------------------------
# save / merge


class _Merge:
    """One import of a parsed plan into one Plan row (new or existing)."""

    def __init__(self, session: Session, plan: Plan, parsed: ParsedPlan, *, created: bool, actor_label: str):
        self.session = session
        self.plan = plan
        self.parsed = parsed
        self.actor_label = actor_label
        self.result = MergeResult(plan_id=plan.id, created=created)
        self.audit: list[tuple[str, str, int | None, str, str | None, str | None]] = []
        self.load()

    # -- what is stored now -------------------------------------------------------------------

    def load(self) -> None:
        s, plan_id = self.session, self.plan.id
        keg = _table(Kegiatan)
        aksi = _table(Aksi)
        ind = _table(KegiatanIndicator)
        in_plan = sa.select(keg.c.id).where(keg.c.plan_id == plan_id)
        aksi_in_plan = sa.select(aksi.c.id).where(aksi.c.kegiatan_id.in_(in_plan))
        self.goals = {name_key(r["name"]): r for r in _select(s, sa.select(_table(Goal)).where(
            _table(Goal).c.plan_id == plan_id))}
        stored_programs = _select(s, sa.select(_table(Program)).where(_table(Program).c.plan_id == plan_id)
                                  .order_by("seq", "id"))
        self.programs = dict(zip(_block_keys((r["goal_id"], r["name"]) for r in stored_programs), stored_programs,
                                 strict=True))
        self.program_names = {r["id"]: r["name"] for r in self.programs.values()}
        self.target_rows = {
            GoalIndicator: _children(s, GoalIndicator, "goal_id", [r["id"] for r in self.goals.values()]),
            ProgramIndicator: _children(s, ProgramIndicator, "program_id", [r["id"] for r in self.programs.values()]),
        }
        # By the name as printed; a renamed kegiatan whose printed name the file no longer has is found
        # by its new name, should the document print that one day (names shown are unique in a plan too).
        stored_kegiatan = _select(s, sa.select(keg).where(keg.c.plan_id == plan_id))
        self.kegiatan = {name_key(printed(r, "name", "printed_name")): r for r in stored_kegiatan}
        wanted = {name_key(k.name) for k in self.parsed.kegiatan}
        for r in stored_kegiatan:
            key, shown = name_key(printed(r, "name", "printed_name")), name_key(r["name"])
            if key not in wanted and shown in wanted and shown not in self.kegiatan:
                self.kegiatan[shown] = self.kegiatan.pop(key)
        self.stored_kegiatan = {r["id"] for r in self.kegiatan.values()}
        self.budget_plans = plans_of(self.stored_kegiatan, session=s)
        self.indicators: dict[int, list[Any]] = defaultdict(list)
        for r in _select(s, sa.select(ind).where(ind.c.kegiatan_id.in_(in_plan)).order_by(ind.c.seq)):
            self.indicators[r["kegiatan_id"]].append(r)
        self.aksi: dict[int, dict[int, Any]] = defaultdict(dict)
        for r in _select(s, sa.select(aksi).where(aksi.c.kegiatan_id.in_(in_plan))):
            self.aksi[r["kegiatan_id"]][r["no"]] = r
        self.targets: dict[int, dict[int, Any]] = defaultdict(dict)
        at = _table(AksiTarget)
        for r in _select(s, sa.select(at).where(at.c.aksi_id.in_(aksi_in_plan))):
            self.targets[r["aksi_id"]][r["quarter"]] = r
        # What realisations exist, by the row they hang on (quarters, for the refusal message).
        self.real_aksi: dict[int, set[int]] = defaultdict(set)
        ar = _table(AksiRealisation)
        for r in _select(s, sa.select(ar.c.aksi_id, ar.c.quarter).where(ar.c.aksi_id.in_(aksi_in_plan))):
            self.real_aksi[r["aksi_id"]].add(r["quarter"])
        self.real_outcome: dict[type[SQLModel], dict[int, set[int]]] = {}
        for model, realisations, column in ((GoalIndicator, GoalIndicatorRealisation, "goal_indicator_id"),
                                            (ProgramIndicator, ProgramIndicatorRealisation, "program_indicator_id")):
            ids = [r["id"] for rows in self.target_rows[model].values() for r in rows]
            self.real_outcome[model] = defaultdict(set)
            t = _table(realisations)
            for start in range(0, len(ids), 500):
                for r in _select(s, sa.select(t.c[column], t.c.quarter).where(t.c[column].in_(ids[start:start + 500]))):
                    self.real_outcome[model][r[column]].add(r["quarter"])
        self.real_indicator: dict[int, set[int]] = defaultdict(set)
        ir = _table(IndicatorRealisation)
        for r in _select(s, sa.select(ir.c.indicator_id, ir.c.quarter).where(
                ir.c.indicator_id.in_(sa.select(ind.c.id).where(ind.c.kegiatan_id.in_(in_plan))))):
            self.real_indicator[r["indicator_id"]].add(r["quarter"])
        self.real_kegiatan: dict[int, set[int]] = defaultdict(set)
        self.real_budget: dict[int, set[int]] = defaultdict(set)
        for model in (KegiatanRealisation, Evidence):
            t = _table(model)
            for r in _select(s, sa.select(t.c.kegiatan_id, t.c.quarter).where(t.c.kegiatan_id.in_(in_plan))):
                self.real_kegiatan[r["kegiatan_id"]].add(r["quarter"])
                if model is KegiatanRealisation:
                    self.real_budget[r["kegiatan_id"]].add(r["quarter"])

    # -- refusal ------------------------------------------------------------------------------

    def blocked(self) -> list[Blocked]:
        """Items with realisations that the new file no longer has, or whose target or budget it empties
        in a quarter with realisations (a careless re-upload must not wipe what PICs reported against).

        In document order of the stored plan: kegiatan, then within one its budget, indicators, aksi.
        """
        wanted = {name_key(k.name): k for k in self.parsed.kegiatan}
        out = []
        for key, row in sorted(self.kegiatan.items(), key=lambda item: item[1]["seq"]):
            kid = row["id"]
            if key not in wanted:
                quarters = set(self.real_kegiatan[kid])
                quarters |= {q for a in self.aksi[kid].values() for q in self.real_aksi[a["id"]]}
                quarters |= {q for i in self.indicators[kid] for q in self.real_indicator[i["id"]]}
                if quarters:
                    out.append(Blocked("kegiatan", row["name"], tuple(sorted(quarters))))
                continue
            new = wanted[key]
            if row["budget"] is not None and new.budget is None and self.real_budget[kid]:
                out.append(Blocked("pagu", row["name"], tuple(sorted(self.real_budget[kid]))))
            pairs, gone = pair_indicators(self.indicators[kid], new.indicators)
            for i, ind in pairs:
                if (i is not None and self.real_indicator[i["id"]] and i["target_value"] is not None
                        and _indicator_values(ind)["target_value"] is None):
                    out.append(Blocked("target_indikator", i["text"], tuple(sorted(self.real_indicator[i["id"]])),
                                       row["name"]))
            for i in gone:
                if self.real_indicator[i["id"]]:
                    out.append(Blocked("indikator", i["text"], tuple(sorted(self.real_indicator[i["id"]])),
                                       row["name"]))
            new_aksi = {a.no: a for a in new.aksi}
            for no, a in sorted(self.aksi[kid].items()):
                realised = self.real_aksi[a["id"]]
                if no not in new_aksi:
                    if realised:
                        out.append(Blocked("aksi", a["name"], tuple(sorted(realised)), row["name"], no))
                    continue
                targets = self.targets[a["id"]]
                emptied = tuple(q for q in sorted(realised) if q in targets and targets[q]["value"] is not None
                                and _target_values(new_aksi[no].tw[q - 1])["value"] is None)
                if emptied:
                    out.append(Blocked("target_aksi", a["name"], emptied, row["name"], no))
        return out + self.blocked_outcomes()

    def blocked_outcomes(self) -> list[Blocked]:
        """IKU and program indicators with realisations that the file drops or whose annual target it empties."""
        out = []
        goals = {name_key(g.name): g.indicators for g in self.parsed.goals}
        wanted = [(GoalIndicator, "indikator_sasaran", row, goals.get(key)) for key, row in self.goals.items()]
        blocks = dict(zip(_block_keys((self.goals.get(name_key(p.goal), {}).get("id"), p.name)
                                      for p in self.parsed.programs), self.parsed.programs, strict=True))
        wanted += [(ProgramIndicator, "indikator_program", row, getattr(blocks.get(key), "indicators", None))
                   for key, row in self.programs.items()]
        for model, kind, owner, rows in wanted:
            new = _target_rows(rows or [])
            for i, old in enumerate(self.target_rows[model][owner["id"]]):
                quarters = tuple(sorted(self.real_outcome[model][old["id"]]))
                if quarters and (i >= len(new) or (old["target_value"] is not None
                                                   and new[i]["target_value"] is None)):
                    out.append(Blocked(kind, old["text"], quarters, owner["name"]))
        return out

    # -- applying -----------------------------------------------------------------------------

    def note(self, what: str, change: Change, *, entity: str, entity_id: int | None,
             field: str = "", old: str | None = None, new: str | None = None) -> None:
        """Record one change (`added` / `changed` / `removed`) in the result and, on a re-import, the audit."""
        getattr(self.result, what).append(change)
        if not self.result.created:  # a first import is one audit row, not thousands
            action = {"added": "plan.add", "changed": "plan.change", "removed": "plan.remove"}[what]
            self.audit.append((action, entity, entity_id, field, old, new))

    def run(self) -> MergeResult:
        goal_ids = self.save_goals()
        program_ids = self.save_programs(goal_ids)
        self.save_kegiatan(program_ids)
        self.save_budget_plans()
        self.remove_unused(goal_ids, program_ids)
        self.save_anomalies()
        self.save_pics()
        r, p = self.result, self.parsed
        r.kegiatan_count, r.aksi_count, r.indicator_count = len(p.kegiatan), p.aksi_count, p.indicator_count
        r.budget_total, r.anomaly_count = p.budget_total, p.anomaly_count
        kept = [self.budget_plans[row["id"]] for row in (self.kegiatan[name_key(k.name)] for k in p.kegiatan)
                if row["id"] in self.budget_plans]
        r.budget_plan_count, r.budget_plan_total = len(kept), sum(sum(plan) for plan in kept)
        return r

    def save_budget_plans(self) -> None:
        """Anggaran kas: a kegiatan whose table has the columns gets the file's plan (none: removed);
        any other keeps what is stored, so a plan the admin set survives a file without them."""
        rows, replaced = [], []
        for k in self.parsed.kegiatan:
            if not k.budget_plan_given:
                continue
            kid = self.kegiatan[name_key(k.name)]["id"]
            old, new = self.budget_plans.get(kid), None if k.budget_plan is None else tuple(k.budget_plan)
            if old == new:
                continue
            replaced.append(kid)
            rows += [{"kegiatan_id": kid, "quarter": q, "amount": a} for q, a in enumerate(new or (), start=1)]
            if new is None:
                self.budget_plans.pop(kid)
            else:
                self.budget_plans[kid] = new
            for q in range(1, 5):
                before, after = (None if old is None else old[q - 1]), (None if new is None else new[q - 1])
                if before != after and kid in self.stored_kegiatan:  # a new kegiatan's plan comes with it
                    self.note("changed", Change("kegiatan", k.name, field="budget_plan", before=before, after=after,
                                                quarter=QUARTERS[q - 1]),
                              entity="kegiatan", entity_id=kid, field=f"tw{q}",
                              old=None if before is None else str(before), new=None if after is None else str(after))
        _delete(self.session, KegiatanBudgetPlan, "kegiatan_id", replaced)
        _insert(self.session, KegiatanBudgetPlan, rows)

    def save_goals(self) -> dict[str, int]:
        ids: dict[str, int] = {}
        new_goals = []
        for seq, g in enumerate(self.parsed.goals, start=1):
            row = self.goals.get(name_key(g.name))
            if row is None:
                new_goals.append((seq, g))
                continue
            ids[name_key(g.name)] = row["id"]
            values = {"seq": seq, "no": g.no, "name": g.name}
            if _differs(row, values):
                _update(self.session, Goal, [{"id": row["id"], **values}])
            self.merge_target_rows(GoalIndicator, "goal_id", row["id"], g.indicators, "sasaran", g.name)
        new_ids = _insert(self.session, Goal, [{"plan_id": self.plan.id, "seq": seq, "no": g.no, "name": g.name}
                                               for seq, g in new_goals], ids=True)
        for (_, g), gid in zip(new_goals, new_ids, strict=True):
            ids[name_key(g.name)] = gid
            _insert(self.session, GoalIndicator, [{"goal_id": gid, **r} for r in _target_rows(g.indicators)])
            self.note("added", Change("sasaran", g.name), entity="goal", entity_id=gid, new=g.name)
        return ids

    def save_programs(self, goal_ids: dict[str, int]) -> dict[int, int]:
        """Program blocks in document order; the stored id of each, by its block number."""
        ids: dict[int, int] = {}
        goal_indicators = {(r["goal_id"], r["seq"]): r["id"] for r in _select(self.session, sa.select(
            _table(GoalIndicator)).where(_table(GoalIndicator).c.goal_id.in_(list(goal_ids.values()))))}
        keys = _block_keys((goal_ids[name_key(p.goal)], p.name) for p in self.parsed.programs)
        for p, key in zip(self.parsed.programs, keys, strict=True):
            goal_id = goal_ids[name_key(p.goal)]
            values = {"plan_id": self.plan.id, "goal_id": goal_id, "seq": p.seq, "no": p.no, "name": p.name,
                      "goal_indicator_id": goal_indicators.get((goal_id, p.goal_indicator))}
            row = self.programs.get(key)
            if row is None:
                ids[p.seq] = _insert(self.session, Program, [values], ids=True)[0]
                self.program_names[ids[p.seq]] = p.name
                _insert(self.session, ProgramIndicator,
                        [{"program_id": ids[p.seq], **r} for r in _target_rows(p.indicators)])
                self.note("added", Change("program", p.name), entity="program", entity_id=ids[p.seq], new=p.name)
                continue
            ids[p.seq] = row["id"]
            self.program_names[row["id"]] = p.name
            if _differs(row, values):
                _update(self.session, Program, [{"id": row["id"], **values}])
            self.merge_target_rows(ProgramIndicator, "program_id", row["id"], p.indicators, "program", p.name)
        return ids

    def merge_target_rows(self, model: type[SQLModel], parent: str, parent_id: int, rows: list[TargetRow],
                          kind: str, label: str) -> None:
        """IKU / program indicators by position: updated in place (their reports stay), added, or removed
        with their reports (blocked() refused that unless forced)."""
        table = _table(model)
        old = self.target_rows[model][parent_id]
        new = _target_rows(rows)
        changed = [{"id": o["id"], **n} for o, n in zip(old, new, strict=False) if _differs(o, n)]
        _update(self.session, model, changed)
        _insert(self.session, model, [{parent: parent_id, **r} for r in new[len(old):]])
        gone = [r["id"] for r in old[len(new):]]
        if gone:
            realisations, column = {GoalIndicator: (GoalIndicatorRealisation, "goal_indicator_id"),
                                    ProgramIndicator: (ProgramIndicatorRealisation, "program_indicator_id")}[model]
            _delete(self.session, realisations, column, gone)
            _delete(self.session, OutcomeAssignment, column, gone)  # nobody reports a removed indicator
            if model is GoalIndicator:  # a block printed under a removed IKU is re-pointed by save_programs
                self.session.connection().execute(sa.update(_table(Program)).where(
                    _table(Program).c.goal_indicator_id.in_(gone)).values(goal_indicator_id=None))
            _delete(self.session, model, "id", gone)
        if changed or len(old) != len(new):
            self.note("changed", Change(kind, label, field="indicators"), entity=table.name, entity_id=parent_id,
                      field="indicators")

    def save_kegiatan(self, program_ids: dict[int, int]) -> None:
        new_kegiatan: list[ParsedKegiatan] = []
        new_aksi: list[tuple[int, ParsedAksi]] = []
        new_indicators: list[dict[str, Any]] = []
        updates: dict[type[SQLModel], list[dict[str, Any]]] = defaultdict(list)
        for k in self.parsed.kegiatan:
            program_id = program_ids[k.block]
            row = self.kegiatan.get(name_key(k.name))
            if row is None:
                new_kegiatan.append(k)
                continue
            kid = row["id"]
            values = _kegiatan_values(k, program_id)
            self.compare(Change("kegiatan", k.name), "kegiatan", kid, _as_printed(row, "name", "printed_name"), values,
                         ("no", "name", "program_id", "budget"))
            values = _keep_rename(row, values, "name", "printed_name")
            if _differs(row, values):
                updates[Kegiatan].append({"id": kid, **values})
            self.merge_indicators(k, kid, new_indicators, updates)
            self.merge_aksi(k, kid, new_aksi, updates)
        for model, rows in updates.items():
            _update(self.session, model, rows)
        kegiatan_ids = _insert(self.session, Kegiatan, [
            {"plan_id": self.plan.id, **_kegiatan_values(k, program_ids[k.block])}
            for k in new_kegiatan], ids=True)
        for k, kid in zip(new_kegiatan, kegiatan_ids, strict=True):
            self.kegiatan[name_key(k.name)] = {"id": kid, "name": k.name}
            new_indicators += [{"kegiatan_id": kid, "seq": i, **_indicator_values(ind)}
                               for i, ind in enumerate(k.indicators, start=1)]
            new_aksi += [(kid, a) for a in k.aksi]
            self.note("added", Change("kegiatan", k.name), entity="kegiatan", entity_id=kid, new=k.name)
        _insert(self.session, KegiatanIndicator, new_indicators)
        aksi_ids = _insert(self.session, Aksi, [{"kegiatan_id": kid, "no": a.no, **_aksi_values(a)}
                                                for kid, a in new_aksi], ids=True)
        _insert(self.session, AksiTarget, [{"aksi_id": aid, "quarter": q, **_target_values(a.tw[q - 1])}
                                           for (_, a), aid in zip(new_aksi, aksi_ids, strict=True)
                                           for q in range(1, 5)])
        self.remove_kegiatan()

    def compare(self, item: Change, entity: str, entity_id: int, old: Any, new: dict[str, Any],
                fields: Iterable[str], quarter: str = "") -> None:
        """Report each watched field whose value differs, as the user knows it (a program by name)."""
        for column in fields:
            before, after = old[column], new[column]
            if before == after:
                continue
            shown = (self.program_names.get(before, before), self.program_names.get(after, after)) \
                if column == "program_id" else (before, after)
            self.note("changed", replace(item, field=column, before=shown[0], after=shown[1], quarter=quarter),
                      entity=entity, entity_id=entity_id, field=column, old=None if before is None else str(before),
                      new=None if after is None else str(after))

    def merge_indicators(self, k: ParsedKegiatan, kid: int, new_rows: list[dict[str, Any]],
                         updates: dict[type[SQLModel], list[dict[str, Any]]]) -> None:
        pairs, gone = pair_indicators(self.indicators[kid], k.indicators)
        for seq, (row, ind) in enumerate(pairs, start=1):
            values = {"seq": seq, **_indicator_values(ind)}
            if row is None:
                new_rows.append({"kegiatan_id": kid, **values})
                self.note("added", Change("indikator", k.name, item=ind.text), entity="kegiatan_indicator",
                          entity_id=None, new=ind.text)
                continue
            self.compare(Change("indikator", k.name, no=seq), "kegiatan_indicator", row["id"],
                         _as_printed(row, "text", "printed_text"), values, ("text", "target_raw"))
            values = _keep_rename(row, values, "text", "printed_text")
            if _differs(row, values):
                updates[KegiatanIndicator].append({"id": row["id"], **values})
        if gone:
            _delete(self.session, IndicatorRealisation, "indicator_id", [r["id"] for r in gone])
            _delete(self.session, RenstraFigure, "indicator_id", [r["id"] for r in gone])
            _delete(self.session, KegiatanIndicator, "id", [r["id"] for r in gone])
        for row in gone:
            self.note("removed", Change("indikator", k.name, item=row["text"]), entity="kegiatan_indicator",
                      entity_id=row["id"], old=row["text"])

    def merge_aksi(self, k: ParsedKegiatan, kid: int, new_aksi: list[tuple[int, ParsedAksi]],
                   updates: dict[type[SQLModel], list[dict[str, Any]]]) -> None:
        old = self.aksi[kid]
        for a in k.aksi:
            row = old.get(a.no)
            if row is None:
                new_aksi.append((kid, a))
                self.note("added", Change("aksi", k.name, no=a.no, text=a.name), entity="aksi",
                          entity_id=None, new=a.name)
                continue
            label = Change("aksi", k.name, no=a.no)
            values = _aksi_values(a)
            self.compare(label, "aksi", row["id"], _as_printed(row, "name", "printed_name"), values, ("name", "indicator"))
            values = _keep_rename(row, values, "name", "printed_name")
            if _differs(row, values):
                updates[Aksi].append({"id": row["id"], **values})
            targets = self.targets[row["id"]]
            for q in range(1, 5):
                values = _target_values(a.tw[q - 1])
                target = targets.get(q)
                if target is None:
                    _insert(self.session, AksiTarget, [{"aksi_id": row["id"], "quarter": q, **values}])
                    continue
                self.compare(label, "aksi_target", target["id"], target, values, ("raw",), quarter=QUARTERS[q - 1])
                if _differs(target, values):
                    updates[AksiTarget].append({"id": target["id"], **values})
        gone = [row for no, row in sorted(old.items()) if no not in {a.no for a in k.aksi}]
        self.delete_aksi([row["id"] for row in gone])
        for row in gone:
            self.note("removed", Change("aksi", k.name, no=row["no"], text=row["name"]), entity="aksi",
                      entity_id=row["id"], old=row["name"])

    def delete_aksi(self, ids: list[int]) -> None:
        if ids:
            _delete(self.session, AksiRealisation, "aksi_id", ids)
            _delete(self.session, AksiTarget, "aksi_id", ids)
            _delete(self.session, Aksi, "id", ids)

    def remove_kegiatan(self) -> None:
        wanted = {name_key(k.name) for k in self.parsed.kegiatan}
        gone = [row for key, row in self.kegiatan.items() if key not in wanted]
        if not gone:
            return
        ids = [row["id"] for row in gone]
        self.delete_aksi([a["id"] for kid in ids for a in self.aksi[kid].values()])
        indicator_ids = [i["id"] for kid in ids for i in self.indicators[kid]]
        _delete(self.session, IndicatorRealisation, "indicator_id", indicator_ids)
        _delete(self.session, RenstraFigure, "indicator_id", indicator_ids)
        _delete(self.session, KegiatanIndicator, "id", indicator_ids)
        # Every row that names a kegiatan (a removed one takes its reports, reviews and responses with it).
        for model in (KegiatanRealisation, Evidence, PicAssignment, PeriodLock, KegiatanBudgetPlan, ReportReview,
                      LeadershipResponse, RenstraFigure):
            _delete(self.session, model, "kegiatan_id", ids)
        _delete(self.session, Kegiatan, "id", ids)
        for row in gone:
            self.note("removed", Change("kegiatan", row["name"]), entity="kegiatan", entity_id=row["id"],
                      old=row["name"])

    def remove_unused(self, goal_ids: dict[str, int], program_ids: dict[int, int]) -> None:
        """Program blocks, then goals, that the new file no longer has (their kegiatan are already gone or
        moved), with their indicators and the reports on those (blocked() refused that unless forced)."""
        for stored, keep, model, indicators, parent, kind, realisations, column in (
                (self.programs, program_ids, Program, ProgramIndicator, "program_id", "program",
                 ProgramIndicatorRealisation, "program_indicator_id"),
                (self.goals, goal_ids, Goal, GoalIndicator, "goal_id", "sasaran",
                 GoalIndicatorRealisation, "goal_indicator_id")):
            gone = [r for r in stored.values() if r["id"] not in set(keep.values())]
            removed = [i["id"] for r in gone for i in self.target_rows[indicators][r["id"]]]
            _delete(self.session, realisations, column, removed)
            _delete(self.session, OutcomeAssignment, column, removed)
            _delete(self.session, indicators, parent, [r["id"] for r in gone])
            _delete(self.session, model, "id", [r["id"] for r in gone])
            for r in gone:
                self.note("removed", Change(kind, r["name"]), entity=_table(model).name, entity_id=r["id"],
                          old=r["name"])

    def save_anomalies(self) -> None:
        """The anomaly list describes the file last imported: replaced, not accumulated (the parser kept
        the first MAX_ANOMALIES; MergeResult.anomaly_count counts them all)."""
        _delete(self.session, ImportAnomaly, "plan_id", [self.plan.id])
        raw_limit = _table(ImportAnomaly).c.raw.type.length
        why_limit = _table(ImportAnomaly).c.why.type.length
        _insert(self.session, ImportAnomaly, [
            {"plan_id": self.plan.id, "line": a.line, "raw": a.raw[:raw_limit], "why": a.why[:why_limit]}
            for a in self.parsed.anomalies])

    def save_pics(self) -> None:
        """PIC column: people matched by name within the agency; assignments only added, never dropped."""
        for k in self.parsed.kegiatan:
            kid = self.kegiatan[name_key(k.name)]["id"]
            for name in k.pics:
                person, _ = get_or_create_person(name, session=self.session, agency_id=self.plan.agency_id,
                                                 actor_label=self.actor_label)
                if assign_pic(person.id, kid, session=self.session, actor_label=self.actor_label):
                    self.note("added", Change("pic", k.name, item=person.name), entity="pic",
                              entity_id=kid, new=person.name)


def _agency(session: Session, name: str) -> Agency:
    agency = session.exec(select(Agency).where(sa.func.lower(Agency.name) == name.lower())).first()
    if agency is None:
        agency = Agency(name=name)
        session.add(agency)
        session.flush()
    return agency


def save_plan(parsed: ParsedPlan, *, session: Session, agency: str | None = None, year: int | None = None,
              force: bool = False, agency_id: int | None = None, actor_label: str = "cli",
              actor_person_id: int | None = None, actor_telegram_id: int | None = None) -> MergeResult:
    """Store the parsed plan for its agency and year, merging with what is held; the caller commits.

    The agency is the stored one `agency_id` names (whoever checked that the file is that agency's: /impor,
    `rapk import --agency`), else the one named `agency` or in the title, made when no agency has that name."""
    stored = session.get(Agency, agency_id) if agency_id is not None else None
    parsed = parsed.with_overrides(agency=stored.name if stored else agency, year=year)
    if not parsed.agency:
        raise PlanStoreError("no_agency")
    if not parsed.year:
        raise PlanStoreError("no_year")
    if len(parsed.agency) > (_table(Agency).c.name.type.length or 300):
        raise PlanStoreError("agency_too_long")
    _check_lengths(parsed)
    agency_row = stored or _agency(session, parsed.agency)
    plan = session.exec(select(Plan).where(Plan.agency_id == agency_row.id, Plan.year == parsed.year)).first()
    created = plan is None
    if created:
        plan = Plan(agency_id=agency_row.id, year=parsed.year)
        session.add(plan)
    plan.title = parsed.title[:500]
    plan.source_name = parsed.source_name[:500]
    if parsed.signature is not None:  # a file without the block keeps the one stored
        sig = parsed.signature
        plan.signer_title, plan.signer_name, plan.signer_rank, plan.signer_nip = sig.title, sig.name, sig.rank, sig.nip
    plan.imported_at = utcnow()
    session.flush()
    merge = _Merge(session, plan, parsed, created=created, actor_label=actor_label)
    blocked = merge.blocked()
    if blocked and not force:
        raise MergeRefused(blocked)
    result = merge.run()
    actor = {"actor_label": actor_label, "actor_person_id": actor_person_id, "actor_telegram_id": actor_telegram_id}
    record(session, action="plan.import", entity="plan", entity_id=plan.id, field="source_name",
           new_value=parsed.source_name,
           reason=macro(MESSAGES, "audit_import", "id", result=result, forced=bool(force and blocked)), **actor)
    for action, entity, entity_id, field_name, old, new in merge.audit:
        record(session, action=action, entity=entity, entity_id=entity_id, field=field_name, old_value=old,
               new_value=new, **actor)
    session.flush()
    return result


# ---------------------------------------------------------------------------------------------
# reading back


def load_plan_tree(plan_id: int, *, session: Session) -> dict[str, Any]:
    """The stored plan as nested dicts (goal → program → kegiatan → indicators/aksi) for `rapk plan`."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise PlanStoreError("unknown_plan", plan_id=plan_id)
    agency = session.get(Agency, plan.agency_id)
    goals = _select(session, sa.select(_table(Goal)).where(_table(Goal).c.plan_id == plan_id).order_by("seq"))
    goal_ind = _children(session, GoalIndicator, "goal_id", [g["id"] for g in goals])
    programs = _select(session, sa.select(_table(Program)).where(_table(Program).c.plan_id == plan_id)
                       .order_by("seq"))
    program_ind = _children(session, ProgramIndicator, "program_id", [p["id"] for p in programs])
    kegiatan = _select(session, sa.select(_table(Kegiatan)).where(_table(Kegiatan).c.plan_id == plan_id)
                       .order_by("seq"))
    kegiatan_ids = [k["id"] for k in kegiatan]
    indicators = _children(session, KegiatanIndicator, "kegiatan_id", kegiatan_ids)
    budget_plans = plans_of(kegiatan_ids, session=session)
    aksi = _children(session, Aksi, "kegiatan_id", kegiatan_ids, order="no")
    targets = _children(session, AksiTarget, "aksi_id", [a["id"] for rows in aksi.values() for a in rows],
                        order="quarter")
    pics: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(kegiatan_ids), 500):
        for kid, name in session.exec(
                select(PicAssignment.kegiatan_id, Person.name).join(Person, Person.id == PicAssignment.person_id)
                .where(PicAssignment.kegiatan_id.in_(kegiatan_ids[start:start + 500]))).all():
            pics[kid].append(name)

    def target_rows(rows: list[Any]) -> list[dict[str, Any]]:
        return [{"no": r["no"], "text": r["text"], "target_raw": r["target_raw"], "mode": r["mode"],
                 "tw": [r["tw1_raw"], r["tw2_raw"], r["tw3_raw"], r["tw4_raw"]]} for r in rows]

    iku_text = {i["id"]: i["text"] for rows in goal_ind.values() for i in rows}

    kegiatan_by_program: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for k in kegiatan:
        kegiatan_by_program[k["program_id"]].append({
            "seq": k["seq"], "no": k["no"], "name": k["name"], "budget": k["budget"], "pics": sorted(pics[k["id"]]),
            "budget_plan": budget_plans.get(k["id"]),
            "indicators": [{"text": i["text"], "target_raw": i["target_raw"], "mode": i["mode"]}
                           for i in indicators[k["id"]]],
            "aksi": [{"no": a["no"], "name": a["name"], "indicator": a["indicator"], "mode": a["mode"],
                      "tw": [t["raw"] for t in targets[a["id"]]]} for a in aksi[k["id"]]],
        })
    programs_by_goal: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for p in programs:
        programs_by_goal[p["goal_id"]].append({"seq": p["seq"], "no": p["no"], "name": p["name"],
                                               "goal_indicator": iku_text.get(p["goal_indicator_id"], ""),
                                               "indicators": target_rows(program_ind[p["id"]]),
                                               "kegiatan": kegiatan_by_program[p["id"]]})
    anomalies = _select(session, sa.select(_table(ImportAnomaly)).where(
        _table(ImportAnomaly).c.plan_id == plan_id).order_by("line", "id"))
    return {
        "plan_id": plan_id, "agency": agency.name, "year": plan.year, "title": plan.title,
        "source_name": plan.source_name, "imported_at": plan.imported_at,
        "goals": [{"no": g["no"], "name": g["name"], "indicators": target_rows(goal_ind[g["id"]]),
                   "programs": programs_by_goal[g["id"]]} for g in goals],
        "kegiatan_count": len(kegiatan),
        "aksi_count": sum(len(rows) for rows in aksi.values()),
        "budget_total": sum(k["budget"] or 0 for k in kegiatan),
        "anomalies": [{"line": a["line"], "raw": a["raw"], "why": a["why"]} for a in anomalies],
        "anomalies_capped": len(anomalies) >= MAX_ANOMALIES,  # only the first ones of the file are stored
    }


def _children(session: Session, model: type[SQLModel], parent: str, ids: list[int],
              order: str = "seq") -> dict[int, list[Any]]:
    table = _table(model)
    out: dict[int, list[Any]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        for r in _select(session, sa.select(table).where(table.c[parent].in_(ids[start:start + 500]))
                         .order_by(table.c[order])):
            out[r[parent]].append(r)
    return out
