"""The "Orders" tab of /settings (admins): numbering, defaults for new orders, carriers, AI order lines
(reference 3.5.5 and 3.5.8). Every change is audited by lib.workspace.settings."""
from __future__ import annotations

import streamlit as st

from lib.access import Actor
from lib.models import DEFAULT_CARRIERS, PaymentTerms
from lib.workspace.settings import SETTINGS, carrier_list, get_workspace, update_settings
from ui import context
from ui.feedback import run_action

_HELP = {spec.field: spec.help for spec in SETTINGS}


def render(actor: Actor) -> None:
    with context.db() as session:
        workspace = get_workspace(session)
        current = dict(sales=workspace.sales_order_prefix, purchase=workspace.purchase_order_prefix,
                       terms=workspace.default_payment_terms, currency=workspace.default_currency,
                       carriers=carrier_list(workspace), ai=workspace.ai_order_lines_enabled)
    with st.form("orders_settings_form"):
        left, right = st.columns(2)
        sales = left.text_input("Sales order number prefix", value=current["sales"], max_chars=12,
                                key="os_sales_prefix", help=_HELP["sales_order_prefix"])
        purchase = right.text_input("Purchase order number prefix", value=current["purchase"], max_chars=12,
                                    key="os_purchase_prefix", help=_HELP["purchase_order_prefix"])
        terms = list(PaymentTerms)
        chosen_terms = left.selectbox("Default payment terms", terms, index=terms.index(current["terms"]),
                                      format_func=lambda t: t.label, key="os_terms",
                                      help=_HELP["default_payment_terms"])
        currency = right.text_input("Default currency", value=current["currency"], max_chars=3, key="os_currency",
                                    help=_HELP["default_currency"])
        offered = list(dict.fromkeys([*DEFAULT_CARRIERS, *current["carriers"]]))
        carriers = st.multiselect("Shipment carriers", offered, default=current["carriers"], key="os_carriers",
                                  accept_new_options=True, help=_HELP["carriers"] + " Type a name to add another.")
        ai = st.toggle("AI order lines", value=current["ai"], key="os_ai_lines", help=_HELP["ai_order_lines_enabled"])
        if st.form_submit_button("Save", type="primary", key="os_submit"):
            run_action("Orders settings saved.", update_settings, sales_order_prefix=sales,
                       purchase_order_prefix=purchase, default_payment_terms=chosen_terms, default_currency=currency,
                       carriers=carriers, ai_order_lines_enabled=ai)
    st.caption("A new prefix applies to new numbers only: existing orders keep theirs. AI order lines send only an "
               "order's notes and the catalog's product names to the AI endpoint (AI usage tab).")
