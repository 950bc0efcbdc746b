"""The one item query: filters, scope, sort, paging and totals for every list, KPI and export.

`ItemFilters` holds plain values (hashable, so cached readers can key on it).
`items_statement` is the one place a filtered item query is built: it always
applies the actor's scope (`lib.access`). `movements_statement` applies the
same filters to ledger rows, using the classification each movement carries.

`page_rows` is the one "page of rows" (the Inventory list, the Product
Details table) and `iter_rows` the one full, sorted stream (exports): both
return the same display columns in the same order for the same filters and
sort, so a page, its export and its link never disagree.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Iterator

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from lib import db
from lib.access import Actor, scope_items, scope_movements
from lib.classification import ATTRIBUTES, BY_KEY
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
from lib.text import contains_pattern


@dataclass(frozen=True)
class ItemFilters:
    """What the user asked to see. Empty tuples mean "any".

    The `<attribute>_ids` fields are the catalog attributes of `lib.classification`
    (their `filter_field`); a test checks the two agree.
    """

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


ID_FILTERS: dict[str, str] = {
    "product_ids": "product_id",
    **{attribute.filter_field: attribute.field for attribute in ATTRIBUTES},
    "location_ids": "location_id",
}
"""ItemFilters id-tuple field -> the item (and movement) column it restricts."""


def start_of_day(day: date) -> datetime:
    """Midnight UTC at the start of `day` (all stored times are UTC)."""
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _classification_conditions(model, filters: ItemFilters) -> list:
    """Product, kind, catalog attribute and location conditions on `model` (items and movements name
    these columns alike)."""
    conditions = [getattr(model, column).in_(sorted(getattr(filters, name)))
                  for name, column in ID_FILTERS.items() if getattr(filters, name)]
    if filters.kinds:
        conditions.append(model.kind.in_(filters.kinds))
    return conditions


def apply_item_filters(stmt: Select, filters: ItemFilters) -> Select:
    """Add the WHERE clauses of `filters` to a statement over inventory_items."""
    conditions = _classification_conditions(InventoryItem, filters)
    if filters.statuses:
        conditions.append(InventoryItem.status.in_(filters.statuses))
    if filters.created_from:
        conditions.append(InventoryItem.created_at >= start_of_day(filters.created_from))
    if filters.created_to:
        conditions.append(InventoryItem.created_at < start_of_day(filters.created_to + timedelta(days=1)))
    if filters.in_stock_only:
        conditions.append(IN_STOCK)
    pattern = contains_pattern(filters.search)
    if pattern:
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


# ---------------------------------------------------------------------------
# Rows: display columns, sorting, one page, the whole stream
# ---------------------------------------------------------------------------

# Built once: aliases are immutable SQL constructs, and re-creating them per query costs ~20 ms.
_NAMES = {attribute.key: aliased(CatalogEntry, name=f"{attribute.key}_name") for attribute in ATTRIBUTES}


def _display_select(page_ids=None, with_thumbnail: bool = False) -> Select:
    """The display rows of every item, or of the ids in the subquery `page_ids` (read first, then each item by
    its key: the subquery is the first FROM, so PostgreSQL, which keeps the written join order past eight
    joins, does not join every item before narrowing)."""
    columns = [InventoryItem.id, InventoryItem.tag_id, Product.name.label("product"), InventoryItem.product_id,
               InventoryItem.kind,
               *(_NAMES[attribute.key].name.label(attribute.key) for attribute in ATTRIBUTES),
               *(getattr(InventoryItem, attribute.field) for attribute in ATTRIBUTES),
               InventoryItem.quantity, InventoryItem.weight, InventoryItem.weight_unit, InventoryItem.weight_g,
               Location.name.label("location"), InventoryItem.location_id, InventoryItem.status,
               InventoryItem.created_at, InventoryItem.notes, InventoryItem.image_id]
    if with_thumbnail:
        columns.append(Image.thumbnail)
    if page_ids is None:
        stmt = select(*columns).select_from(InventoryItem)
    else:
        stmt = select(*columns).select_from(page_ids).join(InventoryItem, InventoryItem.id == page_ids.c.id)
    stmt = (stmt.join(Product, Product.id == InventoryItem.product_id)
            .join(Location, Location.id == InventoryItem.location_id))
    for attribute in ATTRIBUTES:
        alias = _NAMES[attribute.key]
        stmt = stmt.outerjoin(alias, alias.id == getattr(InventoryItem, attribute.field))
    if with_thumbnail:
        stmt = stmt.outerjoin(Image, Image.id == InventoryItem.image_id)
    return stmt


_DISPLAY = _display_select()
"""Every display column: the item's own, product, location and attribute names (keys as in
`lib.classification`, e.g. row["shape"] is the shape's name)."""

_NEWEST_ITEM_ID = select(func.max(InventoryItem.id))

SORTABLE: tuple[str, ...] = ("tag_id", "product", "kind", *(attribute.key for attribute in ATTRIBUTES),
                             "quantity", "weight", "location", "status", "created_at")
"""Columns users may sort by."""


