"""Browser journey on the Product Details page, in real Chromium against a real server.

Nina, manager of North, opens Ruby from /products, switches to Finished,
filters by the Oval shape, exports the CSV (checking its rows), and picks the
product image from the gallery.
"""
from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lib import db
from lib.models import CatalogEntry, CatalogKind, InventoryKind, Location, Product
from tests import factories as f
from tests.browser import save_screenshot, sign_in, wait_until_idle
from tests.factories import TEST_PASSWORD
from tests.test_product_pages import build_shop
from tests.test_products_lib import make_image

pytestmark = pytest.mark.browser
ROW_HEIGHT = 48  # pages/products.py row_height


def _more_ruby(url: str, shop) -> None:
    """North also holds a finished Round Ruby (TRUB0004, 2 g) and a finished Oval Ruby (TRUB0005, 3 g, photo)."""
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        ruby, north = session.get(Product, shop.ruby), session.get(Location, shop.north)
        round_ = f.make_catalog(session, CatalogKind.SHAPE, "Round")
        oval = session.scalars(select(CatalogEntry).where(CatalogEntry.id == shop.oval)).one()
        f.make_item(session, ruby, north, quantity=1, weight="2", unit="g", kind=InventoryKind.FINISHED,
                    shape_id=round_.id, tag_id="TRUB0004")
        pictured = f.make_item(session, ruby, north, quantity=2, weight="3", unit="g", kind=InventoryKind.FINISHED,
                               shape_id=oval.id, tag_id="TRUB0005")
        pictured.image_id = make_image(session, (20, 90, 200)).id
    engine.dispose()


def _download(page, label: str):
    """Click a download button and return the download. A click that lands while Streamlit swaps the
    button for the new view's (its key carries the view) starts nothing: settle, and click again once."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(2):
        page.wait_for_timeout(500)
        try:
            with page.expect_download(timeout=15_000) as download_info:
                page.get_by_role("button", name=label).click()
            return download_info.value
        except PlaywrightTimeout:
            if attempt == 1:
                raise


def _expect_metrics(page, **values: str) -> None:
    """Wait (Playwright's retrying assertion) until each KPI card shows its value; keys are card labels
    with spaces as underscores, e.g. Weight_held="6.200 g"."""
    for label, value in values.items():
        card = page.locator('[data-testid="stMetric"]').filter(has_text=label.replace("_", " ")).first
        expect(card.locator('[data-testid="stMetricValue"]')).to_have_text(value)


def test_manager_journey_open_switch_filter_export_and_pick_image(fresh_url, live_server, browser_page, tmp_path):
    shop = build_shop(fresh_url)
    _more_ruby(fresh_url, shop)
    server = live_server(fresh_url)
    page = browser_page
    try:
        sign_in(page, server.url, "nina", TEST_PASSWORD, path="products")
        wait_until_idle(page)
        # Rows are by name: the HTML-named product, then Ruby. Select Ruby's row (its checkbox cell).
        grid = page.locator('[data-testid="stDataFrame"]').first
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 16, box["y"] + box["height"] - ROW_HEIGHT / 2 - 1)
        page.wait_for_url(f"**/product?id={shop.ruby}")
        wait_until_idle(page)
        _expect_metrics(page, Items="4")  # North: TRUB0001, 0003, 0004, 0005

        page.locator('[data-testid="stButtonGroup"]').get_by_text("Finished", exact=True).click()
        wait_until_idle(page)
        _expect_metrics(page, Items="3", Weight_held="6.200 g")

        page.get_by_text("Filters and search", exact=True).click()
        wait_until_idle(page)
        shape = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Shape")
        shape.locator("input").click()
        page.get_by_role("option", name="Oval").click()
        page.keyboard.press("Escape")
        wait_until_idle(page)
        _expect_metrics(page, Items="1", Weight_held="3.000 g")

        download = _download(page, "Export CSV")
        text = (tmp_path / "export.csv")
        download.save_as(text)
        rows = list(csv.DictReader(io.StringIO(text.read_text(encoding="utf-8"))))
        assert [row["Tag ID"] for row in rows] == ["TRUB0005"]
        assert rows[0]["Shape"] == "Oval" and rows[0]["Location"] == "North" and rows[0]["Weight (g)"] == "3.0000"

        page.get_by_text("Choose the product image", exact=True).click()
        wait_until_idle(page)
        before = page.locator('[data-testid="stImage"] img').first.get_attribute("alt")
        assert before == "Product image (photo of TRUB0005)"  # newest in-scope photo stands in
        pick = page.get_by_role("button", name="Use this")
        expect(pick).to_have_count(2)  # TRUB0003 and TRUB0005 carry photos in North (waits for the gallery)
        # Pictures load after their buttons are placed and push them down: click once all have loaded.
        page.wait_for_function("() => Array.from(document.images).every(image => image.complete)")
        wait_until_idle(page)
        pick.last.click()  # the older photo: TRUB0003's
        wait_until_idle(page)
        page.get_by_role("button", name="Chosen").wait_for()
        assert page.locator('[data-testid="stImage"] img').first.get_attribute("alt") == \
            "Product image (photo of TRUB0003)"
        save_screenshot(page, "product-details-manager")
    except Exception:
        save_screenshot(page, "product-details-failure")
        raise

    engine = db.make_engine(fresh_url)
    with db.session_scope(engine) as session:
        assert session.get(Product, shop.ruby).image_item_id == shop.pictured_item
    engine.dispose()
