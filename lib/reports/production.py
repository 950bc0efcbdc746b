"""Production reports (reference 3.13.8, issue 18): summary per stage and period, metal loss by person,
stage performance, and the waste & scrap log. Every figure is in grams, aggregated in SQL.

What counts, and when (docs/reports.md):
- Issued: stock issued into a job on a day in the range and not given back (a cancelled job's issues are
  returned, so they do not count), less unused stock returned from the bench in the range: "net issued".
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

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session, aliased

from lib.access import Actor, Right, scope_jobs
from lib.errors import ValidationFailed
from lib.enums import JobStatus, OutputBucket
from lib.models import (InventoryItem, JobIssue, JobOutput, JobReceipt, JobReturn, ProductionJob, ProductionStage,
                        User)
from lib.reports.common import (ZERO, ReportFilters, as_date, check_location, grams, pct, period_expression,
                                period_start)
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
        if self.norm_pct is None or self.issued_g <= 0:
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


def _grouped(session: Session, actor: Actor, period: DateRange, filters: ReportFilters, size: str | None
             ) -> dict[tuple, list[Decimal]]:
    """(period or staff, stage) -> [issued, received, rejected, scrapped, waste] grams: three grouped queries
    (issues, receipt outputs, write-offs), each aggregated in SQL to a few rows and added up here.

    `size` day / week / month groups by period; None groups by the job's staff."""
    low, high = period.bounds()

    by_day = size is not None and session.get_bind().dialect.name == "sqlite"

    def key(column, is_date=False):
        """The group: the staff, or the period. SQLite groups by the text of the month or day (a date() per row
        costs more than the scan); days are folded into weeks here."""
        if size is None:
            return ProductionJob.staff_id
        if by_day:  # 'YYYY-MM' for months, 'YYYY-MM-DD' for days and weeks
            return func.substr(column, 1, 7 if size == "month" else 10)
        return period_expression(session, column, size, is_date=is_date)

    def bucket(name: OutputBucket):
        return func.coalesce(func.sum(JobOutput.weight_g).filter(JobOutput.bucket == name), 0)

    issued_key = key(JobIssue.issued_at)
    issued = _jobs(actor, filters, select(issued_key, ProductionJob.stage_id, func.sum(JobIssue.weight_g))
                   .join(ProductionJob, ProductionJob.id == JobIssue.job_id)
                   .where(JobIssue.issued_at >= low, JobIssue.issued_at < high,
                          JobIssue.returned_movement_id.is_(None))
                   .group_by(issued_key, ProductionJob.stage_id))
    output_key = key(JobReceipt.received_on, True)
    outputs = _jobs(actor, filters, select(output_key, ProductionJob.stage_id, *(bucket(b) for b in OutputBucket))
                    .join(JobReceipt, JobReceipt.id == JobOutput.receipt_id)
                    .join(ProductionJob, ProductionJob.id == JobOutput.job_id)
                    .where(JobReceipt.received_on >= period.start, JobReceipt.received_on <= period.end)
                    .group_by(output_key, ProductionJob.stage_id))
    returned_key = key(JobReturn.returned_at)
    returned = _jobs(actor, filters, select(returned_key, ProductionJob.stage_id, func.sum(JobReturn.weight_g))
                     .join(JobIssue, JobIssue.id == JobReturn.issue_id)
                     .join(ProductionJob, ProductionJob.id == JobReturn.job_id)
                     .where(JobReturn.returned_at >= low, JobReturn.returned_at < high,
                            JobIssue.returned_movement_id.is_(None))
                     .group_by(returned_key, ProductionJob.stage_id))
    written_key = key(ProductionJob.closed_at)
    written_off = _jobs(actor, filters, select(written_key, ProductionJob.stage_id, func.sum(ProductionJob.written_off_g))
                        .where(ProductionJob.closed_as == JobStatus.COMPLETED, ProductionJob.written_off_g > 0,
                               ProductionJob.closed_at >= low, ProductionJob.closed_at < high)
                        .group_by(written_key, ProductionJob.stage_id))
    sums: dict[tuple, list[Decimal]] = {}

    def add(group, stage_id, position, values):
        if size is not None:
            group = period_start(as_date(group + "-01" if isinstance(group, str) and len(group) == 7 else group),
                                 size)
        entry = sums.setdefault((group, stage_id), [ZERO] * 5)
        for offset, value in enumerate(values):
            entry[position + offset] += grams(value)

    for group, stage_id, weight in session.execute(issued):
        add(group, stage_id, 0, (weight,))
    for group, stage_id, weight in session.execute(returned):  # unused stock given back: net issued
        add(group, stage_id, 0, (-grams(weight),))
    for group, stage_id, *buckets in session.execute(outputs):
        add(group, stage_id, 1, buckets)
    for group, stage_id, weight in session.execute(written_off):
        add(group, stage_id, 4, (weight,))
    return sums


