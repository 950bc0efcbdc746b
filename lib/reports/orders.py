"""Order reports (issue 18): orders created, completed and open per period, sales lines shipped on time or late
against their order's date required, and the open demand by product.

Decisions (docs/reports.md):
- Sales orders only (purchase orders are what we buy; their receiving is not a fulfilment rate).
- Orders are workspace-wide (as on /orders): admins and managers see every order, members none; no
  customer appears in these rows, so managers see the whole report. A location filter does not apply.
- Created / completed / open are a cohort: the orders created in each period, and how many of them are
  completed or still open today (not completed, not cancelled).
- Completed: every active line done (fulfilment Completed, or done and then partly or all returned).
- A line counts as shipped in the period of its last shipment, once done: fully shipped, closed short (the
  rest closed with a reason) or returned after shipping; on time when that day is on or before its order's
  date required, late after it, "no date" when the order has none.
- Open demand: lines not done and not cancelled of orders neither done nor cancelled, less what was already
  shipped of them, per product; overdue when the order's date required has passed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from lib.access import Actor, Right
from lib.enums import Fulfilment, LineStatus, OrderKind
from lib.errors import ValidationFailed
from lib.models import Order, OrderLine, Product, Shipment, ShipmentLine
from lib.reports.common import ReportFilters, as_date, grams, period_expression
from lib.reports.dates import DateRange, today_utc

_DONE = (Fulfilment.COMPLETED, Fulfilment.PARTIALLY_RETURNED, Fulfilment.ALL_RETURNED)  # shipped in full
_CLOSED = (*_DONE, Fulfilment.CANCELLED)
_SHIPPED_LINES = (LineStatus.SHIPPED, LineStatus.CLOSED_SHORT, LineStatus.RETURNED, LineStatus.PARTIALLY_RETURNED)


@dataclass(frozen=True)
class OrderPeriodRow:
    period: date
    orders_created: int
    orders_completed: int
    orders_open: int
    orders_cancelled: int
    lines_on_time: int
    lines_late: int
    lines_no_date: int

    @property
    def on_time_pct(self) -> Decimal | None:
        dated = self.lines_on_time + self.lines_late
        return (Decimal(self.lines_on_time) * 100 / dated).quantize(Decimal("0.1")) if dated else None


@dataclass(frozen=True)
class DemandRow:
    product_id: int
    product: str
    lines: int
    open_pieces: int
    open_weight_g: Decimal
    overdue_lines: int


def _prepare(actor: Actor, filters: ReportFilters) -> None:
    actor.require(Right.VIEW_ORDERS)
    if filters.location_id is not None:
        raise ValidationFailed("Order reports cover the whole workspace: leave the location out.")


def order_summary(session: Session, *, actor: Actor, period: DateRange, filters: ReportFilters = ReportFilters(),
                  size: str = "month") -> list[OrderPeriodRow]:
    """Per period: sales orders created (and how many of them are completed, open, cancelled today), and the
    sales lines whose last shipment fell in the period, on time or late against the date required."""
    _prepare(actor, filters)
    created_period = period_expression(session, Order.ordered_on, size, is_date=True).label("period")
    created = (select(created_period, func.count(Order.id),
                      func.count(Order.id).filter(Order.fulfilment.in_(_DONE)),
                      func.count(Order.id).filter(Order.fulfilment.not_in(_CLOSED)),
                      func.count(Order.id).filter(Order.fulfilment == Fulfilment.CANCELLED))
               .where(Order.kind == OrderKind.SALES, Order.ordered_on >= period.start,
                      Order.ordered_on <= period.end)
               .group_by(created_period))
    if filters.product_id is not None:
        created = created.where(select(OrderLine.id).where(OrderLine.order_id == Order.id,
                                                           OrderLine.product_id == filters.product_id).exists())
    last = (select(ShipmentLine.line_id, func.max(Shipment.shipped_on).label("shipped_on"))
            .join(Shipment, Shipment.id == ShipmentLine.shipment_id).group_by(ShipmentLine.line_id).subquery())
    shipped_period = period_expression(session, last.c.shipped_on, size, is_date=True).label("period")
    timing = case((Order.date_required.is_(None), "none"), (last.c.shipped_on <= Order.date_required, "on_time"),
                  else_="late")
    shipped = (select(shipped_period, timing, func.count(OrderLine.id))
               .join(OrderLine, OrderLine.id == last.c.line_id).join(Order, Order.id == OrderLine.order_id)
               .where(Order.kind == OrderKind.SALES, OrderLine.status.in_(_SHIPPED_LINES),
                      last.c.shipped_on >= period.start, last.c.shipped_on <= period.end)
               .group_by(shipped_period, timing))
    if filters.product_id is not None:
        shipped = shipped.where(OrderLine.product_id == filters.product_id)
    figures: dict[date, dict] = {}
    blank = dict(orders_created=0, orders_completed=0, orders_open=0, orders_cancelled=0, lines_on_time=0,
                 lines_late=0, lines_no_date=0)
    for when, count, completed, open_, cancelled in session.execute(created):
        figures.setdefault(as_date(when), dict(blank)).update(
            orders_created=count, orders_completed=completed, orders_open=open_, orders_cancelled=cancelled)
    names = {"on_time": "lines_on_time", "late": "lines_late", "none": "lines_no_date"}
    for when, kind, count in session.execute(shipped):
        figures.setdefault(as_date(when), dict(blank))[names[kind]] = count
    return [OrderPeriodRow(period=when, **values) for when, values in sorted(figures.items())]


def open_demand(session: Session, *, actor: Actor, filters: ReportFilters = ReportFilters(),
                today: date | None = None) -> list[DemandRow]:
    """What open sales lines still ask for, per product: pieces and grams not yet shipped, and overdue lines."""
    _prepare(actor, filters)
    today = today or today_utc()
    sent = (select(ShipmentLine.line_id, func.sum(ShipmentLine.quantity).label("pieces"),
                   func.sum(ShipmentLine.weight_g).label("weight_g"))
            .group_by(ShipmentLine.line_id).subquery())
    overdue = func.count(OrderLine.id).filter(Order.date_required < today)
    stmt = (select(Product.id, Product.name, func.count(OrderLine.id),
                   func.sum(OrderLine.quantity - func.coalesce(sent.c.pieces, 0)),
                   func.sum(OrderLine.weight_g - func.coalesce(sent.c.weight_g, 0)), overdue)
            .join(Order, Order.id == OrderLine.order_id).join(Product, Product.id == OrderLine.product_id)
            .outerjoin(sent, sent.c.line_id == OrderLine.id)
            .where(Order.kind == OrderKind.SALES, Order.fulfilment.not_in(_CLOSED),
                   OrderLine.status.not_in((*_SHIPPED_LINES, LineStatus.CANCELLED)))
            .group_by(Product.id, Product.name).order_by(Product.name))
    if filters.product_id is not None:
        stmt = stmt.where(OrderLine.product_id == filters.product_id)
    return [DemandRow(product_id=row[0], product=row[1], lines=row[2], open_pieces=max(int(row[3] or 0), 0),
                      open_weight_g=max(grams(row[4]), Decimal(0)), overdue_lines=row[5])
            for row in session.execute(stmt)]
