"""Outgoing messages as rows: claimed, sent, retried and marked, so nothing is lost or sent twice."""

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy import Column
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlmodel import Field
from sqlmodel import SQLModel

from models.base import ts_field


class Reminder(SQLModel, table=True):
    """One reminder to one person for one quarter and kind (h-7, h-3, h-1, deadline, overdue-YYYY-MM-DD, ...)."""

    __table_args__ = (UniqueConstraint("person_id", "plan_id", "quarter", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    quarter: int
    kind: str = Field(max_length=40)
    due_at: datetime = ts_field(nullable=False, index=True)
    status: str = Field(default="pending", max_length=20, index=True)  # pending/sending/delivered/failed/skipped
    attempts: int = 0
    next_attempt_at: datetime | None = ts_field(index=True)
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_at: datetime | None = ts_field()
    delivered_at: datetime | None = ts_field()
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime | None = ts_field(default_now=True)


class GroupPost(SQLModel, table=True):
    """A post to the leadership group or admins (digest, late list), once per dedupe key."""

    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200)  # e.g. "digest:plan=1:q=2:2020-07-09"
    plan_id: int | None = Field(default=None, foreign_key="plan.id")
    quarter: int | None = None
    kind: str = Field(max_length=40)  # digest / late-list / admin-notice
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = ts_field()
    delivered_at: datetime | None = ts_field()
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime | None = ts_field(default_now=True)
