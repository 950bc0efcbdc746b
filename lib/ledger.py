"""The stock ledger: the only code that changes an item's quantity or weight.

Every change locks the item row (SELECT … FOR UPDATE on PostgreSQL; the
caller's BEGIN IMMEDIATE write transaction on SQLite), refuses a result below
zero, appends one movement with the balance after it, and updates the cached
balance, all in the caller's transaction. Corrections are new rows, never
edits. `verify()` proves cached balance == sum of movements for every item.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lib.classification import STAMPED_FIELDS
from lib.errors import InsufficientStock, NotFound, ValidationFailed
from lib.models import InventoryItem, ItemStatus, MovementKind, StockMovement, utcnow
from lib.units import WEIGHT_QUANTUM, to_grams


def lock_item(session: Session, item_id: int) -> InventoryItem:
    """Load `item_id` with a row lock, refreshing any stale copy in the session."""
    stmt = (select(InventoryItem).where(InventoryItem.id == item_id)
            .with_for_update().execution_options(populate_existing=True))
    item = session.scalars(stmt).one_or_none()
    if item is None:
        raise NotFound(f"Inventory item {item_id} does not exist.")
    return item


def apply_change(session: Session, *, item_id: int, user_id: int | None, movement_kind: MovementKind,
                 quantity_delta: int = 0, weight_delta: Decimal = Decimal(0), reference: str = "",
                 note: str = "", moved_at: datetime | None = None, counterpart_location_id: int | None = None,
                 counterpart_tag: str | None = None) -> StockMovement:
    """Change one item's stock by signed deltas (weight in the item's own unit).

    A transfer names its counterpart: the location on the other side and the
    tag of the item there (the same tag when a whole item moves).

    Raises InsufficientStock when quantity or weight would go below zero, and
    ValidationFailed for a change that changes nothing or a fractional weight
    beyond 4 decimals. Nothing is written when it raises.
    """
    if not isinstance(quantity_delta, int) or isinstance(quantity_delta, bool):
        raise ValidationFailed("Quantity must be a whole number of pieces.")
    weight_delta = Decimal(weight_delta)
    if weight_delta != weight_delta.quantize(WEIGHT_QUANTUM):
        raise ValidationFailed("Weight may have at most 4 decimals.")
    if quantity_delta == 0 and weight_delta == 0:
        raise ValidationFailed("The change must alter the quantity or the weight.")
    item = lock_item(session, item_id)
    new_quantity = item.quantity + quantity_delta
    new_weight = (Decimal(item.weight) + weight_delta).quantize(WEIGHT_QUANTUM)
    if new_quantity < 0:
        raise InsufficientStock(f"{item.tag_id} holds {item.quantity} pcs; cannot take {-quantity_delta}.")
    if new_weight < 0:
        raise InsufficientStock(
            f"{item.tag_id} holds {item.weight} {item.weight_unit}; cannot take {-weight_delta} {item.weight_unit}.")
    movement = StockMovement(
        item_id=item.id, location_id=item.location_id, movement_kind=movement_kind,
        quantity_delta=quantity_delta, weight_delta=weight_delta,
        weight_delta_g=to_grams(weight_delta, item.weight_unit),
        quantity_after=new_quantity, weight_after=new_weight, user_id=user_id,
        moved_at=moved_at or utcnow(), reference=reference[:120], note=note,
        counterpart_location_id=counterpart_location_id, counterpart_tag=counterpart_tag,
        **{field: getattr(item, field) for field in STAMPED_FIELDS},
    )
    item.quantity = new_quantity
    item.weight = new_weight
    item.weight_g = to_grams(new_weight, item.weight_unit)
    item.status = _status_after(item.status, new_quantity, new_weight)
    session.add(movement)
    session.flush()
    return movement


def _status_after(status: ItemStatus, quantity: int, weight: Decimal) -> ItemStatus:
    """Empty available items become Consumed; a consumed item that gets stock back is Available."""
    empty = quantity == 0 and weight == 0
    if empty and status is ItemStatus.AVAILABLE:
        return ItemStatus.CONSUMED
    if not empty and status is ItemStatus.CONSUMED:
        return ItemStatus.AVAILABLE
    return status


def move_location(session: Session, *, item_id: int, to_location_id: int, user_id: int | None,
                  reference: str = "", note: str = "") -> tuple[StockMovement, StockMovement]:
    """Move a whole item to another location: a transfer-out at the old location,
    then a transfer-in at the new one, so each location's history stays true."""
    item = lock_item(session, item_id)
    if item.location_id == to_location_id:
        raise ValidationFailed("The item is already at that location.")
    quantity, weight = item.quantity, Decimal(item.weight)
    if quantity == 0 and weight == 0:
        raise InsufficientStock(f"{item.tag_id} holds no stock to transfer.")
    from_location_id = item.location_id
    out = apply_change(session, item_id=item.id, user_id=user_id, movement_kind=MovementKind.TRANSFER_OUT,
                       quantity_delta=-quantity, weight_delta=-weight, reference=reference, note=note,
                       counterpart_location_id=to_location_id, counterpart_tag=item.tag_id)
    item.location_id = to_location_id
    item.status = ItemStatus.AVAILABLE if item.status is ItemStatus.CONSUMED else item.status
    session.flush()
    into = apply_change(session, item_id=item.id, user_id=user_id, movement_kind=MovementKind.TRANSFER_IN,
                        quantity_delta=quantity, weight_delta=weight, reference=reference, note=note,
                        counterpart_location_id=from_location_id, counterpart_tag=item.tag_id)
    return out, into


def restamp_classification(session: Session, item: InventoryItem) -> None:
    """Copy an item's edited classification onto its movements (they carry it so
    charts need no join). Locations are history and are never restamped."""
    session.execute(
        update(StockMovement).where(StockMovement.item_id == item.id)
        .values(**{field: getattr(item, field) for field in STAMPED_FIELDS})
    )


@dataclass(frozen=True)
class Discrepancy:
    item_id: int
    tag_id: str
    cached_quantity: int
    ledger_quantity: int
    cached_weight: Decimal
    ledger_weight: Decimal


def verify(session: Session, tolerance: Decimal = Decimal("0.00005")) -> list[Discrepancy]:
    """Every item whose cached balance differs from the sum of its movements.

    The tolerance only absorbs SQLite's floating-point sums; PostgreSQL sums exactly.
    """
    sums = (select(StockMovement.item_id,
                   func.coalesce(func.sum(StockMovement.quantity_delta), 0).label("quantity"),
                   func.coalesce(func.sum(StockMovement.weight_delta), 0).label("weight"))
            .group_by(StockMovement.item_id).subquery())
    stmt = (select(InventoryItem.id, InventoryItem.tag_id, InventoryItem.quantity, InventoryItem.weight,
                   func.coalesce(sums.c.quantity, 0), func.coalesce(sums.c.weight, 0))
            .outerjoin(sums, sums.c.item_id == InventoryItem.id))
    problems = []
    for item_id, tag_id, quantity, weight, ledger_quantity, ledger_weight in session.execute(stmt):
        ledger_weight = Decimal(str(ledger_weight))
        if int(ledger_quantity) != quantity or abs(Decimal(str(weight)) - ledger_weight) > tolerance \
                or quantity < 0 or Decimal(str(weight)) < 0:
            problems.append(Discrepancy(item_id, tag_id, quantity, int(ledger_quantity),
                                        Decimal(str(weight)), ledger_weight))
    return problems
