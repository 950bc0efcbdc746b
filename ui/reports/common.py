"""Shared pieces of the report views: weights in the workspace unit, export buttons, a bar chart, empty states.

Every report view is `render(view: View)`: one lib call in a read transaction, a chart, a table and the two
export buttons. The export is `lib.reports.catalog.export_report` (machine columns, grams), built only when
clicked, for exactly the range and filters on screen: the same file `python -m lib.cli report` writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import altair as alt
import pandas as pd
import streamlit as st

from lib.access import Actor
from lib.reports import catalog
from lib.reports.common import ReportFilters
from lib.reports.dates import DateRange
from lib.spreadsheet import XLSX_MIME
from lib.units import from_grams
from ui import context


@dataclass(frozen=True)
class View:
    actor: Actor
    report: catalog.Report
    period: DateRange
    filters: ReportFilters
    size: str  # day, week or month (summaries per period)
    unit: str  # the workspace's default weight unit


def weight(view: View, grams: Decimal | None) -> float | None:
    """Grams as a number in the workspace unit, for tables and charts (None stays empty)."""
    return None if grams is None else float(from_grams(grams, view.unit))


def pct(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _export(view: View, fmt: str):
    def build() -> bytes:
        with context.db() as session:
            made = catalog.export_report(session, actor=view.actor, name=view.report.name, period=view.period,
                                         filters=view.filters, fmt=fmt, size=view.size)
        try:
            return made.path.read_bytes()
        finally:
            made.path.unlink(missing_ok=True)
    return build


def export_buttons(view: View, rows: int) -> None:
    """CSV and XLSX downloads of the report as on screen (range and filters), in machine columns (grams)."""
    name = f"{view.report.name}_{view.period.start.isoformat()}_{view.period.end.isoformat()}"
    columns = st.columns([1, 1, 4], vertical_alignment="center")
    columns[0].download_button("Export CSV", _export(view, "csv"), file_name=f"{name}.csv", mime="text/csv",
                               on_click="ignore", key="rep_csv", icon=":material/download:")
    columns[1].download_button("Export XLSX", _export(view, "xlsx"), file_name=f"{name}.xlsx", mime=XLSX_MIME,
                               on_click="ignore", key="rep_xlsx", icon=":material/download:")
    columns[2].caption(f"{rows:,} row{'s' if rows != 1 else ''}. Exports give weights in grams (columns ending _g) "
                       "and dates as YYYY-MM-DD, like `python -m lib.cli report`.")


def table(frame: pd.DataFrame, key: str, **column_config) -> None:
    st.dataframe(dashed(frame), hide_index=True, width="stretch", key=key, column_config=column_config or None)


def dashed(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with "—" in the empty cells of its text columns, as everywhere in the app (st.dataframe draws a
    missing value as a grey "None"). Other columns keep their missing values: numbers still sort as numbers,
    and a dash among dates would not be a date."""
    text = [column for column in frame.columns if isinstance(frame[column].dtype, pd.StringDtype)
            or frame[column].dtype == object
            and frame[column].map(lambda value: isinstance(value, str) or pd.isna(value)).all()]
    return frame.assign(**{column: frame[column].where(frame[column].notna(), "—") for column in text})


def number(label: str, places: int = 2):
    return st.column_config.NumberColumn(label, format=f"%.{places}f")


def bars(frame: pd.DataFrame, category: str, value_columns: list[str], title: str, *, colours: list[str] | None = None,
         horizontal: bool = True) -> alt.Chart:
    """Grouped/stacked bars of `value_columns` per `category` (long form made here); titles are plain labels."""
    long = frame.melt(id_vars=[category], value_vars=value_columns, var_name="series", value_name="value")
    colour = alt.Color("series:N", title=None, legend=alt.Legend(orient="top"),
                       scale=alt.Scale(domain=value_columns, range=colours) if colours else alt.Undefined)
    tooltip = [alt.Tooltip(f"{category}:N"), alt.Tooltip("series:N", title="Figure"),
               alt.Tooltip("value:Q", title=title, format=",.4~f")]
    order = list(dict.fromkeys(frame[category]))  # the rows' own order
    if horizontal:
        encoding = dict(y=alt.Y(f"{category}:N", title=None, sort=order, axis=alt.Axis(labelLimit=240)),
                        x=alt.X("value:Q", title=title))
        return (alt.Chart(long).mark_bar().encode(color=colour, tooltip=tooltip, **encoding)
                .properties(height=alt.Step(26)))
    encoding = dict(x=alt.X(f"{category}:N", title=None, sort=order), y=alt.Y("value:Q", title=title))
    return alt.Chart(long).mark_bar().encode(color=colour, tooltip=tooltip, **encoding).properties(height=260)


def chart(figure, key: str) -> None:
    with st.container(border=True):
        st.altair_chart(figure, width="stretch", key=key)


def nothing(message: str) -> None:
    st.info(message)
