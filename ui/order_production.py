"""The "Production" section of a sales order page: the jobs linked to each line and the order-level summary
(reference 3.9.7), from `lib.production.links.order_production`.

Shown to viewers of orders who also see production (admins and managers) when
at least one job is linked. Weights are in the workspace unit; jobs outside
the viewer's locations are counted but listed without their ID or link.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import Actor, Right
from lib.orders.detail import OrderDetail
from lib.production import formulas, links, overview
from lib.production.formulas import MetalBalance
from lib.units import format_weight, from_grams
from ui import charts, context
from ui import production_view as view
from ui.feedback import plain

ORDER_CHIP_HELP = {
    "Output": "Final output ÷ Net input × 100. Final output = received + rejected of the jobs in the final "
              "received stage (the stage of the latest receipt); Net input = Σ issued + final output − "
              "Σ (received + rejected) over every linked job. Higher is better.",
    "Gross waste": "(Σ waste + Σ scrapped) ÷ Net input × 100. All process loss, scrap included. Lower is better.",
    "Net waste": "Σ waste ÷ Net input × 100. True loss: waste only, scrap excluded. Lower is better.",
    "Consumption": "(Σ waste + Σ scrapped) ÷ Final output × 100. Loss per unit of final output; — when nothing "
                   "was received yet. Lower is better.",
}
BAR_HELP = ("Order progress base = Σ of the linked jobs' progress bases (requested weight, else issued weight). "
            "Completed, Pending, Rejected, Scrapped and Wasted = Σ of each over that base × 100. Cancelled jobs "
            "are listed but not counted.")


def jobs_frame(found: links.OrderProduction, view_: OrderDetail, balances: dict[int, MetalBalance]) -> pd.DataFrame:
    """One row per linked job; "Unaccounted" is the metal still out on a job the viewer sees (vs issued)."""
    def unaccounted(job_id):
        return format_weight(from_grams(balances[job_id].outstanding, found.unit), found.unit) \
            if job_id in balances else None
    positions = {line.id: line.position for line in view_.lines}
    statuses = {line.id: line.status.label for line in view_.lines}
    return pd.DataFrame.from_records([{
        "Line": positions.get(job.line_id), "Line status": statuses.get(job.line_id),
        "Open": f"/production?job={job.job_id}" if job.job_id else None,
        "Job ID": job.number, "Stage": job.stage, "Status": job.status.label,
        "Issued": format_weight(job.issued, found.unit), "Received": format_weight(job.received, found.unit),
        "Unaccounted": unaccounted(job.job_id),
        "Progress": float(job.progress_pct) if job.progress_pct is not None else None,
    } for job in sorted(found.jobs, key=lambda job: (positions.get(job.line_id, 0), job.number))],
        columns=["Line", "Line status", "Open", "Job ID", "Stage", "Status", "Issued", "Received", "Unaccounted",
                 "Progress"])


def section(actor: Actor, view_: OrderDetail) -> None:
    """The production section, when jobs are linked to the order and the viewer sees production."""
    if not actor.can(Right.VIEW_PRODUCTION):
        return
    with context.db() as session:
        found = links.order_production(session, actor=actor, order_id=view_.id)
        visible_ids = [job.job_id for job in found.jobs if job.job_id] if found else []
        balances = overview.job_balances(session, actor=actor, job_ids=visible_ids)
    if found is None:
        return
    efficiency = found.efficiency
    with st.container(border=True, key="order_production"):
        st.subheader("Production", help=BAR_HELP)
        shares = efficiency.bar.shares()
        if all(value is None for value in shares.values()):
            st.caption("Nothing issued or recorded on the linked jobs yet.")
        else:
            st.altair_chart(charts.progress_bar(shares, efficiency.bar.over_recovery_pct),
                            key="order_production_bar", width="stretch")
            st.text(" · ".join(f"{label} {view.pct(value)}" for label, value in shares.items()))
        chips = {"Output": efficiency.output_pct, "Gross waste": efficiency.gross_waste_pct,
                 "Net waste": efficiency.net_waste_pct, "Consumption": efficiency.consumption_pct}
        for cell, (label, value) in zip(st.columns(4), chips.items()):
            cell.metric(label, view.pct(value), help=ORDER_CHIP_HELP[label], border=True)
        unit = found.unit
        st.text(f"Issued {format_weight(found.issued, unit)} · received {format_weight(found.received, unit)} · "
                f"rejected {format_weight(found.rejected, unit)} · scrapped {format_weight(found.scrapped, unit)} · "
                f"waste {format_weight(found.waste, unit)} · final output "
                f"{format_weight(found.final_output, unit)} · net input "
                f"{format_weight(found.net_input, unit)}")
        if found.final_stages:
            st.caption("Final received stage: " + plain(", ".join(found.final_stages)))
        if balances:
            st.text("Metal balance of the jobs you see (vs issued): "
                    + view.balance_sentence(formulas.combined_balance(balances.values()), unit))
        st.dataframe(jobs_frame(found, view_, balances), hide_index=True, width="stretch", key="order_production_jobs",
                     column_config={"Open": st.column_config.LinkColumn("Open", display_text="Open"),
                                    "Progress": st.column_config.ProgressColumn(
                                        "Progress", format="%.1f%%", min_value=0, max_value=100,
                                        help=view.PROGRESS_HELP)})
