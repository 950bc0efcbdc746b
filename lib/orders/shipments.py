"""Shipments of sales orders (reference 3.9.5): carrier, tracking number, date and which items each one shipped.

A shipment belongs to one order and ships selections: the items set aside
for its lines, whole or in part, in each item's own unit. An order may have
several shipments (partial shipments). Shipping moves no stock: the selection
already took it out of inventory through the ledger (reference section 4:
shipping selected stock is not deducted again). `ShipmentItem` rows say which
selection (item) left and how much, exactly; `ShipmentLine` rows keep the
per-line sums the statuses read.

Decisions where the reference is silent (section 5, Q27, Q44, Q45; also in docs/orders.md):

- The carrier is one of the workspace's enabled carriers (/settings → Orders);
  the tracking number is optional (hand delivery) and at most 80 characters;
  the date is the shipping date (default today), never in the future and never
  before the order date. No labels are bought and no delivery is tracked, so
  shipments have no status of their own.
- Per selection, a shipment states pieces and/or weight in the item's unit,
  compared exactly with what of that selection is not shipped yet (never
  re-rounded: the ship form pre-fills exactly that). A line that counts pieces
  ships at least one piece; the measure that decides a line (pieces, or weight
  for a weight-only line) decides a selection too: shipping its last pieces (or
  its whole remaining weight) ships the rest of the other measure with it, so
  no "0 pcs / 0.1000 g" remainder is ever left to ship. A selection with
  nothing left on the deciding measure is no longer offered.
- `ShipLine` (a line's pieces and weight in the line's unit, used by scripts
  and the demo) fills the line's unshipped selections in id order; a
  selection whose remainder the request covers (within the line's `slack`) is
  shipped whole.
- Cancelled or closed-short lines, and orders on hold, ship nothing.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor
from lib.errors import ValidationFailed
from lib.inventory.forms import as_validation, clean_text, parse_quantity
from lib.models import (
    InventoryItem,
    Order,
    OrderKind,
    OrderLine,
    OrderReturn,
    OrderSelection,
    Shipment,
    ShipmentItem,
    ShipmentLine,
    utcnow,
)
from lib.orders.lines import (
    amount_text,
    line_reference,
    order_for_write,
    refresh,
    require_active_line,
    require_not_on_hold,
    tolerance,
)
from lib.units import WEIGHT_QUANTUM, from_grams, parse_weight, to_grams, unit
from lib.workspace.settings import carrier_list, get_workspace

MAX_TRACKING = 80
ZERO = Decimal(0)


@dataclass(frozen=True)
class ShipLine:
    """What to ship of one line: pieces and/or weight in the line's unit (0 ships nothing of it)."""

    line_id: int
    quantity: object = 0
    weight: object = 0


@dataclass(frozen=True)
class ShipItem:
    """What to ship of one selection: pieces and/or weight in the item's unit (0 ships nothing of it)."""

    selection_id: int
    quantity: object = 0
    weight: object = 0


