"""The value held card (Home, Inventory totals, Product Details): at cost and at current rates, per currency.

Shown to admins and managers only (`Right.VIEW_RATES`); for anyone else `load` returns None and nothing is drawn,
so a member never receives a value. Definitions: lib.costing.valuation and docs/costing.md ("Value held").
"""
from __future__ import annotations

import streamlit as st

from lib.access import Actor, Right
from lib.costing import valuation
from lib.inventory.query import ItemFilters
from ui import context

HELP = ("At cost: each cost component of the held items at the price in force when the item came in. At current "
        "rates: the same components at today's prices (manual amounts as typed). Currencies are never converted. "
        "Items without cost components count nothing.")


def load(actor: Actor, filters: ItemFilters = ItemFilters()) -> valuation.ValueHeld | None:
    """The value of the held items matching `filters`, or None when the actor may not see values."""
    if not actor.can(Right.VIEW_RATES):
        return None
    with context.db() as session:
        return valuation.value_held(session, actor=actor, filters=filters)


def render(held: valuation.ValueHeld | None, key: str, *, when_empty: bool = False) -> None:
    """Two metrics in one bordered container; nothing for None, nor (unless `when_empty`: Home) when no held item
    of the view has cost components."""
    if held is None or not (held.values or when_empty):
        return
    with st.container(border=True, key=key):
        first, second = st.columns(2)
        first.metric("Value held at cost", held.at_cost_text, help=HELP)
        second.metric("At current rates", held.at_current_rates_text, help=HELP)
        notes = [f"Metal at current rates: {held.metal_text}."] if held.values else [
            "No held item has cost components yet (add them on an item's Costs section)."]
        if held.unpriced:
            notes.append(f"{held.unpriced:,} component{'s' if held.unpriced != 1 else ''} without a price today.")
        st.caption(" ".join(notes))
