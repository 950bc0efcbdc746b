"""Inventory: the stock list (filters live in the url), item detail with its actions, the add wizard, import.

Thin page: widgets (every one with a stable key), lib calls, rendering. User text (names, notes, tags,
messages that quote them) is only ever shown through st.text, dataframes or `plain()`-escaped alerts.
"""
from __future__ import annotations

import hashlib
import json
import math
from contextlib import contextmanager
from datetime import date

import streamlit as st

from lib import images
from lib.access import Right
from lib.classification import ATTRIBUTES
from lib.errors import LoupeError
from lib.inventory import forms, importer, items, stock
from lib.inventory.query import SORTABLE, ItemFilters, Page
from lib.models import CatalogKind, InventoryKind, ItemStatus
from lib.units import UNIT_SYMBOLS, UNITS_BY_SYMBOL
from ui import ai_import, context
from ui import inventory_view as display
from ui.feedback import counted, plain, run_action, show_error

VIEWS = ("Stock", "Add item", "Import")
ACTIONS = {"edit": "Edit", "adjust": "Adjust", "transfer": "Transfer", "status": "Status", "archive": "Archive",
           "photo": "Photo"}
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
    st.session_state["inv_open"] = int(item) if item.isdigit() else None
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
        top = st.columns([2, 3, 3, 2])
        search = top[0].text_input("Search", key="inv_q", placeholder="Tag ID, product name or notes",
                                   on_change=first_page)
        kinds = top[1].pills("Kind", list(InventoryKind), selection_mode="multi", key="inv_f_kind",
                             format_func=lambda k: k.label, on_change=first_page)
        statuses = top[2].pills("Status", list(ItemStatus), selection_mode="multi", key="inv_f_status",
                                format_func=lambda s: s.label, on_change=first_page)
        in_stock = top[3].toggle("Held stock only", key="inv_f_in_stock", on_change=first_page,
                                 help=HELD_HELP)
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


# --------------------------------------------------------------------------------------------------------------
# Item detail and actions
# --------------------------------------------------------------------------------------------------------------

def close_item() -> None:
    st.session_state["inv_open"] = None
    st.session_state.pop("inv_pick", None)


