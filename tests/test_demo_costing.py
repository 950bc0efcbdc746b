"""The demo's costing (lib/demo/costing.py): realistic rate profiles with 90 days of prices, and components on a few
dozen items, all made through lib.costing and the same for the same seed and `now`."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib import db
from lib.costing import components, cost_prices, rates
from lib.demo import build as demo
from lib.enums import ComponentType, RateBasis
from lib.models import CostComponent, InventoryItem, OrderSelection, RateProfile, RateVersion

NOW = datetime(2026, 6, 30, 12, 0, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def built(databases):
    engine = db.make_engine(databases.new("demo-costing"))
    demo.build_demo(engine, scale="small", seed=7, progress=None, now=NOW)
    yield engine
    engine.dispose()


def test_the_demo_has_the_profiles_a_workshop_prices_with(built):
    with Session(built) as session:
        profiles = {p.name: p for p in session.scalars(select(RateProfile))}
        for name, purity in (("Gold 24K (999)", "0.999"), ("Gold 22K (916)", "0.916"), ("Gold 18K (750)", "0.75"),
                             ("Gold 14K (585)", "0.585"), ("Platinum 950", "0.95"), ("Silver 925", "0.925")):
            assert profiles[name].basis is RateBasis.GRAM and profiles[name].purity == Decimal(purity)
        kinds = {(p.component_type, p.basis) for p in profiles.values()}
        assert {(ComponentType.GEMSTONE, RateBasis.CARAT), (ComponentType.LABOR, RateBasis.PIECE),
                (ComponentType.LABOR, RateBasis.HOUR), (ComponentType.PACKAGING, RateBasis.PIECE),
                (ComponentType.OVERHEAD, RateBasis.PERCENT)} <= kinds


def test_metals_have_a_price_every_morning_for_90_days(built):
    with Session(built) as session:
        gold = session.scalars(select(RateProfile).where(RateProfile.name == "Gold 18K (750)")).one()
        moments = session.scalars(select(RateVersion.effective_at).where(RateVersion.profile_id == gold.id)
                                  .order_by(RateVersion.effective_at)).all()
        assert len(moments) == 91 and moments[-1] <= NOW and NOW - moments[0] > timedelta(days=89)
        month_ago = rates.price_as_of(session, gold.id, NOW - timedelta(days=30))
        assert month_ago is not None and month_ago != rates.price_as_of(session, gold.id, NOW)
        fine = session.scalars(select(RateProfile).where(RateProfile.name == "Gold 24K (999)")).one()
        ratio = rates.price_as_of(session, gold.id, NOW) / rates.price_as_of(session, fine.id, NOW)
        assert abs(ratio - Decimal("0.75")) < Decimal("0.001")


def test_a_few_dozen_items_carry_priced_components(built):
    with Session(built) as session:
        item_ids = session.scalars(select(CostComponent.item_id).where(CostComponent.item_id.is_not(None))
                                   .distinct()).all()
        assert 30 <= len(item_ids) <= 60  # 36 costed here, priced purchase receipts, the job's output, sold stock
        costs = components.costs_of_items(session, item_ids, NOW)
        assert all(cost.unpriced == 0 and set(cost.totals) == {"USD"} for cost in costs.values())
        assert cost_prices.verify(session) == []  # every component's price at cost, as the demo wrote them
        with_metal = [cost for cost in costs.values() if cost.fine_grams]  # metal at a rate with a purity
        sold_in_grams = session.scalars(select(InventoryItem.id).distinct()
                                        .join(OrderSelection, OrderSelection.item_id == InventoryItem.id)
                                        .where(InventoryItem.weight_unit == "g",
                                               OrderSelection.released_at.is_(None))).all()
        assert sold_in_grams and all(costs[item_id].fine_grams > 0 for item_id in sold_in_grams)
        # 24 pieces costed, one of them issued whole to the costed job since: its cost moved to the job's output;
        # and the sold stock weighed in grams
        assert len(with_metal) == 23 + len(sold_in_grams)
        assert all(0 < cost.fine_grams < cost.metal_grams for cost in with_metal)
        assert session.scalar(select(func.count()).select_from(CostComponent)) > 100


def test_priced_purchase_receipts_and_a_costed_job_are_alive_on_first_start(built):
    from lib.enums import OutputBucket
    from lib.models import JobOutput, Order, OrderKind, OrderLine, ProductionJob, PurchaseReceipt

    with Session(built) as session:
        priced = session.scalars(select(PurchaseReceipt.item_id)
                                 .join(OrderLine, OrderLine.id == PurchaseReceipt.line_id)
                                 .join(Order, Order.id == OrderLine.order_id)
                                 .where(Order.kind == OrderKind.PURCHASE, OrderLine.unit_price.is_not(None))).all()
        assert priced and all(cost.totals.get("USD", 0) > 0
                              for cost in components.costs_of_items(session, priced, NOW).values())
        job = session.scalars(select(ProductionJob).where(ProductionJob.notes.like("%costed demo job%"))).one()
        good = session.scalars(select(JobOutput).where(JobOutput.job_id == job.id,
                                                       JobOutput.bucket == OutputBucket.RECEIVED)).one()
        assert good.cost > 0
        assert components.costs_of_items(session, [good.item_id], NOW)[good.item_id].totals["USD"] == good.cost


def test_the_demo_sales_orders_show_a_margin(built):
    from lib.access import actor_for_user
    from lib.costing import prices
    from lib.models import Order, OrderKind, User

    with Session(built) as session:
        admin = actor_for_user(session, session.scalar(select(User.id).where(User.username == "admin")))
        margins = [margin for order_id in session.scalars(select(Order.id).where(Order.kind == OrderKind.SALES))
                   for margin in prices.line_margins(session, actor=admin, order_id=order_id).values()]
        assert all(margin.price for margin in margins)  # every demo sales line is priced
        assert any(margin.margin is not None and margin.selected_cost for margin in margins)
