"""Altair chart builders (no streamlit import: pages pass the chart to st.altair_chart).

Numbers arrive as Decimal in the workspace unit; charts get floats (Vega-Lite
speaks JSON) and say the unit in every axis and tooltip title.
"""
from __future__ import annotations

from typing import Sequence

import altair as alt
import pandas as pd

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
