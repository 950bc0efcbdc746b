"""Browser journey on /reports, in real Chromium against a real server.

The owner (boss) opens the waste & scrap log at an address whose range holds nothing, changes the range to the
last 30 days (the address follows), sees the two waste events of this month's casting jobs (North and South),
and downloads the CSV: the same machine columns as `python -m lib.cli report waste-log`.
"""
from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from lib.reports import catalog
from tests.browser import save_screenshot, sign_in, wait_until_idle
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop
from tests.test_browser_product import _download
from tests.test_reports_page import _production

pytestmark = pytest.mark.browser


def test_owner_changes_the_range_and_exports_the_waste_log(fresh_url, live_server, browser_page, tmp_path):
    two_location_workshop(fresh_url)
    _production(fresh_url)
    server = live_server(fresh_url)
    page = browser_page
    try:
        sign_in(page, server.url, "boss", TEST_PASSWORD,
                path="reports?report=waste-log&range=custom&from=2020-01-01&to=2020-01-31")
        wait_until_idle(page)
        expect(page.get_by_text("No waste, reject or scrap in this range at your locations.")).to_be_visible()

        page.locator('[data-testid="stSelectbox"]').filter(has_text="Date range").click()
        page.get_by_role("option", name="Last 30 days").click()
        wait_until_idle(page)
        page.wait_for_url("**/reports?*range=last-30-days*")
        expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
        assert "report=waste-log" in page.url

        download = _download(page, "Export CSV")
        saved = tmp_path / "waste.csv"
        download.save_as(saved)
        assert download.suggested_filename.startswith("waste-log_")
        rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
        assert list(rows[0]) == list(catalog.REPORTS["waste-log"].headers)
        assert sorted((row["operator"], row["event"], row["weight_g"]) for row in rows) == [
            ("Mo", "Waste", "0.2"), ("Samwise Southerly", "Waste", "0.2")]
    except Exception:
        save_screenshot(page, "reports-journey")
        raise
