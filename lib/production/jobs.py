"""Production jobs (reference 3.13.1-3.13.3): create one that issues source stock into a stage, issue more,
edit, complete, cancel, delete.

Every write takes the Actor, checks the right and the job's location, and runs
in the caller's transaction (one per action): it happens completely or not at
all. Stock leaves through `lib.inventory.stock.issue` (a PRODUCTION_ISSUE
movement whose reference is the job ID) and comes back only through
`stock.give_back` (bench returns, `lib.production.bench`, and cancelling); `JobIssue` rows record each issue
with its movement, `JobReturn` rows each bench return.

Decisions where the reference is silent (section 5.8, Q49-Q59; also in docs/production.md):

- One job = one stage; a route is a chain of jobs, the output (-RCV items) of
  one issued into the next (reference 3.13.1's proposal).
- A job belongs to one location: the location of its source stock. Every
  source item must be there; a job with no source yet (a planned job) is
  created at a chosen location. Members create, see and edit the jobs of
  their own location, managers of their scope, admins all; only admins and
  managers delete, and only a job that never issued anything.
- Job IDs are the workspace prefix + a 4-digit number counted per prefix
  (JOB-0001, ... JOB-9999, JOB-10000), drawn from a row-locked sequence, so
  two people creating jobs at once never get the same ID.
- Issuing: the page's "full" issues each item's balance as the form showed
  it (an item that changed meanwhile is refused, with a message naming it);
  "part" issues the pieces and weight given (in the item's own unit, weight
  never derived from pieces). A `SourceLine` without amounts takes the whole
  balance at the moment of issue (the demo uses it). Only Available items of the actor's scope, never
  more than held (checked again under the row lock). The items are locked in id
  order before anything is written, so two jobs issuing the same items never
  deadlock and never over-issue.
- Requested output: shape, size, pieces and weight (+ unit). The per-item split:
  "match" = each item should yield what was issued (the job has no requested
  weight of its own, so its progress base is the issued weight); "even" = the
  totals entered, divided evenly over the items (pieces as whole numbers,
  weight to 4 decimals, remainders on the first items); "item" = entered per
  item, the totals are their sums. Issuing more stock later re-applies the split.
- Status: see `lib.production.totals`. Completing needs something issued and
  goes by the metal balance (vs issued, never the requested weight:
  `lib.production.formulas.metal_balance`): with nothing outstanding it just
  closes; outstanding metal is written off as waste with a reason (it then
  counts in Waste); metal recovered above issued is recorded as a gain
  (`gain_g`) only with `confirm_gain`. Cancelling is for jobs that received
  nothing: what each issue still has out goes back (RETURN movements) to its
  source item, restored through the stock module when it was emptied and
  archived meanwhile, or to a new -RET item when it moved away; reason
  required. Closed jobs take no more stock, returns, receipts or edits.
- The deadline starts at the issued date + the workspace due-date offset (the
  form fills it in); it may be cleared (an unscheduled job) but never lie
  before the issued date. The issued date may not lie in the future.
- Staff: an active user working at the job's location, or an admin.
- Movement times are the time of recording (the issued date is the job's own
  field); only a loader of history (the demo) passes `recorded_at`.
- A job may work on one sales order line (`NewJob.order_line_id`, `link_job`);
  the rules are in `lib.production.links`. Every change to a linked job
  refreshes its order's line statuses and fulfilment in the same transaction,
  the order locked right after the job (job, order, items).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from lib import audit, sequences
from lib.access import Actor, Right
from lib.production import costs
from lib.errors import ValidationFailed
from lib.inventory import stock
from lib.inventory.forms import as_validation, clean_text, required_reason
from lib.models import (
    CostComponent,
    InventoryItem,
    JobIssue,
    JobProduct,
    JobReceipt,
    JobReturn,
    JobSequence,
    JobStatus,
    MovementKind,
    ProductionJob,
    ProductionStage,
    utcnow,
)
from lib.production import bench, links
from lib.production.job_plan import (  # noqa: F401 (re-exported: callers use jobs.NewJob, jobs.check_job, ...)
    NUMBER_DIGITS,
    SOURCE_LIMIT,
    SPLIT_MODES,
    Defaults,
    JobPlan,
    NewJob,
    PlannedIssue,
    SourceLine,
    _check_people_and_dates,
    _check_sources,
    _check_stage,
    _figures,
    check_job,
    defaults,
    get_job_in_scope,
    lock_items,
    lock_job,
    require_open,
    source_candidates,
    staff_options,
)
from lib.units import WEIGHT_QUANTUM, format_weight, from_grams, to_grams
from lib.workspace.settings import default_weight_unit, get_workspace

# ---------------------------------------------------------------------------
# Creating a job, issuing into it
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class IssueResult:
    tag_id: str
    quantity: int
    weight: Decimal
    weight_unit: str


@dataclass(frozen=True)
class CreatedJob:
    job_id: int
    number: str
    issued: list[IssueResult]
    warnings: list[str]


def next_job_number(session: Session, prefix: str) -> str:
    """Reserve the next job ID for `prefix` (row-locked sequence; numbers taken by other means are skipped)."""
    return sequences.next_free(session, JobSequence, prefix, ProductionJob.number, NUMBER_DIGITS)


def _issue(session: Session, actor: Actor, job: ProductionJob, planned: PlannedIssue, stage_name: str,
           recorded_at: datetime | None) -> JobIssue:
    item = session.get(InventoryItem, planned.item_id)
    if item.location_id != job.location_id:
        raise ValidationFailed(f"{item.tag_id} is no longer at the job's location; nothing was issued.")
    issued = stock.issue(session, actor=actor, right=Right.EDIT_PRODUCTION, item_id=planned.item_id,
                         reference=job.number, quantity=planned.quantity, weight=planned.weight,
                         note=f"issued into {stage_name}", movement_kind=MovementKind.PRODUCTION_ISSUE,
                         moved_at=recorded_at)
    row = JobIssue(job_id=job.id, item_id=item.id, product_id=item.product_id, kind=item.kind,
                   movement_id=issued.movement_id, quantity=issued.quantity, weight=issued.weight,
                   weight_unit=issued.weight_unit, weight_g=to_grams(issued.weight, issued.weight_unit),
                   requested_quantity=planned.requested_quantity, requested_weight=planned.requested_weight,
                   issued_at=recorded_at or utcnow(), issued_by_id=actor.user_id)
    session.add(row)
    session.flush()
    session.refresh(item)
    costs.cost_issue(session, actor.user_id, job, row, item)  # the issued share of the item's cost moves to the job
    return row


def _split(total, count: int, pieces: bool) -> list:
    """`total` over `count` items: whole pieces, or weights to 4 decimals; remainders on the first items."""
    if total is None or count == 0:
        return [None] * count
    if pieces:
        share, rest = divmod(int(total), count)
        return [share + (1 if index < rest else 0) for index in range(count)]
    share = (Decimal(total) / count).quantize(WEIGHT_QUANTUM, rounding=ROUND_DOWN)
    rest = int((Decimal(total) - share * count) / WEIGHT_QUANTUM)
    return [share + (WEIGHT_QUANTUM if index < rest else 0) for index in range(count)]


def _apply_split(session: Session, job: ProductionJob) -> None:
    """Per-item requested amounts and the job's requested totals, after the issues changed."""
    issues = session.scalars(select(JobIssue).where(JobIssue.job_id == job.id, JobIssue.returned_movement_id.is_(None))
                             .order_by(JobIssue.id)).all()
    if job.split_mode == "match":
        for row in issues:
            row.requested_quantity, row.requested_weight = None, None
        job.requested_pieces = job.requested_weight = job.requested_weight_unit = job.requested_weight_g = None
    elif job.split_mode == "even":
        pieces = _split(job.requested_pieces, len(issues), True)
        weights = _split(job.requested_weight, len(issues), False)
        for row, share, weight in zip(issues, pieces, weights):
            row.requested_quantity, row.requested_weight = share, weight
    else:
        given_pieces = [row.requested_quantity for row in issues if row.requested_quantity is not None]
        given_weights = [row.requested_weight for row in issues if row.requested_weight is not None]
        job.requested_pieces = sum(given_pieces) if given_pieces else None
        job.requested_weight = sum(given_weights, Decimal(0)) if given_weights else None
    if job.requested_weight is not None and job.requested_weight_unit:
        job.requested_weight_g = to_grams(job.requested_weight, job.requested_weight_unit)
    else:
        job.requested_weight_g = None
    session.flush()


