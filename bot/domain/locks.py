"""Period locks: is a quarter locked, and locking or opening it (the only module that reads PeriodLock).

A PeriodLock row with kegiatan_id null locks the whole plan's quarter; one with a kegiatan_id locks
that kegiatan's quarter only. A locked quarter takes no reports or target changes, and reminders
and weekly digests about it stop. Locking and opening are audited and return the PICs to tell.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import select

from bot.domain.audit import record
from models import Kegiatan
from models import PeriodLock
from models import Plan

if TYPE_CHECKING:
    from bot.domain.admin import Recipient


# -- questions --------------------------------------------------------------------------------------

def quarter_locked(plan_id: int, quarter: int, *, session: Session) -> bool:
    """True when the whole plan's quarter is locked."""
    return session.exec(select(PeriodLock.id).where(
        PeriodLock.plan_id == plan_id, PeriodLock.quarter == quarter, PeriodLock.kegiatan_id.is_(None)
    ).limit(1)).first() is not None


def kegiatan_locked(plan_id: int, kegiatan_id: int, quarter: int, *, session: Session) -> bool:
    """True when the quarter is locked for the whole plan or for this kegiatan."""
    return session.exec(select(PeriodLock.id).where(
        PeriodLock.plan_id == plan_id, PeriodLock.quarter == quarter,
        sa.or_(PeriodLock.kegiatan_id.is_(None), PeriodLock.kegiatan_id == kegiatan_id),
    ).limit(1)).first() is not None


def locked_kegiatan(plan_id: int, quarter: int, *, session: Session) -> tuple[bool, set[int]]:
    """(whole plan locked, ids of the kegiatan locked on their own) for one quarter, in one query."""
    rows = session.exec(select(PeriodLock.kegiatan_id).where(PeriodLock.plan_id == plan_id,
                                                            PeriodLock.quarter == quarter)).all()
    return None in rows, {k for k in rows if k is not None}


def open_quarters(plan_id: int, quarters: Iterable[int], *, session: Session) -> list[int]:
    """Those of `quarters` (in the order given) not locked for the whole plan, in one query."""
    wanted = list(quarters)
    if not wanted:
        return []
    locked = set(session.exec(select(PeriodLock.quarter).where(
        PeriodLock.plan_id == plan_id, PeriodLock.quarter.in_(wanted), PeriodLock.kegiatan_id.is_(None))).all())
    return [q for q in wanted if q not in locked]


def lock_overview(plan_id: int, quarter: int, *, session: Session) -> tuple[bool, list[str]]:
    """Is the quarter locked for the whole plan, and which kegiatan are locked on their own."""
    rows = session.exec(select(PeriodLock.kegiatan_id, Kegiatan.name)
                        .outerjoin(Kegiatan, Kegiatan.id == PeriodLock.kegiatan_id)
                        .where(PeriodLock.plan_id == plan_id, PeriodLock.quarter == quarter)
                        .order_by(Kegiatan.seq)).all()
    return any(kid is None for kid, _ in rows), [name for kid, name in rows if kid is not None]


# -- locking and opening ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LockResult:
    """What a lock or unlock did; `changed` is False when it was already so (nothing audited, nobody told)."""

    locked: bool
    changed: bool
    quarter: int
    year: int
    kegiatan_name: str | None  # None: the whole plan
    recipients: tuple[Recipient, ...] = ()


def _admin():
    # The admin console's refusal type, actor fields and PIC recipients; bot.domain.admin imports this module for
    # its lock checks, so it is looked up when a lock changes rather than at import time.
    from bot.domain import admin
    return admin


def _lock_scope(plan_id: int, quarter: int, kegiatan_id: int | None, session: Session):
    plan = session.get(Plan, plan_id)
    if plan is None or quarter not in (1, 2, 3, 4):
        raise _admin().AdminError("unknown_item")
    kegiatan = None
    if kegiatan_id is not None:
        kegiatan = session.get(Kegiatan, kegiatan_id)
        if kegiatan is None or kegiatan.plan_id != plan_id:
            raise _admin().AdminError("unknown_item")
    locks = session.exec(select(PeriodLock).where(PeriodLock.plan_id == plan_id, PeriodLock.quarter == quarter)
                         .with_for_update()).all()
    return plan, kegiatan, locks


