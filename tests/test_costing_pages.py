"""/rates and the item's cost section through the real app (AppTest), per role.

Story (`shop`): the two-location workshop of tests/scenarios.py (boss admin, nina manager of North, mo member of
North). boss keeps "Gold 18K (750)" (per gram, USD, purity 0.750) at 60 from 40 days ago and 65 from 10 days ago,
and "Setting labour" (per piece) at 25. North's Ruby TRUB0001 carries 2 g of that gold (130.00) and one setting
(25.00): cost USD 155.00, 2 g of metal, 1.5 g fine.
"""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

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


@pytest.fixture(scope="module")
def shop(databases, tmp_path_factory):
    url = databases.new("costing-pages")
    point_app_at(url, tmp_path_factory.mktemp("costing-pages-data"))
    workshop = two_location_workshop(url)
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        gold = rates.add_profile(session, actor=boss, data=ProfileInput(
            name="Gold 18K (750)", component_type=ComponentType.METAL, basis=RateBasis.GRAM, purity="0.750",
            notes="<b>from the bank</b>"), price="60", effective_at=utcnow() - timedelta(days=40))
        rates.record_price(session, actor=boss, profile_id=gold.id, price="65",
                           effective_at=utcnow() - timedelta(days=10))
        setting = rates.add_profile(session, actor=boss, data=ProfileInput(
            name="Setting labour", component_type=ComponentType.LABOR, basis=RateBasis.PIECE), price="25",
            effective_at=utcnow() - timedelta(days=40))
        ruby = session.scalars(select(InventoryItem.id).where(InventoryItem.tag_id == "TRUB0001")).one()
        components.add_component(session, actor=boss, item_id=ruby,
                                 data=ComponentInput(quantity="2", unit="g", profile_id=gold.id))
        components.add_component(session, actor=boss, item_id=ruby,
                                 data=ComponentInput(quantity="1", unit="pcs", profile_id=setting.id))
        workshop.gold_id, workshop.setting_id, workshop.ruby_item = gold.id, setting.id, ruby
    engine.dispose()
    yield workshop
    context.settings.clear()


def rates_page(shop, username):
    return ok(signed_in(shop.url, username, page="rates.py").run())


def item_page(shop, username):
    return ok(signed_in(shop.url, username, page="inventory.py", query={"item": str(shop.ruby_item)}).run())


