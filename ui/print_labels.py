"""The one "Print labels" control: choose a layout (and one label per item or per piece), build the PDF
with a progress bar, download it. Used wherever items are born or listed: Inventory (the filtered list, an
open item, the add wizard's result, an import's result), production receipts, purchase receipts.

    label_download(item_ids=[...], key="inv_item_labels")
    label_download(tags=["GEMDIA0001-RCV1", ...], key="job_receipt_labels")

The PDF is built only when the button is pressed (never on every rerun), through
`lib.documents.labels.label_pdf` in the actor's scope, and kept for that one selection until it changes.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

import streamlit as st

from lib.documents import labels
from lib.errors import LoupeError
from ui import context
from ui.feedback import counted, show_error


def _selection_key(key: str, item_ids: Sequence[int], tags: Sequence[str], layout: str, per_piece: bool) -> str:
    text = f"{sorted(item_ids)}|{sorted(tags)}|{layout}|{per_piece}"
    return f"{key}_pdf_{hashlib.sha1(text.encode()).hexdigest()[:12]}"


def label_download(item_ids: Sequence[int] = (), tags: Sequence[str] = (), *, key: str,
                   title: str = "Print labels", expanded: bool = False,
                   choosable: dict[int, str] | None = None) -> None:
    """An expander with the layout choice, a build button (with progress) and the PDF's download button.

    With `choosable` (id -> tag), the user may narrow the items to some of them (empty choice: all).
    """
    item_ids, tags = list(item_ids), list(tags)
    count = len(item_ids) + len(tags)
    if not count:
        return
    with st.expander(f"🏷️ {title} ({counted(count, 'item')})", expanded=expanded):
        if choosable:
            chosen = st.multiselect("Only these items", list(choosable), key=f"{key}_only", format_func=choosable.get,
                                    placeholder=f"All {counted(len(choosable), 'item')}: or choose some tags")
            if chosen:
                item_ids, count = list(chosen), len(chosen)
        columns = st.columns([2, 1])
        layout = columns[0].selectbox("Label layout", list(labels.LAYOUTS), key=f"{key}_layout",
                                      format_func=lambda name: labels.LAYOUTS[name].title)
        per_piece = columns[1].toggle("One label per piece", key=f"{key}_per_piece",
                                      help="Off: one label per item. On: as many labels as the item has pieces.")
        if count > labels.MAX_LABELS:
            st.warning(f"{count:,} items: at most {labels.MAX_LABELS} labels print at once. Narrow the selection.")
            return
        built = _selection_key(key, item_ids, tags, layout, per_piece)
        if st.button("Prepare labels PDF", key=f"{key}_build", icon=":material/print:"):
            bar = st.progress(0.0, text="Drawing labels")

            def report(done: int, total: int) -> None:
                bar.progress(done / total, text=f"Drawing labels: {done:,} of {total:,}")
            try:
                with context.db() as session:
                    made = labels.label_pdf(session, actor=context.fresh_actor(session), layout_name=layout,
                                            item_ids=item_ids, tags=tags, per_piece=per_piece, progress=report)
            except LoupeError as error:
                bar.empty()
                show_error(error)
                return
            bar.empty()
            st.session_state[built] = made
        made = st.session_state.get(built)
        if made is not None:
            st.download_button(f"Download {counted(made.count, 'label')} (PDF)", made.data, key=f"{key}_download",
                               file_name=made.filename, mime="application/pdf", on_click="ignore",
                               icon=":material/download:", type="primary")


def filtered_labels(filters, *, key: str) -> None:
    """Labels for the items a list's filters match (at most MAX_LABELS), all of them or the tags the user picks:
    the Inventory selection (its table selects one row to open it, so the selection is filters + picks)."""
    try:
        with context.db() as session:
            found = labels.items_for_filters(session, actor=context.actor(), filters=filters)
    except LoupeError as error:
        show_error(error)
        return
    if len(found) > labels.MAX_LABELS:
        st.caption(f"Print labels: more than {labels.MAX_LABELS} items match these filters; narrow them to print "
                   f"(at most {labels.MAX_LABELS} labels at once).")
        return
    label_download(item_ids=list(found), key=key, title="Print labels of the filtered items", choosable=found)


def output_item_ids(outputs) -> list[int]:
    """The items a production job's output lines became, in the user's scope (waste and items at a location the
    user does not see have no id)."""
    return list(dict.fromkeys(line.item_id for line in outputs if line.item_id))
