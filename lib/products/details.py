"""The numbers of the Product Details page: KPIs, the 30-day change and the weight trend.

Definitions (also in docs/product-details.md and the page's help texts):

- An item *counts* when it is in the viewer's scope, belongs to the product,
  matches the kind switch and the filters, and is held stock
  (`models.IN_STOCK`: not archived, quantity > 0 or weight > 0).
- *Total weight* is the sum of the counted items' weights converted to the
  workspace default unit (SQL sums the gram column; conversion happens once,
  at the end). *Average* = total / count, None ("—") when count is 0.
- *Added* and *deducted* come from the ledger (`stock_movements`). Per bucket,
  added = sum of positive weight deltas, deducted = sum of the magnitudes of
  negative deltas, of movements at locations in the viewer's scope that match
  the product, kind switch and filters (filters use the classification each
  movement carries, so no join back to items is needed). A transfer is a
  deduction at the sending location and an addition at the receiving one: a
  viewer who sees both locations sees both in the same bucket, so it nets to
  zero; a viewer who sees one side sees only that side.
- *30-day change* = added - deducted over the 30 calendar days (UTC) ending
  today, i.e. exactly the sum of the 30-day chart's net bars. Its percentage
  is relative to the weight held 30 days ago, taken as total - change; None
  ("—") when that is 0.
- Buckets: daily for the 30- and 90-day ranges (30 / 90 days ending today),
  weekly (weeks start on Monday) for 12 months (the 52 weeks ending with the
  current week). SQL groups by bucket; empty buckets are filled here.
- Days are UTC calendar days, and every window (the 30-day change, each
  chart's range) is a whole number of them, so day-level sums answer exactly.

Two paths, the same numbers (tests compare them on random ledgers): the
*default view* (no attribute, search, status or created-date filter: only the
product, the kind switch and locations, which are columns of the summaries'
keys) reads the ledger-kept summaries, `stock_held` for the KPIs and
`stock_daily` for the 30-day change and the chart (a few hundred rows instead of
tens of thousands of movements); any other filter reads the items and the
movements themselves, as before.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Select, String, bindparam, case, func, literal, literal_column, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from lib import db, ledger
from lib.access import Actor
from lib.classification import ATTRIBUTES
from lib.inventory.query import ItemFilters, Totals, movements_statement, start_of_day, totals
from lib.models import StockDaily, StockHeld, StockMovement
from lib.units import WEIGHT_QUANTUM, from_grams, grams_converter
from lib.workspace.settings import default_weight_unit

RANGES: dict[str, tuple[str, int, str]] = {  # key -> (bucket, number of buckets, label)
    "30d": ("day", 30, "30 days"),
    "90d": ("day", 90, "90 days"),
    "12m": ("week", 52, "12 months"),
}
CHANGE_DAYS = 30
PERCENT_QUANTUM = Decimal("0.1")


# Every ledger read of this page is about one product over a time range, which
# ix_moves_product_time answers (it also carries kind, location and the gram
# delta). SQLite's planner may otherwise pick ix_moves_location_time whenever a
# location condition is present (members, managers, the location filter) and
# then read every movement of the location, all products, from the table: 4x
# slower on the large demo.
PRODUCT_TIME_INDEX = db.sqlite_index("stock_movements", "ix_moves_product_time")


def product_filters(product_id: int, filters: ItemFilters) -> ItemFilters:
    """`filters` narrowed to one product (whatever product filter it carried)."""
    return filters.with_(product_ids=(int(product_id),))


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def _grams(value) -> Decimal:
    """A database sum as Decimal. PostgreSQL's sums are Decimal already; SQLite sums NUMERIC as floats, read
    to the grams columns' 10 places, as SQLAlchemy reads a typed GRAMS column (so a float's last-bit noise
    never reaches a rounding)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(f"{value:.10f}")
    return Decimal(value)


# ---------------------------------------------------------------------------
# The default view: the ledger-kept summaries
# ---------------------------------------------------------------------------

def uses_summaries(filters: ItemFilters) -> bool:
    """True for the default view: only product, kind and location filters (the summaries' key columns)."""
    return not filters.touches_item_only_fields and not any(getattr(filters, a.filter_field) for a in ATTRIBUTES)


