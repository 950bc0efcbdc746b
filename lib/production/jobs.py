"""Production jobs (reference 3.13.1-3.13.3): create one that issues source stock into a stage, issue more,
edit, complete, cancel, delete.

Every write takes the Actor, checks the right and the job's location, and runs
in the caller's transaction (one per action): it happens completely or not at
all. Stock leaves through `lib.inventory.stock.issue` (a PRODUCTION_ISSUE
movement whose reference is the job ID) and comes back only through
`stock.return_issued`; `JobIssue` rows record each issue with its movement.

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
- Status: see `lib.production.totals`. Completing needs something issued: with
  pending 0 (or over-recovery) it just closes; with pending left the user
  writes it off as waste with a reason (it then counts in Waste). Cancelling
  is for jobs that received nothing: everything issued goes back to its source
  items (RETURN movements), reason required. Closed jobs take no more stock,
  receipts or edits.
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

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from lib import audit, sequences
from lib.access import Actor, Right, get_item_in_scope
from lib.errors import NotFound, ValidationFailed
from lib.inventory import stock
from lib.inventory.forms import MAX_NOTES, as_validation, check_catalog_id, clean_text, parse_quantity, required_reason
from lib.inventory.query import ItemFilters, Page, page_rows
from lib.models import (
    InventoryItem,
    ItemStatus,
    JobIssue,
    JobProduct,
    JobReceipt,
    JobSequence,
    JobStatus,
    Location,
    MovementKind,
    Product,
    ProductionJob,
    ProductionStage,
    Role,
    User,
    utcnow,
)
from lib.production import links
from lib.production import stages as stage_catalog
from lib.production.totals import Figures, job_figures
from lib.units import WEIGHT_QUANTUM, format_weight, is_unit, parse_weight, to_grams, unit
from lib.workspace.settings import get_workspace

SPLIT_MODES: dict[str, str] = {"match": "Match issued", "even": "Split evenly", "item": "Per item"}
"""Per-item requested amounts: mode -> label."""
NUMBER_DIGITS = 4
SOURCE_LIMIT = 200


# ---------------------------------------------------------------------------
# Finding a job
# ---------------------------------------------------------------------------

def get_job_in_scope(session: Session, *, actor: Actor, job_id) -> ProductionJob:
    """The job if it exists and its location is in the actor's scope; NotFound otherwise (never which)."""
    actor.require(Right.VIEW_PRODUCTION)
    try:
        job = session.get(ProductionJob, int(job_id))
    except (TypeError, ValueError):
        job = None
    if job is None or not actor.can_see_location(job.location_id):
        raise NotFound("No such production job in your locations.")
    return job


def lock_job(session: Session, *, actor: Actor, job_id, right: Right = Right.EDIT_PRODUCTION) -> ProductionJob:
    """Check the right and the scope, then lock the job row (re-read) for a change; NotFound outside the scope."""
    actor.require(right)
    get_job_in_scope(session, actor=actor, job_id=job_id)
    stmt = (select(ProductionJob).where(ProductionJob.id == int(job_id)).with_for_update()
            .execution_options(populate_existing=True))
    job = session.scalars(stmt).one()
    actor.require_location(job.location_id)
    return job


def _figures(session: Session, job: ProductionJob) -> Figures:
    return job_figures(session, [job.id])[job.id]


def require_open(job: ProductionJob, what: str) -> None:
    """Refuse a change to a completed or cancelled job, naming `what` it no longer takes."""
    if job.closed_as is not None:
        raise ValidationFailed(f"{job.number} is {job.closed_as.label.lower()}: it takes no more {what}.")


# ---------------------------------------------------------------------------
# What the form offers
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Defaults:
    stage_id: int | None
    due_date_offset_days: int
    job_id_prefix: str
    unit: str

    def deadline_for(self, issued_on: date) -> date:
        return issued_on + timedelta(days=self.due_date_offset_days)


def defaults(session: Session) -> Defaults:
    """The workspace's production defaults for a new job (stage, deadline offset, prefix, unit)."""
    workspace = get_workspace(session)
    stage = stage_catalog.default_stage(session)
    return Defaults(stage.id if stage else None, workspace.due_date_offset_days, workspace.job_id_prefix,
                    workspace.default_weight_unit)


