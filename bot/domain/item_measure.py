"""How one aksi or kegiatan indicator is measured, set by the admin: its mode and the unit of its counts.

The importer infers the mode (bot.domain.modes); the admin overrides it where the inference is wrong
(«1600 dos snack» over a year is a sum, not a level) and names the unit of a count («1» → «1 dokumen»).
The preview is bot.domain.target_effect `measure_effect`: the item scored as stored and as it would be,
old → new achievement, before «Simpan». Audited as `item.measure` (field `mode` or `unit`); the PICs are
told, since /lapor's question follows the mode («Realisasi TW II saja» / «Capaian s.d. TW II»).

A unit names a count: a percentage stays a percentage (change the targets themselves with /target),
and `%` or a number is refused. `-` clears the unit. Refusals (AdminError, templates/<lang>/admin_error.j2):
`measure_unchanged`, `unit_percent`, `unit_number`, `too_long`, `locked` (a quarter with reports is
locked: its scores would change), `unknown_item`, `stale_measure`.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from sqlmodel import select

from bot.domain.admin import AdminError
from bot.domain.admin import Recipient
from bot.domain.admin import checked_reason
from bot.domain.admin import recipients_of
from bot.domain.audit import record
from bot.domain.locks import kegiatan_locked
from bot.domain.measure import MODES
from bot.domain.target_effect import AsOf
from bot.domain.target_effect import TargetEffect
from bot.domain.target_effect import measure_effect
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import IndicatorRealisation
from models import Kegiatan
from models import KegiatanIndicator
from models import Plan

__all__ = ["MeasureChange", "check_measure", "measure_subject", "reported_locked", "set_measure"]

UNIT_LIMIT = 100


@dataclass(frozen=True)
class MeasureChange:
    """An item's mode and count unit before and after (`new_*` None: nothing typed yet), and the effect."""

    what: str  # a / i
    item_id: int
    kegiatan_id: int
    kegiatan_name: str
    plan_id: int
    label: str
    old_mode: str
    old_unit: str  # the unit of its counts; "%" for an item measured in percent
    new_mode: str | None = None
    new_unit: str | None = None
    effect: TargetEffect | None = None
    recipients: tuple[Recipient, ...] = ()


def _item(what: str, item_id: int, session: Session):
    model = {"a": Aksi, "i": KegiatanIndicator}.get(what)
    row = session.get(model, item_id) if model else None
    if row is None:
        raise AdminError("unknown_item")
    kegiatan = session.get(Kegiatan, row.kegiatan_id)
    if what == "a":
        cells = session.exec(select(AksiTarget).where(AksiTarget.aksi_id == item_id).order_by(AksiTarget.quarter)).all()
        due = [c for c in cells if c.kind in ("percent", "count")]
        unit = ("%" if due[0].kind == "percent" else due[0].unit) if due else ""
        label = f"{row.no}. {row.name}"
    else:
        unit, label = row.target_unit, row.text
    return row, kegiatan, unit, label


def measure_subject(what: str, item_id: int, *, session: Session) -> MeasureChange:
    """The item as it is measured now."""
    row, kegiatan, unit, label = _item(what, item_id, session)
    return MeasureChange(what, item_id, kegiatan.id, kegiatan.name, kegiatan.plan_id, label, row.mode, unit)


def _unit(raw: str | None, current: str) -> str | None:
    if raw is None:
        return None
    text = " ".join(raw.split())
    if text in ("-", "–", "—"):
        return ""
    if "%" in text or current == "%":
        raise AdminError("unit_percent", raw=text)
    if re.search(r"\d", text):
        raise AdminError("unit_number", raw=text)
    if len(text) > UNIT_LIMIT:
        raise AdminError("too_long", limit=UNIT_LIMIT)
    return text


def reported_locked(what: str, row, kegiatan: Kegiatan, session: Session) -> int | None:
    """The first locked quarter in which the aksi (`a`) or indicator (`i`) has a report: changing how it is
    scored would change a closed quarter's figures."""
    model, column = (AksiRealisation, AksiRealisation.aksi_id) if what == "a" else \
        (IndicatorRealisation, IndicatorRealisation.indicator_id)
    quarters = sorted(set(session.exec(select(model.quarter).where(column == row.id)).all()))
    return next((q for q in quarters if kegiatan_locked(kegiatan.plan_id, kegiatan.id, q, session=session)), None)


def check_measure(what: str, item_id: int, mode: str | None, unit: str | None, *, session: Session,
                  as_of: AsOf | None = None) -> MeasureChange:
    """What measuring the item by `mode` (None: as now) with counts in `unit` (None: as now) would do."""
    row, kegiatan, current_unit, label = _item(what, item_id, session)
    new_mode = row.mode if mode is None else mode
    if new_mode not in MODES:
        raise AdminError("unknown_item")
    new_unit = _unit(unit, current_unit)
    if new_mode == row.mode and (new_unit is None or new_unit == current_unit):
        raise AdminError("measure_unchanged", mode=row.mode, unit=current_unit)
    locked = reported_locked(what, row, kegiatan, session)
    if locked is not None:
        raise AdminError("locked", quarter=locked, year=session.get(Plan, kegiatan.plan_id).year,
                         kegiatan=kegiatan.name)
    effect = None if as_of is None else measure_effect(kegiatan.plan_id, what, item_id, new_mode, new_unit,
                                                       session=session, as_of=as_of)
    return MeasureChange(what, item_id, kegiatan.id, kegiatan.name, kegiatan.plan_id, label, row.mode, current_unit,
                         new_mode, current_unit if new_unit is None else new_unit, effect,
                         tuple(recipients_of([kegiatan.id], session=session)))


def set_measure(what: str, item_id: int, mode: str | None, unit: str | None, *, session: Session, reason: str,
                expected: tuple[str, str] | None = None, actor_person_id: int | None = None,
                actor_telegram_id: int | None = None, actor_label: str = "", now: datetime | None = None,
                as_of: AsOf | None = None) -> MeasureChange:
    """Store the mode and the count unit (audited with the reason); `expected` = the (mode, unit) the admin saw."""
    reason = checked_reason(reason)
    change = check_measure(what, item_id, mode, unit, session=session, as_of=as_of)
    if expected is not None and (change.old_mode, change.old_unit) != tuple(expected):
        raise AdminError("stale_measure")
    row = session.get({"a": Aksi, "i": KegiatanIndicator}[what], item_id)
    entity = "aksi" if what == "a" else "kegiatan_indicator"
    who = {"reason": reason, "actor_person_id": actor_person_id, "actor_telegram_id": actor_telegram_id,
           "actor_label": actor_label, "at": now}
    if change.new_mode != change.old_mode:
        row.mode = change.new_mode
        record(session, action="item.measure", entity=entity, entity_id=item_id, field="mode",
               old_value=change.old_mode, new_value=change.new_mode, **who)
    if change.new_unit != change.old_unit:
        if what == "a":
            for cell in session.exec(select(AksiTarget).where(AksiTarget.aksi_id == item_id,
                                                              AksiTarget.kind == "count")).all():
                cell.unit = change.new_unit
                session.add(cell)
        else:
            row.target_unit = change.new_unit
        record(session, action="item.measure", entity=entity, entity_id=item_id, field="unit",
               old_value=change.old_unit, new_value=change.new_unit, **who)
    session.add(row)
    session.flush()
    return change
