"""Inventory reports (reference 3.15, issue 18): stock summary, stock movement (totals and the full log), low stock.

They read the ledger-kept summaries (`StockHeld`, `StockDaily`, kept by lib.ledger in the same transaction as
every movement) instead of scanning items and movements; only the movement log reads `stock_movements`, a page
at a time. A viewer sees the locations they work with: a transfer between one of theirs and another location
shows only its own side (the other side is "another location", without who moved it, note or reference, as on
the item page). Stock summary and low stock are as of now (the date range does not apply to them).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Date, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from lib import ledger
from lib.access import Actor, Right, scope_movements
from lib.enums import InventoryKind, MovementKind
from lib.inventory.items import counterpart
from lib.models import (CatalogEntry, InventoryItem, Location, Product, ReorderLevel, StockDaily, StockHeld,
                        StockMovement, User, UtcDateTime)
from lib.reports.common import ReportFilters, check_location, grams, in_scope
from lib.reports.dates import DateRange

ALL_KINDS = "Any kind"
ALL_LOCATIONS = "All locations"
LOG_PAGE = 500


@dataclass(frozen=True)
class StockSummaryRow:
    product_id: int
    product: str
    category: str
    kind: InventoryKind
    location_id: int
    location: str
    items: int
    pieces: int
    weight_g: Decimal


@dataclass(frozen=True)
class MovementTotalRow:
    movement_kind: MovementKind
    kind: InventoryKind
    movements: int
    added_pieces: int
    deducted_pieces: int
    added_g: Decimal
    deducted_g: Decimal

    @property
    def net_g(self) -> Decimal:
        return self.added_g - self.deducted_g


@dataclass(frozen=True)
class MovementRow:
    movement_id: int
    at: datetime
    tag: str
    product: str
    kind: InventoryKind
    location: str
    movement_kind: MovementKind
    pieces_delta: int
    weight_delta_g: Decimal
    user: str
    counterpart: str
    reference: str
    note: str


@dataclass(frozen=True)
class LowStockRow:
    level_id: int
    product_id: int
    product: str
    kind: str
    location: str
    held_pieces: int
    held_weight_g: Decimal
    min_pieces: int | None
    min_weight_g: Decimal | None

    @property
    def short_weight_g(self) -> Decimal | None:
        if self.min_weight_g is None or self.held_weight_g >= self.min_weight_g:
            return None
        return self.min_weight_g - self.held_weight_g

    @property
    def short_pieces(self) -> int | None:
        if self.min_pieces is None or self.held_pieces >= self.min_pieces:
            return None
        return self.min_pieces - self.held_pieces


def _prepare(actor: Actor, filters: ReportFilters) -> None:
    actor.require(Right.VIEW_INVENTORY)
    check_location(actor, filters)


def _summaries(session: Session) -> None:
    """The summaries as this transaction sees them: its own pending stock changes written first (lib.ledger)."""
    ledger.write_summaries(session)


def _narrow(stmt, table, actor: Actor, filters: ReportFilters):
    """Scope a statement over a summary table (location, product, kind columns) to the viewer and filters."""
    stmt = stmt.where(in_scope(table.location_id, actor))
    if filters.location_id is not None:
        stmt = stmt.where(table.location_id == filters.location_id)
    if filters.product_id is not None:
        stmt = stmt.where(table.product_id == filters.product_id)
    if filters.kind is not None:
        stmt = stmt.where(table.kind == filters.kind)
    return stmt


def stock_summary(session: Session, *, actor: Actor, period: DateRange | None = None,
                  filters: ReportFilters = ReportFilters()) -> list[StockSummaryRow]:
    """Held items, pieces and grams by product (with its product type as category), kind and location, now."""
    _prepare(actor, filters)
    _summaries(session)
    stmt = _narrow(select(StockHeld.product_id, Product.name, CatalogEntry.name, StockHeld.kind,
                          StockHeld.location_id, Location.name, StockHeld.items, StockHeld.pieces,
                          StockHeld.weight_g)
                   .join(Product, Product.id == StockHeld.product_id)
                   .join(Location, Location.id == StockHeld.location_id)
                   .outerjoin(CatalogEntry, CatalogEntry.id == Product.product_type_id)
                   .where(StockHeld.items > 0), StockHeld, actor, filters)
    stmt = stmt.order_by(Product.name, StockHeld.kind, Location.name)
    return [StockSummaryRow(product_id=row[0], product=row[1], category=row[2] or "", kind=row[3],
                            location_id=row[4], location=row[5], items=row[6], pieces=row[7], weight_g=grams(row[8]))
            for row in session.execute(stmt)]


def stock_movement(session: Session, *, actor: Actor, period: DateRange,
                   filters: ReportFilters = ReportFilters()) -> list[MovementTotalRow]:
    """Totals of every change in the range by movement kind and inventory kind (from the daily roll-up)."""
    _prepare(actor, filters)
    _summaries(session)
    day = StockDaily.day
    if session.get_bind().dialect.name == "sqlite" and filters.product_id is None:
        # Every product: read ix_stock_daily_kinds in its order (a unary + keeps SQLite from taking the range
        # out of the primary key and sorting it for the GROUP BY).
        day = literal_column("+stock_daily.day", type_=Date())
    stmt = _narrow(select(StockDaily.movement_kind, StockDaily.kind, func.sum(StockDaily.movements),
                          func.sum(StockDaily.added_pieces), func.sum(StockDaily.deducted_pieces),
                          func.sum(StockDaily.added_g), func.sum(StockDaily.deducted_g))
                   .where(day >= period.start, day <= period.end), StockDaily, actor, filters)
    stmt = stmt.group_by(StockDaily.movement_kind, StockDaily.kind)
    rows = [MovementTotalRow(movement_kind=row[0], kind=row[1], movements=int(row[2] or 0),
                             added_pieces=int(row[3] or 0), deducted_pieces=int(row[4] or 0),
                             added_g=grams(row[5]), deducted_g=grams(row[6])) for row in session.execute(stmt)]
    order = list(MovementKind)
    return sorted(rows, key=lambda row: (order.index(row.movement_kind), list(InventoryKind).index(row.kind)))


def _log_ids(session: Session, actor: Actor, period: DateRange, filters: ReportFilters, limit: int | None,
             offset: int):
    """The ids of one page of the log, newest recorded first: a narrow query on stock_movements alone, so the
    database walks its primary key backwards and stops at the page instead of sorting the range."""
    low, high = period.bounds()
    moved_at = StockMovement.moved_at
    if session.get_bind().dialect.name == "sqlite" and filters.product_id is None:
        # A unary + keeps SQLite from sorting a year of a location's movements out of ix_moves_location_time:
        # it walks the key backwards and stops at the page. (One product: its own index range is small.)
        moved_at = literal_column("+stock_movements.moved_at", type_=UtcDateTime())
    stmt = scope_movements(select(StockMovement.id).where(moved_at >= low, moved_at < high), actor)
    if filters.location_id is not None:
        stmt = stmt.where(StockMovement.location_id == filters.location_id)
    if filters.product_id is not None:
        stmt = stmt.where(StockMovement.product_id == filters.product_id)
    if filters.kind is not None:
        stmt = stmt.where(StockMovement.kind == filters.kind)
    stmt = stmt.order_by(StockMovement.id.desc()).offset(offset)
    return (stmt.limit(limit) if limit is not None else stmt).subquery("page")


def movement_log(session: Session, *, actor: Actor, period: DateRange, filters: ReportFilters = ReportFilters(),
                 limit: int | None = LOG_PAGE, offset: int = 0) -> list[MovementRow]:
    """Every movement in the range at the viewer's locations, newest recorded first (`limit` rows from `offset`;
    limit None: all of them, for an export)."""
    _prepare(actor, filters)
    page = _log_ids(session, actor, period, filters, limit, offset)
    stmt = (select(StockMovement, InventoryItem.tag_id, Product.name, User.name)
            .join(page, page.c.id == StockMovement.id)
            .join(InventoryItem, InventoryItem.id == StockMovement.item_id)
            .join(Product, Product.id == StockMovement.product_id)
            .outerjoin(User, User.id == StockMovement.user_id)
            .order_by(StockMovement.id.desc()))
    names = dict(session.execute(select(Location.id, Location.name)).all())
    rows = []
    for movement, tag, product, user in session.execute(stmt):
        other_side, open_ = counterpart(actor, movement, names)
        rows.append(MovementRow(movement_id=movement.id, at=movement.moved_at, tag=tag, product=product,
                                kind=movement.kind, location=names.get(movement.location_id, "?"),
                                movement_kind=movement.movement_kind, pieces_delta=movement.quantity_delta,
                                weight_delta_g=grams(movement.weight_delta_g),
                                user=(user or "system") if open_ else "—", counterpart=other_side,
                                reference=movement.reference if open_ else "", note=movement.note if open_ else ""))
    return rows


def low_stock(session: Session, *, actor: Actor, period: DateRange | None = None,
              filters: ReportFilters = ReportFilters()) -> list[LowStockRow]:
    """Reorder levels whose held stock (at the viewer's locations; of the level's kind and location when it names
    them) is below the level's weight or pieces, now."""
    _prepare(actor, filters)
    _summaries(session)
    held = and_(StockHeld.product_id == ReorderLevel.product_id,
                or_(ReorderLevel.kind.is_(None), StockHeld.kind == ReorderLevel.kind),
                or_(ReorderLevel.location_id.is_(None), StockHeld.location_id == ReorderLevel.location_id),
                in_scope(StockHeld.location_id, actor))
    pieces = func.coalesce(func.sum(StockHeld.pieces), 0)
    weight = func.coalesce(func.sum(StockHeld.weight_g), 0)
    stmt = (select(ReorderLevel.id, ReorderLevel.product_id, Product.name, ReorderLevel.kind, Location.name,
                   pieces, weight, ReorderLevel.min_pieces, ReorderLevel.min_weight_g)
            .join(Product, Product.id == ReorderLevel.product_id)
            .outerjoin(Location, Location.id == ReorderLevel.location_id)
            .outerjoin(StockHeld, held)
            .where(or_(ReorderLevel.location_id.is_(None), in_scope(ReorderLevel.location_id, actor)))
            .group_by(ReorderLevel.id, ReorderLevel.product_id, Product.name, ReorderLevel.kind, Location.name,
                      ReorderLevel.min_pieces, ReorderLevel.min_weight_g)
            .having(or_(weight < ReorderLevel.min_weight_g, pieces < ReorderLevel.min_pieces))
            .order_by(Product.name, ReorderLevel.id))
    if filters.location_id is not None:
        stmt = stmt.where(ReorderLevel.location_id == filters.location_id)
    if filters.product_id is not None:
        stmt = stmt.where(ReorderLevel.product_id == filters.product_id)
    if filters.kind is not None:
        stmt = stmt.where(ReorderLevel.kind == filters.kind)
    everywhere = ALL_LOCATIONS if actor.sees_all_locations else "All your locations"
    return [LowStockRow(level_id=row[0], product_id=row[1], product=row[2], kind=row[3].label if row[3] else ALL_KINDS,
                        location=row[4] or everywhere, held_pieces=int(row[5] or 0), held_weight_g=grams(row[6]),
                        min_pieces=row[7], min_weight_g=grams(row[8]) if row[8] is not None else None)
            for row in session.execute(stmt)]


def low_stock_count(session: Session, *, actor: Actor) -> int:
    """How many reorder levels are below their level for this viewer (the Home card); 0 without the right."""
    if not actor.can(Right.VIEW_INVENTORY):
        return 0
    return len(low_stock(session, actor=actor))
