"""The order page's "Prices" table (issue 19 item 3), for admins only.

Purchase lines: the unit price and the component type received items get. Sales lines: the price, the
price total for what the line asks for, the cost of the stock selected for it, and the margin
(`lib.costing.prices.line_margins`). Managers and members never see this table.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import Actor, Right
from lib.costing import prices
from lib.enums import ComponentType
from lib.errors import LoupeError
from lib.models import OrderKind
from lib.orders.detail import OrderDetail
from ui import context
from ui.feedback import show_error


def section(actor: Actor, view: OrderDetail) -> None:
    if not (actor.can(Right.EDIT_ORDERS) and actor.can(Right.VIEW_RATES)):
        return
    try:
        with context.db() as session:
            margins = prices.line_margins(session, actor=actor, order_id=view.id)
            cost_types = {line.id: prices.cost_type_of(session, line.id) for line in view.lines}
    except LoupeError as error:
        show_error(error)
        return
    if not any(margin.price for margin in margins.values()) and view.kind is OrderKind.PURCHASE:
        return
    rows = []
    for line in view.lines:
        margin = margins.get(line.id)
        if margin is None:
            continue
        row = {"Line": line.position, "Product": line.product, "Unit price": margin.price or "—",
               "Price total": prices.currency_amount(margin.currency, margin.price_total)}
        if view.kind is OrderKind.SALES:
            row.update({"Cost of selected stock": margin.cost_text,
                        "Margin": prices.currency_amount(margin.currency, margin.margin)})
        else:
            kind = cost_types.get(line.id)
            row["Cost type of received items"] = ComponentType(kind).label if kind else "—"
        rows.append(row)
    st.subheader("Prices")
    st.caption("Admins only." + (" Margin = price total − cost of the selected stock (same currency); “—” until "
                                 "stock is selected and every selected item carries a cost."
                                 if view.kind is OrderKind.SALES else ""))
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="order_prices")