def _stages(session: Session) -> dict[int, tuple[str, Decimal | None, int]]:
    """stage id -> (name, loss norm, sort order)."""
    return {row[0]: (row[1], row[2], row[3]) for row in session.execute(select(
        ProductionStage.id, ProductionStage.name, ProductionStage.loss_norm_pct, ProductionStage.sort_order))}


def _figures(values: list[Decimal], norm) -> dict:
    issued, received, rejected, scrapped, waste = values
    return dict(issued_g=issued, received_g=received, rejected_g=rejected, scrapped_g=scrapped, waste_g=waste,
                norm_pct=norm)


def production_summary(session: Session, *, actor: Actor, period: DateRange, filters: ReportFilters = ReportFilters(),
                       size: str = "month") -> list[StagePeriodRow]:
    """Issued, received, rejected, scrapped and waste grams per stage and period (day, week or month)."""
    _prepare(actor, filters)
    if size not in ("day", "week", "month"):
        raise ValidationFailed(f"Unknown period {size!r}; use day, week or month.")
    stages = _stages(session)
    rows = [StagePeriodRow(period=when, stage_id=stage_id, stage=stages[stage_id][0],
                           **_figures(values, stages[stage_id][1]))
            for (when, stage_id), values in _grouped(session, actor, period, filters, size).items()]
    return sorted(rows, key=lambda row: (row.period, stages[row.stage_id][2], row.stage))


def loss_by_person(session: Session, *, actor: Actor, period: DateRange,
                   filters: ReportFilters = ReportFilters()) -> list[PersonRow]:
    """The same figures per staff member (the job's staff) and stage, with the grams above each stage's norm.
    `jobs`: that person's jobs of the stage with an issue or a receipt in the range."""
    _prepare(actor, filters)
    stages = _stages(session)
    sums = _grouped(session, actor, period, filters, None)
    names = dict(session.execute(select(User.id, User.name).where(
        User.id.in_([staff for staff, _stage in sums if staff is not None]))).all()) if sums else {}
    low, high = period.bounds()
    active = ProductionJob.id.in_(union(
        select(JobIssue.job_id).where(JobIssue.issued_at >= low, JobIssue.issued_at < high),
        select(JobReceipt.job_id).where(JobReceipt.received_on >= period.start, JobReceipt.received_on <= period.end)))
    counts = {(staff, stage): jobs for staff, stage, jobs in session.execute(_jobs(actor, filters, select(
        ProductionJob.staff_id, ProductionJob.stage_id, func.count(ProductionJob.id)).where(active)
        .group_by(ProductionJob.staff_id, ProductionJob.stage_id)))}
    rows = [PersonRow(staff_id=staff, person=names.get(staff) or UNASSIGNED, stage_id=stage_id,
                      stage=stages[stage_id][0], jobs=counts.get((staff, stage_id), 0),
                      **_figures(values, stages[stage_id][1]))
            for (staff, stage_id), values in sums.items()]
    return sorted(rows, key=lambda row: (row.person.lower(), stages[row.stage_id][2], row.stage))


