"""Product details (/product?id=<id>): what is happening with this product, in the viewer's scope.

Header, kind switch, KPI cards, the weight trend, the related inventory
table with filters, export and a link to the Inventory page, and the
product image chooser. Numbers come from lib.product_details (definitions
there and in docs/product-details.md); the table is lib.inventory.query.page_rows,
the same rows, order and scope the Inventory page shows. Reads are cached for a minute, keyed
by plain values including the data version (newest movement and audit ids),
so an adjustment or an edit anywhere shows on the next rerun.
"""
from __future__ import annotations

import hashlib
import html
from datetime import date

import streamlit as st

from lib.access import Actor, Right
from lib.errors import LoupeError, NotFound
from lib.inventory.query import SORTABLE, ItemFilters, Page, page_rows, totals
from lib.models import InventoryKind
from lib.products import catalog as products
from lib.products import catalog_entries as catalogs
from lib.products import details
from lib.units import format_weight
from lib.workspace.settings import default_weight_unit
from ui import ai_panel, charts, context, product_orders, production_view, reorder_levels, value_card
from ui import inventory_view as display
from ui.feedback import run_action
from ui.pictures import PLACEHOLDER_SVG

TTL_SECONDS = 60
INVENTORY_VIEW_KEY = "inv_url"  # pages/inventory.py keeps its current url query here
KIND_OPTIONS = ("all", *(kind.value for kind in InventoryKind))
KIND_LABELS = {"all": "All", **{kind.value: kind.label for kind in InventoryKind}}
SORT_LABELS = {key: display.SORT_LABELS[key]  # the Inventory list's sorts, newest first, without the product
               for key in ("created_at", *(key for key in SORTABLE if key not in ("created_at", "product")))}
PAGE_SIZES = (25, 50, 100)
FILTER_KEYS = {field: f"product_filter_{field}" for field, _column, _label in catalogs.FILTER_FIELDS}
STATE_KEYS = ("product_kind", "product_range", "product_search", "product_held_only", "product_sort",
              "product_sort_desc", "product_page", "product_page_size", *FILTER_KEYS.values())
HELP = {
    "items": "Inventory records of this product in your locations that match the kind and filters and are "
             "held: not archived, with pieces > 0 or weight > 0.",
    "total": "Sum of the counted records' weights, converted to the workspace default unit.",
    "average": "Total weight ÷ item count (per record, not per piece). — when nothing is counted.",
    "change": "Added − deducted over the last 30 days (UTC, today included), from the stock ledger, at your "
              "locations, for this kind and these filters. The percentage compares it with the weight held "
              "30 days ago (total − change); — when that was 0.",
    "chart": "Per day (30 and 90 days) or per week starting Monday (12 months): added = positive weight "
             "changes, deducted = negative ones, of movements at your locations that match the kind and "
             "filters. A transfer between two locations you see shows on both sides and nets to zero; "
             "one you see one side of counts as added or deducted on that side.",
}


# ---------------------------------------------------------------------------
# Cached reads: plain values in (the actor is a frozen record of ids and a role), plain data out.
# ---------------------------------------------------------------------------

@st.cache_data(ttl=TTL_SECONDS, max_entries=64, show_spinner=False)
def _overview(actor: Actor, product_id: int, filters: ItemFilters, range_key: str, today: date, unit: str,
              version: tuple[int, int]) -> details.Overview:
    with context.db() as session:
        return details.overview(session, actor=actor, product_id=product_id, filters=filters,
                                range_key=range_key, today=today, unit=unit)


@st.cache_data(ttl=TTL_SECONDS, max_entries=64, show_spinner=False)
def _value(actor: Actor, product_id: int, filters: ItemFilters, version: tuple[int, int]):
    """The value card's figures (None for members); rate changes are audited, so a new price is a new version."""
    return value_card.load(actor, details.product_filters(product_id, filters))


@st.cache_data(ttl=TTL_SECONDS, max_entries=64, show_spinner=False)
def _count(actor: Actor, filters: ItemFilters, version: tuple[int, int]) -> int:
    with context.db() as session:
        return totals(session, actor=actor, filters=filters).items


@st.cache_data(ttl=TTL_SECONDS, max_entries=64, show_spinner=False)
def _rows(actor: Actor, filters: ItemFilters, page: Page, count: int, version: tuple[int, int]) -> list[dict]:
    with context.db() as session:
        return page_rows(session, actor=actor, filters=filters, page=page, expected_rows=count)


