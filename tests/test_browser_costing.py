"""Browser journey for issue 19, in real Chromium against a real server: the morning price sheet.

Ruby's North item (TRUB0001) carries 2 g of "Gold 18K (750)", priced USD 60.00/g since 40 days ago. The owner
(boss) reads the Product Details value card (USD 120.00 at cost and at current rates), imports a price sheet on
/rates with today's gold price (USD 66.00/g: an empty effective_at is the moment of the import), and the card then
shows USD 132.00 at current rates while the value at cost stays USD 120.00.
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
from tests.browser import save_screenshot, sign_in, wait_until_idle
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop

pytestmark = pytest.mark.browser


def _gold_on_ruby(url: str) -> int:
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        gold = rates.add_profile(session, actor=boss, data=ProfileInput(
            name="Gold 18K (750)", component_type=ComponentType.METAL, basis=RateBasis.GRAM, purity="0.750"),
            price="60.00", effective_at=utcnow() - timedelta(days=40))
        ruby = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == "TRUB0001")).one()
        components.add_component(session, actor=boss, item_id=ruby.id,
                                 data=ComponentInput(quantity="2", unit="g", profile_id=gold.id))
        product_id = ruby.product_id
    engine.dispose()
    return product_id


def _card(page) -> tuple[str, str]:
    """The two metrics of the Product Details value card, as shown."""
    card = page.locator(".st-key-product_value")
    card.wait_for(timeout=60_000)
    metrics = card.locator('[data-testid="stMetricValue"]')
    return metrics.nth(0).inner_text().strip(), metrics.nth(1).inner_text().strip()


def test_owner_imports_the_morning_price_sheet_and_the_value_card_follows(fresh_url, live_server, browser_page,
                                                                         tmp_path):
    two_location_workshop(fresh_url)
    product_id = _gold_on_ruby(fresh_url)
    sheet = tmp_path / "gold-morning.csv"
    sheet.write_text("profile,price,currency,effective_at\nGold 18K (750),66.00,USD,\n", encoding="utf-8")
    server = live_server(fresh_url)
    page = browser_page
    try:
        sign_in(page, server.url, "boss", TEST_PASSWORD, path=f"product?id={product_id}")
        wait_until_idle(page)
        assert _card(page) == ("USD 120.00", "USD 120.00")

        page.goto(f"{server.url}/rates")
        page.get_by_role("heading", name="Rate Center").wait_for(timeout=60_000)
        wait_until_idle(page)
        page.get_by_role("radio", name="Import a price sheet", exact=True).click()
        wait_until_idle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(sheet))
        page.get_by_text("1 new price to record", exact=False).wait_for(timeout=60_000)
        wait_until_idle(page)
        page.get_by_role("button", name="Confirm import").click()
        page.get_by_text("gold-morning.csv:", exact=False).wait_for(timeout=60_000)
        save_screenshot(page, "costing-import-done")

        page.goto(f"{server.url}/product?id={product_id}")
        wait_until_idle(page)
        assert _card(page) == ("USD 120.00", "USD 132.00")  # at cost unchanged, at current rates 2 g × 66
        save_screenshot(page, "costing-value-card")
    except Exception:
        save_screenshot(page, "costing-journey-failed")
        raise
