"""Real-browser helpers: a live Streamlit server on a free port and headless Chromium.

Use the fixtures `live_server` (a function returning a started server for a
database URL) and `browser_page` (a fresh Playwright page) from
tests/conftest_browser via `pytest_plugins`, or call these helpers directly.
Chromium comes from Debian (/usr/bin/chromium); Playwright's own browser
download does not work here.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def require_chromium() -> None:
    """Skip (locally) or fail (in CI) when Debian's chromium is missing."""
    if os.path.exists(CHROMIUM):
        return
    message = "Debian's chromium is missing; install it with: sudo apt-get install -y chromium"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(database_url: str, data_dir: Path, extra_env: dict | None = None) -> LiveServer:
    """Start the real app (streamlit run app.py) on 127.0.0.1 and wait until it answers."""
    port = free_port()
    env = {**os.environ, "LOUPE_DATABASE_URL": database_url, "LOUPE_DATA_DIR": str(data_dir),
           "LOUPE_COOKIE_SECRET": "browser-test-cookie-secret-0123456789abcdef", **(extra_env or {})}
    command = [sys.executable, "-m", "ui.launch", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    return _start(command, port, env, data_dir, deadline_s=60)


def start_cli_server(database_url: str, data_dir: Path) -> LiveServer:
    """Start the app the way `make run` does: `python -m lib.cli serve --port N`, which migrates, loads the
    small demo into an empty database and execs Streamlit. The cookie secret is the one serve generates."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "LOUPE_COOKIE_SECRET"}
    env.update(LOUPE_DATABASE_URL=database_url, LOUPE_DATA_DIR=str(data_dir))
    return _start([sys.executable, "-m", "lib.cli", "serve", "--port", str(port)], port, env, data_dir,
                  deadline_s=180)


def _start(command: list[str], port: int, env: dict, data_dir: Path, deadline_s: float) -> LiveServer:
    log_path = data_dir / f"server-{port}.log"
    log = open(log_path, "w")
    process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The app exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return LiveServer(url, process, log_path)
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"The app did not start within {deadline_s:.0f} s:\n{log_path.read_text()}")


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def wait_until_idle(page, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has finished its run: no "Running…" status and no element of
    the previous run still on screen (data-stale), which a loaded machine can show for a while."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')", timeout=timeout_ms)


def wait_for_sign_in_form(page, timeout_ms: int = 30_000) -> None:
    """Wait for the sign-in form and for the app to finish its run.

    While a run is still going, the previous run's form can stay on screen
    beside the new one for a moment, so only the settled page is inspected."""
    page.get_by_label("Username", exact=True).first.wait_for(timeout=timeout_ms)
    wait_until_idle(page, timeout_ms)


def fill_sign_in_form(page, username: str, password: str) -> None:
    """Type into the real sign-in form as soon as it shows, and submit it. No settling first: nothing on
    the sign-in page reruns it by itself (ui/auth.py), so typed text and the submit are never lost."""
    page.get_by_label("Username", exact=True).wait_for(timeout=30_000)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(page, base_url: str, username: str, password: str, path: str = "") -> None:
    """Open `path` and sign in through the real form, once: a sign-in that does not open the page fails.

    The page opens only after the browser has stored the cookie (ui/auth.py), so nothing on it reruns by
    itself and the next click needs no settling."""
    page.goto(f"{base_url}/{path}")
    fill_sign_in_form(page, username, password)
    try:
        page.get_by_role("button", name="Log out").wait_for(timeout=30_000)
    except Exception:
        save_screenshot(page, f"sign-in-{username}")
        raise


def save_screenshot(page, name: str) -> Path:
    """Keep a picture of what the browser showed, for a failing test's report."""
    folder = PROJECT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
