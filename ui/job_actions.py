"""The actions on one production job: receive, issue more, return unused stock, edit, order line, complete,
cancel. Each form calls one lib function through `run_action`; every widget has a stable key."""
from __future__ import annotations

from datetime import date

import streamlit as st

from lib.classification import ATTRIBUTES
from lib.inventory import forms
from lib.models import CatalogKind, InventoryKind
from lib.production import bench, jobs, overview, receipts, stages
from lib.production.jobs import SourceLine
from lib.production.receipts import OutputRow, Portion, ReceiptDraft
from lib.units import UNIT_SYMBOLS, format_weight
from ui import context
from ui.feedback import plain, run_action
from ui.job_forms import NONE, choice, order_line_inputs, source_label, unit_label


def _attribute_inputs(opts, prefix: str, kind, defaults: dict, columns, label: str = "") -> dict:
    """Type (finished or M&S), shape, size and colour choices for an output or a portion (labels led by `label`)."""
    values = {}
    shown = [a for a in ATTRIBUTES if a.key != "quality" and a.applies_to(kind)]
    for index, attribute in enumerate(shown):
        values[attribute.field] = choice(columns[index % len(columns)], f"{label} {attribute.label}".strip(),
                                          dict(opts.catalogs[attribute.catalog]), f"{prefix}_{attribute.key}",
                                          defaults.get(attribute.field))
    return values