def _w(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(WEIGHT_QUANTUM)


@dataclass(frozen=True)
class Held:
    """One active selection and what became of it, in the item's own unit (exact 4-decimal sums)."""

    id: int
    line_id: int
    item_id: int
    tag: str
    weight_unit: str
    counts_pieces: bool  # the line counts pieces: pieces decide
    pieces: int  # selected, less what a short-close gave back
    weight: Decimal
    shipped_pieces: int = 0
    shipped_weight: Decimal = ZERO
    returned_pieces: int = 0
    returned_weight: Decimal = ZERO

    @property
    def unshipped(self) -> tuple[int, Decimal]:
        return self.pieces - self.shipped_pieces, self.weight - self.shipped_weight

    @property
    def returnable(self) -> tuple[int, Decimal]:
        return self.shipped_pieces - self.returned_pieces, self.shipped_weight - self.returned_weight

    @property
    def can_ship(self) -> bool:
        """Something is left on the deciding measure (see the module docstring)."""
        pieces, weight = self.unshipped
        return pieces > 0 if self.counts_pieces else (weight > 0 or pieces > 0)

    def text(self, pieces: int, weight: Decimal) -> str:
        return amount_text(pieces, weight, self.weight_unit)


def held(session: Session, line_ids: list[int]) -> list[Held]:
    """The active selections of these lines with their shipped and returned amounts, by selection id."""
    if not line_ids:
        return []
    rows = session.execute(select(OrderSelection, InventoryItem.tag_id, OrderLine.quantity)
                           .join(InventoryItem, InventoryItem.id == OrderSelection.item_id)
                           .join(OrderLine, OrderLine.id == OrderSelection.line_id)
                           .where(OrderSelection.line_id.in_(line_ids), OrderSelection.released_at.is_(None))
                           .order_by(OrderSelection.id)).all()
    ids = [row.id for row, _tag, _q in rows]
    sums: dict[str, dict[int, list]] = {"shipped": defaultdict(lambda: [0, ZERO]),
                                        "returned": defaultdict(lambda: [0, ZERO])}
    if ids:
        for name, model in (("shipped", ShipmentItem), ("returned", OrderReturn)):
            for sel_id, quantity, weight in session.execute(select(model.selection_id, model.quantity, model.weight)
                                                            .where(model.selection_id.in_(ids))):
                sums[name][sel_id][0] += int(quantity)
                sums[name][sel_id][1] += _w(weight)
    return [Held(row.id, row.line_id, row.item_id, tag, row.weight_unit, line_quantity > 0,
                 row.quantity - (row.short_quantity or 0), _w(row.weight) - _w(row.short_weight),
                 *sums["shipped"][row.id], *sums["returned"][row.id])
            for row, tag, line_quantity in rows]


def complete_rest(counts_pieces: bool, pieces: int, weight: Decimal, left_pieces: int,
                  left_weight: Decimal) -> tuple[int, Decimal]:
    """Taking all that is left on the deciding measure takes the rest of the other one too (module docstring)."""
    if counts_pieces and left_pieces > 0 and pieces == left_pieces:
        return pieces, left_weight
    if not counts_pieces and left_weight > 0 and weight == left_weight:
        return left_pieces, weight
    return pieces, weight


def parse_amounts(label: str, quantity, weight) -> tuple[int, Decimal]:
    """Pieces and a weight as typed (blank is 0); messages start with `label`."""
    pieces = as_validation(lambda raw: parse_quantity(raw, f"{label}: pieces"),
                           0 if quantity in (None, "") else quantity)
    grams = as_validation(lambda raw: parse_weight(raw, f"{label}: weight", allow_zero=True),
                          0 if weight in (None, "") else weight)
    return pieces, grams


def _shipped_on(day: date | None, ordered_on: date) -> date:
    today = utcnow().date()
    day = day or today
    if day > today:
        raise ValidationFailed("The shipping date cannot be in the future.")
    if day < ordered_on:
        raise ValidationFailed(f"The shipping date ({day.isoformat()}) is before the order date "
                               f"({ordered_on.isoformat()}).")
    return day


def _from_line(order: Order, line: OrderLine, request: ShipLine, holds: list[Held]) -> list[ShipItem]:
    """A line-level request spread over the line's unshipped selections in id order (module docstring)."""
    reference = line_reference(order, line)
    pieces, weight = parse_amounts(reference, request.quantity, request.weight)
    if pieces == 0 and weight == 0:
        return []
    want_pieces, want_grams, slack = pieces, to_grams(weight, line.weight_unit), tolerance(line)
    planned = []
    for hold in holds:
        if hold.line_id != line.id or not hold.can_ship:
            continue
        if (want_pieces <= 0 if line.quantity > 0 else want_grams < slack and want_pieces <= 0):
            break
        left_pieces, left_weight = hold.unshipped
        left_grams = to_grams(left_weight, hold.weight_unit)
        take_pieces = min(want_pieces, left_pieces)
        if want_grams >= left_grams or (line.quantity == 0 and left_grams - want_grams < slack):
            take_weight = left_weight
        else:
            exact = want_grams / unit(hold.weight_unit).grams
            take_weight = min(exact.quantize(WEIGHT_QUANTUM, rounding=ROUND_DOWN), left_weight)  # never more
        if line.quantity > 0 and take_pieces == 0:
            continue
        want_pieces -= take_pieces
        want_grams = max(want_grams - to_grams(take_weight, hold.weight_unit), ZERO)
        planned.append(ShipItem(hold.id, take_pieces, take_weight))
    if want_pieces > 0 or (line.quantity == 0 and want_grams >= slack) or not planned:
        raise ValidationFailed(f"{reference}: {amount_text(pieces, weight, line.weight_unit)} cannot be shipped; "
                               "not that much is selected and unshipped, select stock first.")
    return planned


def _plan(order: Order, by_line: dict[int, OrderLine], holds: dict[int, Held], request: ShipItem
          ) -> tuple[Held, int, Decimal] | None:
    hold = holds.get(int(request.selection_id))
    if hold is None:
        raise ValidationFailed(f"Selection {request.selection_id} is not stock selected for {order.number}.")
    line = by_line[hold.line_id]
    reference = line_reference(order, line)
    pieces, weight = parse_amounts(f"{reference}, {hold.tag}", request.quantity, request.weight)
    if pieces == 0 and weight == 0:
        return None
    require_active_line(order, line)
    if line.closed_short_at is not None:
        raise ValidationFailed(f"{reference} is closed short; it ships nothing more.")
    if line.quantity > 0 and pieces == 0:
        raise ValidationFailed(f"{reference} counts pieces: ship at least one piece of {hold.tag}.")
    left_pieces, left_weight = hold.unshipped
    if pieces > left_pieces or weight > left_weight:
        raise ValidationFailed(f"{reference}: {hold.text(left_pieces, left_weight)} of {hold.tag} is selected and "
                               f"not shipped yet, so {hold.text(pieces, weight)} cannot be shipped; select stock "
                               "first.")
    pieces, weight = complete_rest(hold.counts_pieces, pieces, weight, left_pieces, left_weight)
    return hold, pieces, weight


def create_shipment(session: Session, *, actor: Actor, order_id: int, carrier: str, lines: list[ShipLine] = (),
                    tracking_number: str = "", shipped_on: date | None = None, notes: str = "",
                    items: list[ShipItem] = ()) -> int:
    """Record a shipment of a sales order (admins): `items` per selection and/or `lines` per line (spread over
    the line's selections); returns its id. All or nothing."""
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
    by_line = {line.id: line for line in session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))}
    holds = {hold.id: hold for hold in held(session, list(by_line))}
    requests = list(items)
    for request in lines:
        line = by_line.get(int(request.line_id))
        if line is None:
            raise ValidationFailed(f"Line {request.line_id} is not a line of {order.number}.")
        requests += _from_line(order, line, request, list(holds.values()))
    if len({int(request.selection_id) for request in requests}) != len(requests):
        raise ValidationFailed("Each selected item can appear once in a shipment.")
    planned = [plan for plan in (_plan(order, by_line, holds, request) for request in requests) if plan]
    if not planned:
        raise ValidationFailed("Enter what to ship for at least one line.")
    shipment = Shipment(order_id=order.id, carrier=chosen, tracking_number=tracking, shipped_on=day, notes=text,
                        created_by_id=actor.user_id)
    session.add(shipment)
    session.flush()
    per_line: dict[int, list] = defaultdict(lambda: [0, ZERO])
    for hold, pieces, weight in planned:
        grams = to_grams(weight, hold.weight_unit)
        session.add(ShipmentItem(shipment_id=shipment.id, selection_id=hold.id, line_id=hold.line_id,
                                 quantity=pieces, weight=weight, weight_unit=hold.weight_unit, weight_g=grams))
        per_line[hold.line_id][0] += pieces
        per_line[hold.line_id][1] += grams
    session.add_all([ShipmentLine(shipment_id=shipment.id, line_id=line_id, quantity=pieces,
                                  weight=from_grams(grams, by_line[line_id].weight_unit),
                                  weight_unit=by_line[line_id].weight_unit, weight_g=grams)
                     for line_id, (pieces, grams) in sorted(per_line.items())])
    audit.record(session, actor_id=actor.user_id, action="ship", entity="order", entity_id=order.id,
                 new={"shipment_id": shipment.id, "carrier": chosen, "tracking_number": tracking,
                      "shipped_on": day.isoformat(),
                      "lines": [{"line": by_line[line_id].position, "quantity": pieces,
                                 "weight": str(from_grams(grams, by_line[line_id].weight_unit)),
                                 "unit": by_line[line_id].weight_unit}
                                for line_id, (pieces, grams) in sorted(per_line.items())],
                      "items": [{"line": by_line[hold.line_id].position, "selection_id": hold.id,
                                 "item_id": hold.item_id, "quantity": pieces, "weight": str(weight),
                                 "unit": hold.weight_unit} for hold, pieces, weight in planned]})
    refresh(session, order, actor.user_id)
    return shipment.id
