"""An item's cost components on the Inventory item panel: its cost, metal content and fine weight, and
add / edit / remove (lib.costing.components). Admins and managers only: for members this draws nothing.

User text (descriptions, profile names) is shown in dataframes and `plain()`-escaped messages only.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import Actor, Right
from lib.costing import components, rates
from lib.costing.components import PERCENT, ComponentInput, ComponentLine
from lib.enums import ComponentType, RateBasis
from lib.errors import LoupeError
from lib.units import format_weight
from ui import context
from ui.feedback import run_action, show_error

MANUAL = 0  # the profile choice meaning "a manual amount"
ACTIONS = {"add": "Add component", "edit": "Edit component", "remove": "Remove component"}


def render(actor: Actor, item_id: int) -> None:
    """The item's cost section; nothing at all for a role that may not see costs."""
    if not actor.can(Right.VIEW_RATES):
        return
    try:
        with context.db() as session:
            cost = components.item_costs(session, actor=actor, item_id=item_id)
            profiles = rates.list_profiles(session, actor=actor)
    except LoupeError as error:
        show_error(error)
        return
    with st.container(border=True, key="inv_costs"):
        st.markdown("**Cost components**")
        metrics = st.columns(3)
        metrics[0].metric("Cost", cost.total_text)
        metrics[1].metric("Metal content", format_weight(cost.metal_grams, "g"))
        metrics[2].metric("Fine weight", format_weight(cost.fine_grams, "g"),
                          help="Σ grams of metal components × their rate's purity (10 g of 18K at 0.750 = 7.5 g).")
        if cost.unpriced:
            st.caption(f"{cost.unpriced} component(s) link a rate that had no price yet: they count as no cost.")
        if cost.lines:
            st.dataframe(lines_frame(cost.lines), hide_index=True, width="stretch", key="inv_costs_table")
        else:
            st.caption("No cost components yet.")
        if actor.can(Right.EDIT_COSTS):
            actions(cost.lines, profiles, item_id)


def _quantity_text(line: ComponentLine) -> str:
    if line.unit == PERCENT:
        return "—"
    if line.grams is not None:
        return format_weight(line.quantity, line.unit)
    return f"{line.quantity.normalize():f} {line.unit}"


def lines_frame(lines) -> pd.DataFrame:
    return pd.DataFrame([{
        "Component": line.component_type.label, "Rate": line.profile_name or "Manual amount",
        "Description": line.description, "Quantity": _quantity_text(line),
        "Rate price": rates.format_price(line.rate, line.currency, line.basis) if line.basis else "—",
        "Cost": "no price yet" if line.cost is None else f"{line.currency} {line.cost:,.2f}",
    } for line in lines], columns=["Component", "Rate", "Description", "Quantity", "Rate price", "Cost"])


def actions(lines, profiles: list[rates.ProfileRow], item_id: int) -> None:
    offered = ["add"] + (["edit", "remove"] if lines else [])
    if st.session_state.get("inv_cost_action") not in (None, *offered):
        st.session_state["inv_cost_action"] = None
    action = st.segmented_control("Cost action", offered, key="inv_cost_action", format_func=ACTIONS.get,
                                  label_visibility="collapsed")
    if action == "add":
        component_form(profiles, item_id, None)
    elif action in ("edit", "remove"):
        by_id = {line.id: line for line in lines}
        chosen = st.selectbox("Component", list(by_id), key="inv_cost_pick", format_func=lambda i: (
            f"{by_id[i].component_type.label}: {by_id[i].profile_name or 'manual'} {by_id[i].description}".strip()))
        if action == "edit":
            component_form(profiles, item_id, by_id[chosen])
        elif st.button("Remove this component", key="inv_cost_remove"):
            run_action("Cost component removed.", components.remove_component, component_id=chosen)


def component_form(profiles: list[rates.ProfileRow], item_id: int, line: ComponentLine | None) -> None:
    """Add (line None) or edit a component: the rate first (it decides the units), then the form."""
    suffix = "new" if line is None else str(line.id)
    choices = {row.id: row for row in profiles if row.active or (line is not None and row.id == line.profile_id)}
    options = [*choices, MANUAL]
    current = MANUAL if line is not None and line.profile_id is None else (line.profile_id if line else None)
    chosen = st.selectbox("Rate", options, key=f"inv_cost_profile_{suffix}",
                          index=options.index(current) if current in options else 0,
                          format_func=lambda i: "Manual amount (no rate)" if i == MANUAL else
                          f"{choices[i].name} ({choices[i].currency} {choices[i].basis.label})")
    profile = choices.get(chosen)
    with st.form(f"inv_cost_form_{suffix}"):
        values: dict = {"description": st.text_input(
            "Description (optional)", value=line.description if line else "", key=f"inv_cost_desc_{suffix}",
            max_chars=components.MAX_DESCRIPTION)}
        if profile is not None and profile.basis is RateBasis.PERCENT:
            st.caption(f"{profile.name} adds its percent of the item's other costs in {profile.currency}.")
            values.update(quantity="1", unit=PERCENT)
        else:
            units = components.units_for(profile.basis if profile else None)
            unit_now = line.unit if line is not None and line.unit in units else units[0]
            columns = st.columns(2)
            values["quantity"] = columns[0].text_input(
                "Quantity", value=f"{line.quantity.normalize():f}" if line else "1", key=f"inv_cost_qty_{suffix}")
            values["unit"] = columns[1].selectbox("Unit", units, index=units.index(unit_now),
                                                  key=f"inv_cost_unit_{suffix}_{chosen}")
        if profile is None:
            columns = st.columns(3)
            kinds = list(ComponentType)
            values["component_type"] = columns[0].selectbox(
                "Component type", kinds, format_func=lambda k: k.label, key=f"inv_cost_type_{suffix}",
                index=kinds.index(line.component_type) if line else 0)
            values["manual_amount"] = columns[1].text_input(
                "Amount (the whole component)", key=f"inv_cost_amount_{suffix}",
                value=f"{line.cost:f}" if line is not None and line.manual and line.cost is not None else "")
            values["manual_currency"] = columns[2].text_input(
                "Currency", key=f"inv_cost_currency_{suffix}", max_chars=3,
                value=line.currency if line is not None and line.manual else "")
        else:
            values["profile_id"] = profile.id
        if st.form_submit_button("Save component", key=f"inv_cost_save_{suffix}", type="primary"):
            data = ComponentInput(**values)
            if line is None:
                run_action("Cost component added.", components.add_component, item_id=item_id, data=data)
            else:
                run_action("Cost component saved.", components.update_component, component_id=line.id, data=data)
