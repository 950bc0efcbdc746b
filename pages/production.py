"""Production (/production): summary cards, the jobs-by-stage chart, the job list, a new job, and one job
(/production?job=<id>) with its progress, efficiency, timeline and actions (receive, issue, edit, complete,
cancel, delete, start the next stage).

Thin page: widgets (every one with a stable key), lib calls, rendering. User text (names, notes, tags,
messages that quote them) is only shown through st.text, dataframes or `plain()`-escaped alerts.
"""
from __future__ import annotations

import hashlib
from datetime import date

import streamlit as st

from lib.access import Right
from lib.classification import ATTRIBUTES
from lib.errors import LoupeError
from lib.inventory import forms
from lib.models import CatalogKind, InventoryKind, JobStatus
from lib.production import jobs, links, overview, receipts, stages
from lib.production.jobs import NewJob, SourceLine
from lib.production.receipts import OutputRow, Portion, ReceiptDraft
from lib.units import UNIT_SYMBOLS, UNITS_BY_SYMBOL, format_weight
from ui import charts, context, print_documents, print_labels
from ui import production_view as view
from ui.feedback import plain, run_action, show_error

VIEWS = ("Jobs", "New job")
NONE = "—"


def _unit_label(symbol: str) -> str:
    return f"{symbol} ({UNITS_BY_SYMBOL[symbol].name})"


def _choice(where, label: str, names: dict, key: str, default=None, none: bool = True, **kwargs):
    """A selectbox in `where` over `names` (id -> text), "—" for none; it starts at `default` and keeps its
    value across reruns (a value no longer offered falls back to the default)."""
    choices = ([None] if none else []) + list(names)
    if st.session_state.get(key) not in choices:
        st.session_state[key] = default if default in choices else (choices[0] if choices else None)
    return where.selectbox(label, choices, key=key, format_func=lambda v: NONE if v is None else names.get(v, "?"),
                           **kwargs)


def order_line_inputs(actor, prefix: str, current_order: int | None = None,
                      current_line: int | None = None) -> tuple[int | None, int | None]:
    """The optional "Sales order" and "Order line" selects (admins and managers); (order id, line id).

    Managers read the customer as "Customer (SO-0012)": the labels come from `lib.production.links`.
    """
    if not links.can_link(actor):
        return None, None
    with context.db() as session:
        choices = links.order_choices(session, actor=actor)
    by_order = {choice.order_id: choice for choice in choices}
    st.session_state.setdefault(f"{prefix}_order", current_order)
    st.session_state.setdefault(f"{prefix}_line", current_line)
    columns = st.columns(2)
    order_id = _choice(columns[0], "Sales order (optional)", {c.order_id: c.label for c in choices},
                       f"{prefix}_order", current_order,
                       help="Open sales orders (not cancelled or completed). The job's work then shows on the "
                            "order's page and moves the line's status.")
    lines = {line.line_id: line.label for line in by_order[order_id].lines} if order_id in by_order else {}
    line_id = _choice(columns[1], "Order line", lines, f"{prefix}_line", current_line, none=not lines,
                      disabled=not lines, help="An active line of the chosen order; it must ask for one of the "
                                               "job's products.")
    return order_id, (line_id if order_id in by_order else None)


def open_job(job_id: int) -> None:
    st.query_params["job"] = str(job_id)


def close_job_page() -> None:
    st.query_params.pop("job", None)


# --------------------------------------------------------------------------------------------------------------
# Overview and list
# --------------------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------------------
# New job
# --------------------------------------------------------------------------------------------------------------

def _apply_prefill(defaults: jobs.Defaults) -> None:
    """Fill the form once: from "Start the next stage" on a job page, else with the workspace defaults."""
    prefill = st.session_state.pop("pj_prefill", None)
    if prefill:
        for key in [key for key in st.session_state if str(key).startswith("pj_new_")]:
            del st.session_state[key]
        st.session_state.update(prefill)
    st.session_state.setdefault("pj_new_stage", defaults.stage_id)
    st.session_state.setdefault("pj_new_mode", "full")
    st.session_state.setdefault("pj_new_split", "match")
    st.session_state.setdefault("pj_new_issued_on", date.today())
    st.session_state.setdefault("pj_new_deadline", defaults.deadline_for(st.session_state["pj_new_issued_on"]))
    st.session_state.setdefault("pj_new_unit", defaults.unit)