def _portion_inputs(opts, prefix: str, label: str, products: dict, row_kind, row_product, row_unit) -> Portion:
    """A rejected or scrapped portion: its own kind, product, pieces, weight, unit and attributes."""
    cells = st.columns(4)
    kind = cells[0].selectbox(f"{label} kind", list(InventoryKind), format_func=lambda k: k.label,
                              key=f"{prefix}_kind", index=list(InventoryKind).index(row_kind))
    product = choice(cells[1], f"{label} product", products, f"{prefix}_product", row_product, none=False)
    pieces = cells[2].text_input(f"{label} pieces", key=f"{prefix}_pieces", value="0")
    weight = cells[3].text_input(f"{label} weight", key=f"{prefix}_weight")
    more = st.columns(4)
    unit = more[0].selectbox(f"{label} unit", UNIT_SYMBOLS, key=f"{prefix}_unit", index=UNIT_SYMBOLS.index(row_unit),
                             format_func=unit_label)
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
        quality_id = choice(head[1], "Received quality", dict(opts.catalogs[CatalogKind.QUALITY]), f"{key}_quality")
        location_id = choice(head[2], "Location for new inventory", dict(opts.locations), f"{key}_location",
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
                product = choice(cells[1], "Product", products, f"{prefix}_product",
                                 detail.output_product_id or first.product_id, none=False)
                source = choice(cells[2], "Tag from", sources, f"{prefix}_source", first.item_id, none=False)
                unit = cells[3].selectbox("Unit", UNIT_SYMBOLS, key=f"{prefix}_unit",
                                          index=UNIT_SYMBOLS.index(detail.unit), format_func=unit_label)
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
    asks = job.split_mode != "match"  # the new stock's requested amount moves the progress base
    unit = job.requested_weight_unit or detail.unit
    with st.container(border=True, key="pj_issue_box"):
        chosen = st.multiselect("Items to issue (available stock at the job's location)", list(by_id),
                                key="pj_issue_items",
                                format_func=lambda item: source_label(by_id[item]))
        part = st.toggle("Issue a given part of each", key="pj_issue_part")
        if asks and chosen:
            st.caption(f"Requested output of the new stock ({unit}): what it should yield. Left empty, it should "
                       "yield what is issued (the progress base grows by that).")
        sources = []
        for item_id in chosen:
            cells = st.columns([3, 1, 1, 1, 1]) if asks else st.columns([3, 1, 1])
            cells[0].text(by_id[item_id]["tag_id"])
            if part:
                quantity = cells[1].text_input("Pieces", key=f"pj_issue_q_{item_id}")
                weight = cells[2].text_input("Weight", key=f"pj_issue_w_{item_id}")
            else:
                quantity, weight = by_id[item_id]["quantity"], by_id[item_id]["weight"]
                cells[1].text(f"{quantity} pcs")
                cells[2].text(format_weight(weight, by_id[item_id]["weight_unit"]))
            requested_pieces = requested_weight = None
            if asks:
                requested_pieces = cells[3].text_input("Pieces requested", key=f"pj_issue_rq_{item_id}") or None
                requested_weight = cells[4].text_input(f"Weight requested ({unit})",
                                                       key=f"pj_issue_rw_{item_id}") or None
            sources.append(SourceLine(item_id, quantity=quantity, weight=weight, requested_quantity=requested_pieces,
                                      requested_weight=requested_weight))
        if st.button("Issue", key="pj_issue_save", type="primary", disabled=not chosen):
            run_action(lambda issued: "Issued " + ", ".join(f"{i.tag_id} ({format_weight(i.weight, i.weight_unit)})"
                                                            for i in issued) + ".",
                       jobs.issue_to_job, job_id=job.id, sources=tuple(sources))


def return_form(actor, detail: overview.JobDetail) -> None:
    """Give unused stock (sprues, offcuts, grain) back from the job: to its source item, or a new -RET item."""
    job = detail.job
    with context.db() as session:
        options = bench.returnable(session, actor=actor, job_id=job.id)
    if not options:
        st.caption("Nothing issued into this job is still out to return.")
        return
    by_issue = {option.issue_id: option for option in options}

    def label(issue_id: int) -> str:
        option = by_issue[issue_id]
        where = "back to it" if option.to_source else "to a new -RET item (the source moved)"
        return (f"{option.tag_id} · out: {option.out_pieces} pcs, {format_weight(option.out_weight, option.weight_unit)}"
                f" · {where}")

    with st.form("pj_return_form"):
        issue_id = st.selectbox("Issued item", list(by_issue), format_func=label, key="pj_return_issue")
        cells = st.columns(2)
        pieces = cells[0].text_input("Pieces to return", key="pj_return_pieces", value="0")
        weight = cells[1].text_input("Weight to return (the item's unit)", key="pj_return_weight")
        note = st.text_input("Note (e.g. sprue, offcuts)", key="pj_return_note", max_chars=500)
        if st.form_submit_button("Return to stock", type="primary"):
            run_action(lambda r: f"Returned {r.quantity} pcs, {format_weight(r.weight, r.weight_unit)} to "
                                 f"{'new item ' if r.new_item else ''}{r.tag_id}.",
                       bench.return_stock, job_id=job.id, issue_id=issue_id, quantity=pieces, weight=weight,
                       note=note)


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
    """Complete against the metal balance (vs issued): outstanding metal is written off with a reason, metal
    recovered above issued is recorded as a gain once confirmed."""
    outstanding = detail.balance.outstanding
    with st.form("pj_complete_form"):
        if outstanding > 0:
            st.warning(f"{detail.text(outstanding)} of the issued metal is unaccounted (not returned, received, "
                       "scrapped or wasted): completing writes it off as waste. Say why.")
        elif outstanding < 0:
            st.warning(f"{detail.text(-outstanding)} more was recovered than issued: completing records it as a "
                       "gain. Check the weights and units, then confirm.")
        else:
            st.caption("The metal balance is even: the job can be completed.")
        reason = st.text_input("Reason (required when unaccounted metal is written off)", key="pj_complete_reason",
                               max_chars=500)
        confirm = (st.checkbox("The amounts are right: record the gain", key="pj_complete_gain")
                   if outstanding < 0 else False)
        if st.form_submit_button("Complete job", type="primary"):
            run_action(f"{detail.job.number} completed.", jobs.close_job, job_id=detail.job.id,
                       reason=reason, confirm_gain=confirm)


def cancel_form(actor, detail: overview.JobDetail) -> None:
    with st.form("pj_cancel_form"):
        st.warning("Cancelling gives back what each issued item still has out: to the item itself (restored if it "
                   "was archived), or to a new -RET item when it moved to another location. Only a job that "
                   "received nothing can be cancelled.")
        reason = st.text_input("Reason (required)", key="pj_cancel_reason", max_chars=500)
        if st.form_submit_button("Cancel job", type="primary"):
            run_action(f"{detail.job.number} cancelled; its stock is back.", jobs.cancel_job,
                       job_id=detail.job.id, reason=reason)
