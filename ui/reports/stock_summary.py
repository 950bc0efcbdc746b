"""/reports?report=stock-summary: held items, pieces and weight by product, kind and location, now."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.reports import stock
from ui import context
from ui.reports.common import View, bars, chart, export_buttons, nothing, number, table, weight

TOP = 15


def render(view: View) -> None:
    st.caption("Stock held now: the date range does not apply to this report.")
    with context.db() as session:
        rows = stock.stock_summary(session, actor=view.actor, period=view.period, filters=view.filters)
    if not rows:
        nothing("No stock held at your locations.")
        export_buttons(view, 0)
        return
    frame = pd.DataFrame([{"Product": row.product, "Category": row.category, "Kind": row.kind.label,
                           "Location": row.location, "Items": row.items, "Pieces": row.pieces,
                           "Weight": weight(view, row.weight_g)} for row in rows])
    by_product = (frame.groupby(["Product", "Location"], as_index=False)["Weight"].sum())
    top = by_product.groupby("Product")["Weight"].sum().nlargest(TOP).index
    shown = by_product[by_product["Product"].isin(top)].pivot_table(index="Product", columns="Location",
                                                                     values="Weight", fill_value=0).reset_index()
    locations = [column for column in shown.columns if column != "Product"]
    chart(bars(shown, "Product", locations, f"Weight held ({view.unit})"),
          "rep_chart")
    if len(by_product["Product"].unique()) > TOP:
        st.caption(f"The chart shows the {TOP} products with the most weight held; the table has them all.")
    table(frame, "rep_table", Weight=number(f"Weight ({view.unit})", 4))
    export_buttons(view, len(rows))
