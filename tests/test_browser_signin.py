"""Sign-in journeys in real Chromium against the real server, with users hashed exactly as real ones
(bcrypt at `lib.workspace.users.BCRYPT_ROUNDS`): the cheap test hashes hid the race issue 8 describes.
One journey runs `python -m lib.cli serve` (the `make run` path) on the demo workspace."""
from __future__ import annotations

import time
from collections import Counter

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from lib import db
from lib.models import LoginSession, User
from lib.workspace import users
from lib.workspace.users import DEMO_PASSWORD
from tests.browser import fill_sign_in_form, save_screenshot, sign_in, wait_for_sign_in_form
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop

pytestmark = pytest.mark.browser
COOKIE = "loupe_auth"


def with_real_cost_passwords(url: str) -> None:
    """Re-hash every user's password (TEST_PASSWORD) at the cost real users get."""
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        session.execute(update(User).values(password_hash=users.hash_password(TEST_PASSWORD)))
    engine.dispose()


@pytest.fixture
def workshop(fresh_url):
    built = two_location_workshop(fresh_url)
    with_real_cost_passwords(fresh_url)
    return built


def _menu(page, entries: int) -> list[str]:
    """The labels of the sidebar's page links, once `entries` of them are drawn (the page-link element
    can arrive a moment after the Log out button on a loaded machine)."""
    labels = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"] [data-testid="stMarkdownContainer"]')
    expect(labels).to_have_count(entries, timeout=30_000)
    return [text.strip() for text in labels.all_text_contents()]


def _cookies(context) -> list[dict]:
    return [cookie for cookie in context.cookies() if cookie["name"] == COOKIE]


def _signed_in(page, timeout_ms: int = 15_000) -> bool:
    """True once the page shows Log out (a loaded machine may draw the sidebar after the page's heading)."""
    try:
        page.get_by_role("button", name="Log out").wait_for(timeout=timeout_ms)
    except Exception:  # Playwright's TimeoutError: not signed in
        return False
    return True


def log_out(page) -> None:
    """Click Log out; the form comes back once the browser has deleted the cookie."""
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Username", exact=True).wait_for(timeout=30_000)


def _login_sessions(url: str) -> list[tuple[str, str | None]]:
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        rows = session.execute(select(User.username, LoginSession.end_reason)
                               .join(User, User.id == LoginSession.user_id).order_by(LoginSession.id)).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_each_role_sees_its_navigation_and_deep_links_need_sign_in(workshop, live_server, browser_page):
    server = live_server(workshop.url)
    page = browser_page

    page.goto(f"{server.url}/product?id={workshop.product_id}")
    wait_for_sign_in_form(page)
    assert page.get_by_role("button", name="Sign in").is_visible()
    assert "Ruby" not in page.content() and "TRUB" not in page.content()
    assert page.locator('[data-testid="stSidebar"]').count() == 0

    expected = {
        "boss": ["Home", "Products", "Inventory", "Orders", "Production", "Reports", "Rate Center", "Users",
                 "Settings"],
        "nina": ["Home", "Products", "Inventory", "Orders", "Production", "Reports", "Rate Center"],
        "mo": ["Home", "Products", "Inventory", "Production", "Reports"],
    }
    for username, menu in expected.items():
        sign_in(page, server.url, username, TEST_PASSWORD)
        assert _cookies(page.context), username  # stored before the page opened
        assert _menu(page, len(menu)) == menu, username
        if username == "boss":
            assert page.get_by_text("Workspace settings").is_visible()
        else:
            assert page.get_by_text("Workspace settings").count() == 0
        log_out(page)
        assert not _cookies(page.context), username  # deleted before the form came back


def test_bad_input_gets_a_clear_message_and_typed_html_stays_text(workshop, live_server, browser_page):
    server = live_server(workshop.url)
    page = browser_page
    page.goto(server.url)
    cases = [
        ("mo", "not-the-password", "Wrong username or password."),
        ("nobody", TEST_PASSWORD, "Wrong username or password."),
        ('<img src=x onerror="window.pwned=1">boss', TEST_PASSWORD, "Wrong username or password."),
        ("gone", TEST_PASSWORD, "This account has been deactivated. Ask an admin to reactivate it."),
        ("", "", "Enter both your username and your password."),
        ("   ", "   ", "Enter both your username and your password."),
        ("mo", "x" * 10_000, users.PASSWORD_TOO_LONG),
    ]
    error = page.locator('[data-testid="stAlertContentError"]')
    for username, password, message in cases:
        # The same message twice in a row would already be on screen: clear it with an answer that differs.
        fill_sign_in_form(page, "", "")
        expect(error).to_have_text(users.ENTER_BOTH, timeout=30_000)
        fill_sign_in_form(page, username, password)
        expect(error).to_have_text(message, timeout=30_000)
        assert not _signed_in(page, timeout_ms=1_000), username
    assert page.evaluate("window.pwned") is None and page.locator('img[src="x"]').count() == 0

    for attempt in range(5):  # "sam": four wrong passwords, and the fifth locks the username
        fill_sign_in_form(page, "", "")
        expect(error).to_have_text(users.ENTER_BOTH, timeout=30_000)
        fill_sign_in_form(page, "sam", f"wrong-{attempt}")
        expect(error).to_have_text("Wrong username or password." if attempt < 4 else
                                   "Too many attempts, try again in 15 minutes.", timeout=30_000)
    fill_sign_in_form(page, "sam", TEST_PASSWORD)
    expect(error).to_have_text("Too many attempts, try again in 15 minutes.", timeout=30_000)
    assert not _signed_in(page, timeout_ms=1_000) and _login_sessions(workshop.url) == []


