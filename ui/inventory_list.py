"""Inventory's stock list: filters and paging kept in the url, the table, opening an item."""
from __future__ import annotations

import hashlib
import json
from datetime import date

import streamlit as st

from lib.classification import ATTRIBUTES
from lib.inventory import forms, items
from lib.inventory.query import SORTABLE, ItemFilters, Page
from lib.models import InventoryKind, ItemStatus
from ui import context, print_labels, value_card
from ui import inventory_view as display

HELD_HELP = ("Held stock: records that are not archived and still have pieces or weight, the same count as "
             "Home and Product Details. Off: every record, consumed and archived ones included.")
_ID_WIDGETS = {"product_ids": "inv_f_product", **{a.filter_field: f"inv_f_{a.key}" for a in ATTRIBUTES},
               "location_ids": "inv_f_location"}
_ID_SOURCES = {"product_ids": "product", **{a.filter_field: a.catalog for a in ATTRIBUTES},
               "location_ids": "location"}
_ID_LABELS = {"product_ids": "Product", **{a.filter_field: a.label for a in ATTRIBUTES}, "location_ids": "Location"}


# --------------------------------------------------------------------------------------------------------------
# Filters <-> url query
# --------------------------------------------------------------------------------------------------------------

LIST_WIDGETS = ("inv_q", "inv_f_kind", "inv_f_status", *_ID_WIDGETS.values(), "inv_f_from", "inv_f_to",
                "inv_f_in_stock", "inv_sort", "inv_desc", "inv_per_page")


def follow_link() -> None:
    """A new url query (first load, or a link from another page): open the list and the item it names.

    The list widgets take the query's filters when they are next drawn (`seed_list_widgets`).
    """
    query = st.query_params.to_dict()
    if st.session_state.get("inv_url") == query:
        return
    item = str(query.get("item", ""))
    st.session_state["inv_open"] = display.linked_item(item)  # a tag (label QR codes) or an id
    st.session_state["inv_seed"] = True
    st.session_state["inv_url"] = query
    if st.session_state.get("inv_view", "Stock") != "Stock":
        st.session_state["inv_view"] = "Stock"


def seed_list_widgets(opts: forms.Options) -> None:
    """Right before the list widgets are drawn: fill them from the url when a link asked for it, or when they
    were not drawn in the last run (Streamlit then forgets their state; the url still holds the view)."""
    forgotten = any(key not in st.session_state for key in LIST_WIDGETS)
    if not st.session_state.pop("inv_seed", False) and not forgotten:
        return
    query = st.query_params.to_dict()
    filters, page = display.filters_from_query(query), display.page_from_query(query)
    st.session_state["inv_q"] = filters.search
    st.session_state["inv_f_kind"] = list(filters.kinds)
    st.session_state["inv_f_status"] = list(filters.statuses)
    for name, key in _ID_WIDGETS.items():
        known = opts.names(_ID_SOURCES[name])
        st.session_state[key] = [value for value in getattr(filters, name) if value in known]
    st.session_state["inv_f_from"], st.session_state["inv_f_to"] = filters.created_from, filters.created_to
    st.session_state["inv_f_in_stock"] = filters.in_stock_only
    st.session_state["inv_sort"], st.session_state["inv_desc"] = page.sort, page.descending
    st.session_state["inv_per_page"] = page.size
    set_page(page.number)


def write_url(filters: ItemFilters, page: Page) -> None:
    query = {**display.filters_to_query(filters), **display.page_to_query(page)}
    if st.session_state.get("inv_open"):
        query["item"] = str(st.session_state["inv_open"])
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    st.session_state["inv_url"] = query


def first_page() -> None:
    set_page(1)


def set_page(number: int) -> None:
    """Change the page from code: a new pager widget starts at it (widget state is never overwritten)."""
    st.session_state["inv_page"] = number
    st.session_state["inv_pager_gen"] = st.session_state.get("inv_pager_gen", 0) + 1


def page_picked(key: str) -> None:
    st.session_state["inv_page"] = st.session_state[key]


def filter_widgets(opts: forms.Options) -> ItemFilters:
    seed_list_widgets(opts)
    with st.container(border=True):
        # Two rows: in one, the pills were cut at "Materials & Supp" and the search hint at "notes".
        top = st.columns([3, 1], vertical_alignment="bottom")
        search = top[0].text_input("Search", key="inv_q", placeholder="Tag ID, product name or notes",
                                   on_change=first_page)
        in_stock = top[1].toggle("Held stock only", key="inv_f_in_stock", on_change=first_page,
                                 help=HELD_HELP)
        pills = st.columns(2)
        kinds = pills[0].pills("Kind", list(InventoryKind), selection_mode="multi", key="inv_f_kind",
                               format_func=lambda k: k.label, on_change=first_page)
        statuses = pills[1].pills("Status", list(ItemStatus), selection_mode="multi", key="inv_f_status",
                                  format_func=lambda s: s.label, on_change=first_page)
        with st.expander("More filters", icon=":material/filter_list:"):
            ids = {}
            columns = st.columns(4)
            for index, (name, key) in enumerate(_ID_WIDGETS.items()):
                names = opts.names(_ID_SOURCES[name])
                ids[name] = tuple(columns[index % 4].multiselect(
                    _ID_LABELS[name], list(names), key=key, format_func=names.get, on_change=first_page))
            dates = st.columns(3)
            created_from = dates[0].date_input("Created from", value=None, key="inv_f_from", on_change=first_page)
            created_to = dates[1].date_input("Created to", value=None, key="inv_f_to", on_change=first_page)
    return ItemFilters(search=search or "", kinds=tuple(kinds or ()), statuses=tuple(statuses or ()),
                       created_from=created_from, created_to=created_to, in_stock_only=bool(in_stock), **ids)