def _plan_kegiatan_ids(plan_id: int, session: Session) -> list[int]:
    return list(session.exec(select(Kegiatan.id).where(Kegiatan.plan_id == plan_id)).all())


def _lock_audit(session, *, locked: bool, plan: Plan, quarter: int, kegiatan: Kegiatan | None, who: dict) -> None:
    record(session, action="period.lock" if locked else "period.unlock",
           entity="kegiatan" if kegiatan else "plan", entity_id=kegiatan.id if kegiatan else plan.id,
           field=f"tw{quarter}", old_value="terkunci" if not locked else "terbuka",
           new_value="terkunci" if locked else "terbuka", **who)


def lock_quarter(plan_id: int, quarter: int, kegiatan_id: int | None = None, *, session: Session,
                 actor_person_id: int | None = None, actor_telegram_id: int | None = None, actor_label: str = "",
                 now: datetime | None = None) -> LockResult:
    """Lock a quarter for the whole plan or one kegiatan; locking what is locked changes nothing."""
    plan, kegiatan, locks = _lock_scope(plan_id, quarter, kegiatan_id, session)
    plan_locked = any(lock.kegiatan_id is None for lock in locks)
    own = {lock.kegiatan_id for lock in locks if lock.kegiatan_id is not None}
    name = kegiatan.name if kegiatan else None
    if plan_locked or (kegiatan is not None and kegiatan.id in own):
        return LockResult(True, False, quarter, plan.year, name)
    session.add(PeriodLock(plan_id=plan_id, quarter=quarter, kegiatan_id=kegiatan_id, locked_by=actor_person_id,
                           **({"locked_at": now} if now else {})))
    _lock_audit(session, locked=True, plan=plan, quarter=quarter, kegiatan=kegiatan,
                who=_admin()._who(actor_person_id, actor_telegram_id, actor_label, now))
    session.flush()
    affected = [kegiatan.id] if kegiatan else [k for k in _plan_kegiatan_ids(plan_id, session) if k not in own]
    return LockResult(True, True, quarter, plan.year, name, tuple(_admin().recipients_of(affected, session=session)))


def unlock_quarter(plan_id: int, quarter: int, kegiatan_id: int | None = None, *, session: Session,
                   actor_person_id: int | None = None, actor_telegram_id: int | None = None, actor_label: str = "",
                   now: datetime | None = None) -> LockResult:
    """Open a quarter again: for the whole plan (every lock of that quarter goes) or one kegiatan.

    One kegiatan cannot be opened while the whole plan is locked (there is no exception row): open
    the plan, then lock the others again.
    """
    plan, kegiatan, locks = _lock_scope(plan_id, quarter, kegiatan_id, session)
    plan_locked = any(lock.kegiatan_id is None for lock in locks)
    who = _admin()._who(actor_person_id, actor_telegram_id, actor_label, now)
    if kegiatan is not None:
        if plan_locked:
            raise _admin().AdminError("plan_locked", quarter=quarter, year=plan.year)
        gone = [lock for lock in locks if lock.kegiatan_id == kegiatan.id]
        affected = [kegiatan.id]
    else:
        gone = locks
        affected = _plan_kegiatan_ids(plan_id, session) if plan_locked else [lock.kegiatan_id for lock in locks]
    if not gone:
        return LockResult(False, False, quarter, plan.year, kegiatan.name if kegiatan else None)
    for lock in gone:
        session.delete(lock)
    audited = {lock.kegiatan_id for lock in gone}
    for kid in sorted(audited, key=lambda k: (k is not None, k or 0)):
        _lock_audit(session, locked=False, plan=plan, quarter=quarter,
                    kegiatan=session.get(Kegiatan, kid) if kid is not None else None, who=who)
    session.flush()
    return LockResult(False, True, quarter, plan.year, kegiatan.name if kegiatan else None,
                      tuple(_admin().recipients_of(affected, session=session)))


__all__ = [
    "LockResult", "kegiatan_locked", "lock_overview", "lock_quarter", "locked_kegiatan", "open_quarters",
    "quarter_locked", "unlock_quarter",
]
