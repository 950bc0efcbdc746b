"""The orders line of the Product Details page: open sales demand and incoming purchases (lib.orders.demand).

Shown to people who may see orders (admins, managers); orders are workspace-wide, so the figures cover
the whole product, whatever kind switch or filters the page has.
"""
from __future__ import annotations

import streamlit as st

from lib.access import Actor
from lib.errors import LoupeError
from lib.orders import demand
from lib.units import format_weight, from_grams
from ui import context


def _text(figure: demand.Open, unit: str, what: str) -> str:
    if not figure.lines:
        return f"{what}: none"
    return (f"{what}: {figure.lines} line{'s' if figure.lines != 1 else ''} on {figure.orders} "
            f"order{'s' if figure.orders != 1 else ''} · {figure.pieces:,} pcs · "
            f"{format_weight(from_grams(figure.grams, unit), unit)}")


def render(actor: Actor, product_id: int, unit: str) -> None:
    """One caption: what sales orders still need of the product, and what purchase orders will bring."""
    try:
        with context.db() as session:
            figures = demand.product_orders(session, actor=actor, product_id=product_id)
    except LoupeError:
        return
    st.caption(f"🧾 {_text(figures.demand, unit, 'Open sales demand (not yet selected)')} — "
               f"{_text(figures.incoming, unit, 'Incoming purchases (not yet received)')}. "
               "All kinds and filters: orders belong to the whole workspace.")
