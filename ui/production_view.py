"""How production looks on screen: job rows and one job's parts as display tables, the help texts of the
formulas, and the "In production" card of Product Details.

Frames hold labels and text only (user text stays text: dataframes never
render markup). The formulas' help texts are the reference's (3.13.6).
"""
from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from lib.access import Actor, Right
from lib.production import overview
from lib.production.formulas import JobProgress, MetalBalance
from lib.units import format_weight, from_grams
from ui import context

CHIP_HELP = {
    "Output": "(Received + Rejected) ÷ Progress base × 100. Practical yield: rejected output counts because it "
              "was produced. Higher is better.",
    "Gross waste": "(Waste + Scrapped) ÷ Progress base × 100. All process loss, scrap included. Lower is better.",
    "Net waste": "Waste ÷ Progress base × 100. True loss: waste only, scrap excluded. Lower is better.",
    "Consumption": "(Waste + Scrapped) ÷ (Received + Rejected) × 100. Loss per unit of measured output; "
                   "— when nothing measurable came back yet. Lower is better.",
}
BASE_HELP = ("Progress base = the requested weight when the job has one, else the net issued weight (issued − "
             "returned). "
             "Pending = base − received − rejected − scrapped − waste; below zero it is over-recovery, "
             "shown beyond 100 %.")
BAR_HELP = ("Completed (received), Pending, Rejected, Scrapped and Wasted, each ÷ the progress base × 100. "
            "Without any base the bar splits what was recorded, and the four figures show —.")
BALANCE_HELP = ("Metal balance, measured against what was ISSUED (never the requested weight): issued − returned "
                "(+ a gain confirmed at completion) = received + rejected + scrapped + waste + outstanding. "
                "Outstanding is metal still at the bench or unaccounted; completing writes it off as waste with a "
                "reason. Progress (the bar and the four figures) is measured against the requested weight.")
UNACCOUNTED_HELP = ("Outstanding metal of the balance: issued − returned − received − rejected − scrapped − waste. "
                    "0 on a completed job; below zero means more was recovered than issued.")
PROGRESS_HELP = ("Share of the progress base accounted for (received, rejected, scrapped or wasted): "
                 "100 − Pending %. Above 100 means over-recovery; empty without a base.")


def pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def chips(progress: JobProgress) -> dict[str, str]:
    """The four efficiency figures as text, in the reference's order."""
    return {"Output": pct(progress.output_pct), "Gross waste": pct(progress.gross_waste_pct),
            "Net waste": pct(progress.net_waste_pct), "Consumption": pct(progress.consumption_pct)}


LIST_COLUMNS = ("Job ID", "Stage", "Product", "Staff", "Status", "Issued kind", "Shape", "Size", "Issued weight",
                "Unaccounted", "Progress", "Deadline", "Overdue")


def list_frame(rows: list[overview.JobRow]) -> pd.DataFrame:
    """Job list rows as a display table (weights with their unit, progress as a number for a progress column)."""
    return pd.DataFrame.from_records([{
        "Job ID": row.number, "Stage": row.stage, "Product": row.products, "Staff": row.staff,
        "Status": row.status.label, "Issued kind": row.issued_kind, "Shape": row.shape, "Size": row.size,
        "Issued weight": format_weight(row.issued, row.unit), "Unaccounted": format_weight(row.unaccounted, row.unit),
        "Progress": float(row.progress_pct) if row.progress_pct is not None else None,
        "Deadline": row.deadline, "Overdue": "Overdue" if row.overdue else "",
    } for row in rows], columns=list(LIST_COLUMNS))


def facts_frame(detail: overview.JobDetail) -> pd.DataFrame:
    """The job's own fields as a Field / Value table."""
    job = detail.job
    requested = []
    if job.requested_weight is not None:
        requested.append(format_weight(job.requested_weight, job.requested_weight_unit))
    if job.requested_pieces is not None:
        requested.append(f"{job.requested_pieces} pcs")
    rows = [("Stage", detail.stage), ("Location", detail.location), ("Staff", detail.staff),
            ("Issued on", job.issued_on.isoformat()), ("Deadline", job.deadline.isoformat() if job.deadline else ""),
            ("Requested shape", detail.shape), ("Requested size", detail.size),
            ("Requested output", ", ".join(requested) or ("as issued" if job.split_mode == "match" else "")),
            ("Per-item split", detail.split_label), ("Notes", job.notes)]
    return pd.DataFrame([(label, value or "—") for label, value in rows], columns=["Field", "Value"])


