"""Stock for sales lines (reference 3.9.4): matching stock, picking items, selecting and removing.

Selecting takes stock out through `lib.inventory.stock.issue` (an ISSUE
movement whose reference names the line, e.g. "SO-0012 line 2"), all picks
of one submit in one transaction; removing a selection (or cancelling its
line) gives exactly that stock back with `stock.return_issued` (a RETURN
movement under the same reference). `OrderSelection` rows remember which
item, how much and which movements, so amounts, statuses and removals never
depend on reading references back.

Stock is located: matching stock and the items offered are those of the
actor's locations (`lib.inventory.query`), and `stock.issue` refuses an item
outside them, on hold, archived, or holding less than asked.

Decisions where the reference is silent (section 5, Q43; also in docs/orders.md):

- Selection deducts stock at once (the reference's "stock is deducted"); it
  is not a soft reservation. Shipping selected stock moves nothing again.
- Matching stock: Available items of the line's product that hold stock, of
  the line's shape and size when the line names them.
- An item of another product than the line's is refused. A line that counts
  pieces takes at least one piece from each item and never more pieces than
  it still needs; a weight-only line never takes more weight than it still
  needs (compared in grams). Weight is never derived from pieces: a partial
  selection states both, as the inventory's issue does; "Full" takes the
  item's whole balance.
- A selection is removed whole. Removal is refused once any of it was
  shipped (shipments name their selections, `lib.orders.shipments`), so a
  shipped piece can never go back into stock by removing a selection.
- Weight-only lines follow the one closing rule (`lib.orders.fulfilment.slack`):
  a pick may exceed what the line still needs by less than half the last
  displayed digit of the line's unit, and a smaller remainder counts as
  covered. "Full" takes the item's stored balance exactly (its own unit).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right, get_item_in_scope
from lib.classification import BY_KEY
from lib.errors import NotFound, ValidationFailed
from lib.inventory import stock
from lib.inventory.forms import as_validation, parse_quantity
from lib.inventory.query import ItemFilters, Page, page_rows, totals
from lib.models import (
    LINE_ATTRIBUTE_KEYS,
    ItemStatus,
    Order,
    OrderKind,
    OrderLine,
    OrderSelection,
    Product,
    ShipmentItem,
    utcnow,
)
from lib.orders.fulfilment import Amount, exceeds, outstanding
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
from lib.units import parse_weight, to_grams
from lib.text import search_text

CANDIDATE_LIMIT = 100


@dataclass(frozen=True)
class Pick:
    """One item to select: its whole balance (`full`), or the pieces and weight given (in the item's unit)."""

    item_id: int
    full: bool = True
    quantity: object = None
    weight: object = None


@dataclass(frozen=True)
class Matching:
    """Available stock of a line's product (and shape and size) in the viewer's locations."""

    items: int
    pieces: int
    grams: Decimal
    product_query: dict[str, str]  # url query of the Product Details page with the same filters


def line_filters(line: OrderLine, same_attributes: bool = True) -> ItemFilters:
    """Available held items of the line's product, of its shape and size when it names them."""
    attributes = {}
    if same_attributes:
        for key in LINE_ATTRIBUTE_KEYS:
            value = getattr(line, BY_KEY[key].field)
            if value is not None:
                attributes[BY_KEY[key].filter_field] = (value,)
    return ItemFilters(product_ids=(line.product_id,), statuses=(ItemStatus.AVAILABLE,), in_stock_only=True,
                       **attributes)


def product_query(line: OrderLine) -> dict[str, str]:
    """`/product` url query for the line: the product and its shape and size filters (keys as in the url codec)."""
    query = {"id": str(line.product_id)}
    for key in LINE_ATTRIBUTE_KEYS:
        value = getattr(line, BY_KEY[key].field)
        if value is not None:
            query[key] = str(value)
    return query


def _sales_line(session: Session, line_id: int) -> OrderLine:
    line = session.get(OrderLine, int(line_id))
    order = session.get(Order, line.order_id) if line is not None else None
    if order is None or order.kind is not OrderKind.SALES:
        raise NotFound("No such sales order line.")
    return line


def matching_stock(session: Session, *, actor: Actor, line_id: int) -> Matching:
    """Count, pieces and grams of the available items matching a sales line, in the actor's locations."""
    actor.require(Right.VIEW_ORDERS)
    line = _sales_line(session, line_id)
    found = totals(session, actor=actor, filters=line_filters(line))
    return Matching(found.items, found.pieces, found.grams, product_query(line))


def candidates(session: Session, *, actor: Actor, line_id: int, same_attributes: bool = True, search: str = "",
               limit: int = CANDIDATE_LIMIT) -> list[dict]:
    """Items that can be selected for a sales line, in the actor's locations (the inventory's display rows),
    oldest first, so older stock leaves first."""
    actor.require(Right.EDIT_ORDERS)
    line = _sales_line(session, line_id)
    filters = line_filters(line, same_attributes).with_(search=search_text(search))
    return page_rows(session, actor=actor, filters=filters,
                     page=Page(number=1, size=limit, sort="created_at", descending=False), with_thumbnail=False)


def _pick_amounts(pick: Pick, item) -> tuple[int, Decimal]:
    if pick.full:
        return item.quantity, Decimal(item.weight)
    pieces = as_validation(lambda raw: parse_quantity(raw, "Pieces"),
                           0 if pick.quantity in (None, "") else pick.quantity)
    weight = as_validation(lambda raw: parse_weight(raw, "Weight", allow_zero=True),
                           0 if pick.weight in (None, "") else pick.weight)
    if pieces == 0 and weight == 0:
        raise ValidationFailed(f"{item.tag_id}: enter the pieces and/or weight to select, or choose Full.")
    return pieces, weight


def _check_need(line: OrderLine, reference: str, item, pieces: int, grams: Decimal, need: Amount,
                taken: Amount) -> None:
    """Refuse over-selection (rules in the module docstring)."""
    if line.quantity > 0:
        if pieces == 0:
            raise ValidationFailed(f"{reference} counts pieces: take at least one piece from {item.tag_id}.")
        if taken.pieces + pieces > need.pieces:
            raise ValidationFailed(f"{reference} needs {need.pieces} more piece{'s' if need.pieces != 1 else ''}; "
                                   f"selecting {taken.pieces + pieces} would be more than ordered.")
    elif exceeds(need, taken + Amount(0, grams), tolerance(line)):
        raise ValidationFailed(f"{reference} needs {line_amount_text(line, need)} more; selecting "
                               f"{line_amount_text(line, taken + Amount(0, grams))} would be more than ordered.")


def select_items(session: Session, *, actor: Actor, line_id: int, picks: list[Pick],
                 mark_ready: bool = False) -> list[int]:
    """Select items for a sales line: every pick is issued from stock (admins), all or none.

    Returns the new selection ids. Refused: a cancelled line, an order on hold,
    items of another product, outside the actor's locations, not available,
    holding less than asked, and more than the line still needs.
    """
    order, line = line_for_write(session, actor, line_id, OrderKind.SALES)
    require_active_line(order, line)
    require_not_on_hold(order)
    if not picks:
        raise ValidationFailed("Pick at least one item to select.")
    reference = line_reference(order, line)
    if line.closed_short_at is not None:
        raise ValidationFailed(f"{reference} is closed short; it takes no more stock.")
    need = outstanding(ordered(line), amounts(session, [line.id])[line.id].selected, tolerance(line))
    product = session.get(Product, line.product_id)
    planned, taken = [], Amount()
    for pick in picks:
        item = get_item_in_scope(session, actor=actor, item_id=int(pick.item_id))
        if item.product_id != line.product_id:
            raise ValidationFailed(f"{item.tag_id} is not {product.name}, the product {reference} asks for.")
        if item.status is not ItemStatus.AVAILABLE:
            raise ValidationFailed(f"{item.tag_id} is {item.status.label.lower()}; only available stock can be "
                                   "selected.")
        pieces, weight = _pick_amounts(pick, item)
        grams = to_grams(weight, item.weight_unit)
        _check_need(line, reference, item, pieces, grams, need, taken)
        taken += Amount(pieces, grams)
        planned.append((item.id, pieces, weight))
    created = []
    with session.begin_nested():
        for item_id, pieces, weight in sorted(planned, key=lambda plan: plan[0]):  # one lock order: no deadlock
            issued = stock.issue(session, actor=actor, right=Right.EDIT_ORDERS, item_id=item_id, reference=reference,
                                 quantity=pieces, weight=weight, note=f"selected for {reference}")
            row = OrderSelection(line_id=line.id, item_id=item_id, quantity=issued.quantity, weight=issued.weight,
                                 weight_unit=issued.weight_unit, weight_g=to_grams(issued.weight, issued.weight_unit),
                                 issue_movement_id=issued.movement_id, selected_by_id=actor.user_id)
            session.add(row)
            session.flush()
            created.append(row.id)
            audit.record(session, actor_id=actor.user_id, action="select stock", entity="order", entity_id=order.id,
                         new={"line": line.position, "selection_id": row.id, "item_id": item_id,
                              "tag_id": issued.tag_id, "quantity": issued.quantity, "weight": issued.weight,
                              "unit": issued.weight_unit})
        if mark_ready and not line.ready:
            line.ready = True
            audit.record(session, actor_id=actor.user_id, action="mark line ready", entity="order",
                         entity_id=order.id, new={"line": line.position})
        refresh(session, order, actor.user_id)
    return created


def active_selection_ids(session: Session, line_id: int) -> list[int]:
    """Ids of a line's selections that still hold stock, by item (the order items are locked in everywhere)."""
    return list(session.scalars(select(OrderSelection.id).where(OrderSelection.line_id == line_id,
                                                                OrderSelection.released_at.is_(None))
                                .order_by(OrderSelection.item_id, OrderSelection.id)))


def remove_selection(session: Session, *, actor: Actor, selection_id: int, reason: str = "removed") -> int:
    """Give a selection's stock back to its item through the ledger (admins); returns the RETURN movement id.

    Refused when the line would hold less selected stock than it has shipped.
    """
    row = session.get(OrderSelection, int(selection_id))
    if row is None:
        raise NotFound("No such selection.")
    order, line = line_for_write(session, actor, row.line_id, OrderKind.SALES)
    session.refresh(row)
    if row.released_at is not None:
        raise ValidationFailed("That selection was already removed.")
    reference = line_reference(order, line)
    if session.scalar(select(ShipmentItem.id).where(ShipmentItem.selection_id == row.id).limit(1)) is not None:
        raise ValidationFailed(f"{reference}: stock of this selection was shipped, so it can no longer be removed "
                               "(close the line short, or record a return).")
    returned = stock.return_issued(session, actor=actor, right=Right.EDIT_ORDERS, item_id=row.item_id,
                                   reference=reference, quantity=row.quantity, weight=row.weight,
                                   note=f"{reason} ({reference})")
    row.released_at = utcnow()
    row.released_by_id = actor.user_id
    row.release_movement_id = returned.movement_id
    row.release_reason = reason[:40]
    audit.record(session, actor_id=actor.user_id, action="remove selection", entity="order", entity_id=order.id,
                 new={"line": line.position, "selection_id": row.id, "item_id": row.item_id,
                      "tag_id": returned.tag_id, "quantity": row.quantity, "weight": row.weight,
                      "unit": row.weight_unit, "reason": reason})
    refresh(session, order, actor.user_id)
    return returned.movement_id
