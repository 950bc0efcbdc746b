"""The "Reorder levels" panel of Product Details: the product's levels for the low-stock report, and (admins and
managers) a small form to set or remove one. Writes go through lib.reports.levels (checked, audited)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import Actor, Right, visible_locations
from lib.enums import InventoryKind
from lib.reports import levels
from lib.units import from_grams
from ui import context
from ui.feedback import run_action

ANY = ""
EVERY = 0


def render(actor: Actor, product_id: int, unit: str) -> None:
    panel = st.expander("Reorder levels", icon=":material/low_priority:", key="reorder_panel", on_change="rerun")
    with panel:
        if not panel.open:
            return
        with context.db() as session:
            rows = levels.list_levels(session, actor=actor, product_id=product_id)
            locations = {location.id: location.name for location in visible_locations(session, actor=actor)}
        st.caption("Stock is low when the held weight or pieces fall below a level; the Low stock report and the "
                   "Home card list it. A level for every location compares with all the locations a viewer sees.")
        if rows:
            st.dataframe(pd.DataFrame([{
                "Kind": row.kind.label if row.kind else "Any kind", "Location": row.location,
                f"Minimum weight ({unit})": None if row.min_weight_g is None else float(from_grams(row.min_weight_g,
                                                                                                   unit)),
                "Minimum pieces": row.min_pieces} for row in rows]), hide_index=True, width="stretch",
                key="reorder_table")
        else:
            st.info("No reorder level for this product yet.")
        if not actor.can(Right.EDIT_INVENTORY):
            return
        places = ([EVERY] if actor.sees_all_locations else []) + list(locations)
        with st.form("reorder_form", clear_on_submit=True):
            columns = st.columns(4)
            kind = columns[0].selectbox("Kind", [ANY, *(k.value for k in InventoryKind)], key="reorder_kind",
                                        format_func=lambda v: "Any kind" if v == ANY else InventoryKind(v).label)
            place = columns[1].selectbox("Location", places, key="reorder_location",
                                         format_func=lambda v: "Every location" if v == EVERY else locations[v])
            weight = columns[2].text_input(f"Minimum weight ({unit})", key="reorder_weight", max_chars=20)
            pieces = columns[3].text_input("Minimum pieces", key="reorder_pieces", max_chars=12)
            if st.form_submit_button("Save reorder level", type="primary"):
                run_action("Reorder level saved.", levels.set_level, product_id=product_id, kind=kind or None,
                           location_id=place or None, min_weight=weight.strip() or None, weight_unit=unit,
                           min_pieces=pieces.strip() or None)
        if rows:
            by_id = {row.level_id: row for row in rows}
            columns = st.columns([3, 1], vertical_alignment="bottom")
            chosen = columns[0].selectbox("Remove a level", list(by_id), key="reorder_remove_pick", index=None,
                                          placeholder="Choose a level", format_func=lambda i: (
                                              f"{by_id[i].kind.label if by_id[i].kind else 'Any kind'} · "
                                              f"{by_id[i].location}"))
            if columns[1].button("Remove", key="reorder_remove", disabled=chosen is None):
                run_action("Reorder level removed.", levels.remove_level, level_id=chosen)
