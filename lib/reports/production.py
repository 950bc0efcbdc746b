"""Production reports (reference 3.13.8, issue 18): summary per stage and period, metal loss by person,
stage performance, and the waste & scrap log. Every figure is in grams, aggregated in SQL.

What counts, and when (docs/reports.md):
- Issued: stock issued into a job on a day in the range and not given back (a cancelled job's issues are
  returned, so they do not count): "net issued".
- Received / Rejected / Scrapped / Waste: the outputs of receipts whose received date is in the range;
  Waste also counts the pending weight written off when a job was completed in the range.
- Loss = Waste + Scrapped; Loss % = Loss ÷ Issued × 100 (empty when nothing was issued in that row).
- Above norm: a stage's allowed loss % (`lib.reports.norms`); grams over norm = Loss − Issued × norm ÷ 100
  when that is positive (rows without issued weight or without a norm are never flagged).
- Jobs belong to the location of their source stock; a viewer sees the jobs of their locations only
  (`access.scope_jobs`), with every output of those jobs wherever it was received.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, func, literal, null, select, union_all
from sqlalchemy.orm import Session, aliased

from lib.access import Actor, Right, scope_jobs
from lib.enums import JobStatus, OutputBucket
from lib.models import InventoryItem, JobIssue, JobOutput, JobReceipt, ProductionJob, ProductionStage, User
from lib.reports.common import ZERO, ReportFilters, as_date, check_location, grams, pct, period_expression
from lib.reports.dates import DateRange

UNASSIGNED = "Unassigned"
WRITTEN_OFF = "written off"


@dataclass(frozen=True)
class LossFigures:
    issued_g: Decimal
    received_g: Decimal
    rejected_g: Decimal
    scrapped_g: Decimal
    waste_g: Decimal
    norm_pct: Decimal | None

    @property
    def loss_g(self) -> Decimal:
        return self.scrapped_g + self.waste_g

    @property
    def loss_pct(self) -> Decimal | None:
        return pct(self.loss_g, self.issued_g)

    @property
    def over_norm_g(self) -> Decimal | None:
        """Grams lost above the norm (None: no norm, nothing issued, or within the norm)."""
        if self.norm_pct is None or not self.issued_g:
            return None
        over = self.loss_g - self.issued_g * self.norm_pct / 100
        return over if over > 0 else None

    @property
    def above_norm(self) -> bool:
        return self.over_norm_g is not None


@dataclass(frozen=True)
class StagePeriodRow(LossFigures):
    period: date
    stage_id: int
    stage: str


@dataclass(frozen=True)
class PersonRow(LossFigures):
    staff_id: int | None
    person: str
    stage_id: int
    stage: str
    jobs: int


@dataclass(frozen=True)
class JobNormRow(LossFigures):
    job_id: int
    job: str
    stage: str
    person: str


@dataclass(frozen=True)
class StagePerformanceRow:
    stage_id: int
    stage: str
    jobs_completed: int
    median_days: Decimal | None
    p90_days: Decimal | None
    issued_g: Decimal
    scrapped_g: Decimal
    waste_g: Decimal
    norm_pct: Decimal | None

    @property
    def loss_pct(self) -> Decimal | None:
        return pct(self.scrapped_g + self.waste_g, self.issued_g)


@dataclass(frozen=True)
class WasteEvent:
    at: datetime
    day: date
    job_id: int
    job: str
    stage: str
    operator: str
    event: str  # Waste, Rejected, Scrapped, Written off
    weight_g: Decimal
    pieces: int
    tag: str


def _jobs(actor: Actor, filters: ReportFilters, stmt):
    """Scope a statement that joins production_jobs to the viewer's jobs and the filters."""
    stmt = scope_jobs(stmt, actor)
    if filters.location_id is not None:
        stmt = stmt.where(ProductionJob.location_id == filters.location_id)
    if filters.stage_id is not None:
        stmt = stmt.where(ProductionJob.stage_id == filters.stage_id)
    return stmt


def _prepare(actor: Actor, filters: ReportFilters) -> None:
    actor.require(Right.VIEW_PRODUCTION)
    check_location(actor, filters)


