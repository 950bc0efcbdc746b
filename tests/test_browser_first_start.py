"""Browser journeys of a real team's first start, in Chromium against the real server:
`serve --no-demo` on an empty database shows the Create-your-workspace form, which creates the
workspace and its first admin, who then signs in through the real form; an
unexpected error shows only a short message with an id (the traceback is in
the server log)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest
from sqlalchemy import select

from lib import db
from lib.models import InventoryItem, User, Workspace
from tests.browser import PROJECT, free_port, save_screenshot, sign_in, wait_until_idle
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop

pytestmark = pytest.mark.browser


@pytest.fixture
def no_demo_server(fresh_url, tmp_path):
    """`python -m lib.cli serve --no-demo` (what `make run DEMO=0` runs) on an empty database."""
    port = free_port()
    env = {**os.environ, "LOUPE_DATABASE_URL": fresh_url, "LOUPE_DATA_DIR": str(tmp_path),
           "LOUPE_COOKIE_SECRET": "browser-test-cookie-secret-0123456789abcdef"}
    env.pop("LOUPE_DEMO", None)
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "lib.cli", "serve", "--port", str(port), "--no-demo"],
                                   cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.3)
        yield url, log_path, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_an_empty_database_is_created_through_the_form_and_its_admin_signs_in(no_demo_server, fresh_url,
                                                                               browser_page):
    url, log_path, port = no_demo_server
    assert f"No workspace yet: open http://localhost:{port} to create it" in log_path.read_text()
    page = browser_page
    page.goto(f"{url}/inventory")  # a deep link shows the form too
    try:
        page.get_by_text("Create your workspace").wait_for()
        wait_until_idle(page)
        page.get_by_label("Workspace name").fill("Rivera <b>Gems</b>")
        page.locator('[data-testid="stSelectbox"]').click()
        page.get_by_role("option", name="Jewelry").click()
        page.get_by_role("textbox", name="Username").fill("ana")
        page.get_by_label("Full name").fill("Ana Rivera")
        page.get_by_role("textbox", name="Password", exact=True).fill("correct horse")
        page.get_by_label("Repeat the password").fill("correct horse")
        page.get_by_role("button", name="Create workspace").click()
        page.get_by_text("Sign in as ana with the password you chose").wait_for()
        wait_until_idle(page)
        assert page.get_by_text("Workspace Rivera <b>Gems</b> created.").count() == 1  # HTML shown as text
        assert page.get_by_role("button", name="Sign in").is_visible()
        page.goto(f"{url}/users")  # never the form again, at any address
        page.get_by_role("button", name="Sign in").wait_for()
        wait_until_idle(page)
        assert page.get_by_text("Create your workspace").count() == 0
        sign_in(page, url, "ana", "correct horse")  # the first admin, hashed at the real cost
        links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
        links.filter(has_text="Settings").wait_for()  # an admin's menu, once the page has drawn it
        assert [entry.split()[-1] for entry in links.all_inner_texts()][-2:] == ["Users", "Settings"]
    except Exception:
        save_screenshot(page, "first-start")
        raise
    engine = db.make_engine(fresh_url)
    with db.session_scope(engine) as session:
        assert session.scalars(select(Workspace.industry)).one() == "jewelry"
        assert session.scalars(select(User.username)).all() == ["ana"]
    engine.dispose()


def test_an_unexpected_error_shows_an_id_and_keeps_the_traceback_in_the_log(fresh_url, live_server,
                                                                               browser_page):
    """A weight of 1e30 in Adjust (decimal.InvalidOperation while the number parsing is reworked, see
    docs/first-start.md): the page shows a short message with an id, never a traceback or a server path."""
    two_location_workshop(fresh_url)
    engine = db.make_engine(fresh_url)
    with db.session_scope(engine) as session:
        item = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == "TRUB0001")).one()
        item_id, weight_before = item.id, item.weight
    server = live_server(fresh_url)
    page = browser_page
    try:
        sign_in(page, server.url, "boss", TEST_PASSWORD, path=f"inventory?item={item_id}")
        page.get_by_role("radio", name="Adjust", exact=True).click()
        wait_until_idle(page)
        page.get_by_label("Change in weight (ct)", exact=True).fill("1e30")
        page.get_by_label("Reason (required)", exact=True).fill("recount")
        page.get_by_role("button", name="Record adjustment").click()
        page.locator('[data-testid="stMain"] [data-testid="stAlert"]').first.wait_for()
        wait_until_idle(page)
        shown = page.locator('[data-testid="stMain"]').inner_text()
    except Exception:
        save_screenshot(page, "unexpected-error")
        raise
    for internal in ("Traceback", str(PROJECT), "site-packages", ".py"):
        assert internal not in shown
    found = re.search(r"Something went wrong \(error id ([0-9a-f]{10})\)", shown)
    if found:  # still an unexpected error: its id leads to the traceback in the server log
        log = server.log()
        assert f"Unexpected error {found.group(1)}" in log and "Traceback" in log
    else:  # the number parsing now refuses it as bad input, which is fine too
        assert "weight" in shown.lower()
    with db.session_scope(engine) as session:
        assert session.get(InventoryItem, item_id).weight == weight_before
    engine.dispose()
