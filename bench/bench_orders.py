"""Orders benchmarks (run by `make bench`), on the demo's own orders (lib.demo.orders), as the demo admin.

- order_page_ms: `lib.orders.detail.order_detail` of the sales order with the most lines: header, lines
  with amounts, matching stock per line (a count over the product's items in scope), selections, shipments
  and the timeline; each run in its own session as a page rerun would be. Median of 5 after one warm-up.
- order_list_ms: `lib.orders.listing.list_orders`, the first page of sales orders with the count.
- select_and_remove_ms: `selection.select_items` of one piece from the first matching item, then
  `selection.remove_selection`, in one write transaction that is rolled back (the bench database stays as
  built): the ledger writes, locks and the status refresh of a real click, twice.
- product_orders_ms: `lib.orders.demand.product_orders` (the Product Details line) for that order's product.

Measured on the large demo (200,000 items), with the small demo's figure in the note.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.run import BenchContext, Result, median_ms
from lib import db
from lib.access import actor_for_user
from lib.models import Order, OrderKind, OrderLine, User
from lib.orders import demand, detail, listing, selection

PAGE_TARGET_MS = 300
WRITE_TARGET_MS = 300


def _subject(engine) -> tuple:
    """The admin, the sales order with the most lines, its first line and product."""
    with db.session_scope(engine) as session:
        admin = actor_for_user(session, session.scalar(select(User.id).where(User.username == "admin")))
        order_id = session.execute(
            select(Order.id).join(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.kind == OrderKind.SALES).group_by(Order.id)
            .order_by(func.count(OrderLine.id).desc(), Order.id)).scalars().first()
        line = session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)
                               .order_by(OrderLine.position)).first()
        return admin, order_id, line.id, line.product_id


def _figures(engine) -> dict[str, float]:
    admin, order_id, line_id, product_id = _subject(engine)

    def page():
        with db.session_scope(engine) as session:
            detail.order_detail(session, actor=admin, order_id=order_id)

    def orders_list():
        with db.session_scope(engine) as session:
            listing.list_orders(session, actor=admin, kind=OrderKind.SALES, filters=listing.OrderFilters(),
                                page=listing.OrderPage())

    def select_and_remove():
        session = Session(bind=db.writer(engine))
        try:
            item_id = next(row["id"] for row in selection.candidates(session, actor=admin, line_id=line_id,
                                                                    same_attributes=False, limit=20)
                           if row["quantity"] >= 1)
            (made,) = selection.select_items(session, actor=admin, line_id=line_id, picks=[
                selection.Pick(item_id, full=False, quantity=1, weight="0")])
            selection.remove_selection(session, actor=admin, selection_id=made)
        finally:
            session.rollback()
            session.close()

    def product_line():
        with db.session_scope(engine) as session:
            demand.product_orders(session, actor=admin, product_id=product_id)

    return {"order_page_ms": median_ms(page), "order_list_ms": median_ms(orders_list),
            "select_and_remove_ms": median_ms(select_and_remove), "product_orders_ms": median_ms(product_line)}


def run(context: BenchContext) -> list[Result]:
    large, small = _figures(context.large), _figures(context.small)
    targets = {"order_page_ms": PAGE_TARGET_MS, "order_list_ms": PAGE_TARGET_MS,
               "select_and_remove_ms": WRITE_TARGET_MS, "product_orders_ms": PAGE_TARGET_MS}
    return [Result(key, value, "ms", targets[key], note=f"small demo: {small[key]:.1f} ms")
            for key, value in large.items()]
