"""Shared pieces of the data model: the declarative base, column types and enum storage.

Weights are Decimal (`Numeric`): `WEIGHT` in a record's own unit, `GRAMS`
for the cached gram value SQL adds across units.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Enum, Numeric
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import DateTime, TypeDecorator

WEIGHT = Numeric(18, 4)
GRAMS = Numeric(28, 10)


def utcnow() -> datetime:
    """Timezone-aware now, used as a callable column default."""
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """Stores UTC; always returns timezone-aware datetimes (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


def enum_column(cls):
    """Store enums by value (stable lower-case strings), not by Python name."""
    return Enum(cls, values_callable=lambda members: [m.value for m in members],
                native_enum=False, length=32, validate_strings=True)