def staff_options(session: Session, *, actor: Actor, location_id: int) -> list[tuple[int, str]]:
    """Who may be assigned a job at `location_id`: its active users and the admins, by name (empty outside scope)."""
    actor.require(Right.VIEW_PRODUCTION)
    if not actor.can_see_location(location_id):
        return []
    stmt = (select(User.id, User.name).where(User.active.is_(True),
                                             or_(User.location_id == location_id, User.role == Role.ADMIN))
            .order_by(User.name))
    return [(user_id, name) for user_id, name in session.execute(stmt)]


def source_candidates(session: Session, *, actor: Actor, location_id: int, product_ids=(), search: str = "",
                      limit: int = SOURCE_LIMIT) -> list[dict]:
    """Available items holding stock at `location_id` (in scope) of the chosen products, by tag: the source list.

    Built on `lib.inventory.query.page_rows`, the one scoped row query.
    """
    actor.require(Right.EDIT_PRODUCTION)
    if not actor.can_see_location(location_id):
        return []
    filters = ItemFilters(search=search or "", product_ids=tuple(product_ids), location_ids=(int(location_id),),
                          statuses=(ItemStatus.AVAILABLE,), in_stock_only=True)
    return page_rows(session, actor=actor, filters=filters, page=Page(size=limit, sort="tag_id", descending=False),
                     with_thumbnail=False)


# ---------------------------------------------------------------------------
# Checking a new job
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceLine:
    """One source item to issue: both amounts None = its whole balance (in the item's unit otherwise).

    `requested_quantity` / `requested_weight`: what it should yield, for the "item" split (the job's unit).
    """

    item_id: int
    quantity: object = None
    weight: object = None
    requested_quantity: object = None
    requested_weight: object = None


@dataclass
class NewJob:
    """What the create form asks for; checked by `check_job`."""

    stage_id: int | None = None  # None: the default start stage
    location_id: int | None = None  # None: the source items' location (else the actor's own)
    product_ids: tuple[int, ...] = ()
    sources: tuple[SourceLine, ...] = ()
    requested_shape_id: int | None = None
    requested_size_id: int | None = None
    requested_pieces: object = None
    requested_weight: object = None
    requested_weight_unit: str | None = None  # None: the workspace default unit
    split: str = "match"
    staff_id: int | None = None
    issued_on: date | None = None  # None: today
    deadline: date | None = None
    notes: str = ""
    order_id: int | None = None  # the sales order and its line the job works on: both or neither
    order_line_id: int | None = None


@dataclass(frozen=True)
class PlannedIssue:
    item_id: int
    tag_id: str
    product_id: int
    kind: object
    weight_unit: str
    quantity: int | None  # None with weight None: the whole balance
    weight: Decimal | None
    requested_quantity: int | None
    requested_weight: Decimal | None


@dataclass
class JobPlan:
    """A checked job: resolved values, every problem by field, and warnings that do not stop it."""

    stage: ProductionStage | None = None
    location_id: int | None = None
    product_ids: list[int] = field(default_factory=list)
    issues: list[PlannedIssue] = field(default_factory=list)
    shape_id: int | None = None
    size_id: int | None = None
    requested_pieces: int | None = None
    requested_weight: Decimal | None = None
    requested_unit: str | None = None
    split: str = "match"
    staff_id: int | None = None
    issued_on: date | None = None
    deadline: date | None = None
    notes: str = ""
    order_id: int | None = None
    order_line_id: int | None = None
    problems: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _parse(problems: dict, key: str, function, *args):
    try:
        return function(*args)
    except (ValueError, ValidationFailed) as error:
        problems[key] = str(error)
        return None


def _optional_pieces(raw, label: str) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return parse_quantity(raw, label)


def _optional_weight(raw, label: str) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return parse_weight(raw, label)


