"""/reports?report=waste-log: each waste, reject and scrap recorded in the range (and pending written off)."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from lib.reports import production
from ui import context
from ui.reports.common import View, chart, export_buttons, nothing, number, table, weight

SHOWN = 1000


def render(view: View) -> None:
    with context.db() as session:
        rows = production.waste_log(session, actor=view.actor, period=view.period, filters=view.filters,
                                    limit=SHOWN + 1)
    if not rows:
        nothing("No waste, reject or scrap in this range at your locations.")
        export_buttons(view, 0)
        return
    more = len(rows) > SHOWN
    rows = rows[:SHOWN]
    frame = pd.DataFrame([{"Recorded": row.at, "Received on": row.day, "Job": row.job, "Stage": row.stage,
                           "Operator": row.operator, "Event": row.event, "Pieces": row.pieces,
                           "Weight": weight(view, row.weight_g), "Tag ID": row.tag} for row in rows])
    per_day = frame.groupby(["Received on", "Event"], as_index=False)["Weight"].sum()
    per_day["Received on"] = pd.to_datetime(per_day["Received on"])
    chart(alt.Chart(per_day).mark_bar().encode(
        x=alt.X("Received on:T", title="Day", axis=alt.Axis(format="%b %d")),
        y=alt.Y("Weight:Q", title=f"Weight ({view.unit})", stack="zero"),
        color=alt.Color("Event:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=["Received on:T", "Event:N", alt.Tooltip("Weight:Q", format=",.4~f")]).properties(height=260),
        "rep_chart")
    table(frame, "rep_table", Weight=number(f"Weight ({view.unit})", 4),
          Recorded=st.column_config.DatetimeColumn("Recorded", format="YYYY-MM-DD HH:mm"))
    if more:
        st.caption(f"The newest {SHOWN:,} events are shown; the export holds every event of the range.")
    export_buttons(view, len(rows))