_NARROWING = (("products", "product_id"), ("kinds", "kind"), ("locations", "location_id"), ("scope", "location_id"))


def _narrowing(actor: Actor, filters: ItemFilters) -> dict[str, list]:
    """The summaries' key lists a view narrows to (absent: any): the product, kinds and location filters and
    the actor's own locations."""
    lists = {"products": sorted(filters.product_ids), "kinds": list(filters.kinds),
             "locations": sorted(filters.location_ids)}
    narrowed = {name: values for name, values in lists.items() if values}
    if actor.location_ids is not None:  # a scoped actor, even one who sees no location (an empty IN: no rows)
        narrowed["scope"] = sorted(actor.location_ids)
    return narrowed


@functools.cache
def _summary_select(read: str, narrowed: frozenset[str]) -> Select:
    """The statement for one summary `read` ("held" totals or "daily" sums per day) narrowed by the key lists
    in `narrowed`, values left as bind parameters. Built once per shape: SQLAlchemy then reuses its compiled
    form without rebuilding it, which on this page costs more than the database's part of the read."""
    model = StockHeld if read == "held" else StockDaily
    if read == "held":
        stmt = select(func.coalesce(func.sum(model.items), 0), func.coalesce(func.sum(model.pieces), 0),
                      func.coalesce(func.sum(model.weight_g), 0))
    else:
        # Untyped result columns: `_daily_flow` reads the raw values once (date or ISO text, Decimal or float);
        # SQLAlchemy's own date and decimal processing of up to 366 rows cost more than the read
        stmt = (select(*(type_coerce(column, NullType()) for column in (
                    model.day, func.coalesce(func.sum(model.added_g), 0), func.coalesce(func.sum(model.deducted_g), 0))))
                .where(model.day >= bindparam("first"), model.day <= bindparam("last")).group_by(model.day))
    for name, column in _NARROWING:
        if name in narrowed:
            stmt = stmt.where(getattr(model, column).in_(bindparam(name, expanding=True)))
    return stmt


def _summary_rows(session: Session, actor: Actor, filters: ItemFilters, read: str, **bounds):
    """Run one summary read for the view, after writing this session's own pending summary changes."""
    ledger.write_summaries(session)
    lists = _narrowing(actor, filters)
    return db.read(session, _summary_select(read, frozenset(lists)), {**lists, **bounds})


def _held_totals(session: Session, actor: Actor, filters: ItemFilters) -> Totals:
    """`query.totals` of the held items, from stock_held."""
    count, pieces, grams = _summary_rows(session, actor, filters, "held").one()
    return Totals(int(count), int(pieces), _grams(grams))


def _daily_flow(session: Session, actor: Actor, filters: ItemFilters, first: date,
                last: date) -> dict[date, tuple[Decimal, Decimal]]:
    """Added and deducted grams per day from stock_daily over the days `first`..`last` (inclusive)."""
    rows = _summary_rows(session, actor, filters, "daily", first=first, last=last).all()
    return {_as_date(day): (_grams(added), _grams(deducted)) for day, added, deducted in rows}


def _flow_of(days: dict[date, tuple[Decimal, Decimal]], first: date, last: date) -> Flow:
    """The flow of the days `first`..`last` among per-day sums."""
    inside = [pair for day, pair in days.items() if first <= day <= last]
    return Flow(sum((added for added, _ in inside), Decimal(0)), sum((deducted for _, deducted in inside), Decimal(0)))


def _held(session: Session, actor: Actor, filters: ItemFilters) -> Totals:
    """Held items, pieces and grams of the view (filters already narrowed to the product)."""
    if uses_summaries(filters):
        return _held_totals(session, actor, filters)
    return totals(session, actor=actor, filters=filters.with_(in_stock_only=True))


# ---------------------------------------------------------------------------
# The 30-day change and the KPIs
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Flow:
    """Weight added and deducted in a period, in grams."""

    added_g: Decimal
    deducted_g: Decimal

    @property
    def net_g(self) -> Decimal:
        return self.added_g - self.deducted_g