def _source_label(row: dict) -> str:
    return (f"{row['tag_id']} · {row['product']} · {InventoryKind(row['kind']).label} · {row['quantity']} pcs · "
            f"{format_weight(row['weight'], row['weight_unit'])}")


def new_job_form(actor) -> None:
    with context.db() as session:
        defaults = jobs.defaults(session)
        stage_list = stages.list_stages(session, active_only=True)
        opts = forms.options(session, actor=actor, active_only=True)
    if not stage_list:
        st.warning("There is no active production stage yet. An admin adds stages in Settings → Production.")
        return
    _apply_prefill(defaults)
    stage_names = {stage.id: stage.name for stage in stage_list}
    locations = dict(opts.locations)
    if not locations:
        st.warning("You work with no location, so you cannot create jobs. Ask an admin to assign you one.")
        return

    with st.container(border=True, key="pj_new_context"):
        st.markdown("**1 · Context**")
        order_id, order_line_id = order_line_inputs(actor, "pj_new")
        columns = st.columns(3)
        stage_id = _choice(columns[0], "Stage", stage_names, "pj_new_stage", defaults.stage_id, none=False)
        location_id = _choice(columns[1], "Location of the source stock", locations, "pj_new_location",
                              opts.home_location_id, none=False)
        products = dict(opts.products)
        chosen = [p for p in st.session_state.get("pj_new_products", []) if p in products]
        st.session_state["pj_new_products"] = chosen
        product_ids = columns[2].multiselect("Products (narrow the source list)", list(products),
                                             format_func=products.get, key="pj_new_products")
        search = st.text_input("Find source items by tag, product or notes", key="pj_new_search")
        with context.db() as session:
            candidates = jobs.source_candidates(session, actor=actor, location_id=location_id,
                                                product_ids=product_ids, search=search)
        by_id = {row["id"]: row for row in candidates}
        kept = [item for item in st.session_state.get("pj_new_items", []) if item in by_id]
        st.session_state["pj_new_items"] = kept
        item_ids = st.multiselect(f"Source items (available stock at the chosen location; {len(candidates)} shown)",
                                  list(by_id), key="pj_new_items",
                                  format_func=lambda item: _source_label(by_id[item]),
                                  placeholder="Leave empty to plan the job and issue later")
        mode = st.segmented_control("Issue", ["full", "part"], key="pj_new_mode", required=True,
                                    format_func={"full": "Full quantity and weight of each",
                                                 "part": "A given part of each"}.get)
        lines = []
        for item_id in item_ids:
            row = by_id[item_id]
            if mode == "part":
                cells = st.columns([3, 1, 1])
                cells[0].text(_source_label(row))
                pieces = cells[1].text_input("Pieces", key=f"pj_new_q_{item_id}", value=str(row["quantity"]))
                weight = cells[2].text_input(f"Weight ({row['weight_unit']})", key=f"pj_new_w_{item_id}",
                                             value=str(row["weight"].normalize()))
                lines.append((item_id, pieces, weight))
            else:  # what the list shows: if the item changed meanwhile, the issue is refused and says so
                lines.append((item_id, row["quantity"], row["weight"]))

    with st.container(border=True, key="pj_new_specs"):
        st.markdown("**2 · Requested output**")
        columns = st.columns(2)
        shape_id = _choice(columns[0], "Requested shape", dict(opts.catalogs[CatalogKind.SHAPE]), "pj_new_shape")
        size_id = _choice(columns[1], "Requested size", dict(opts.catalogs[CatalogKind.SIZE]), "pj_new_size")
        split = st.segmented_control("Per item", list(jobs.SPLIT_MODES), format_func=jobs.SPLIT_MODES.get,
                                     key="pj_new_split", required=True,
                                     help="Match issued: each item should yield what is issued (the base is the "
                                          "issued weight). Split evenly: the totals below over the items. "
                                          "Per item: enter each item's share.")
        requested = {}
        requested_lines = {}
        if split == "even":
            cells = st.columns(3)
            requested["requested_pieces"] = cells[0].text_input("Total pieces requested", key="pj_new_pieces")
            requested["requested_weight"] = cells[1].text_input("Total weight requested", key="pj_new_weight")
            requested["requested_weight_unit"] = cells[2].selectbox("Unit", UNIT_SYMBOLS, key="pj_new_unit",
                                                                    format_func=_unit_label)
        elif split == "item":
            requested["requested_weight_unit"] = st.selectbox("Unit of the requested weights", UNIT_SYMBOLS,
                                                              key="pj_new_unit", format_func=_unit_label)
            for item_id in item_ids:
                cells = st.columns([3, 1, 1])
                cells[0].text(by_id[item_id]["tag_id"])
                requested_lines[item_id] = (
                    cells[1].text_input("Pieces requested", key=f"pj_new_rq_{item_id}"),
                    cells[2].text_input("Weight requested", key=f"pj_new_rw_{item_id}"))
        else:
            st.caption("Each item should yield what is issued from it.")

    with st.container(border=True, key="pj_new_details"):
        st.markdown("**3 · Issue details**")
        with context.db() as session:
            staff = dict(jobs.staff_options(session, actor=actor, location_id=location_id))
        columns = st.columns(4)
        staff_id = _choice(columns[0], "Staff", staff, "pj_new_staff")
        issued_on = columns[1].date_input("Issued date", key="pj_new_issued_on", max_value=date.today())
        no_deadline = columns[3].toggle("No deadline", key="pj_new_no_deadline")
        deadline = columns[2].date_input("Deadline", key="pj_new_deadline", disabled=no_deadline,
                                         help=f"Starts at the issued date + {defaults.due_date_offset_days} days "
                                              "(Settings → Production).")
        notes = st.text_area("Notes", key="pj_new_notes", max_chars=forms.MAX_NOTES)

    sources = tuple(SourceLine(item_id, quantity=pieces, weight=weight,
                               requested_quantity=(requested_lines.get(item_id) or (None, None))[0] or None,
                               requested_weight=(requested_lines.get(item_id) or (None, None))[1] or None)
                    for item_id, pieces, weight in lines)
    data = NewJob(stage_id=stage_id, location_id=location_id, product_ids=tuple(product_ids), sources=sources,
                  requested_shape_id=shape_id, requested_size_id=size_id, split=split or "match",
                  staff_id=staff_id, issued_on=issued_on, deadline=None if no_deadline else deadline, notes=notes,
                  order_id=order_id, order_line_id=order_line_id,
                  **{key: (value or None) for key, value in requested.items()})
    with context.db() as session:
        plan = jobs.check_job(session, actor=actor, data=data)
    for warning in plan.warnings:
        st.warning(plain(warning))
    if plan.problems:
        st.caption("To fix before creating:")
        for problem in dict.fromkeys(plan.problems.values()):
            st.text(f"• {problem}")
    if st.button("Create job", key="pj_new_create", type="primary", disabled=bool(plan.problems)):
        created = run_action(lambda r: f"{r.number} created" + (f": issued {', '.join(i.tag_id for i in r.issued)}."
                                                                if r.issued else " (nothing issued yet)."),
                             jobs.create_job, rerun=False, data=data)
        if created is not None:
            for key in [key for key in st.session_state if str(key).startswith("pj_new_")]:
                del st.session_state[key]
            open_job(created.job_id)
            st.rerun()


