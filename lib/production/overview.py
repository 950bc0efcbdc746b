"""Reading production: the job list (tabs, stage filter, search, paging, export), the summary cards and the
stage x status chart, one job with its timeline, and what is in production for a product.

Every read is scoped to the actor through `lib.access.scope_jobs` (a job is
seen by whoever sees its location). Weights are summed in grams and shown in
the workspace default unit. Outputs received into a location the viewer does
not work with count in the job's figures (they are the job's) but are shown
without their tag or location.

Definitions (also in docs/production.md and the page's help texts):

- List "Progress" = the share of the progress base accounted for
  (100 - the bar's Pending share; over-recovery shows as 100 + the excess);
  "—" without a base. Issued kind, products: of the job's issued stock
  ("Mixed" for several kinds); Shape and Size: the requested ones.
- Summary cards: Ongoing jobs; jobs Completed in the last 7 days (closed in
  the 7 x 24 hours before now); Overdue jobs (open, deadline before today);
  Active staff (different people assigned to Ongoing jobs).
- Chart: every job by stage (in the stage order) and status.
- In production for a product: open jobs (not completed or cancelled) holding
  issued stock of the product, and that stock's issued weight; with the
  kind switch of Product Details applied to the issued items' kind.
"""
from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, and_, distinct, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from lib.access import Actor, Right, scope_jobs
from lib.models import (
    AuditEntry,
    CatalogEntry,
    InventoryItem,
    InventoryKind,
    JobIssue,
    JobOutput,
    JobProduct,
    JobReceipt,
    JobReturn,
    JobStatus,
    Location,
    OrderLine,
    OutputBucket,
    Product,
    ProductionJob,
    ProductionStage,
    User,
    utcnow,
)
from lib.production.formulas import JobProgress, MetalBalance
from lib.production.jobs import SPLIT_MODES, get_job_in_scope
from lib.production.links import JobLink, job_link
from lib.production.stages import next_stage
from lib.production.totals import Figures, is_overdue, issues_subquery, job_figures, job_status, status_expression
from lib.spreadsheet import csv_cell
from lib.units import format_weight, from_grams
from lib.workspace.settings import default_weight_unit
from lib.text import contains_pattern

TABS: dict[str, str] = {"all": "All", "ongoing": "Ongoing", "completed": "Completed", "unscheduled": "Unscheduled",
                        "scheduled": "Scheduled"}
"""List tabs (reference 3.13.2): key -> label. "All" includes cancelled jobs."""
SORTS: dict[str, str] = {"newest": "Newest first", "deadline": "Deadline (soonest first)",
                         "issued_on": "Issued date (newest first)", "number": "Job ID"}
PAGE_SIZES = (25, 50, 100)
RECENT_DAYS = 7

# Built once (immutable SQL constructs): every list, count and chart statement joins the same subquery.
_ISSUED = issues_subquery()
STATUS = status_expression(_ISSUED.c.issues)
"""The job status as SQL, for statements built by `jobs_statement`."""


@dataclass(frozen=True)
class JobFilters:
    """What the list shows: a tab, stages (empty: all), free text (job ID, stage, staff, product, source tag, notes)."""

    tab: str = "all"
    stage_ids: tuple[int, ...] = ()
    search: str = ""


@dataclass(frozen=True)
class JobPage:
    number: int = 1
    size: int = 25
    sort: str = "newest"

    @property
    def offset(self) -> int:
        return (max(self.number, 1) - 1) * self.size


