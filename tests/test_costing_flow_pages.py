"""The order page's prices and the job page's cost through the real app (AppTest), per role: members never
see a cost, managers see the job's cost but no order prices or margins, admins see both.

Story: the two-location workshop of tests/scenarios.py (boss admin, nina manager of North, mo member of North).
North's Ruby TRUB0001 (3 pcs, 6 ct) carries a manual metal cost of 300.00. boss buys 2 g of Ruby at 62.50 a gram
(received into North as a new item, cost 125.00), sells 1 piece at 500.00 a piece with 1 pc (2 ct) of
TRUB0001 selected (cost 100.00, margin 400.00), and a North job JOB issues the received item with 1 h of labour.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from lib import db
from lib.costing import components
from lib.production import costs
from lib.costing.components import ComponentInput
from lib.models import InventoryItem, InventoryKind, OrderKind, User
from lib.orders import detail, orders, parties, receipts, selection
from lib.orders.orders import LineInput, OrderInput
from lib.production import jobs, stages
from lib.production.jobs import NewJob, SourceLine
from lib.models.base import utcnow
from tests import factories as f
from tests.apptest import ok, point_app_at, readable, signed_in, texts
from tests.scenarios import two_location_workshop
from ui import context


@pytest.fixture(scope="module")
def shop(databases, tmp_path_factory):
    url = databases.new("costflow-pages")
    point_app_at(url, tmp_path_factory.mktemp("costflow-pages-data"))
    workshop = two_location_workshop(url)
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        ruby_item = session.scalars(select(InventoryItem.id).where(InventoryItem.tag_id == "TRUB0001")).one()
        components.add_component(session, actor=boss, item_id=ruby_item, data=ComponentInput(
            quantity="6", unit="ct", component_type="metal", manual_amount="300", manual_currency="USD"))
        supplier = parties.add_party(session, actor=boss, kind=parties.PartyKind.SUPPLIER,
                                     data=parties.PartyInput(company="Gem Supply"))
        customer = parties.add_party(session, actor=boss, kind=parties.PartyKind.CUSTOMER,
                                     data=parties.PartyInput(company="Acme"))
        po = orders.create_order(session, actor=boss, data=OrderInput(
            kind=OrderKind.PURCHASE, party_id=supplier.id, lead_id=boss.user_id, currency="USD", lines=[
                LineInput(product_id=workshop.product_id, quantity=1, weight="2", weight_unit="g", unit_price="62.5")]))
        (line,) = detail.order_detail(session, actor=boss, order_id=po.id).lines
        got = receipts.receive_line(session, actor=boss, line_id=line.id, data=receipts.ReceiptInput(
            quantity=1, weight="2", location_id=workshop.north_id, kind=InventoryKind.ROUGH))
        so = orders.create_order(session, actor=boss, data=OrderInput(
            kind=OrderKind.SALES, party_id=customer.id, lead_id=boss.user_id, currency="USD", lines=[
                LineInput(product_id=workshop.product_id, quantity=1, weight="2", weight_unit="ct", unit_price="500",
                          price_basis="piece")]))
        (sale_line,) = detail.order_detail(session, actor=boss, order_id=so.id).lines
        selection.select_items(session, actor=boss, line_id=sale_line.id, picks=[
            selection.Pick(ruby_item, full=False, quantity=1, weight="2")])
        stage = stages.add_stage(session, actor=boss, name="Cutting", code="CUT")
        job = jobs.create_job(session, actor=boss, data=NewJob(
            stage_id=stage.id, sources=(SourceLine(got.item_id),), issued_on=utcnow().date()))
        costs.add_job_labour(session, actor=boss, job_id=job.job_id,
                            data=ComponentInput(quantity="1", unit="h", manual_amount="40"))
        workshop.po, workshop.so, workshop.job = po.id, so.id, job.job_id
    engine.dispose()
    yield workshop
    context.settings.clear()


def order_page(shop, username, order_id):
    return ok(signed_in(shop.url, username, page="orders.py", query={"order": str(order_id)}).run())


def job_page(shop, username):
    return ok(signed_in(shop.url, username, page="production.py", query={"job": str(shop.job)}).run())


def test_an_admin_sees_prices_cost_of_selected_stock_and_margin(shop):
    at = order_page(shop, "boss", shop.so)
    prices = next(d.value for d in at.dataframe if "Margin" in d.value.columns)
    first = prices.iloc[0]  # (a later test adds a second line)
    assert (first["Unit price"], first["Cost of selected stock"], first["Margin"]) == (
        "USD 500.00 per piece", "USD 100.00", "USD 400.00")
    at = order_page(shop, "boss", shop.po)
    prices = next(d.value for d in at.dataframe if "Cost type of received items" in d.value.columns)
    assert list(prices["Unit price"]) == ["USD 62.50 per gram"] and list(prices["Price total"]) == ["USD 125.00"]


def test_a_manager_reads_orders_without_prices_or_margins(shop):
    for order_id in (shop.so, shop.po):
        shown = readable(order_page(shop, "nina", order_id))
        assert "Margin" not in shown and "62.50" not in shown and "500.00" not in shown


def test_admins_and_managers_see_the_job_cost_and_members_never_do(shop):
    for username in ("boss", "nina"):
        at = job_page(shop, username)
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Job cost"] == "USD 165.00"  # 125.00 issued + 40.00 labour
        assert metrics["Cost per gram of output"] == "—"
    shown = readable(job_page(shop, "mo"))
    assert "Job cost" not in shown and "USD" not in shown and "125.00" not in shown and "Labour" not in shown


def test_a_member_at_an_order_address_reads_why_and_sees_no_price(shop):
    for order_id in (shop.so, shop.po):
        shown = readable(order_page(shop, "mo", order_id))
        assert "Margin" not in shown and "62.50" not in shown and "500.00" not in shown and "USD" not in shown


def test_an_admin_adds_a_priced_line_and_a_bad_price_is_refused_with_nothing_written(shop):
    at = order_page(shop, "boss", shop.so)
    at.segmented_control(key="op_action").set_value("add").run()
    at.selectbox(key="op_add_product").set_value(shop.product_id)
    at.text_input(key="op_add_weight").set_value("3")
    at.text_input(key="op_add_price").set_value("1e30")
    ok(at.button(key="op_add_submit").click().run())
    assert "unit price must be a plain number" in texts(at)
    assert len(next(d.value for d in at.dataframe if "Margin" in d.value.columns)) == 1
    at.selectbox(key="op_add_product").set_value(shop.product_id)
    at.text_input(key="op_add_weight").set_value("3")
    at.text_input(key="op_add_price").set_value("80")
    ok(at.button(key="op_add_submit").click().run())
    prices = next(d.value for d in at.dataframe if "Margin" in d.value.columns)
    assert list(prices["Unit price"]) == ["USD 500.00 per piece", "USD 80.00 per gram"]
    assert list(prices["Price total"]) == ["USD 500.00", "USD 240.00"]


def test_a_manager_adds_and_removes_labour_on_the_job_page(shop):
    at = job_page(shop, "nina")
    before = next(m.value for m in at.metric if m.label == "Job cost")
    at.selectbox(key="pj_labour_profile").set_value(0).run()  # a manual amount
    at.text_input(key="pj_labour_qty").set_value("2")
    at.text_input(key="pj_labour_amount").set_value("-3")
    ok(at.button(key="pj_labour_add").click().run())
    assert "The labour was not added" in texts(at) and "Amount" in texts(at)
    at.text_input(key="pj_labour_amount").set_value("12.5")
    ok(at.button(key="pj_labour_add").click().run())
    assert next(m.value for m in at.metric if m.label == "Job cost") == "USD 177.50" != before
    engine = db.make_engine(shop.url)
    with db.session_scope(engine) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        added = next(line.id for line in costs.job_cost(session, actor=boss, job_id=shop.job).labour_lines
                     if line.cost == Decimal("12.50"))
    engine.dispose()
    at.selectbox(key="pj_labour_pick").set_value(added)
    ok(at.button(key="pj_labour_remove").click().run())
    assert next(m.value for m in at.metric if m.label == "Job cost") == before == "USD 165.00"
