"""The router: first-start gate, sign-in gate, sidebar and navigation for every script run.

While the database has no user, every address shows the *Create your
workspace* form (ui/first_start.py) and nothing else; afterwards, never again.
A page the signed-in user may not open (a manager at /users) says so instead
of silently showing Home. Whatever a page lets escape is turned into a short
message by ui/errors.py (an error id on screen, the traceback in the log).

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

from lib.errors import ConfigurationError, DatabaseUnavailable
from ui import auth, context, errors, first_start, navigation, sidebar
from ui.feedback import plain, show_flash

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


def _first_start_page() -> None:
    """Placeholder page while no user exists; the form is drawn by ui.first_start."""


def _refusal_page(spec: navigation.PageSpec):
    """What a signed-in user who may not open `spec` finds at its address: one line, no data."""
    def page() -> None:
        st.title(spec.title)
        st.warning(spec.refusal)
        st.page_link(navigation.home_page_path(), label="Back to Home", icon="🏠")
    return page


def _every_address(page, title: str) -> None:
    """Run `page` at every known url path (deep links keep their address)."""
    st.navigation([st.Page(page, title=title, url_path=spec.url_path or None, default=spec.url_path == "")
                   for spec in navigation.PAGES], position="hidden").run()


def run() -> None:
    """Gate, sidebar and the current page for this run."""
    with _routing():
        errors.guarded(_route)


def _route() -> None:
    try:
        context.settings()
        context.engine()
    except ConfigurationError as error:
        st.error(f"Loupe Factory cannot start: {plain(error)}")
        st.stop()
    try:
        needs_first_start = first_start.needed()
    except DatabaseUnavailable as error:
        _database_unavailable(error)
        return
    if needs_first_start:
        st.session_state.pop(context.ACTOR_KEY, None)
        # Drawn before st.navigation, like the sign-in form: its rerun after the
        # creation then starts the sign-in form's run under the same page as the
        # user's next click, so the first "Sign in" is not lost.
        first_start.render()
        _every_address(_first_start_page, "Create your workspace")
        return
    first_start.note_late_submit()
    try:
        actor = auth.signed_in_actor()
    except DatabaseUnavailable as error:
        _database_unavailable(error)
        return
    if actor is None:
        st.session_state.pop(context.ACTOR_KEY, None)
        # Every known url path leads to the sign-in form (and nothing else), so a
        # deep link keeps its address and opens the real page once signed in.
        _every_address(_sign_in_page, "Sign in")
        return
    st.session_state[context.ACTOR_KEY] = actor
    current, menu = _navigation(actor)
    sidebar.render(actor, menu)
    show_flash()  # the message an action left for this run, on whichever page the user is
    current.run()


def _navigation(actor):
    """The actor's pages (menu order) and the hidden refusal pages; returns (current page, menu pages)."""
    pages = {spec: st.Page(str(navigation.PAGES_DIR / spec.file), title=spec.title, icon=spec.icon,
                           url_path=spec.url_path or None, default=spec.url_path == "",
                           visibility="visible" if spec.in_menu else "hidden")
             for spec in navigation.pages_for(actor)}
    closed = [st.Page(_refusal_page(spec), title=spec.title, url_path=spec.url_path, visibility="hidden")
              for spec in navigation.closed_to(actor)]
    current = st.navigation([*pages.values(), *closed], position="hidden")
    return current, [page for spec, page in pages.items() if spec.in_menu]


def _database_unavailable(error: DatabaseUnavailable) -> None:
    """The database went away: say so, keep this browser's menu, and try again on the next click.

    Who is signed in cannot be checked without the database, so nothing but the
    menu of the user this browser session last showed is drawn (page titles,
    no data); every page runs again, gate first, as soon as the database answers.
    """
    last = st.session_state.get(context.ACTOR_KEY)
    if last is not None:
        _current, menu = _navigation(last)
        sidebar.render_menu(menu)
    else:
        _every_address(_sign_in_page, "Sign in")
    st.error(plain(error))
