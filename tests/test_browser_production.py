"""Browser journey on /production, in real Chromium against a real server.

Nina, manager of North, creates a job that issues the rough lot TLOT0001 (10 pcs, 100 g) into Cutting,
receives 82 g good output with a 5 g rejection, 8 g scrap and 5 g waste, reads the bar and the four
efficiency figures (the reference's documented example), issues the -RCV output into the next stage, and
finds the new items in Inventory by their suffix tags.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lib import db
from lib.models import InventoryItem, InventoryKind, ItemStatus, Location, Product, ProductionJob, User
from lib.production import stages
from tests import factories as f
from tests.browser import save_screenshot, sign_in, wait_until_idle
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop

pytestmark = pytest.mark.browser


def _plant(url: str) -> None:
    workshop = two_location_workshop(url)
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        stages.add_stage(session, actor=boss, name="Cutting", code="CUT", kinds=["rough"])
        stages.add_stage(session, actor=boss, name="Polishing", code="POL")
        f.make_item(session, session.get(Product, workshop.product_id), session.get(Location, workshop.north_id),
                    quantity=10, weight="100", unit="g", kind=InventoryKind.ROUGH, tag_id="TLOT0001")
    engine.dispose()


def _fill(page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    wait_until_idle(page)


def _choose_in_multiselect(page, label_text: str, option: re.Pattern) -> None:
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text=label_text)
    box.locator("input").click()
    page.get_by_role("option", name=option).click()
    page.keyboard.press("Escape")
    wait_until_idle(page)


def _expect_metric(page, label: str, value: str) -> None:
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    expect(card.locator('[data-testid="stMetricValue"]')).to_have_text(value)


def test_manager_creates_a_job_receives_output_reads_the_figures_and_goes_on(fresh_url, live_server, browser_page):
    _plant(fresh_url)
    server = live_server(fresh_url)
    page = browser_page
    try:
        sign_in(page, server.url, "nina", TEST_PASSWORD, path="production")
        page.get_by_role("heading", name="Production").wait_for()
        wait_until_idle(page)
        page.get_by_role("radio", name="New job", exact=True).click()
        wait_until_idle(page)
        _choose_in_multiselect(page, "Source items", re.compile("TLOT0001"))
        page.get_by_role("button", name="Create job").click()
        page.get_by_text("JOB-0001 created: issued TLOT0001.").wait_for()
        page.wait_for_url(re.compile(r"/production\?job=\d+"))
        wait_until_idle(page)

        page.get_by_role("radio", name="Receive", exact=True).click()
        wait_until_idle(page)
        _fill(page, "Received pieces", "8")
        _fill(page, "Received weight", "82")
        _fill(page, "Wasted weight", "5")
        page.get_by_text("Output has rejection", exact=True).click()
        wait_until_idle(page)
        _fill(page, "Rejected pieces", "1")
        _fill(page, "Rejected weight", "5")
        page.get_by_text("Output has scrap", exact=True).click()
        wait_until_idle(page)
        _fill(page, "Scrapped weight", "8")
        page.get_by_role("button", name="Save receipt").click()
        page.get_by_text("Receipt 1 recorded: TLOT0001-RCV1 (82.000 g), TLOT0001-REJ1 (5.000 g), "
                         "TLOT0001-SCRAP1 (8.000 g); waste 5.000 g.").wait_for()
        wait_until_idle(page)

        for label, value in (("Output", "87.0 %"), ("Gross waste", "13.0 %"), ("Net waste", "5.0 %"),
                             ("Consumption", "14.9 %")):
            _expect_metric(page, label, value)
        page.get_by_text("Completed 82.0 % · Pending 0.0 % · Rejected 5.0 % · Scrapped 8.0 % · "
                         "Wasted 5.0 %").wait_for()
        expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible()  # the stacked bar
        save_screenshot(page, "production-job-received")

        page.get_by_role("button", name="Issue the received output into Polishing").click()
        wait_until_idle(page)
        box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Source items")
        expect(box).to_contain_text("TLOT0001-RCV1")
        page.get_by_role("button", name="Create job").click()
        page.get_by_text("JOB-0002 created: issued TLOT0001-RCV1.").wait_for()
        wait_until_idle(page)

        page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Inventory").click()
        page.get_by_role("heading", name="Inventory").wait_for()
        wait_until_idle(page)
        search = page.get_by_placeholder("Tag ID, product name or notes")
        search.fill("tlot0001-")
        search.press("Enter")
        wait_until_idle(page)
        page.get_by_text("Held stock only", exact=True).click()  # the issued -RCV1 is consumed: every status
        wait_until_idle(page)
        grid = page.locator('[data-testid="stDataFrame"]').first
        expect(grid).to_be_visible()
        items = page.locator('[data-testid="stMetric"]').filter(has_text="Items (all statuses)")
        expect(items.locator('[data-testid="stMetricValue"]')).to_have_text("3")
        save_screenshot(page, "production-inventory-suffix-tags")
    except Exception:
        save_screenshot(page, "production-journey-failed")
        raise

    engine = db.make_engine(fresh_url)
    with db.session_scope(engine) as session:
        found = {item.tag_id: item for item in session.scalars(select(InventoryItem)
                                                               .where(InventoryItem.tag_id.like("TLOT0001-%")))}
        assert set(found) == {"TLOT0001-RCV1", "TLOT0001-REJ1", "TLOT0001-SCRAP1"}
        assert found["TLOT0001-RCV1"].status is ItemStatus.CONSUMED  # issued into Polishing
        assert found["TLOT0001-REJ1"].status is ItemStatus.ON_HOLD
        numbers = session.scalars(select(ProductionJob.number).order_by(ProductionJob.id)).all()
        assert numbers == ["JOB-0001", "JOB-0002"]
        second = session.scalars(select(ProductionJob).where(ProductionJob.number == "JOB-0002")).one()
        assert second.deadline == second.issued_on + timedelta(days=7) and second.issued_on <= date.today()
    engine.dispose()
