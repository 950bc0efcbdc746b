"""The "AI usage" tab of /settings (admins): endpoint status, credits (monthly allowance, top-ups, balance),
usage by month, user and feature with CSV export, and the usage history (reference 3.8.1)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import Actor
from lib.llm import client as llm
from lib.ai import summaries as ai_summary
from lib.ai import usage as ai_usage
from lib.llm import metering
from lib.workspace.settings import get_workspace, update_settings
from ui import context
from ui.feedback import run_action

PERIODS = {7: "Last 7 days", 30: "Last 30 days", 90: "Last 90 days", 365: "Last 12 months"}


def render(actor: Actor) -> None:
    """Endpoint status, totals and the usage table for the chosen period."""
    settings = context.settings()
    with context.db() as session:
        workspace = get_workspace(session)
        enabled, lines_enabled = workspace.ai_summaries_enabled, workspace.ai_order_lines_enabled
        st.session_state["ai_import_enabled_toggle"] = workspace.ai_import_enabled
    st.markdown(f"AI summaries are **{'on' if enabled else 'off'}** for this workspace "
                "(sidebar → Workspace settings → AI summaries); AI order lines are "
                f"**{'on' if lines_enabled else 'off'}** (Settings → Orders).")
    st.toggle("Import using AI", key="ai_import_enabled_toggle",
              help="Offers admins \"Import using AI\" on Inventory → Import: the model sees a sheet's headers "
                   "and at most 20 sample rows. When off, there is no button and no request.",
              on_change=_save_import_switch)
    message = llm.not_configured_message(settings)
    if message:
        st.warning(message)
    else:
        st.text(f"Endpoint: {llm.endpoint_label(settings)} · model {settings.llm_model} · "
                f"timeout {settings.llm_timeout_seconds:g} s")
    _credits(actor)
    _monthly(actor)
    st.markdown("**Usage history**")
    days = st.selectbox("Period", list(PERIODS), index=1, format_func=PERIODS.get, key="ai_usage_days")
    with context.db() as session:
        report = ai_summary.usage_history(session, actor=actor, days=days)
    requests_column, tokens_column, credits_column = st.columns(3)
    requests_column.metric("Requests", f"{report.requests:,}")
    tokens_column.metric("Tokens", f"{report.tokens:,}")
    credits_column.metric("Credits", f"{report.credits:,}")
    st.caption("Each request costs max(1, ⌈tokens / 1,000⌉) credits: 1 credit per 1,000 tokens, rounded up, "
               "at least 1. Requests that get no answer are not recorded or charged; every request the model "
               "answered is, usable or not.")
    if not report.rows:
        st.info("No AI usage in this period.")
        return
    table = pd.DataFrame(report.rows).rename(columns={
        "at": "Date", "user": "User", "feature": "Feature", "action": "Action", "model": "Model",
        "tokens": "Tokens", "credits": "Credits"})
    st.dataframe(table, hide_index=True, width="stretch", key="ai_usage_table",
                 column_config={"Date": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})


def _save_import_switch() -> None:
    """on_change: save the switch the admin touched (the widget shows the database's value on every rerun)."""
    run_action("Workspace settings saved.", update_settings, rerun=False,
               ai_import_enabled=st.session_state["ai_import_enabled_toggle"])


def _credits(actor: Actor) -> None:
    """Balance, the monthly allowance form and the top-up form (admins)."""
    with context.db() as session:
        view = ai_usage.credits_view(session, actor=actor)
    balance = view.balance
    st.markdown("**Credits**")
    left, month, topups = st.columns(3)
    left.metric("Balance", balance.label())
    month.metric("Included this month", "Unlimited" if balance.unlimited else
                 f"{balance.included_left:,} of {balance.monthly:,} left")
    topups.metric("Top-ups left", f"{balance.topups_left:,}")
    if balance.exhausted:
        st.error(metering.exhausted_message(balance))
    elif balance.low:
        st.warning(f"Low AI credit balance: {balance.credits:,} left (10 % or less of this month's credits).")
    with st.form("ai_monthly_form", border=False):
        monthly = st.text_input("Monthly included credits (0 = unlimited)", value=str(balance.monthly),
                                key="ai_monthly_credits",
                                help="Credits included each calendar month (UTC); they renew on the 1st. "
                                     "Top-ups are used after them and persist until used.")
        if st.form_submit_button("Save monthly credits", key="ai_monthly_save"):
            run_action("Monthly AI credits saved.", metering.set_monthly_credits, value=monthly)
    with st.form("ai_topup_form", border=False, clear_on_submit=True):
        amount_column, note_column = st.columns([1, 3])
        amount = amount_column.text_input("Add credits", key="ai_topup_credits")
        note = note_column.text_input("Note (e.g. invoice number)", key="ai_topup_note", max_chars=200)
        if st.form_submit_button("Add top-up", key="ai_topup_add"):
            run_action("Top-up recorded.", metering.add_topup, credits=amount, note=note)
    if view.topups:
        st.dataframe(pd.DataFrame(view.topups).rename(columns={"at": "Date", "user": "Added by",
                                                               "credits": "Credits", "note": "Note"}),
                     hide_index=True, width="stretch", key="ai_topups_table",
                     column_config={"Date": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})


def _usage_file(actor: Actor):
    """A callable for st.download_button: the CSV is built only when clicked."""
    def build() -> bytes:
        with context.db() as session:
            exported = ai_usage.export_usage(session, actor=actor, fmt="csv")
        try:
            return exported.path.read_bytes()
        finally:
            exported.path.unlink(missing_ok=True)
    return build


def _monthly(actor: Actor) -> None:
    """Usage by month, user and feature over the last 12 months, with a CSV export."""
    st.markdown("**Usage by month, user and feature** (last 12 months)")
    with context.db() as session:
        rows = ai_usage.usage_by_month(session, actor=actor)
    if not rows:
        st.info("No AI usage in the last 12 months.")
        return
    st.dataframe(pd.DataFrame(rows).rename(columns={
        "month": "Month", "user": "User", "feature": "Feature", "requests": "Requests", "tokens": "Tokens",
        "credits": "Credits"}), hide_index=True, width="stretch", key="ai_usage_monthly")
    st.download_button("Export CSV", _usage_file(actor), file_name="ai-usage.csv", mime="text/csv",
                       on_click="ignore", key="ai_usage_csv", icon=":material/download:")