def create_job(session: Session, *, actor: Actor, data: NewJob, recorded_at: datetime | None = None) -> CreatedJob:
    """Create a job and issue its source stock, all or nothing.

    Raises ValidationFailed listing every problem (nothing written), and the
    stock module's refusals (over-issue, an item on hold, archived or out of
    scope since the form was drawn). Warnings (a stage that does not apply to
    the issued kind) do not stop it and come back in the result.
    """
    plan = check_job(session, actor=actor, data=data)
    if plan.problems:
        raise ValidationFailed.listing("The job was not created:", plan.problems)
    actor.require_location(plan.location_id)
    linked = links.lock_orders(session, [plan.order_id])  # the order before the items (lib.production.links)
    if linked:  # checked again under the lock: the order may have changed since the form was drawn
        links.check_line(session, actor=actor, order_line_id=plan.order_line_id, product_ids=plan.product_ids)
    lock_items(session, [issue.item_id for issue in plan.issues])
    number = next_job_number(session, get_workspace(session).job_id_prefix)
    job = ProductionJob(number=number, stage_id=plan.stage.id, location_id=plan.location_id, staff_id=plan.staff_id,
                        issued_on=plan.issued_on, deadline=plan.deadline, requested_shape_id=plan.shape_id,
                        requested_size_id=plan.size_id, requested_pieces=plan.requested_pieces,
                        requested_weight=plan.requested_weight, requested_weight_unit=plan.requested_unit,
                        split_mode=plan.split, notes=plan.notes, order_id=plan.order_id,
                        order_line_id=plan.order_line_id, created_by_id=actor.user_id,
                        written_off_g=Decimal(0), close_note="", created_at=recorded_at or utcnow())
    session.add(job)
    session.flush()
    session.add_all([JobProduct(job_id=job.id, product_id=product_id) for product_id in plan.product_ids])
    rows = [_issue(session, actor, job, planned, plan.stage.name, recorded_at) for planned in plan.issues]
    session.flush()
    _apply_split(session, job)
    audit.record(session, actor_id=actor.user_id, action="create production job", entity="production_job",
                 entity_id=job.id, new={"number": number, "stage_id": job.stage_id, "location_id": job.location_id,
                                        "staff_id": job.staff_id, "issued_on": job.issued_on,
                                        "deadline": job.deadline, "split": job.split_mode,
                                        "requested_weight": job.requested_weight,
                                        "requested_weight_unit": job.requested_weight_unit,
                                        "order_line_id": job.order_line_id,
                                        "issues": [row.movement_id for row in rows]})
    if linked:
        links.record_link(session, actor_id=actor.user_id, job=job, old=(None, None),
                          new=(job.order_id, job.order_line_id))
        links.refresh_orders(session, linked, actor.user_id)
    return CreatedJob(job.id, number, [_issue_result(session, row) for row in rows], plan.warnings)


