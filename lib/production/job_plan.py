"""Production jobs, the read and check half (split from `lib.production.jobs`, which writes): finding and
locking a job in scope, what the create form offers, and checking a new job without writing anything.

The rules are those of `lib.production.jobs` (its docstring lists the decisions); `lib.production.jobs`
re-exports every public name here, so callers keep using `jobs.check_job`, `jobs.NewJob` and so on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lib.access import Actor, Right, get_item_in_scope
from lib.errors import NotFound, ValidationFailed
from lib.inventory.forms import MAX_NOTES, check_catalog_id, clean_text, parse_quantity
from lib.inventory.query import ItemFilters, Page, page_rows
from lib.models import (
    InventoryItem,
    ItemStatus,
    Location,
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
from lib.units import format_weight, is_unit, parse_weight, unit
from lib.workspace.settings import default_weight_unit, get_workspace

SPLIT_MODES: dict[str, str] = {"match": "Match issued", "even": "Split evenly", "item": "Per item"}
"""Per-item requested amounts: mode -> label."""
NUMBER_DIGITS = 4
SOURCE_LIMIT = 200


# ---------------------------------------------------------------------------
# Finding a job
# ---------------------------------------------------------------------------

def get_job_in_scope(session: Session, *, actor: Actor, job_id) -> ProductionJob:
    """The job if it exists and its location is in the actor's scope; NotFound otherwise (never which).

    `job_id` is the job's id or its job ID as printed and scanned from the envelope's QR code ("JOB-0007")."""
    actor.require(Right.VIEW_PRODUCTION)
    text = str(job_id if job_id is not None else "").strip()
    if text.isdigit():
        job = session.get(ProductionJob, int(text)) if int(text) < 2**31 else None
    elif text and len(text) <= 40:
        job = session.scalars(select(ProductionJob).where(ProductionJob.number == text)).one_or_none()
    else:
        job = None
    if job is None or not actor.can_see_location(job.location_id):
        raise NotFound("No such production job in your locations.")
    return job


def lock_job(session: Session, *, actor: Actor, job_id, right: Right = Right.EDIT_PRODUCTION) -> ProductionJob:
    """Check the right and the scope, then lock the job row (re-read) for a change; NotFound outside the scope."""
    actor.require(right)
    found = get_job_in_scope(session, actor=actor, job_id=job_id)
    stmt = (select(ProductionJob).where(ProductionJob.id == found.id).with_for_update()
            .execution_options(populate_existing=True))
    job = session.scalars(stmt).one()
    actor.require_location(job.location_id)
    return job


def lock_items(session: Session, item_ids) -> None:
    """Row-lock items in id order before any is changed: every production path (issue, receipt, return,
    cancel) takes them in this one order, so two of them sharing items never deadlock."""
    ids = sorted(set(item_ids))
    if ids:
        session.scalars(select(InventoryItem).where(InventoryItem.id.in_(ids)).order_by(InventoryItem.id)
                        .with_for_update().execution_options(populate_existing=True)).all()


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
    symbol = data.requested_weight_unit or default_weight_unit(session)
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
