"""The audit trail: every change records who, when, what, old and new value."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import select

from models import AuditLog


def record(session: Session, *, action: str, entity: str, entity_id: int | None = None, field: str = "",
           old_value: str | None = None, new_value: str | None = None, reason: str = "",
           actor_person_id: int | None = None, actor_telegram_id: int | None = None, actor_label: str = "",
           at: datetime | None = None) -> AuditLog:
    """Add one audit row to the caller's unit of work (committed or rolled back with it)."""
    row = AuditLog(action=action, entity=entity, entity_id=entity_id, field=field, old_value=old_value,
                   new_value=new_value, reason=reason, actor_person_id=actor_person_id,
                   actor_telegram_id=actor_telegram_id, actor_label=actor_label)
    if at is not None:
        row.at = at
    session.add(row)
    return row


def record_many(session: Session, entries: list[dict], *, at: datetime, actor_person_id: int | None = None,
                actor_telegram_id: int | None = None, actor_label: str = "") -> None:
    """Add the audit rows of one change of many fields (`record`'s keywords each, besides the actor's and `at`)
    as one statement, in their order: a save of a whole kegiatan records a row per field it changes."""
    if entries:
        common = dict(at=at, actor_person_id=actor_person_id, actor_telegram_id=actor_telegram_id,
                      actor_label=actor_label, entity_id=None, field="", old_value=None, new_value=None, reason="")
        session.execute(sa.insert(AuditLog), [common | entry for entry in entries])


def history(*, session: Session, since: datetime | None = None, entity: str | None = None,
            entity_id: int | None = None, limit: int | None = None) -> list[AuditLog]:
    query = select(AuditLog)
    if since is not None:
        query = query.where(AuditLog.at >= since)
    if entity is not None:
        query = query.where(AuditLog.entity == entity)
    if entity_id is not None:
        query = query.where(AuditLog.entity_id == entity_id)
    if limit:  # the newest `limit` entries, still oldest first
        query = query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
        return list(reversed(session.exec(query).all()))
    return list(session.exec(query.order_by(AuditLog.at, AuditLog.id)).all())
