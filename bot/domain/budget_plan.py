"""Anggaran kas (rencana penarikan dana): how much of its pagu a kegiatan plans to draw each quarter.

The one owner of the rule; scoring, the digest, the workbook, the importer and the admin's command
all read it from here. No Telegram.

* A kegiatan has a plan of four quarterly amounts in integer rupiah (0 where nothing is planned),
  or none. Planned to date (s.d. TW n) is the sum of TW I..n.
* Absorption against the plan = budget realised to TW n ÷ planned to TW n × 100, where a plan
  exists (bot.domain.scoring `Budget`); a kegiatan without one is measured against its pagu only.
  Above a kegiatan, the plan figure sums the kegiatan that have a plan, and says how many.
* The plan comes from a plan file's ANGGARAN KAS / RENCANA PENARIKAN DANA columns
  (bot.domain.plan_import), or from the admin (/anggarankas, `rapk budget-plan`). A re-import
  changes a kegiatan's plan only when its table carries those columns, so what the admin set
  survives a file without them.
* The admin may not set a plan whose sum exceeds the pagu, nor one for a kegiatan without a
  pagu, nor change an amount already set for a locked quarter (like /target). Every change is
  audited per quarter (`budget_plan.set`, entity kegiatan, field `tw2`, old → new rupiah).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session
from sqlmodel import select

from bot.domain.audit import record
from bot.domain.locks import kegiatan_locked
from bot.domain.measure import round1
from bot.domain.numbers import MoneyFormatError
from bot.domain.numbers import parse_money
from bot.domain.people import Refused
from models import Kegiatan
from models import KegiatanBudgetPlan
from models import Plan

__all__ = ["QUARTERS", "BudgetPlanCard", "BudgetPlanError", "budget_plan_card",
           "parse_amounts", "planned_to_date", "plans_of", "set_budget_plan"]

QUARTERS = (1, 2, 3, 4)
_DASHES = ("-", "–", "—", "−")
AUDIT_ACTION = "budget_plan.set"


class BudgetPlanError(Refused):
    """A plan the admin may not set: `code` picks the words in templates/<lang>/admin_error.j2."""


def planned_to_date(plan: Sequence[int] | None, quarter: int) -> int | None:
    """Rupiah planned for TW I..`quarter`; None without a plan."""
    return None if plan is None else sum(plan[:quarter])


def parse_amounts(texts: Sequence[str]) -> tuple[int, ...]:
    """Four quarterly amounts as an admin types them (`100.000.000`, `Rp100jt`, `0`, `-` for none)."""
    if len(texts) != len(QUARTERS):
        raise BudgetPlanError("kas_count", given=len(texts))
    amounts = []
    for quarter, text in zip(QUARTERS, texts, strict=True):
        text = text.strip()
        if text in _DASHES:
            amounts.append(0)
            continue
        try:
            amounts.append(parse_money(text))
        except MoneyFormatError:
            raise BudgetPlanError("kas_not_money", raw=text[:40], quarter=quarter) from None
    return tuple(amounts)


def plans_of(kegiatan_ids: Iterable[int], *, session: Session) -> dict[int, tuple[int, ...]]:
    """{kegiatan id: its four amounts} for those of `kegiatan_ids` that have a plan."""
    ids = sorted(set(kegiatan_ids))
    rows: dict[int, dict[int, int]] = {}
    for start in range(0, len(ids), 500):
        for kid, quarter, amount in session.exec(
                select(KegiatanBudgetPlan.kegiatan_id, KegiatanBudgetPlan.quarter, KegiatanBudgetPlan.amount)
                .where(KegiatanBudgetPlan.kegiatan_id.in_(ids[start:start + 500]))).all():
            rows.setdefault(kid, {})[quarter] = int(amount)
    return {kid: tuple(q.get(n, 0) for n in QUARTERS) for kid, q in rows.items()}


@dataclass(frozen=True)
class BudgetPlanCard:
    """A kegiatan's plan before and after a change (the same when only shown)."""

    kegiatan_id: int
    seq: int
    name: str
    year: int
    pagu: int | None
    old: tuple[int, ...] | None
    new: tuple[int, ...] | None

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def total(self) -> int | None:
        return None if self.new is None else sum(self.new)

    @property
    def to_date(self) -> list[int] | None:
        """Planned s.d. TW I..IV, for the card."""
        return None if self.new is None else [planned_to_date(self.new, q) for q in QUARTERS]

    @property
    def share_of_pagu(self) -> Decimal | None:
        """The plan's sum as % of the pagu, rounded half-up to 0,1 as every shown percentage."""
        if self.new is None or not self.pagu:
            return None
        return round1(Decimal(sum(self.new)) / Decimal(self.pagu) * 100)


