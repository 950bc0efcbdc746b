"""Valuation benchmarks (issue 19 item 6), as an admin (every location: the most rows).

The large demo carries cost components on only a few dozen items (lib/demo/costing.py), which would make any
figure meaningless. So, inside one transaction that is rolled back afterwards (the demo keeps nothing), every
held item whose id is a multiple of STEP gets components by bulk insert: its metal (a gold rate, 80 % of its
weight, or 1 g), one setting (per piece), and on one in four a workshop overhead (percent); when the demo has no
such rate profiles (a demo built before costing), they are made in the same transaction with 90 daily prices.
The planner statistics are refreshed inside the transaction too. Then, median of 5 after a warm-up:

- report_valuation_ms (target 1,000 ms): the valuation report as of today (`lib.reports.valuation.valuation`:
  ledger balances of the costed items, every group of product, kind and location);
- report_valuation_past_ms (target 1,000 ms): the same as of 30 days ago (the rate versions then in force);
- value_held_home_ms (target 300 ms): the Home card (`value_held` over every held item);
- product_details_value_ms (target 50 ms, Product Details' own target): the value card of the product with the
  most items, one kind, as the page asks for it.

And, before the bulk insert, on the demo as built (components on a few dozen items):
- product_details_with_value_ms (target 50 ms, as product_details_ms): bench_product_details' default view (the
  page's lib calls) plus the value card, in one read transaction.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from bench.run import BenchContext, Result, median_ms
from lib import db
from lib.access import actor_for_user
from lib.costing import cost_prices
from lib.costing import valuation as costing
from lib.enums import ComponentType, RateBasis
from lib.inventory.query import ItemFilters
from lib.models import (IN_STOCK, CostComponent, InventoryItem, RateProfile, RateVersion, Role, User, utcnow)
from lib.reports import valuation as report

STEP = 3  # every third held item carries components: about 58,000 items and 160,000 components at the large demo
SMOKE_STEP = 50
PROFILES = (("Bench gold 18K", ComponentType.METAL, RateBasis.GRAM, Decimal("96")),
            ("Bench setting", ComponentType.LABOR, RateBasis.PIECE, Decimal("19.5")),
            ("Bench overhead", ComponentType.OVERHEAD, RateBasis.PERCENT, Decimal("12")))


def _profiles(session: Session) -> list[int]:
    """Three bench rate profiles with a price every day for 90 days (in the transaction)."""
    now = utcnow().replace(microsecond=0)
    ids = []
    for name, kind, basis, price in PROFILES:
        profile = RateProfile(name=name, name_key=name.lower(), component_type=kind, currency="USD", basis=basis,
                              purity=Decimal("0.75") if kind is ComponentType.METAL else None)
        session.add(profile)
        session.flush()
        session.execute(insert(RateVersion), [
            {"profile_id": profile.id, "price": price * (1 + Decimal(day) / 1000), "effective_at":
             now - timedelta(days=90 - day), "recorded_at": now} for day in range(91)])
        ids.append(profile.id)
    return ids


def _costed(session: Session, step: int) -> int:
    """Components on every `step`-th held item (bulk insert); how many were made."""
    gold, setting, overhead = _profiles(session)
    held = session.execute(select(InventoryItem.id, InventoryItem.weight_g).where(IN_STOCK,
                                                                                  InventoryItem.id % step == 0))
    rows = []
    for item_id, grams in held:
        grams = Decimal(str(grams or 0))
        rows.append({"item_id": item_id, "component_type": ComponentType.METAL, "profile_id": gold,
                     "description": "", "unit": "g",
                     "quantity": (grams * Decimal("0.8")).quantize(Decimal("0.0001")) if grams > 0 else Decimal(1)})
        rows.append({"item_id": item_id, "component_type": ComponentType.LABOR, "profile_id": setting,
                     "description": "", "quantity": Decimal(1), "unit": "pcs"})
        if item_id % 4 == 0:
            rows.append({"item_id": item_id, "component_type": ComponentType.OVERHEAD, "profile_id": overhead,
                         "description": "", "quantity": Decimal(1), "unit": "%"})
    # a Core bulk insert passes no flush hook: each row's price at cost comes from the same lib function
    prices = cost_prices.prices_at_creation(session, {(row["item_id"], row["profile_id"]) for row in rows})
    for row in rows:
        row["cost_price"] = prices[(row["item_id"], row["profile_id"])]
    for start in range(0, len(rows), 20_000):
        session.execute(insert(CostComponent), rows[start:start + 20_000])
    dialect = session.get_bind().dialect.name
    session.execute(text("ANALYZE cost_components" if dialect == "postgresql" else "ANALYZE"))
    return len(rows)


def _subject(session: Session):
    """The product with the most items and its most common kind (as bench_product_details chooses)."""
    product_id = session.execute(select(InventoryItem.product_id).group_by(InventoryItem.product_id)
                                 .order_by(func.count().desc()).limit(1)).scalar_one()
    kind = session.execute(select(InventoryItem.kind).where(InventoryItem.product_id == product_id)
                           .group_by(InventoryItem.kind).order_by(func.count().desc()).limit(1)).scalar_one()
    return product_id, kind


def _page_with_value(engine, repeat: int) -> Result:
    """Product Details' default view and its value card on the demo as built."""
    from bench import bench_product_details as page

    subject = page._subject(engine)
    filters = ItemFilters(kinds=(subject.kind,))
    today = utcnow().date()

    def view():
        page.default_view(engine, subject.admin, subject.product_id, filters, today)
        with db.session_scope(engine) as session:
            costing.value_held(session, actor=subject.admin, filters=ItemFilters(
                product_ids=(subject.product_id,), kinds=(subject.kind,)))
    return Result("product_details_with_value_ms", median_ms(view, repeat=repeat), "ms", 50.0,
                  "default view + value card, the demo's own components, admin")