# --------------------------------------------------------------------------------------------------------------
# One job
# --------------------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------------------
# Job actions
# --------------------------------------------------------------------------------------------------------------

ACTIONS = {"receive": "Receive", "issue": "Issue more stock", "edit": "Edit", "link": "Order line",
           "complete": "Complete", "cancel": "Cancel job", "delete": "Delete"}


def _available_actions(actor, detail: overview.JobDetail) -> list[str]:
    if not actor.can(Right.EDIT_PRODUCTION):
        return []
    issued = detail.figures.issues > 0
    found = []
    if detail.status.is_open:
        found += ["receive"] if issued else []
        found += ["issue", "edit"]
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
                  icon=":material/arrow_forward:", on_click=start_next_stage, args=(detail,),
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


def start_next_stage(detail: overview.JobDetail) -> None:
    st.session_state["pj_prefill"] = {
        "pj_new_stage": detail.next_stage_id, "pj_new_location": detail.job.location_id,
        "pj_new_items": [item.item_id for item in detail.received_items], "pj_new_mode": "full",
        "pj_new_split": "match"}
    if detail.job.order_line_id is not None:  # the next stage works on the same order line
        st.session_state["pj_prefill"].update({"pj_new_order": detail.job.order_id,
                                               "pj_new_line": detail.job.order_line_id})
    close_job_page()


