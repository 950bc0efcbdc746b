"""/reports?report=production-summary: issued, received, rejected, scrapped and waste per stage and period,
loss % against each stage's norm, and the jobs above norm."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.reports import production
from ui import context
from ui.reports.common import View, bars, chart, export_buttons, number, nothing, pct, table, weight

BUCKETS = ["Received", "Rejected", "Scrapped", "Waste"]
COLOURS = ["#2e9e5b", "#d64545", "#8e5bd6", "#6b6f76"]
JOBS_SHOWN = 100


def loss_columns(view: View, row) -> dict:
    """The shared figures of a production row, in the workspace unit."""
    return {"Issued": weight(view, row.issued_g), "Received": weight(view, row.received_g),
            "Rejected": weight(view, row.rejected_g), "Scrapped": weight(view, row.scrapped_g),
            "Waste": weight(view, row.waste_g), "Loss %": pct(row.loss_pct), "Norm %": pct(row.norm_pct),
            "Over norm": weight(view, row.over_norm_g), "Above norm": "above norm" if row.above_norm else ""}


def loss_config(view: View) -> dict:
    unit = view.unit
    return {name: number(f"{name} ({unit})", 4) for name in ("Issued", "Received", "Rejected", "Scrapped", "Waste",
                                                              "Over norm")} | {
        "Loss %": number("Loss %"), "Norm %": number("Norm %")}


def render(view: View) -> None:
    with context.db() as session:
        rows = production.production_summary(session, actor=view.actor, period=view.period, filters=view.filters,
                                             size=view.size)
        above = production.jobs_above_norm(session, actor=view.actor, period=view.period, filters=view.filters,
                                           limit=JOBS_SHOWN + 1)
    if not rows:
        nothing("No production in this range at your locations.")
        export_buttons(view, 0)
        return
    flagged = [row for row in rows if row.above_norm]
    if flagged:
        jobs = f"more than {JOBS_SHOWN}" if len(above) > JOBS_SHOWN else str(len(above))
        st.warning(f"{len(flagged)} stage period{'s are' if len(flagged) != 1 else ' is'} above the loss norm; "
                   f"{jobs} job{'s' if len(above) != 1 else ''} above norm.")
    per_stage = pd.DataFrame([{"Stage": row.stage, **{name: weight(view, value) for name, value in zip(
        BUCKETS, (row.received_g, row.rejected_g, row.scrapped_g, row.waste_g))}} for row in rows])
    per_stage = per_stage.groupby("Stage", sort=False, as_index=False).sum()
    chart(bars(per_stage, "Stage", BUCKETS, f"Weight ({view.unit})", colours=COLOURS), "rep_chart")
    frame = pd.DataFrame([{"Period": row.period, "Stage": row.stage, **loss_columns(view, row)} for row in rows])
    table(frame, "rep_table", **loss_config(view))
    export_buttons(view, len(rows))
    if above:
        st.subheader("Jobs above norm")
        if len(above) > JOBS_SHOWN:
            st.caption(f"The {JOBS_SHOWN} jobs with the most grams over norm.")
            above = above[:JOBS_SHOWN]
        table(pd.DataFrame([{"Job": row.job, "Stage": row.stage, "Staff": row.person, **loss_columns(view, row)}
                            for row in above]).drop(columns=["Above norm"]), "rep_jobs_table", **loss_config(view))