def _events(session: Session, actor: Actor, period: DateRange, filters: ReportFilters, size: str | None):
    """One row per issue, output and write-off in the range: (period, job, stage, staff, five gram columns)."""
    low, high = period.bounds()
    zero = literal(0)

    def when(column, is_date=False):
        return (period_expression(session, column, size, is_date=is_date) if size else null()).label("period")

    def bucket(name: OutputBucket):
        return func.coalesce(func.sum(JobOutput.weight_g).filter(JobOutput.bucket == name), 0)

    issued = _jobs(actor, filters, select(
        when(JobIssue.issued_at), JobIssue.job_id.label("job_id"), ProductionJob.stage_id.label("stage_id"),
        ProductionJob.staff_id.label("staff_id"), JobIssue.weight_g.label("issued_g"), zero.label("received_g"),
        zero.label("rejected_g"), zero.label("scrapped_g"), zero.label("waste_g"))
        .join(ProductionJob, ProductionJob.id == JobIssue.job_id)
        .where(JobIssue.issued_at >= low, JobIssue.issued_at < high, JobIssue.returned_movement_id.is_(None)))
    outputs = _jobs(actor, filters, select(
        when(JobReceipt.received_on, True), JobOutput.job_id.label("job_id"), ProductionJob.stage_id,
        ProductionJob.staff_id, zero, *(bucket(b) for b in OutputBucket))
        .join(JobReceipt, JobReceipt.id == JobOutput.receipt_id)
        .join(ProductionJob, ProductionJob.id == JobOutput.job_id)
        .where(JobReceipt.received_on >= period.start, JobReceipt.received_on <= period.end)
        .group_by(JobOutput.receipt_id, JobOutput.job_id, ProductionJob.stage_id, ProductionJob.staff_id,
                  JobReceipt.received_on))
    written_off = _jobs(actor, filters, select(
        when(ProductionJob.closed_at), ProductionJob.id, ProductionJob.stage_id, ProductionJob.staff_id,
        zero, zero, zero, zero, ProductionJob.written_off_g)
        .where(ProductionJob.closed_as == JobStatus.COMPLETED, ProductionJob.written_off_g > 0,
               ProductionJob.closed_at >= low, ProductionJob.closed_at < high))
    return union_all(issued, outputs, written_off).subquery("events")


def _sums(events):
    return (func.sum(events.c.issued_g), func.sum(events.c.received_g), func.sum(events.c.rejected_g),
            func.sum(events.c.scrapped_g), func.sum(events.c.waste_g))


def _figures(values, norm) -> dict:
    issued, received, rejected, scrapped, waste = (grams(value) for value in values)
    return dict(issued_g=issued, received_g=received, rejected_g=rejected, scrapped_g=scrapped, waste_g=waste,
                norm_pct=norm)


def production_summary(session: Session, *, actor: Actor, period: DateRange, filters: ReportFilters = ReportFilters(),
                       size: str = "month") -> list[StagePeriodRow]:
    """Issued, received, rejected, scrapped and waste grams per stage and period (day, week or month)."""
    _prepare(actor, filters)
    events = _events(session, actor, period, filters, size)
    stmt = (select(events.c.period, ProductionStage.id, ProductionStage.name, ProductionStage.loss_norm_pct,
                   *_sums(events))
            .join(ProductionStage, ProductionStage.id == events.c.stage_id)
            .group_by(events.c.period, ProductionStage.id, ProductionStage.name, ProductionStage.loss_norm_pct,
                      ProductionStage.sort_order)
            .order_by(events.c.period, ProductionStage.sort_order, ProductionStage.name))
    return [StagePeriodRow(period=as_date(row[0]), stage_id=row[1], stage=row[2], **_figures(row[4:], row[3]))
            for row in session.execute(stmt)]


def loss_by_person(session: Session, *, actor: Actor, period: DateRange,
                   filters: ReportFilters = ReportFilters()) -> list[PersonRow]:
    """The same figures per staff member (the job's staff) and stage, with the grams above each stage's norm."""
    _prepare(actor, filters)
    events = _events(session, actor, period, filters, None)
    stmt = (select(events.c.staff_id, User.name, ProductionStage.id, ProductionStage.name,
                   ProductionStage.loss_norm_pct, func.count(func.distinct(events.c.job_id)), *_sums(events))
            .join(ProductionStage, ProductionStage.id == events.c.stage_id)
            .outerjoin(User, User.id == events.c.staff_id)
            .group_by(events.c.staff_id, User.name, ProductionStage.id, ProductionStage.name,
                      ProductionStage.loss_norm_pct, ProductionStage.sort_order)
            .order_by(User.name, ProductionStage.sort_order))
    return [PersonRow(staff_id=row[0], person=row[1] or UNASSIGNED, stage_id=row[2], stage=row[3], jobs=row[5],
                      **_figures(row[6:], row[4])) for row in session.execute(stmt)]


