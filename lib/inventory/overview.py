"""The home page's numbers: stock held in scope and recent activity."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.access import Actor, scope_items, scope_movements
from lib.inventory.items import counterpart
from lib.models import IN_STOCK, InventoryItem, Location, Product, StockMovement, User
from lib.units import from_grams
from lib.workspace.settings import default_weight_unit


@dataclass(frozen=True)
class LocationStock:
    location: str
    items: int
    weight: Decimal  # in the workspace default unit


@dataclass(frozen=True)
class Overview:
    unit: str
    items: int
    weight: Decimal
    by_location: list[LocationStock]


def stock_overview(session: Session, *, actor: Actor) -> Overview:
    """Items held and their total weight in the actor's scope, overall and per location."""
    unit = default_weight_unit(session)
    stmt = scope_items(
        select(Location.name, func.count(InventoryItem.id), func.coalesce(func.sum(InventoryItem.weight_g), 0))
        .join(Location, Location.id == InventoryItem.location_id)
        .where(IN_STOCK).group_by(Location.name).order_by(Location.name), actor)
    rows = [LocationStock(name, count, from_grams(Decimal(str(grams)), unit)) for name, count, grams in session.execute(stmt)]
    total_items = sum(row.items for row in rows)
    total_grams = session.scalar(scope_items(
        select(func.coalesce(func.sum(InventoryItem.weight_g), 0)).where(IN_STOCK), actor))
    return Overview(unit=unit, items=total_items, weight=from_grams(Decimal(str(total_grams)), unit), by_location=rows)


@dataclass(frozen=True)
class Activity:
    at: datetime
    tag_id: str
    product: str
    location: str
    movement: str
    quantity_delta: int
    weight_delta: Decimal
    weight_unit: str
    user: str
    counterpart: str  # transfers: where the stock went or came from
    note: str


def recent_activity(session: Session, *, actor: Actor, limit: int = 15) -> list[Activity]:
    """The most recently recorded stock movements at the actor's locations, newest first (transfers across the
    border of the actor's locations without the other side's person and note, as in an item's history).

    Recorded order, not `moved_at`: a receipt entered now for yesterday is what just happened at the workshop,
    and belongs at the top rather than below today's other movements."""
    stmt = scope_movements(
        select(StockMovement, InventoryItem.tag_id, InventoryItem.weight_unit, Product.name, Location.name, User.username)
        .join(InventoryItem, InventoryItem.id == StockMovement.item_id)
        .join(Product, Product.id == StockMovement.product_id)
        .join(Location, Location.id == StockMovement.location_id)
        .outerjoin(User, User.id == StockMovement.user_id)
        .order_by(StockMovement.id.desc()).limit(limit), actor)
    location_names = dict(session.execute(select(Location.id, Location.name)).all())
    activity = []
    for m, tag, unit, product, location, username in session.execute(stmt):
        other_side, open_ = counterpart(actor, m, location_names)
        activity.append(Activity(m.moved_at, tag, product, location, m.movement_kind.label, m.quantity_delta,
                                 Decimal(m.weight_delta), unit, (username or "system") if open_ else "—",
                                 other_side, m.note if open_ else ""))
    return activity
