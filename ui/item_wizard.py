"""Inventory's add wizard: Identification -> Attributes -> Storage & review -> Done."""
from __future__ import annotations

from datetime import date

import streamlit as st

from lib import images
from lib.errors import LoupeError
from lib.inventory import forms, stock
from lib.models import CatalogKind, InventoryKind
from lib.units import UNIT_SYMBOLS, UNITS_BY_SYMBOL
from ui import context, print_labels
from ui import inventory_view as display
from ui.feedback import plain, show_error
from ui.item_panel import catalog_select

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
        catalog_select(opts, "Finished type", CatalogKind.FINISHED_TYPE, "inv_add_finished",
                        st.session_state.get("inv_add_finished"))
    if kind is InventoryKind.MATERIALS:
        catalog_select(opts, "Materials & supplies type", CatalogKind.MS_TYPE, "inv_add_ms",
                        st.session_state.get("inv_add_ms"))
    products = dict(opts.products)
    st.selectbox("Product", list(products), key="inv_add_product", format_func=products.get,
                 placeholder="Choose a product")
    columns = st.columns(2)
    with columns[0]:
        catalog_select(opts, "Shape", CatalogKind.SHAPE, "inv_add_shape", st.session_state.get("inv_add_shape"))
    with columns[1]:
        catalog_select(opts, "Colour", CatalogKind.COLOUR, "inv_add_colour", st.session_state.get("inv_add_colour"))
    nav(actor, 0)


def attributes(actor, opts: forms.Options) -> None:
    restore_step(1, {"inv_add_qty": "1" if draft().get("inv_add_kind") is InventoryKind.FINISHED else "0",
                     "inv_add_weight": "", "inv_add_unit": opts.default_unit})
    catalog_select(opts, "Size", CatalogKind.SIZE, "inv_add_size", st.session_state.get("inv_add_size"))
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
        catalog_select(opts, "Quality", CatalogKind.QUALITY, "inv_add_quality",
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
    print_labels.label_download(item_ids=[result.item_id], key="inv_add_labels", expanded=True)