def _kegiatan(kegiatan_id: int, session: Session) -> tuple[Kegiatan, Plan]:
    kegiatan = session.get(Kegiatan, kegiatan_id)
    if kegiatan is None:
        raise BudgetPlanError("unknown_item")
    return kegiatan, session.get(Plan, kegiatan.plan_id)


def budget_plan_card(kegiatan_id: int, *, session: Session) -> BudgetPlanCard:
    kegiatan, plan = _kegiatan(kegiatan_id, session)
    current = plans_of([kegiatan_id], session=session).get(kegiatan_id)
    return BudgetPlanCard(kegiatan.id, kegiatan.seq, kegiatan.name, plan.year, kegiatan.budget, current, current)


def set_budget_plan(kegiatan_id: int, amounts: Sequence[int] | None, *, session: Session,
                    actor_person_id: int | None = None, actor_telegram_id: int | None = None,
                    actor_label: str = "", now: datetime | None = None) -> BudgetPlanCard:
    """Set (or with None remove) a kegiatan's anggaran kas; refused as the module docstring says.

    Writes and audits only the quarters that change; an unchanged plan changes nothing.
    """
    kegiatan, plan = _kegiatan(kegiatan_id, session)
    new = None if amounts is None else tuple(int(a) for a in amounts)
    if new is not None:
        if len(new) != len(QUARTERS) or any(a < 0 for a in new):
            raise BudgetPlanError("kas_count", given=len(new))
        if kegiatan.budget is None:
            raise BudgetPlanError("kas_no_pagu", kegiatan=kegiatan.name)
        if sum(new) > kegiatan.budget:
            raise BudgetPlanError("kas_over_pagu", kegiatan=kegiatan.name, total=sum(new), pagu=kegiatan.budget,
                                  over=sum(new) - kegiatan.budget)
    rows = {r.quarter: r for r in session.exec(select(KegiatanBudgetPlan)
                                               .where(KegiatanBudgetPlan.kegiatan_id == kegiatan_id)).all()}
    old = tuple(int(rows[q].amount) if q in rows else 0 for q in QUARTERS) if rows else None
    card = BudgetPlanCard(kegiatan.id, kegiatan.seq, kegiatan.name, plan.year, kegiatan.budget, old, new)
    if not card.changed:
        return card
    # An amount already set for a locked quarter stays: that quarter's figures are final.
    locked = [q for q in QUARTERS if old is not None and (new is None or new[q - 1] != old[q - 1])
              and kegiatan_locked(plan.id, kegiatan.id, q, session=session)]
    if locked:
        raise BudgetPlanError("kas_locked", quarters=locked, year=plan.year, kegiatan=kegiatan.name)
    who = {"actor_person_id": actor_person_id, "actor_telegram_id": actor_telegram_id, "actor_label": actor_label,
           "at": now}
    for q in QUARTERS:
        before = None if old is None else old[q - 1]
        after = None if new is None else new[q - 1]
        row = rows.get(q)
        if after is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(KegiatanBudgetPlan(kegiatan_id=kegiatan_id, quarter=q, amount=after))
        else:
            row.amount = after
        if before != after:
            record(session, action=AUDIT_ACTION, entity="kegiatan", entity_id=kegiatan_id, field=f"tw{q}",
                   old_value=None if before is None else str(before), new_value=None if after is None else str(after),
                   **who)
    session.flush()
    return card
