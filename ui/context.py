"""Per-server resources and the per-rerun actor, for pages.

Pages call `actor()` for who is signed in and `db()` for a transaction; the
engine is cached for the server's life (never the session). An action (a
button, a form, a widget callback) calls `fresh_actor(session)` inside its own
write transaction: the role, location or sign-in may have changed since the
run that drew the button, and a callback runs before the router checks anything.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lib import db as lib_db
from lib.access import Actor, actor_for_user
from lib.config import Settings, load_settings
from lib.errors import PermissionDenied
from lib.workspace import users

ACTOR_KEY = "loupe_actor"
LOGIN_SESSION_KEY = "loupe_login_session_id"  # id of this browser session's open LoginSession
SESSION_ENDED = "Your session has ended. Please sign in again."


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """Deployment settings, read once per server process."""
    return load_settings()


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = lib_db.make_engine(url)
    lib_db.check_connection(engine)
    return engine


def engine() -> Engine:
    """The shared engine for the configured database."""
    return _engine_for(settings().database_url)


@contextmanager
def db(write: bool = False) -> Iterator[Session]:
    """One transaction for this rerun or this button action."""
    with lib_db.session_scope(engine(), write=write) as session:
        yield session


def actor() -> Actor:
    """The signed-in Actor for this rerun; pages call it first.

    When Streamlit ran this page script without the router (see ui/router.py),
    run the router here (sign-in gate, sidebar, then this page) and stop.
    """
    from ui import router

    if not router.active():
        router.run()
        st.stop()
    current = st.session_state.get(ACTOR_KEY)
    if current is None:  # the router always sets it before a page runs
        st.stop()
    return current


def fresh_actor(session: Session) -> Actor:
    """The signed-in user's Actor as the database says now, read in the action's own transaction.

    Raises PermissionDenied when this browser's sign-in has ended (logout
    elsewhere, deactivation, a password change) or the account is inactive.
    """
    login_session_id = st.session_state.get(LOGIN_SESSION_KEY)
    open_sign_in = users.check_login_session(session, login_session_id=login_session_id) if login_session_id else None
    if open_sign_in is None:
        raise PermissionDenied(SESSION_ENDED)
    return actor_for_user(session, open_sign_in.user_id)
