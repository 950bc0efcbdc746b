"""One production job (/production?job=<id>): facts, progress, metal balance, efficiency, tables, timeline and
the action chooser (the forms are in ui.job_actions)."""
from __future__ import annotations

import streamlit as st

from lib.access import Right
from lib.errors import LoupeError
from lib.models import JobStatus
from lib.production import jobs, links, overview
from ui import charts, context, job_cost, loss_norm, print_documents, print_labels
from ui import production_view as view
from ui.feedback import plain, run_action, show_error
from ui.job_actions import (
    cancel_form,
    complete_form,
    edit_form,
    issue_form,
    link_form,
    receive_form,
    return_form,
)
from ui.job_forms import close_job_page


def job_page(actor, raw_id: str) -> None:
    try:
        with context.db() as session:
            detail = overview.job_detail(session, actor=actor, job_id=raw_id)
    except LoupeError as error:
        st.title("Production job not found")
        show_error(error)
        st.button("All jobs", key="pj_back", on_click=close_job_page, icon=":material/arrow_back:")
        return
    job = detail.job
    st.button("All jobs", key="pj_back", on_click=close_job_page, icon=":material/arrow_back:")
    st.title(plain(job.number))
    print_documents.job_documents(job.id, key="pj_docs")
    badges = st.columns([1, 1, 6])
    badges[0].badge(detail.status.label, color=_badge_colour(detail.status))
    if detail.overdue:
        badges[1].badge("Overdue", color="red", icon=":material/schedule:")
    left, right = st.columns([2, 3])
    with left:
        st.dataframe(view.facts_frame(detail), hide_index=True, key="pj_job_facts", width="stretch")
        link_section(detail)
    with right:
        progress_panel(detail)
    cells = st.columns(4)
    for cell, (label, value) in zip(cells, view.chips(detail.progress).items()):
        cell.metric(label, value, help=view.CHIP_HELP[label], border=True)
    balance_panel(detail)
    loss_norm.render(actor, job.id, detail.unit)
    job_cost.render(actor, job.id, job.closed_as is None)  # admins and managers only
    st.subheader("Totals", help=view.BASE_HELP)
    st.dataframe(view.totals_frame(detail), hide_index=True, key="pj_job_totals")
    st.subheader("Issued stock")
    if detail.issues:
        st.dataframe(view.issues_frame(detail), hide_index=True, key="pj_job_issues", width="stretch",
                     column_config={"Issued": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    else:
        st.caption("Nothing issued yet.")
    st.subheader("Received, rejected, scrapped and waste")
    if detail.outputs:
        st.dataframe(view.outputs_frame(detail), hide_index=True, key="pj_job_outputs", width="stretch",
                     column_config={"Received on": st.column_config.DateColumn(format="YYYY-MM-DD")})
        print_labels.label_download(item_ids=print_labels.output_item_ids(detail.outputs),
                                    key=f"pj_labels_{detail.job.id}",
                                    title="Print labels of the received items (-RCV, -REJ, -SCRAP)")
    else:
        st.caption("Nothing received yet.")
    st.subheader("Timeline")
    st.dataframe(view.timeline_frame(detail), hide_index=True, key="pj_job_timeline", width="stretch",
                 column_config={"When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    job_actions(actor, detail)


def link_section(detail: overview.JobDetail) -> None:
    """The sales order line the job works on: a link to the order for those who see orders."""
    link = detail.link
    if link is None:
        return
    if link.visible:
        st.page_link("pages/orders.py", label=plain(f"Works on {link.text}"), icon=":material/receipt_long:",
                     query_params={"order": str(link.order_id)}, help=f"Line status: {link.line_status.label}")
    else:
        st.caption(plain(f"Works on {link.text}."))


def _badge_colour(status: JobStatus) -> str:
    return {JobStatus.UNSCHEDULED: "gray", JobStatus.SCHEDULED: "blue", JobStatus.ONGOING: "orange",
            JobStatus.COMPLETED: "green", JobStatus.CANCELLED: "gray"}[status]


def progress_panel(detail: overview.JobDetail) -> None:
    progress = detail.progress
    with st.container(border=True, key="pj_progress"):
        st.markdown("**Progress**", help=view.BAR_HELP)
        shares = progress.bar.shares()
        if all(value is None for value in shares.values()):
            st.caption("Nothing issued or recorded yet: no progress to show.")
        else:
            st.altair_chart(charts.progress_bar(shares, progress.over_recovery_pct), key="pj_bar", width="stretch")
            st.text(" · ".join(f"{label} {view.pct(value)}" for label, value in shares.items()))
            if progress.over_recovery_pct:
                st.warning(f"Over-recovery: {view.pct(progress.over_recovery_pct)} above the progress base "
                           f"({detail.text(progress.over_recovery)} more recorded than the base).")
            if progress.bar.practical:
                st.caption("No base weight: the bar splits what was recorded, and efficiency is not computed.")


def balance_panel(detail: overview.JobDetail) -> None:
    """The metal balance vs issued: a table and the one line that adds up."""
    balance = detail.balance
    with st.container(border=True, key="pj_balance"):
        st.markdown("**Metal balance**", help=view.BALANCE_HELP)
        st.dataframe(view.balance_frame(balance, detail.unit), hide_index=True, key="pj_job_balance")
        st.text(view.balance_sentence(balance, detail.unit))
        if balance.outstanding < 0:
            st.warning(plain(f"{detail.text(-balance.outstanding)} more was recovered than issued (net of returns): "
                             "completing asks you to confirm it as a gain."))


ACTIONS = {"receive": "Receive", "issue": "Issue more stock", "return": "Return unused stock", "edit": "Edit",
           "link": "Order line", "complete": "Complete", "cancel": "Cancel job", "delete": "Delete"}


def _available_actions(actor, detail: overview.JobDetail) -> list[str]:
    if not actor.can(Right.EDIT_PRODUCTION):
        return []
    issued = detail.figures.issues > 0
    found = []
    if detail.status.is_open:
        found += ["receive"] if issued else []
        found += ["issue"]
        found += ["return"] if issued else []
        found += ["edit"]
        found += ["link"] if links.can_link(actor) else []
        found += ["complete"] if issued else []
        found += ["cancel"] if issued and not detail.figures.receipts else []
    elif detail.status is JobStatus.COMPLETED and links.can_link(actor):
        found.append("link")
    ever_issued = bool(detail.issues)
    if actor.can(Right.DELETE_PRODUCTION) and not ever_issued:
        found.append("delete")
    return found


def job_actions(actor, detail: overview.JobDetail) -> None:
    if detail.received_items and detail.next_stage_id and actor.can(Right.EDIT_PRODUCTION):
        st.button(plain(f"Issue the received output into {detail.next_stage_name}"), key="pj_next_stage",
                  icon=":material/arrow_forward:", on_click=start_next_stage,
                  args=(detail, links.can_link(actor)),
                  help="Opens a new job at the next stage with this job's available -RCV items chosen.")
    available = _available_actions(actor, detail)
    if not actor.can(Right.DELETE_PRODUCTION) and not detail.issues:
        st.caption(plain(f"Only admins and managers delete production jobs; your role is {actor.role.label}."))
    if not available:
        return
    action = st.segmented_control("Action", available, format_func=ACTIONS.get, key="pj_action")
    if action == "receive":
        receive_form(actor, detail)
    elif action == "issue":
        issue_form(actor, detail)
    elif action == "return":
        return_form(actor, detail)
    elif action == "edit":
        edit_form(actor, detail)
    elif action == "link":
        link_form(actor, detail)
    elif action == "complete":
        complete_form(actor, detail)
    elif action == "cancel":
        cancel_form(actor, detail)
    elif action == "delete":
        st.warning("Deleting removes this planned job; its ID is not reused.")
        if st.button("Delete job", key="pj_delete", type="primary"):
            if run_action(lambda number: f"{number} deleted.", jobs.delete_job, rerun=False,
                          job_id=detail.job.id):
                close_job_page()
                st.rerun()


def start_next_stage(detail: overview.JobDetail, can_link: bool) -> None:
    """Open the New job form at the next stage with the received output chosen: its items and its products
    (the output's, not the first issued product, so a job linked to the same line is accepted)."""
    st.session_state["pj_prefill"] = {
        "pj_new_stage": detail.next_stage_id, "pj_new_location": detail.job.location_id,
        "pj_new_products": detail.next_stage_products,
        "pj_new_items": [item.item_id for item in detail.received_items], "pj_new_mode": "full",
        "pj_new_split": "match"}
    if detail.job.order_line_id is not None:  # the next stage works on the same order line
        if can_link:
            st.session_state["pj_prefill"].update({"pj_new_order": detail.job.order_id,
                                                   "pj_new_line": detail.job.order_line_id})
        else:  # never dropped silently: the form says why and who can link it
            st.session_state["pj_prefill"]["pj_new_link_note"] = (
                f"{detail.job.number} works on a sales order line; only admins and managers link jobs to order "
                "lines, so this new job will not be linked: ask one of them to link it (Order line action).")
    close_job_page()