def jobs_statement(actor: Actor, filters: JobFilters, *columns) -> Select:
    """SELECT `columns` FROM production_jobs (with `job_issued` joined), scoped to the actor and filtered."""
    stmt = select(*columns).select_from(ProductionJob).outerjoin(_ISSUED, _ISSUED.c.job_id == ProductionJob.id)
    stmt = scope_jobs(stmt, actor)
    conditions = []
    if filters.tab not in TABS:
        raise ValueError(f"Unknown tab {filters.tab!r}")
    if filters.tab != "all":
        conditions.append(STATUS == filters.tab)
    if filters.stage_ids:
        conditions.append(ProductionJob.stage_id.in_(sorted(filters.stage_ids)))
    pattern = contains_pattern(filters.search)
    if pattern:
        conditions.append(or_(
            func.lower(ProductionJob.number).like(pattern, escape="\\"),
            func.lower(ProductionJob.notes).like(pattern, escape="\\"),
            ProductionJob.stage_id.in_(select(ProductionStage.id).where(
                or_(func.lower(ProductionStage.name).like(pattern, escape="\\"),
                    func.lower(ProductionStage.code).like(pattern, escape="\\")))),
            ProductionJob.staff_id.in_(select(User.id).where(func.lower(User.name).like(pattern, escape="\\"))),
            exists().where(JobProduct.job_id == ProductionJob.id, JobProduct.product_id.in_(
                select(Product.id).where(func.lower(Product.name).like(pattern, escape="\\")))),
            exists().where(JobIssue.job_id == ProductionJob.id, JobIssue.item_id.in_(
                select(InventoryItem.id).where(func.lower(InventoryItem.tag_id).like(pattern, escape="\\")))),
        ))
    return stmt.where(and_(*conditions)) if conditions else stmt


def _order(sort: str) -> list:
    if sort not in SORTS:
        raise ValueError(f"Cannot sort by {sort!r}")
    return {"newest": [ProductionJob.id.desc()],
            "deadline": [ProductionJob.deadline.is_(None), ProductionJob.deadline.asc(), ProductionJob.id.asc()],
            "issued_on": [ProductionJob.issued_on.desc(), ProductionJob.id.desc()],
            "number": [ProductionJob.number.asc()]}[sort]


@dataclass(frozen=True)
class JobRow:
    """One job as the list, the export and Product Details show it (weights in `unit`)."""

    id: int
    number: str
    stage: str
    location: str
    products: str
    staff: str
    status: JobStatus
    overdue: bool
    issued_kind: str
    shape: str
    size: str
    issued_on: date
    deadline: date | None
    unit: str
    requested: Decimal | None
    issued: Decimal
    received: Decimal
    rejected: Decimal
    scrapped: Decimal
    waste: Decimal
    progress: JobProgress
    returned: Decimal = Decimal(0)
    unaccounted: Decimal = Decimal(0)  # the metal balance's outstanding (vs issued), signed

    @property
    def pending(self) -> Decimal | None:
        return self.progress.pending

    @property
    def progress_pct(self) -> Decimal | None:
        return self.progress.accounted_pct


def _names(session: Session, model, ids) -> dict[int, str]:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _rows(session: Session, job_ids: list[int], unit: str, today: date) -> list[JobRow]:
    """Display rows for already scoped job ids, in the order of `job_ids`."""
    if not job_ids:
        return []
    jobs = {job.id: job for job in session.scalars(select(ProductionJob).where(ProductionJob.id.in_(job_ids)))}
    figures = job_figures(session, job_ids)
    stages = _names(session, ProductionStage, [job.stage_id for job in jobs.values()])
    locations = _names(session, Location, [job.location_id for job in jobs.values()])
    staff = _names(session, User, [job.staff_id for job in jobs.values()])
    entries = _names(session, CatalogEntry, [v for job in jobs.values()
                                             for v in (job.requested_shape_id, job.requested_size_id)])
    products: dict[int, list[str]] = defaultdict(list)
    for job_id, name in session.execute(select(JobProduct.job_id, Product.name)
                                        .join(Product, Product.id == JobProduct.product_id)
                                        .where(JobProduct.job_id.in_(job_ids)).order_by(Product.name)):
        products[job_id].append(name)
    kinds: dict[int, set] = defaultdict(set)
    for job_id, kind in session.execute(select(JobIssue.job_id, JobIssue.kind).where(
            JobIssue.job_id.in_(job_ids), JobIssue.returned_movement_id.is_(None)).distinct()):
        kinds[job_id].add(InventoryKind(kind))
    rows = []
    for job_id in job_ids:
        job, figure = jobs[job_id], figures[job_id]
        status = job_status(job.closed_as, figure.issues, job.deadline)
        issued_kinds = kinds.get(job_id, set())
        rows.append(JobRow(
            id=job.id, number=job.number, stage=stages.get(job.stage_id, "?"),
            location=locations.get(job.location_id, "?"), products=", ".join(products.get(job_id, [])),
            staff=staff.get(job.staff_id, ""), status=status, overdue=is_overdue(status, job.deadline, today),
            issued_kind=(next(iter(issued_kinds)).label if len(issued_kinds) == 1
                         else "Mixed" if issued_kinds else ""),
            shape=entries.get(job.requested_shape_id, ""), size=entries.get(job.requested_size_id, ""),
            issued_on=job.issued_on, deadline=job.deadline, unit=unit,
            requested=from_grams(figure.requested_g, unit) if figure.requested_g is not None else None,
            issued=from_grams(figure.issued_g, unit), received=from_grams(figure.received_g, unit),
            rejected=from_grams(figure.rejected_g, unit), scrapped=from_grams(figure.scrapped_g, unit),
            waste=from_grams(figure.waste_g, unit), progress=figure.progress(),
            returned=from_grams(figure.returned_g, unit),
            unaccounted=from_grams(figure.balance().outstanding, unit)))
    return rows


