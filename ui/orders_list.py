"""The sales and purchase order lists of /orders: search, filters, sort, server-side paging, export.

Choosing a row opens the order (/orders?order=<id>). Every widget key carries
the kind ("ol_sales_…", "ol_purchase_…") so the two lists keep their own view.
"""
from __future__ import annotations

import hashlib
from datetime import date

import streamlit as st

from lib.access import Actor
from lib.models import Fulfilment, OrderKind
from lib.orders import listing
from ui import context
from ui import orders_view as display

STATUSES = {
    OrderKind.SALES: (Fulfilment.NOT_STARTED, Fulfilment.IN_PRODUCTION, Fulfilment.READY_TO_SHIP,
                      Fulfilment.PARTIALLY_SHIPPED, Fulfilment.COMPLETED, Fulfilment.PARTIALLY_RETURNED,
                      Fulfilment.ALL_RETURNED, Fulfilment.ON_HOLD, Fulfilment.CANCELLED),
    OrderKind.PURCHASE: (Fulfilment.NOT_STARTED, Fulfilment.PARTIALLY_RECEIVED, Fulfilment.COMPLETED,
                         Fulfilment.ON_HOLD, Fulfilment.CANCELLED),
}
"""The fulfilment statuses each kind of order can reach (lib.orders.fulfilment)."""


def _key(kind: OrderKind, name: str) -> str:
    return f"ol_{kind.value}_{name}"


def _first_page(kind: OrderKind) -> None:
    st.session_state[_key(kind, "page")] = 1


def _filters(actor: Actor, kind: OrderKind) -> listing.OrderFilters:
    with context.db() as session:
        choices = listing.filter_choices(session, actor=actor, kind=kind)
    parties, leads = dict(choices.parties), dict(choices.leads)
    reset = {"on_change": _first_page, "args": (kind,)}
    with st.container(border=True):
        search = st.text_input("Search", key=_key(kind, "q"), max_chars=200, **reset,
                               placeholder="Number, product or description" if not parties else
                               f"Number, {kind.party_kind.label.lower()}, product, notes")
        statuses = st.pills("Fulfilment", STATUSES[kind], selection_mode="multi", key=_key(kind, "status"),
                            format_func=lambda status: status.label, **reset)
        more = st.columns(4)
        chosen_parties = ()
        if parties:
            chosen_parties = more[0].multiselect(kind.party_kind.label, list(parties), format_func=parties.get,
                                                 key=_key(kind, "party"), placeholder="Any", **reset)
        chosen_leads = more[1].multiselect("Order lead", list(leads), format_func=leads.get, key=_key(kind, "lead"),
                                           placeholder="Any", **reset)
        ordered_from = more[2].date_input("Ordered from", value=None, key=_key(kind, "from"), **reset)
        ordered_to = more[3].date_input("Ordered to", value=None, key=_key(kind, "to"), **reset)
    return listing.OrderFilters(search=search or "", statuses=tuple(statuses or ()),
                                party_ids=tuple(chosen_parties or ()), lead_ids=tuple(chosen_leads or ()),
                                ordered_from=ordered_from, ordered_to=ordered_to)


def _export_file(actor: Actor, kind: OrderKind, filters: listing.OrderFilters, fmt: str, sort: str,
                 descending: bool):
    """A callable for st.download_button: the file is built only when clicked."""
    def build() -> bytes:
        with context.db() as session:
            exported = listing.export_orders(session, actor=actor, kind=kind, filters=filters, fmt=fmt, sort=sort,
                                             descending=descending)
        try:
            return exported.path.read_bytes()
        finally:
            exported.path.unlink(missing_ok=True)
    return build


def render(actor: Actor, kind: OrderKind) -> None:
    """The list of one kind of order, with its filters, sort, pager and export buttons."""
    filters = _filters(actor, kind)
    columns = st.columns([3, 2, 2, 2], vertical_alignment="bottom")
    sort = columns[0].selectbox("Sort by", list(listing.SORT_LABELS), format_func=listing.SORT_LABELS.get,
                                key=_key(kind, "sort"), on_change=_first_page, args=(kind,))
    descending = columns[1].toggle("Newest / last first", value=True, key=_key(kind, "desc"))
    size = columns[2].selectbox("Rows per page", listing.PAGE_SIZES, key=_key(kind, "size"), on_change=_first_page,
                                args=(kind,))
    number = int(st.session_state.get(_key(kind, "page")) or 1)
    with context.db() as session:
        found = listing.list_orders(session, actor=actor, kind=kind, filters=filters,
                                    page=listing.OrderPage(number, size, sort, descending))
    if number != found.page.number:  # past the last page (the filters changed elsewhere): show the last
        st.session_state[_key(kind, "page")] = found.page.number
    columns[3].number_input("Page", min_value=1, max_value=found.page_count, step=1, key=_key(kind, "page"))
    view_key = hashlib.sha1(repr((filters, sort, descending)).encode()).hexdigest()[:10]
    stamp = date.today().isoformat()
    exports = st.columns([1, 1, 4], vertical_alignment="center")
    exports[0].download_button("Export CSV", _export_file(actor, kind, filters, "csv", sort, descending),
                               file_name=f"{kind.value}-orders-{stamp}.csv", mime="text/csv", on_click="ignore",
                               key=_key(kind, f"csv_{view_key}"), icon=":material/download:", disabled=not found.total)
    exports[1].download_button("Export XLSX", _export_file(actor, kind, filters, "xlsx", sort, descending),
                               file_name=f"{kind.value}-orders-{stamp}.xlsx", on_click="ignore",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               key=_key(kind, f"xlsx_{view_key}"), icon=":material/download:",
                               disabled=not found.total)
    exports[2].caption(f"{found.total:,} order{'s' if found.total != 1 else ''} match (page {found.page.number} of "
                       f"{found.page_count}); exports hold every matching order. Select a row to open it.")
    if not found.rows:
        st.info(f"No {kind.label.lower()}s match." if found.total == 0 else "Nothing on this page.")
        return
    frame = display.list_frame(found.rows, kind, listing.sees_budget(actor))
    event = st.dataframe(frame, hide_index=True, width="stretch", key=_key(kind, "table"), on_select="rerun",
                         selection_mode="single-row", column_config=display.DATE_COLUMNS)
    chosen = event.selection.rows if event is not None and hasattr(event, "selection") else []
    if chosen and chosen[0] < len(found.rows):
        st.switch_page("pages/orders.py", query_params={"order": str(found.rows[chosen[0]].id)})
