"""The "AI usage" tab of /settings (admins): endpoint status and usage history (reference 3.8.1)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import Actor
from lib.llm import client as llm
from lib.ai import summaries as ai_summary
from lib.workspace.settings import get_workspace
from ui import context

PERIODS = {7: "Last 7 days", 30: "Last 30 days", 90: "Last 90 days", 365: "Last 12 months"}


def render(actor: Actor) -> None:
    """Endpoint status, totals and the usage table for the chosen period."""
    settings = context.settings()
    with context.db() as session:
        workspace = get_workspace(session)
        enabled, lines_enabled = workspace.ai_summaries_enabled, workspace.ai_order_lines_enabled
    st.markdown(f"AI summaries are **{'on' if enabled else 'off'}** for this workspace "
                "(sidebar → Workspace settings → AI summaries); AI order lines are "
                f"**{'on' if lines_enabled else 'off'}** (Settings → Orders).")
    message = llm.not_configured_message(settings)
    if message:
        st.warning(message)
    else:
        st.text(f"Endpoint: {llm.endpoint_label(settings)} · model {settings.llm_model} · "
                f"timeout {settings.llm_timeout_seconds:g} s")
    days = st.selectbox("Period", list(PERIODS), index=1, format_func=PERIODS.get, key="ai_usage_days")
    with context.db() as session:
        report = ai_summary.usage_history(session, actor=actor, days=days)
    requests_column, tokens_column, credits_column = st.columns(3)
    requests_column.metric("Requests", f"{report.requests:,}")
    tokens_column.metric("Tokens", f"{report.tokens:,}")
    credits_column.metric("Credits", f"{report.credits:,}")
    st.caption("Each request costs max(1, ⌈tokens / 1,000⌉) credits: 1 credit per 1,000 tokens, rounded up, "
               "at least 1. Requests that get no answer are not recorded or charged; a summary is recorded when "
               "it is stored, order lines whenever the model answered.")
    if not report.rows:
        st.info("No AI usage in this period.")
        return
    table = pd.DataFrame(report.rows).rename(columns={
        "at": "Date", "user": "User", "feature": "Feature", "action": "Action", "model": "Model",
        "tokens": "Tokens", "credits": "Credits"})
    st.dataframe(table, hide_index=True, width="stretch", key="ai_usage_table",
                 column_config={"Date": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
