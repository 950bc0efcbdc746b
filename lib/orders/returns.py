"""Closing a sales line short and receiving shipped goods back (reference 3.9.2/3.9.3: Returned, Partially
Returned).

- **Close short** (`close_short`): a partially shipped line the customer no
  longer wants in full is closed with a reason. Selections nothing was shipped
  from are removed (their stock goes back, as a removal does); of a selection
  shipped in part, the unshipped rest goes back to its item (a RETURN movement
  under the line's reference, remembered on the selection as `short_*`). The
  line reads "Closed Short", counts as done (the order can complete) and its
  demand is gone. Refused: a line with nothing shipped (cancel it instead), a
  fully shipped or cancelled line, a reason that is empty or only spaces.
- **Return** (`receive_return`): goods shipped from a selection come back from
  the customer into that selection's item (a RETURN movement naming the line,
  through `lib.inventory.stock.return_issued`, which restores the item when it
  was archived meanwhile), with a reason, at most what was shipped from it and
  not yet returned. Amounts are in the item's unit; both blank returns all that
  is returnable; returning the last pieces (or the whole weight of a
  weight-only line) brings the rest of the other measure with it. A return does
  not reopen the line: once the line is done it reads Returned (everything that
  shipped came back) or Partially Returned; a replacement is a new line.

Both are admin writes on the locked order, audited on the order (its timeline),
and end with the status refresh.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.errors import NotFound, ValidationFailed
from lib.inventory import stock
from lib.inventory.forms import as_validation, clean_text
from lib.models import OrderKind, OrderReturn, OrderSelection, utcnow
from lib.orders import selection as selections
from lib.orders.fulfilment import covers
from lib.orders.lines import amounts, line_for_write, line_reference, ordered, refresh, require_active_line, tolerance
from lib.orders.shipments import complete_rest, held, parse_amounts
from lib.units import to_grams

MAX_REASON = 500


def _reason(raw, what: str) -> str:
    why = as_validation(clean_text, raw, "Reason", MAX_REASON)
    if not why:
        raise ValidationFailed(f"Give a reason for {what}.")
    return why


def close_short(session: Session, *, actor: Actor, line_id: int, reason: str) -> None:
    """Close the unshipped rest of a partially shipped sales line with a reason (admins); see the module doc."""
    order, line = line_for_write(session, actor, line_id, OrderKind.SALES)
    require_active_line(order, line)
    reference = line_reference(order, line)
    why = _reason(reason, f"closing {reference} short")
    if line.closed_short_at is not None:
        raise ValidationFailed(f"{reference} is already closed short.")
    done = amounts(session, [line.id])[line.id]
    if done.shipped.is_zero:
        raise ValidationFailed(f"{reference} has shipped nothing yet, so it cannot be closed short; cancel the line "
                               "instead.")
    if covers(ordered(line), done.shipped, tolerance(line)):
        raise ValidationFailed(f"{reference} is fully shipped; nothing is left to close.")
    given_back = []
    with session.begin_nested():
        for hold in sorted(held(session, [line.id]), key=lambda h: (h.item_id, h.id)):  # items in id order
            if hold.shipped_pieces == 0 and hold.shipped_weight == 0:
                selections.remove_selection(session, actor=actor, selection_id=hold.id, reason="closed short")
                given_back.append(hold.id)
                continue
            pieces, weight = hold.unshipped
            if pieces == 0 and weight == 0:
                continue
            moved = stock.return_issued(session, actor=actor, right=Right.EDIT_ORDERS, item_id=hold.item_id,
                                        reference=reference, quantity=pieces, weight=weight,
                                        note=f"closed short ({reference})")
            row = session.get(OrderSelection, hold.id)
            row.short_quantity = (row.short_quantity or 0) + pieces
            row.short_weight = weight + (row.short_weight or 0)
            row.short_weight_g = to_grams(row.short_weight, row.weight_unit)
            row.short_movement_id = moved.movement_id
            given_back.append(hold.id)
        line.closed_short_at = utcnow()
        line.closed_short_by_id = actor.user_id
        line.close_reason = why
        audit.record(session, actor_id=actor.user_id, action="close line short", entity="order", entity_id=order.id,
                     new={"line": line.position, "reason": why, "returned": len(given_back)})
        refresh(session, order, actor.user_id)


def receive_return(session: Session, *, actor: Actor, selection_id: int, reason: str, quantity=None,
                   weight=None) -> int:
    """Receive goods shipped from a selection back into its item (admins); returns the `OrderReturn` id."""
    row = session.get(OrderSelection, int(selection_id))
    if row is None:
        raise NotFound("No such selection.")
    order, line = line_for_write(session, actor, row.line_id, OrderKind.SALES)
    reference = line_reference(order, line)
    hold = next((h for h in held(session, [line.id]) if h.id == row.id), None)
    if hold is None:
        raise ValidationFailed(f"That selection of {reference} was removed; nothing of it was shipped.")
    left_pieces, left_weight = hold.returnable
    if left_pieces == 0 and left_weight == 0:
        raise ValidationFailed(f"{reference}: nothing shipped from {hold.tag} is waiting to come back "
                               f"(shipped {hold.text(hold.shipped_pieces, hold.shipped_weight)}, returned "
                               f"{hold.text(hold.returned_pieces, hold.returned_weight)}).")
    if quantity in (None, "") and weight in (None, ""):
        pieces, part = left_pieces, left_weight
    else:
        pieces, part = parse_amounts(f"{reference}, {hold.tag}", quantity, weight)
    if pieces == 0 and part == 0:
        raise ValidationFailed("Enter the pieces and/or weight that came back.")
    if pieces > left_pieces or part > left_weight:
        raise ValidationFailed(f"{reference}: only {hold.text(left_pieces, left_weight)} shipped from {hold.tag} "
                               f"has not come back, so {hold.text(pieces, part)} cannot be returned.")
    why = _reason(reason, "the return")
    pieces, part = complete_rest(hold.counts_pieces, pieces, part, left_pieces, left_weight)
    moved = stock.return_issued(session, actor=actor, right=Right.EDIT_ORDERS, item_id=hold.item_id,
                                reference=reference, quantity=pieces, weight=part,
                                note=f"returned by the customer: {why}")
    back = OrderReturn(line_id=line.id, selection_id=hold.id, item_id=hold.item_id, movement_id=moved.movement_id,
                       quantity=pieces, weight=part, weight_unit=hold.weight_unit,
                       weight_g=to_grams(part, hold.weight_unit), reason=why, returned_by_id=actor.user_id)
    session.add(back)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="receive return", entity="order", entity_id=order.id,
                 new={"line": line.position, "return_id": back.id, "selection_id": hold.id, "item_id": hold.item_id,
                      "tag_id": moved.tag_id, "quantity": pieces, "weight": str(part), "unit": hold.weight_unit,
                      "reason": why})
    refresh(session, order, actor.user_id)
    return back.id
