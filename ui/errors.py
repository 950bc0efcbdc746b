"""The last line of defence on screen: no traceback, no server internals.

`guarded(run)` runs the router's work for one script run. A `LoupeError`
that a page did not catch (e.g. `WorkspaceBusy` from a transaction) is shown
as its sentence. Anything else is an unexpected error: the user reads a short
message with an error id, and the traceback goes to the server log only,
under the same id. Streamlit's own control flow (`st.stop`, `st.rerun`,
`st.switch_page`) raises `ScriptControlException`, a `BaseException`, and so
passes through untouched. `.streamlit/config.toml` sets
`client.showErrorDetails = "none"` for any error raised outside the router
(Streamlit then shows only a generic line).

Without a server runtime (Streamlit's AppTest) an unexpected error is shown,
logged and then raised again, so the test suite keeps seeing every one of
them as an exception (DESIGN rule 10); a real server never re-raises.
"""
from __future__ import annotations

import logging
import sys
import uuid
from typing import Callable

import streamlit as st
from streamlit import runtime

from lib.errors import LoupeError
from ui.feedback import plain

log = logging.getLogger("loupe.errors")
if not log.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False

def new_error_id() -> str:
    return uuid.uuid4().hex[:10]


def show_unexpected(error: BaseException) -> str:
    """Log `error` with its traceback under a new id and show the short message; return the id."""
    error_id = new_error_id()
    log.error("Unexpected error %s: %s", error_id, type(error).__name__, exc_info=error)
    st.error(f"Something went wrong (error id {error_id}). "
             "Try again, or give this id to your admin.")
    return error_id


def guarded(run: Callable[[], None]) -> None:
    """Call `run`; turn what escapes it into a message a user can read."""
    try:
        run()
    except LoupeError as error:
        st.error(plain(error))
    except Exception as error:  # noqa: BLE001 - the one place every unexpected error ends up
        show_unexpected(error)
        if not runtime.exists():  # AppTest: let the test see it too
            raise