def view_widgets() -> Page:
    columns = st.columns([2, 2, 2, 4])
    sort = columns[0].selectbox("Sort by", SORTABLE, key="inv_sort", format_func=display.SORT_LABELS.get)
    descending = columns[1].toggle("Newest / largest first", key="inv_desc")
    size = columns[2].selectbox("Rows per page", items.PAGE_SIZES, key="inv_per_page", on_change=first_page)
    return Page(number=int(st.session_state.get("inv_page") or 1), size=size, sort=sort, descending=descending)


# --------------------------------------------------------------------------------------------------------------
# The stock list
# --------------------------------------------------------------------------------------------------------------

def open_selected(rows: list[dict]) -> None:
    selection = st.session_state["inv_table"].selection.rows
    if selection and selection[0] < len(rows):
        st.session_state["inv_open"] = rows[selection[0]]["id"]


def open_picked() -> None:
    st.session_state["inv_open"] = st.session_state.get("inv_pick")


def stock_list(actor, opts: forms.Options) -> None:
    filters = filter_widgets(opts)
    page = view_widgets()
    with context.db() as session:
        view = items.list_items(session, actor=actor, filters=filters, page=page)
    if st.session_state.get("inv_page") != view.page.number:
        set_page(view.page.number)  # it was past the last page
    write_url(filters, view.page)
    counted = "held" if filters.in_stock_only else "(all statuses)"
    totals = st.columns(4)
    totals[0].metric(f"Items {counted}", f"{view.totals.items:,}", help=HELD_HELP if filters.in_stock_only else
                     "Every record the filters match, consumed and archived ones included.")
    totals[1].metric(f"Pieces {counted}", f"{view.totals.pieces:,}")
    totals[2].metric(f"Weight {counted}", view.total_weight_text)
    with totals[3]:
        stamp = date.today().isoformat()
        # Keyed by the view: a click must build the export of the view on screen, never of an earlier one.
        view_key = hashlib.sha1(json.dumps({**display.filters_to_query(filters), "sort": view.page.sort,
                                             "desc": view.page.descending}, sort_keys=True).encode()).hexdigest()[:12]
        sort, descending = view.page.sort, view.page.descending
        st.download_button("Export CSV", display.export_file(actor, filters, "csv", view.unit, sort, descending),
                           key=f"inv_export_csv_{view_key}", file_name=f"inventory-{stamp}.csv", mime="text/csv",
                           on_click="ignore", icon=":material/download:", disabled=not view.totals.items)
        st.download_button("Export XLSX", display.export_file(actor, filters, "xlsx", view.unit, sort, descending),
                           key=f"inv_export_xlsx_{view_key}", file_name=f"inventory-{stamp}.xlsx", on_click="ignore",
                           icon=":material/download:",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           disabled=not view.totals.items)
    what = "held records" if filters.in_stock_only else "records of every status"
    st.caption(f"Totals count the {what} on all pages, weights converted to {view.unit}; Home and Product "
               "Details count held stock the same way. Exports contain every filtered item.")
    value_card.render(value_card.load(actor, filters), "inv_value")  # held items of these filters; not members
    print_labels.filtered_labels(filters, key="inv_labels")
    if not view.rows:
        st.info("No items match these filters.")
        return
    st.dataframe(display.list_frame(view.rows), key="inv_table", hide_index=True, on_select=lambda: open_selected(view.rows),
                 selection_mode="single-row", row_height=52,
                 column_config={"Photo": st.column_config.ImageColumn("Photo", width="small"),
                                "Created": st.column_config.DateColumn("Created", format="YYYY-MM-DD")})
    bottom = st.columns([3, 5])
    tags = {row["id"]: row["tag_id"] for row in view.rows}
    bottom[0].selectbox("Open item", list(tags), index=None, key="inv_pick", format_func=tags.get,
                        placeholder="Choose a tag (or click a row)", on_change=open_picked)
    with bottom[1]:
        pager = f"inv_pager_{st.session_state.get('inv_pager_gen', 0)}"
        st.pagination(view.page_count, default=view.page.number, key=pager, max_visible_pages=7,
                      on_change=page_picked, args=(pager,))
        st.caption(f"Page {view.page.number} of {view.page_count:,}")
