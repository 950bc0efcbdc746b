"""Report benchmarks (run by `make bench`): every report over the last 365 days on the large demo, as an admin
(who sees every location: the most rows), as the /reports page reads it.

- report_<name>_ms (target 300 ms each): the lib calls of one report view, median of 5 runs after one warm-up,
  each in its own read transaction as a page rerun would be:
  stock-summary (stock_held), stock-movement (daily totals + the first log page of 500), low-stock
  (reorder levels against stock_held; a level is set on every product first, in the copy), production-summary
  (+ the 100 jobs most above norm), loss-by-person, stage-performance, waste-log (newest 1,000 events), order-summary
  (+ open demand).

Reads the large demo in place; the reorder levels exist only inside the low-stock measurement's own transaction,
which is rolled back. `measure(engine)` times one database (the small-demo smoke run uses it too).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.run import BenchContext, Result, median_ms
from lib import db
from lib.access import actor_for_user
from lib.models import Product, ReorderLevel, Role, User
from lib.reports import dates, orders, production, stock
from lib.reports.common import ReportFilters

TARGET_MS = 300
DAYS = 365


def _low_stock_ms(engine, admin, repeat: int) -> tuple[float, int]:
    """low_stock with a reorder level of 1 kg on every product (no location, any kind), in a transaction that
    is rolled back afterwards, so the demo keeps no level."""
    session = Session(bind=engine)
    try:
        products = list(session.scalars(select(Product.id)))
        session.add_all([ReorderLevel(product_id=product_id, min_weight_g=1000) for product_id in products])
        session.flush()
        return median_ms(lambda: stock.low_stock(session, actor=admin), repeat=repeat), len(products)
    finally:
        session.rollback()
        session.close()


def _views(admin, period):
    none = ReportFilters()
    return {
        "stock-summary": lambda s: stock.stock_summary(s, actor=admin, filters=none),
        "stock-movement": lambda s: (stock.stock_movement(s, actor=admin, period=period),
                                     stock.movement_log(s, actor=admin, period=period, limit=stock.LOG_PAGE + 1)),
        "production-summary": lambda s: (production.production_summary(s, actor=admin, period=period),
                                         production.jobs_above_norm(s, actor=admin, period=period, limit=101)),
        "loss-by-person": lambda s: production.loss_by_person(s, actor=admin, period=period),
        "stage-performance": lambda s: production.stage_performance(s, actor=admin, period=period),
        "waste-log": lambda s: production.waste_log(s, actor=admin, period=period, limit=1001),
        "order-summary": lambda s: (orders.order_summary(s, actor=admin, period=period),
                                    orders.open_demand(s, actor=admin)),
    }


def measure(engine, repeat: int = 5) -> list[Result]:
    with db.session_scope(engine) as session:
        admin = actor_for_user(session, session.scalar(select(User.id).where(User.role == Role.ADMIN,
                                                                             User.active).order_by(User.id)))
    today = dates.today_utc()
    period = dates.DateRange(today - timedelta(days=DAYS - 1), today)
    results = []
    for name, view in _views(admin, period).items():
        def call(view=view):
            with db.session_scope(engine) as session:
                view(session)
        results.append(Result(f"report_{name.replace('-', '_')}_ms", median_ms(call, repeat=repeat), "ms",
                              TARGET_MS, f"{DAYS} days, admin"))
    low_ms, levels = _low_stock_ms(engine, admin, repeat)
    results.insert(2, Result("report_low_stock_ms", low_ms, "ms", TARGET_MS, f"{levels:,} reorder levels, admin"))
    return results


def run(context: BenchContext) -> list[Result]:
    return measure(context.large, repeat=context.repeats(5))
