"""/reports?report=low-stock: products below the reorder level set on their Product Details page, now."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.reports import stock
from ui import context
from ui.reports.common import View, bars, chart, export_buttons, nothing, number, table, weight


def render(view: View) -> None:
    st.caption("Stock held now against each reorder level (set on a product's Product Details page); the date "
               "range does not apply to this report.")
    with context.db() as session:
        rows = stock.low_stock(session, actor=view.actor, period=view.period, filters=view.filters)
    if not rows:
        nothing("Nothing is below its reorder level.")
        export_buttons(view, 0)
        return
    frame = pd.DataFrame([{"Product": row.product, "Kind": row.kind, "Location": row.location,
                           "Pieces held": row.held_pieces, "Minimum pieces": row.min_pieces,
                           "Pieces short": row.short_pieces, "Weight held": weight(view, row.held_weight_g),
                           "Minimum weight": weight(view, row.min_weight_g),
                           "Weight short": weight(view, row.short_weight_g)} for row in rows])
    weights = frame.dropna(subset=["Minimum weight"])
    if len(weights):
        label = weights["Product"] + " · " + weights["Location"]
        shown = pd.DataFrame({"Level": label, "Held": weights["Weight held"], "Minimum": weights["Minimum weight"]})
        chart(bars(shown, "Level", ["Held", "Minimum"], f"Weight ({view.unit})",
                   colours=["#4a7bd0", "#d64545"]), "rep_chart")
    table(frame, "rep_table", **{name: number(f"{name} ({view.unit})", 4)
                                 for name in ("Weight held", "Minimum weight", "Weight short")})
    export_buttons(view, len(rows))
