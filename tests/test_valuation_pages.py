"""The value held cards (Home, Inventory, Product Details) and the valuation report page, per role (AppTest).

Story (`shop`): the two-location workshop of tests/scenarios.py (boss admin, nina manager of North, mo member of
North). boss keeps "Gold 18K (750)" at 65 from 10 days ago and "Setting labour" at 25. North's Ruby TRUB0001
(received an hour ago) carries 2 g of gold and one setting; South's TRUB0002 1 g of gold.
Then gold is raised to 70 from now on. North at cost: 2 × 65 + 25 = 155.00, at current rates 2 × 70 + 25 = 165.00;
with South: 220.00 and 235.00.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lib import db
from lib.costing import components, rates
from lib.costing.components import ComponentInput
from lib.costing.rates import ProfileInput
from lib.enums import ComponentType, RateBasis
from lib.models import InventoryItem, User, utcnow
from tests import factories as f
from tests.apptest import ok, point_app_at, readable, signed_in, texts
from tests.scenarios import two_location_workshop
from ui import context

NORTH = ("USD 155.00", "USD 165.00")
EVERYWHERE = ("USD 220.00", "USD 235.00")
EXPECTED = {"boss": EVERYWHERE, "nina": NORTH}


@pytest.fixture(scope="module")
def shop(databases, tmp_path_factory):
    url = databases.new("valuation-pages")
    point_app_at(url, tmp_path_factory.mktemp("valuation-pages-data"))
    workshop = two_location_workshop(url)
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        gold = rates.add_profile(session, actor=boss, data=ProfileInput(
            name="Gold 18K (750)", component_type=ComponentType.METAL, basis=RateBasis.GRAM, purity="0.750"),
            price="65", effective_at=utcnow() - timedelta(days=10))
        setting = rates.add_profile(session, actor=boss, data=ProfileInput(
            name="Setting labour", component_type=ComponentType.LABOR, basis=RateBasis.PIECE), price="25",
            effective_at=utcnow() - timedelta(days=10))
        items = dict(session.execute(select(InventoryItem.tag_id, InventoryItem.id)).all())
        for item in session.scalars(select(InventoryItem)):  # received an hour ago, before the new gold price
            item.created_at = utcnow() - timedelta(hours=1)
        components.add_component(session, actor=boss, item_id=items["TRUB0001"],
                                 data=ComponentInput(quantity="2", unit="g", profile_id=gold.id))
        components.add_component(session, actor=boss, item_id=items["TRUB0001"],
                                 data=ComponentInput(quantity="1", unit="pcs", profile_id=setting.id))
        components.add_component(session, actor=boss, item_id=items["TRUB0002"],
                                 data=ComponentInput(quantity="1", unit="g", profile_id=gold.id))
        rates.record_price(session, actor=boss, profile_id=gold.id, price="70", effective_at=utcnow())
    engine.dispose()
    yield workshop
    context.settings.clear()


def value_metrics(at) -> tuple[str, str] | None:
    found = {m.label: m.value for m in at.metric}
    if "Value held at cost" not in found:
        return None
    return found["Value held at cost"], found["At current rates"]


def pages(shop):
    return {"home": (None, None), "inventory": ("inventory.py", None),
            "product": ("product.py", {"id": str(shop.product_id)})}


@pytest.mark.parametrize("page", ["home", "inventory", "product"])
@pytest.mark.parametrize("username", ["boss", "nina"])
def test_admins_and_managers_see_the_value_held_in_their_scope(shop, page, username):
    script, query = pages(shop)[page]
    at = ok(signed_in(shop.url, username, page=script, query=query).run())
    assert value_metrics(at) == EXPECTED[username]
    assert "Metal at current rates: USD 210.00" in texts(at) or username == "nina"


@pytest.mark.parametrize("page", ["home", "inventory", "product"])
def test_a_member_never_receives_a_value(shop, page):
    script, query = pages(shop)[page]
    at = ok(signed_in(shop.url, "mo", page=script, query=query).run())
    assert value_metrics(at) is None
    shown = readable(at)
    assert "USD" not in shown and "Value held" not in shown


def test_the_inventory_value_follows_the_filters(shop):
    at = ok(signed_in(shop.url, "boss", page="inventory.py", query={"location": str(shop.south_id)}).run())
    assert value_metrics(at) == ("USD 65.00", "USD 70.00")


def test_the_valuation_report_as_of_today_and_a_past_day(shop):
    at = ok(signed_in(shop.url, "boss", page="reports.py", query={"report": "valuation"}).run())
    table = next(d.value for d in at.dataframe if "At cost" in d.value.columns)
    assert [(r["Location"], r["At cost"], r["At current rates"]) for r in table.to_dict("records")] == [
        ("North", 155.0, 165.0), ("South", 65.0, 70.0)]
    assert {m.label: m.value for m in at.metric}["Value at current rates"] == "USD 235.00"
    yesterday = (utcnow() - timedelta(days=1)).date()
    at.date_input(key="rep_as_of").set_value(yesterday).run()
    assert at.query_params["as_of"] == [yesterday.isoformat()] or at.query_params["as_of"] == yesterday.isoformat()
    assert not any("At cost" in d.value.columns for d in ok(at).dataframe)  # the rubies came in today
    assert "No stock with cost components" in texts(at)


def test_a_manager_opens_the_report_for_north_only(shop):
    at = ok(signed_in(shop.url, "nina", page="reports.py", query={"report": "valuation"}).run())
    assert {m.label: m.value for m in at.metric}["Value at cost"] == "USD 155.00"


def test_a_member_is_refused_the_valuation_report(shop):
    at = ok(signed_in(shop.url, "mo", page="reports.py", query={"report": "valuation"}).run())
    assert [e.value.replace("\\", "") for e in at.error] == ["Stock valuation is for admins and managers."]
    assert "valuation" not in at.selectbox(key="rep_report").options
    assert "USD" not in readable(at)
