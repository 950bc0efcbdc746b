"""Production (/production): summary cards, the jobs-by-stage chart, the job list, a new job, and one job
(/production?job=<id>) with its progress, metal balance, efficiency, timeline and actions (receive, issue,
return, edit, complete, cancel, delete, start the next stage).

Thin page: the view chooser and one call per view; the forms live in ui.job_forms, ui.job_list,
ui.job_page and ui.job_actions (every widget keeps its stable key).
"""
from __future__ import annotations

import streamlit as st

from ui import context
from ui.job_forms import new_job_form
from ui.job_list import job_list, summary_section
from ui.job_page import job_page

VIEWS = ("Jobs", "New job")


def main() -> None:
    actor = context.actor()
    raw_job = st.query_params.get("job")
    if raw_job:
        job_page(actor, raw_job)
        return
    st.title("Production")
    if "pj_prefill" in st.session_state:
        st.session_state["pj_view"] = "New job"
    chosen = st.segmented_control("View", VIEWS, key="pj_view", default="Jobs", required=True,
                                  label_visibility="collapsed")
    if chosen == "New job":
        new_job_form(actor)
    else:
        summary_section(actor)
        job_list(actor)


main()