def _issue_result(session: Session, row: JobIssue) -> IssueResult:
    return IssueResult(session.get(InventoryItem, row.item_id).tag_id, row.quantity, row.weight, row.weight_unit)


def issue_to_job(session: Session, *, actor: Actor, job_id: int, sources, recorded_at: datetime | None = None
                 ) -> list[IssueResult]:
    """Issue more source stock into an open job (from the job's location); the per-item split is re-applied.

    The progress base follows the new stock: with "Match issued" it is the net issued weight anyway; with
    "Split evenly" or "Per item", each `SourceLine`'s `requested_quantity` / `requested_weight` (the job's
    requested unit) says what the new stock should yield, and when left empty it should yield what is issued
    (its weight converted to that unit); "Split evenly" adds it to the job's requested totals.
    """
    job = lock_job(session, actor=actor, job_id=job_id)
    require_open(job, "stock")
    if not sources:
        raise ValidationFailed("Choose at least one item to issue.")
    plan = JobPlan(stage=session.get(ProductionStage, job.stage_id))
    issued_before = set(session.scalars(select(JobIssue.item_id).where(JobIssue.job_id == job.id,
                                                                       JobIssue.returned_movement_id.is_(None))))
    _check_sources(session, actor, plan, sources, [], job.location_id)
    for planned in plan.issues:
        if planned.item_id in issued_before:
            plan.problems[f"again_{planned.item_id}"] = f"{planned.tag_id} is already issued into {job.number}"
        if job.split_mode == "match" and (planned.requested_quantity is not None
                                          or planned.requested_weight is not None):
            plan.problems[f"requested_{planned.item_id}"] = (
                f"{planned.tag_id}: with 'Match issued' the new stock should yield what is issued: leave its "
                "requested amounts empty")
    if plan.problems:
        raise ValidationFailed.listing("Nothing was issued:", plan.problems)
    linked = links.lock_orders(session, [job.order_id])
    lock_items(session, [issue.item_id for issue in plan.issues])
    rows = [_issue(session, actor, job, planned, plan.stage.name, recorded_at) for planned in plan.issues]
    known = set(session.scalars(select(JobProduct.product_id).where(JobProduct.job_id == job.id)))
    session.add_all([JobProduct(job_id=job.id, product_id=product_id)
                     for product_id in sorted({row.product_id for row in rows} - known)])
    session.flush()
    links.check_products_after_issue(session, job)
    _request_more(session, job, rows)
    _apply_split(session, job)
    audit.record(session, actor_id=actor.user_id, action="issue into production job", entity="production_job",
                 entity_id=job.id, new={"number": job.number, "issues": [row.movement_id for row in rows]})
    links.refresh_orders(session, linked, actor.user_id)
    return [_issue_result(session, row) for row in rows]


