"""Orders (/orders): sales and purchase orders, the new-order form, customers and suppliers (admins).

/orders?order=<id> opens one order. Admins do everything; managers read
orders with customer details hidden (lib.orders decides what they see);
members get one sentence and no data.
"""
from __future__ import annotations

import streamlit as st

from lib.access import Right
from lib.models import OrderKind
from ui import context, order_page, order_wizard, orders_list, people

VIEWS = {"sales": "Sales orders", "purchase": "Purchase orders", "new": "New order", "people": "Customers & suppliers"}

actor = context.actor()  # members never get here: the router shows them the page's refusal (ui/navigation.py)

if st.query_params.get("order"):
    order_page.render(actor, st.query_params.get("order"))
    st.stop()

st.title("Orders")
views = ["sales", "purchase"]
if actor.can(Right.EDIT_ORDERS):
    views.append("new")
if actor.can(Right.VIEW_CUSTOMER_DETAILS):
    views.append("people")
view = st.segmented_control("View", views, default="sales", required=True, format_func=VIEWS.get,
                            key="orders_view", label_visibility="collapsed")
if not actor.can(Right.VIEW_CUSTOMER_DETAILS):
    st.caption("Customer details are hidden for your role: a sales order's customer reads \"Customer\" and its "
               "number. Suppliers are shown in full.")
if view == "new":
    order_wizard.render(actor)
elif view == "people":
    people.render(actor)
else:
    orders_list.render(actor, OrderKind(view))
