"""Products (/products): the catalog the viewer may see, with what they hold of each.

Admins see every product; managers and members see products with at least one
inventory record in their locations. Counts and weights are the records held
in the viewer's locations (lib.products.list_products). Choosing a row opens
/product?id=<id>.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import Actor
from lib.products import catalog as products
from lib.workspace.settings import default_weight_unit
from ui import context
from ui.feedback import counted
from ui.pictures import thumbnail_uri

TTL_SECONDS = 60


@st.cache_data(ttl=TTL_SECONDS, max_entries=64, show_spinner=False)
def _catalog(actor: Actor, search: str, unit: str, version: tuple[int, int]) -> list[products.ProductRow]:
    with context.db() as session:
        return products.list_products(session, actor=actor, search=search)


actor = context.actor()
with context.db() as session:
    unit = default_weight_unit(session)
    version = products.data_version(session)

st.title("Products")
sees_all = products.sees_every_product(actor)
st.caption("Every product in the workspace." if sees_all else "Products with inventory in your locations.")
search = st.text_input("Search products", key="products_search", placeholder="Name, short name or product type",
                       max_chars=120)
rows = _catalog(actor, (search or "").strip(), unit, version)

if not rows:
    if (search or "").strip():
        st.info("No product matches that search.")
    elif sees_all:
        st.info("No products yet. Add them under Settings → Products.")
    else:
        st.info("None of your locations holds inventory yet, so there are no products to show.")
    st.stop()

frame = pd.DataFrame.from_records([{
    "Photo": thumbnail_uri(row.thumbnail), "Product": row.name,
    "Short name": row.short_name,
    "Product type": row.product_type or "", "Items": row.items, f"Total weight ({unit})": float(row.weight),
    **({"Active": row.active} if sees_all else {}),
} for row in rows])
st.caption(f"{counted(len(rows), 'product')}. Items and weights count records held in "
           f"{'all locations' if actor.sees_all_locations else 'your locations'}. Select a row to open it.")
event = st.dataframe(
    frame, hide_index=True, width="stretch", key="products_table", on_select="rerun",
    selection_mode="single-row", row_height=48, column_config={
        "Photo": st.column_config.ImageColumn("Photo", width="small"),
        "Items": st.column_config.NumberColumn(format="localized"),
        f"Total weight ({unit})": st.column_config.NumberColumn(format="%.2f"),
    })
selection = event.selection.rows if event is not None and hasattr(event, "selection") else []
if selection:
    chosen = rows[selection[0]]
    st.switch_page("pages/product.py", query_params={"id": str(chosen.id)})