def jobs_above_norm(session: Session, *, actor: Actor, period: DateRange,
                    filters: ReportFilters = ReportFilters(), limit: int | None = None) -> list[JobNormRow]:
    """Jobs with a receipt or a completion in the range whose whole loss (all their receipts) is above their
    stage's norm, the most grams over first (the first `limit` of them when given)."""
    _prepare(actor, filters)
    rows = _job_figures(session, actor, filters, period, above_only=True, limit=limit)
    return sorted((row for row in rows if row.above_norm), key=lambda row: (-row.over_norm_g, row.job))


def _job_figures(session: Session, actor: Actor, filters: ReportFilters, period: DateRange | None,
                 job_id: int | None = None, above_only: bool = False, limit: int | None = None
                 ) -> list[JobNormRow]:
    """Each chosen job's lifetime figures (net issued, outputs, write-off) with its stage's norm: the job
    `job_id`, or the jobs with a receipt or a completion in `period` (`above_only`: those above norm, in SQL)."""
    if job_id is not None:
        chosen = [job_id]
    else:  # two plain id sets (a semi-join each way), so no planner sees a correlated OR per job
        low, high = period.bounds()
        chosen = union(select(JobReceipt.job_id).where(JobReceipt.received_on >= period.start,
                                                       JobReceipt.received_on <= period.end),
                       select(ProductionJob.id).where(ProductionJob.closed_at >= low, ProductionJob.closed_at < high))
    issued = (select(JobIssue.job_id, func.sum(JobIssue.weight_g).label("issued_g"))
              .where(JobIssue.returned_movement_id.is_(None), JobIssue.job_id.in_(chosen))
              .group_by(JobIssue.job_id).subquery())
    returned = _returned(chosen)
    net_issued = issued.c.issued_g - func.coalesce(returned.c.returned_g, 0)
    outputs = (select(JobOutput.job_id, *(func.coalesce(func.sum(JobOutput.weight_g).filter(
                   JobOutput.bucket == b), 0).label(b.value) for b in OutputBucket))
               .where(JobOutput.job_id.in_(chosen)).group_by(JobOutput.job_id).subquery())
    stmt = (select(ProductionJob.id, ProductionJob.number, ProductionStage.name, User.name,
                   ProductionStage.loss_norm_pct, net_issued, outputs.c.received, outputs.c.rejected,
                   outputs.c.scrapped, outputs.c.waste, ProductionJob.written_off_g)
            .join(ProductionStage, ProductionStage.id == ProductionJob.stage_id)
            .outerjoin(User, User.id == ProductionJob.staff_id)
            .join(issued, issued.c.job_id == ProductionJob.id, isouter=not above_only)
            .outerjoin(returned, returned.c.job_id == ProductionJob.id)
            .outerjoin(outputs, outputs.c.job_id == ProductionJob.id)
            .where(ProductionJob.id.in_(chosen)))
    stmt = _jobs(actor, filters, stmt)
    if above_only:
        loss = (func.coalesce(outputs.c.scrapped, 0) + func.coalesce(outputs.c.waste, 0)
                + ProductionJob.written_off_g)
        over = loss * 100 - net_issued * ProductionStage.loss_norm_pct
        stmt = stmt.where(ProductionStage.loss_norm_pct.is_not(None), net_issued > 0, over > 0)
        stmt = stmt.order_by(over.desc()).limit(limit) if limit is not None else stmt
    return [JobNormRow(job_id=row[0], job=row[1], stage=row[2], person=row[3] or UNASSIGNED, norm_pct=row[4],
                       issued_g=grams(row[5]), received_g=grams(row[6]), rejected_g=grams(row[7]),
                       scrapped_g=grams(row[8]), waste_g=grams(row[9]) + grams(row[10]))
            for row in session.execute(stmt.order_by(ProductionJob.number))]