def totals_frame(detail: overview.JobDetail) -> pd.DataFrame:
    """Base, issued, the four recorded buckets and pending, in the workspace unit."""
    figures, progress = detail.figures, detail.progress  # grams
    pending = "—" if progress.pending is None else (
        detail.text(progress.pending) + (" (over-recovery)" if progress.pending < 0 else ""))
    source = "requested" if figures.requested_g else ("issued" if progress.base is not None else "none")
    rows = [("Progress base", detail.text(progress.base), source),
            ("Issued", detail.text(figures.issued_g), f"{figures.issued_pieces} pcs"),
            ("Returned", detail.text(figures.returned_g), f"{figures.returned_pieces} pcs"),
            ("Received", detail.text(figures.received_g), f"{figures.received_pieces} pcs"),
            ("Rejected", detail.text(figures.rejected_g), f"{figures.rejected_pieces} pcs"),
            ("Scrapped", detail.text(figures.scrapped_g), f"{figures.scrapped_pieces} pcs"),
            ("Waste", detail.text(figures.waste_g), ""), ("Pending", pending, "")]
    return pd.DataFrame(rows, columns=["Bucket", f"Weight ({detail.unit})", "Pieces / note"])


def balance_frame(balance: MetalBalance, unit: str) -> pd.DataFrame:
    """A metal balance (grams) as a table in `unit`: what went in (+), what came out (−), and what is left."""
    return pd.DataFrame([(label, format_weight(from_grams(grams, unit), unit)) for label, grams in balance.rows()],
                        columns=["Metal balance", f"Weight ({unit})"])


def balance_sentence(balance: MetalBalance, unit: str) -> str:
    """The balance as one line that adds up, e.g. "100 g issued − 12 g returned = 80 g received + … + 5 g out"."""
    def text(grams):
        return format_weight(from_grams(grams, unit), unit)
    left = f"{text(balance.issued)} issued − {text(balance.returned)} returned"
    if balance.gain:
        left += f" + {text(balance.gain)} gain"
    return (f"{left} = {text(balance.received)} received + {text(balance.rejected)} rejected + "
            f"{text(balance.scrapped)} scrapped + {text(balance.waste)} waste + {text(balance.outstanding)} "
            "outstanding")


def issues_frame(detail: overview.JobDetail) -> pd.DataFrame:
    return pd.DataFrame.from_records([{
        "Tag ID": line.tag_id, "Product": line.product, "Kind": line.kind.label, "Pieces": line.quantity,
        "Weight": format_weight(line.weight, line.weight_unit),
        "Requested": ", ".join(part for part in (
            f"{line.requested_quantity} pcs" if line.requested_quantity is not None else "",
            format_weight(line.requested_weight, detail.job.requested_weight_unit or detail.unit)
            if line.requested_weight is not None else "") if part) or "as issued",
        "Issued": line.issued_at, "By": line.issued_by,
        "Returned": "all (cancelled)" if line.returned_at else (
            format_weight(line.bench_returned, line.weight_unit) if line.bench_returned else ""),
    } for line in detail.issues], columns=["Tag ID", "Product", "Kind", "Pieces", "Weight", "Requested", "Issued",
                                           "By", "Returned"])


def outputs_frame(detail: overview.JobDetail) -> pd.DataFrame:
    return pd.DataFrame.from_records([{
        "Receipt": line.receipt, "Received on": line.received_on, "Row": line.row_number,
        "Bucket": line.bucket.label, "Tag ID": line.tag_id or "(waste: not stocked)", "Pieces": line.quantity,
        "Weight": format_weight(line.weight, line.weight_unit), "From": line.source_tag,
    } for line in detail.outputs], columns=["Receipt", "Received on", "Row", "Bucket", "Tag ID", "Pieces", "Weight",
                                            "From"])


def timeline_frame(detail: overview.JobDetail) -> pd.DataFrame:
    return pd.DataFrame.from_records([{"When": event.at, "What": event.what, "Detail": event.detail, "By": event.by}
                                      for event in detail.timeline], columns=["When", "What", "Detail", "By"])


def product_block(actor: Actor, product_id: int, kinds) -> None:
    """Product Details: what is in production for the product (open jobs, issued weight), in the viewer's scope."""
    if not actor.can(Right.VIEW_PRODUCTION):
        return
    with context.db() as session:
        found = overview.production_for_product(session, actor=actor, product_id=product_id, kinds=kinds)
    with st.container(border=True, key="product_production"):
        left, right = st.columns([2, 5], vertical_alignment="center")
        left.metric("In production", format_weight(found.issued, found.unit),
                    f"{found.open_jobs} open job{'' if found.open_jobs == 1 else 's'}", delta_color="off",
                    delta_arrow="off", icon=":material/precision_manufacturing:",
                    help="Weight of this product's stock issued into production jobs that are not completed or "
                         "cancelled, in your locations (the kind switch applies; the other filters do not).")
        with right:
            if found.jobs:
                st.dataframe(pd.DataFrame([{
                    "Job": f"/production?job={row.id}", "Job ID": row.number, "Stage": row.stage,
                    "Status": row.status.label, "Issued weight": format_weight(row.issued, row.unit),
                    "Progress": float(row.progress_pct) if row.progress_pct is not None else None}
                    for row in found.jobs]), hide_index=True, key="product_production_jobs",
                    column_config={"Job": st.column_config.LinkColumn("Open", display_text="Open"),
                                   "Progress": st.column_config.ProgressColumn(
                                       "Progress", format="%.1f%%", min_value=0, max_value=100,
                                       help=PROGRESS_HELP)})
            else:
                st.caption("No open production job holds this product's stock in your locations.")