@dataclass(frozen=True)
class Page:
    number: int = 1  # 1-based
    size: int = 50
    sort: str = "created_at"
    descending: bool = True

    @property
    def offset(self) -> int:
        return (max(self.number, 1) - 1) * self.size


def _sort_expression(sort: str):
    """The SQL expression for a sort key (its table or alias is joined by `_join_for_sort`)."""
    if sort not in SORTABLE:
        raise ValueError(f"Cannot sort by {sort!r}")
    if sort in _NAMES:
        return _NAMES[sort].name
    return {"tag_id": InventoryItem.tag_id, "product": Product.name, "kind": InventoryItem.kind,
            "quantity": InventoryItem.quantity, "weight": InventoryItem.weight_g, "location": Location.name,
            "status": InventoryItem.status, "created_at": InventoryItem.created_at}[sort]


def _join_for_sort(stmt: Select, sort: str) -> Select:
    """Join only the one table a name sort needs (the ids query stays on inventory_items otherwise)."""
    if sort == "product":
        return stmt.join(Product, Product.id == InventoryItem.product_id)
    if sort == "location":
        return stmt.join(Location, Location.id == InventoryItem.location_id)
    if sort in _NAMES:
        alias = _NAMES[sort]
        return stmt.outerjoin(alias, alias.id == getattr(InventoryItem, BY_KEY[sort].field))
    return stmt


def _order(sort: str, descending: bool) -> list:
    expression = _sort_expression(sort)
    if descending:
        return [expression.desc(), InventoryItem.id.desc()]
    return [expression.asc(), InventoryItem.id.asc()]


def _walks_newest_first(session: Session, filters: ItemFilters, page: Page, expected_rows: int | None) -> bool:
    """SQLite only: walk ix_items_created newest-first instead of reading the whole product.

    SQLite keeps no histogram (no STAT4), so for a product filter it always
    reads every record of the product through ix_items_product_kind_location
    and sorts them, even when the product owns a sixth of the workshop's
    records and walking ix_items_created would meet a page of them almost at
    once (0.2 ms instead of ~50 ms on the largest demo product). Walking wins
    when the expected number of records walked, (offset + size) x table rows /
    matching rows, is below the number of matching rows.
    """
    if not (page.sort == "created_at" and len(filters.product_ids) == 1 and expected_rows
            and session.get_bind().dialect.name == "sqlite"):
        return False
    table_rows = db.read(session, _NEWEST_ITEM_ID).scalar() or 0
    return (page.offset + page.size) * table_rows < expected_rows * expected_rows


def _page_ids(actor: Actor, filters: ItemFilters, page: Page, walk_newest_first: bool) -> Select:
    """Ids of one page, sorted and limited over inventory_items (at most one join, for a name sort).

    Sorting the fully joined display rows makes SQLite sort all 200,000 of them; sorting ids first lets it
    walk an index (created_at, or location + created_at) and stop after one page. When walking
    ix_items_created is cheaper (`_walks_newest_first`), the product condition is written as
    `product_id + 0 = :id`: the same condition, but it keeps SQLite off the product index.
    """
    if walk_newest_first:
        stmt = (items_statement(actor, filters.with_(product_ids=()), InventoryItem.id)
                .where((InventoryItem.product_id + 0) == filters.product_ids[0]))
    else:
        stmt = _join_for_sort(items_statement(actor, filters, InventoryItem.id), page.sort)
    return stmt.order_by(*_order(page.sort, page.descending)).limit(page.size).offset(page.offset)


@functools.lru_cache(maxsize=256)
def _page_select(actor: Actor, filters: ItemFilters, page: Page, walk_newest_first: bool,
                 with_thumbnail: bool) -> Select:
    """One page's display rows: the display columns of the ids `_page_ids` picks, in the page's order.

    Built once per view (actor, filters and page are frozen values): building it cost more than SQLite's
    part of reading a page at the large demo.
    """
    ids = _page_ids(actor, filters, page, walk_newest_first).subquery("page_ids")
    return _display_select(ids, with_thumbnail).order_by(*_order(page.sort, page.descending))


def page_rows(session: Session, *, actor: Actor, filters: ItemFilters, page: Page, with_thumbnail: bool = True,
              expected_rows: int | None = None) -> list[dict]:
    """One page of display rows in the actor's scope, filtered and sorted (id breaks ties), in one statement.

    `expected_rows`, the number of rows the filters match when the caller
    already counted them, lets SQLite choose the cheaper access path.
    """
    walk = _walks_newest_first(session, filters, page, expected_rows)
    result = db.read(session, _page_select(actor, filters, page, walk, with_thumbnail))
    names = tuple(result.keys())
    return [dict(zip(names, row)) for row in result.all()]


def iter_rows(session: Session, *, actor: Actor, filters: ItemFilters, sort: str = "tag_id",
              descending: bool = False, chunk_size: int = 2000) -> Iterator[dict]:
    """Every filtered row in scope, in the given sort, from a server-side cursor in chunks (for exports)."""
    stmt = (apply_item_filters(scope_items(_DISPLAY, actor), filters).order_by(*_order(sort, descending))
            .execution_options(yield_per=chunk_size))
    for partition in session.execute(stmt).partitions(chunk_size):
        for row in partition:
            yield dict(row._mapping)
