"""Production forms shared by the job pages, and the New job form (pages/production.py stays thin).

Every widget has a stable key (the keys are those the page always used: tests and sessions rely on them).
User text is shown as text only (st.text, dataframes, `plain()`-escaped alerts).
"""
from __future__ import annotations

from datetime import date

import streamlit as st

from lib.inventory import forms
from lib.models import CatalogKind, InventoryKind
from lib.production import jobs, links, stages
from lib.production.jobs import NewJob, SourceLine
from lib.units import UNIT_SYMBOLS, UNITS_BY_SYMBOL, format_weight
from ui import context
from ui.feedback import plain, run_action


NONE = "—"


def unit_label(symbol: str) -> str:
    return f"{symbol} ({UNITS_BY_SYMBOL[symbol].name})"


def choice(where, label: str, names: dict, key: str, default=None, none: bool = True, **kwargs):
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
    order_id = choice(columns[0], "Sales order (optional)", {c.order_id: c.label for c in choices},
                       f"{prefix}_order", current_order,
                       help="Open sales orders (not cancelled or completed). The job's work then shows on the "
                            "order's page and moves the line's status.")
    lines = {line.line_id: line.label for line in by_order[order_id].lines} if order_id in by_order else {}
    line_id = choice(columns[1], "Order line", lines, f"{prefix}_line", current_line, none=not lines,
                      disabled=not lines, help="An active line of the chosen order; it must ask for one of the "
                                               "job's products.")
    return order_id, (line_id if order_id in by_order else None)


def open_job(job_id: int) -> None:
    st.query_params["job"] = str(job_id)


def close_job_page() -> None:
    st.query_params.pop("job", None)


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


def source_label(row: dict) -> str:
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
        if st.session_state.get("pj_new_link_note"):
            st.info(plain(st.session_state["pj_new_link_note"]))
        order_id, order_line_id = order_line_inputs(actor, "pj_new")
        columns = st.columns(3)
        stage_id = choice(columns[0], "Stage", stage_names, "pj_new_stage", defaults.stage_id, none=False)
        location_id = choice(columns[1], "Location of the source stock", locations, "pj_new_location",
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
                                  format_func=lambda item: source_label(by_id[item]),
                                  placeholder="Leave empty to plan the job and issue later")
        mode = st.segmented_control("Issue", ["full", "part"], key="pj_new_mode", required=True,
                                    format_func={"full": "Full quantity and weight of each",
                                                 "part": "A given part of each"}.get)
        lines = []
        for item_id in item_ids:
            row = by_id[item_id]
            if mode == "part":
                cells = st.columns([3, 1, 1])
                cells[0].text(source_label(row))
                pieces = cells[1].text_input("Pieces", key=f"pj_new_q_{item_id}", value=str(row["quantity"]))
                weight = cells[2].text_input(f"Weight ({row['weight_unit']})", key=f"pj_new_w_{item_id}",
                                             value=str(row["weight"].normalize()))
                lines.append((item_id, pieces, weight))
            else:  # what the list shows: if the item changed meanwhile, the issue is refused and says so
                lines.append((item_id, row["quantity"], row["weight"]))

    with st.container(border=True, key="pj_new_specs"):
        st.markdown("**2 · Requested output**")
        columns = st.columns(2)
        shape_id = choice(columns[0], "Requested shape", dict(opts.catalogs[CatalogKind.SHAPE]), "pj_new_shape")
        size_id = choice(columns[1], "Requested size", dict(opts.catalogs[CatalogKind.SIZE]), "pj_new_size")
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
                                                                    format_func=unit_label)
        elif split == "item":
            requested["requested_weight_unit"] = st.selectbox("Unit of the requested weights", UNIT_SYMBOLS,
                                                              key="pj_new_unit", format_func=unit_label)
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
        staff_id = choice(columns[0], "Staff", staff, "pj_new_staff")
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
