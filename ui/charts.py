"""Altair chart builders (no streamlit import: pages pass the chart to st.altair_chart).

Numbers arrive as Decimal in the workspace unit; charts get floats (Vega-Lite
speaks JSON) and say the unit in every axis and tooltip title.
"""
from __future__ import annotations

from typing import Sequence

import altair as alt
import pandas as pd

from lib.enums import JobStatus
from lib.units import format_weight

ADDED_COLOUR = "#2e9e5b"
DEDUCTED_COLOUR = "#d64545"
NET_COLOUR = "#4a4f5c"
SERIES = ("Added", "Deducted", "Net")


def weight_trend_frame(series: Sequence, unit: str) -> pd.DataFrame:
    """Long-form rows (one per bucket and bar) with the bucket's figures repeated for tooltips.

    `series` items have .bucket (date), .added, .deducted and .net (Decimal, in `unit`).
    Deducted bars are drawn below zero; the tooltip figures are text written by
    `lib.units.format_weight`, as everywhere else.
    """
    rows = []
    for b in series:
        common = {"bucket": pd.Timestamp(b.bucket), "added": format_weight(b.added, unit),
                  "deducted": format_weight(b.deducted, unit), "net": format_weight(b.net, unit, signed=True),
                  "net_value": float(b.net)}
        rows.append({**common, "series": "Added", "value": float(b.added)})
        rows.append({**common, "series": "Deducted", "value": -float(b.deducted)})
    columns = ["bucket", "added", "deducted", "net", "net_value", "series", "value"]
    return pd.DataFrame(rows, columns=columns)


def weight_trend(series: Sequence, unit: str, bucket: str = "day") -> alt.LayerChart:
    """Bars of weight added (up) and deducted (down) per bucket, with the net as a line.

    `bucket` is "day" or "week" and only changes labels.
    """
    frame = weight_trend_frame(series, unit)
    when = "Week of" if bucket == "week" else "Date"
    colour = alt.Color("series:N", title=None,
                       scale=alt.Scale(domain=list(SERIES), range=[ADDED_COLOUR, DEDUCTED_COLOUR, NET_COLOUR]),
                       legend=alt.Legend(orient="top"))
    tooltip = [alt.Tooltip("bucket:T", title=when, format="%Y-%m-%d"),
               alt.Tooltip("added:N", title="Added"), alt.Tooltip("deducted:N", title="Deducted"),
               alt.Tooltip("net:N", title="Net")]
    x = alt.X("bucket:T", title=when, axis=alt.Axis(format="%b %d", labelOverlap=True))
    base = alt.Chart(frame)
    bars = base.mark_bar(opacity=0.85).encode(
        x=x, y=alt.Y("value:Q", title=f"Weight ({unit})", stack="zero"), color=colour, tooltip=tooltip)
    net = (base.transform_filter(alt.datum.series == "Added")
           .transform_calculate(series="'Net'")
           .mark_line(point=alt.OverlayMarkDef(size=18), strokeWidth=1.5)
           .encode(x=x, y=alt.Y("net_value:Q"), color=colour, tooltip=tooltip))
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#9aa0a6", strokeWidth=1).encode(y="y:Q")
    return alt.layer(bars, zero, net).properties(height=300)


# ---------------------------------------------------------------------------
# Production
# ---------------------------------------------------------------------------

BUCKET_COLOURS = {"Completed": "#2e9e5b", "Pending": "#c9ced6", "Rejected": "#d64545", "Scrapped": "#8e5bd6",
                  "Wasted": "#6b6f76", "Over-recovery": "#e59a1c"}


def jobs_by_stage(counts: Sequence) -> alt.Chart:
    """Horizontal stacked bars: jobs per stage (in stage order), coloured by status.

    `counts` items have .stage, .order, .status (a JobStatus, with .label and .colour) and .jobs.
    """
    frame = pd.DataFrame([{"stage": c.stage, "order": c.order, "status": c.status.label, "jobs": int(c.jobs)}
                          for c in counts], columns=["stage", "order", "status", "jobs"])
    stages = list(dict.fromkeys(frame.sort_values(["order", "stage"])["stage"])) if len(frame) else []
    statuses = [status.label for status in JobStatus]
    colour = alt.Color("status:N", title="Status", legend=alt.Legend(orient="top"),
                       scale=alt.Scale(domain=statuses, range=[status.colour for status in JobStatus]),
                       sort=statuses)
    return (alt.Chart(frame).mark_bar()
            .encode(y=alt.Y("stage:N", title=None, sort=stages, axis=alt.Axis(labelLimit=260)),
                    x=alt.X("jobs:Q", title="Jobs", axis=alt.Axis(tickMinStep=1, format="d")),
                    color=colour, order=alt.Order("status_rank:Q"),
                    tooltip=[alt.Tooltip("stage:N", title="Stage"), alt.Tooltip("status:N", title="Status"),
                             alt.Tooltip("jobs:Q", title="Jobs")])
            .transform_calculate(status_rank=f"indexof({statuses!r}, datum.status)")
            .properties(height=alt.Step(26)))


def progress_bar(shares: dict, over_recovery) -> alt.Chart:
    """One stacked bar of the five progress buckets (0-100 %), and over-recovery beyond 100 when there is some.

    `shares` maps "Completed", "Pending", "Rejected", "Scrapped", "Wasted" to a percentage (Decimal or None).
    """
    rows = [{"bucket": label, "share": float(value or 0), "rank": rank}
            for rank, (label, value) in enumerate(shares.items())]
    if over_recovery:
        rows.append({"bucket": "Over-recovery", "share": float(over_recovery), "rank": len(rows)})
    frame = pd.DataFrame(rows, columns=["bucket", "share", "rank"])
    total = max(100.0, float(frame["share"].sum()) if len(frame) else 100.0)
    domain = [row["bucket"] for row in rows]
    bar = (alt.Chart(frame).mark_bar(height=26)
           .encode(x=alt.X("share:Q", title="% of the progress base", stack="zero",
                           scale=alt.Scale(domain=[0, total])),
                   color=alt.Color("bucket:N", title=None, legend=alt.Legend(orient="top", columns=6),
                                   scale=alt.Scale(domain=domain, range=[BUCKET_COLOURS[b] for b in domain])),
                   order=alt.Order("rank:Q"),
                   tooltip=[alt.Tooltip("bucket:N", title="Bucket"), alt.Tooltip("share:Q", title="%", format=".1f")]))
    hundred = alt.Chart(pd.DataFrame({"x": [100]})).mark_rule(color="#4a4f5c", strokeDash=[4, 3]).encode(x="x:Q")
    return alt.layer(bar, hundred).properties(height=48)