def _returned(job_ids):
    """Per job of `job_ids` (a list or a select of ids): grams of unused stock given back from live issues."""
    return (select(JobReturn.job_id, func.sum(JobReturn.weight_g).label("returned_g"))
            .join(JobIssue, JobIssue.id == JobReturn.issue_id)
            .where(JobIssue.returned_movement_id.is_(None), JobReturn.job_id.in_(job_ids))
            .group_by(JobReturn.job_id).subquery())


def _percentile(values: list[Decimal], share: Decimal) -> Decimal | None:
    """The `share` percentile (nearest rank, so it is always a real job's figure); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil(n × share)
    return ordered[int(rank) - 1]


def _days_between(session: Session, start, end):
    """SQL for the days (a fraction) from `start` to `end`, two UTC timestamps."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 86400
    return func.julianday(end) - func.julianday(start)


def stage_performance(session: Session, *, actor: Actor, period: DateRange,
                      filters: ReportFilters = ReportFilters()) -> list[StagePerformanceRow]:
    """Per stage, the jobs completed in the range: median and 90th-percentile days from first issue to
    completion, and their material loss (whole jobs)."""
    _prepare(actor, filters)
    low, high = period.bounds()
    chosen = _jobs(actor, filters, select(ProductionJob.id).where(
        ProductionJob.closed_as == JobStatus.COMPLETED, ProductionJob.closed_at >= low, ProductionJob.closed_at < high))
    first_issue = (select(JobIssue.job_id, func.min(JobIssue.issued_at).label("first_at"),
                          func.sum(JobIssue.weight_g).filter(JobIssue.returned_movement_id.is_(None))
                          .label("issued_g"))
                   .where(JobIssue.job_id.in_(chosen)).group_by(JobIssue.job_id).subquery())
    losses = (select(JobOutput.job_id, *(func.coalesce(func.sum(JobOutput.weight_g).filter(
                  JobOutput.bucket == b), 0).label(b.value) for b in (OutputBucket.SCRAPPED, OutputBucket.WASTE)))
              .where(JobOutput.job_id.in_(chosen)).group_by(JobOutput.job_id).subquery())
    returned = _returned(chosen)
    days = _days_between(session, first_issue.c.first_at, ProductionJob.closed_at)
    durations: dict[int, list[Decimal]] = {}
    for stage_id, value in session.execute(select(ProductionJob.stage_id, days)
                                           .join(first_issue, first_issue.c.job_id == ProductionJob.id)
                                           .where(ProductionJob.id.in_(chosen))):
        durations.setdefault(stage_id, []).append(Decimal(str(round(max(float(value or 0), 0.0), 1))))
    sums = (select(ProductionStage.id, ProductionStage.name, ProductionStage.loss_norm_pct,
                   func.sum(first_issue.c.issued_g - func.coalesce(returned.c.returned_g, 0)),
                   func.sum(losses.c.scrapped),
                   func.sum(func.coalesce(losses.c.waste, 0) + ProductionJob.written_off_g))
            .join(ProductionJob, ProductionJob.stage_id == ProductionStage.id)
            .join(first_issue, first_issue.c.job_id == ProductionJob.id)
            .outerjoin(losses, losses.c.job_id == ProductionJob.id)
            .outerjoin(returned, returned.c.job_id == ProductionJob.id)
            .where(ProductionJob.id.in_(chosen))
            .group_by(ProductionStage.id, ProductionStage.name, ProductionStage.loss_norm_pct,
                      ProductionStage.sort_order)
            .order_by(ProductionStage.sort_order, ProductionStage.name))
    rows = []
    for stage_id, name, norm, issued, scrapped, waste in session.execute(sums):
        taken = durations.get(stage_id, [])
        median = Decimal(str(statistics.median(taken))).quantize(Decimal("0.1")) if taken else None
        rows.append(StagePerformanceRow(stage_id=stage_id, stage=name, jobs_completed=len(taken), median_days=median,
                                        p90_days=_percentile(taken, Decimal("0.9")), issued_g=grams(issued),
                                        scrapped_g=grams(scrapped), waste_g=grams(waste), norm_pct=norm))
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
