"""Shared column helpers for the SQLModel tables."""

from datetime import UTC
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger
from sqlalchemy import Column
from sqlalchemy import DateTime
from sqlalchemy import Numeric
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


def utcnow() -> datetime:
    """Timezone-aware now in UTC; every stored timestamp is UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """An aware UTC datetime; SQLite hands stored UTC timestamps back naive."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(TypeDecorator):
    """`DateTime(timezone=True)` that stores UTC and always hands back aware UTC datetimes.

    PostgreSQL's timestamptz does this by itself; SQLite stores the wall time it is given and returns
    it naive, so without this an aware value in another zone was stored as if it were UTC, and naive
    values read back could not be compared with aware ones.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if not isinstance(value, datetime):
            return value
        return as_utc(value).replace(tzinfo=None) if dialect.name == "sqlite" else as_utc(value)

    def process_result_value(self, value, dialect):
        return as_utc(value) if isinstance(value, datetime) else value


def ts_field(*, nullable: bool = True, default_now: bool = False, index: bool = False):
    """A timezone-aware timestamp column (stored as UTC)."""
    kwargs = {"default_factory": utcnow} if default_now else {"default": None}
    return Field(sa_type=UTCDateTime, nullable=nullable, index=index, **kwargs)


# What the columns hold, on both databases. bot.domain.numbers refuses anything else, so a value
# typed by a user is stored, and read back, exactly as typed.
BIGINT_MAX = 2**63 - 1  # money_field: SQLite INTEGER and PostgreSQL BIGINT alike
INTEGER_MAX = 2**31 - 1  # every other integer column, the primary keys included: PostgreSQL INTEGER
DECIMAL_PRECISION, DECIMAL_SCALE = 20, 4  # decimal_field: PostgreSQL numeric(20, 4), 16 digits before the point
# SQLite has no decimal type: SQLAlchemy stores a float (REAL) and reads it back rounded to the
# scale, which gives back every value of at most 15 significant digits (DBL_DIG) and no other.
DECIMAL_EXACT_DIGITS = 15
RAW_VALUE_LENGTH = 200  # a realised value as typed (value_raw)


def money_field(*, nullable: bool = True):
    """Integer rupiah: money is never a float."""
    return Field(default=None, sa_column=Column(BigInteger, nullable=nullable))


def decimal_field():
    """An exact decimal value (realised values, parsed targets)."""
    # sa_type, not sa_column: a column object would be shared by every table of a mixin (TargetsAsWritten).
    return Field(default=None, sa_type=Numeric(DECIMAL_PRECISION, DECIMAL_SCALE), nullable=True)


__all__ = ["BIGINT_MAX", "DECIMAL_EXACT_DIGITS", "DECIMAL_PRECISION", "DECIMAL_SCALE", "INTEGER_MAX", "RAW_VALUE_LENGTH",
           "Decimal", "UTCDateTime", "as_utc", "decimal_field", "money_field", "ts_field", "utcnow"]