def _request_more(session: Session, job: ProductionJob, rows: list[JobIssue]) -> None:
    """What newly issued stock should yield ("Split evenly" / "Per item"): as entered, else as issued."""
    if job.split_mode == "match":
        return
    symbol = job.requested_weight_unit or default_weight_unit(session)
    for row in rows:
        if row.requested_quantity is None and job.requested_pieces is not None:
            row.requested_quantity = row.quantity
        if row.requested_weight is None and job.requested_weight is not None:
            row.requested_weight = from_grams(row.weight_g, symbol)
    if job.split_mode == "even":
        if job.requested_pieces is not None:
            job.requested_pieces += sum(row.requested_quantity or 0 for row in rows)
        if job.requested_weight is not None:
            job.requested_weight += sum((row.requested_weight or Decimal(0) for row in rows), Decimal(0))
    session.flush()


# ---------------------------------------------------------------------------
# Changing, closing, removing
# ---------------------------------------------------------------------------

def edit_job(session: Session, *, actor: Actor, job_id: int, staff_id: int | None, deadline: date | None,
             notes: str, stage_id: int | None = None) -> ProductionJob:
    """Change an open job's staff, deadline, notes and (before anything was received) its stage."""
    job = lock_job(session, actor=actor, job_id=job_id)
    require_open(job, "changes")
    plan = JobPlan(location_id=job.location_id)
    _check_people_and_dates(session, plan, NewJob(staff_id=staff_id, issued_on=job.issued_on, deadline=deadline,
                                                  notes=notes))
    plan.problems.pop("issued_on", None)
    changes = {"staff_id": plan.staff_id, "deadline": plan.deadline, "notes": plan.notes}
    if stage_id is not None and int(stage_id) != job.stage_id:
        _check_stage(session, plan, stage_id)
        if session.scalar(select(exists().where(JobReceipt.job_id == job.id))):
            plan.problems["stage_id"] = "The stage cannot change once output was received"
        changes["stage_id"] = plan.stage.id if plan.stage else job.stage_id
    if plan.problems:
        raise ValidationFailed.listing(f"{job.number} was not changed:", plan.problems)
    old, new = audit.changed_fields(job, changes)
    if new:
        audit.record(session, actor_id=actor.user_id, action="edit production job", entity="production_job",
                     entity_id=job.id, old=old, new=new)
    session.flush()
    return job


