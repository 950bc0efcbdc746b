"""Browser journey: each demo role signs in through the real form and sees its own navigation."""
import pytest

from tests.browser import fill_sign_in_form, sign_in, wait_for_sign_in_form
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop

pytestmark = pytest.mark.browser


def _menu(page) -> list[str]:
    links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
    return [text.strip() for text in links.all_inner_texts()]


def test_each_role_sees_its_navigation_and_deep_links_need_sign_in(fresh_url, live_server, browser_page):
    workshop = two_location_workshop(fresh_url)
    server = live_server(fresh_url)
    page = browser_page

    page.goto(f"{server.url}/product?id={workshop.product_id}")
    wait_for_sign_in_form(page)
    assert page.get_by_role("button", name="Sign in").is_visible()
    assert "Ruby" not in page.content() and "TRUB" not in page.content()
    assert page.locator('[data-testid="stSidebar"]').count() == 0

    expected = {
        "boss": ["Home", "Products", "Inventory", "Orders", "Users", "Settings"],
        "nina": ["Home", "Products", "Inventory", "Orders"],
        "mo": ["Home", "Products", "Inventory"],
    }
    for username, menu in expected.items():
        sign_in(page, server.url, username, TEST_PASSWORD)
        assert [entry.split()[-1] for entry in _menu(page)] == menu, username
        if username == "boss":
            assert page.get_by_text("Workspace settings").is_visible()
        else:
            assert page.get_by_text("Workspace settings").count() == 0
        page.get_by_role("button", name="Log out").click()
        wait_for_sign_in_form(page)


def test_wrong_password_and_inactive_user_get_clear_messages(fresh_url, live_server, browser_page):
    two_location_workshop(fresh_url)
    server = live_server(fresh_url)
    page = browser_page
    page.goto(server.url)
    fill_sign_in_form(page, "mo", "not-the-password")
    page.get_by_text("Wrong username or password.").wait_for()
    fill_sign_in_form(page, "gone", TEST_PASSWORD)
    page.get_by_text("This account has been deactivated").wait_for()
    fill_sign_in_form(page, "", "")
    page.get_by_text("Enter both your username and your password.").wait_for()


def test_cookie_keeps_you_signed_in_until_logout_and_a_copied_cookie_dies_with_it(fresh_url, live_server, browser_page):
    two_location_workshop(fresh_url)
    server = live_server(fresh_url)
    page = browser_page
    sign_in(page, server.url, "mo", TEST_PASSWORD)
    page.wait_for_function("() => document.cookie.includes('loupe_auth=')", timeout=15_000)
    cookies = [c for c in page.context.cookies() if c["name"] == "loupe_auth"]
    assert cookies

    copy = page.context.browser.new_context()
    copy.add_cookies(cookies)
    other = copy.new_page()
    other.goto(server.url)  # a new browser session, signed in by the cookie alone
    other.get_by_role("button", name="Log out").wait_for(timeout=30_000)

    page.get_by_role("button", name="Log out").click()
    wait_for_sign_in_form(page)

    third = copy.new_page()
    third.goto(server.url)
    wait_for_sign_in_form(third)
    assert third.get_by_role("button", name="Log out").count() == 0
    copy.close()
