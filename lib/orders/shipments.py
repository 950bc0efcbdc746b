"""Shipments of sales orders (reference 3.9.5): carrier, tracking number, date and what each line shipped.

A shipment belongs to one order and ships part or all of what is selected for
its lines; an order may have several shipments (partial shipments). Shipping
moves no stock: the selection already took it out of inventory through the
ledger (reference section 4: shipping selected stock is not deducted again).

Decisions where the reference is silent (section 5, Q27, Q44, Q45; also in docs/orders.md):

- The carrier is one of the workspace's enabled carriers (/settings → Orders);
  the tracking number is optional (hand delivery) and at most 80 characters;
  the date is the shipping date (default today), never in the future and never
  before the order date. No labels are bought and no delivery is tracked, so
  shipments have no status of their own.
- Per line, a shipment states pieces and/or weight in the line's unit; a line
  that counts pieces ships at least one piece. A line never ships more than is
  selected for it (pieces and weight, compared in grams): select stock first.
- Cancelled lines, and orders on hold, ship nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor
from lib.errors import ValidationFailed
from lib.inventory.forms import as_validation, clean_text, parse_quantity
from lib.models import OrderKind, OrderLine, Shipment, ShipmentLine, utcnow
from lib.orders.fulfilment import Amount
from lib.orders.lines import (
    amounts,
    line_amount_text,
    line_reference,
    order_for_write,
    refresh,
    require_active_line,
    require_not_on_hold,
)
from lib.units import parse_weight, to_grams
from lib.workspace.settings import carrier_list, get_workspace

MAX_TRACKING = 80


@dataclass(frozen=True)
class ShipLine:
    """What to ship of one line: pieces and/or weight in the line's unit (0 ships nothing of it)."""

    line_id: int
    quantity: object = 0
    weight: object = 0


def _amounts(reference: str, request: ShipLine) -> tuple[int, object]:
    pieces = as_validation(lambda raw: parse_quantity(raw, f"{reference}: pieces"),
                           0 if request.quantity in (None, "") else request.quantity)
    weight = as_validation(lambda raw: parse_weight(raw, f"{reference}: weight", allow_zero=True),
                           0 if request.weight in (None, "") else request.weight)
    return pieces, weight


def _shipped_on(day: date | None, ordered_on: date) -> date:
    today = utcnow().date()
    day = day or today
    if day > today:
        raise ValidationFailed("The shipping date cannot be in the future.")
    if day < ordered_on:
        raise ValidationFailed(f"The shipping date ({day.isoformat()}) is before the order date "
                               f"({ordered_on.isoformat()}).")
    return day


def create_shipment(session: Session, *, actor: Actor, order_id: int, carrier: str, lines: list[ShipLine],
                    tracking_number: str = "", shipped_on: date | None = None, notes: str = "") -> int:
    """Record a shipment of a sales order (admins); returns its id. All lines or none."""
    order = order_for_write(session, actor, order_id, OrderKind.SALES)
    require_not_on_hold(order)
    carriers = carrier_list(get_workspace(session))
    chosen = " ".join(str(carrier or "").split())
    if chosen not in carriers:
        raise ValidationFailed(f"Choose one of the enabled carriers: {', '.join(carriers)}." if not chosen else
                               f"{chosen!r} is not an enabled carrier (/settings → Orders).")
    tracking = as_validation(clean_text, tracking_number, "Tracking number", MAX_TRACKING)
    text = as_validation(clean_text, notes, "Notes", 2000)
    day = _shipped_on(shipped_on, order.ordered_on)
    by_id = {line.id: line for line in session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))}
    done = amounts(session, list(by_id))
    planned = []
    for request in lines:
        line = by_id.get(int(request.line_id))
        if line is None:
            raise ValidationFailed(f"Line {request.line_id} is not a line of {order.number}.")
        reference = line_reference(order, line)
        pieces, weight = _amounts(reference, request)
        if pieces == 0 and weight == 0:
            continue
        require_active_line(order, line)
        if line.quantity > 0 and pieces == 0:
            raise ValidationFailed(f"{reference} counts pieces: ship at least one piece.")
        shipping = Amount(pieces, to_grams(weight, line.weight_unit))
        after = done[line.id].shipped + shipping
        selected = done[line.id].selected
        if after.pieces > selected.pieces or after.grams > selected.grams:
            raise ValidationFailed(f"{reference}: {line_amount_text(line, selected)} is selected and "
                                   f"{line_amount_text(line, done[line.id].shipped)} already shipped, so "
                                   f"{line_amount_text(line, shipping)} cannot be shipped; select stock first.")
        planned.append((line, pieces, weight))
    if not planned:
        raise ValidationFailed("Enter what to ship for at least one line.")
    shipment = Shipment(order_id=order.id, carrier=chosen, tracking_number=tracking, shipped_on=day, notes=text,
                        created_by_id=actor.user_id)
    session.add(shipment)
    session.flush()
    session.add_all([ShipmentLine(shipment_id=shipment.id, line_id=line.id, quantity=pieces, weight=weight,
                                  weight_unit=line.weight_unit, weight_g=to_grams(weight, line.weight_unit))
                     for line, pieces, weight in planned])
    audit.record(session, actor_id=actor.user_id, action="ship", entity="order", entity_id=order.id,
                 new={"shipment_id": shipment.id, "carrier": chosen, "tracking_number": tracking,
                      "shipped_on": day.isoformat(),
                      "lines": [{"line": line.position, "quantity": pieces, "weight": str(weight),
                                 "unit": line.weight_unit} for line, pieces, weight in planned]})
    refresh(session, order, actor.user_id)
    return shipment.id