@st.cache_data(ttl=TTL_SECONDS, max_entries=64, show_spinner=False)
def _options(actor: Actor, product_id: int, filters: ItemFilters, version: tuple[int, int]):
    with context.db() as session:
        return catalogs.product_filter_options(session, actor=actor, product_id=product_id, filters=filters)


@st.cache_data(ttl=TTL_SECONDS, max_entries=32, show_spinner=False)
def _picture(actor: Actor, product_id: int, version: tuple[int, int]):
    with context.db() as session:
        return products.product_image(session, actor=actor, product_id=product_id)


@st.cache_data(ttl=TTL_SECONDS, max_entries=16, show_spinner=False)
def _gallery(actor: Actor, product_id: int, version: tuple[int, int]):
    with context.db() as session:
        return products.gallery_images(session, actor=actor, product_id=product_id)


# ---------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------

def _choose(product_id: int, item_id: int | None) -> None:
    """Callback: run_action re-reads who is acting, so a role changed since this page was drawn counts."""
    run_action("Product image saved.", products.choose_image, rerun=False, product_id=product_id,
               item_id=item_id)


def _reset_page() -> None:
    st.session_state["product_page"] = 1


def _clear_filters() -> None:
    for key in (*FILTER_KEYS.values(), "product_search"):
        st.session_state[key] = "" if key == "product_search" else []
    _reset_page()


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------

actor = context.actor()
raw_id = st.query_params.get("id")
try:
    with context.db() as session:
        product = products.get_product_in_scope(session, actor=actor, product_id=raw_id)
        unit = default_weight_unit(session)
        version = products.data_version(session)
except LoupeError as error:  # NotFound for unknown, malformed or out-of-scope ids
    st.title("Product not found" if isinstance(error, NotFound) else "Product details")
    st.error(str(error))
    st.page_link("pages/products.py", label="Back to Products", icon=":material/arrow_back:")
    st.stop()

# Filters belong to one product: opening another product starts from a clean view. A link may pre-set
# the filters with the url keys of ui.inventory_view (e.g. &shape=3&size=7 from an order line).
linked = display.filters_from_query(st.query_params.to_dict())
presets = {key: list(getattr(linked, field)) for field, key in FILTER_KEYS.items() if getattr(linked, field)}
if st.session_state.get("product_state_for") != (product.id, repr(presets)):
    for key in STATE_KEYS:
        st.session_state.pop(key, None)
    st.session_state["product_state_for"] = (product.id, repr(presets))
    st.session_state.update(presets)
today = details.today_utc()

# Header: picture, name, short name, type (user text is escaped, never markdown).
picture = _picture(actor, product.id, version)
head_picture, head_text = st.columns([1, 6], vertical_alignment="center")
with head_picture:
    if picture is not None:
        st.image(picture.data, width=140, alt=f"Product image (photo of {picture.tag_id})")
    else:
        st.image(PLACEHOLDER_SVG, width=140, alt="No product image yet")
with head_text:
    type_text = html.escape(product.product_type or "No product type")
    st.html(
        f'<div style="font-size:2.1rem;font-weight:700;line-height:1.2;margin:0 0 .4rem 0">'
        f'{html.escape(product.name)}</div>'
        f'<div style="display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;color:#555">'
        f'<span style="background:#e8eefc;color:#1f4fbf;border-radius:6px;padding:.1rem .5rem;'
        f'font-family:monospace" title="Short name: the tag-ID infix">{html.escape(product.short_name)}</span>'
        f'<span>{type_text}</span></div>')
    if not product.active:
        st.warning("This product is inactive: it stays visible with its stock, but is not offered for new items.")
    back = st.container(horizontal=True)  # links as wide as their labels: fixed columns cut "Back to Inventory"
    back.page_link("pages/products.py", label="All products", icon=":material/arrow_back:")
    # The Inventory list as the user last left it in this session (its filters, sort and page).
    back.page_link("pages/inventory.py", label="Back to Inventory", icon=":material/arrow_back:",
                      query_params=st.session_state.get(INVENTORY_VIEW_KEY) or {})

kind_value = st.segmented_control("Inventory kind", KIND_OPTIONS, default="all", required=True,
                                  format_func=KIND_LABELS.get, key="product_kind", on_change=_reset_page,
                                  help="Switches the cards, the chart, the table and the export.")
kinds = () if kind_value in (None, "all") else (InventoryKind(kind_value),)

