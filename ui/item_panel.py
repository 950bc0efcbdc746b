"""Inventory's item detail and its actions (edit, adjust, transfer, status, archive, photo)."""
from __future__ import annotations

import streamlit as st

from lib import images
from lib.classification import ATTRIBUTES
from lib.errors import LoupeError
from lib.inventory import forms, items, stock
from lib.models import CatalogKind, InventoryKind, ItemStatus
from ui import context, item_costs, print_labels
from ui import inventory_view as display
from ui.feedback import run_action, show_error

ACTIONS = {"edit": "Edit", "adjust": "Adjust", "transfer": "Transfer", "status": "Status", "archive": "Archive",
           "photo": "Photo"}


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
        item_costs.render(actor, item.id)  # admins and managers only (ui/item_costs.py)
        print_labels.label_download(item_ids=[item.id], key="inv_item_labels", title="Print this item's label")
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


def catalog_select(opts, label, kind: CatalogKind, key: str, current=None):
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
                changes[attribute.field] = catalog_select(opts, attribute.label, attribute.catalog,
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
