"""Browser journey: each demo role signs in through the real form and sees its own navigation."""
import pytest

from tests.browser import fill_sign_in_form, sign_in
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
    page.get_by_label("Username", exact=True).wait_for()
    assert page.get_by_role("button", name="Sign in").is_visible()
    assert "Ruby" not in page.content() and "TRUB" not in page.content()
    assert page.locator('[data-testid="stSidebar"]').count() == 0

    expected = {
        "boss": ["Home", "Products", "Inventory", "Users", "Settings"],
        "nina": ["Home", "Products", "Inventory"],
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
        page.get_by_label("Username", exact=True).wait_for()


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
