"""Browser journey: a member adds an item with a photo, adjusts it, and finds it again by its tag."""
from __future__ import annotations

import io

import pytest
from PIL import Image as PILImage
from sqlalchemy import select

from lib import db
from lib.models import Image, InventoryItem, MovementKind, StockMovement
from tests.browser import save_screenshot, sign_in, wait_until_idle
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop

pytestmark = pytest.mark.browser


def _photo(tmp_path):
    path = tmp_path / "ring.png"
    PILImage.new("RGB", (320, 240), (180, 20, 60)).save(path, format="PNG")
    return path


def settle(page) -> None:
    """Wait until the script run is over and no element of the previous run is still shown (data-stale):
    on a loaded machine the old and the new step can both be on screen for a while."""
    wait_until_idle(page)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=30_000)


def _select(page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def _segment(page, name: str) -> None:
    """Click an option of an st.segmented_control (rendered as a radio group)."""
    page.get_by_role("radio", name=name, exact=True).click()
    settle(page)


def _fill(page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter" if field.evaluate("e => e.tagName") == "INPUT" else "Tab")


def test_member_adds_with_photo_adjusts_and_finds_by_tag(fresh_url, live_server, browser_page, tmp_path):
    two_location_workshop(fresh_url)
    server = live_server(fresh_url)
    page = browser_page
    try:
        sign_in(page, server.url, "mo", TEST_PASSWORD)
        page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Inventory").click()
        page.get_by_role("heading", name="Inventory").wait_for()
        settle(page)
        _segment(page, "Add item")
        _select(page, "Product", "Ruby")
        page.get_by_role("button", name="Next").click()
        settle(page)
        _fill(page, "Quantity (pieces)", "4")
        _fill(page, "Weight", "3.25")
        settle(page)
        page.get_by_role("button", name="Next").click()
        settle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(_photo(tmp_path)))
        page.get_by_text("ring.png").wait_for()
        settle(page)
        page.get_by_role("button", name="Add item", exact=True).click()
        page.get_by_text("Added TRUB0003").wait_for()
        save_screenshot(page, "inventory-added")

        page.get_by_role("button", name="Open item").click()
        settle(page)
        page.get_by_role("heading", name="TRUB0003").wait_for()
        page.locator('[data-testid="stMain"] img').first.wait_for()  # the photo is shown
        _segment(page, "Adjust")
        page.get_by_label("Change in pieces", exact=True).fill("-1")
        page.get_by_label("Change in weight (g)", exact=True).fill("-0.25")
        page.get_by_label("Reason (required)", exact=True).fill("one stone chipped")
        page.get_by_role("button", name="Record adjustment").click()
        page.get_by_text("TRUB0003 adjusted.").wait_for()
        settle(page)
        page.get_by_role("button", name="Close").click()
        settle(page)

        search = page.get_by_placeholder("Tag ID, product name or notes")
        search.fill("trub0003")
        search.press("Enter")
        settle(page)
        page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'trub0003'")
        # the default view survived the trip through the add wizard (no sort/page size forced into the url)
        assert page.evaluate("() => [...new URLSearchParams(location.search).keys()]") == ["q"]
        items = page.locator('[data-testid="stMetric"]').filter(has_text="Items")
        assert "1" in items.inner_text()
        held = page.locator('[data-testid="stMetric"]').filter(has_text="Weight held")
        assert held.locator('[data-testid="stMetricValue"]').inner_text() == "3.000 g"
        save_screenshot(page, "inventory-found")
        with page.expect_download(timeout=60_000) as download:  # the export holds the filtered set, not more
            page.get_by_role("button", name="Export CSV").click()
        download.value.save_as(tmp_path / "export.csv")
        lines = (tmp_path / "export.csv").read_text().splitlines()
        assert len(lines) == 2 and lines[1].startswith("TRUB0003,Ruby,Finished")
    except Exception:
        save_screenshot(page, "inventory-journey-failed")
        raise

    engine = db.make_engine(fresh_url)
    with db.session_scope(engine) as session:
        item = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == "TRUB0003")).one()
        kinds = session.scalars(select(StockMovement.movement_kind).where(StockMovement.item_id == item.id)
                                .order_by(StockMovement.id)).all()
        image = session.get(Image, item.image_id)
        assert (item.quantity, str(item.weight)) == (3, "3.0000")
        assert kinds == [MovementKind.RECEIPT, MovementKind.ADJUSTMENT]
        assert PILImage.open(io.BytesIO(image.data)).size == (320, 240) and image.thumbnail
    engine.dispose()
