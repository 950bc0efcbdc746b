"""How orders look on screen: status chips, and lib.orders results as display tables.

User text (names, notes, descriptions) only ever goes into dataframes or
st.text, never into Markdown; the chips carry our own labels only.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.models import Fulfilment, LineStatus, OrderKind
from lib.orders.detail import LineView, OrderDetail
from lib.orders.listing import OrderRow
from lib.units import format_weight


def fulfilment_chip(fulfilment: Fulfilment) -> None:
    st.badge(f"Fulfilment: {fulfilment.label}", color=fulfilment.colour, help="Derived from the lines; never typed.")


def line_chips(summary: list[tuple[LineStatus, int]]) -> None:
    for status, count in summary:
        st.badge(f"{count} {status.label}", color=status.colour)


def list_frame(rows: list[OrderRow], kind: OrderKind, show_budget: bool) -> pd.DataFrame:
    """Order list rows as a display table."""
    records = []
    for row in rows:
        record = {"Number": row.number, kind.party_kind.label: row.party, "Order lead": row.lead,
                  "Order date": row.ordered_on, "Date required": row.date_required, "Deadline": row.deadline,
                  "Lines": row.lines, "Fulfilment": row.fulfilment.label, "Terms": row.payment_terms.label}
        if show_budget:
            record["Budget"] = f"{row.budget:,.2f} {row.currency}" if row.budget is not None else ""
        records.append(record)
    return pd.DataFrame.from_records(records)


def _amount(line: LineView, amount) -> str:
    return line.in_unit(amount) if not amount.is_zero else "—"


def lines_frame(view: OrderDetail) -> pd.DataFrame:
    """The order's lines with what happened to each, amounts in each line's own unit."""
    sales = view.kind is OrderKind.SALES
    records = []
    for line in view.lines:
        record = {"#": line.position, "Product": line.product + ("" if line.product_active else " (inactive)"),
                  "Description": line.description, "Shape": line.attributes.get("shape") or "",
                  "Size": line.attributes.get("size") or "", "Ordered": line.ordered_text}
        if sales:
            record.update({"Selected": _amount(line, line.selected), "Shipped": _amount(line, line.shipped),
                           "Returned": _amount(line, line.returned),
                           "Still to select": _amount(line, line.outstanding),
                           "Matching stock": (f"{line.matching.items} available" if line.matching else "—")})
        else:
            record.update({"Received": _amount(line, line.received),
                           "Still to receive": _amount(line, line.outstanding)})
        record["Status"] = line.status.label + (f" — {line.close_reason}" if line.closed_short and
                                                 line.close_reason else "")
        records.append(record)
    return pd.DataFrame.from_records(records)


def stock_links_frame(view: OrderDetail, links, received: bool) -> pd.DataFrame:
    """Selections or receipts: line, item (or "an item in another location"), amount, when, who, note."""
    positions = {line.id: line.position for line in view.lines}
    records = [{"Line": positions.get(link.line_id), "Item": link.tag, "Location": link.location,
                "Pieces": link.quantity, "Weight": format_weight(link.weight, link.weight_unit),
                "When": link.at, "By": link.by,
                ("Note" if received else "State"): link.note if received else
                ("selected" if link.active else link.note)}
               for link in links]
    return pd.DataFrame.from_records(records)


def shipments_frame(view: OrderDetail) -> pd.DataFrame:
    return pd.DataFrame.from_records([{
        "Shipped on": shipment.shipped_on, "Carrier": shipment.carrier, "Tracking number": shipment.tracking_number,
        "Lines": "; ".join(f"line {position}: {text}" for position, text in shipment.lines),
        "Items": "; ".join(f"{tag} ({text})" for _position, tag, text in shipment.items), "By": shipment.by,
        "Notes": shipment.notes} for shipment in view.shipments])


def timeline_frame(view: OrderDetail) -> pd.DataFrame:
    return pd.DataFrame.from_records([{"When": entry.at, "Who": entry.who, "What": entry.what}
                                      for entry in reversed(view.timeline)])


DATE_COLUMNS = {name: st.column_config.DateColumn(name, format="YYYY-MM-DD")
                for name in ("Order date", "Date required", "Deadline", "Shipped on")}
TIME_COLUMNS = {"When": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm")}
