"""Receiving purchased stock (reference 3.9.2 "Receive Inventory" on purchase orders).

Each receipt creates a new inventory item through `lib.inventory.stock.receive`
(a PURCHASE_RECEIPT movement whose reference names the line, e.g. "PO-0004
line 1"), tagged by the inventory's rules, at a location in the actor's
scope; a `PurchaseReceipt` row links the line to the item and the movement.

Decisions where the reference is silent (section 5, Q42; also in docs/orders.md):

- Every receipt is a new item (never merged), so what came in on which order
  stays traceable by its tag. The item gets the line's product; shape and
  size default to the line's; kind, types, colour, quality, location, pieces,
  weight and unit are given at receipt (the inventory's own checks apply: an
  inactive product, a bad weight or a location outside the actor's scope are
  refused with the inventory's messages).
- Partial receipts add up; the line is Received once they cover what it
  ordered (pieces when it counts pieces, else weight). Receiving more than
  ordered needs an explicit confirmation and the receipt is marked as an
  over-receipt (on the receipt row and in the audit log).
- Cancelled lines, and orders on hold, take no receipts.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.classification import BY_KEY
from lib.costing import prices
from lib.errors import ValidationFailed
from lib.inventory import stock
from lib.inventory.forms import NewItem, check_new_item
from lib.models import LINE_ATTRIBUTE_KEYS, InventoryItem, InventoryKind, MovementKind, OrderKind, PurchaseReceipt
from lib.orders.fulfilment import Amount, exceeds
from lib.orders.lines import (
    amounts,
    line_amount_text,
    line_for_write,
    line_reference,
    ordered,
    refresh,
    require_active_line,
    require_not_on_hold,
    tolerance,
)
from lib.units import to_grams


@dataclass
class ReceiptInput:
    """What arrived for one purchase line (raw values; checked by the inventory's new-item rules)."""

    quantity: object
    weight: object
    location_id: int | None = None  # None: the actor's own location
    weight_unit: str | None = None  # None: the line's unit
    kind: InventoryKind | str = InventoryKind.FINISHED
    finished_type_id: int | None = None
    ms_type_id: int | None = None
    shape_id: int | None = None  # the line's when not given (use_line_attributes)
    size_id: int | None = None
    colour_id: int | None = None
    quality_id: int | None = None
    notes: str = ""
    use_line_attributes: bool = True
    confirm_over_receipt: bool = False


@dataclass(frozen=True)
class Received:
    receipt_id: int
    item_id: int
    tag_id: str
    over_receipt: bool


def _new_item(line, data: ReceiptInput) -> NewItem:
    values = {"finished_type_id": data.finished_type_id, "ms_type_id": data.ms_type_id,
              "shape_id": data.shape_id, "size_id": data.size_id, "colour_id": data.colour_id,
              "quality_id": data.quality_id}
    if data.use_line_attributes:
        for key in LINE_ATTRIBUTE_KEYS:
            field = BY_KEY[key].field
            values[field] = values[field] if values[field] is not None else getattr(line, field)
    return NewItem(product_id=line.product_id, weight=data.weight, kind=data.kind,
                   weight_unit=data.weight_unit or line.weight_unit, quantity=data.quantity,
                   location_id=data.location_id, notes=data.notes, **values)


def receive_line(session: Session, *, actor: Actor, line_id: int, data: ReceiptInput) -> Received:
    """Receive stock against a purchase line as a new item (admins, at a location in their scope)."""
    order, line = line_for_write(session, actor, line_id, OrderKind.PURCHASE)
    require_active_line(order, line)
    require_not_on_hold(order)
    reference = line_reference(order, line)
    item_data = _new_item(line, data)
    clean, problems = check_new_item(session, actor, item_data)
    if problems:
        messages = list(problems.values())
        raise ValidationFailed("Nothing was received: " + " ".join(f"{m}." for m in messages), messages)
    before = amounts(session, [line.id])[line.id].received
    after = before + Amount(clean.quantity, to_grams(clean.weight, clean.weight_unit))
    over = exceeds(ordered(line), after, tolerance(line))
    if over and not data.confirm_over_receipt:
        raise ValidationFailed(
            f"{reference} ordered {line_amount_text(line, ordered(line))} and has received "
            f"{line_amount_text(line, before)}; this receipt would make {line_amount_text(line, after)}, more than "
            "ordered. Confirm receiving more than ordered to go ahead.")
    result = stock.receive(session, actor=actor, right=Right.EDIT_ORDERS, data=item_data,
                           movement_kind=MovementKind.PURCHASE_RECEIPT, reference=reference)
    item = session.get(InventoryItem, result.item_id)
    receipt = PurchaseReceipt(line_id=line.id, item_id=item.id, movement_id=result.movement_id, quantity=item.quantity,
                              weight=item.weight, weight_unit=item.weight_unit, weight_g=item.weight_g,
                              over_receipt=over, received_by_id=actor.user_id)
    session.add(receipt)
    session.flush()
    priced = prices.receipt_component(session, actor.user_id, line, item)  # the line's price, if any
    audit.record(session, actor_id=actor.user_id, action="receive stock", entity="order", entity_id=order.id,
                 new={"line": line.position, "receipt_id": receipt.id, "item_id": item.id, "tag_id": item.tag_id,
                      "quantity": item.quantity, "weight": item.weight, "unit": item.weight_unit,
                      "location_id": item.location_id, "over_receipt": over,
                      "cost": priced.manual_amount if priced is not None else None})
    refresh(session, order, actor.user_id)
    return Received(receipt.id, item.id, item.tag_id, over)
