"""Renstra figures: what the five-year strategic plan (Renstra) says of a kegiatan or of one of its indicators.

The evaluation form of Permendagri 86/2017 (bot.domain.evaluation_form) prints, beside the year's Renja,
(6) the Renstra target at the end of its period and (7) the Renstra realisation up to last year's Renja,
and derives (15) = (7) + (13) and (16) = (15) ÷ (6) × 100. The signed action plan does not hold them, so
the admin enters them: rupiah for a kegiatan (its Rp columns), K for a kegiatan indicator. One row per
item or none; entering replaces, clearing removes; every change is audited `renstra.set`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from bot.domain.audit import record
from models import Kegiatan
from models import KegiatanIndicator
from models import RenstraFigure


class RenstraError(ValueError):
    """A figure that may not be stored; the message says which and why, in one line."""


@dataclass(frozen=True)
class Renstra:
    target: Decimal | None  # (6)
    realised: Decimal | None  # (7)

    def to_date(self, this_year: Decimal | int | None) -> Decimal | None:
        """(15): the Renstra realisation to this year, (7) + (13); None without (7)."""
        if self.realised is None:
            return None
        return self.realised + Decimal(this_year or 0)

    def achievement(self, this_year: Decimal | int | None) -> Decimal | None:
        """(16): (15) ÷ (6) × 100, one decimal; None without a positive target or without (7)."""
        total = self.to_date(this_year)
        if total is None or not self.target:
            return None
        return (total / self.target * 100).quantize(Decimal("0.1"))


def set_renstra(kegiatan_id: int, *, indicator_seq: int | None = None, target: Decimal | None,
                realised: Decimal | None, session: Session, actor_label: str = "") -> RenstraFigure | None:
    """Store (or, with both None, remove) the Renstra figures of a kegiatan, or of its indicator number
    `indicator_seq` (1-based, in the order the form prints them)."""
    for name, value in (("target", target), ("realised", realised)):
        if value is not None and value < 0:
            raise RenstraError(f"{name} may not be negative")
    if session.get(Kegiatan, kegiatan_id) is None:
        raise RenstraError("no such kegiatan")
    where, entity, entity_id = RenstraFigure.kegiatan_id == kegiatan_id, "kegiatan", kegiatan_id
    if indicator_seq is not None:
        indicators = list(session.exec(sa.select(KegiatanIndicator.id).where(
            KegiatanIndicator.kegiatan_id == kegiatan_id).order_by(KegiatanIndicator.seq)).scalars())
        if not 1 <= indicator_seq <= len(indicators):
            raise RenstraError(f"the kegiatan has {len(indicators)} indicator(s); no number {indicator_seq}")
        entity_id = indicators[indicator_seq - 1]
        where, entity = RenstraFigure.indicator_id == entity_id, "kegiatan_indicator"
    row = session.exec(sa.select(RenstraFigure).where(where)).scalars().first()
    old = None if row is None else f"{_text(row.target)} / {_text(row.realised)}"
    new = None if target is None and realised is None else f"{_text(target)} / {_text(realised)}"
    if old == new:
        return row
    record(session, action="renstra.set", entity=entity, entity_id=entity_id, field="target / realised",
           old_value=old, new_value=new, actor_label=actor_label)
    if new is None:
        session.delete(row)
        session.flush()
        return None
    if row is None:
        row = RenstraFigure(**({"indicator_id": entity_id} if indicator_seq is not None else {"kegiatan_id": kegiatan_id}))
        session.add(row)
    row.target, row.realised = target, realised
    session.flush()
    return row


def renstra_of(plan_id: int, *, session: Session) -> tuple[dict[int, Renstra], dict[int, Renstra]]:
    """The plan's Renstra figures: (by kegiatan id, by indicator id)."""
    of_plan = sa.select(Kegiatan.id).where(Kegiatan.plan_id == plan_id)
    of_indicators = sa.select(KegiatanIndicator.id).where(KegiatanIndicator.kegiatan_id.in_(of_plan))
    by_kegiatan, by_indicator = {}, {}
    for row in session.exec(sa.select(RenstraFigure).where(sa.or_(
            RenstraFigure.kegiatan_id.in_(of_plan), RenstraFigure.indicator_id.in_(of_indicators)))).scalars():
        figure = Renstra(_exact(row.target), _exact(row.realised))
        if row.kegiatan_id is not None:
            by_kegiatan[row.kegiatan_id] = figure
        else:
            by_indicator[row.indicator_id] = figure
    return by_kegiatan, by_indicator


def _exact(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _text(value) -> str:
    return "–" if value is None else format(Decimal(str(value)).normalize(), "f")
