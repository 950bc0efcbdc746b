"""Bench returns (issue 16): unused stock given back from an open job, any number of times.

Jewellers issue more metal than a piece needs (casting above all): sprues, offcuts and unused grain go back
to stock every day. A return is neither output nor waste, so it never distorts Output %: it lowers the
job's net issued weight (issued - returned), which is the progress base when no requested weight is set,
and it is one line of the job's metal balance (`lib.production.formulas.metal_balance`).

Decisions (also in docs/production.md):

- A return names the issue it comes from (one issued source item) and the pieces and weight, in that
  item's own unit. At most what that issue still has out (issued - its earlier returns), and never more
  weight than the job still has unaccounted (the balance's outstanding): metal already received, scrapped
  or wasted cannot also go back to stock.
- Where it goes: the source item, when it is still at the job's location (restored through the stock
  module when it was emptied and archived meanwhile, audited); otherwise (moved to another location) a
  new item `<source tag>-RET<n>` at the job's location with the source's product, kind, attributes and
  unit. The movement is a PRODUCTION_RETURN naming the job.
- Only open jobs take returns; cancelling a job gives back what each issue still has out (a RETURN
  movement, by the same route: `lib.production.jobs.cancel_job`), and the cancelled issue takes its earlier returns off the books with it.
- The order is job, then item (like every production write), the job's order in between.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.production import costs
from lib.errors import ValidationFailed
from lib.inventory import stock
from lib.inventory.forms import as_validation, parse_quantity
from lib.models import InventoryItem, JobIssue, JobReturn, MovementKind, ProductionJob, utcnow
from lib.production import links
from lib.production.job_plan import get_job_in_scope, lock_job, require_open
from lib.production.totals import job_figures
from lib.text import clean_text
from lib.units import format_weight, from_grams, parse_weight, to_grams
from lib.workspace.settings import default_weight_unit

ZERO = Decimal(0)


@dataclass(frozen=True)
class Returnable:
    """One issue of a job and what it still has out, in the source item's unit."""

    issue_id: int
    item_id: int
    tag_id: str
    weight_unit: str
    out_pieces: int
    out_weight: Decimal
    to_source: bool  # False: the source moved away, a return makes a new -RET item


def still_out(session: Session, issue: JobIssue) -> tuple[int, Decimal]:
    """Pieces and weight an issue still has out (exact: summed in Python from the rows)."""
    rows = session.execute(select(JobReturn.quantity, JobReturn.weight).where(JobReturn.issue_id == issue.id)).all()
    pieces = issue.quantity - sum((row.quantity for row in rows), 0)
    weight = Decimal(issue.weight) - sum((Decimal(row.weight) for row in rows), ZERO)
    return pieces, weight


def _active_issues(session: Session, job: ProductionJob) -> list[JobIssue]:
    return list(session.scalars(select(JobIssue).where(JobIssue.job_id == job.id,
                                                       JobIssue.returned_movement_id.is_(None))
                                .order_by(JobIssue.id)))


def returnable(session: Session, *, actor: Actor, job_id: int) -> list[Returnable]:
    """The issues of a job (in scope) with stock still out, for the Return form."""
    job = get_job_in_scope(session, actor=actor, job_id=job_id)
    found = []
    for issue in _active_issues(session, job):
        pieces, weight = still_out(session, issue)
        if pieces <= 0 and weight <= 0:
            continue
        item = session.get(InventoryItem, issue.item_id)
        found.append(Returnable(issue.id, item.id, item.tag_id, issue.weight_unit, pieces, weight,
                                item.location_id == job.location_id))
    return found


@dataclass(frozen=True)
class ReturnResult:
    tag_id: str
    quantity: int
    weight: Decimal
    weight_unit: str
    new_item: bool


def return_stock(session: Session, *, actor: Actor, job_id: int, issue_id: int, quantity=0, weight=0,
                 note: str = "", recorded_at: datetime | None = None) -> ReturnResult:
    """Give unused stock of one issue back from an open job (see the module docstring). All or nothing."""
    job = lock_job(session, actor=actor, job_id=job_id)
    require_open(job, "returns")
    issue = session.get(JobIssue, int(issue_id)) if str(issue_id).strip().isdigit() else None
    if issue is None or issue.job_id != job.id or issue.returned_movement_id is not None:
        raise ValidationFailed(f"Choose an item issued into {job.number} to return stock to.")
    pieces = as_validation(parse_quantity, quantity if quantity not in (None, "") else 0, "Pieces to return")
    part = as_validation(lambda raw: parse_weight(raw, "Weight to return", allow_zero=True),
                         weight if weight not in (None, "") else 0)
    text = as_validation(clean_text, note, "Note", 500, multiline=False)
    if pieces == 0 and part == 0:
        raise ValidationFailed("Enter the pieces and/or weight to return.")
    linked = links.lock_orders(session, [job.order_id])
    out_pieces, out_weight = still_out(session, issue)
    source_tag = session.get(InventoryItem, issue.item_id).tag_id
    if pieces > out_pieces or part > out_weight:
        raise ValidationFailed(f"{source_tag}: at most {max(out_pieces, 0)} pcs and "
                               f"{format_weight(max(out_weight, ZERO), issue.weight_unit)} issued into {job.number} "
                               "are still out; nothing was returned.")
    outstanding = job_figures(session, [job.id])[job.id].balance().outstanding
    grams = to_grams(part, issue.weight_unit)
    if grams > outstanding:
        unit = default_weight_unit(session)
        left = format_weight(from_grams(max(outstanding, ZERO), unit), unit)
        raise ValidationFailed(f"Only {left} is unaccounted in {job.number} (the rest was received, scrapped, "
                               "wasted or returned already); nothing was returned.")
    before = costs.pool(session, job)  # the cost at the bench before the return (lib.production.costs)
    back = stock.give_back(session, actor=actor, right=Right.EDIT_PRODUCTION, item_id=issue.item_id,
                           location_id=job.location_id, reference=job.number, quantity=pieces, weight=part,
                           note=text or f"Returned from {job.number}", movement_kind=MovementKind.PRODUCTION_RETURN,
                           moved_at=recorded_at)
    row = JobReturn(job_id=job.id, issue_id=issue.id, item_id=back.item_id, movement_id=back.movement_id,
                    quantity=pieces, weight=part, weight_unit=issue.weight_unit, weight_g=grams, note=text,
                    returned_at=recorded_at or utcnow(), returned_by_id=actor.user_id)
    session.add(row)
    session.flush()
    costs.cost_return(session, actor.user_id, job, issue, row, before.remaining)
    audit.record(session, actor_id=actor.user_id, action="return from production job", entity="production_job",
                 entity_id=job.id, new={"number": job.number, "item": back.tag_id, "quantity": pieces,
                                        "weight": part, "weight_unit": issue.weight_unit,
                                        "movement_id": back.movement_id})
    links.refresh_orders(session, linked, actor.user_id)
    return ReturnResult(back.tag_id, pieces, part, issue.weight_unit, back.item_id != issue.item_id)
