"""The admin splits a stored kegiatan indicator whose cell packs several (a plan stored before the importer
split such cells, or one it could not split): each part its own text and target.

The parts are the importer's proposal (bot.domain.plan_import.packed `split_packed`, on the text and
target as stored) or what the admin types, one per line, `teks = target`. The stored indicator becomes
the first part and keeps what was reported on it; the others are added right after it, each with its mode
inferred as at import (bot.domain.modes `indicator_mode`). The first part keeps the cell's printed text as
its merge key, the others their own, so a re-import of the signed file (which the importer splits the
same way) pairs them again (bot.domain.plan_import.store `pair_indicators`). Audited as `indicator.split`
with the reason; the kegiatan's PICs are told.

Refusals (AdminError, templates/<lang>/admin_error.j2): `split_one` (fewer than two parts),
`split_line` (a typed line without `=`), `rename_empty`, `too_long`, `not_a_number` / `negative` /
`too_big` / `too_many_decimals` / `percent_over_100` (a part's target, as /target checks it), `locked`
(a quarter with reports on it is locked), `unknown_item`, `stale_split`.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from sqlmodel import select

from bot.domain.admin import AdminError
from bot.domain.admin import Recipient
from bot.domain.admin import checked_reason
from bot.domain.admin import new_target
from bot.domain.admin import recipients_of
from bot.domain.audit import record
from bot.domain.item_measure import reported_locked
from bot.domain.modes import indicator_mode
from bot.domain.plan_import.packed import split_packed
from models import Kegiatan
from models import KegiatanIndicator
from models import Plan

__all__ = ["Split", "check_split", "parse_parts", "split_indicator", "split_subject"]

TEXT_LIMIT = KegiatanIndicator.__table__.c.text.type.length
TARGET_LIMIT = KegiatanIndicator.__table__.c.target_raw.type.length


@dataclass(frozen=True)
class Split:
    """An indicator and the parts it would become (`parts`: (text, target) in order)."""

    item_id: int
    kegiatan_id: int
    kegiatan_name: str
    plan_id: int
    label: str
    old_raw: str
    parts: tuple[tuple[str, str], ...]
    recipients: tuple[Recipient, ...] = ()

    @property
    def what(self) -> str:
        return "i"


def _indicator(item_id: int, session: Session):
    row = session.get(KegiatanIndicator, item_id)
    if row is None:
        raise AdminError("unknown_item")
    return row, session.get(Kegiatan, row.kegiatan_id)


def split_subject(what: str, item_id: int, *, session: Session) -> Split:
    """The indicator with the importer's proposal (no parts when it has none)."""
    if what != "i":
        raise AdminError("unknown_item")
    row, kegiatan = _indicator(item_id, session)
    proposal = split_packed(row.text, row.target_raw)
    parts = tuple((p.text, p.target_raw) for p in proposal[1]) if proposal else ()
    return Split(row.id, kegiatan.id, kegiatan.name, kegiatan.plan_id, row.text, row.target_raw, parts)


def parse_parts(typed: str) -> tuple[tuple[str, str], ...]:
    """`teks = target`, one per line, as the admin types them."""
    parts = []
    for line in (typed or "").splitlines():
        if not line.strip():
            continue
        if "=" not in line:
            raise AdminError("split_line", raw=line.strip()[:40])
        text, target = line.rsplit("=", 1)
        parts.append((" ".join(text.split()), " ".join(target.split())))
    return tuple(parts)


def _checked(item_id: int, parts, session: Session):
    row, kegiatan = _indicator(item_id, session)
    parts = tuple((" ".join(t.split()), " ".join(r.split())) for t, r in parts)
    if len(parts) < 2:
        raise AdminError("split_one")
    targets = []
    for text, raw in parts:
        if not text:
            raise AdminError("rename_empty")
        if len(text) > TEXT_LIMIT:
            raise AdminError("too_long", limit=TEXT_LIMIT)
        target = new_target(raw, old_kind="none", old_unit="", limit=TARGET_LIMIT)
        if target.kind == "none":
            raise AdminError("not_a_number", raw=raw)
        targets.append(target)
    locked = reported_locked("i", row, kegiatan, session)
    if locked is not None:
        raise AdminError("locked", quarter=locked, year=session.get(Plan, kegiatan.plan_id).year,
                         kegiatan=kegiatan.name)
    split = Split(row.id, kegiatan.id, kegiatan.name, kegiatan.plan_id, row.text, row.target_raw, parts,
                  tuple(recipients_of([kegiatan.id], session=session)))
    return split, row, targets


def check_split(item_id: int, parts, *, session: Session) -> Split:
    """What splitting the indicator into `parts` would do; AdminError when it may not."""
    return _checked(item_id, parts, session)[0]


def split_indicator(item_id: int, parts, *, session: Session, reason: str, expected_old: str | None = None,
                    actor_person_id: int | None = None, actor_telegram_id: int | None = None, actor_label: str = "",
                    now: datetime | None = None) -> Split:
    """Split the stored indicator into `parts`: it becomes the first (its reports stay), the others follow it."""
    reason = checked_reason(reason)
    split, row, targets = _checked(item_id, parts, session)
    if expected_old is not None and row.target_raw != expected_old:
        raise AdminError("stale_split")
    later = session.exec(select(KegiatanIndicator).where(KegiatanIndicator.kegiatan_id == row.kegiatan_id,
                                                         KegiatanIndicator.seq > row.seq)).all()
    for other in later:
        other.seq += len(parts) - 1
        session.add(other)
    row.printed_text = row.printed_text or row.text
    (text, _raw), first = split.parts[0], targets[0]
    row.text, row.target_raw, row.target_value, row.target_unit = text, first.raw, first.value, first.unit
    session.add(row)
    for n, ((text, _raw), target) in enumerate(zip(split.parts[1:], targets[1:], strict=True), start=1):
        session.add(KegiatanIndicator(kegiatan_id=row.kegiatan_id, seq=row.seq + n, text=text, printed_text=text,
                                      target_raw=target.raw, target_value=target.value, target_unit=target.unit,
                                      mode=indicator_mode(text, target.unit)))
    session.flush()
    record(session, action="indicator.split", entity="kegiatan_indicator", entity_id=row.id, field="target_raw",
           old_value=split.old_raw, new_value=" | ".join(raw for _t, raw in split.parts), reason=reason,
           actor_person_id=actor_person_id, actor_telegram_id=actor_telegram_id, actor_label=actor_label, at=now)
    return split
