"""Production overview: summary cards, the jobs-by-stage chart and the job list (pages/production.py)."""
from __future__ import annotations

import hashlib
from datetime import date

import streamlit as st

from lib.production import overview, stages
from ui import charts, context
from ui import production_view as view
from ui.job_forms import open_job


def summary_section(actor) -> None:
    with context.db() as session:
        cards = overview.summary(session, actor=actor)
        counts = overview.stage_status_counts(session, actor=actor)
    first, second, third, fourth = st.columns(4)
    first.metric("Ongoing", cards.ongoing, border=True, icon=":material/autorenew:",
                 help="Jobs with stock issued that are not completed or cancelled.")
    second.metric(f"Completed ({overview.RECENT_DAYS} days)", cards.completed_recently, border=True,
                  icon=":material/task_alt:", help=f"Jobs completed in the last {overview.RECENT_DAYS} days.")
    third.metric("Overdue", cards.overdue, border=True, icon=":material/schedule:",
                 help="Open jobs whose deadline has passed.")
    fourth.metric("Active staff", cards.active_staff, border=True, icon=":material/groups:",
                  help="Different people assigned to ongoing jobs.")
    with st.container(border=True):
        st.subheader("Jobs by stage and status", help="Every job in your locations, by its stage (in the stage "
                     "order of Settings) and status: where work flows or piles up.")
        if counts:
            st.altair_chart(charts.jobs_by_stage(counts), key="pj_stage_chart", width="stretch")
        else:
            st.info("No production jobs in your locations yet.")


def first_page() -> None:
    st.session_state["pj_page"] = 1
    st.session_state["pj_pager_gen"] = st.session_state.get("pj_pager_gen", 0) + 1


def page_picked(key: str) -> None:
    st.session_state["pj_page"] = st.session_state[key]


def open_selected(rows: list) -> None:
    selection = st.session_state["pj_table"].selection.rows
    if selection and selection[0] < len(rows):
        open_job(rows[selection[0]].id)


def open_picked() -> None:
    if st.session_state.get("pj_pick"):
        open_job(st.session_state["pj_pick"])


def job_list(actor) -> None:
    with context.db() as session:
        stage_names = {stage.id: stage.name for stage in stages.list_stages(session)}
    with st.container(border=True):
        tab = st.segmented_control("Jobs", list(overview.TABS), format_func=overview.TABS.get, key="pj_tab",
                                   default="all", required=True, on_change=first_page)
        top = st.columns([3, 3, 2, 1])
        search = top[0].text_input("Search", key="pj_q", placeholder="Job ID, product, staff, source tag or notes",
                                   on_change=first_page)
        stage_ids = top[1].multiselect("Stage", list(stage_names), format_func=stage_names.get, key="pj_f_stage",
                                       on_change=first_page)
        sort = top[2].selectbox("Sort by", list(overview.SORTS), format_func=overview.SORTS.get, key="pj_sort",
                                on_change=first_page)
        size = top[3].selectbox("Per page", overview.PAGE_SIZES, key="pj_size", on_change=first_page)
    filters = overview.JobFilters(tab=tab or "all", stage_ids=tuple(stage_ids), search=search or "")
    page = overview.JobPage(number=int(st.session_state.get("pj_page") or 1), size=size, sort=sort)
    with context.db() as session:
        listed = overview.list_jobs(session, actor=actor, filters=filters, page=page)
    head = st.columns([5, 1])
    head[0].caption(f"{listed.total:,} job{'' if listed.total == 1 else 's'} · weights in {listed.unit} · click a "
                    "row (or pick its ID below) to open the job.")
    view_key = hashlib.sha1(repr(filters).encode()).hexdigest()[:10]
    head[1].download_button("Export CSV", data=_export(actor, filters), file_name=f"production-{date.today()}.csv",
                            mime="text/csv", key=f"pj_export_{view_key}", on_click="ignore",
                            icon=":material/download:", disabled=not listed.total,
                            help="Every job of this tab, stage filter and search (all pages).")
    if not listed.rows:
        st.info("No jobs match this view.")
        return
    st.dataframe(view.list_frame(listed.rows), key="pj_table", hide_index=True, selection_mode="single-row",
                 on_select=lambda: open_selected(listed.rows), width="stretch", column_config={
                     "Progress": st.column_config.ProgressColumn("Progress", format="%.1f%%", min_value=0,
                                                                 max_value=100, help=view.PROGRESS_HELP),
                     "Deadline": st.column_config.DateColumn("Deadline", format="YYYY-MM-DD")})
    bottom = st.columns([3, 5])
    numbers = {row.id: row.number for row in listed.rows}
    bottom[0].selectbox("Open job", list(numbers), index=None, format_func=numbers.get, key="pj_pick",
                        placeholder="Choose a job ID", on_change=open_picked)
    with bottom[1]:
        pager = f"pj_pager_{st.session_state.get('pj_pager_gen', 0)}"
        st.pagination(listed.page_count, default=listed.page.number, key=pager, max_visible_pages=7,
                      on_change=page_picked, args=(pager,))


def _export(actor, filters: overview.JobFilters):
    def build() -> bytes:
        with context.db() as session:
            return overview.export_jobs(session, actor=actor, filters=filters)
    return build