class GainNeedsConfirmation(ValidationFailed):
    """More metal was recovered than issued: nothing was written; repeat with `confirm_gain=True` to record it."""


def close_job(session: Session, *, actor: Actor, job_id: int, reason: str = "", confirm_gain: bool = False,
              recorded_at: datetime | None = None) -> ProductionJob:
    """Complete an open job against its metal balance (vs issued, never vs the requested weight).

    Outstanding metal (issued - returned - everything recorded) above zero is written off as waste, which
    needs a reason; below zero (recovered more than issued) it is recorded as a gain, which needs
    `confirm_gain` (GainNeedsConfirmation otherwise, nothing written). Afterwards the job balances to 0 g.
    """
    job = lock_job(session, actor=actor, job_id=job_id)
    require_open(job, "changes")
    linked = links.lock_orders(session, [job.order_id])
    figures = _figures(session, job)
    if not figures.issues:
        raise ValidationFailed(f"Nothing is issued into {job.number}: delete it, or issue stock first.")
    outstanding = figures.balance().outstanding
    note = as_validation(clean_text, reason, "Reason", 500)
    if outstanding > 0:
        note = required_reason(reason, "Reason for writing off the unaccounted metal")
        job.written_off_g = outstanding
    elif outstanding < 0:
        if not confirm_gain:
            raise GainNeedsConfirmation(
                f"{job.number} recovered {_format_grams(session, -outstanding)} more than was issued (net of returns). "
                "Check the weights and units; if they are right, confirm to record it as a gain.")
        job.gain_g = -outstanding
    costs.write_off_rest(session, actor.user_id, job)  # the cost still at the bench (lib.production.costs)
    job.closed_as, job.closed_at, job.closed_by_id, job.close_note = (JobStatus.COMPLETED, recorded_at or utcnow(),
                                                                      actor.user_id, note)
    audit.record(session, actor_id=actor.user_id, action="complete production job", entity="production_job",
                 entity_id=job.id, new={"number": job.number, "written_off_g": job.written_off_g,
                                        "gain_g": job.gain_g, "reason": note})
    session.flush()
    links.refresh_orders(session, linked, actor.user_id)
    return job


def _format_grams(session: Session, grams: Decimal) -> str:
    """Grams in the workspace default unit, for messages."""
    symbol = default_weight_unit(session)
    return format_weight(from_grams(grams, symbol), symbol)


def _give_back_rest(session: Session, actor: Actor, job: ProductionJob, issue: JobIssue, note: str,
                    recorded_at: datetime | None) -> int:
    """Give back what one issue still has out (cancelling its job, under the job's lock): the RETURN movement's
    id, or, when bench returns already brought everything back, the last of those."""
    pieces, weight = bench.still_out(session, issue)
    if pieces <= 0 and weight <= 0:
        return session.scalar(select(JobReturn.movement_id).where(JobReturn.issue_id == issue.id)
                              .order_by(JobReturn.id.desc()).limit(1))
    back = stock.give_back(session, actor=actor, right=Right.EDIT_PRODUCTION, item_id=issue.item_id,
                           location_id=job.location_id, reference=job.number, quantity=max(pieces, 0),
                           weight=max(weight, Decimal(0)), note=note, movement_kind=MovementKind.RETURN,
                           moved_at=recorded_at)
    return back.movement_id