def test_cookie_keeps_you_signed_in_in_reloads_and_tabs_until_logout_and_copies_die_with_it(
        workshop, live_server, browser_page):
    server = live_server(workshop.url)
    page = browser_page
    sign_in(page, server.url, "mo", TEST_PASSWORD)
    [cookie] = _cookies(page.context)
    days_left = (cookie["expires"] - time.time()) / 86400
    assert 6.9 < days_left <= 7.0  # LOUPE_COOKIE_EXPIRY_DAYS, default 7

    page.reload()
    page.get_by_role("button", name="Log out").wait_for(timeout=30_000)
    second_tab = page.context.new_page()
    second_tab.goto(f"{server.url}/inventory")
    second_tab.get_by_role("heading", name="Inventory").wait_for(timeout=30_000)  # the deep link's page
    assert _signed_in(second_tab)

    copy = page.context.browser.new_context()
    copy.add_cookies([cookie])
    other = copy.new_page()
    other.goto(server.url)  # another browser, signed in by the copied cookie alone
    other.get_by_role("button", name="Log out").wait_for(timeout=30_000)

    log_out(page)
    assert not _cookies(page.context)
    second_tab.get_by_role("link", name="Products").click()  # its next interaction ends there too
    second_tab.get_by_text("Your session has ended. Please sign in again.").wait_for(timeout=30_000)
    second_tab.get_by_label("Username", exact=True).wait_for(timeout=30_000)

    third = copy.new_page()
    third.goto(server.url)
    wait_for_sign_in_form(third)
    assert not _signed_in(third, timeout_ms=1_000)
    assert _login_sessions(workshop.url) == [("mo", "logout")]  # the reload and the tabs used the one sign-in
    copy.close()


def test_signing_in_and_out_twenty_times_never_fails(workshop, live_server, browser_page):
    """No settling between steps: each sign-in is typed and submitted as soon as the form shows, and
    Log out is clicked as soon as the page shows. Counts what went wrong; any failure fails the test."""
    server = live_server(workshop.url)
    page = browser_page
    page.goto(server.url)
    rounds, failures = 20, Counter()
    for _ in range(rounds):
        fill_sign_in_form(page, "nina", TEST_PASSWORD)
        try:
            page.get_by_role("button", name="Log out").wait_for(timeout=30_000)
        except Exception:
            failures["the sign-in did not open the page"] += 1
            save_screenshot(page, f"stress-sign-in-{sum(failures.values())}")
            page.goto(server.url)
            continue
        if not _cookies(page.context):
            failures["no cookie once the page showed"] += 1
        try:
            log_out(page)
        except Exception:
            failures["the sign-out did not bring the form back"] += 1
            page.goto(server.url)
            continue
        if _cookies(page.context):
            failures["cookie left after sign-out"] += 1
    assert not failures, dict(failures)
    assert _login_sessions(workshop.url) == [("nina", "logout")] * rounds


def test_demo_users_sign_in_through_the_make_run_path(fresh_url, cli_server, browser_page):
    """`python -m lib.cli serve` on an empty database loads the demo (users hashed by lib.demo.build),
    and every demo user signs in, reloads, opens a second tab and signs out."""
    server = cli_server(fresh_url)
    page = browser_page
    members = ["Home", "Products", "Inventory", "Production", "Reports"]
    managers = ["Home", "Products", "Inventory", "Orders", "Production", "Reports", "Rate Center"]
    admin = ["Home", "Products", "Inventory", "Orders", "Production", "Reports", "Rate Center", "Users", "Settings"]
    demo_users = {"admin": admin, "manager": managers, "member": members, "manager2": managers,
                  "member2": members, "member3": members}
    for username, menu in demo_users.items():
        sign_in(page, server.url, username, DEMO_PASSWORD)
        assert _menu(page, len(menu)) == menu, username
        warning = page.get_by_text("Your password is still the public demo password")
        if username == "admin":
            expect(warning).to_be_visible()
        else:  # drawn before the sidebar when it is drawn at all
            assert warning.count() == 0, username
        page.reload()
        page.get_by_role("button", name="Log out").wait_for(timeout=30_000)
        tab = page.context.new_page()
        tab.goto(server.url)
        tab.get_by_role("button", name="Log out").wait_for(timeout=30_000)
        tab.close()
        log_out(page)
    assert [name for name, _reason in _login_sessions(fresh_url)] == list(demo_users)