def frame(at, column):
    """The first table with `column` (plain dataframes carry no key in AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def current_price(shop, profile_id) -> Decimal:
    engine = db.make_engine(shop.url)
    with db.session_scope(engine) as session:
        price = rates.price_as_of(session, profile_id)
    engine.dispose()
    return price


# --- /rates per role ---------------------------------------------------------------------------------------------

def test_an_admin_sees_profiles_prices_and_history_and_may_manage(shop):
    at = rates_page(shop, "boss")
    table = frame(at, "Price now")
    assert list(table["Profile"]) == ["Gold 18K (750)", "Setting labour"]
    assert list(table["Price now"]) == ["USD 65.00", "USD 25.00"]
    assert list(table["Internal notes"])[0] == "<b>from the bank</b>"  # shown as text in a table
    assert at.segmented_control(key="rates_view").options == [
        "Profiles", "Add a profile", "Edit a profile", "Record a price", "Import a price sheet"]
    assert [b.label for b in at.download_button] == ["Export CSV", "Export XLSX"]
    history = frame(at, "Recorded by")
    assert list(history["Price"]) == ["65.00", "60.00"]


def test_a_manager_reads_the_rate_center_but_cannot_manage_it(shop):
    at = rates_page(shop, "nina")
    assert list(frame(at, "Price now")["Profile"]) == ["Gold 18K (750)", "Setting labour"]
    assert at.segmented_control(key="rates_view").options == ["Profiles"]


def test_a_member_is_told_the_rate_center_is_for_admins_and_managers(shop):
    at = rates_page(shop, "mo")
    assert [element.value for element in at.warning] == ["The Rate Center is for admins and managers."]
    assert "Rate Center" not in [link.label for link in at.sidebar.get("page_link")]
    assert not at.dataframe and "Gold" not in readable(at)


def test_an_admin_records_a_price_and_a_bad_one_is_refused(shop):
    at = rates_page(shop, "boss")
    at.segmented_control(key="rates_view").set_value("price").run()
    at.selectbox(key="rates_price_profile").set_value(shop.setting_id).run()
    at.text_input(key=f"rates_price_value_{shop.setting_id}").set_value("1e30")
    at.button(key=f"rates_price_save_{shop.setting_id}").click().run()
    assert "plain number" in ok(at).error[0].value
    assert current_price(shop, shop.setting_id) == Decimal(25)
    at.text_input(key=f"rates_price_value_{shop.setting_id}").set_value("27.5")
    at.button(key=f"rates_price_save_{shop.setting_id}").click().run()
    assert not ok(at).error
    assert current_price(shop, shop.setting_id) == Decimal("27.5")


def test_an_admin_imports_a_price_sheet_after_a_preview_of_its_problems(shop):
    at = rates_page(shop, "boss")
    at.segmented_control(key="rates_view").set_value("import").run()
    bad = b"profile,price,currency\nGold 18K (750),-1,USD\nPlatinum,30,USD\n"
    at.file_uploader(key="rates_import_file_0").set_value(("bad.csv", bad, "text/csv")).run()
    problems = list(frame(ok(at), "Problem")["Problem"])
    assert problems[0].startswith("Row 2:") and "negative" in problems[0]
    assert problems[1].startswith("Row 3:") and "Platinum" in problems[1]
    assert at.button(key="rates_import_confirm").disabled
    moment = (utcnow() - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S")
    good = f"profile,price,effective_at\nGold 18K (750),66.25,{moment}\n".encode()
    at.file_uploader(key="rates_import_file_0").set_value(("good.csv", good, "text/csv")).run()
    assert not ok(at).button(key="rates_import_confirm").disabled
    at.button(key="rates_import_confirm").click().run()
    assert ok(at)
    assert current_price(shop, shop.gold_id) == Decimal("66.25")


# --- the item's cost section -------------------------------------------------------------------------------------

def test_the_item_shows_its_cost_metal_and_fine_weight_to_admins_and_managers(shop):
    for username in ("boss", "nina"):
        at = item_page(shop, username)
        cost = metric(at, "Cost")
        assert re.fullmatch(r"USD \d+\.\d\d", cost)
        assert metric(at, "Metal content") == "2.000 g" and metric(at, "Fine weight") == "1.500 g"
        assert list(frame(at, "Rate price")["Rate"]) == ["Gold 18K (750)", "Setting labour"]


def test_a_member_never_sees_a_cost_on_the_item(shop):
    at = item_page(shop, "mo")
    assert "Cost components" not in readable(at)
    assert "Cost" not in [m.label for m in at.metric] and "Gold 18K" not in readable(at)
    assert "USD" not in readable(at)


def test_an_admin_adds_a_component_and_grams_on_a_per_piece_rate_are_refused(shop):
    at = item_page(shop, "boss")
    at.segmented_control(key="inv_cost_action").set_value("add").run()
    at.selectbox(key="inv_cost_profile_new").set_value(shop.setting_id).run()
    assert ok(at).selectbox(key=f"inv_cost_unit_new_{shop.setting_id}").options == ["pcs"]
    at.selectbox(key="inv_cost_profile_new").set_value(shop.gold_id).run()
    at.text_input(key="inv_cost_qty_new").set_value("0.5")
    at.selectbox(key=f"inv_cost_unit_new_{shop.gold_id}").set_value("ct")
    at.button(key="inv_cost_save_new").click().run()
    assert not ok(at).error
    rows = frame(at, "Rate price")
    assert list(rows["Quantity"])[-1] == "0.500 ct"
    assert metric(at, "Metal content") == "2.100 g"
    engine = db.make_engine(shop.url)
    with db.session_scope(engine, write=True) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        with pytest.raises(Exception, match="per-piece rate counts pieces"):
            components.add_component(session, actor=boss, item_id=shop.ruby_item,
                                     data=ComponentInput(quantity="3", unit="g", profile_id=shop.setting_id))
    engine.dispose()


def test_an_admin_adds_a_profile_and_every_problem_is_listed_first(shop):
    at = rates_page(shop, "boss")
    at.segmented_control(key="rates_view").set_value("add").run()
    at.text_input(key="rates_add_name").set_value("Platinum 950")
    at.text_input(key="rates_add_currency").set_value("XYZ")
    at.text_input(key="rates_add_price").set_value("-3")
    at.text_input(key="rates_add_purity").set_value("950")
    at.button(key="rates_add_save").click().run()
    shown = "\n".join(e.value for e in ok(at).error) + texts(at)
    assert "ISO 4217" in shown and "negative" in shown
    at.text_input(key="rates_add_currency").set_value("usd")
    at.text_input(key="rates_add_price").set_value("49.10")
    at.button(key="rates_add_save").click().run()
    assert not ok(at).error
    at.segmented_control(key="rates_view").set_value("profiles").run()
    table = frame(ok(at), "Price now")
    row = table[table["Profile"] == "Platinum 950"].iloc[0]
    assert (row["Price now"], row["Purity"], row["Currency"]) == ("USD 49.10", "0.950", "USD")