def cancel_job(session: Session, *, actor: Actor, job_id: int, reason: str,
               recorded_at: datetime | None = None) -> ProductionJob:
    """Cancel an open job that received nothing: what each issue still has out goes back (a reason is required).

    Back to the source item (a RETURN movement), restored through the stock module when it was emptied and
    archived meanwhile; to a new -RET item when the source has moved to another location.
    """
    why = required_reason(reason, "Reason for cancelling")
    job = lock_job(session, actor=actor, job_id=job_id)
    require_open(job, "changes")
    if session.scalar(select(exists().where(JobReceipt.job_id == job.id))):
        raise ValidationFailed(f"{job.number} has received output, so it cannot be cancelled: complete it instead.")
    linked = links.lock_orders(session, [job.order_id])
    rows = session.scalars(select(JobIssue).where(JobIssue.job_id == job.id, JobIssue.returned_movement_id.is_(None))
                           .order_by(JobIssue.item_id)).all()
    lock_items(session, [row.item_id for row in rows])
    for row in rows:
        back = _give_back_rest(session, actor, job, row, f"{job.number} cancelled", recorded_at)
        row.returned_movement_id, row.returned_at = back, recorded_at or utcnow()
        costs.cost_cancel(session, actor.user_id, job, row, back)  # the issue's cost goes back with the stock
    costs.write_off_rest(session, actor.user_id, job)  # what is left is the job's labour
    job.closed_as, job.closed_at, job.closed_by_id, job.close_note = (JobStatus.CANCELLED, recorded_at or utcnow(),
                                                                      actor.user_id, why)
    audit.record(session, actor_id=actor.user_id, action="cancel production job", entity="production_job",
                 entity_id=job.id, new={"number": job.number, "returned": [row.returned_movement_id for row in rows],
                                        "reason": why})
    session.flush()
    links.refresh_orders(session, linked, actor.user_id)
    return job


def delete_job(session: Session, *, actor: Actor, job_id: int) -> str:
    """Delete a job that never issued anything (admins and managers); its ID is not reused. Returns the ID."""
    job = lock_job(session, actor=actor, job_id=job_id, right=Right.DELETE_PRODUCTION)
    if session.scalar(select(exists().where(JobIssue.job_id == job.id))):
        raise ValidationFailed(f"{job.number} has issued stock, so it stays on record: cancel or complete it.")
    linked = links.lock_orders(session, [job.order_id])
    if linked:
        links.record_link(session, actor_id=actor.user_id, job=job, old=(job.order_id, job.order_line_id),
                          new=(None, None))
    number = job.number
    audit.record(session, actor_id=actor.user_id, action="delete production job", entity="production_job",
                 entity_id=job.id, old={"number": number, "stage_id": job.stage_id, "location_id": job.location_id,
                                        "deadline": job.deadline, "notes": job.notes})
    session.execute(delete(JobProduct).where(JobProduct.job_id == job.id))
    session.execute(delete(CostComponent).where(CostComponent.job_id == job.id))  # its labour, if any
    session.delete(job)
    session.flush()
    links.refresh_orders(session, linked, actor.user_id)
    return number


def link_job(session: Session, *, actor: Actor, job_id: int, order_line_id: int | None,
             order_id: int | None = None) -> ProductionJob:
    """Link a job to a sales order line, move it to another line, or clear the link (`order_line_id` None).

    Admins and managers (production and orders rights); rules in `lib.production.links`. Both orders
    concerned are refreshed, so the line statuses and fulfilment follow.
    """
    links.require_link_rights(actor)
    job = lock_job(session, actor=actor, job_id=job_id)
    old = (job.order_id, job.order_line_id)
    if order_line_id is None:
        if order_id is not None:
            raise ValidationFailed("Order line: choose the line of the order the job works on.")
        new = (None, None)
    else:
        if job.closed_as is JobStatus.CANCELLED:
            raise ValidationFailed(f"{job.number} is cancelled: it made nothing to link to an order.")
        order, line = links.check_line(session, actor=actor, order_line_id=order_line_id, order_id=order_id,
                                       product_ids=links.job_product_ids(session, job.id))
        new = (order.id, line.id)
    if new == old:
        return job
    linked = links.lock_orders(session, [old[0], new[0]])
    if new[1] is not None:  # again under the order's lock
        links.check_line(session, actor=actor, order_line_id=new[1], product_ids=links.job_product_ids(session, job.id))
    job.order_id, job.order_line_id = new
    session.flush()
    links.record_link(session, actor_id=actor.user_id, job=job, old=old, new=new)
    links.refresh_orders(session, linked, actor.user_id)
    return job

