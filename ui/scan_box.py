"""The sidebar's "Scan or type a tag" box, for everyone who may view inventory.

A USB or Bluetooth scanner types the code and Enter; a person types a tag and Enter. The box reads a tag
(any case) or a label QR code's whole address (`lib.documents.scan`), empties itself, and opens the item on
Inventory (`/inventory?item=<tag>`) when it is in the user's locations, or the production job whose job ID
it read (a job envelope's QR code); otherwise it says so in one line.
After each scan the box takes the keyboard focus again, so several scans in a row need no mouse.
"""
from __future__ import annotations

import streamlit as st
import streamlit.components.v1 as components

from lib.access import Actor, Right
from lib.documents import scan
from lib.errors import LoupeError
from ui import context
from ui.feedback import plain

LABEL = "Scan or type a tag"
KEY = "scan_box"
_TARGET, _MESSAGE, _FOCUS = "scan_target", "scan_message", "scan_focus"
PAGES = {"inventory": "pages/inventory.py", "production": "pages/production.py"}

# Puts the keyboard focus back into the scan box once the page has drawn it (no user text in here).
_REFOCUS = """<script>
const tryFocus = (left) => {
  const box = window.parent.document.querySelector('input[aria-label="%s"]');
  if (box) { box.focus(); } else if (left > 0) { setTimeout(() => tryFocus(left - 1), 100); }
};
tryFocus(30);
</script>""" % LABEL


def _scanned() -> None:
    """on_change (Enter): read the box, empty it, remember where to go or what went wrong."""
    text = st.session_state.get(KEY) or ""
    st.session_state[KEY] = ""
    st.session_state[_FOCUS] = True
    if not text.strip():
        return
    try:
        with context.db() as session:
            st.session_state[_TARGET] = scan.scan_target(session, actor=context.fresh_actor(session), text=text)
    except LoupeError as error:
        st.session_state[_MESSAGE] = str(error)


def render(actor: Actor) -> None:
    """The box (in the sidebar); switches to the scanned item's page when a scan found one."""
    if not actor.can(Right.VIEW_INVENTORY):
        return
    st.text_input(LABEL, key=KEY, on_change=_scanned, placeholder="Scanner, or a tag and Enter",
                  help="Scan a label's barcode or QR code, or type a tag ID and press Enter: the item opens. "
                       "A job envelope's QR code (or a typed job ID) opens the job.")
    message = st.session_state.pop(_MESSAGE, None)
    if message:
        st.error(plain(message))
    target = st.session_state.pop(_TARGET, None)
    if target:
        st.session_state[_FOCUS] = True  # the focus is given back on the item's page
        st.switch_page(PAGES[target.page], query_params=target.query)
    if st.session_state.pop(_FOCUS, False):
        components.html(_REFOCUS, height=0)