def item_section(actor, opts: forms.Options) -> None:
    item_id = st.session_state.get("inv_open")
    if not item_id:
        return
    try:
        with context.db() as session:
            detail = items.item_detail(session, actor=actor, item_id=item_id)
    except LoupeError as error:
        show_error(error)
        close_item()
        return
    item = detail.item
    with st.container(border=True, key="inv_detail"):
        head = st.columns([6, 1])
        head[0].subheader(f"{item.tag_id}")
        head[1].button("Close", key="inv_close", on_click=close_item, icon=":material/close:")
        left, right = st.columns([1, 3])
        with left:
            if detail.image:
                st.image(detail.image, width="stretch")
            else:
                st.caption("No photo")
        with right:
            st.page_link("pages/product.py", label="Product details", icon=":material/insights:",
                         query_params={"id": str(item.product_id)})
            metrics = st.columns(3)
            metrics[0].metric("Pieces", f"{item.quantity:,}")
            metrics[1].metric("Weight", detail.weight_text)
            metrics[2].metric("Status", item.status.label)
            fields = display.fields_frame(detail)
            st.dataframe(fields, hide_index=True, key="inv_fields", height=35 * (len(fields) + 1) + 3)
        st.markdown("**Movement history**")
        if detail.history_total > len(detail.history):
            st.caption(f"Newest {len(detail.history)} of {detail.history_total:,} movements.")
        st.dataframe(display.history_frame(detail), hide_index=True, key="inv_history",
                     column_config={"When": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm")})
        item_actions(actor, opts, detail)


def item_actions(actor, opts: forms.Options, detail: items.ItemDetail) -> None:
    offered = [action for action in ACTIONS if items.can(actor, action)[0]]  # only what this role may do
    if not offered:
        return
    if st.session_state.get("inv_action") not in (None, *offered):
        st.session_state["inv_action"] = None  # a role changed since the last click
    action = st.segmented_control("Action", offered, key="inv_action", format_func=ACTIONS.get)
    if not action:
        return
    {"edit": edit_form, "adjust": adjust_form, "transfer": transfer_form, "status": status_form,
     "archive": archive_form, "photo": photo_form}[action](actor, opts, detail)


def _catalog_select(opts, label, kind: CatalogKind, key: str, current=None):
    """A catalog choice with "—" for none; starts at `current` unless the widget already has a value."""
    names = dict(opts.catalogs[kind])
    choices = [None, *names]
    if key in st.session_state:
        if st.session_state[key] not in choices:
            st.session_state[key] = None
        return st.selectbox(label, choices, key=key, format_func=lambda v: "—" if v is None else names.get(v, "?"),
                            placeholder="— (none)")
    return st.selectbox(label, choices, index=choices.index(current) if current in choices else 0, key=key,
                        format_func=lambda v: "—" if v is None else names.get(v, "?"), placeholder="— (none)")


def edit_form(actor, opts, detail) -> None:
    item = detail.item
    products = dict(opts.products)
    if item.product_id not in products:  # an inactive product stays on its records
        products[item.product_id] = detail.product
    with st.form("inv_edit_form"):
        columns = st.columns(3)
        with columns[0]:
            product = st.selectbox("Product", list(products), index=list(products).index(item.product_id),
                                   format_func=products.get, key="inv_edit_product")
            kind = st.selectbox("Kind", list(InventoryKind), index=list(InventoryKind).index(item.kind),
                                format_func=lambda k: k.label, key="inv_edit_kind")
        changes = {"product_id": product, "kind": kind}
        for index, attribute in enumerate(ATTRIBUTES):
            with columns[min(2, (index + 2) // 3)]:  # product, kind, then the attributes in three columns
                changes[attribute.field] = _catalog_select(opts, attribute.label, attribute.catalog,
                                                           f"inv_edit_{attribute.key}", getattr(item, attribute.field))
        changes["notes"] = st.text_area("Notes", value=item.notes, key="inv_edit_notes", max_chars=forms.MAX_NOTES)
        if st.form_submit_button("Save changes", key="inv_edit_save", type="primary"):
            run_action(f"{item.tag_id} saved.", stock.edit_attributes, item_id=item.id, changes=changes)


def adjust_form(actor, opts, detail) -> None:
    item = detail.item
    st.caption(f"A manual adjustment adds or removes stock (use a minus sign to remove). Weight is in "
               f"{item.weight_unit}, the unit of this item.")
    with st.form("inv_adjust_form", clear_on_submit=False):
        columns = st.columns(2)
        pieces = columns[0].text_input("Change in pieces", value="0", key="inv_adj_qty")
        weight = columns[1].text_input(f"Change in weight ({item.weight_unit})", value="0", key="inv_adj_weight")
        reason = st.text_input("Reason (required)", key="inv_adj_reason", max_chars=forms.MAX_REASON)
        reference = st.text_input("Reference (optional)", key="inv_adj_ref", max_chars=120)
        if st.form_submit_button("Record adjustment", key="inv_adj_save", type="primary"):
            run_action(f"{item.tag_id} adjusted.", stock.adjust, item_id=item.id,
                       quantity_delta=pieces, weight_delta=weight, reason=reason, reference=reference)


def transfer_form(actor, opts, detail) -> None:
    item = detail.item
    targets = {loc_id: name for loc_id, name in opts.locations if loc_id != item.location_id}
    if not targets:
        st.info("There is no other location in your scope to transfer to.")
        return
    st.caption(f"Move everything, or part: a part becomes a new item {item.tag_id}-T<n> at the target. "
               f"Holding {item.quantity} pcs · {detail.weight_text}.")
    with st.form("inv_transfer_form"):
        target = st.selectbox("To location", list(targets), format_func=targets.get, key="inv_tr_to")
        whole = st.toggle("Move the whole item", value=True, key="inv_tr_whole")
        columns = st.columns(2)
        pieces = columns[0].text_input("Pieces to move (part only)", value="0", key="inv_tr_qty")
        weight = columns[1].text_input(f"Weight to move in {item.weight_unit} (part only)", value="0",
                                       key="inv_tr_weight")
        reference = st.text_input("Reference (optional)", key="inv_tr_ref", max_chars=100)
        if st.form_submit_button("Transfer", key="inv_tr_save", type="primary"):
            amounts = {} if whole else {"quantity": pieces, "weight": weight}
            run_action(lambda r: f"{item.tag_id} moved to {targets[target]}." if r.whole else
                       f"Moved part of {item.tag_id} to {targets[target]} as new item {r.tag_id}.",
                       stock.transfer, item_id=item.id, to_location_id=target, reference=reference, **amounts)


def status_form(actor, opts, detail) -> None:
    item = detail.item
    if item.status is ItemStatus.ARCHIVED:
        st.caption("Archived items can be restored (managers and admins).")
        if st.button("Restore", key="inv_restore"):
            run_action(f"{item.tag_id} restored.", stock.restore, item_id=item.id)
        return
    st.caption("Available ↔ On hold by hand. Consumed follows the stock (zero = Consumed); archive is its own action.")
    choice = st.segmented_control("New status", stock.MANUAL_STATUSES, key="inv_status_choice",
                                  format_func=lambda s: s.label)
    if st.button("Set status", key="inv_status_save", disabled=choice is None):
        run_action(f"{item.tag_id} is now {choice.label}.", stock.set_status, item_id=item.id,
                   status=choice)


def archive_form(actor, opts, detail) -> None:
    item = detail.item
    if item.status is ItemStatus.ARCHIVED:
        st.info("This item is archived. Restore it from the Status action.")
        return
    if item.quantity or item.weight:
        st.warning(f"Archiving writes off the stock it still holds: {item.quantity} pcs · {detail.weight_text}.")
    with st.form("inv_archive_form"):
        reason = st.text_input("Reason (required)", key="inv_arch_reason", max_chars=forms.MAX_REASON)
        if st.form_submit_button("Archive", key="inv_arch_save", type="primary"):
            run_action(f"{item.tag_id} archived.", stock.archive, item_id=item.id, reason=reason)


def photo_form(actor, opts, detail) -> None:
    upload = st.file_uploader("New photo (PNG, JPEG or WebP, at most 5 MB)", type=list(images.UPLOAD_TYPES),
                              key="inv_photo_file", max_upload_size=5)
    if st.button("Save photo", key="inv_photo_save", disabled=upload is None):
        run_action(f"{detail.item.tag_id}: photo saved.", stock.set_photo, item_id=detail.item.id,
                   image=upload.getvalue())


# --------------------------------------------------------------------------------------------------------------
# Add wizard: Identification -> Attributes -> Storage & review -> Done
# --------------------------------------------------------------------------------------------------------------

STEPS = ("Identification", "Attributes", "Storage & review", "Done")
STEP_FIELDS = {
    0: {"inv_add_kind": "kind", "inv_add_finished": "finished_type_id", "inv_add_ms": "ms_type_id",
        "inv_add_product": "product_id", "inv_add_shape": "shape_id", "inv_add_colour": "colour_id"},
    1: {"inv_add_size": "size_id", "inv_add_qty": "quantity", "inv_add_weight": "weight",
        "inv_add_unit": "weight_unit"},
    2: {"inv_add_quality": "quality_id", "inv_add_location": "location_id", "inv_add_created": "created_on",
        "inv_add_notes": "notes", "inv_add_tag": "tag_id", "inv_add_merge": "auto_merge"},
}


def draft() -> dict:
    return st.session_state.setdefault("inv_add_draft", {})


def keep(step: int) -> None:
    """Copy this step's widget values into the draft (widget state is dropped when a step is hidden)."""
    for key in STEP_FIELDS[step]:
        if key in st.session_state:
            draft()[key] = st.session_state[key]


def restore_step(step: int, defaults: dict) -> None:
    for key in STEP_FIELDS[step]:
        if key not in st.session_state:
            st.session_state[key] = draft().get(key, defaults.get(key))


def new_item_from_draft() -> forms.NewItem:
    values = {field: draft().get(key) for fields in STEP_FIELDS.values() for key, field in fields.items()}
    values["notes"] = values.get("notes") or ""
    values["tag_id"] = values.get("tag_id") or ""
    values["auto_merge"] = bool(values.get("auto_merge"))
    return forms.NewItem(**values)


def go(step: int) -> None:
    st.session_state["inv_add_step"] = step


def next_step(step: int) -> None:
    keep(step)
    go(step + 1)


def add_wizard(actor, opts: forms.Options) -> None:
    step = st.session_state.setdefault("inv_add_step", 0)
    st.progress((step + 1) / len(STEPS), text=f"Step {step + 1} of {len(STEPS)}: {STEPS[step]}")
    with context.db() as session:
        active = forms.options(session, actor=actor, active_only=True)
    with st.container(border=True, key="inv_add_box"):
        [identification, attributes, storage, done][step](actor, active)


def step_problems(actor, step: int) -> list[str]:
    with context.db() as session:
        problems = forms.validate_new_item(session, actor=actor, data=new_item_from_draft())
    fields = set(STEP_FIELDS[step].values())
    return [message for name, message in problems.items() if name in fields]


def nav(actor, step: int, forward: str = "Next") -> None:
    columns = st.columns([1, 1, 6])
    if step > 0:
        columns[0].button("Back", key=f"inv_add_back_{step}", on_click=lambda: (keep(step), go(step - 1)))
    if columns[1 if step > 0 else 0].button(forward, key=f"inv_add_next_{step}", type="primary"):
        keep(step)
        problems = step_problems(actor, step)
        if problems:
            for problem in problems:
                st.error(plain(problem))
        else:
            go(step + 1)
            st.rerun()


def identification(actor, opts: forms.Options) -> None:
    restore_step(0, {"inv_add_kind": InventoryKind.FINISHED})
    st.segmented_control("Type", list(InventoryKind), key="inv_add_kind", format_func=lambda k: k.label,
                         required=True)
    kind = st.session_state.get("inv_add_kind")
    if kind is InventoryKind.FINISHED:
        _catalog_select(opts, "Finished type", CatalogKind.FINISHED_TYPE, "inv_add_finished",
                        st.session_state.get("inv_add_finished"))
    if kind is InventoryKind.MATERIALS:
        _catalog_select(opts, "Materials & supplies type", CatalogKind.MS_TYPE, "inv_add_ms",
                        st.session_state.get("inv_add_ms"))
    products = dict(opts.products)
    st.selectbox("Product", list(products), key="inv_add_product", format_func=products.get,
                 placeholder="Choose a product")
    columns = st.columns(2)
    with columns[0]:
        _catalog_select(opts, "Shape", CatalogKind.SHAPE, "inv_add_shape", st.session_state.get("inv_add_shape"))
    with columns[1]:
        _catalog_select(opts, "Colour", CatalogKind.COLOUR, "inv_add_colour", st.session_state.get("inv_add_colour"))
    nav(actor, 0)


def attributes(actor, opts: forms.Options) -> None:
    restore_step(1, {"inv_add_qty": "1" if draft().get("inv_add_kind") is InventoryKind.FINISHED else "0",
                     "inv_add_weight": "", "inv_add_unit": opts.default_unit})
    _catalog_select(opts, "Size", CatalogKind.SIZE, "inv_add_size", st.session_state.get("inv_add_size"))
    columns = st.columns(3)
    columns[0].text_input("Quantity (pieces)", key="inv_add_qty")
    columns[1].text_input("Weight", key="inv_add_weight", placeholder="e.g. 2.35")
    columns[2].selectbox("Weight unit", UNIT_SYMBOLS, key="inv_add_unit",
                         format_func=lambda s: f"{s} ({UNITS_BY_SYMBOL[s].name})")
    nav(actor, 1)


def storage(actor, opts: forms.Options) -> None:
    restore_step(2, {"inv_add_location": opts.home_location_id or (opts.locations[0][0] if opts.locations else None),
                     "inv_add_created": date.today(), "inv_add_notes": "", "inv_add_tag": "",
                     "inv_add_merge": False})
    columns = st.columns(3)
    with columns[0]:
        _catalog_select(opts, "Quality", CatalogKind.QUALITY, "inv_add_quality",
                        st.session_state.get("inv_add_quality"))
    locations = dict(opts.locations)
    columns[1].selectbox("Location", list(locations), key="inv_add_location", format_func=locations.get)
    columns[2].date_input("Created date", key="inv_add_created", max_value=date.today())
    st.text_area("Notes", key="inv_add_notes", max_chars=forms.MAX_NOTES)
    columns = st.columns(2)
    columns[0].text_input("Tag ID (leave empty to generate the next one)", key="inv_add_tag")
    columns[1].toggle("Auto-merge into a matching record (same product, type, shape, size, colour, quality, "
                      "location)", key="inv_add_merge")
    photo = st.file_uploader("Photo (optional: PNG, JPEG or WebP, at most 5 MB)", key="inv_add_photo",
                             type=list(images.UPLOAD_TYPES), max_upload_size=5)
    keep(2)
    st.markdown("**Review**")
    st.dataframe(display.review_frame(new_item_from_draft(), opts), hide_index=True, key="inv_add_review")
    columns = st.columns([1, 1, 6])
    columns[0].button("Back", key="inv_add_back_2", on_click=lambda: (keep(2), go(1)))
    if columns[1].button("Add item", key="inv_add_save", type="primary"):
        try:
            with context.db(write=True) as session:
                result = stock.add_item(session, actor=actor, data=new_item_from_draft(),
                                            image=photo.getvalue() if photo else None)
        except LoupeError as error:
            show_error(error)
        else:
            st.session_state["inv_add_result"] = result
            go(3)
            st.rerun()


def reset_wizard() -> None:
    for key in [key for fields in STEP_FIELDS.values() for key in fields] + ["inv_add_draft", "inv_add_result",
                                                                               "inv_add_photo"]:
        st.session_state.pop(key, None)
    go(0)


def open_added(item_id: int) -> None:
    st.session_state["inv_open"] = item_id
    st.session_state["inv_view"] = "Stock"
    reset_wizard()


def done(actor, opts: forms.Options) -> None:
    result = st.session_state.get("inv_add_result")
    if result is None:
        reset_wizard()
        st.rerun()
    if result.merged:
        st.success(f"Merged into {result.tag_id}: its stock grew by this lot.")
    else:
        st.success(f"Added {result.tag_id}.")
    if result.note:
        st.info(plain(result.note))
    columns = st.columns([1, 1, 6])
    columns[0].button("Add another", key="inv_add_again", on_click=reset_wizard, type="primary")
    columns[1].button("Open item", key="inv_add_open", on_click=open_added, args=(result.item_id,))


# --------------------------------------------------------------------------------------------------------------
# Import (admins)
# --------------------------------------------------------------------------------------------------------------

def import_view(actor) -> None:
    if not actor.can(Right.IMPORT_INVENTORY):
        st.info(plain(f"Your role ({actor.role.label}) may not import inventory: imports are for admins."))
        return
    ai_import.render(actor)  # "Import using AI" (issue 17): only when ai_import_enabled is on and AI is configured
    limits = importer.Limits.from_settings(context.settings())
    optional = ", ".join(column.header for column in importer.COLUMNS if column.key not in importer.REQUIRED)
    st.caption(f"CSV, XLS or XLSX, up to {limits.max_mb:g} MB and {limits.max_rows:,} rows per import. "
               f"Columns: Product and Weight (required); {optional}. The Inventory export's own files import "
               "as they are. Nothing is written until you confirm a preview without problems; then every row "
               "is written, or none.")
    columns = st.columns([1, 1, 4])
    columns[0].download_button("Template CSV", template_file(actor, "csv"), key="inv_import_template_csv",
                               file_name="inventory-import-template.csv", mime="text/csv", on_click="ignore",
                               icon=":material/download:")
    columns[1].download_button("Template XLSX", template_file(actor, "xlsx"), key="inv_import_template_xlsx",
                               file_name="inventory-import-template.xlsx", on_click="ignore",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               icon=":material/download:")
    generation = st.session_state.setdefault("inv_import_gen", 0)
    # Streamlit's own limit sits above ours, so an oversized file gets our message on how to split it.
    upload = st.file_uploader("Spreadsheet", type=list(importer.FILE_TYPES), key=f"inv_import_file_{generation}",
                              max_upload_size=max(1, math.ceil(limits.max_mb * 4)))
    if upload is None:
        return
    try:
        sheet = parsed_sheet(upload, limits)
    except LoupeError as error:
        show_error(error)
        return
    for note in sheet.notes:
        st.caption(plain(note))
    derived = {note.split(" is worked out", 1)[0] for note in sheet.notes}
    if set(sheet.ignored_columns) - derived:
        st.caption(plain("Ignored columns: " + ", ".join(c for c in sheet.ignored_columns if c not in derived)))
    options = st.columns(2)
    auto_merge = options[0].toggle("Auto-merge with existing inventory", key="inv_import_merge")
    create_missing = False
    if actor.can(Right.MANAGE_PRODUCTS):
        create_missing = options[1].toggle("Create missing products and catalog values", key="inv_import_create",
                                           help="Unknown product and catalog names are listed below and created "
                                                "with the import, instead of being problems.")
    try:
        with progress_bar("Checking rows") as report, context.db() as session:
            preview = importer.preview(session, actor=actor, sheet=sheet, auto_merge=auto_merge,
                                       create_missing=create_missing, progress=report)
    except LoupeError as error:
        show_error(error)
        return
    preview_section(preview, actor)
    if st.button("Confirm import", key="inv_import_confirm", type="primary", disabled=not preview.ok):
        with progress_bar("Writing") as report:
            result = run_action(import_summary, importer.commit, rerun=False, sheet=sheet,
                                auto_merge=auto_merge, create_missing=create_missing, progress=report)
        if result is not None:
            st.session_state["inv_import_gen"] = generation + 1
            st.session_state.pop("inv_import_parsed", None)
            st.rerun()


def template_file(actor, fmt: str):
    """A callable for st.download_button: the import template, built only when clicked."""
    def build() -> bytes:
        with context.db() as session:
            return importer.template(session, actor=actor, fmt=fmt).data
    return build


def parsed_sheet(upload, limits: importer.Limits) -> importer.Sheet:
    """The chosen sheet of the uploaded file, parsed once per file content (sha256) and sheet, then kept for the
    reruns of this page; a file-level problem is kept too and raised again."""
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    parsed = st.session_state.get("inv_import_parsed")
    if parsed is None or parsed["key"] != (digest, upload.name, limits):
        parsed = {"key": (digest, upload.name, limits), "sheets": {}}
        try:
            parsed["names"] = importer.sheet_names(upload.name, data, limits)
        except LoupeError as error:
            parsed["names"] = error
        st.session_state["inv_import_parsed"] = parsed
    if isinstance(parsed["names"], LoupeError):
        raise parsed["names"]
    names = parsed["names"]
    sheet_name = st.selectbox("Sheet", names, key=f"inv_import_sheet_{digest[:16]}") if len(names) > 1 else None
    if sheet_name not in parsed["sheets"]:
        try:
            with progress_bar("Reading the file") as report:
                parsed["sheets"][sheet_name] = importer.read_sheet(upload.name, data, sheet_name, limits=limits,
                                                                   progress=report)
        except LoupeError as error:
            parsed["sheets"][sheet_name] = error
    found = parsed["sheets"][sheet_name]
    if isinstance(found, LoupeError):
        raise found
    return found


@contextmanager
def progress_bar(text: str):
    """A progress bar for one long lib call (its `progress` callback), removed when the call is done."""
    bar = st.progress(0.0, text=plain(text))
    try:
        yield lambda done, message: bar.progress(min(1.0, max(0.0, float(done))), text=plain(message))
    finally:
        bar.empty()


def preview_section(preview, actor) -> None:
    rows = len(preview.rows)
    if preview.bad_rows:
        st.error(f"{preview.bad_rows:,} of {counted(rows, 'row')} {'has' if preview.bad_rows == 1 else 'have'} "
                 "problems. Fix them in the file and upload it again; "
                 "nothing has been written.")
        if preview.unknown_names and not preview.create_missing and actor.can(Right.MANAGE_PRODUCTS):
            st.info("Some names are not in the catalog yet: switch on “Create missing products and catalog values” "
                    "to create them with the import.")
    else:
        st.success(f"All {counted(rows, 'row')} are ready to import." if rows > 1 else "The row is ready to import.")
    if preview.new_products or preview.new_values:
        st.warning(f"The import will create {counted(len(preview.new_products), 'product')} and "
                   f"{counted(len(preview.new_values), 'catalog value')}. Check the names and the new products' short names (they start their tag IDs):")
        st.dataframe(preview.creations_frame(), hide_index=True, key="inv_import_creations")
    only_bad = st.toggle("Only rows with problems", key="inv_import_only_bad", disabled=not preview.bad_rows)
    frame = preview.frame()
    if only_bad and preview.bad_rows:
        frame = frame[frame["Problems"] != "OK"]
    st.dataframe(frame, hide_index=True, key="inv_import_preview")


def import_summary(result) -> str:
    text = (f"Imported {counted(len(result.tags), 'row')}: {counted(result.added, 'new item')}, "
            f"{result.merged:,} merged.")
    if result.created_products or result.created_values:
        text += (f" Created {counted(result.created_products, 'product')} and "
                 f"{counted(result.created_values, 'catalog value')}.")
    if result.notes:
        text += " " + " ".join(result.notes[:3]) + (" …" if len(result.notes) > 3 else "")
    return text


# --------------------------------------------------------------------------------------------------------------

def main() -> None:
    actor = context.actor()
    st.title("Inventory")
    with context.db() as session:
        opts = forms.options(session, actor=actor)
    follow_link()
    views = [view for view in VIEWS if view != "Import" or actor.can(Right.IMPORT_INVENTORY)]
    if st.session_state.get("inv_view") not in views:
        st.session_state["inv_view"] = "Stock"  # set through the state only: no default= beside it
    view = st.segmented_control("View", views, key="inv_view", required=True, label_visibility="collapsed")
    if view == "Add item":
        add_wizard(actor, opts)
    elif view == "Import":
        import_view(actor)
    else:
        item_section(actor, opts)
        stock_list(actor, opts)


main()