def _check_stage(session: Session, plan: JobPlan, stage_id) -> None:
    stage = (session.get(ProductionStage, int(stage_id)) if stage_id is not None
             else stage_catalog.default_stage(session))
    if stage is None:
        plan.problems["stage_id"] = "Stage: choose a production stage (an admin adds stages in Settings)"
    elif not stage.active:
        plan.problems["stage_id"] = f"Stage {stage.name} is switched off"
    plan.stage = stage


def _check_sources(session: Session, actor: Actor, plan: JobPlan, lines, product_ids, location_id) -> None:
    seen = set()
    for number, line in enumerate(lines, start=1):
        key = f"source_{number}"
        try:
            item = get_item_in_scope(session, actor=actor, item_id=int(line.item_id))
        except (NotFound, TypeError, ValueError):
            plan.problems[key] = f"Source {number}: no such inventory item in your locations"
            continue
        if item.id in seen:
            plan.problems[key] = f"{item.tag_id} is chosen twice"
            continue
        seen.add(item.id)
        if item.status is not ItemStatus.AVAILABLE:
            plan.problems[key] = f"{item.tag_id} is {item.status.label.lower()}; only available stock can be issued"
            continue
        if product_ids and item.product_id not in product_ids:
            plan.problems[key] = f"{item.tag_id} is not of the chosen products"
            continue
        if location_id is None:
            location_id = item.location_id
        if item.location_id != location_id:
            plan.problems[key] = (f"{item.tag_id} is at another location: a job issues stock from one location")
            continue
        amounts = _line_amounts(plan, key, item, line)
        if amounts is None:
            continue
        quantity, weight = amounts
        requested_quantity = _parse(plan.problems, f"{key}_requested", _optional_pieces, line.requested_quantity,
                                    f"{item.tag_id} requested pieces")
        requested_weight = _parse(plan.problems, f"{key}_requested_weight", _optional_weight, line.requested_weight,
                                  f"{item.tag_id} requested weight")
        plan.issues.append(PlannedIssue(item.id, item.tag_id, item.product_id, item.kind, item.weight_unit,
                                        quantity, weight, requested_quantity, requested_weight))
    plan.location_id = location_id


def _line_amounts(plan: JobPlan, key: str, item: InventoryItem, line: SourceLine):
    """(pieces, weight) to issue, (None, None) for the whole balance, or None after recording a problem."""
    if line.quantity is None and line.weight is None:
        if item.quantity == 0 and item.weight == 0:
            plan.problems[key] = f"{item.tag_id} holds no stock"
            return None
        return None, None
    pieces = _parse(plan.problems, key, lambda raw: parse_quantity(raw, f"{item.tag_id} pieces"), line.quantity or 0)
    weight = _parse(plan.problems, f"{key}_weight",
                    lambda raw: parse_weight(raw, f"{item.tag_id} weight", allow_zero=True), line.weight or 0)
    if pieces is None or weight is None:
        return None
    if pieces == 0 and weight == 0:
        plan.problems[key] = f"{item.tag_id}: enter the pieces and/or weight to issue"
        return None
    if pieces > item.quantity or weight > item.weight:
        plan.problems[key] = (f"{item.tag_id} holds {item.quantity} pcs and "
                              f"{format_weight(item.weight, item.weight_unit)}; cannot issue {pieces} pcs and "
                              f"{format_weight(weight, item.weight_unit)}")
        return None
    return pieces, weight


def _check_location(session: Session, actor: Actor, plan: JobPlan) -> None:
    if plan.location_id is None:
        plan.location_id = actor.home_location_id
    location = session.get(Location, plan.location_id) if plan.location_id is not None else None
    if location is None or not location.active or not actor.can_see_location(location.id):
        plan.problems["location_id"] = "Location: choose an active location you work with"