def _attribute_inputs(opts, prefix: str, kind, defaults: dict, columns, label: str = "") -> dict:
    """Type (finished or M&S), shape, size and colour choices for an output or a portion (labels led by `label`)."""
    values = {}
    shown = [a for a in ATTRIBUTES if a.key != "quality" and a.applies_to(kind)]
    for index, attribute in enumerate(shown):
        values[attribute.field] = _choice(columns[index % len(columns)], f"{label} {attribute.label}".strip(),
                                          dict(opts.catalogs[attribute.catalog]), f"{prefix}_{attribute.key}",
                                          defaults.get(attribute.field))
    return values


def _portion_inputs(opts, prefix: str, label: str, products: dict, row_kind, row_product, row_unit) -> Portion:
    """A rejected or scrapped portion: its own kind, product, pieces, weight, unit and attributes."""
    cells = st.columns(4)
    kind = cells[0].selectbox(f"{label} kind", list(InventoryKind), format_func=lambda k: k.label,
                              key=f"{prefix}_kind", index=list(InventoryKind).index(row_kind))
    product = _choice(cells[1], f"{label} product", products, f"{prefix}_product", row_product, none=False)
    pieces = cells[2].text_input(f"{label} pieces", key=f"{prefix}_pieces", value="0")
    weight = cells[3].text_input(f"{label} weight", key=f"{prefix}_weight")
    more = st.columns(4)
    unit = more[0].selectbox(f"{label} unit", UNIT_SYMBOLS, key=f"{prefix}_unit", index=UNIT_SYMBOLS.index(row_unit),
                             format_func=_unit_label)
    attributes = _attribute_inputs(opts, prefix, kind, {}, more[1:], label)
    return Portion(weight=weight, pieces=pieces, weight_unit=unit, kind=kind, product_id=product, **attributes)