def _flow_columns():
    delta = StockMovement.weight_delta_g
    return (func.coalesce(func.sum(case((delta > 0, delta), else_=0)), 0),
            func.coalesce(func.sum(case((delta < 0, -delta), else_=0)), 0))


def flow(session: Session, *, actor: Actor, product_id: int, filters: ItemFilters, today: date | None = None,
         days: int = CHANGE_DAYS) -> Flow:
    """Added and deducted grams over the `days` calendar days (UTC) ending `today` (one aggregate, no join)."""
    today = today or today_utc()
    if uses_summaries(filters):
        first = today - timedelta(days=days - 1)
        return _flow_of(_daily_flow(session, actor, product_filters(product_id, filters), first, today), first, today)
    stmt = (movements_statement(actor, product_filters(product_id, filters), *_flow_columns())
            .where(StockMovement.moved_at >= start_of_day(today - timedelta(days=days - 1)),
                   StockMovement.moved_at < start_of_day(today + timedelta(days=1))))
    added, deducted = session.execute(stmt.execution_options(**PRODUCT_TIME_INDEX)).one()
    return Flow(_grams(added), _grams(deducted))


@dataclass(frozen=True)
class Change:
    """A weight change over a window (30 days for the KPI) in the default unit."""

    unit: str
    added: Decimal
    deducted: Decimal
    net: Decimal
    held_before: Decimal  # total - net: the weight held when the window began
    percent: Decimal | None  # net / held_before * 100, None when held_before is 0


def thirty_day_change(session: Session, *, actor: Actor, product_id: int, filters: ItemFilters,
                      today: date | None = None, unit: str | None = None, total_g: Decimal | None = None) -> Change:
    """The 30-day change and its percentage of the weight held 30 days ago."""
    unit = unit or default_weight_unit(session)
    if total_g is None:
        total_g = _held(session, actor, product_filters(product_id, filters)).grams
    window = flow(session, actor=actor, product_id=product_id, filters=filters, today=today)
    return change_from_flow(unit, window, _grams(total_g))


def change_from_flow(unit: str, flow: Flow, total_g: Decimal) -> Change:
    """The change a window's flow made to a total now held of `total_g` grams, with its percentage of the
    weight held when the window began (None when that was 0 in the shown unit)."""
    held_before_g = total_g - flow.net_g
    held_before = from_grams(held_before_g, unit)
    net = from_grams(flow.net_g, unit)
    percent = None
    if held_before != 0:  # decided in the shown unit, so float dust from SQLite never divides
        percent = (flow.net_g / held_before_g * 100).quantize(PERCENT_QUANTUM)
    return Change(unit, from_grams(flow.added_g, unit), from_grams(flow.deducted_g, unit), net, held_before, percent)


@dataclass(frozen=True)
class Kpis:
    unit: str
    items: int
    pieces: int
    total: Decimal
    average: Decimal | None  # None: no items ("—")
    change: Change


def kpis(session: Session, *, actor: Actor, product_id: int, filters: ItemFilters,
         today: date | None = None, unit: str | None = None) -> Kpis:
    """Item count, total and average weight, and the 30-day change: two aggregate queries."""
    unit = unit or default_weight_unit(session)
    held = _held(session, actor, product_filters(product_id, filters))
    return _kpis_of(held, unit, flow(session, actor=actor, product_id=product_id, filters=filters, today=today))


def _kpis_of(held: Totals, unit: str, window: Flow) -> Kpis:
    """The KPIs of held totals and the 30-day window's flow."""
    grams = _grams(held.grams)
    average = from_grams(grams / held.items, unit) if held.items else None
    return Kpis(unit, held.items, held.pieces, from_grams(grams, unit), average,
                change_from_flow(unit, window, grams))


# ---------------------------------------------------------------------------
# The weight trend
# ---------------------------------------------------------------------------