def _check_requested(session: Session, plan: JobPlan, data: NewJob) -> None:
    problems = plan.problems
    plan.shape_id = _parse(problems, "requested_shape_id", check_catalog_id, session, "shape_id",
                           data.requested_shape_id)
    plan.size_id = _parse(problems, "requested_size_id", check_catalog_id, session, "size_id", data.requested_size_id)
    if data.split not in SPLIT_MODES:
        problems["split"] = f"Per-item split must be one of: {', '.join(SPLIT_MODES.values())}"
        return
    plan.split = data.split
    if plan.split != "item" and any(i.requested_quantity is not None or i.requested_weight is not None
                                    for i in plan.issues):
        problems["split"] = "Requested amounts per item are for the 'Per item' split only"
    symbol = data.requested_weight_unit or get_workspace(session).default_weight_unit
    if not is_unit(symbol):
        problems["requested_weight_unit"] = f"Requested weight unit: unknown unit {symbol!r}"
        return
    plan.requested_unit = unit(symbol).symbol
    pieces = _parse(problems, "requested_pieces", _optional_pieces, data.requested_pieces, "Requested pieces")
    weight = _parse(problems, "requested_weight", _optional_weight, data.requested_weight, "Requested weight")
    if plan.split == "match":
        if pieces is not None or weight is not None:
            problems["split"] = ("With 'Match issued' each item should yield what is issued: leave the requested "
                                 "pieces and weight empty, or choose 'Split evenly'")
        plan.requested_unit = None
        return
    if plan.split == "item":
        if pieces is not None or weight is not None:
            problems["split"] = "With 'Per item' the requested totals are the sums of the items: leave them empty"
        given_pieces = [i.requested_quantity for i in plan.issues if i.requested_quantity is not None]
        given_weights = [i.requested_weight for i in plan.issues if i.requested_weight is not None]
        pieces = sum(given_pieces) if given_pieces else None
        weight = sum(given_weights, Decimal(0)) if given_weights else None
    plan.requested_pieces, plan.requested_weight = pieces, weight


def _check_people_and_dates(session: Session, plan: JobPlan, data: NewJob) -> None:
    problems = plan.problems
    today = utcnow().date()
    plan.issued_on = data.issued_on or today
    if plan.issued_on > today:
        problems["issued_on"] = "Issued date cannot be in the future"
    plan.deadline = data.deadline
    if plan.deadline is not None and plan.deadline < plan.issued_on:
        problems["deadline"] = "Deadline cannot be before the issued date"
    plan.notes = _parse(problems, "notes", clean_text, data.notes, "Notes", MAX_NOTES) or ""
    if data.staff_id is not None:
        staff = session.get(User, int(data.staff_id))
        if staff is None or not staff.active or not (staff.role is Role.ADMIN or staff.location_id == plan.location_id):
            problems["staff_id"] = "Staff: choose an active person of the job's location"
        else:
            plan.staff_id = staff.id


def check_job(session: Session, *, actor: Actor, data: NewJob) -> JobPlan:
    """Check a new job without writing anything: the plan, every problem by field, and warnings."""
    actor.require(Right.EDIT_PRODUCTION)
    plan = JobPlan()
    _check_stage(session, plan, data.stage_id)
    product_ids = []
    for product_id in data.product_ids:
        product = session.get(Product, int(product_id))
        if product is None:
            plan.problems["product_ids"] = "Products: no such product"
        else:
            product_ids.append(product.id)
    _check_sources(session, actor, plan, data.sources, product_ids, data.location_id)
    _check_location(session, actor, plan)
    plan.product_ids = sorted(set(product_ids) | {issue.product_id for issue in plan.issues})
    _check_requested(session, plan, data)
    _check_people_and_dates(session, plan, data)
    _check_link(session, actor, plan, data)
    if plan.stage is not None:
        plan.warnings.extend(stage_catalog.stage_warnings(plan.stage, {issue.kind for issue in plan.issues}))
    return plan


def _check_link(session: Session, actor: Actor, plan: JobPlan, data: NewJob) -> None:
    """The order line of a new job (optional; both the order and the line, or neither)."""
    if data.order_line_id is None:
        if data.order_id is not None:
            plan.problems["order_line_id"] = "Order line: choose the line of the order the job works on"
        return
    links.require_link_rights(actor)
    try:
        order, line = links.check_line(session, actor=actor, order_line_id=data.order_line_id,
                                       order_id=data.order_id, product_ids=plan.product_ids)
    except (NotFound, ValidationFailed) as error:
        plan.problems["order_line_id"] = str(error).rstrip(".")
        return
    plan.order_id, plan.order_line_id = order.id, line.id


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


