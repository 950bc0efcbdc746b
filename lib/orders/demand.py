"""A product's open sales demand and incoming purchases, for the Product Details page and the AI facts.

- Open demand: over the product's sales lines that are neither cancelled nor
  closed short, what is
  still neither selected nor shipped (shipping needs a selection, so this is
  ordered - selected), per line never below zero, in pieces and grams; a
  remainder within the line's closing tolerance (`fulfilment.slack`) is none.
- Incoming: over the product's purchase lines that are not cancelled, what is
  ordered and not yet received, per line never below zero.

Orders belong to the workspace, not to a location, so both figures are the
workspace's; they are shown to the people who may see orders (admins and
managers), for a product they may see, and to nobody else (members have no
orders). Sums are exact Decimals (the lines of one product are few).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.access import Actor, Right
from lib.models import Order, OrderKind, OrderLine
from lib.orders.fulfilment import Amount, outstanding
from lib.orders.lines import amounts, ordered, tolerance
from lib.products.catalog import get_product_in_scope


@dataclass(frozen=True)
class Open:
    """Open lines of one kind for a product and what they still need (pieces and grams)."""

    lines: int
    orders: int
    pieces: int
    grams: Decimal


@dataclass(frozen=True)
class ProductOrders:
    demand: Open  # sales: ordered, not yet selected or shipped
    incoming: Open  # purchases: ordered, not yet received


def _open(session: Session, product_id: int, kind: OrderKind) -> Open:
    rows = list(session.execute(
        select(OrderLine, Order.id).join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.product_id == product_id, Order.kind == kind, OrderLine.cancelled_at.is_(None))))
    done = amounts(session, [line.id for line, _order in rows])
    total, lines, orders = Amount(), 0, set()
    for line, order_id in rows:
        if line.closed_short_at is not None:
            continue
        covered = done[line.id].selected if kind is OrderKind.SALES else done[line.id].received
        left = outstanding(ordered(line), covered, tolerance(line))
        if not left.is_zero:
            total += left
            lines += 1
            orders.add(order_id)
    return Open(lines, len(orders), total.pieces, total.grams)


def product_orders(session: Session, *, actor: Actor, product_id: int) -> ProductOrders:
    """Open sales demand and incoming purchases of a product the actor may see (admins and managers)."""
    actor.require(Right.VIEW_ORDERS)
    product = get_product_in_scope(session, actor=actor, product_id=product_id)
    return ProductOrders(_open(session, product.id, OrderKind.SALES), _open(session, product.id, OrderKind.PURCHASE))
