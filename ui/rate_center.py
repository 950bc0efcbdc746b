"""The Component Rate Center (/rates): rate profiles with their current price, a price history chart,
add and edit a profile, record a new price, import a price sheet (with its problems previewed), export.

Admins manage; managers read (and export); members never get here (the router shows the page's refusal).
User text (names, notes, source details) is shown only in dataframes, st.text or `plain()`-escaped alerts.
"""
from __future__ import annotations

from decimal import Decimal

import altair as alt
import pandas as pd
import streamlit as st

from lib.access import Actor, Right
from lib.costing import rates, sheets
from lib.enums import ComponentType, RateBasis, RateSource
from lib.errors import LoupeError
from lib.models import utcnow
from ui import context
from ui.feedback import counted, plain, run_action, show_error

VIEWS = {"profiles": "Profiles", "add": "Add a profile", "edit": "Edit a profile", "price": "Record a price",
         "import": "Import a price sheet"}


def render(actor: Actor) -> None:
    st.title("Rate Center")
    st.caption("Reusable rates for cost components: metals per gram, stones per carat, labour per piece or hour, "
               "overhead as a percent. A new price never replaces an old one: items are valued at the price in force "
               "on the day asked.")
    with context.db() as session:
        profiles = rates.list_profiles(session, actor=actor)
    views = ["profiles"] + (["add", "edit", "price", "import"] if actor.can(Right.MANAGE_RATES) else [])
    view = st.segmented_control("View", views, default="profiles", required=True, format_func=VIEWS.get,
                                key="rates_view", label_visibility="collapsed")
    if view == "add":
        add_form()
    elif view == "edit":
        edit_form(profiles)
    elif view == "price":
        price_form(profiles)
    elif view == "import":
        import_view(actor)
    else:
        profiles_view(actor, profiles)


def _price_text(row: rates.ProfileRow) -> str:
    if row.price is None:
        return "—"
    if row.basis is RateBasis.PERCENT:
        return f"{row.price.normalize():f} %"
    return f"{row.currency} {rates.format_amount(row.price)}"


def _purity_text(purity) -> str:
    """0.750 (three decimals, as fineness is written), 0.9167 when it has a fourth."""
    if purity is None:
        return "—"
    return f"{purity:.3f}" if purity == purity.quantize(Decimal("0.001")) else f"{purity:.4f}"


def profiles_frame(profiles: list[rates.ProfileRow]) -> pd.DataFrame:
    return pd.DataFrame([{
        "Profile": row.name, "Type": row.component_type.label, "Basis": row.basis.label, "Currency": row.currency,
        "Price now": _price_text(row), "In force since": row.effective_at,
        "Purity": _purity_text(row.purity), "Source": row.source.label,
        "Status": "Active" if row.active else "Inactive", "Source details": row.source_details,
        "Internal notes": row.notes,
    } for row in profiles], columns=["Profile", "Type", "Basis", "Currency", "Price now", "In force since", "Purity",
                                     "Source", "Status", "Source details", "Internal notes"])


def history_chart(history: list[rates.HistoryRow], name: str, currency: str) -> alt.Chart:
    """The price in force over time: a step line through every version, up to now."""
    points = [(row.effective_at, float(row.price), rates.format_amount(row.price)) for row in history]
    if points:
        points.append((utcnow(), points[-1][1], points[-1][2]))
    frame = pd.DataFrame([{"when": pd.Timestamp(at).tz_convert(None), "price": price, "text": text}
                          for at, price, text in points], columns=["when", "price", "text"])
    return (alt.Chart(frame).mark_line(interpolate="step-after", point=True)
            .encode(x=alt.X("when:T", title="Effective from (UTC)"),
                    y=alt.Y("price:Q", title=f"Price ({currency})", scale=alt.Scale(zero=False)),
                    tooltip=[alt.Tooltip("when:T", title="From", format="%Y-%m-%d %H:%M"),
                             alt.Tooltip("text:N", title=f"Price ({currency})")])
            .properties(title=name, height=260))


