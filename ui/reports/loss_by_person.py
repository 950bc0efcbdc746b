"""/reports?report=loss-by-person: metal loss per staff member (the job's staff) and stage, with grams over norm."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.reports import production
from ui import context
from ui.reports.common import View, bars, chart, export_buttons, nothing, table, weight
from ui.reports.production_summary import loss_columns, loss_config


def render(view: View) -> None:
    with context.db() as session:
        rows = production.loss_by_person(session, actor=view.actor, period=view.period, filters=view.filters)
    if not rows:
        nothing("No production in this range at your locations.")
        export_buttons(view, 0)
        return
    flagged = {row.person for row in rows if row.above_norm}
    if flagged:
        st.warning(f"{len(flagged)} {'people are' if len(flagged) != 1 else 'person is'} above a stage's loss norm.")
    per_person = pd.DataFrame([{"Person": row.person, "Within norm": weight(view, row.loss_g - (row.over_norm_g or 0)),
                                "Over norm": weight(view, row.over_norm_g or 0)} for row in rows])
    per_person = per_person.groupby("Person", sort=False, as_index=False).sum()
    chart(bars(per_person, "Person", ["Within norm", "Over norm"], f"Loss: waste + scrap ({view.unit})",
               colours=["#9aa0a6", "#d64545"]), "rep_chart")
    frame = pd.DataFrame([{"Person": row.person, "Stage": row.stage, "Jobs": row.jobs, **loss_columns(view, row)}
                          for row in rows])
    table(frame, "rep_table", **loss_config(view))
    export_buttons(view, len(rows))
