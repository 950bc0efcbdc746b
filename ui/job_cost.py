"""A production job's cost on its page (issue 19 item 3): what was issued, labour, where it went, the cost per
gram of good output, and the job's labour components (add, remove while open). Admins and managers only: for
members this draws nothing (`lib.production.costs.job_cost` refuses them too).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import Actor, Right
from lib.costing import rates
from lib.production import costs
from lib.costing.components import ComponentInput
from lib.enums import ComponentType
from lib.errors import LoupeError
from ui import context
from ui.feedback import run_action, show_error
from ui.item_costs import lines_frame

MANUAL = 0


def _money(currency: str, amount) -> str:
    return f"{currency} {amount:,.2f}"


def render(actor: Actor, job_id: int, is_open: bool) -> None:
    if not actor.can(Right.VIEW_RATES):
        return
    try:
        with context.db() as session:
            cost = costs.job_cost(session, actor=actor, job_id=job_id)
            profiles = [row for row in rates.list_profiles(session, actor=actor)
                        if row.active and row.component_type is ComponentType.LABOR
                        and row.currency == cost.currency and row.basis.value != "percent"]
    except LoupeError as error:
        show_error(error)
        return
    with st.container(border=True, key="pj_cost"):
        st.markdown("**Cost** (admins and managers)")
        if not (cost.total or cost.received or cost.rejected or cost.scrapped or cost.waste or cost.written_off):
            st.caption("No cost recorded: the issued stock carried no cost components and the job has no labour.")
            if is_open and actor.can(Right.EDIT_COSTS):
                _labour_form(job_id, cost, profiles)
            return
        cells = st.columns(3)
        cells[0].metric("Job cost", _money(cost.currency, cost.total),
                        help="Issued stock's cost, less bench returns, plus the job's labour.")
        cells[1].metric("Cost per gram of output", "—" if cost.per_gram is None else
                        _money(cost.currency, cost.per_gram), help="Cost carried by good output ÷ its grams.")
        cells[2].metric("At the bench", _money(cost.currency, cost.at_bench),
                        help="Cost not yet carried by output; written off when the job is completed.")
        rows = [("Issued stock", cost.issued), ("Labour", cost.labour), ("Returned to stock", -cost.returned),
                ("Good output", cost.received), ("Rejects (metal content)", cost.rejected),
                ("Scrap (metal content)", cost.scrapped), ("Waste (loss)", cost.waste),
                ("Written off (loss)", cost.written_off)]
        st.dataframe(pd.DataFrame([(name, _money(cost.currency, amount)) for name, amount in rows],
                                  columns=["", "Amount"]), hide_index=True, key="pj_cost_table")
        if cost.labour_lines:
            st.dataframe(lines_frame(cost.labour_lines), hide_index=True, width="stretch", key="pj_cost_labour")
        if is_open and actor.can(Right.EDIT_COSTS):
            _labour_form(job_id, cost, profiles)


def _labour_form(job_id: int, cost: costs.JobCost, profiles) -> None:
    by_id = {row.id: row for row in profiles}
    with st.expander("Labour", key="pj_labour_panel"):
        chosen = st.selectbox("Labour rate", [*by_id, MANUAL], key="pj_labour_profile",
                              format_func=lambda i: "Manual amount (no rate)" if i == MANUAL else
                              f"{by_id[i].name} ({by_id[i].currency} {by_id[i].basis.label})")
        profile = by_id.get(chosen)
        with st.form("pj_labour_form"):
            values: dict = {"description": st.text_input("Description (optional)", key="pj_labour_desc",
                                                         max_chars=120)}
            units = {"piece": ("pcs",), "hour": ("h", "min")}.get(profile.basis.value if profile else "",
                                                                   ("h", "min", "pcs"))
            columns = st.columns(2)
            values["quantity"] = columns[0].text_input("Quantity", value="1", key="pj_labour_qty")
            values["unit"] = columns[1].selectbox("Unit", units, key=f"pj_labour_unit_{chosen}")
            if profile is None:
                values["manual_amount"] = st.text_input(f"Amount ({cost.currency})", key="pj_labour_amount")
            else:
                values["profile_id"] = profile.id
            if st.form_submit_button("Add labour", key="pj_labour_add", type="primary"):
                run_action("Labour added.", costs.add_job_labour, job_id=job_id, data=ComponentInput(**values))
        if cost.labour_lines:
            names = {line.id: f"{line.profile_name or 'Manual'} {line.description}".strip()
                     for line in cost.labour_lines}
            picked = st.selectbox("Labour to remove", list(names), format_func=names.get, key="pj_labour_pick")
            if st.button("Remove labour", key="pj_labour_remove"):
                run_action("Labour removed.", costs.remove_job_labour, component_id=picked)