def measure(engine, step: int, repeat: int = 5) -> list[Result]:
    first = _page_with_value(engine, repeat)
    if engine.dialect.name == "postgresql":
        # The components an earlier run inserted and rolled back are dead rows until autovacuum comes; marking
        # their space free first keeps this run's rows in as many pages as a first run's.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM cost_components")
    session = Session(bind=engine)
    try:
        admin = actor_for_user(session, session.scalar(select(User.id).where(
            User.role == Role.ADMIN, User.active).order_by(User.id)))
        made = _costed(session, step)
        product_id, kind = _subject(session)
        month_ago = utcnow().date() - timedelta(days=30)
        card = ItemFilters(product_ids=(product_id,), kinds=(kind,))
        about = f"{made:,} components (on 1 in {step} held items), admin"
        return [
            first,
            Result("report_valuation_ms", median_ms(lambda: report.valuation(session, actor=admin), repeat=repeat),
                   "ms", 1000.0, about),
            Result("report_valuation_past_ms", median_ms(lambda: report.valuation(
                session, actor=admin, as_of=month_ago), repeat=repeat), "ms", 1000.0, f"30 days ago; {about}"),
            Result("value_held_home_ms", median_ms(lambda: costing.value_held(session, actor=admin),
                                                   repeat=repeat), "ms", 300.0, about),
            Result("product_details_value_ms", median_ms(lambda: costing.value_held(
                session, actor=admin, filters=card), repeat=repeat), "ms", 50.0,
                f"largest product, one kind; {about}"),
        ]
    finally:
        session.rollback()
        session.close()


def run(context: BenchContext) -> list[Result]:
    return measure(context.large, SMOKE_STEP if context.smoke else STEP, repeat=context.repeats(5))


if __name__ == "__main__":  # python -m bench.bench_valuation [URL]: this module alone
    import sys

    engine = db.make_engine(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///data/bench/large.db")
    for result in measure(engine, STEP):
        print(f"{result.key:28} {result.value:10.1f} {result.unit}  (target {result.target})  {result.note}")