def jobs_above_norm(session: Session, *, actor: Actor, period: DateRange,
                    filters: ReportFilters = ReportFilters()) -> list[JobNormRow]:
    """Jobs with a receipt or a completion in the range whose whole loss (all their receipts) is above their
    stage's norm, the most grams over first."""
    _prepare(actor, filters)
    rows = [row for row in _job_figures(session, actor, filters, period) if row.above_norm]
    return sorted(rows, key=lambda row: (-row.over_norm_g, row.job))


def _job_figures(session: Session, actor: Actor, filters: ReportFilters, period: DateRange | None,
                 job_id: int | None = None) -> list[JobNormRow]:
    """Each job's lifetime figures (net issued, outputs, write-off) with its stage's norm."""
    issued = (select(JobIssue.job_id, func.sum(JobIssue.weight_g).label("issued_g"))
              .where(JobIssue.returned_movement_id.is_(None)).group_by(JobIssue.job_id).subquery())
    outputs = (select(JobOutput.job_id, *(func.coalesce(func.sum(JobOutput.weight_g).filter(
                   JobOutput.bucket == b), 0).label(b.value) for b in OutputBucket))
               .group_by(JobOutput.job_id).subquery())
    stmt = _jobs(actor, filters, select(
        ProductionJob.id, ProductionJob.number, ProductionStage.name, User.name, ProductionStage.loss_norm_pct,
        issued.c.issued_g, outputs.c.received, outputs.c.rejected, outputs.c.scrapped, outputs.c.waste,
        ProductionJob.written_off_g)
        .join(ProductionStage, ProductionStage.id == ProductionJob.stage_id)
        .outerjoin(User, User.id == ProductionJob.staff_id)
        .outerjoin(issued, issued.c.job_id == ProductionJob.id)
        .outerjoin(outputs, outputs.c.job_id == ProductionJob.id))
    if job_id is not None:
        stmt = stmt.where(ProductionJob.id == job_id)
    if period is not None:
        low, high = period.bounds()
        received = (select(JobReceipt.id).where(JobReceipt.job_id == ProductionJob.id,
                                                JobReceipt.received_on >= period.start,
                                                JobReceipt.received_on <= period.end).exists())
        stmt = stmt.where(received | and_(ProductionJob.closed_at >= low, ProductionJob.closed_at < high))
    return [JobNormRow(job_id=row[0], job=row[1], stage=row[2], person=row[3] or UNASSIGNED, norm_pct=row[4],
                       issued_g=grams(row[5]), received_g=grams(row[6]), rejected_g=grams(row[7]),
                       scrapped_g=grams(row[8]), waste_g=grams(row[9]) + grams(row[10]))
            for row in session.execute(stmt.order_by(ProductionJob.number))]


