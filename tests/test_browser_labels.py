"""Browser journey: a production receipt's new items get their tags printed on barbell labels, the labels' QR
codes and barcodes decode back to those items, and a scanner (typing the tag and Enter into the sidebar box)
opens them one after another without the mouse; a phone that opens a label's QR address signs in and lands on the item.

Nina, manager of North, opens JOB-0001, whose receipt made TLOT0001-RCV1, -REJ1 and -SCRAP1.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lib import db
from lib.models import InventoryKind, Location, Product, User
from lib.production import jobs, receipts, stages
from lib.production.jobs import NewJob, SourceLine
from lib.production.receipts import OutputRow, Portion, ReceiptDraft
from lib.workspace import settings as ws_settings
from tests import factories as f
from tests.browser import save_screenshot, sign_in, wait_until_idle
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop
from tests.test_labels import decoded

pytestmark = pytest.mark.browser
BASE = "https://loupe.example.com"
MADE = ("TLOT0001-RCV1", "TLOT0001-REJ1", "TLOT0001-SCRAP1")


def _plant(url: str) -> int:
    workshop = two_location_workshop(url)
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        ws_settings.update_settings(session, actor=boss, public_base_url=BASE)
        stage = stages.add_stage(session, actor=boss, name="Cutting", code="CUT")
        lot = f.make_item(session, session.get(Product, workshop.product_id), session.get(Location, workshop.north_id),
                          quantity=10, weight="100", unit="g", kind=InventoryKind.ROUGH, tag_id="TLOT0001")
        job = jobs.create_job(session, actor=boss, data=NewJob(stage_id=stage.id, sources=(SourceLine(lot.id),)))
        receipts.receive_job(session, actor=boss, job_id=job.job_id, draft=ReceiptDraft(rows=(
            OutputRow(product_id=workshop.product_id, weight="82", pieces=8, waste="5",
                      rejected=Portion(weight="5", pieces=1), scrapped=Portion(weight="8")),)))
        job_id = job.job_id
    engine.dispose()
    return job_id


def _scan(page, text: str) -> None:
    """What a USB scanner does: types into whatever has the focus, then Enter."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    wait_until_idle(page)


def test_receipt_labels_print_scan_back_and_open_the_items(fresh_url, live_server, browser_page, tmp_path):
    job_id = _plant(fresh_url)
    server = live_server(fresh_url)
    page = browser_page
    try:
        sign_in(page, server.url, "nina", TEST_PASSWORD, path=f"production?job={job_id}")
        page.get_by_role("heading", name="JOB-0001").wait_for()
        wait_until_idle(page)
        page.get_by_text(re.compile(r"Print labels of the received items")).click()
        wait_until_idle(page)
        page.get_by_role("button", name="Prepare labels PDF").click()
        wait_until_idle(page)
        with page.expect_download() as download_info:
            page.get_by_role("button", name=re.compile(r"Download 3 labels")).click()
        pdf = tmp_path / "labels.pdf"
        download_info.value.save_as(pdf)
        codes = sorted(code for label in decoded(pdf.read_bytes()) for code in label)
        assert codes == sorted([("Code128", tag) for tag in MADE] +
                               [("QRCode", f"{BASE}/inventory?item={tag}") for tag in MADE])
        save_screenshot(page, "labels-receipt-printed")

        page.get_by_role("textbox", name="Scan or type a tag").click()  # the only click: then the scanner takes over
        _scan(page, "tlot0001-rcv1")
        page.wait_for_url(re.compile(r"/inventory\?item="))
        page.get_by_role("heading", name="TLOT0001-RCV1").wait_for()
        _scan(page, f"{BASE}/inventory?item=TLOT0001-REJ1")  # a phone-read QR address typed in, no mouse
        page.get_by_role("heading", name="TLOT0001-REJ1").wait_for()
        _scan(page, "TJAD0001")  # South's: not in Nina's locations
        page.get_by_text("No item with that tag in your locations.").wait_for()
        save_screenshot(page, "labels-scanned")

        phone = page.context.browser.new_context(viewport={"width": 400, "height": 900})  # a phone, not signed in
        camera = phone.new_page()
        sign_in(camera, server.url, "nina", TEST_PASSWORD, path="inventory?item=TLOT0001-SCRAP1")  # the QR address
        camera.get_by_role("heading", name="TLOT0001-SCRAP1").wait_for()
        phone.close()
    except Exception:
        save_screenshot(page, "labels-journey-failed")
        raise
