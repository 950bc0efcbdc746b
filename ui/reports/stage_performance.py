"""/reports?report=stage-performance: days from first issue to completion (median, 90th percentile) and the
loss of the jobs completed in the range, per stage."""
from __future__ import annotations

import pandas as pd

from lib.reports import production
from ui import context
from ui.reports.common import View, bars, chart, export_buttons, nothing, number, pct, table, weight


def render(view: View) -> None:
    with context.db() as session:
        rows = production.stage_performance(session, actor=view.actor, period=view.period, filters=view.filters)
    if not rows:
        nothing("No job was completed in this range at your locations.")
        export_buttons(view, 0)
        return
    days = pd.DataFrame([{"Stage": row.stage, "Median days": pct(row.median_days), "90th percentile days":
                          pct(row.p90_days)} for row in rows])
    chart(bars(days, "Stage", ["Median days", "90th percentile days"], "Days from first issue to completion",
               colours=["#4a7bd0", "#e59a1c"]), "rep_chart")
    frame = pd.DataFrame([{"Stage": row.stage, "Jobs completed": row.jobs_completed,
                           "Median days": pct(row.median_days),
                           "90th percentile days": pct(row.p90_days), "Issued": weight(view, row.issued_g),
                           "Scrapped": weight(view, row.scrapped_g), "Waste": weight(view, row.waste_g),
                           "Loss %": pct(row.loss_pct), "Norm %": pct(row.norm_pct)} for row in rows])
    table(frame, "rep_table", **{name: number(f"{name} ({view.unit})", 4) for name in ("Issued", "Scrapped", "Waste")},
          **{"Median days": number("Median days", 1), "90th percentile days": number("90th percentile days", 1),
             "Loss %": number("Loss %"), "Norm %": number("Norm %")})
    export_buttons(view, len(rows))