def receive_form(actor, detail: overview.JobDetail) -> None:
    job = detail.job
    generation = st.session_state.get("pj_rcv_gen", 0)
    key = f"pj_rcv{generation}"
    with context.db() as session:
        opts = forms.options(session, actor=actor, active_only=True)
    products = {**dict(opts.products), **{line.product_id: line.product for line in detail.issues}}
    sources = {line.item_id: line.tag_id for line in detail.issues if line.returned_at is None}
    first = next(line for line in detail.issues if line.returned_at is None)
    with st.container(border=True, key="pj_receive_box"):
        st.markdown("**Receive**")
        head = st.columns(4)
        received_on = head[0].date_input("Received date", key=f"{key}_date", value=date.today(),
                                         min_value=job.issued_on, max_value=date.today())
        quality_id = _choice(head[1], "Received quality", dict(opts.catalogs[CatalogKind.QUALITY]), f"{key}_quality")
        location_id = _choice(head[2], "Location for new inventory", dict(opts.locations), f"{key}_location",
                              job.location_id if job.location_id in dict(opts.locations) else None, none=False)
        count = head[3].number_input("Output rows", min_value=1, max_value=receipts.MAX_ROWS, value=1, step=1,
                                     key=f"{key}_rows")
        rows = []
        for number in range(1, int(count) + 1):
            prefix = f"{key}_{number}"
            with st.container(border=True, key=f"pj_receive_row_{number}"):
                st.markdown(f"**Output row {number}**")
                cells = st.columns(4)
                kind = cells[0].selectbox("Kind", list(InventoryKind), format_func=lambda k: k.label,
                                          key=f"{prefix}_kind", index=list(InventoryKind).index(first.kind))
                product = _choice(cells[1], "Product", products, f"{prefix}_product", first.product_id, none=False)
                source = _choice(cells[2], "Tag from", sources, f"{prefix}_source", first.item_id, none=False)
                unit = cells[3].selectbox("Unit", UNIT_SYMBOLS, key=f"{prefix}_unit",
                                          index=UNIT_SYMBOLS.index(detail.unit), format_func=_unit_label)
                amounts = st.columns(4)
                pieces = amounts[0].text_input("Received pieces", key=f"{prefix}_pieces", value="0")
                weight = amounts[1].text_input("Received weight", key=f"{prefix}_weight")
                waste = amounts[2].text_input("Wasted weight", key=f"{prefix}_waste")
                attributes = _attribute_inputs(opts, prefix, kind, {"shape_id": job.requested_shape_id,
                                                                    "size_id": job.requested_size_id},
                                               st.columns(4))
                toggles = st.columns(2)
                rejected = scrapped = None
                if toggles[0].toggle("Output has rejection", key=f"{prefix}_has_rej"):
                    st.caption("Rejected portion (becomes a -REJ item, on hold)")
                    rejected = _portion_inputs(opts, f"{prefix}_rej", "Rejected", products, kind, product, unit)
                if toggles[1].toggle("Output has scrap", key=f"{prefix}_has_scrap"):
                    st.caption("Scrapped portion (becomes a -SCRAP item)")
                    scrapped = _portion_inputs(opts, f"{prefix}_scrap", "Scrapped", products, kind, product, unit)
                rows.append(OutputRow(product_id=product, kind=kind, weight=weight, pieces=pieces, weight_unit=unit,
                                      waste=waste, rejected=rejected, scrapped=scrapped, source_item_id=source,
                                      **attributes))
        notes = st.text_area("Notes (on every new item)", key=f"{key}_notes", max_chars=forms.MAX_NOTES)
        draft = ReceiptDraft(rows=tuple(rows), received_on=received_on, quality_id=quality_id,
                             location_id=location_id, notes=notes)
        with context.db() as session:
            preview = receipts.preview_receipt(session, actor=actor, job_id=job.id, draft=draft)
        st.caption(f"Recorded after this receipt (received + rejected + scrapped + waste): "
                   f"{detail.text(preview.recorded_after_g)} of {detail.text(preview.issued_g)} issued.")
        for warning in preview.warnings:
            st.info(plain(warning))
        confirm = False
        if preview.confirmation:
            st.warning(plain(preview.confirmation))
            confirm = st.checkbox("These amounts are right: save them", key=f"{key}_confirm")
        if st.button("Save receipt", key="pj_rcv_save", type="primary"):
            result = run_action(_receipt_message, receipts.receive_job, rerun=False, job_id=job.id,
                                draft=draft, confirm=confirm)
            if result is not None:  # a fresh, empty form for the next receipt
                st.session_state["pj_rcv_gen"] = generation + 1
                st.rerun()


def _receipt_message(result: receipts.ReceiptResult) -> str:
    made = [f"{output.tag_id} ({format_weight(output.weight, output.weight_unit)})" for output in result.outputs
            if output.tag_id]
    waste = [format_weight(output.weight, output.weight_unit) for output in result.outputs if not output.tag_id]
    return (f"Receipt {result.number} recorded" + (f": {', '.join(made)}" if made else "")
            + (f"; waste {', '.join(waste)}" if waste else "") + ".")


def issue_form(actor, detail: overview.JobDetail) -> None:
    job = detail.job
    with context.db() as session:
        candidates = jobs.source_candidates(session, actor=actor, location_id=job.location_id)
    already = {line.item_id for line in detail.issues if line.returned_at is None}
    by_id = {row["id"]: row for row in candidates if row["id"] not in already}
    with st.container(border=True, key="pj_issue_box"):
        chosen = st.multiselect("Items to issue (available stock at the job's location)", list(by_id),
                                key="pj_issue_items",
                                format_func=lambda item: _source_label(by_id[item]))
        part = st.toggle("Issue a given part of each", key="pj_issue_part")
        sources = []
        for item_id in chosen:
            if part:
                cells = st.columns([3, 1, 1])
                cells[0].text(by_id[item_id]["tag_id"])
                sources.append(SourceLine(item_id, quantity=cells[1].text_input("Pieces", key=f"pj_issue_q_{item_id}"),
                                          weight=cells[2].text_input("Weight", key=f"pj_issue_w_{item_id}")))
            else:
                sources.append(SourceLine(item_id, quantity=by_id[item_id]["quantity"],
                                          weight=by_id[item_id]["weight"]))
        if st.button("Issue", key="pj_issue_save", type="primary", disabled=not chosen):
            run_action(lambda issued: "Issued " + ", ".join(f"{i.tag_id} ({format_weight(i.weight, i.weight_unit)})"
                                                            for i in issued) + ".",
                       jobs.issue_to_job, job_id=job.id, sources=tuple(sources))


