"""Browser fixtures, shared by every browser test module via `pytest_plugins`."""
from __future__ import annotations

import pytest

from tests.browser import launch_browser, require_chromium, start_cli_server, start_server


@pytest.fixture
def live_server(tmp_path):
    """Call with a database URL; returns a started LiveServer, stopped after the test."""
    servers = []

    def start(database_url: str, extra_env: dict | None = None):
        server = start_server(database_url, tmp_path, extra_env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def cli_server(tmp_path):
    """Call with a database URL; returns `python -m lib.cli serve` (the `make run` path) started on it."""
    servers = []

    def start(database_url: str):
        data_dir = tmp_path / "cli-data"
        data_dir.mkdir(exist_ok=True)
        server = start_cli_server(database_url, data_dir)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def browser_page():
    """A fresh page in headless Debian Chromium driven by Playwright."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
        context.close()
        browser.close()