def profiles_view(actor: Actor, profiles: list[rates.ProfileRow]) -> None:
    if not profiles:
        st.info("No rate profiles yet." + (" Add the first one under \u201cAdd a profile\u201d."
                                           if actor.can(Right.MANAGE_RATES) else ""))
        return
    columns = st.columns([1, 1, 4])
    stamp = utcnow().strftime("%Y%m%d")
    columns[0].download_button("Export CSV", export_file(actor, "csv"), key="rates_export_csv",
                               file_name=f"rates-{stamp}.csv", mime="text/csv", on_click="ignore",
                               icon=":material/download:")
    columns[1].download_button("Export XLSX", export_file(actor, "xlsx"), key="rates_export_xlsx",
                               file_name=f"rates-{stamp}.xlsx", on_click="ignore", icon=":material/download:",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    st.dataframe(profiles_frame(profiles), hide_index=True, width="stretch", key="rates_table",
                 column_config={"In force since": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    by_id = {row.id: row for row in profiles}
    with st.container(border=True, key="rates_history"):
        chosen = st.selectbox("Price history of", list(by_id), format_func=lambda i: by_id[i].name,
                              key="rates_history_profile")
        with context.db() as session:
            history = rates.price_history(session, actor=actor, profile_id=chosen)
        row = by_id[chosen]
        st.altair_chart(history_chart(history, row.name, "%" if row.basis is RateBasis.PERCENT else row.currency),
                        width="stretch", key="rates_history_chart")
        st.dataframe(pd.DataFrame([{"Effective from": h.effective_at, "Price": rates.format_amount(h.price),
                                    "Recorded by": h.recorded_by, "Recorded at": h.recorded_at}
                                   for h in reversed(history)]), hide_index=True, width="stretch",
                     key="rates_history_table",
                     column_config={"Effective from": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                                    "Recorded at": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})


def export_file(actor: Actor, fmt: str):
    """A callable for st.download_button: the rates in force, built only when clicked."""
    def build() -> bytes:
        with context.db() as session:
            exported = sheets.export_rates(session, actor=actor, fmt=fmt)
        try:
            return exported.path.read_bytes()
        finally:
            exported.path.unlink(missing_ok=True)
    return build


def _moment_inputs(prefix: str):
    """A date and a time (UTC) for "effective from"; empty time means midnight."""
    now = utcnow()
    columns = st.columns(2)
    day = columns[0].date_input("Effective from (date, UTC)", value=now.date(), key=f"{prefix}_day")
    at = columns[1].time_input("Time (UTC)", value=now.time().replace(second=0, microsecond=0), key=f"{prefix}_time")
    return f"{day.isoformat()}T{at.isoformat()}" if day and at else None


def add_form() -> None:
    with st.form("rates_add_form"):
        columns = st.columns(3)
        name = columns[0].text_input("Name", key="rates_add_name", max_chars=rates.MAX_NAME,
                                     placeholder="Gold 18K (750)")
        kind = columns[1].selectbox("Component type", list(ComponentType), format_func=lambda k: k.label,
                                    key="rates_add_type")
        basis = columns[2].selectbox("Rate basis", list(RateBasis), format_func=lambda b: b.label,
                                     key="rates_add_basis")
        columns = st.columns(3)
        currency = columns[0].text_input("Currency (ISO 4217)", value="USD", key="rates_add_currency", max_chars=3)
        price = columns[1].text_input("Price (per basis unit, or the percent)", key="rates_add_price")
        purity = columns[2].text_input("Purity (metals: 0.750 for 18K)", key="rates_add_purity")
        source = st.selectbox("Rate source", list(RateSource), format_func=lambda s: s.label, key="rates_add_source")
        moment = _moment_inputs("rates_add")
        details = st.text_area("Source details", key="rates_add_details", max_chars=rates.MAX_DETAILS)
        notes = st.text_area("Internal notes", key="rates_add_notes", max_chars=rates.MAX_NOTES)
        if st.form_submit_button("Add profile", key="rates_add_save", type="primary"):
            run_action(lambda p: f"Rate profile {p.name} added.", rates.add_profile, data=rates.ProfileInput(
                name=name, component_type=kind, basis=basis, currency=currency, source=source, purity=purity,
                source_details=details, notes=notes), price=price, effective_at=moment)


def _pick(profiles: list[rates.ProfileRow], key: str):
    by_id = {row.id: row for row in profiles}
    if not by_id:
        st.info("No rate profiles yet.")
        return None
    chosen = st.selectbox("Profile", list(by_id), key=key,
                          format_func=lambda i: f"{by_id[i].name} ({'active' if by_id[i].active else 'inactive'})")
    return by_id[chosen]


def edit_form(profiles: list[rates.ProfileRow]) -> None:
    row = _pick(profiles, "rates_edit_profile")
    if row is None:
        return
    st.caption(f"{row.component_type.label}, {row.basis.label}, {row.currency}: the type, basis and currency of a "
               "profile are fixed (its prices are in them); add a new profile for another.")
    with st.form(f"rates_edit_form_{row.id}"):
        name = st.text_input("Name", value=row.name, key=f"rates_edit_name_{row.id}", max_chars=rates.MAX_NAME)
        columns = st.columns(3)
        source = columns[0].selectbox("Rate source", list(RateSource), index=list(RateSource).index(row.source),
                                      format_func=lambda s: s.label, key=f"rates_edit_source_{row.id}")
        purity = columns[1].text_input("Purity", value="" if row.purity is None else str(row.purity),
                                       key=f"rates_edit_purity_{row.id}",
                                       disabled=row.component_type is not ComponentType.METAL)
        active = columns[2].toggle("Active", value=row.active, key=f"rates_edit_active_{row.id}")
        details = st.text_area("Source details", value=row.source_details, key=f"rates_edit_details_{row.id}",
                               max_chars=rates.MAX_DETAILS)
        notes = st.text_area("Internal notes", value=row.notes, key=f"rates_edit_notes_{row.id}",
                             max_chars=rates.MAX_NOTES)
        if st.form_submit_button("Save changes", key=f"rates_edit_save_{row.id}", type="primary"):
            run_action(lambda p: f"Rate profile {p.name} saved.", rates.update_profile, profile_id=row.id,
                       data=rates.ProfileInput(name=name, source=source, purity=purity, source_details=details,
                                               notes=notes, active=active))


def price_form(profiles: list[rates.ProfileRow]) -> None:
    row = _pick(profiles, "rates_price_profile")
    if row is None:
        return
    st.text(f"Price now: {_price_text(row)}" + (f" since {row.effective_at:%Y-%m-%d %H:%M} UTC"
                                                 if row.effective_at else ""))
    with st.form(f"rates_price_form_{row.id}"):
        unit = "percent" if row.basis is RateBasis.PERCENT else f"{row.currency} {row.basis.label}"
        price = st.text_input(f"New price ({unit})", key=f"rates_price_value_{row.id}")
        moment = _moment_inputs(f"rates_price_{row.id}")
        if st.form_submit_button("Record price", key=f"rates_price_save_{row.id}", type="primary"):
            run_action(f"New price recorded for {row.name}.", rates.record_price, profile_id=row.id, price=price,
                       effective_at=moment)


def import_view(actor: Actor) -> None:
    st.caption("A CSV or XLSX file with the columns " + ", ".join(sheets.COLUMNS) + ". profile and price are "
               "required; an empty effective_at means now. Every problem is listed and nothing is written unless "
               "there is none. An export from the Profiles view, with new prices and dates, imports back.")
    generation = st.session_state.setdefault("rates_import_gen", 0)
    upload = st.file_uploader("Price sheet", type=["csv", "xlsx", "xls"], key=f"rates_import_file_{generation}",
                              max_upload_size=10)
    if upload is None:
        return
    data = upload.getvalue()
    try:
        with context.db() as session:
            check = sheets.check_price_sheet(session, actor=actor, file_name=upload.name, data=data)
    except LoupeError as error:
        show_error(error)
        return
    if check.problems:
        st.error(plain(f"{counted(len(check.problems), 'problem')}: fix the file and upload it again. "
                       "Nothing will be written."))
        st.dataframe(pd.DataFrame({"Problem": list(check.problems)}), hide_index=True, width="stretch",
                     key="rates_import_problems")
    else:
        st.success(plain(f"{counted(len(check.prices), 'new price')} to record, {check.unchanged:,} unchanged."))
    if check.prices:
        st.dataframe(pd.DataFrame([{"Row": p.row, "Profile": p.profile, "Price": rates.format_amount(p.price),
                                    "Currency": p.currency, "Effective from": p.effective_at} for p in check.prices]),
                     hide_index=True, width="stretch", key="rates_import_preview",
                     column_config={"Effective from": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    if st.button("Confirm import", key="rates_import_confirm", type="primary",
                 disabled=bool(check.problems) or not check.prices):
        result = run_action(lambda r: f"{upload.name}: {r.line()}", sheets.import_price_sheet, rerun=False,
                            file_name=upload.name, data=data)
        if result is not None:
            st.session_state["rates_import_gen"] = generation + 1
            st.rerun()
