"""Inventory's import (admins): template, upload, sheet choice, preview with problems first, commit."""
from __future__ import annotations

import hashlib
import math
from contextlib import contextmanager

import streamlit as st

from lib.access import Right
from lib.errors import LoupeError
from lib.inventory import importer
from ui import context, print_labels
from ui.feedback import counted, plain, run_action, show_error

# --------------------------------------------------------------------------------------------------------------
# Import (admins)
# --------------------------------------------------------------------------------------------------------------

def import_view(actor) -> None:
    if not actor.can(Right.IMPORT_INVENTORY):
        st.info(plain(f"Your role ({actor.role.label}) may not import inventory: imports are for admins."))
        return
    print_labels.label_download(tags=st.session_state.get("inv_import_tags", ()), key="inv_import_labels",
                                title="Print labels of the last import", expanded=True)
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
            st.session_state["inv_import_tags"] = list(result.tags)  # their labels print from the next run
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
