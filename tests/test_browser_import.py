"""Browser journey (issue 10's "done when"): an admin downloads the XLSX template, fills 2,000 rows with a new
product and new colours, imports them with "Create missing products and catalog values", and the Product
Details page shows the exact totals."""
from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lib import db, ledger
from lib.models import CatalogEntry, CatalogKind, InventoryItem, Product
from lib.units import format_weight
from tests.browser import save_screenshot, sign_in, wait_until_idle
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop

pytestmark = pytest.mark.browser
ROWS = 2000


def settle(page) -> None:
    wait_until_idle(page)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=60_000)


def _fill_template(path, rows: int) -> Decimal:
    """Fill the downloaded template: every other row a new product, every third a new colour; total grams."""
    workbook = load_workbook(path)
    sheet = workbook["Inventory"]
    headers = [cell.value for cell in sheet[1]]
    total = Decimal(0)
    for number in range(rows):
        weight = Decimal(number % 97 + 1) + Decimal("0.0125")
        values = {"Product": "Star Sapphire" if number % 2 else "Ruby", "Weight": float(weight), "Weight unit": "g",
                  "Colour": ("Cornflower", "Padparadscha Pink", "")[number % 3], "Quantity": 1, "Location": "North"}
        sheet.append([values.get(header) for header in headers])
        if number % 2:
            total += weight
    workbook.save(path)
    return total


def test_admin_fills_the_template_and_imports_2000_rows_creating_what_is_missing(fresh_url, live_server,
                                                                                  browser_page, tmp_path):
    two_location_workshop(fresh_url)
    server = live_server(fresh_url)
    page = browser_page
    try:
        page.goto(server.url)
        page.get_by_label("Username", exact=True).first.wait_for()
        settle(page)
        page.wait_for_timeout(1500)
        sign_in(page, server.url, "boss", TEST_PASSWORD)
        page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Inventory").click()
        page.get_by_role("heading", name="Inventory").wait_for()
        settle(page)
        page.get_by_role("radio", name="Import", exact=True).click()
        settle(page)
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Template XLSX").click()
        template = tmp_path / "stock.xlsx"
        download.value.save_as(template)
        expected_grams = _fill_template(template, ROWS)

        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(template))
        unknown = sum(1 for number in range(ROWS) if number % 2 or number % 3 < 2)  # a new product or colour
        page.get_by_text(f"{unknown:,} of {ROWS:,} rows have problems", exact=False).wait_for(timeout=60_000)
        settle(page)
        page.get_by_text("Create missing products and catalog values", exact=True).click()
        page.get_by_text(f"All {ROWS:,} rows are ready to import.").wait_for(timeout=60_000)
        page.get_by_text("The import will create 1 product and 2 catalog values", exact=False).wait_for()
        settle(page)
        save_screenshot(page, "import-preview")
        page.get_by_role("button", name="Confirm import").click()
        page.get_by_text(f"Imported {ROWS:,} rows: {ROWS:,} new items, 0 merged. Created 1 product and 2 catalog "
                         "values.").wait_for(timeout=120_000)
        save_screenshot(page, "import-done")

        engine = db.make_engine(fresh_url)
        with db.session_scope(engine) as session:
            product_id = session.scalar(select(Product.id).where(Product.name == "Star Sapphire"))
            assert session.scalar(select(func.count()).where(InventoryItem.product_id == product_id)) == ROWS // 2
            assert session.scalar(select(func.count()).where(CatalogEntry.catalog == CatalogKind.COLOUR,
                                                             CatalogEntry.name == "Cornflower")) == 1
            assert ledger.verify(session) == []
        engine.dispose()
        page.goto(f"{server.url}/product?id={product_id}")  # a new page load: the sign-in cookie carries over
        metrics = page.locator('[data-testid="stMetric"]')
        metrics.first.wait_for(timeout=60_000)
        assert page.get_by_label("Username", exact=True).count() == 0
        page.get_by_text("S-SAPP", exact=True).wait_for()  # the new product's page, with its derived short name
        settle(page)
        items = metrics.filter(has_text="Items").first.inner_text()
        total = metrics.filter(has_text="Weight held").first.inner_text()
        assert f"{ROWS // 2:,}" in items and format_weight(expected_grams, "g") in total
        save_screenshot(page, "import-product-details")
    except Exception:
        save_screenshot(page, "import-journey-failed")
        raise