# Filter selections are read before the numbers so the cards and the chart follow them.
# The filters panel renders (and looks up its option lists) only while open; the chosen values
# persist while it is closed, and keep scoping everything below.
def _chosen(key: str):
    return st.session_state.get(key) or ()


active_filters = sum(1 for key in (*FILTER_KEYS.values(), "product_search") if _chosen(key))
# A constant label: the label is part of the panel's identity, so changing it would close the panel.
panel = st.expander("Filters and search", icon=":material/filter_list:", key="product_filters_panel",
                    on_change="rerun")
if active_filters and not panel.open:
    st.caption(f"{active_filters} filter{'s' if active_filters > 1 else ''} active: they apply to everything "
               "below. Open Filters and search to change them.")
if panel.open:
    with panel:
        st.text_input("Search tag ID or notes", key="product_search", on_change=_reset_page,
                      placeholder="e.g. LFRDIA0012 or 'repolish'", max_chars=200, persist_state="page")
        selected = {field: tuple(_chosen(FILTER_KEYS[field])) for field in FILTER_KEYS}
        option_lists = _options(actor, product.id, ItemFilters(kinds=kinds, **selected), version)
        columns = st.columns(3)
        for index, (field, _column, label) in enumerate(catalogs.FILTER_FIELDS):
            choices = option_lists.for_field(field)
            names = dict(choices)
            with columns[index % 3]:
                st.multiselect(label, [value for value, _name in choices], key=FILTER_KEYS[field],
                               format_func=lambda value, names=names: names.get(value, f"#{value}"),
                               on_change=_reset_page, placeholder="Any", persist_state="page")
        if active_filters:
            st.button("Clear filters", key="product_filters_clear", on_click=_clear_filters)
search = str(st.session_state.get("product_search") or "").strip()
selected = {field: tuple(sorted(_chosen(FILTER_KEYS[field]))) for field in FILTER_KEYS}

filters = ItemFilters(search=search, kinds=kinds, **selected)
range_key = st.session_state.get("product_range") or "30d"
kpis, series = _overview(actor, product.id, filters, range_key, today, unit, version)

first, second, third, fourth = st.columns(4)
first.metric("Items held", f"{kpis.items:,}", border=True, help=HELP["items"], icon=":material/inventory_2:")
second.metric("Weight held", format_weight(kpis.total, unit), border=True, help=HELP["total"],
              icon=":material/scale:")
third.metric("Average per item", format_weight(kpis.average, unit) if kpis.average is not None else "—",
             border=True, help=HELP["average"], icon=":material/balance:")
change = kpis.change
fourth.metric("30-day change", format_weight(change.net, unit, signed=True),
              delta=f"{change.percent:+.1f}%" if change.percent is not None else "—",
              delta_color="normal" if change.percent is not None else "off",
              delta_arrow="auto" if change.percent is not None else "off",
              delta_description="of the weight held 30 days ago", border=True, help=HELP["change"],
              icon=":material/trending_up:")
st.caption(f"Last 30 days: added {format_weight(change.added, unit)}, deducted "
           f"{format_weight(change.deducted, unit)}. Held 30 days ago: {format_weight(change.held_before, unit)}.")
value_card.render(_value(actor, product.id, filters, version), "product_value")

production_view.product_block(actor, product.id, kinds)
if actor.can(Right.VIEW_ORDERS):
    product_orders.render(actor, product.id, unit)

# AI summary panel (issue 5) renders here
ai_panel.render(actor, product.id, filters)

with st.container(border=True):
    title_column, range_column = st.columns([3, 2], vertical_alignment="center")
    title_column.subheader("Weight added vs deducted", help=HELP["chart"])
    with range_column:
        st.segmented_control("Range", list(details.RANGES), default="30d", required=True,
                             format_func=lambda key: details.RANGES[key][2], key="product_range",
                             label_visibility="collapsed")
    if details.series_is_empty(series):
        st.info(f"No stock movements of this product in your locations over the last "
                f"{details.RANGES[range_key][2]} for this kind and these filters.")
    else:
        st.altair_chart(charts.weight_trend(series, unit, details.RANGES[range_key][0]), key="product_chart",
                        width="stretch")