@dataclass(frozen=True)
class JobListView:
    rows: list[JobRow]
    total: int
    page: JobPage
    unit: str

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page.size))


def list_jobs(session: Session, *, actor: Actor, filters: JobFilters, page: JobPage,
              today: date | None = None) -> JobListView:
    """One page of jobs in the actor's scope for a tab, stages and search, and how many match in all.

    A page number past the last page shows the last page.
    """
    actor.require(Right.VIEW_PRODUCTION)
    unit = default_weight_unit(session)
    total = int(session.scalar(jobs_statement(actor, filters, func.count(ProductionJob.id))) or 0)
    last = max(1, -(-total // page.size))
    if page.number > last:
        page = JobPage(number=last, size=page.size, sort=page.sort)
    ids = list(session.scalars(jobs_statement(actor, filters, ProductionJob.id).order_by(*_order(page.sort))
                               .limit(page.size).offset(page.offset)))
    return JobListView(_rows(session, ids, unit, today or utcnow().date()), total, page, unit)


EXPORT_COLUMNS = ("Job ID", "Stage", "Location", "Products", "Staff", "Status", "Overdue", "Issued kind",
                  "Requested shape", "Requested size", "Issued on", "Deadline", "Unit", "Requested weight",
                  "Issued weight", "Received", "Rejected", "Scrapped", "Waste", "Pending", "Progress %",
                  "Completed %", "Pending %", "Rejected %", "Scrapped %", "Wasted %", "Over-recovery %", "Output %",
                  "Gross waste %", "Net waste %", "Consumption %", "Returned", "Unaccounted")


def export_jobs(session: Session, *, actor: Actor, filters: JobFilters, today: date | None = None,
                chunk: int = 500) -> bytes:
    """Every job the filters match in the actor's scope (all pages), as UTF-8 CSV, newest first (text cells
    neutralised by `lib.spreadsheet.csv_cell`: a stage, product or staff name never runs as a formula)."""
    actor.require(Right.VIEW_PRODUCTION)
    unit = default_weight_unit(session)
    today = today or utcnow().date()
    ids = list(session.scalars(jobs_statement(actor, filters, ProductionJob.id).order_by(*_order("newest"))))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for start in range(0, len(ids), chunk):
        for row in _rows(session, ids[start:start + chunk], unit, today):
            p = row.progress
            writer.writerow([csv_cell(v) for v in (
                row.number, row.stage, row.location, row.products, row.staff, row.status.label,
                "yes" if row.overdue else "", row.issued_kind, row.shape, row.size, row.issued_on, row.deadline,
                unit, row.requested, row.issued, row.received, row.rejected, row.scrapped, row.waste, row.pending,
                row.progress_pct, p.completed_pct, p.pending_pct, p.rejected_pct, p.scrapped_pct, p.wasted_pct,
                p.over_recovery_pct, p.output_pct, p.gross_waste_pct, p.net_waste_pct, p.consumption_pct,
                row.returned, row.unaccounted)])
    return buffer.getvalue().encode("utf-8")


# ---------------------------------------------------------------------------
# Summary cards and the stage x status chart
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    ongoing: int
    completed_recently: int  # in the last RECENT_DAYS days
    overdue: int
    active_staff: int


def summary(session: Session, *, actor: Actor, now: datetime | None = None) -> Summary:
    """The four summary cards of the production overview, in the actor's scope."""
    actor.require(Right.VIEW_PRODUCTION)
    now = now or utcnow()
    counts = jobs_statement(actor, JobFilters(), func.count(ProductionJob.id))
    ongoing = session.scalar(counts.where(STATUS == JobStatus.ONGOING.value)) or 0
    completed = session.scalar(counts.where(ProductionJob.closed_as == JobStatus.COMPLETED,
                                            ProductionJob.closed_at >= now - timedelta(days=RECENT_DAYS))) or 0
    overdue = session.scalar(counts.where(ProductionJob.closed_as.is_(None), ProductionJob.deadline < now.date())) or 0
    staff = session.scalar(jobs_statement(actor, JobFilters(tab="ongoing"),
                                          func.count(distinct(ProductionJob.staff_id)))) or 0
    return Summary(int(ongoing), int(completed), int(overdue), int(staff))


@dataclass(frozen=True)
class StageCount:
    stage: str
    order: int
    status: JobStatus
    jobs: int


def stage_status_counts(session: Session, *, actor: Actor) -> list[StageCount]:
    """How many jobs each stage holds in each status (stage order, then status order), in the actor's scope."""
    actor.require(Right.VIEW_PRODUCTION)
    status = STATUS.label("status")
    stmt = (jobs_statement(actor, JobFilters(), ProductionStage.name, ProductionStage.sort_order, status,
                           func.count(ProductionJob.id))
            .join(ProductionStage, ProductionStage.id == ProductionJob.stage_id)
            .group_by(ProductionStage.id, ProductionStage.name, ProductionStage.sort_order, status))
    order = list(JobStatus)
    rows = [StageCount(name, sort_order, JobStatus(value), int(count))
            for name, sort_order, value, count in session.execute(stmt)]
    return sorted(rows, key=lambda row: (row.order, row.stage, order.index(row.status)))


# ---------------------------------------------------------------------------
# One job
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class IssueLine:
    item_id: int
    tag_id: str
    product_id: int
    product: str
    kind: InventoryKind
    quantity: int
    weight: Decimal
    weight_unit: str
    requested_quantity: int | None
    requested_weight: Decimal | None
    issued_at: datetime
    issued_by: str
    returned_at: datetime | None  # the whole issue went back: its job was cancelled
    bench_returned: Decimal = Decimal(0)  # given back by bench returns, in `weight_unit`


@dataclass(frozen=True)
class OutputLine:
    receipt: int
    received_on: date
    row_number: int
    bucket: OutputBucket
    item_id: int | None  # None for waste, or an item at a location the viewer does not work with
    tag_id: str  # "" for waste; "(at another location)" when hidden
    quantity: int
    weight: Decimal
    weight_unit: str
    source_tag: str


@dataclass(frozen=True)
class Event:
    at: datetime
    what: str
    detail: str
    by: str


@dataclass(frozen=True)
class NextStageItem:
    item_id: int
    tag_id: str
    quantity: int
    weight: Decimal
    weight_unit: str
    product_id: int | None = None  # the received output's product: what the next stage's job is about


@dataclass
class JobDetail:
    job: ProductionJob
    stage: str
    stage_kinds: tuple
    location: str
    staff: str
    status: JobStatus
    overdue: bool
    split_label: str
    shape: str
    size: str
    quality_names: dict[int, str]
    unit: str
    figures: Figures
    progress: JobProgress
    issues: list[IssueLine] = field(default_factory=list)
    outputs: list[OutputLine] = field(default_factory=list)
    timeline: list[Event] = field(default_factory=list)
    next_stage_id: int | None = None
    next_stage_name: str | None = None
    received_items: list[NextStageItem] = field(default_factory=list)  # -RCV items available for the next stage
    link: JobLink | None = None  # the sales order line it works on (lib.production.links)
    output_product_id: int | None = None  # what a receipt row starts with: the line's product, else the first issued

    @property
    def next_stage_products(self) -> list[int]:
        """The received outputs' products, for "Issue the received output into the next stage"."""
        return sorted({item.product_id for item in self.received_items if item.product_id is not None})

    def text(self, grams: Decimal | None) -> str:
        return "—" if grams is None else format_weight(from_grams(grams, self.unit), self.unit)

    @property
    def balance(self) -> MetalBalance:
        """The job's metal balance vs issued (grams): issued - returned + gain = outputs + waste + outstanding."""
        return self.figures.balance()


def job_detail(session: Session, *, actor: Actor, job_id, today: date | None = None) -> JobDetail:
    """One job in the actor's scope: its fields, figures, issues, outputs, timeline, and what can go on."""
    job = get_job_in_scope(session, actor=actor, job_id=job_id)
    unit = default_weight_unit(session)
    figures = job_figures(session, [job.id])[job.id]
    status = job_status(job.closed_as, figures.issues, job.deadline)
    stage = session.get(ProductionStage, job.stage_id)
    following = next_stage(session, job.stage_id)
    names = _names(session, User, [job.staff_id, job.created_by_id, job.closed_by_id])
    entries = _names(session, CatalogEntry, [job.requested_shape_id, job.requested_size_id])
    detail = JobDetail(
        job=job, stage=stage.name, stage_kinds=stage.kinds, location=session.get(Location, job.location_id).name,
        staff=names.get(job.staff_id, ""), status=status,
        overdue=is_overdue(status, job.deadline, today or utcnow().date()),
        split_label=SPLIT_MODES.get(job.split_mode, job.split_mode), shape=entries.get(job.requested_shape_id, ""),
        size=entries.get(job.requested_size_id, ""), quality_names={}, unit=unit, figures=figures,
        progress=figures.progress(), next_stage_id=following.id if following else None,
        next_stage_name=following.name if following else None)
    _fill_issues(session, job, detail)
    _fill_outputs(session, actor, job, detail)
    detail.link = job_link(session, actor=actor, job=job)
    detail.output_product_id = _output_product(session, job, detail)
    _fill_timeline(session, job, detail, names)
    _fill_link_events(session, actor, job, detail)
    return detail


def _output_product(session: Session, job: ProductionJob, detail: JobDetail) -> int | None:
    """A receipt row's default product: the linked order line's product when it is one of the job's products
    (so the output, and the next stage's job, stay linkable to the line), else the first issued product."""
    if job.order_line_id is not None:
        line_product = session.scalar(select(OrderLine.product_id).where(OrderLine.id == job.order_line_id))
        if line_product is not None and session.scalar(select(exists().where(
                JobProduct.job_id == job.id, JobProduct.product_id == line_product))):
            return line_product
    first = next((line for line in detail.issues if line.returned_at is None), None)
    return first.product_id if first is not None else None


def _fill_link_events(session: Session, actor: Actor, job: ProductionJob, detail: JobDetail) -> None:
    """Links to order lines set, changed or cleared (from the audit log); the line named only to viewers of
    orders."""
    stmt = (select(AuditEntry, User.name).outerjoin(User, User.id == AuditEntry.user_id)
            .where(AuditEntry.entity == "production_job", AuditEntry.entity_id == str(job.id),
                   AuditEntry.action == "link order line").order_by(AuditEntry.id))
    sees_orders = actor.can(Right.VIEW_ORDERS)
    for entry, name in session.execute(stmt):
        old, new = json.loads(entry.old_values or "{}"), json.loads(entry.new_values or "{}")
        if not sees_orders:
            text = "linked to a sales order line" if new.get("line") else "link to a sales order line cleared"
        elif new.get("line"):
            text = f"linked to {new['line']}" + (f" (was {old['line']})" if old.get("line") else "")
        else:
            text = f"link to {old.get('line')} cleared"
        detail.timeline.append(Event(entry.at, "Order line", text, name or "system"))
    detail.timeline.sort(key=lambda event: event.at)


def _fill_issues(session: Session, job: ProductionJob, detail: JobDetail) -> None:
    """The job's issues (its source items were at the job's location, which the viewer sees)."""
    stmt = (select(JobIssue, InventoryItem.tag_id, Product.name, User.name)
            .join(InventoryItem, InventoryItem.id == JobIssue.item_id)
            .join(Product, Product.id == JobIssue.product_id)
            .outerjoin(User, User.id == JobIssue.issued_by_id)
            .where(JobIssue.job_id == job.id).order_by(JobIssue.id))
    returned: dict[int, Decimal] = defaultdict(Decimal)
    for issue_id, weight in session.execute(select(JobReturn.issue_id, JobReturn.weight)
                                            .where(JobReturn.job_id == job.id)):
        returned[issue_id] += Decimal(weight)
    for row, tag, product, issued_by in session.execute(stmt):
        detail.issues.append(IssueLine(row.item_id, tag, row.product_id, product, row.kind, row.quantity, row.weight,
                                       row.weight_unit, row.requested_quantity, row.requested_weight, row.issued_at,
                                       issued_by or "system", row.returned_at, returned.get(row.id, Decimal(0))))


def _fill_outputs(session: Session, actor: Actor, job: ProductionJob, detail: JobDetail) -> None:
    item = aliased(InventoryItem)
    source = aliased(InventoryItem)
    stmt = (select(JobOutput, JobReceipt.number, JobReceipt.received_on, item.tag_id, item.location_id, item.status,
                   item.quantity, item.weight, source.tag_id, item.product_id)
            .join(JobReceipt, JobReceipt.id == JobOutput.receipt_id)
            .outerjoin(item, item.id == JobOutput.item_id)
            .outerjoin(source, source.id == JobOutput.source_item_id)
            .where(JobOutput.job_id == job.id).order_by(JobReceipt.number, JobOutput.row_number, JobOutput.id))
    for (output, number, received_on, tag, location_id, status, quantity, weight, source_tag,
         product_id) in session.execute(stmt):
        visible = output.item_id is not None and actor.can_see_location(location_id)
        shown_tag = tag if visible else ("" if output.item_id is None else "(at another location)")
        detail.outputs.append(OutputLine(number, received_on, output.row_number, output.bucket,
                                         output.item_id if visible else None, shown_tag, output.quantity,
                                         output.weight, output.weight_unit, source_tag or ""))
        if (visible and output.bucket is OutputBucket.RECEIVED and status is not None and status.value == "available"
                and (quantity or weight)):
            detail.received_items.append(NextStageItem(output.item_id, tag, quantity, Decimal(weight),
                                                       output.weight_unit, product_id))


def _fill_timeline(session: Session, job: ProductionJob, detail: JobDetail, names: dict[int, str]) -> None:
    """Creation, issues, returns, receipts and the close, oldest first."""
    events = [Event(job.created_at, "Created", f"at stage {detail.stage}, {detail.location}",
                    names.get(job.created_by_id, "system"))]
    for line in detail.issues:
        amount = f"{line.tag_id}: {line.quantity} pcs, {format_weight(line.weight, line.weight_unit)}"
        events.append(Event(line.issued_at, "Issued", amount, line.issued_by))
        if line.returned_at is not None:
            events.append(Event(line.returned_at, "Returned", f"{amount} back to stock",
                                names.get(job.closed_by_id, "system")))
    bench = session.execute(select(JobReturn, InventoryItem.tag_id, User.name)
                            .join(InventoryItem, InventoryItem.id == JobReturn.item_id)
                            .outerjoin(User, User.id == JobReturn.returned_by_id)
                            .where(JobReturn.job_id == job.id).order_by(JobReturn.id))
    for back, tag, returned_by in bench:
        text = f"{back.quantity} pcs, {format_weight(back.weight, back.weight_unit)} back to stock as {tag}"
        events.append(Event(back.returned_at, "Returned", text + (f" — {back.note}" if back.note else ""),
                            returned_by or "system"))
    by_receipt: dict[int, list[OutputLine]] = defaultdict(list)
    for line in detail.outputs:
        by_receipt[line.receipt].append(line)
    receipts = session.execute(select(JobReceipt, User.name).outerjoin(User, User.id == JobReceipt.recorded_by_id)
                               .where(JobReceipt.job_id == job.id).order_by(JobReceipt.number))
    for receipt, recorded_by in receipts:
        parts = [f"{line.bucket.label.lower()} {format_weight(line.weight, line.weight_unit)}"
                 + (f" ({line.tag_id})" if line.tag_id else "") for line in by_receipt.get(receipt.number, [])]
        text = f"received on {receipt.received_on}: " + "; ".join(parts)
        events.append(Event(receipt.recorded_at, f"Receipt {receipt.number}",
                            text + (f" — {receipt.notes}" if receipt.notes else ""), recorded_by or "system"))
    if job.closed_as is not None and job.closed_at is not None:
        text = job.close_note or ""
        if job.written_off_g:
            text = f"unaccounted {detail.text(job.written_off_g)} written off as waste" + (f": {text}" if text else "")
        elif job.gain_g:
            text = f"{detail.text(job.gain_g)} recovered above issued recorded as a gain" + (f": {text}" if text else "")
        events.append(Event(job.closed_at, job.closed_as.label, text, names.get(job.closed_by_id, "system")))
    detail.timeline = sorted(events, key=lambda event: event.at)


def job_balances(session: Session, *, actor: Actor, job_ids) -> dict[int, MetalBalance]:
    """The metal balance (grams, vs issued) of each of `job_ids` the actor may see; jobs outside the actor's
    scope are left out (never said which). For the order page's production section and other callers."""
    actor.require(Right.VIEW_PRODUCTION)
    ids = sorted({int(job_id) for job_id in job_ids})
    if not ids:
        return {}
    visible = list(session.scalars(scope_jobs(select(ProductionJob.id).where(ProductionJob.id.in_(ids)), actor)))
    return {job_id: figures.balance() for job_id, figures in job_figures(session, visible).items()}


# ---------------------------------------------------------------------------
# Product Details: what is in production for a product
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ProductProduction:
    """Open jobs holding issued stock of one product, in the viewer's scope (weights in `unit`)."""

    unit: str
    open_jobs: int
    issued: Decimal
    jobs: list[JobRow]


def production_for_product(session: Session, *, actor: Actor, product_id: int, kinds=(), limit: int = 10,
                           today: date | None = None) -> ProductProduction:
    """Open jobs with issued stock of the product (optionally of these kinds) and its issued weight net of bench
    returns."""
    unit = default_weight_unit(session)
    if not actor.can(Right.VIEW_PRODUCTION):
        return ProductProduction(unit, 0, Decimal(0), [])
    conditions = [JobIssue.product_id == int(product_id), JobIssue.returned_movement_id.is_(None),
                  ProductionJob.closed_as.is_(None)]
    if kinds:
        conditions.append(JobIssue.kind.in_(list(kinds)))
    base = scope_jobs(select(func.count(distinct(ProductionJob.id)), func.coalesce(func.sum(JobIssue.weight_g), 0))
                      .select_from(JobIssue).join(ProductionJob, ProductionJob.id == JobIssue.job_id)
                      .where(*conditions), actor)
    count, grams = session.execute(base).one()
    returned = session.scalar(scope_jobs(  # bench returns of those issues are back in stock, not in production
        select(func.coalesce(func.sum(JobReturn.weight_g), 0)).select_from(JobReturn)
        .join(JobIssue, JobIssue.id == JobReturn.issue_id).join(ProductionJob, ProductionJob.id == JobIssue.job_id)
        .where(*conditions), actor))
    grams = Decimal(str(grams)) - Decimal(str(returned or 0))
    ids = list(session.scalars(scope_jobs(select(ProductionJob.id).join(JobIssue, JobIssue.job_id == ProductionJob.id)
                                          .where(*conditions).distinct().order_by(ProductionJob.id.desc())
                                          .limit(limit), actor)))
    return ProductProduction(unit, int(count), from_grams(grams, unit),
                             _rows(session, ids, unit, today or utcnow().date()))
