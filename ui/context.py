"""Per-server resources and the per-rerun actor, for pages.

Pages call `actor()` for who is signed in and `db()` for a transaction; the
engine is cached for the server's life (never the session).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lib import db as lib_db
from lib.access import Actor
from lib.config import Settings, load_settings

ACTOR_KEY = "loupe_actor"


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
