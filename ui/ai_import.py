""""Import using AI" on Inventory → Import (admins; only with `ai_import_enabled` on and an endpoint configured).

`render(actor)` is the only entry point (one call from pages/inventory.py). Nothing is sent on a rerun: only the
"Propose a mapping" button calls the model (lib.inventory.import_ai, metered). The proposed mapping is shown for
review as one choice per sheet column plus the value rules; the admin edits it, the sheet is converted on the
server and goes through the importer's own preview, flagged rows and all-or-nothing "Confirm import".
Model text is never rendered: only the validated mapping is used, shown in widgets and plain text.
"""
from __future__ import annotations

import hashlib

import streamlit as st

from lib.access import Actor
from lib.errors import LoupeError
from lib.inventory import import_ai, importer
from lib.models import InventoryKind
from lib.units import WEIGHT_UNITS
from ui import context
from ui.feedback import counted, plain, run_action, show_error

NOT_IMPORTED = ""
STATE = "ai_imp_mapping"


def render(actor: Actor) -> None:
    """The "Import using AI" section, or nothing when it is not offered to this actor."""
    settings = context.settings()
    with context.db() as session:
        if not import_ai.is_available(session, actor=actor, settings=settings):
            return
    with st.expander("✨ Import using AI", key="ai_imp_panel"):
        st.caption("For sheets with their own headers and units (\"Wt (ct)\", \"2.5ct\", decimal commas, several "
                   "worksheets). Only the headers and at most 20 sample rows are sent to the AI endpoint; it "
                   "proposes a column mapping, which you review. The whole sheet is then converted here and "
                   "checked like any import: nothing is written until you confirm a preview without problems.")
        _section(actor, importer.Limits.from_settings(settings))


def _section(actor: Actor, limits: importer.Limits) -> None:
    generation = st.session_state.setdefault("ai_imp_gen", 0)
    upload = st.file_uploader("Spreadsheet to map with AI", type=list(importer.FILE_TYPES),
                              key=f"ai_imp_file_{generation}")
    if upload is None:
        return
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:16]
    try:
        names = importer.sheet_names(upload.name, data, limits)
        sheet = st.selectbox("Sheet", names, key=f"ai_imp_sheet_{digest}") if len(names) > 1 else None
        table = import_ai.read_table(upload.name, data, sheet, limits=limits)
    except LoupeError as error:
        show_error(error)
        return
    key = f"{digest}_{names.index(sheet) if sheet else 0}"
    st.caption(plain(f"{counted(len(table.rows), 'row')}; columns: " + ", ".join(h for h in table.headers if h)))
    if st.button("Propose a mapping", key="ai_imp_propose", icon="✨"):
        _propose(actor, table, key)
    stored = st.session_state.get(STATE)
    if not stored or stored["key"] != key:
        return
    mapping = _review(table, stored["mapping"], key)
    if mapping is None:
        return
    converted = import_ai.convert(table, mapping)
    try:
        with context.db() as session:
            preview = importer.preview(session, actor=actor, sheet=converted)
    except LoupeError as error:
        show_error(error)
        return
    if preview.bad_rows:
        st.error(f"{preview.bad_rows:,} of {counted(len(preview.rows), 'row')} "
                 f"{'has' if preview.bad_rows == 1 else 'have'} problems: fix the mapping or the file; "
                 "nothing has been written.")
    else:
        st.success(f"All {counted(len(preview.rows), 'row')} are ready to import.")
    st.dataframe(preview.frame(), hide_index=True, key="ai_imp_preview")
    if st.button("Confirm import", key="ai_imp_confirm", type="primary", disabled=not preview.ok):
        result = run_action(lambda done: f"Imported {counted(len(done.tags), 'row')} with the AI mapping.",
                            importer.commit, rerun=False, sheet=converted)
        if result is not None:
            st.session_state["ai_imp_gen"] = generation + 1
            st.session_state.pop(STATE, None)
            st.rerun()


def _propose(actor: Actor, table: import_ai.RawTable, key: str) -> None:
    """The one request: prepared in a read, sent with no transaction open, metered; the answer validated."""
    settings = context.settings()
    try:
        with context.db() as session:
            request = import_ai.prepare_request(session, actor=actor, settings=settings, table=table)
        with st.spinner("Asking the AI for a column mapping…"):
            completion = import_ai.request_mapping(request, actor=actor, settings=settings,
                                                   sessions=lambda: context.db(write=True))
        mapping = import_ai.parse_mapping(completion.text, request.headers)
    except LoupeError as error:
        show_error(error)
        return
    st.session_state[STATE] = {"key": key, "mapping": mapping}
    for index, header in enumerate(table.headers):  # the review widgets start from the proposal
        st.session_state[f"ai_imp_col_{key}_{index}"] = mapping.columns.get(header, NOT_IMPORTED)
    st.session_state[f"ai_imp_unit_{key}"] = mapping.weight_unit or NOT_IMPORTED
    st.session_state[f"ai_imp_comma_{key}"] = mapping.decimal_comma
    st.session_state[f"ai_imp_kind_{key}"] = mapping.kind or NOT_IMPORTED


def _review(table: import_ai.RawTable, proposed: import_ai.Mapping, key: str) -> import_ai.Mapping | None:
    """One choice per sheet column and the rules, prefilled with the proposal; the edit validated again."""
    st.markdown("**Review the mapping**")
    targets = [NOT_IMPORTED] + [column.key for column in importer.COLUMNS]
    labels = {NOT_IMPORTED: "(not imported)"} | {column.key: column.header for column in importer.COLUMNS}
    columns = {}
    grid = st.columns(3)
    for index, header in enumerate(table.headers):
        if not header:
            continue
        columns[header] = grid[index % 3].selectbox(header, targets, format_func=labels.get,
                                                    key=f"ai_imp_col_{key}_{index}")
    rules = st.columns(3)
    units = [NOT_IMPORTED] + [unit.symbol for unit in WEIGHT_UNITS]
    unit = rules[0].selectbox("Weights without a unit are in", units, key=f"ai_imp_unit_{key}",
                              format_func=lambda symbol: symbol or "(the unit column or the workspace unit)")
    kinds = [NOT_IMPORTED] + [kind.label for kind in InventoryKind]
    kind = rules[1].selectbox("Kind of every row (when no column gives it)", kinds, key=f"ai_imp_kind_{key}",
                              format_func=lambda label: label or "(from the sheet)")
    comma = rules[2].toggle("Decimal commas (4,25 = 4.25)", key=f"ai_imp_comma_{key}")
    if proposed.kind_words:
        st.caption(plain("Kind words: " + ", ".join(f"{word} → {label}" for word, label in
                                                    proposed.kind_words.items())))
    try:
        return import_ai.validate_mapping(columns, table.headers, weight_unit=unit or None, decimal_comma=comma,
                                          kind=kind or None, kind_words=proposed.kind_words)
    except LoupeError as error:
        show_error(error)
        return None
