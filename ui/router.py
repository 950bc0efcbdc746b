"""The router: sign-in gate, sidebar and navigation for every script run.

app.py calls `run()`. Streamlit still runs a script in pages/ directly
(without app.py) in one case: its legacy pages-folder mode, active until the
first `st.navigation` call of a server process, and in every AppTest run.
Each page therefore asks `context.actor()`, which calls `run()` itself when
the router is not on the call stack, so the gate always applies.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

import streamlit as st

from lib.errors import ConfigurationError
from ui import auth, context, navigation, sidebar

_state = threading.local()  # per script-runner thread: is the router on the stack?


def active() -> bool:
    """True while the router is running the current page."""
    return getattr(_state, "depth", 0) > 0


@contextmanager
def _routing():
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


def _sign_in_page() -> None:
    """Placeholder page while signed out; the form itself is drawn by ui.auth."""


def run() -> None:
    """Gate, sidebar and the current page for this run."""
    with _routing():
        _route()


def _route() -> None:
    try:
        context.settings()
        context.engine()
    except ConfigurationError as error:
        st.error(f"Loupe Factory cannot start: {error}")
        st.stop()
    actor = auth.signed_in_actor()
    if actor is None:
        st.session_state.pop(context.ACTOR_KEY, None)
        # Every known url path leads to the sign-in form (and nothing else), so a
        # deep link keeps its address and opens the real page once signed in.
        st.navigation([st.Page(_sign_in_page, title="Sign in", url_path=spec.url_path or None,
                               default=spec.url_path == "")
                       for spec in navigation.PAGES], position="hidden").run()
        return
    st.session_state[context.ACTOR_KEY] = actor
    specs = navigation.pages_for(actor)
    pages = {spec: st.Page(str(navigation.PAGES_DIR / spec.file), title=spec.title, icon=spec.icon,
                           url_path=spec.url_path or None, default=spec.url_path == "",
                           visibility="visible" if spec.in_menu else "hidden")
             for spec in specs}
    current = st.navigation(list(pages.values()), position="hidden")
    sidebar.render(actor, [page for spec, page in pages.items() if spec.in_menu])
    current.run()
