"""The "Customers & suppliers" view of /orders (admins): search, add, edit, deactivate, delete without orders."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import Actor
from lib.models import PartyKind
from lib.orders import parties
from ui import context
from ui.feedback import run_action

KINDS = {"all": "All", PartyKind.CUSTOMER.value: "Customers", PartyKind.SUPPLIER.value: "Suppliers"}


def _inputs(prefix: str, current: parties.PartyView | None = None) -> parties.PartyInput:
    """The party fields; start from `current` (an edit) or empty (an add)."""
    value = (lambda name: getattr(current, name)) if current else (lambda name: "")
    left, right = st.columns(2)
    data = parties.PartyInput(
        company=left.text_input("Company", value=value("company"), key=f"{prefix}_company", max_chars=120),
        contact_name=right.text_input("Contact name", value=value("contact_name"), key=f"{prefix}_contact",
                                      max_chars=120),
        email=left.text_input("E-mail", value=value("email"), key=f"{prefix}_email", max_chars=200),
        phone=right.text_input("Phone", value=value("phone"), key=f"{prefix}_phone", max_chars=40,
                               help="Digits with spaces, dashes, dots, parentheses and an optional leading +."),
        address=left.text_area("Address", value=value("address"), key=f"{prefix}_address", max_chars=500),
        country=right.text_input("Country", value=value("country"), key=f"{prefix}_country", max_chars=80),
    )
    data.notes = st.text_area("Internal notes", value=value("notes"), key=f"{prefix}_notes", max_chars=2000)
    return data


def render(actor: Actor) -> None:
    """The directory table, then add and change forms."""
    top = st.columns([2, 3, 2], vertical_alignment="bottom")
    kind = top[0].segmented_control("Show", list(KINDS), default="all", required=True, format_func=KINDS.get,
                                    key="people_kind")
    search = top[1].text_input("Search", key="people_q", max_chars=120,
                               placeholder="Company, contact, e-mail, phone or country")
    inactive = top[2].toggle("Include inactive", value=True, key="people_inactive")
    with context.db() as session:
        rows = parties.list_parties(session, actor=actor, kind=None if kind == "all" else PartyKind(kind),
                                    search=search or "", include_inactive=inactive)
    if rows:
        st.dataframe(pd.DataFrame.from_records([{
            "Name": row.name, "Kind": row.kind.label, "Contact": row.contact_name, "E-mail": row.email,
            "Phone": row.phone, "Country": row.country, "Orders": row.orders, "Active": row.active,
        } for row in rows]), hide_index=True, width="stretch", key="people_table")
    else:
        st.info("Nobody matches." if (search or "").strip() else "No customers or suppliers yet: add one below.")
    add_tab, edit_tab = st.tabs(["Add", "Change"])
    with add_tab, st.form("people_add_form", clear_on_submit=True):
        new_kind = st.segmented_control("Kind", list(PartyKind), default=PartyKind.CUSTOMER, required=True,
                                        format_func=lambda k: k.label, key="people_add_kind")
        data = _inputs("people_add")
        if st.form_submit_button("Add", type="primary", key="people_add_submit"):
            run_action(lambda view: f"{view.kind.label} {view.name} added.", parties.add_party,
                       kind=new_kind, data=data)
    with edit_tab:
        by_id = {row.id: row for row in rows}
        if st.session_state.get("people_edit_pick") not in by_id:  # deleted, or filtered out of the list
            st.session_state.pop("people_edit_pick", None)
        chosen = st.selectbox("Customer or supplier", list(by_id), index=None, key="people_edit_pick",
                              format_func=lambda pid: f"{by_id[pid].name} ({by_id[pid].kind.label.lower()})",
                              placeholder="Choose from the list above")
        if chosen is None:
            return
        target = by_id[chosen]
        with st.form(f"people_edit_form_{target.id}"):
            data = _inputs(f"people_edit_{target.id}", target)
            if st.form_submit_button("Save changes", type="primary", key=f"people_edit_submit_{target.id}"):
                run_action(f"{target.name} saved.", parties.update_party, party_id=target.id, data=data)
        actions = st.columns(2)
        if target.active:
            actions[0].button("Deactivate", key=f"people_deactivate_{target.id}",
                              help="Kept with its orders, not offered for new ones.",
                              on_click=run_action, args=(f"{target.name} deactivated.", parties.set_active),
                              kwargs={"party_id": target.id, "active": False, "rerun": False})
        else:
            actions[0].button("Reactivate", key=f"people_reactivate_{target.id}", on_click=run_action,
                              args=(f"{target.name} reactivated.", parties.set_active),
                              kwargs={"party_id": target.id, "active": True, "rerun": False})
        actions[1].button("Delete", key=f"people_delete_{target.id}", disabled=target.orders > 0,
                          help="Only without orders; deactivate instead." if target.orders else None,
                          on_click=run_action, args=(f"{target.name} deleted.", parties.delete_party),
                          kwargs={"party_id": target.id, "rerun": False})
