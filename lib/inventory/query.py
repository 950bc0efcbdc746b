"""Filtered, scoped queries over inventory items, shared by every list, KPI and export.

`ItemFilters` holds plain values (hashable, so cached readers can key on it).
`items_statement` is the one place a filtered item query is built: it always
applies the actor's scope. `movement_statement_filters` applies the same
filters to ledger rows, using the classification each movement carries.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Iterator

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from lib.access import Actor, scope_items, scope_movements
from lib.models import (
    IN_STOCK,
    CatalogEntry,
    Image,
    InventoryItem,
    InventoryKind,
    ItemStatus,
    Location,
    Product,
    StockMovement,
)

_ID_FILTERS = ("product_ids", "finished_type_ids", "ms_type_ids", "shape_ids", "size_ids", "colour_ids",
               "quality_ids", "location_ids")
_ID_COLUMNS = {"product_ids": "product_id", "finished_type_ids": "finished_type_id", "ms_type_ids": "ms_type_id",
               "shape_ids": "shape_id", "size_ids": "size_id", "colour_ids": "colour_id",
               "quality_ids": "quality_id", "location_ids": "location_id"}


@dataclass(frozen=True)
class ItemFilters:
    """What the user asked to see. Empty tuples mean "any"."""

    search: str = ""  # matches tag ID, product name or notes (case-insensitive)
    product_ids: tuple[int, ...] = ()
    kinds: tuple[InventoryKind, ...] = ()
    finished_type_ids: tuple[int, ...] = ()
    ms_type_ids: tuple[int, ...] = ()
    shape_ids: tuple[int, ...] = ()
    size_ids: tuple[int, ...] = ()
    colour_ids: tuple[int, ...] = ()
    quality_ids: tuple[int, ...] = ()
    location_ids: tuple[int, ...] = ()
    statuses: tuple[ItemStatus, ...] = ()
    created_from: date | None = None
    created_to: date | None = None  # inclusive
    in_stock_only: bool = False  # only items that count as held stock (models.IN_STOCK)

    def with_(self, **changes) -> "ItemFilters":
        return replace(self, **changes)

    @property
    def touches_item_only_fields(self) -> bool:
        """True when a filter needs item columns that movements do not carry."""
        return bool(self.search or self.statuses or self.created_from or self.created_to)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _classification_conditions(model, filters: ItemFilters) -> list:
    """Product, kind, type, shape, size, colour, quality and location conditions on
    `model` (items and movements name these columns alike)."""
    conditions = [getattr(model, _ID_COLUMNS[name]).in_(sorted(getattr(filters, name)))
                  for name in _ID_FILTERS if getattr(filters, name)]
    if filters.kinds:
        conditions.append(model.kind.in_(filters.kinds))
    return conditions


def apply_item_filters(stmt: Select, filters: ItemFilters) -> Select:
    """Add the WHERE clauses of `filters` to a statement over inventory_items."""
    conditions = _classification_conditions(InventoryItem, filters)
    if filters.statuses:
        conditions.append(InventoryItem.status.in_(filters.statuses))
    if filters.created_from:
        conditions.append(InventoryItem.created_at >= _start_of(filters.created_from))
    if filters.created_to:
        conditions.append(InventoryItem.created_at < _start_of(filters.created_to + timedelta(days=1)))
    if filters.in_stock_only:
        conditions.append(IN_STOCK)
    search = filters.search.strip()
    if search:
        pattern = _like(search)
        product_match = select(Product.id).where(func.lower(Product.name).like(pattern, escape="\\"))
        conditions.append(or_(func.lower(InventoryItem.tag_id).like(pattern, escape="\\"),
                              func.lower(InventoryItem.notes).like(pattern, escape="\\"),
                              InventoryItem.product_id.in_(product_match)))
    return stmt.where(and_(*conditions)) if conditions else stmt


def apply_movement_filters(stmt: Select, filters: ItemFilters) -> Select:
    """Add `filters` to a statement over stock_movements.

    Classification filters use the movement's own columns (no join). Search,
    status and created-date filters need the item, so they add an IN subquery.
    """
    conditions = _classification_conditions(StockMovement, filters)
    if filters.touches_item_only_fields:
        item_only = ItemFilters(search=filters.search, statuses=filters.statuses,
                                created_from=filters.created_from, created_to=filters.created_to)
        conditions.append(StockMovement.item_id.in_(apply_item_filters(select(InventoryItem.id), item_only)))
    return stmt.where(and_(*conditions)) if conditions else stmt


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def items_statement(actor: Actor, filters: ItemFilters, *columns) -> Select:
    """SELECT `columns` FROM inventory_items, scoped to the actor and filtered."""
    return apply_item_filters(scope_items(select(*columns).select_from(InventoryItem), actor), filters)


def movements_statement(actor: Actor, filters: ItemFilters, *columns) -> Select:
    """SELECT `columns` FROM stock_movements, scoped to the actor and filtered."""
    return apply_movement_filters(scope_movements(select(*columns).select_from(StockMovement), actor), filters)


@dataclass(frozen=True)
class Totals:
    items: int
    pieces: int
    grams: Decimal


def totals(session: Session, *, actor: Actor, filters: ItemFilters) -> Totals:
    """Count, pieces and grams of the filtered items in scope (one aggregate query)."""
    stmt = items_statement(actor, filters, func.count(InventoryItem.id),
                           func.coalesce(func.sum(InventoryItem.quantity), 0),
                           func.coalesce(func.sum(InventoryItem.weight_g), 0))
    count, pieces, grams = session.execute(stmt).one()
    return Totals(int(count), int(pieces), Decimal(str(grams)))


# Columns users may sort by: name -> SQL expression (built per query with aliases).
SORTABLE = ("tag_id", "product", "kind", "shape", "size", "colour", "quality", "quantity", "weight",
            "location", "status", "created_at")


@dataclass(frozen=True)
class Page:
    number: int = 1  # 1-based
    size: int = 50
    sort: str = "created_at"
    descending: bool = True


def item_rows_statement(actor: Actor, filters: ItemFilters, sort: str = "created_at", descending: bool = True,
                        with_thumbnail: bool = False) -> Select:
    """The filtered items with every display column joined, sorted, id as tie-breaker."""
    if sort not in SORTABLE:
        raise ValueError(f"Cannot sort by {sort!r}")
    names = {key: aliased(CatalogEntry) for key in ("finished", "ms", "shape", "size", "colour", "quality")}
    columns = [
        InventoryItem.id, InventoryItem.tag_id, Product.name.label("product"), InventoryItem.product_id,
        InventoryItem.kind, names["finished"].name.label("finished_type"), names["ms"].name.label("ms_type"),
        names["shape"].name.label("shape"), names["size"].name.label("size"), names["colour"].name.label("colour"),
        names["quality"].name.label("quality"), InventoryItem.quantity, InventoryItem.weight,
        InventoryItem.weight_unit, InventoryItem.weight_g, Location.name.label("location"), InventoryItem.location_id,
        InventoryItem.status, InventoryItem.created_at, InventoryItem.notes, InventoryItem.image_id,
    ]
    if with_thumbnail:
        columns.append(Image.thumbnail)
    stmt = (items_statement(actor, filters, *columns)
            .join(Product, Product.id == InventoryItem.product_id)
            .join(Location, Location.id == InventoryItem.location_id)
            .outerjoin(names["finished"], names["finished"].id == InventoryItem.finished_type_id)
            .outerjoin(names["ms"], names["ms"].id == InventoryItem.ms_type_id)
            .outerjoin(names["shape"], names["shape"].id == InventoryItem.shape_id)
            .outerjoin(names["size"], names["size"].id == InventoryItem.size_id)
            .outerjoin(names["colour"], names["colour"].id == InventoryItem.colour_id)
            .outerjoin(names["quality"], names["quality"].id == InventoryItem.quality_id))
    if with_thumbnail:
        stmt = stmt.outerjoin(Image, Image.id == InventoryItem.image_id)
    sort_expr = {
        "tag_id": InventoryItem.tag_id, "product": Product.name, "kind": InventoryItem.kind,
        "shape": names["shape"].name, "size": names["size"].name, "colour": names["colour"].name,
        "quality": names["quality"].name, "quantity": InventoryItem.quantity, "weight": InventoryItem.weight_g,
        "location": Location.name, "status": InventoryItem.status, "created_at": InventoryItem.created_at,
    }[sort]
    order = [sort_expr.desc(), InventoryItem.id.desc()] if descending else [sort_expr.asc(), InventoryItem.id.asc()]
    return stmt.order_by(*order)


def item_page(session: Session, *, actor: Actor, filters: ItemFilters, page: Page,
              with_thumbnail: bool = True) -> list[dict]:
    """One page of item rows as dicts (the database sorts, limits and offsets)."""
    stmt = item_rows_statement(actor, filters, page.sort, page.descending, with_thumbnail)
    stmt = stmt.limit(page.size).offset((max(page.number, 1) - 1) * page.size)
    return [dict(row._mapping) for row in session.execute(stmt)]


def iter_item_rows(session: Session, *, actor: Actor, filters: ItemFilters, sort: str = "tag_id",
                   descending: bool = False, chunk_size: int = 2000) -> Iterator[dict]:
    """Every filtered item row, fetched from a server-side cursor in chunks (for exports)."""
    stmt = item_rows_statement(actor, filters, sort, descending).execution_options(yield_per=chunk_size)
    for partition in session.execute(stmt).partitions(chunk_size):
        for row in partition:
            yield dict(row._mapping)


def filter_field_names() -> tuple[str, ...]:
    """Names of ItemFilters fields, e.g. for url query round-trips."""
    return tuple(f.name for f in fields(ItemFilters))