class Bucket(NamedTuple):
    """One bar of the weight trend (a named tuple: a chart builds hundreds, and a frozen dataclass's
    construction cost twice as much)."""

    bucket: date  # first day of the bucket
    added: Decimal
    deducted: Decimal

    @property
    def net(self) -> Decimal:
        return self.added - self.deducted


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def window(range_key: str, today: date) -> tuple[str, list[date]]:
    """(bucket size, first day of every bucket) for a range ending `today`."""
    if range_key not in RANGES:
        raise ValueError(f"Unknown range {range_key!r}; use one of {', '.join(RANGES)}")
    size, count, _label = RANGES[range_key]
    if size == "day":
        return size, [today - timedelta(days=count - 1 - i) for i in range(count)]
    last = monday(today)
    return size, [last - timedelta(weeks=count - 1 - i) for i in range(count)]


def bucket_expression(dialect_name: str, column, size: str):
    """SQL for the first day of the day/week (Monday) a UTC timestamp falls in."""
    if size not in ("day", "week"):
        raise ValueError(f"Unknown bucket size {size!r}")
    if dialect_name == "postgresql":
        return func.date_trunc(literal_column(f"'{size}'"), func.timezone(literal_column("'UTC'"), column))
    if dialect_name == "sqlite":  # timestamps are stored as UTC text 'YYYY-MM-DD HH:MM:SS...'
        if size == "day":
            return func.date(column)
        return func.date(column, literal_column("'weekday 0'"), literal_column("'-6 days'"))
    raise NotImplementedError(f"No date buckets for the {dialect_name} dialect")


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def weight_series(session: Session, *, actor: Actor, product_id: int, filters: ItemFilters, range_key: str = "30d",
                  today: date | None = None, unit: str | None = None) -> list[Bucket]:
    """Added and deducted weight per bucket in the default unit, every bucket present (zeros filled).

    The movement rows carry product, time, kind and location, so the covering
    index ix_moves_product_time answers the aggregate without touching items.
    PostgreSQL groups by `date_trunc` (a hash aggregate). On SQLite a GROUP BY
    on a date expression sorts every movement in a temporary B-tree (about 3x
    the cost of the scan itself on 90 days of the largest demo product), so
    there each bucket is its own index range scan, all in one statement; the
    same holds for a search filter, which goes through an item subquery and
    is better evaluated once, by the grouped form.
    """
    today = today or today_utc()
    unit = unit or default_weight_unit(session)
    size, starts = window(range_key, today)
    filters = product_filters(product_id, filters)
    dialect = session.get_bind().dialect.name
    if uses_summaries(filters):
        found = _summed_days(_daily_flow(session, actor, filters, starts[0], today), starts, size)
    elif dialect == "sqlite" and not filters.touches_item_only_fields:
        found = _range_scans(session, actor, filters, starts, size, today)
    else:
        found = _grouped(session, actor, filters, starts, today, size, dialect)
    return _buckets(found, starts, unit)


def _buckets(found: dict[date, tuple[Decimal, Decimal]], starts: list[date], unit: str) -> list[Bucket]:
    """Every bucket of the range in `unit`, zeros where nothing moved."""
    zero = Decimal(0).quantize(WEIGHT_QUANTUM)
    shown = grams_converter(unit)
    series = []
    for start in starts:
        added, deducted = found.get(start, (None, None))
        series.append(Bucket(start, shown(added) if added is not None else zero,
                             shown(deducted) if deducted is not None else zero))
    return series


def _summed_days(days: dict[date, tuple[Decimal, Decimal]], starts: list[date],
                 size: str) -> dict[date, tuple[Decimal, Decimal]]:
    """The default view: per-day sums from stock_daily added into their buckets (days before the first
    bucket, read for the 30-day change, are left out)."""
    if size == "day":
        return {day: flow for day, flow in days.items() if day >= starts[0]}
    found: dict[date, tuple[Decimal, Decimal]] = {}
    for day, (added, deducted) in days.items():
        if day < starts[0]:
            continue
        start = monday(day) if size == "week" else day
        before = found.get(start, (Decimal(0), Decimal(0)))
        found[start] = (before[0] + added, before[1] + deducted)
    return found


