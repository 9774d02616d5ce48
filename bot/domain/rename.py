"""Renaming a kegiatan, an aksi or a kegiatan indicator (a typo of the signed document, «Penjurangan»).

The name shown (`name`, an indicator's `text`) changes; the name as printed (`printed_name`,
`printed_text`, migration 0008) stays: it is what a re-import of the signed file matches on, so the
rename survives it (bot.domain.plan_import.store `_keep_rename`). Audited as `item.rename` with the
reason; the kegiatan's PICs are told. Refusals are AdminError (bot.domain.admin), worded in
templates/<lang>/admin_error.j2: `rename_empty`, `too_long`, `name_unchanged`, `name_taken` (two kegiatan
of a plan may not share a name), `unknown_item`.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from sqlmodel import select

from bot.domain.admin import AdminError
from bot.domain.admin import Recipient
from bot.domain.admin import checked_reason
from bot.domain.admin import recipients_of
from bot.domain.audit import record
from bot.domain.plan_import.parser import name_key
from models import Aksi
from models import Kegiatan
from models import KegiatanIndicator

__all__ = ["KINDS", "Rename", "check_rename", "rename_item", "rename_subject"]

# what → (model, the column shown, the column as printed, the audit entity)
KINDS = {"k": (Kegiatan, "name", "printed_name", "kegiatan"), "a": (Aksi, "name", "printed_name", "aksi"),
         "i": (KegiatanIndicator, "text", "printed_text", "kegiatan_indicator")}


@dataclass(frozen=True)
class Rename:
    """An item's name before and after, as printed, where it sits, and whom to tell."""

    what: str  # k / a / i
    item_id: int
    kegiatan_id: int
    kegiatan_name: str  # the kegiatan's name shown (before a kegiatan's own rename)
    plan_id: int
    label: str  # `2. Pendataan peserta`, the indicator text, or the kegiatan name
    old: str
    new: str
    printed: str
    recipients: tuple[Recipient, ...] = ()


def _row(what: str, item_id: int, session: Session):
    if what not in KINDS:
        raise AdminError("unknown_item")
    model, shown, printed, _entity = KINDS[what]
    row = session.get(model, item_id)
    if row is None:
        raise AdminError("unknown_item")
    kegiatan = row if what == "k" else session.get(Kegiatan, row.kegiatan_id)
    return row, kegiatan, getattr(row, shown), getattr(row, printed) or getattr(row, shown)


def rename_subject(what: str, item_id: int, *, session: Session) -> Rename:
    """The item as it is now (nothing typed yet): for the question that asks the new name."""
    row, kegiatan, current, printed = _row(what, item_id, session)
    label = f"{row.no}. {current}" if what == "a" else current
    return Rename(what, item_id, kegiatan.id, kegiatan.name, kegiatan.plan_id, label, current, "", printed)


def _checked(what: str, item_id: int, raw: str, session: Session) -> tuple[Rename, object]:
    row, kegiatan, current, printed = _row(what, item_id, session)
    model, shown, _printed, _entity = KINDS[what]
    new = " ".join((raw or "").split())
    limit = model.__table__.c[shown].type.length
    if not new:
        raise AdminError("rename_empty")
    if len(new) > limit:
        raise AdminError("too_long", limit=limit)
    if new == current:
        raise AdminError("name_unchanged", raw=current)
    if what == "k":
        others = session.exec(select(Kegiatan.name, Kegiatan.printed_name).where(
            Kegiatan.plan_id == kegiatan.plan_id, Kegiatan.id != kegiatan.id)).all()
        if any(name_key(new) in (name_key(n), name_key(p or n)) for n, p in others):
            raise AdminError("name_taken", raw=new)
    label = f"{row.no}. {current}" if what == "a" else current
    change = Rename(what, item_id, kegiatan.id, kegiatan.name, kegiatan.plan_id, label, current, new, printed,
                    tuple(recipients_of([kegiatan.id], session=session)))
    return change, row


def check_rename(what: str, item_id: int, raw: str, *, session: Session) -> Rename:
    """What renaming the item to `raw` would do; AdminError when it may not."""
    return _checked(what, item_id, raw, session)[0]


def rename_item(what: str, item_id: int, raw: str, *, session: Session, reason: str, expected_old: str | None = None,
                actor_person_id: int | None = None, actor_telegram_id: int | None = None, actor_label: str = "",
                now: datetime | None = None) -> Rename:
    """Rename the item shown, keep the name as printed; audited with the reason."""
    reason = checked_reason(reason)
    change, row = _checked(what, item_id, raw, session)
    if expected_old is not None and change.old != expected_old:
        raise AdminError("stale_name", raw=change.old)
    _model, shown, printed, entity = KINDS[what]
    if not getattr(row, printed):
        setattr(row, printed, change.old)  # stored before migration 0008 filled it
    setattr(row, shown, change.new)
    session.add(row)
    session.flush()
    record(session, action="item.rename", entity=entity, entity_id=item_id, field=shown, old_value=change.old,
           new_value=change.new, reason=reason, actor_person_id=actor_person_id, actor_telegram_id=actor_telegram_id,
           actor_label=actor_label, at=now)
    return change
