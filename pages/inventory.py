"""Inventory (/inventory): the stock list (filters live in the url), item detail with its actions, the add
wizard, import (admins).

Thin page: it picks the view and hands over to the ui modules that draw it (ui/inventory_list.py,
ui/item_panel.py, ui/item_wizard.py, ui/inventory_import.py). Every widget has a stable key; user text
(names, notes, tags, messages that quote them) is only ever shown through st.text, dataframes or
`plain()`-escaped alerts.
"""
from __future__ import annotations

import streamlit as st

from lib.access import Right
from lib.inventory import forms
from ui import ai_import, context, inventory_import, inventory_list, item_panel, item_wizard

VIEWS = ("Stock", "Add item", "Import")


def main() -> None:
    actor = context.actor()
    st.title("Inventory")
    with context.db() as session:
        opts = forms.options(session, actor=actor)
    inventory_list.follow_link()
    views = [view for view in VIEWS if view != "Import" or actor.can(Right.IMPORT_INVENTORY)]
    if st.session_state.get("inv_view") not in views:
        st.session_state["inv_view"] = "Stock"  # set through the state only: no default= beside it
    view = st.segmented_control("View", views, key="inv_view", required=True, label_visibility="collapsed")
    if view == "Add item":
        item_wizard.add_wizard(actor, opts)
    elif view == "Import":
        ai_import.render(actor)  # "Import using AI" (issue 17): only with ai_import_enabled on and AI configured
        inventory_import.import_view(actor)
    else:
        item_panel.item_section(actor, opts)
        inventory_list.stock_list(actor, opts)


main()
