"""Pieces every report shares: the filters, the location check, period buckets in SQL, gram sums as Decimal."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, literal_column
from sqlalchemy.orm import Session

from lib.access import Actor
from lib.enums import InventoryKind
from lib.errors import ValidationFailed

ZERO = Decimal(0)
PCT = Decimal("0.01")


@dataclass(frozen=True)
class ReportFilters:
    """What a report can be narrowed to (None: no narrowing). The location must be one the viewer sees."""

    location_id: int | None = None
    product_id: int | None = None
    stage_id: int | None = None
    kind: InventoryKind | None = None


def grams(value) -> Decimal:
    """A database sum as Decimal (SQLite sums NUMERIC as floats; str() keeps them short)."""
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def pct(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole × 100 to two places; None when the whole is zero or less."""
    if not whole or whole <= 0:
        return None
    return (part * 100 / whole).quantize(PCT)


def check_location(actor: Actor, filters: ReportFilters) -> None:
    """Refuse a location filter outside the viewer's locations (nothing is shown)."""
    if filters.location_id is not None:
        actor.require_location(filters.location_id)


def as_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def period_start(day: date, size: str) -> date:
    """The first day of the day / week (Monday) / month `day` falls in (as `period_expression` in SQL)."""
    if size == "week":
        return day - timedelta(days=day.weekday())
    if size == "month":
        return day.replace(day=1)
    return day


def period_expression(session: Session, column, size: str, *, is_date: bool = False):
    """SQL for the first day of the day / week (Monday) / month a UTC timestamp (or a date) falls in."""
    if size not in ("day", "week", "month"):
        raise ValidationFailed(f"Unknown period {size!r}; use day, week or month.")
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        value = column if is_date else func.timezone(literal_column("'UTC'"), column)
        return func.date_trunc(literal_column(f"'{size}'"), value)
    if size == "day":
        return func.date(column)
    if size == "week":
        return func.date(column, literal_column("'weekday 0'"), literal_column("'-6 days'"))
    return func.date(column, literal_column("'start of month'"))


def in_scope(column, actor: Actor):
    """`column IN (the viewer's locations)`, or True when the viewer sees every location (as access.scope_*)."""
    if actor.location_ids is None:
        return column.is_not(None)
    return column.in_(sorted(actor.location_ids))
