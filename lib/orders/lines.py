"""What every change to an order shares: finding and locking it, a line's amounts, and the status refresh.

Every write of lib.orders starts with `order_for_write` (or `line_for_write`):
the right is checked, the order row is locked (SELECT ... FOR UPDATE on
PostgreSQL; SQLite's write transaction already serialises writers), so two
people changing one order queue and each sees the other's result. Locks are
always taken order first, then items by id, so two orders touching the same
items never wait on each other in a circle. Every write ends with `refresh`,
which derives the statuses (`lib.orders.fulfilment`) from the link tables and
caches them on the rows; a change of the order's fulfilment is written to the
audit log, so it shows in the order's timeline.

Production feeds two facts per sales line (`production_facts`, read from the
production jobs table; lib.production, which links jobs to lines, calls
`refresh` after every change to a linked job, with the order locked the same
way, job first, then order, then items):

- in production: at least one open job (not completed, not cancelled) is
  linked to the line, planned ones included;
- production completed: at least one linked job is completed and none is open.

Cancelled jobs count for nothing: they gave their stock back and made nothing,
so a line whose only job was cancelled is where it was before the job.

A line's ledger reference is "<order number> line <n>" (e.g. "SO-0012 line
2"): unique per line, read by people in an item's history, never parsed back.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.errors import NotFound, ValidationFailed
from lib.models import (
    Fulfilment,
    JobStatus,
    Order,
    OrderKind,
    OrderLine,
    OrderReturn,
    OrderSelection,
    ProductionJob,
    PurchaseReceipt,
    ShipmentLine,
)
from lib.orders.fulfilment import Amount, LineFacts, line_status, order_fulfilment, slack
from lib.units import format_weight, from_grams

ORDER_NOT_FOUND = "No such order."
LINE_NOT_FOUND = "No such order line."


def line_reference(order: Order, line: OrderLine) -> str:
    """The reference stock movements carry for this line, e.g. "SO-0012 line 2"."""
    return f"{order.number} line {line.position}"


def ordered(line: OrderLine) -> Amount:
    """What the line asks for, in pieces and grams."""
    return Amount(line.quantity, Decimal(line.weight_g))


def tolerance(line: OrderLine) -> Decimal:
    """The grams below which the line's remainder counts as covered (`lib.orders.fulfilment.slack`)."""
    return slack(line.weight_unit)


def amount_text(quantity: int, weight: Decimal | None, symbol: str) -> str:
    """"2 pcs, 5.10 g", "2 pcs" or "5.10 g": the parts that are not zero ("—" when both are)."""
    parts = []
    if quantity:
        parts.append(f"{quantity:,} pc{'s' if quantity != 1 else ''}")
    if weight:
        parts.append(format_weight(weight, symbol))
    return ", ".join(parts) or "—"


def line_amount_text(line: OrderLine, amount: Amount) -> str:
    """An amount of a line in the line's own weight unit, e.g. "3 pcs, 6.20 ct"."""
    return amount_text(amount.pieces, from_grams(amount.grams, line.weight_unit), line.weight_unit)


def lock_order(session: Session, order_id: int) -> Order:
    """The order with a row lock (a fresh copy); NotFound when it does not exist."""
    stmt = (select(Order).where(Order.id == order_id).with_for_update()
            .execution_options(populate_existing=True))
    order = session.scalars(stmt).one_or_none()
    if order is None:
        raise NotFound(ORDER_NOT_FOUND)
    return order


def order_for_write(session: Session, actor: Actor, order_id: int, kind: OrderKind | None = None) -> Order:
    """Check the right to change orders, then lock the order (of `kind`, when given)."""
    actor.require(Right.EDIT_ORDERS)
    order = lock_order(session, int(order_id))
    if kind is not None and order.kind is not kind:
        raise ValidationFailed(f"{order.number} is a {order.kind.label.lower()}, not a {kind.label.lower()}.")
    return order


def line_for_write(session: Session, actor: Actor, line_id: int,
                   kind: OrderKind | None = None) -> tuple[Order, OrderLine]:
    """Check the right, lock the line's order, and return both (the line fresh from the database)."""
    actor.require(Right.EDIT_ORDERS)
    order_id = session.scalar(select(OrderLine.order_id).where(OrderLine.id == int(line_id)))
    if order_id is None:
        raise NotFound(LINE_NOT_FOUND)
    order = order_for_write(session, actor, order_id, kind)
    line = session.scalars(select(OrderLine).where(OrderLine.id == int(line_id))
                           .execution_options(populate_existing=True)).one()
    return order, line


def require_active_line(order: Order, line: OrderLine) -> None:
    """Cancelled lines take no further action."""
    if line.cancelled_at is not None:
        raise ValidationFailed(f"{line_reference(order, line)} is cancelled.")


def require_not_on_hold(order: Order) -> None:
    """Orders on hold take no stock actions (select, receive, ship) until released."""
    if order.on_hold:
        raise ValidationFailed(f"{order.number} is on hold; release it first.")


