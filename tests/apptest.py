"""Run the real app headless (streamlit.testing.v1.AppTest) against a test database.

`signed_in(url, username)` opens a server-side sign-in record for the user, as
the sign-in form does, and puts its id into the browser session, so each test
starts on a page as that user without typing the password.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from lib import db
from lib.models import User
from lib.workspace import users

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 30


def point_app_at(url: str, data_dir: Path) -> None:
    """Make the app under test use `url` and a scratch data folder."""
    os.environ["LOUPE_DATABASE_URL"] = url
    os.environ["LOUPE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("LOUPE_COOKIE_SECRET", "test-cookie-secret-0123456789-abcdefghij")
    from ui import context

    context.settings.clear()


def new_app(page: str | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if page:
        at.switch_page(f"pages/{page}")
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at


def signed_in(url: str, username: str, page: str | None = None, query: dict | None = None) -> AppTest:
    """An AppTest already signed in as `username` (a real LoginSession row)."""
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        record = users.open_login_session(session, username=user.username, token=f"test-{username}-{os.urandom(8).hex()}",
                                          expiry_days=1)
        record_id = record.id
    engine.dispose()
    at = new_app(page, query)
    at.session_state["loupe_login_session_id"] = record_id
    return at


def shown(value: object) -> str:
    """What a user reads of a Markdown element's value: the escapes that keep user text literal removed."""
    return re.sub(r"\\(.)", r"\1", str(value))


def texts(at: AppTest) -> str:
    """All visible text of a run, for assertions on what a user reads."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "error", "warning", "success"):
        parts.extend(shown(element.value) for element in getattr(at, kind))
    return "\n".join(parts)


def ok(at: AppTest) -> AppTest:
    """`at` after a run that raised nothing (the exceptions' messages otherwise)."""
    assert not at.exception, [e.value for e in at.exception]
    return at


def readable(at: AppTest) -> str:
    """What a person reads on the page: its texts, its tables as CSV and its metrics ("label value")."""
    parts = [texts(at)] + [frame.value.to_csv() for frame in at.dataframe]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)