# The related inventory table.
with st.container(border=True):
    st.subheader("Inventory records")
    held_only = st.toggle("Only records that count (held stock)", value=True, key="product_held_only",
                          on_change=_reset_page,
                          help="Off: also consumed and archived records of this product in your locations.")
    table_filters = details.table_filters(product.id, filters, held_only)
    sort_column, order_column, size_column, page_column = st.columns([3, 2, 2, 2], vertical_alignment="bottom")
    sort = sort_column.selectbox("Sort by", list(SORT_LABELS), format_func=SORT_LABELS.get, key="product_sort",
                                 on_change=_reset_page)
    descending = order_column.toggle("Descending", value=True, key="product_sort_desc", on_change=_reset_page)
    page_size = size_column.selectbox("Rows per page", PAGE_SIZES, index=1, key="product_page_size",
                                      on_change=_reset_page)
    count = kpis.items if held_only else _count(actor, table_filters, version)
    pages = max(1, -(-count // page_size))
    if st.session_state.get("product_page", 1) > pages:
        st.session_state["product_page"] = pages
    page_number = page_column.number_input("Page", min_value=1, max_value=pages, step=1, key="product_page",
                                           help="Pages of this view; the caption below says how many.")
    rows = _rows(actor, table_filters, Page(int(page_number), page_size, sort, descending), count, version)
    if not rows:
        st.info("No inventory records of this product in your locations match this view.")
    else:
        first_row = (int(page_number) - 1) * page_size + 1
        st.caption(f"Records {first_row:,}–{first_row + len(rows) - 1:,} of {count:,} (page {int(page_number):,} "
                   f"of {pages:,}). "
                   f"Weights in the record's own unit, and in {unit}.")
        frame = display.product_table_frame(rows, unit)
        st.dataframe(frame, hide_index=True, width="stretch", key="product_table", column_config={
            "Photo": st.column_config.ImageColumn("Photo", width="small"),
            "Created": st.column_config.DateColumn(format="YYYY-MM-DD"),
        })

    actions = st.columns([1, 1, 2], vertical_alignment="center")
    stamp_name = f"{product.short_name}-{kind_value or 'all'}"
    # The view is part of the buttons' keys: a new view is a new button, so the browser never keeps
    # an earlier view's deferred download (observed in Chromium right after a filter change).
    view_key = hashlib.sha1(repr((table_filters, unit, sort, descending, version)).encode()).hexdigest()[:10]
    actions[0].download_button(
        "Export CSV", data=display.export_file(actor, table_filters, "csv", unit, sort, descending, "product"),
        file_name=f"{stamp_name}.csv", mime="text/csv", key=f"product_export_csv_{view_key}", on_click="ignore",
        icon=":material/download:", disabled=count == 0,
        help="Every record of this view (all pages, in this sort), in your locations.")
    actions[1].download_button(
        "Export XLSX", data=display.export_file(actor, table_filters, "xlsx", unit, sort, descending, "product"),
        file_name=f"{stamp_name}.xlsx", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"product_export_xlsx_{view_key}", on_click="ignore", icon=":material/download:", disabled=count == 0)
    with actions[2]:
        st.page_link("pages/inventory.py", label="Open in Inventory", icon=":material/open_in_new:",
                     query_params=display.filters_to_query(table_filters))

# The product image: chosen from pictures of the product's own items (no upload here).
# The gallery is read only while its panel is open.
if actor.can(Right.CHOOSE_PRODUCT_IMAGE):
    gallery_panel = st.expander("Choose the product image", icon=":material/photo_library:",
                                key="product_gallery_panel", on_change="rerun")
    with gallery_panel:
        gallery = _gallery(actor, product.id, version) if gallery_panel.open else []
        if gallery_panel.open and not gallery:
            st.info("No record of this product in your locations has a photo yet. Add one on the Inventory page.")
        elif gallery:
            st.caption("Pictures of this product's records in your locations. People who cannot see the chosen "
                       "record see their newest own picture instead.")
            chosen_id = picture.item_id if picture is not None and picture.chosen else None
            grid = st.columns(6)
            for index, image in enumerate(gallery):
                with grid[index % 6]:
                    st.image(image.thumbnail, caption=image.tag_id, width="stretch")
                    current = image.item_id == chosen_id
                    st.button("Chosen" if current else "Use this", key=f"product_image_pick_{image.item_id}",
                              disabled=current, type="primary" if current else "secondary", width="stretch",
                              on_click=_choose, args=(product.id, image.item_id))
            if product.image_item_id is not None:
                st.button("Back to automatic (newest picture)", key="product_image_auto",
                          on_click=_choose, args=(product.id, None))

reorder_levels.render(actor, product.id, unit)  # the product's reorder levels (low stock)
