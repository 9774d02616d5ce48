"""Shared column helpers for the SQLModel tables."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, DateTime, Numeric
from sqlmodel import Field


def utcnow() -> datetime:
    """Timezone-aware now in UTC; every stored timestamp is UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """An aware UTC datetime; SQLite hands stored UTC timestamps back naive."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ts_field(*, nullable: bool = True, default_now: bool = False, index: bool = False):
    """A timezone-aware timestamp column (stored as UTC)."""
    kwargs = {"default_factory": utcnow} if default_now else {"default": None}
    return Field(sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index), **kwargs)


def money_field(*, nullable: bool = True):
    """Integer rupiah: money is never a float."""
    return Field(default=None, sa_column=Column(BigInteger, nullable=nullable))


def decimal_field():
    """An exact decimal value (realised values, parsed targets)."""
    return Field(default=None, sa_column=Column(Numeric(20, 4), nullable=True))


__all__ = ["Decimal", "as_utc", "decimal_field", "money_field", "ts_field", "utcnow"]
