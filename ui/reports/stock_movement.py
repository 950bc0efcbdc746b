"""/reports?report=stock-movement: totals of every change in the range by kind of movement, and the full log
(a page at a time; the export holds every movement of the range)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.reports import stock
from ui import context
from ui.reports.common import View, bars, chart, export_buttons, nothing, number, table, weight


def render(view: View) -> None:
    page = int(st.session_state.get("rep_log_page", 1) or 1)
    with context.db() as session:
        totals = stock.stock_movement(session, actor=view.actor, period=view.period, filters=view.filters)
        log = stock.movement_log(session, actor=view.actor, period=view.period, filters=view.filters,
                                 limit=stock.LOG_PAGE + 1, offset=(page - 1) * stock.LOG_PAGE)
    if not totals:
        nothing("No stock movements in this range at your locations.")
        export_buttons(view, 0)
        return
    frame = pd.DataFrame([{"Movement": row.movement_kind.label, "Kind": row.kind.label, "Movements": row.movements,
                           "Pieces added": row.added_pieces, "Pieces deducted": row.deducted_pieces,
                           "Added": weight(view, row.added_g), "Deducted": weight(view, row.deducted_g),
                           "Net": weight(view, row.net_g)} for row in totals])
    per_kind = frame.groupby("Movement", sort=False, as_index=False)[["Added", "Deducted"]].sum()
    chart(bars(per_kind, "Movement", ["Added", "Deducted"], f"Weight ({view.unit})",
               colours=["#2e9e5b", "#d64545"]), "rep_chart")
    st.subheader("Totals")
    table(frame, "rep_table", **{name: number(f"{name} ({view.unit})", 4) for name in ("Added", "Deducted", "Net")})
    st.subheader("Every movement")
    more = len(log) > stock.LOG_PAGE
    log = log[:stock.LOG_PAGE]
    table(pd.DataFrame([{"When": row.at, "Tag ID": row.tag, "Product": row.product, "Kind": row.kind.label,
                         "Location": row.location, "Movement": row.movement_kind.label, "Pieces": row.pieces_delta,
                         "Weight": weight(view, row.weight_delta_g), "By": row.user, "From / to": row.counterpart,
                         "Reference": row.reference, "Note": row.note} for row in log]),
          "rep_log_table", Weight=number(f"Weight ({view.unit})", 4),
          When=st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"))
    columns = st.columns([1, 1, 4], vertical_alignment="center")
    columns[0].button("Newer", key="rep_log_newer", disabled=page <= 1,
                      on_click=lambda: st.session_state.update(rep_log_page=max(page - 1, 1)))
    columns[1].button("Older", key="rep_log_older", disabled=not more,
                      on_click=lambda: st.session_state.update(rep_log_page=page + 1))
    columns[2].caption(f"Page {page}: {stock.LOG_PAGE} movements a page, newest recorded first.")
    export_buttons(view, sum(row.movements for row in totals))