@dataclass(frozen=True)
class LineAmounts:
    """What happened to a line so far, in pieces and grams."""

    selected: Amount = Amount()  # selections not released, less what a short-close gave back
    shipped: Amount = Amount()
    received: Amount = Amount()
    returned: Amount = Amount()  # shipped goods received back (sales)


NAMES = ("selected", "shipped", "received", "returned")


def amounts(session: Session, line_ids: list[int]) -> dict[int, LineAmounts]:
    """Selected, shipped, received and returned amounts per line (summed here, exactly, from the link rows)."""
    if not line_ids:
        return {}
    sums: dict[str, dict[int, Amount]] = {name: defaultdict(Amount) for name in NAMES}
    sources = (
        ("returned", select(OrderReturn.line_id, OrderReturn.quantity, OrderReturn.weight_g)
         .where(OrderReturn.line_id.in_(line_ids))),
        ("shipped", select(ShipmentLine.line_id, ShipmentLine.quantity, ShipmentLine.weight_g)
         .where(ShipmentLine.line_id.in_(line_ids))),
        ("received", select(PurchaseReceipt.line_id, PurchaseReceipt.quantity, PurchaseReceipt.weight_g)
         .where(PurchaseReceipt.line_id.in_(line_ids))),
    )
    for name, stmt in sources:
        for line_id, quantity, grams in session.execute(stmt):
            sums[name][line_id] += Amount(int(quantity), Decimal(str(grams)))
    for line_id, quantity, grams, short_quantity, short_grams in session.execute(
            select(OrderSelection.line_id, OrderSelection.quantity, OrderSelection.weight_g,
                   OrderSelection.short_quantity, OrderSelection.short_weight_g)
            .where(OrderSelection.line_id.in_(line_ids), OrderSelection.released_at.is_(None))):
        sums["selected"][line_id] += Amount(int(quantity) - int(short_quantity or 0),
                                            Decimal(str(grams)) - Decimal(str(short_grams or 0)))
    return {line_id: LineAmounts(*(sums[name][line_id] for name in NAMES)) for line_id in line_ids}


@dataclass(frozen=True)
class ProductionFacts:
    """What the production jobs linked to a line say about it (rules in the module docstring)."""

    in_production: bool = False
    production_completed: bool = False


def production_facts(session: Session, line_ids: list[int]) -> dict[int, ProductionFacts]:
    """Per line, from the jobs linked to it: in production (an open job) or production completed (completed
    jobs only). Lines without linked jobs (or with cancelled ones only) are absent."""
    if not line_ids:
        return {}
    stmt = (select(ProductionJob.order_line_id, ProductionJob.closed_as, func.count(ProductionJob.id))
            .where(ProductionJob.order_line_id.in_(line_ids))
            .group_by(ProductionJob.order_line_id, ProductionJob.closed_as))
    counts: dict[int, dict[JobStatus | None, int]] = defaultdict(dict)
    for line_id, closed_as, count in session.execute(stmt):
        counts[line_id][closed_as] = int(count)
    return {line_id: ProductionFacts(in_production=by_state.get(None, 0) > 0,
                                     production_completed=(by_state.get(None, 0) == 0
                                                           and by_state.get(JobStatus.COMPLETED, 0) > 0))
            for line_id, by_state in counts.items()}


def facts(order: Order, line: OrderLine, done: LineAmounts, production: ProductionFacts = ProductionFacts()
          ) -> LineFacts:
    """The facts the pure derivation needs for one line."""
    return LineFacts(kind=order.kind, ordered=ordered(line), cancelled=line.cancelled_at is not None,
                     ready=line.ready, selected=done.selected, shipped=done.shipped, received=done.received,
                     in_production=production.in_production,
                     production_completed=production.production_completed, tolerance=tolerance(line),
                     closed_short=line.closed_short_at is not None, returned=done.returned)


def order_lines(session: Session, order_id: int) -> list[OrderLine]:
    """The order's lines by position (fresh from the database)."""
    return list(session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)
                                .order_by(OrderLine.position).execution_options(populate_existing=True)))


def refresh(session: Session, order: Order, actor_id: int | None) -> Fulfilment:
    """Derive every line's status and the order's fulfilment again and store them; audit a fulfilment change."""
    session.flush()
    lines = order_lines(session, order.id)
    done = amounts(session, [line.id for line in lines])
    production = production_facts(session, [line.id for line in lines]) if order.kind is OrderKind.SALES else {}
    for line in lines:
        line.status = line_status(facts(order, line, done[line.id], production.get(line.id, ProductionFacts())))
    fulfilment = order_fulfilment([line.status for line in lines], on_hold=order.on_hold)
    if fulfilment is not order.fulfilment:
        audit.record(session, actor_id=actor_id, action="fulfilment changed", entity="order", entity_id=order.id,
                     old={"fulfilment": order.fulfilment}, new={"fulfilment": fulfilment})
        order.fulfilment = fulfilment
    session.flush()
    return fulfilment

