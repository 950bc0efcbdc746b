"""Feedback around actions: the one action runner, messages that survive a rerun, errors shown as text.

Every button that writes goes through `run_action`: one write transaction, the
Actor re-read from the database when the action runs (so a role, location or
deactivation changed since the page was drawn applies to this very click),
a refusal shown where the user is, and on success a message "flashed" to the
next run. User text in messages is escaped, so it never renders as Markdown.
"""
from __future__ import annotations

import re
from collections.abc import Callable

import streamlit as st

from lib.errors import LoupeError
from ui import context

_KEY = "loupe_flash"
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=])")


def plain(text: object) -> str:
    """Escape Markdown so a message shows user text exactly as typed (HTML is never enabled)."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """"1 row", "2 rows", "1,200 rows": a count with its noun in the right number."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def flash(message: str, kind: str = "success") -> None:
    """Remember `message` to show (as success, info or warning) on the next run of this session."""
    st.session_state[_KEY] = (kind, message)


def show_flash() -> None:
    """Show (once) the message left by the previous action, if any."""
    kind, message = st.session_state.pop(_KEY, (None, None))
    if kind:
        getattr(st, kind)(plain(message))


def show_error(error: LoupeError) -> None:
    """A refusal as an error box; every listed problem on its own line when there are several."""
    st.error(plain(error))
    problems = getattr(error, "problems", [])
    if len(problems) > 1 and problems[0] not in str(error):
        for problem in problems:
            st.text(f"• {problem}")


def run_action(success: str | Callable[[object], str], function: Callable, *, rerun: bool = True, **kwargs):
    """Run `function(session, actor=<the signed-in user>, **kwargs)` in one write transaction, report the outcome.

    The Actor is read in that transaction, as the database says it is now
    (`context.fresh_actor`: refused when this browser's sign-in has ended), so
    a role, location or deactivation changed since the page was drawn counts.
    On success the message (`success`, or `success(result)`) is flashed and the
    page reruns (or, with `rerun=False`, e.g. inside a callback, the result is
    returned). A LoupeError is shown and None returned; nothing was written.
    """
    try:
        with context.db(write=True) as session:
            result = function(session, actor=context.fresh_actor(session), **kwargs)
    except LoupeError as error:
        show_error(error)
        return None
    flash(success(result) if callable(success) else success)
    if rerun:
        st.rerun()
    return result
