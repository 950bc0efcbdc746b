"""Browser journey on /orders, in real Chromium against a real server.

Boss (admin) writes a sales order for Acme through the new-order form, selects one piece of Ruby TRUB0001
for its line and marks it ready, ships it, and watches the fulfilment chip go Not Started → Ready to Ship →
Completed. Then a purchase order for 2 Ruby from Gem Supply is received into North, and the Product
Details page of Ruby shows the received 5 g in its 30-day added weight.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlalchemy import select

from lib import db, ledger
from lib.models import InventoryItem, MovementKind, Order, PartyKind, StockMovement
from tests import factories as f
from tests.browser import save_screenshot, sign_in, wait_until_idle
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop

pytestmark = pytest.mark.browser


def settle(page) -> None:
    wait_until_idle(page)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=30_000)


def choose(page, label: str, option: str, multi: bool = False) -> None:
    """Pick `option` in the selectbox (or multiselect) labelled `label`.

    A rerun that lands while the list is open redraws the widget and closes the list, as it does for a
    user, who opens it again: so does this, up to three times."""
    wanted = page.get_by_role("option", name=option).first
    for attempt in range(3):
        page.get_by_label(label, exact=True).click()
        try:
            wanted.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            settle(page)
    wanted.click()
    if multi:  # a multiselect stays open for more choices
        page.keyboard.press("Escape")
    settle(page)


def segment(page, name: str) -> None:
    page.get_by_role("radio", name=name, exact=True).click()
    settle(page)


def fill(page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Tab")
    settle(page)


def click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    settle(page)


def chip(page, text: str) -> None:
    """Wait (retrying) until the fulfilment chip reads `text`."""
    expect(page.get_by_text(f"Fulfilment: {text}", exact=True).first).to_be_visible(timeout=30_000)


def new_order(page, kind: str, party: str, product: str, pieces: str, weight: str) -> None:
    segment(page, "New order")
    segment(page, kind)
    choose(page, "Customer" if kind == "Sales order" else "Supplier", party)
    fill(page, "Notes", f"{pieces} {product}, <b>gift</b> wrap")
    click(page, "Next: products")
    choose(page, "Product", product)
    fill(page, "Pieces", pieces)
    fill(page, "Weight", weight)
    click(page, "Add line")
    expect(page.get_by_text("1 line.", exact=False)).to_be_visible()
    click(page, "Next: details")
    click(page, "Next: review")
    click(page, "Save order")


def test_sales_order_from_form_to_shipment_and_purchase_received_into_product_details(
        fresh_url, live_server, browser_page):
    workshop = two_location_workshop(fresh_url)
    engine = db.make_engine(fresh_url)
    with db.session_scope(engine, write=True) as session:
        f.make_party(session, PartyKind.CUSTOMER, "Acme Jewels", email="buy@acme.example")
        f.make_party(session, PartyKind.SUPPLIER, "Gem Supply", email="sales@gems.example")
    server = live_server(fresh_url)
    page = browser_page
    try:
        sign_in(page, server.url, "boss", TEST_PASSWORD, path="orders")
        settle(page)
        new_order(page, "Sales order", "Acme Jewels", "Ruby", "1", "2")
        page.get_by_role("heading", name="SO-0001").wait_for()
        chip(page, "Not Started")
        expect(page.get_by_text("Line 1: 2 available items")).to_be_visible()

        segment(page, "Select inventory")
        choose(page, "Items to select", "TRUB0001", multi=True)
        page.get_by_text("Full (TRUB0001)").click()  # take part of the item: 1 of its 3 pieces
        settle(page)
        fill(page, "Pieces", "1")
        fill(page, "Weight (ct)", "2")
        page.get_by_text('Mark this line as "Ready"').click()
        settle(page)
        click(page, "Select")
        chip(page, "Ready to Ship")

        segment(page, "Ship")
        fill(page, "Tracking number", "1Z999AA10123456784")
        click(page, "Create shipment")
        chip(page, "Completed")
        save_screenshot(page, "orders-sales-completed")

        click(page, "All orders")
        new_order(page, "Purchase order", "Gem Supply", "Ruby", "2", "5")
        page.get_by_role("heading", name="PO-0001").wait_for()
        chip(page, "Not Started")
        segment(page, "Receive inventory")
        choose(page, "Location", "North")
        click(page, "Receive")
        chip(page, "Completed")
        expect(page.get_by_text("Received into TRUB0003.")).to_be_visible()

        page.get_by_role("link", name="Line 1: Ruby — open in Product Details").click()
        page.wait_for_url(f"**/product?id={workshop.product_id}")
        settle(page)
        # Ruby today: opening stock 1.2 g (6 ct) + 1 g, the 5 g receipt; the selection took 0.4 g (2 ct).
        expect(page.get_by_text("Last 30 days: added 7.200 g, deducted 0.400 g", exact=False)).to_be_visible(
            timeout=30_000)
        expect(page.get_by_text("Open sales demand (not yet selected): none", exact=False)).to_be_visible()
        save_screenshot(page, "orders-product-details")
    except Exception:
        save_screenshot(page, "orders-failure")
        raise

    with db.session_scope(engine) as session:
        numbers = {order.number: order.fulfilment.value for order in session.scalars(select(Order))}
        assert numbers == {"SO-0001": "completed", "PO-0001": "completed"}
        received = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == "TRUB0003")).one()
        kinds = [m.movement_kind for m in session.scalars(select(StockMovement).where(
            StockMovement.item_id == received.id))]
        assert kinds == [MovementKind.PURCHASE_RECEIPT] and ledger.verify(session) == []
    engine.dispose()
