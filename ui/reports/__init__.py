"""The /reports page: pick a report, a date range and filters; every choice lives in the url, so each report
has its own address (`/reports?report=waste-log&range=custom&from=2026-03-01&to=2026-03-31&location=2`).

One module per report renders it (`render(view)`): a chart, a table and the CSV/XLSX export of exactly what is
on screen. A url naming a report the viewer may not open, or a bad range, says why in one line.
"""
from __future__ import annotations

import importlib
from datetime import date

import streamlit as st

from lib.access import Actor, visible_locations
from lib.enums import InventoryKind
from lib.inventory.forms import options
from lib.errors import LoupeError
from lib.production.stages import list_stages
from lib.reports import catalog, dates
from lib.reports.common import ReportFilters
from lib.workspace.settings import default_weight_unit
from ui import context
from ui.feedback import plain, show_error
from ui.reports.common import View

MODULES = {name: name.replace("-", "_") for name in catalog.REPORTS}
WITH_STAGE = ("production-summary", "loss-by-person", "stage-performance", "waste-log")
WITH_PRODUCT = ("stock-summary", "stock-movement", "low-stock", "valuation")  # and a kind filter
AS_OF = ("valuation",)  # one "as of" day instead of a range
WITH_PERIOD = ("production-summary", "order-summary")
WIDGETS = ("rep_report", "rep_range", "rep_from", "rep_to", "rep_location", "rep_stage", "rep_period", "rep_product",
           "rep_kind", "rep_as_of")
ANY_KIND = ""
ALL = 0
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)  # what the date pickers accept


def _int(text) -> int:
    return int(text) if str(text or "").isdigit() else ALL


def _day(text) -> date | None:
    try:
        day = date.fromisoformat(str(text))
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def _seed(query: dict, names: list[str]) -> None:
    """A new url (first load or a link): the widgets take its values."""
    if st.session_state.get("rep_url") == query and all(key in st.session_state for key in WIDGETS[:2]):
        return
    report = query.get("report")
    if report and report not in names:
        st.session_state["rep_refused"] = report
    st.session_state["rep_report"] = report if report in names else names[0]
    custom = query.get("range") == "custom" or ("from" in query and "range" not in query)
    preset = query.get("range") if query.get("range") in dates.PRESETS else ("custom" if custom else "last-30-days")
    st.session_state["rep_range"] = preset
    today = dates.today_utc()
    st.session_state["rep_from"] = _day(query.get("from")) or today.replace(day=1)
    st.session_state["rep_to"] = _day(query.get("to")) or today
    st.session_state["rep_location"] = _int(query.get("location"))
    st.session_state["rep_stage"] = _int(query.get("stage"))
    st.session_state["rep_product"] = _int(query.get("product"))
    st.session_state["rep_kind"] = query.get("kind") if query.get("kind") in {k.value for k in InventoryKind} \
        else ANY_KIND
    as_of = _day(query.get("as_of"))
    st.session_state["rep_as_of"] = as_of if as_of is not None and as_of <= today else today
    st.session_state["rep_period"] = query.get("period") if query.get("period") in dates.PERIODS else "month"
    st.session_state["rep_log_page"] = 1
    st.session_state["rep_url"] = query


def _query(report: str, preset: str, start: date, end: date, location: int, stage: int, period: str,
           product: int = ALL, kind: str = ANY_KIND, as_of: date | None = None) -> dict:
    query = {"report": report, "range": preset}
    if preset == "custom":
        query.update({"from": start.isoformat(), "to": end.isoformat()})
    if location:
        query["location"] = str(location)
    if stage and report in WITH_STAGE:
        query["stage"] = str(stage)
    if report in WITH_PERIOD:
        query["period"] = period
    if report in AS_OF and as_of is not None:
        query["as_of"] = as_of.isoformat()
    if report in WITH_PRODUCT:
        if product:
            query["product"] = str(product)
        if kind:
            query["kind"] = kind
    return query


def name_needs_products(name: str | None) -> bool:
    return name in WITH_PRODUCT