def _lock_items(session: Session, item_ids) -> None:
    """Row-lock the source items in id order before any is issued (never a deadlock between two jobs)."""
    ids = sorted(set(item_ids))
    if ids:
        session.scalars(select(InventoryItem).where(InventoryItem.id.in_(ids)).order_by(InventoryItem.id)
                        .with_for_update().execution_options(populate_existing=True)).all()


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
    _lock_items(session, [issue.item_id for issue in plan.issues])
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
    """Issue more source stock into an open job (from the job's location); the per-item split is re-applied."""
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
    if plan.problems:
        raise ValidationFailed.listing("Nothing was issued:", plan.problems)
    linked = links.lock_orders(session, [job.order_id])
    _lock_items(session, [issue.item_id for issue in plan.issues])
    rows = [_issue(session, actor, job, planned, plan.stage.name, recorded_at) for planned in plan.issues]
    known = set(session.scalars(select(JobProduct.product_id).where(JobProduct.job_id == job.id)))
    session.add_all([JobProduct(job_id=job.id, product_id=product_id)
                     for product_id in sorted({row.product_id for row in rows} - known)])
    session.flush()
    links.check_products_after_issue(session, job)
    _apply_split(session, job)
    audit.record(session, actor_id=actor.user_id, action="issue into production job", entity="production_job",
                 entity_id=job.id, new={"number": job.number, "issues": [row.movement_id for row in rows]})
    links.refresh_orders(session, linked, actor.user_id)
    return [_issue_result(session, row) for row in rows]


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


def close_job(session: Session, *, actor: Actor, job_id: int, reason: str = "",
              recorded_at: datetime | None = None) -> ProductionJob:
    """Complete an open job. Pending left over is written off as waste, which needs a reason."""
    job = lock_job(session, actor=actor, job_id=job_id)
    require_open(job, "changes")
    linked = links.lock_orders(session, [job.order_id])
    figures = _figures(session, job)
    if not figures.issues:
        raise ValidationFailed(f"Nothing is issued into {job.number}: delete it, or issue stock first.")
    pending = figures.progress().pending
    note = as_validation(clean_text, reason, "Reason", 500)
    if pending is not None and pending > 0:
        note = required_reason(reason, "Reason for writing off the pending weight")
        job.written_off_g = pending
    job.closed_as, job.closed_at, job.closed_by_id, job.close_note = (JobStatus.COMPLETED, recorded_at or utcnow(),
                                                                      actor.user_id, note)
    audit.record(session, actor_id=actor.user_id, action="complete production job", entity="production_job",
                 entity_id=job.id, new={"number": job.number, "written_off_g": job.written_off_g, "reason": note})
    session.flush()
    links.refresh_orders(session, linked, actor.user_id)
    return job


def cancel_job(session: Session, *, actor: Actor, job_id: int, reason: str,
               recorded_at: datetime | None = None) -> ProductionJob:
    """Cancel an open job that received nothing: every issue goes back to its source item (a reason is required)."""
    why = required_reason(reason, "Reason for cancelling")
    job = lock_job(session, actor=actor, job_id=job_id)
    require_open(job, "changes")
    if session.scalar(select(exists().where(JobReceipt.job_id == job.id))):
        raise ValidationFailed(f"{job.number} has received output, so it cannot be cancelled: complete it instead.")
    linked = links.lock_orders(session, [job.order_id])
    rows = session.scalars(select(JobIssue).where(JobIssue.job_id == job.id, JobIssue.returned_movement_id.is_(None))
                           .order_by(JobIssue.item_id)).all()
    _lock_items(session, [row.item_id for row in rows])
    for row in rows:
        back = stock.return_issued(session, actor=actor, right=Right.EDIT_PRODUCTION, item_id=row.item_id,
                                   reference=job.number, quantity=row.quantity, weight=row.weight,
                                   note=f"{job.number} cancelled", moved_at=recorded_at)
        row.returned_movement_id, row.returned_at = back.movement_id, recorded_at or utcnow()
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

