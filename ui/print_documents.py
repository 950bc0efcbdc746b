"""Printable documents on the order and job pages: choose one, prepare the PDF, download it.

    order_documents(view.id, view.kind, len(view.shipments), key="order_docs")
    job_documents(job_id, key="pj_docs")

Each PDF is built when its button is pressed (never on every rerun) by `lib.documents.printed` for the
signed-in user, so a manager's copy leaves out what they may not see; a refusal (e.g. text the font cannot
print) is shown where they are.
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from lib.documents import printed
from lib.errors import LoupeError
from lib.models import OrderKind
from ui import context
from ui.feedback import plain, show_error


def _offer(choices: dict[str, Callable], *, key: str) -> None:
    """A selectbox of documents, a "Prepare PDF" button and the download of the prepared one."""
    with st.expander("🖨️ Print documents"):
        chosen = st.selectbox("Document", list(choices), key=f"{key}_pick")
        stored = f"{key}_pdf"
        if st.button("Prepare PDF", key=f"{key}_build", icon=":material/print:"):
            try:
                with context.db() as session:
                    st.session_state[stored] = (chosen, choices[chosen](session, actor=context.fresh_actor(session)))
            except LoupeError as error:
                st.session_state.pop(stored, None)
                show_error(error)
        made = st.session_state.get(stored)
        if made is not None and made[0] == chosen:
            document = made[1]
            st.download_button(f"Download {plain(document.filename)}", document.data, key=f"{key}_download",
                               file_name=document.filename, mime="application/pdf", on_click="ignore",
                               icon=":material/download:", type="primary")


def order_documents(order_id: int, kind: OrderKind, shipments: int, *, key: str) -> None:
    """Sales: confirmation, pick list, one packing slip per shipment. Purchases: the purchase order."""
    if kind is OrderKind.PURCHASE:
        choices = {"Purchase order": lambda session, actor: printed.purchase_order(session, actor=actor,
                                                                                    order_id=order_id)}
    else:
        choices = {"Order confirmation": lambda session, actor: printed.order_confirmation(
                       session, actor=actor, order_id=order_id),
                   "Pick list": lambda session, actor: printed.pick_list(session, actor=actor, order_id=order_id)}
        for number in range(1, shipments + 1):
            choices[f"Packing slip {number}"] = (lambda n: lambda session, actor: printed.packing_slip(
                session, actor=actor, order_id=order_id, shipment=n))(number)
    _offer(choices, key=f"{key}_{order_id}")


def job_documents(job_id: int, *, key: str) -> None:
    """The job envelope (job ID as QR, stage, staff, deadline, issued stock, requested output)."""
    _offer({"Job envelope": lambda session, actor: printed.job_envelope(session, actor=actor, job_id=job_id)},
           key=f"{key}_{job_id}")
