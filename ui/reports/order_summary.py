"""/reports?report=order-summary: sales orders created, completed and open per period, lines shipped on time or
late against the date required, and the open demand by product (admins and managers; no customer details)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.reports import orders
from ui import context
from ui.reports.common import View, bars, chart, export_buttons, nothing, number, pct, table, weight


def render(view: View) -> None:
    with context.db() as session:
        rows = orders.order_summary(session, actor=view.actor, period=view.period, filters=view.filters,
                                    size=view.size)
        demand = orders.open_demand(session, actor=view.actor, filters=view.filters)
    if rows:
        frame = pd.DataFrame([{"Period": row.period, "Created": row.orders_created,
                               "Completed": row.orders_completed, "Open": row.orders_open,
                               "Cancelled": row.orders_cancelled, "Lines on time": row.lines_on_time,
                               "Lines late": row.lines_late, "Lines without a date": row.lines_no_date,
                               "On time %": pct(row.on_time_pct)} for row in rows])
        shown = frame.assign(Period=frame["Period"].map(lambda day: day.isoformat()))
        chart(bars(shown, "Period", ["Lines on time", "Lines late"], "Sales lines shipped",
                   colours=["#2e9e5b", "#d64545"], horizontal=False), "rep_chart")
        st.caption("Created, completed, open and cancelled count the sales orders created in each period, as they "
                   "stand today; shipped lines count in the period of their last shipment.")
        table(frame, "rep_table", **{"On time %": number("On time %", 1)})
    else:
        nothing("No sales orders created or shipped in this range.")
    export_buttons(view, len(rows))
    st.subheader("Open demand by product")
    if not demand:
        st.info("No open sales lines.")
        return
    table(pd.DataFrame([{"Product": row.product, "Open lines": row.lines, "Pieces open": row.open_pieces,
                         "Weight open": weight(view, row.open_weight_g), "Overdue lines": row.overdue_lines}
                        for row in demand]), "rep_demand_table",
          **{"Weight open": number(f"Weight open ({view.unit})", 4)})
