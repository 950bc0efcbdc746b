"""Settings (admins): organization and locations, product catalogs, orders, production, AI usage, audit log."""
import pandas as pd
import streamlit as st

from lib import audit
from lib.workspace import locations
from lib.workspace.settings import SETTINGS, get_workspace, update_settings
from ui import context, settings_ai, settings_documents, settings_orders, settings_production, settings_products
from ui.feedback import run_action

actor = context.actor()
_HELP = {spec.field: spec.help for spec in SETTINGS}

st.title("Settings")
organization_tab, products_tab, orders_tab, production_tab, ai_tab, audit_tab = st.tabs(
    ["Organization", "Products", "Orders", "Production", "AI usage", "Audit log"])

with organization_tab:
    with context.db() as session:
        workspace = get_workspace(session)
        name, prefix = workspace.name, workspace.tag_prefix
        rows = locations.list_locations(session)
    with st.form("organization_form"):
        new_name = st.text_input("Workspace name", value=name, key="org_name")
        new_prefix = st.text_input("Inventory tag prefix", value=prefix, key="org_tag_prefix",
                                   help=_HELP["tag_prefix"])
        if st.form_submit_button("Save", type="primary"):
            run_action("Saved.", update_settings, name=new_name, tag_prefix=new_prefix)

    st.subheader("Locations")
    st.dataframe(pd.DataFrame([{"Name": r.name, "Short name": r.short_name, "Type": r.kind, "Active": r.active}
                               for r in rows]), hide_index=True, width="stretch", key="locations_table")
    add_column, edit_column = st.columns(2)
    with add_column, st.form("add_location_form", clear_on_submit=True):
        st.markdown("**Add a location**")
        loc_name = st.text_input("Name", key="loc_new_name")
        loc_short = st.text_input("Short name", key="loc_new_short")
        loc_kind = st.selectbox("Type", locations.LOCATION_KINDS, key="loc_new_kind")
        if st.form_submit_button("Add location"):
            run_action("Location added.", locations.add_location, name=loc_name, short_name=loc_short,
                       kind=loc_kind)
    with edit_column:
        by_id = {r.id: r for r in rows}
        chosen = st.selectbox("Edit location", list(by_id), format_func=lambda i: by_id[i].name, key="loc_edit_pick")
        if chosen is not None:
            target = by_id[chosen]
            with st.form(f"edit_location_form_{target.id}"):
                edit_name = st.text_input("Name", value=target.name, key=f"loc_edit_name_{target.id}")
                edit_short = st.text_input("Short name", value=target.short_name, key=f"loc_edit_short_{target.id}")
                edit_kind = st.selectbox("Type", locations.LOCATION_KINDS, key=f"loc_edit_kind_{target.id}",
                                         index=locations.LOCATION_KINDS.index(target.kind)
                                         if target.kind in locations.LOCATION_KINDS else 0)
                edit_active = st.checkbox("Active", value=target.active, key=f"loc_edit_active_{target.id}")
                if st.form_submit_button("Save location"):
                    run_action("Location saved.", locations.update_location, location_id=target.id,
                               name=edit_name, short_name=edit_short, kind=edit_kind, active=edit_active)
    settings_documents.render(actor)

with products_tab:
    settings_products.render(actor)

with production_tab:
    settings_production.render(actor)
with orders_tab:
    settings_orders.render(actor)

with ai_tab:
    settings_ai.render(actor)

with audit_tab:
    with context.db() as session:
        entries = audit.recent_entries(session, limit=200)
    st.caption("The newest 200 changes: who, when, what, with old and new values.")
    st.dataframe(pd.DataFrame(entries), hide_index=True, width="stretch", key="audit_table")