def edit_form(actor, detail: overview.JobDetail) -> None:
    job = detail.job
    with context.db() as session:
        staff = dict(jobs.staff_options(session, actor=actor, location_id=job.location_id))
        stage_names = {stage.id: stage.name for stage in stages.list_stages(session, active_only=True)}
    stage_names.setdefault(job.stage_id, detail.stage)
    with st.form("pj_edit_form"):
        columns = st.columns(3)
        stage_id = columns[0].selectbox("Stage", list(stage_names), format_func=stage_names.get, key="pj_edit_stage",
                                        index=list(stage_names).index(job.stage_id),
                                        disabled=bool(detail.figures.receipts),
                                        help="Fixed once output was received.")
        choices = [None, *staff]
        staff_id = columns[1].selectbox("Staff", choices, key="pj_edit_staff",
                                        format_func=lambda v: NONE if v is None else staff.get(v, "?"),
                                        index=choices.index(job.staff_id) if job.staff_id in choices else 0)
        deadline = columns[2].date_input("Deadline (empty: none)", value=job.deadline, key="pj_edit_deadline")
        notes = st.text_area("Notes", value=job.notes, key="pj_edit_notes", max_chars=forms.MAX_NOTES)
        if st.form_submit_button("Save", type="primary"):
            run_action(f"{job.number} saved.", jobs.edit_job, job_id=job.id, staff_id=staff_id,
                       deadline=deadline, notes=notes, stage_id=stage_id)


def link_form(actor, detail: overview.JobDetail) -> None:
    """Set, change or clear the sales order line the job works on (admins and managers)."""
    job = detail.job
    with st.container(border=True, key="pj_link_form"):
        order_id, line_id = order_line_inputs(actor, f"pj_link_{job.id}", job.order_id, job.order_line_id)
        columns = st.columns([1, 1, 4])
        if columns[0].button("Save link", key="pj_link_save", type="primary", disabled=line_id is None):
            run_action(f"{job.number} now works on the chosen order line.", jobs.link_job, job_id=job.id,
                       order_line_id=line_id, order_id=order_id)
        if job.order_line_id is not None and columns[1].button("Clear link", key="pj_link_clear"):
            run_action(f"{job.number} no longer works on an order line.", jobs.link_job, job_id=job.id,
                       order_line_id=None)


def complete_form(actor, detail: overview.JobDetail) -> None:
    progress = detail.progress
    pending = progress.pending
    with st.form("pj_complete_form"):
        if pending is not None and pending > 0:
            st.warning(f"{detail.text(pending)} is still pending: completing writes it off as waste. Say why.")
        else:
            st.caption("Nothing is pending: the job can be completed.")
        reason = st.text_input("Reason (required when pending weight is written off)", key="pj_complete_reason",
                               max_chars=500)
        if st.form_submit_button("Complete job", type="primary"):
            run_action(f"{detail.job.number} completed.", jobs.close_job, job_id=detail.job.id,
                       reason=reason)


def cancel_form(actor, detail: overview.JobDetail) -> None:
    with st.form("pj_cancel_form"):
        st.warning("Cancelling gives every issued item's stock back to it. Only a job that received nothing can be "
                   "cancelled.")
        reason = st.text_input("Reason (required)", key="pj_cancel_reason", max_chars=500)
        if st.form_submit_button("Cancel job", type="primary"):
            run_action(f"{detail.job.number} cancelled; its stock is back.", jobs.cancel_job,
                       job_id=detail.job.id, reason=reason)


# --------------------------------------------------------------------------------------------------------------

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