def render(actor: Actor) -> None:
    allowed = catalog.reports_for(actor)
    names = [report.name for report in allowed]
    _seed(st.query_params.to_dict(), names)
    st.title("Reports")
    refused = st.session_state.pop("rep_refused", None)
    if refused:
        st.error(plain(f"There is no report {refused!r} you can open here." if refused not in catalog.REPORTS
                       else f"{catalog.REPORTS[refused].title} is for admins and managers."))
    with context.db() as session:
        unit = default_weight_unit(session)
        locations = {location.id: location.name for location in visible_locations(session, actor=actor)}
        stages = {stage.id: stage.name for stage in list_stages(session)}
        products = dict(options(session, actor=actor).products) if name_needs_products(
            st.session_state.get("rep_report")) else {}

    top = st.columns([2, 2, 2], vertical_alignment="bottom")
    name = top[0].selectbox("Report", names, key="rep_report", on_change=lambda: st.session_state.update(
        rep_log_page=1), format_func=lambda key: f"{catalog.REPORTS[key].group}: {catalog.REPORTS[key].title}")
    report = catalog.REPORTS[name]
    preset = top[1].selectbox("Date range", list(dates.PRESETS), key="rep_range", format_func=dates.PRESETS.get,
                              disabled=not report.uses_range)
    if report.name in WITH_PERIOD:
        period_size = top[2].selectbox("Rows per", list(dates.PERIODS), key="rep_period", format_func=dates.PERIODS.get)
    else:
        period_size = st.session_state.get("rep_period", "month")
    today = dates.today_utc()
    as_of = None
    if report.name in AS_OF:
        if not isinstance(st.session_state.get("rep_as_of"), date) or st.session_state["rep_as_of"] > today:
            st.session_state["rep_as_of"] = today
        as_of = top[2].date_input("As of (end of the day, UTC)", key="rep_as_of", format="YYYY-MM-DD",
                                  min_value=EARLIEST, max_value=today)
    for key, default in (("rep_from", today.replace(day=1)), ("rep_to", today)):
        if not isinstance(st.session_state.get(key), date):
            st.session_state[key] = default
    start, end = st.session_state["rep_from"], st.session_state["rep_to"]
    if preset == "custom" and report.uses_range:
        days = st.columns(3)
        start = days[0].date_input("From", key="rep_from", format="YYYY-MM-DD", min_value=EARLIEST,
                                   max_value=LATEST)
        end = days[1].date_input("To (included)", key="rep_to", format="YYYY-MM-DD", min_value=EARLIEST,
                                   max_value=LATEST)
    filters_row = st.columns(3)
    location = ALL
    if report.group != "Orders" and len(locations) > 1:
        choices = [ALL, *locations]
        if st.session_state.get("rep_location") not in choices:
            st.session_state["rep_location"] = ALL
        location = filters_row[0].selectbox("Location", choices, key="rep_location",
                                            format_func=lambda key: "All your locations" if key == ALL
                                            else locations[key])
    stage = ALL
    if report.name in WITH_STAGE:
        choices = [ALL, *stages]
        if st.session_state.get("rep_stage") not in choices:
            st.session_state["rep_stage"] = ALL
        stage = filters_row[1].selectbox("Stage", choices, key="rep_stage",
                                         format_func=lambda key: "Every stage" if key == ALL else stages[key])
    product, kind = ALL, ANY_KIND
    if report.name in WITH_PRODUCT:
        choices = [ALL, *products]
        if st.session_state.get("rep_product") not in choices:
            st.session_state["rep_product"] = ALL
        product = filters_row[1].selectbox("Product", choices, key="rep_product",
                                           format_func=lambda key: "Every product" if key == ALL else products[key])
        kinds = [ANY_KIND, *(k.value for k in InventoryKind)]
        if st.session_state.get("rep_kind") not in kinds:
            st.session_state["rep_kind"] = ANY_KIND
        kind = filters_row[2].selectbox("Kind", kinds, key="rep_kind",
                                        format_func=lambda key: "Every kind" if key == ANY_KIND
                                        else InventoryKind(key).label)
    query = _query(name, preset, start, end, location, stage, period_size, product, kind, as_of)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    st.session_state["rep_url"] = query

    st.caption(report.description)
    try:
        if as_of is not None:
            period = dates.checked(as_of, as_of)
        else:
            period = dates.resolve(preset, start, end) if report.uses_range else dates.preset_range("last-30-days")
    except LoupeError as error:
        show_error(error)
        return
    if report.uses_range:
        st.caption(f"From {period.start.isoformat()} to {period.end.isoformat()} (UTC days, both included).")
    view = View(actor=actor, report=report, period=period, size=period_size, unit=unit,
                filters=ReportFilters(location_id=location or None, stage_id=stage or None,
                                      product_id=product or None, kind=InventoryKind(kind) if kind else None))
    module = importlib.import_module(f"ui.reports.{MODULES[name]}")
    try:
        module.render(view)
    except LoupeError as error:
        show_error(error)
