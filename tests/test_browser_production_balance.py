"""Browser journey (issue 16): a casting job's metal balance, in real Chromium against a real server.

Nina, manager of North, issues 100 g of gold casting grain into Casting, returns 12 g of sprue to stock,
receives 80 g of castings and 3 g of scrap, and completes the job writing off the 5 g left unaccounted with a
reason: the page shows the balance adding up at every step, and 0 g outstanding at the end.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lib import db
from lib.models import InventoryItem, InventoryKind, Location, Product, ProductionJob, User
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
        stages.add_stage(session, actor=boss, name="Casting", code="CAST")
        f.make_item(session, session.get(Product, workshop.product_id), session.get(Location, workshop.north_id),
                    quantity=0, weight="100", unit="g", kind=InventoryKind.MATERIALS, tag_id="TGRAIN0001")
    engine.dispose()


def _fill(page, label: str, value: str, enter: bool = True) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    if enter:  # outside a form: Enter applies the value; inside a form it would submit it
        field.press("Enter")
        wait_until_idle(page)


def _action(page, name: str) -> None:
    page.get_by_role("radio", name=name, exact=True).click()
    wait_until_idle(page)


def test_casting_job_returns_sprue_and_completes_with_its_metal_balanced(fresh_url, live_server, browser_page):
    _plant(fresh_url)
    server = live_server(fresh_url)
    page = browser_page
    try:
        sign_in(page, server.url, "nina", TEST_PASSWORD, path="production")
        page.get_by_role("heading", name="Production").wait_for()
        wait_until_idle(page)
        _action(page, "New job")
        box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Source items")
        box.locator("input").click()
        page.get_by_role("option", name=re.compile("TGRAIN0001")).click()
        page.keyboard.press("Escape")
        wait_until_idle(page)
        page.get_by_role("button", name="Create job").click()
        page.get_by_text("JOB-0001 created: issued TGRAIN0001.").wait_for()
        page.wait_for_url(re.compile(r"/production\?job=\d+"))
        wait_until_idle(page)
        page.get_by_text("100.000 g issued − 0.000 g returned = 0.000 g received + 0.000 g rejected + "
                         "0.000 g scrapped + 0.000 g waste + 100.000 g outstanding").wait_for()

        _action(page, "Return unused stock")
        _fill(page, "Weight to return (the item's unit)", "12", enter=False)
        _fill(page, "Note (e.g. sprue, offcuts)", "sprue", enter=False)
        page.get_by_role("button", name="Return to stock").click()
        page.get_by_text("Returned 0 pcs, 12.000 g to TGRAIN0001.").wait_for()
        wait_until_idle(page)

        _action(page, "Receive")
        _fill(page, "Received weight", "80")
        page.get_by_text("Output has scrap", exact=True).click()
        wait_until_idle(page)
        _fill(page, "Scrapped weight", "3")
        page.get_by_role("button", name="Save receipt").click()
        page.get_by_text(re.compile(r"Receipt 1 recorded: TGRAIN0001-RCV1 \(80.000 g\), TGRAIN0001-SCRAP1")).wait_for()
        wait_until_idle(page)
        page.get_by_text("100.000 g issued − 12.000 g returned = 80.000 g received + 0.000 g rejected + "
                         "3.000 g scrapped + 0.000 g waste + 5.000 g outstanding").wait_for()
        save_screenshot(page, "production-balance-before-completion")

        _action(page, "Complete")
        page.get_by_text(re.compile("5.000 g of the issued metal is unaccounted")).wait_for()
        _fill(page, "Reason (required when unaccounted metal is written off)", "polishing dust", enter=False)
        page.get_by_role("button", name="Complete job").click()
        page.get_by_text("JOB-0001 completed.").wait_for()
        wait_until_idle(page)
        page.get_by_text("100.000 g issued − 12.000 g returned = 80.000 g received + 0.000 g rejected + "
                         "3.000 g scrapped + 5.000 g waste + 0.000 g outstanding").wait_for()
        expect(page.get_by_text("Metal balance").first).to_be_visible()
        save_screenshot(page, "production-balance-completed")
    except Exception:
        save_screenshot(page, "production-balance-journey-failed")
        raise

    engine = db.make_engine(fresh_url)
    with db.session_scope(engine) as session:
        grain = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == "TGRAIN0001")).one()
        assert grain.weight == 12  # the sprue is back in stock
        job = session.scalars(select(ProductionJob)).one()
        assert job.written_off_g == 5 and job.close_note == "polishing dust"
    engine.dispose()
