"""The Create-your-workspace form in the real app (AppTest): shown only while no user exists,
every bad input refused with a clear message and nothing written, a busy database said so."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from lib import db
from lib.models import CatalogEntry, User, Workspace
from lib.workspace import setup
from tests.apptest import new_app, point_app_at, texts
from tests.conftest import ON_POSTGRES

GOOD = {"setup_workspace_name": "Rivera Gems", "setup_admin_username": "ana", "setup_admin_name": "Ana Rivera",
        "setup_password": "correct horse", "setup_password_repeat": "correct horse"}


@pytest.fixture
def empty_app(fresh_url, tmp_path):
    point_app_at(fresh_url, tmp_path)
    return fresh_url


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", str(value))


def _form(page: str | None = None, query: dict | None = None):
    at = new_app(page, query).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _submit(at, industry: str = "gemstones", **changes):
    for key, value in {**GOOD, **changes}.items():
        at.text_input(key=key).input(value)
    at.selectbox(key="setup_industry").select(industry)
    at.button(key="setup_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _counts(url: str) -> tuple[int, int, int]:
    engine = db.make_engine(url)
    try:
        with db.session_scope(engine) as session:
            return tuple(session.scalar(select(func.count()).select_from(model))
                         for model in (Workspace, User, CatalogEntry))
    finally:
        engine.dispose()


@pytest.mark.parametrize("page, query", [(None, None), ("inventory.py", None), ("product.py", {"id": "1"}),
                                         ("users.py", None)])
def test_every_address_shows_only_the_form_while_no_user_exists(empty_app, page, query):
    at = _form(page, query)
    assert [s.value for s in at.subheader] == ["Create your workspace"]
    assert at.text_input(key="setup_workspace_name") is not None
    assert not at.sidebar.get("page_link") and not at.dataframe
    with pytest.raises(KeyError):
        at.text_input(key="login_username")
    assert at.selectbox(key="setup_industry").options == ["Gemstones", "Jewelry", "Auto parts"]


def test_the_form_creates_the_workspace_then_the_admin_signs_in(empty_app):
    at = _submit(_form(), industry="auto_parts")
    assert "Workspace Rivera Gems created. Sign in as ana" in unescape(texts(at))
    with pytest.raises(KeyError):
        at.text_input(key="setup_workspace_name")  # never again
    workspaces, users, entries = _counts(empty_app)
    assert (workspaces, users) == (1, 1) and entries > 50
    at.text_input(key="login_username").input("ana")
    at.text_input(key="login_password").input("correct horse")
    at.button[0].click().run()
    assert not at.exception and "Signing you in…" in texts(at)
    at.session_state[at.session_state["loupe_cookie_pending"]["key"]] = True  # the browser stored the cookie
    at.run()
    assert [link.label for link in at.sidebar.get("page_link")] == [
        "Home", "Products", "Inventory", "Orders", "Production", "Reports", "Rate Center", "Users", "Settings"]
    assert _form().text_input(key="login_username") is not None  # a new browser gets the sign-in form


@pytest.mark.parametrize("changes, message", [
    ({"setup_password_repeat": "correct horsE"}, "The passwords do not match."),
    ({"setup_password": "too-short", "setup_password_repeat": "too-short"}, "at least 10 characters"),
    ({"setup_workspace_name": "  "}, "Workspace name is required."),
    ({"setup_admin_name": ""}, "The admin's name is required."),
    ({"setup_admin_username": "<b>ana</b>"}, "Username: 2-60 characters"),
])
def test_bad_input_gets_a_clear_message_and_writes_nothing(empty_app, changes, message):
    at = _submit(_form(), **changes)
    assert [e.value for e in at.error] == ["The workspace was not created:"]
    assert any(message in t.value for t in at.text)
    assert _counts(empty_app) == (0, 0, 0)
    assert at.text_input(key="setup_workspace_name") is not None  # still the form, still typed in


def test_html_in_the_workspace_name_is_shown_as_text(empty_app):
    at = _submit(_form(), setup_workspace_name="<b>Bold</b> & Co")
    notice = next(i.value for i in at.info)
    assert "<b>" not in notice.replace("\\<b\\>", "") and unescape(notice).startswith("Workspace <b>Bold</b> & Co")


def test_a_form_submitted_after_another_creation_writes_nothing(empty_app):
    at = _form()
    engine = db.make_engine(empty_app)
    with db.session_scope(engine, write=True) as session:  # another browser, a moment earlier
        setup.create_workspace(session, name="First", industry="jewelry", admin_username="first",
                               admin_name="First", admin_password="first-password", password_rounds=4)
    engine.dispose()
    at = _submit(at)
    assert "created a moment ago from elsewhere; nothing was changed" in texts(at)
    assert _counts(empty_app)[:2] == (1, 1)
    assert at.text_input(key="login_username") is not None


def test_a_locked_database_shows_busy_and_writes_nothing(empty_app, monkeypatch):
    """Another connection holds the write lock: after the (shortened) lock wait the page says so."""
    monkeypatch.setattr(db, "LOCK_TIMEOUT_SECONDS", 1)
    at = _form()
    holder = db.make_engine(empty_app)
    try:
        with db.session_scope(holder, write=True) as session:
            if ON_POSTGRES:
                session.execute(text("LOCK TABLE workspace IN EXCLUSIVE MODE"))
            else:
                session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is held
            at = _submit(at)
    finally:
        holder.dispose()
    assert [unescape(e.value) for e in at.error] == ["The workspace is busy, try again in a moment."]
    assert _counts(empty_app) == (0, 0, 0)
    assert at.text_input(key="setup_workspace_name") is not None