def _percentile(values: list[Decimal], share: Decimal) -> Decimal | None:
    """The `share` percentile (nearest rank, so it is always a real job's figure); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil(n × share)
    return ordered[int(rank) - 1]


def stage_performance(session: Session, *, actor: Actor, period: DateRange,
                      filters: ReportFilters = ReportFilters()) -> list[StagePerformanceRow]:
    """Per stage, the jobs completed in the range: median and 90th-percentile days from first issue to
    completion, and their material loss (whole jobs)."""
    _prepare(actor, filters)
    low, high = period.bounds()
    first_issue = (select(JobIssue.job_id, func.min(JobIssue.issued_at).label("first_at"),
                          func.sum(JobIssue.weight_g).filter(JobIssue.returned_movement_id.is_(None))
                          .label("issued_g"))
                   .group_by(JobIssue.job_id).subquery())
    losses = (select(JobOutput.job_id, *(func.coalesce(func.sum(JobOutput.weight_g).filter(
                  JobOutput.bucket == b), 0).label(b.value) for b in (OutputBucket.SCRAPPED, OutputBucket.WASTE)))
              .group_by(JobOutput.job_id).subquery())
    stmt = _jobs(actor, filters, select(
        ProductionJob.stage_id, ProductionJob.closed_at, first_issue.c.first_at, first_issue.c.issued_g,
        losses.c.scrapped, losses.c.waste, ProductionJob.written_off_g)
        .join(first_issue, first_issue.c.job_id == ProductionJob.id)
        .outerjoin(losses, losses.c.job_id == ProductionJob.id)
        .where(ProductionJob.closed_as == JobStatus.COMPLETED, ProductionJob.closed_at >= low,
               ProductionJob.closed_at < high))
    per_stage: dict[int, dict] = {}
    for stage_id, closed_at, first_at, issued_g, scrapped, waste, written_off in session.execute(stmt):
        entry = per_stage.setdefault(stage_id, {"days": [], "issued": ZERO, "scrapped": ZERO, "waste": ZERO})
        seconds = (closed_at - first_at).total_seconds() if first_at is not None else 0
        entry["days"].append((Decimal(max(seconds, 0)) / 86400).quantize(Decimal("0.1")))
        entry["issued"] += grams(issued_g)
        entry["scrapped"] += grams(scrapped)
        entry["waste"] += grams(waste) + grams(written_off)
    stages = session.execute(select(ProductionStage.id, ProductionStage.name, ProductionStage.loss_norm_pct)
                             .where(ProductionStage.id.in_(list(per_stage)))
                             .order_by(ProductionStage.sort_order, ProductionStage.name)).all()
    rows = []
    for stage_id, name, norm in stages:
        entry = per_stage[stage_id]
        days = entry["days"]
        rows.append(StagePerformanceRow(stage_id=stage_id, stage=name, jobs_completed=len(days),
                                        median_days=Decimal(str(statistics.median(days))).quantize(Decimal("0.1")),
                                        p90_days=_percentile(days, Decimal("0.9")), issued_g=entry["issued"],
                                        scrapped_g=entry["scrapped"], waste_g=entry["waste"], norm_pct=norm))
    return rows


def waste_log(session: Session, *, actor: Actor, period: DateRange, filters: ReportFilters = ReportFilters(),
              limit: int | None = None) -> list[WasteEvent]:
    """Each waste, reject and scrap of a receipt received in the range, and each pending weight written off as
    waste at a completion in the range: newest first (at most `limit` events when given)."""
    _prepare(actor, filters)
    low, high = period.bounds()
    staff = aliased(User)
    outputs = _jobs(actor, filters, select(
        JobReceipt.recorded_at, JobReceipt.received_on, ProductionJob.id, ProductionJob.number,
        ProductionStage.name, staff.name, JobOutput.bucket, JobOutput.weight_g, JobOutput.quantity,
        InventoryItem.tag_id)
        .join(JobReceipt, JobReceipt.id == JobOutput.receipt_id)
        .join(ProductionJob, ProductionJob.id == JobOutput.job_id)
        .join(ProductionStage, ProductionStage.id == ProductionJob.stage_id)
        .outerjoin(staff, staff.id == ProductionJob.staff_id)
        .outerjoin(InventoryItem, InventoryItem.id == JobOutput.item_id)
        .where(JobOutput.bucket != OutputBucket.RECEIVED, JobReceipt.received_on >= period.start,
               JobReceipt.received_on <= period.end)
        .order_by(JobReceipt.recorded_at.desc(), JobOutput.id.desc()))
    written = _jobs(actor, filters, select(
        ProductionJob.closed_at, ProductionJob.id, ProductionJob.number, ProductionStage.name, staff.name,
        ProductionJob.written_off_g)
        .join(ProductionStage, ProductionStage.id == ProductionJob.stage_id)
        .outerjoin(staff, staff.id == ProductionJob.staff_id)
        .where(ProductionJob.closed_as == JobStatus.COMPLETED, ProductionJob.written_off_g > 0,
               ProductionJob.closed_at >= low, ProductionJob.closed_at < high)
        .order_by(ProductionJob.closed_at.desc()))
    if limit is not None:
        outputs, written = outputs.limit(limit), written.limit(limit)
    events = [WasteEvent(at=row[0], day=as_date(row[1]), job_id=row[2], job=row[3], stage=row[4],
                         operator=row[5] or UNASSIGNED, event=row[6].label, weight_g=grams(row[7]),
                         pieces=row[8] or 0, tag=row[9] or "") for row in session.execute(outputs)]
    events += [WasteEvent(at=row[0], day=row[0].date(), job_id=row[1], job=row[2], stage=row[3],
                          operator=row[4] or UNASSIGNED, event="Written off", weight_g=grams(row[5]), pieces=0,
                          tag="") for row in session.execute(written)]
    events.sort(key=lambda event: (event.at, event.job), reverse=True)
    return events[:limit] if limit is not None else events