def _grouped(session: Session, actor: Actor, filters: ItemFilters, starts: list[date], today: date, size: str,
             dialect: str) -> dict[date, tuple[Decimal, Decimal]]:
    """One GROUP BY over the movements in range, bucketed by a dialect-aware date expression."""
    bucket = bucket_expression(dialect, StockMovement.moved_at, size).label("bucket")
    stmt = (movements_statement(actor, filters, bucket, *_flow_columns())
            .where(StockMovement.moved_at >= start_of_day(starts[0]),
                   StockMovement.moved_at < start_of_day(today + timedelta(days=1)))
            .group_by(bucket).execution_options(**PRODUCT_TIME_INDEX))
    return {_as_date(day): (_grams(added), _grams(deducted)) for day, added, deducted in session.execute(stmt)}


def _range_scans(session: Session, actor: Actor, filters: ItemFilters, starts: list[date], size: str,
                 today: date) -> dict[date, tuple[Decimal, Decimal]]:
    """SQLite: a recursive CTE lists the buckets' first days; for each, one correlated scalar
    subquery scans its own index range (no sort) and returns json_array(added, deducted).

    The statement has one shape whatever the range, so SQLAlchemy compiles it once.
    """
    delta = StockMovement.weight_delta_g
    step = literal_column("'+7 days'" if size == "week" else "'+1 day'")
    end = literal((today + timedelta(days=1)).isoformat(), String())
    first = select(literal(starts[0].isoformat(), String()).label("low")).cte("buckets", recursive=True)
    buckets = first.union_all(select(func.date(first.c.low, step)).where(func.date(first.c.low, step) < end))
    high = func.min(func.date(buckets.c.low, step), end)
    pair = (movements_statement(actor, filters, func.json_array(func.total(case((delta > 0, delta))),
                                                                  func.total(case((delta < 0, -delta)))))
            .where(StockMovement.moved_at >= buckets.c.low, StockMovement.moved_at < high)
            .scalar_subquery())
    found = {}
    for low, encoded in session.execute(select(buckets.c.low, pair).execution_options(**PRODUCT_TIME_INDEX)):
        added, deducted = json.loads(encoded)
        if added or deducted:
            found[date.fromisoformat(low)] = (_grams(added), _grams(deducted))
    return found


class Overview(NamedTuple):
    """A view's KPIs and weight trend."""

    kpis: Kpis
    series: list[Bucket]


def overview(session: Session, *, actor: Actor, product_id: int, filters: ItemFilters, range_key: str = "30d",
             today: date | None = None, unit: str | None = None) -> Overview:
    """`kpis` and `weight_series` of one view, equal to calling both.

    The default view reads stock_daily once for both: the 30-day change is the sum of the last 30 days'
    per-day rows, which the chart's range (30 days or more) already reads, so one read over the longer of
    the two windows answers both. Other views call the two functions.
    """
    today = today or today_utc()
    unit = unit or default_weight_unit(session)
    view = product_filters(product_id, filters)
    if not uses_summaries(view):
        return Overview(kpis(session, actor=actor, product_id=product_id, filters=filters, today=today, unit=unit),
                        weight_series(session, actor=actor, product_id=product_id, filters=filters,
                                      range_key=range_key, today=today, unit=unit))
    size, starts = window(range_key, today)
    change_from = today - timedelta(days=CHANGE_DAYS - 1)
    held = _held_totals(session, actor, view)
    days = _daily_flow(session, actor, view, min(starts[0], change_from), today)
    return Overview(_kpis_of(held, unit, _flow_of(days, change_from, today)),
                    _buckets(_summed_days(days, starts, size), starts, unit))


def series_is_empty(series: list[Bucket]) -> bool:
    return all(b.added == 0 and b.deducted == 0 for b in series)


# ---------------------------------------------------------------------------
# The related inventory table
# ---------------------------------------------------------------------------

def table_filters(product_id: int, filters: ItemFilters, held_only: bool = True) -> ItemFilters:
    """What the table, its export and the inventory link show: by default exactly the counted items.

    The table itself is `lib.inventory.query.page_rows` with these filters: the
    very rows, order and scope the Inventory page shows for the same filters.
    """
    return product_filters(product_id, filters).with_(in_stock_only=held_only)
