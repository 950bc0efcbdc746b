"""The stock ledger: the only code that changes an item's quantity or weight.

Every change locks the item row (SELECT … FOR UPDATE on PostgreSQL; the
caller's BEGIN IMMEDIATE write transaction on SQLite), refuses a result below
zero, appends one movement with the balance after it, and updates the cached
balance, all in the caller's transaction. Corrections are new rows, never
edits. `open_items` creates many new items at once (an import) under the same
rules, each with its opening movement, in bulk inserts (`lib.bulk`); nobody
else can hold a lock on a row that does not exist yet. `verify()` proves
cached balance == sum of movements for every item.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib import bulk
from lib.classification import STAMPED_FIELDS
from lib.errors import InsufficientStock, NotFound, ValidationFailed
from lib.models import InventoryItem, InventoryKind, ItemStatus, MovementKind, StockMovement, utcnow
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


ITEMS, MOVEMENTS = InventoryItem.__table__, StockMovement.__table__


@dataclass(frozen=True)
class Opening:
    """One new item and the stock it opens with, for `open_items` (weight in `weight_unit`)."""

    tag_id: str
    product_id: int
    kind: InventoryKind
    weight_unit: str
    location_id: int
    quantity: int
    weight: Decimal
    classification: Mapping[str, int | None]  # catalog attribute field -> entry id (lib.classification)
    status: ItemStatus = ItemStatus.AVAILABLE
    notes: str = ""
    created_at: datetime | None = None  # None: now
    reference: str = ""


def open_items(session: Session, openings: Sequence[Opening], *, user_id: int | None,
               movement_kind: MovementKind) -> list[int]:
    """Insert new items with their opening movements in bulk, in the caller's transaction; their ids, in order.

    The rules of `apply_change` for many new items at once: whole pieces, at
    most 4 decimals, nothing below zero; each item's first movement carries its
    opening balance (delta = balance after) and its classification, and the
    item's cached balance equals it. An item that opens empty gets no movement
    (nothing changed) and is Consumed, or Archived when asked; On hold needs
    stock, and Consumed or Archived items hold none (archiving writes stock off).
    A tag that exists already raises ValidationFailed. The caller checks rights
    and scope; on any error the caller's transaction must be rolled back.
    """
    for opening in openings:
        _check_opening(opening)
    now = utcnow()
    attribute_fields = [field for field in STAMPED_FIELDS if field not in ("product_id", "kind")]
    items = [{
        "tag_id": o.tag_id, "product_id": o.product_id, "kind": o.kind, "quantity": o.quantity,
        "weight": o.weight, "weight_unit": o.weight_unit, "weight_g": to_grams(o.weight, o.weight_unit),
        "location_id": o.location_id, "image_id": None, "status": _opening_status(o), "notes": o.notes,
        "created_at": o.created_at or now, "created_by_id": user_id, "updated_at": now,
        **{field: o.classification.get(field) for field in attribute_fields},
    } for o in openings]
    if not items:
        return []
    try:
        ids = bulk.insert_returning_ids(session, ITEMS, items)
    except IntegrityError:
        raise ValidationFailed("A tag ID of these items was just taken by someone else; nothing was written, "
                               "please try again.") from None
    movements = [{
        "item_id": item_id, "location_id": o.location_id, "movement_kind": movement_kind,
        "quantity_delta": o.quantity, "weight_delta": o.weight, "weight_delta_g": row["weight_g"],
        "quantity_after": o.quantity, "weight_after": o.weight, "user_id": user_id, "moved_at": now,
        "reference": o.reference[:120], "note": o.notes, "counterpart_location_id": None, "counterpart_tag": None,
        **{field: row[field] for field in STAMPED_FIELDS},
    } for item_id, o, row in zip(ids, openings, items) if o.quantity or o.weight]
    if movements:
        bulk.insert_rows(session, MOVEMENTS, movements)
    return ids


def _check_opening(opening: Opening) -> None:
    quantity, weight = opening.quantity, Decimal(opening.weight)
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise ValidationFailed(f"{opening.tag_id}: quantity must be a whole number of pieces.")
    if weight != weight.quantize(WEIGHT_QUANTUM):
        raise ValidationFailed(f"{opening.tag_id}: weight may have at most 4 decimals.")
    if quantity < 0 or weight < 0:
        raise InsufficientStock(f"{opening.tag_id}: a new item cannot open with less than nothing.")
    empty = quantity == 0 and weight == 0
    if opening.status is ItemStatus.ON_HOLD and empty:
        raise ValidationFailed(f"{opening.tag_id}: only an item holding stock can be on hold.")
    if opening.status in (ItemStatus.CONSUMED, ItemStatus.ARCHIVED) and not empty:
        raise ValidationFailed(f"{opening.tag_id}: a {opening.status.label.lower()} item holds no stock.")


def _opening_status(opening: Opening) -> ItemStatus:
    return _status_after(opening.status, opening.quantity, Decimal(opening.weight))


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
