"""Issue 19 item 3: costs that flow through production (lib.production.costs).

Story: as in tests/test_production_lib.py (North's rough Ruby lot RUBLOT, 100 g; Nina manages North, Mo is a
member). The admin keeps "Gold 18K" (metal, per g, USD) at 60.00, "Setting" labour at 25.00 per piece and
"Bench hour" at 40.00 per hour. The lot carries 100 g of Gold 18K (6,000.00) and 150.00 of packaging: 6,150.00.
It goes through three stages: cutting (a bench return of 12 g, rejects, scrap and waste), polishing and setting.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lib.costing import components, rates
from lib.production import costs
from lib.costing.components import ComponentInput
from lib.costing.rates import ProfileInput
from lib.enums import ComponentType, RateBasis
from lib.errors import PermissionDenied, ValidationFailed
from lib.models import CostComponent, InventoryItem, InventoryKind, JobIssue, JobOutput, ProductionJob, utcnow
from lib.production import bench, jobs, stages
from lib.production.jobs import SourceLine
from lib.production.receipts import Portion
from tests import factories as f
from tests.test_production_lib import _create, _receive, _row, shop  # noqa: F401 (fixture)

D = Decimal


@pytest.fixture
def costed(session, shop):  # noqa: F811
    admin = shop["admin"]

    def profile(name, kind, basis, price):
        return rates.add_profile(session, actor=admin, data=ProfileInput(
            name=name, component_type=kind, basis=basis, currency="USD"),
            price=price, effective_at=utcnow() - timedelta(days=1)).id

    shop["gold"] = profile(f.unique("Gold 18K "), ComponentType.METAL, RateBasis.GRAM, "60")
    shop["setting"] = profile(f.unique("Setting "), ComponentType.LABOR, RateBasis.PIECE, "25")
    shop["hour"] = profile(f.unique("Bench hour "), ComponentType.LABOR, RateBasis.HOUR, "40")
    lot = shop["lot"]
    components.add_component(session, actor=admin, item_id=lot.id,
                             data=ComponentInput(quantity="100", unit="g", profile_id=shop["gold"]))
    components.add_component(session, actor=admin, item_id=lot.id, data=ComponentInput(
        quantity="1", unit="pcs", component_type="packaging", manual_amount="150", manual_currency="USD"))
    shop["setting_stage"] = stages.add_stage(session, actor=admin, name=f.unique("Setting "), code=f.unique("SET"))
    return shop


def _item_total(session, item_id) -> Decimal:
    return components.costs_of_items(session, [item_id])[item_id].totals.get("USD", D(0))


def _balanced(session, job_id) -> tuple[Decimal, Decimal]:
    """(issued + labour, returned + outputs + written off) of a job."""
    job = session.get(ProductionJob, job_id)
    state = costs.pool(session, job)
    return state.issued + state.labour, state.returned + state.carried + state.written_off


def _output_items(session, job_id, bucket_value):
    return list(session.scalars(select(JobOutput.item_id).where(JobOutput.job_id == job_id)
                                .where(JobOutput.bucket == bucket_value).order_by(JobOutput.id)))


def test_a_three_stage_chain_carries_the_cost_issued_plus_labour_exactly(session, costed):
    shop = costed
    lot = shop["lot"]
    assert _item_total(session, lot.id) == D("6150.00")
    # Stage 1: cutting, all 100 g issued; 12 g back to the bench; 2 pcs of setting labour.
    cut = _create(session, shop, SourceLine(lot.id))
    assert session.scalar(select(JobIssue.cost).where(JobIssue.job_id == cut.job_id)) == D("6150.00")
    assert _item_total(session, lot.id) == 0  # the cost moved with the stock
    costs.add_job_labour(session, actor=shop["nina"], job_id=cut.job_id,
                        data=ComponentInput(quantity="2", unit="pcs", profile_id=shop["setting"]))
    issue_id = next(r.issue_id for r in bench.returnable(session, actor=shop["nina"], job_id=cut.job_id))
    bench.return_stock(session, actor=shop["nina"], job_id=cut.job_id, issue_id=issue_id, weight="12")
    assert _item_total(session, lot.id) == D("738.00")  # 6150 x 12 / 100
    _receive(session, shop, cut.job_id, _row(shop, weight="80", pieces=8, waste="1",
                                             rejected=Portion(weight="2"), scrapped=Portion(weight="3")))
    # consumed: (6150 - 738 + 50) x 86 / 88 = 5337.86; rejects 2 g and scrap 3 g at 60.00 a gram; waste its share
    (rejected,) = _output_items(session, cut.job_id, "rejected")
    (scrapped,) = _output_items(session, cut.job_id, "scrapped")
    assert (_item_total(session, rejected), _item_total(session, scrapped)) == (D("120.00"), D("180.00"))
    waste = session.scalar(select(JobOutput.cost).where(JobOutput.job_id == cut.job_id, JobOutput.bucket == "waste"))
    assert waste == D("62.07")  # 5337.86 x 1 / 86
    (cut_good,) = _output_items(session, cut.job_id, "received")
    assert _item_total(session, cut_good) == D("5337.86") - D("120") - D("180") - D("62.07")
    jobs.close_job(session, actor=shop["nina"], job_id=cut.job_id, reason="dust")
    issued, carried = _balanced(session, cut.job_id)
    assert issued == carried == D("6200.00")
    assert session.get(ProductionJob, cut.job_id).cost_written_off == D("5462.00") - D("5337.86")

    # Stage 2: polishing the cut stones, one bench hour; 78 g good, 2 g waste.
    polish = _create(session, shop, SourceLine(cut_good), stage_id=shop["polishing"].id)
    costs.add_job_labour(session, actor=shop["nina"], job_id=polish.job_id,
                        data=ComponentInput(quantity="60", unit="min", profile_id=shop["hour"]))
    _receive(session, shop, polish.job_id, _row(shop, kind=InventoryKind.FINISHED, weight="78", pieces=8,
                                                waste="2"))
    jobs.close_job(session, actor=shop["nina"], job_id=polish.job_id)
    assert _balanced(session, polish.job_id)[0] == _balanced(session, polish.job_id)[1]
    (polished,) = _output_items(session, polish.job_id, "received")

    # Stage 3: setting, one more setting piece; two good pieces of different weights and a scrapped one.
    setting = _create(session, shop, SourceLine(polished), stage_id=shop["setting_stage"].id)
    costs.add_job_labour(session, actor=shop["nina"], job_id=setting.job_id,
                        data=ComponentInput(quantity="1", unit="pcs", profile_id=shop["setting"]))
    _receive(session, shop, setting.job_id, _row(shop, kind=InventoryKind.FINISHED, weight="50", pieces=5,
                                                 scrapped=Portion(weight="1")),
             _row(shop, kind=InventoryKind.FINISHED, weight="26.5", pieces=3))
    jobs.close_job(session, actor=shop["nina"], job_id=setting.job_id, reason="dust")
    assert _balanced(session, setting.job_id)[0] == _balanced(session, setting.job_id)[1]

    # The whole chain: the lot's cost plus all labour = what the items hold + waste + written off, to the cent.
    labour = D("50") + D("40") + D("25")
    job_ids = [cut.job_id, polish.job_id, setting.job_id]
    item_ids = set(session.scalars(select(InventoryItem.id)))
    held = sum((_item_total(session, item_id) for item_id in item_ids), D(0))
    wasted = session.scalar(select(func.sum(JobOutput.cost)).where(JobOutput.job_id.in_(job_ids),
                                                                  JobOutput.bucket == "waste"))
    written_off = session.scalar(select(func.sum(ProductionJob.cost_written_off))
                                 .where(ProductionJob.id.in_(job_ids)))
    assert held + D(str(wasted)) + D(str(written_off)) == D("6150.00") + labour
    cost = costs.job_cost(session, actor=shop["nina"], job_id=setting.job_id)
    assert cost.total == cost.received + cost.rejected + cost.scrapped + cost.waste + cost.written_off
    assert cost.per_gram == (cost.received / D("76.5")).quantize(D("0.01"))


def test_a_partial_issue_leaves_the_rest_of_the_cost_on_the_item(session, costed):
    shop = costed
    lot = shop["lot"]
    created = _create(session, shop, SourceLine(lot.id, weight="40"))
    issued = session.scalar(select(JobIssue.cost).where(JobIssue.job_id == created.job_id))
    assert issued == D("2460.00")  # 6150 x 40 / 100
    assert _item_total(session, lot.id) == D("3690.00")
    gold = session.scalars(select(CostComponent).where(CostComponent.item_id == lot.id,
                                                       CostComponent.profile_id == shop["gold"])).one()
    assert gold.quantity == D("60")


def test_members_never_get_a_job_cost_and_labour_input_is_checked(session, costed):
    shop = costed
    created = _create(session, shop, SourceLine(shop["lot"].id))
    with pytest.raises(PermissionDenied):
        costs.job_cost(session, actor=shop["mo"], job_id=created.job_id)
    with pytest.raises(PermissionDenied):
        costs.add_job_labour(session, actor=shop["mo"], job_id=created.job_id,
                            data=ComponentInput(quantity="1", unit="pcs", profile_id=shop["setting"]))
    before = session.scalar(select(func.count(CostComponent.id)))
    for bad in ("-1", "0", "1e30", "abc"):
        with pytest.raises(ValidationFailed):
            costs.add_job_labour(session, actor=shop["nina"], job_id=created.job_id,
                                data=ComponentInput(quantity=bad, unit="pcs", profile_id=shop["setting"]))
    with pytest.raises(ValidationFailed, match="labour rate profile"):
        costs.add_job_labour(session, actor=shop["nina"], job_id=created.job_id,
                            data=ComponentInput(quantity="1", unit="g", profile_id=shop["gold"]))
    with pytest.raises(ValidationFailed, match="workspace currency"):
        costs.add_job_labour(session, actor=shop["nina"], job_id=created.job_id, data=ComponentInput(
            quantity="1", unit="h", manual_amount="10", manual_currency="EUR"))
    assert session.scalar(select(func.count(CostComponent.id))) == before
    labour = costs.add_job_labour(session, actor=shop["nina"], job_id=created.job_id,
                                 data=ComponentInput(quantity="1", unit="h", manual_amount="35.5"))
    assert costs.job_cost(session, actor=shop["nina"], job_id=created.job_id).labour == D("35.50")
    costs.remove_job_labour(session, actor=shop["nina"], component_id=labour.id)
    assert costs.job_cost(session, actor=shop["admin"], job_id=created.job_id).labour == 0
    with pytest.raises(Exception):
        costs.job_cost(session, actor=shop["sam"], job_id=created.job_id)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(returned=st.integers(0, 20), labour=st.decimals(min_value=0, max_value=500, places=2),
       receipts=st.lists(st.tuples(*(st.integers(0, 30),) * 4), min_size=1, max_size=3))
def test_any_job_balances_to_the_cent_once_completed(session, costed, returned, labour, receipts):
    """Whatever is returned, received, rejected, scrapped and wasted, in how many receipts: a completed job's
    issued cost plus labour equals returns + outputs + write-off, exactly."""
    shop = costed
    assume(all(sum(parts) > 0 for parts in receipts))
    assume(sum(sum(parts) for parts in receipts) <= 100 - returned)
    savepoint = session.begin_nested()
    try:
        created = _create(session, shop, SourceLine(shop["lot"].id))
        if labour:
            costs.add_job_labour(session, actor=shop["nina"], job_id=created.job_id,
                                data=ComponentInput(quantity="1", unit="h", manual_amount=str(labour)))
        if returned:
            issue_id = next(r.issue_id for r in bench.returnable(session, actor=shop["nina"], job_id=created.job_id))
            bench.return_stock(session, actor=shop["nina"], job_id=created.job_id, issue_id=issue_id,
                               weight=str(returned))
        for good, rejected, scrapped, waste in receipts:
            _receive(session, shop, created.job_id, _row(
                shop, weight=str(good), pieces=1 if good else None, waste=str(waste),
                rejected=Portion(weight=str(rejected)) if rejected else None,
                scrapped=Portion(weight=str(scrapped)) if scrapped else None))
        jobs.close_job(session, actor=shop["nina"], job_id=created.job_id, reason="dust")
        issued, carried = _balanced(session, created.job_id)
        assert issued == D("6150.00") + labour and issued == carried
    finally:
        savepoint.rollback()


def test_cancelling_gives_the_cost_back_with_the_stock_and_writes_off_the_labour(session, costed):
    shop = costed
    lot = shop["lot"]
    created = _create(session, shop, SourceLine(lot.id))
    costs.add_job_labour(session, actor=shop["nina"], job_id=created.job_id,
                        data=ComponentInput(quantity="1", unit="pcs", profile_id=shop["setting"]))
    issue_id = next(r.issue_id for r in bench.returnable(session, actor=shop["nina"], job_id=created.job_id))
    bench.return_stock(session, actor=shop["nina"], job_id=created.job_id, issue_id=issue_id, weight="10")
    jobs.cancel_job(session, actor=shop["nina"], job_id=created.job_id, reason="design changed")
    assert _item_total(session, lot.id) == D("6150.00")  # 615.00 from the return + 5,535.00 from the cancel
    assert _balanced(session, created.job_id) == (D("6175.00"), D("6175.00"))
    assert session.get(ProductionJob, created.job_id).cost_written_off == D("25.00")
