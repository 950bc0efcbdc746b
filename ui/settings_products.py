"""The "Products" tab of /settings (admins): default weight unit, products, and the catalogs.

Every change goes through lib.products / lib.workspace (via ui.feedback.run_action), which
check the admin right, validate, and write an audit entry. Nothing here
renders user text as markdown: names appear only in tables and pickers.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import Actor
from lib.models import CatalogKind
from lib.products import catalog as products
from lib.products import catalog_entries as catalogs
from lib.units import UNITS_BY_SYMBOL, WEIGHT_UNITS
from lib.workspace.settings import SETTINGS, default_weight_unit, update_settings
from ui import context
from ui.feedback import run_action

_HELP = {spec.field: spec.help for spec in SETTINGS}
_NONE = 0  # the "no product type" choice


def render(actor: Actor) -> None:
    _default_unit(actor)
    st.divider()
    _products(actor)
    st.divider()
    _catalogs(actor)


def _default_unit(actor: Actor) -> None:
    st.subheader("Default weight unit")
    with context.db() as session:
        current = default_weight_unit(session)
    symbols = [u.symbol for u in WEIGHT_UNITS]
    with st.form("product_unit_form"):
        chosen = st.selectbox("Default weight unit", symbols, index=symbols.index(current), key="prod_unit",
                              format_func=lambda s: f"{s} ({UNITS_BY_SYMBOL[s].name}, {UNITS_BY_SYMBOL[s].category})",
                              help=_HELP["default_weight_unit"])
        if st.form_submit_button("Save unit", type="primary"):
            run_action(f"Default weight unit is now {chosen}.", update_settings,
                       default_weight_unit=chosen)


def _type_choices(session, keep: int | None = None) -> dict[int, str]:
    """Active product types (plus the product's current one, even if switched off)."""
    entries = catalogs.list_entries(session, catalog=CatalogKind.PRODUCT_TYPE)
    choices = {_NONE: "— none —"}
    for entry in entries:
        if entry.active or entry.id == keep:
            choices[entry.id] = entry.name + ("" if entry.active else " (inactive)")
    return choices


def _products(actor: Actor) -> None:
    st.subheader("Products")
    st.caption("The name is unique ignoring case. The short name (A-Z, 0-9 and dashes) starts every new tag ID "
               "of the product; tags already issued keep theirs. Products are never deleted: switch one off instead.")
    search = st.text_input("Search products", key="prod_settings_search", placeholder="Name, short name or type")
    with context.db() as session:
        rows = products.admin_products(session, actor=actor, search=search)
        types = _type_choices(session)
    st.dataframe(pd.DataFrame([{"Name": r.name, "Short name": r.short_name, "Product type": r.product_type or "",
                                "Active": r.active} for r in rows], columns=["Name", "Short name", "Product type",
                                                                             "Active"]),
                 hide_index=True, width="stretch", key="prod_settings_table")
    add_column, edit_column = st.columns(2)
    with add_column, st.form("add_product_form", clear_on_submit=False):
        st.markdown("**Add a product**")
        name = st.text_input("Product name", key="prod_new_name", max_chars=120)
        short = st.text_input("Short name", key="prod_new_short", max_chars=20, help="e.g. RDIA for Round Diamond")
        type_id = st.selectbox("Product type", list(types), format_func=types.get, key="prod_new_type")
        if st.form_submit_button("Add product", type="primary"):
            run_action("Product added.", products.add_product, name=name, short_name=short,
                       product_type_id=type_id or None)
    with edit_column:
        by_id = {r.id: r for r in rows}
        chosen = st.selectbox("Edit product", list(by_id), format_func=lambda i: by_id[i].name, key="prod_edit_pick",
                              index=None, placeholder="Choose a product")
        if chosen is not None:
            target = by_id[chosen]
            with context.db() as session:
                edit_types = _type_choices(session, keep=target.product_type_id)
            with st.form("edit_product_form"):
                new_name = st.text_input("Product name", value=target.name, key=f"prod_edit_name_{chosen}",
                                         max_chars=120)
                new_short = st.text_input("Short name", value=target.short_name, key=f"prod_edit_short_{chosen}",
                                          max_chars=20)
                keys = list(edit_types)
                new_type = st.selectbox("Product type", keys, format_func=edit_types.get,
                                        index=keys.index(target.product_type_id or _NONE),
                                        key=f"prod_edit_type_{chosen}")
                active = st.toggle("Active", value=target.active, key=f"prod_edit_active_{chosen}")
                if st.form_submit_button("Save product"):
                    run_action("Product saved.", products.update_product, product_id=target.id,
                               name=new_name, short_name=new_short, product_type_id=new_type or None, active=active)


def _catalogs(actor: Actor) -> None:
    st.subheader("Catalogs")
    st.caption("Names are unique within a catalog, ignoring case. Switching an entry off hides it from pickers "
               "for new records; records that use it keep it.")
    kind = st.selectbox("Catalog", list(CatalogKind), format_func=lambda k: k.label, key="catalog_kind")
    with context.db() as session:
        entries = catalogs.list_entries(session, catalog=kind)
    grouped = kind is CatalogKind.SIZE
    columns = ["Name", "Size group", "Active"] if grouped else ["Name", "Active"]
    st.dataframe(pd.DataFrame([{"Name": e.name, "Size group": e.group_name or "", "Active": e.active}
                               for e in entries], columns=["Name", "Size group", "Active"])[columns],
                 hide_index=True, width="stretch", key="catalog_table")
    add_column, edit_column = st.columns(2)
    with add_column, st.form("add_catalog_form", clear_on_submit=False):
        st.markdown(f"**Add to {kind.label.lower()}**")
        name = st.text_input("Name", key=f"catalog_new_name_{kind.value}", max_chars=120)
        group = st.text_input("Size group", key=f"catalog_new_group_{kind.value}", max_chars=120) if grouped else None
        if st.form_submit_button("Add entry", type="primary"):
            run_action(f"Added to {kind.label.lower()}.", catalogs.add_entry, catalog=kind, name=name,
                       group_name=group)
    with edit_column:
        by_id = {e.id: e for e in entries}
        chosen = st.selectbox("Edit entry", list(by_id), format_func=lambda i: by_id[i].name,
                              key=f"catalog_edit_pick_{kind.value}", index=None, placeholder="Choose an entry")
        if chosen is not None:
            target = by_id[chosen]
            with st.form("edit_catalog_form"):
                new_name = st.text_input("Name", value=target.name, key=f"catalog_edit_name_{chosen}", max_chars=120)
                new_group = (st.text_input("Size group", value=target.group_name or "",
                                           key=f"catalog_edit_group_{chosen}", max_chars=120) if grouped else None)
                active = st.toggle("Active", value=target.active, key=f"catalog_edit_active_{chosen}")
                if st.form_submit_button("Save entry"):
                    run_action("Entry saved.", catalogs.update_entry, entry_id=target.id, name=new_name,
                               group_name=new_group if grouped else target.group_name, active=active)
