"""/reports?report=valuation&as_of=YYYY-MM-DD: what the stock held at the end of a day was worth, at cost and at
the rates then in force, by product, kind and location (admins and managers; lib.reports.valuation)."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pandas as pd
import streamlit as st

from lib.reports import valuation
from ui import context
from ui.reports.common import View, bars, chart, export_buttons, nothing, number, table

TOP = 15


def render(view: View) -> None:
    as_of = view.period.end
    st.caption(f"Stock held at the end of {as_of.isoformat()} (UTC). At cost: each component at the price in force "
               "when its item came in. At current rates: at the prices in force that day. Never converted between "
               "currencies.")
    with context.db() as session:
        rows = valuation.valuation(session, actor=view.actor, as_of=as_of, filters=view.filters)
    if not rows:
        nothing("No stock with cost components was held at your locations then.")
        export_buttons(view, 0)
        return
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for row in rows:
        figures = totals[row.currency]
        figures[0] += row.value_at_cost
        figures[1] += row.value_at_current_rates
        figures[2] += row.metal_value_at_current_rates
    columns = st.columns(3)
    for index, label in enumerate(("Value at cost", "Value at current rates", "Metal at current rates")):
        columns[index].metric(label, " + ".join(f"{currency} {figures[index]:,.2f}"
                                                for currency, figures in sorted(totals.items())), border=True)
    frame = pd.DataFrame([{"Product": row.product, "Kind": row.kind.label, "Location": row.location,
                           "Currency": row.currency, "At cost": float(row.value_at_cost),
                           "At current rates": float(row.value_at_current_rates),
                           "Metal at current rates": float(row.metal_value_at_current_rates)} for row in rows])
    if len(totals) == 1:
        currency = next(iter(totals))
        by_product = frame.groupby("Product", as_index=False)[["At cost", "At current rates"]].sum()
        shown = by_product.nlargest(TOP, "At current rates")
        chart(bars(shown, "Product", ["At cost", "At current rates"], f"Value ({currency})",
                   colours=["#8a8f98", "#c9a227"]), "rep_chart")
    table(frame, "rep_table", **{name: number(name, 2)
                                 for name in ("At cost", "At current rates", "Metal at current rates")})
    export_buttons(view, len(rows))
