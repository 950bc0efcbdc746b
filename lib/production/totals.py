"""Each job's figures in SQL, defined once (DESIGN rule 8): issued, received, rejected, scrapped, waste.

Weights are summed in grams (the rows carry them, so units never mix) and
converted to the workspace default unit only for display; the formulas run on
grams (`Figures.progress`), which gives the same percentages as any unit.

- Issued = the job's issues not given back (a cancelled job gave its issues back).
- Returned = bench returns of those issues (a cancelled issue takes its returns off the books with it);
  net issued (issued - returned) is the progress base when no requested weight is set.
- Gain = metal recovered above issued, recorded at completion (`lib.production.formulas.metal_balance`).
- Received / Rejected / Scrapped = the weights of the items its receipts created.
- Waste = the waste recorded on receipts + the pending written off when the job was completed.
- A job's status follows from these rows (`status_expression`, `job_status`):
  Completed / Cancelled when closed so; otherwise Ongoing once anything is
  issued, else Scheduled with a deadline and Unscheduled without one.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from lib.models import JobIssue, JobOutput, JobReceipt, JobReturn, JobStatus, OutputBucket, ProductionJob
from lib.production.formulas import JobProgress, JobTotals, MetalBalance, job_progress, metal_balance
from lib.units import GRAMS_QUANTUM, from_grams

ZERO = Decimal(0)


def _grams(value) -> Decimal:
    """A database sum as Decimal. SQLite sums NUMERIC as floats: str() keeps them short and the quantize to the
    stored 10 decimals gives back the exact sum (every summand has at most 10), so balances add up exactly."""
    return Decimal(str(value)).quantize(GRAMS_QUANTUM) + 0 if value is not None else ZERO


def _only(stmt, column, job_ids):
    """Restrict a per-job aggregate to `job_ids` (None: every job)."""
    return stmt if job_ids is None else stmt.where(column.in_(job_ids))


def issues_subquery(job_ids: list[int] | None = None):
    """Per job (of `job_ids`, None: all): grams and pieces issued and not given back, and how many issues."""
    stmt = (select(JobIssue.job_id.label("job_id"),
                   func.coalesce(func.sum(JobIssue.weight_g), 0).label("issued_g"),
                   func.coalesce(func.sum(JobIssue.quantity), 0).label("issued_pieces"),
                   func.count(JobIssue.id).label("issues"))
            .where(JobIssue.returned_movement_id.is_(None)))
    return _only(stmt, JobIssue.job_id, job_ids).group_by(JobIssue.job_id).subquery("job_issued")


def returns_subquery(job_ids: list[int] | None = None):
    """Per job (of `job_ids`, None: all): grams and pieces given back by bench returns of its active issues."""
    stmt = (select(JobReturn.job_id.label("job_id"),
                   func.coalesce(func.sum(JobReturn.weight_g), 0).label("returned_g"),
                   func.coalesce(func.sum(JobReturn.quantity), 0).label("returned_pieces"))
            .join(JobIssue, JobIssue.id == JobReturn.issue_id).where(JobIssue.returned_movement_id.is_(None)))
    return _only(stmt, JobReturn.job_id, job_ids).group_by(JobReturn.job_id).subquery("job_returned")


def outputs_subquery(job_ids: list[int] | None = None):
    """Per job (of `job_ids`, None: all): grams (and pieces) recorded in each bucket."""
    def bucket_sum(bucket: OutputBucket, column):
        return func.coalesce(func.sum(case((JobOutput.bucket == bucket, column), else_=0)), 0)

    stmt = select(JobOutput.job_id.label("job_id"),
                  *(bucket_sum(bucket, JobOutput.weight_g).label(f"{bucket.value}_g") for bucket in OutputBucket),
                  *(bucket_sum(bucket, JobOutput.quantity).label(f"{bucket.value}_pieces")
                    for bucket in OutputBucket if bucket is not OutputBucket.WASTE))
    return _only(stmt, JobOutput.job_id, job_ids).group_by(JobOutput.job_id).subquery("job_outputs")


def receipts_subquery(job_ids: list[int] | None = None):
    """Per job (of `job_ids`, None: all): how many receipts, and when the latest was recorded."""
    stmt = select(JobReceipt.job_id.label("job_id"), func.count(JobReceipt.id).label("receipts"),
                  func.max(JobReceipt.recorded_at).label("last_received_at"))
    return _only(stmt, JobReceipt.job_id, job_ids).group_by(JobReceipt.job_id).subquery("job_receipts")


def status_expression(issues_column):
    """The job status as SQL, given the column counting the job's active issues (NULL when none)."""
    return case((ProductionJob.closed_as == JobStatus.COMPLETED, literal(JobStatus.COMPLETED.value)),
                (ProductionJob.closed_as == JobStatus.CANCELLED, literal(JobStatus.CANCELLED.value)),
                (func.coalesce(issues_column, 0) > 0, literal(JobStatus.ONGOING.value)),
                (ProductionJob.deadline.is_not(None), literal(JobStatus.SCHEDULED.value)),
                else_=literal(JobStatus.UNSCHEDULED.value))


def job_status(closed_as: JobStatus | None, issues: int, deadline: date | None) -> JobStatus:
    """The same rule as `status_expression`, in Python."""
    if closed_as is not None:
        return closed_as
    if issues > 0:
        return JobStatus.ONGOING
    return JobStatus.SCHEDULED if deadline is not None else JobStatus.UNSCHEDULED


def is_overdue(status: JobStatus, deadline: date | None, today: date) -> bool:
    """Overdue: an open job whose deadline has passed."""
    return status.is_open and deadline is not None and deadline < today


@dataclass(frozen=True)
class Figures:
    """One job's totals in grams (pieces as counts)."""

    job_id: int
    stage_id: int
    requested_g: Decimal | None
    issued_g: Decimal
    issued_pieces: int
    issues: int
    received_g: Decimal
    rejected_g: Decimal
    scrapped_g: Decimal
    waste_g: Decimal  # recorded waste + pending written off at completion
    received_pieces: int
    rejected_pieces: int
    scrapped_pieces: int
    receipts: int
    last_received_at: datetime | None
    returned_g: Decimal = ZERO
    returned_pieces: int = 0
    gain_g: Decimal = ZERO

    @property
    def recorded_g(self) -> Decimal:
        return self.received_g + self.rejected_g + self.scrapped_g + self.waste_g

    @property
    def net_issued_g(self) -> Decimal:
        """Issued minus bench returns: the progress base when no requested weight is set."""
        return self.issued_g - self.returned_g

    def balance(self) -> MetalBalance:
        """The job's metal balance (vs issued), in grams."""
        return metal_balance(issued=self.issued_g, returned=self.returned_g, received=self.received_g,
                             rejected=self.rejected_g, scrapped=self.scrapped_g, waste=self.waste_g,
                             gain=self.gain_g)

    def progress(self) -> JobProgress:
        """The reference formulas on these grams (percentages do not depend on the unit); net issued is the
        base when no requested weight is set."""
        return job_progress(requested_weight=self.requested_g, issued_weight=self.net_issued_g or None,
                            received=self.received_g, rejected=self.rejected_g, scrapped=self.scrapped_g,
                            waste=self.waste_g)

    def totals(self, unit: str) -> JobTotals:
        """These figures for `order_efficiency`, in `unit`."""
        def converted(grams):
            return None if grams is None else from_grams(grams, unit)
        return JobTotals(stage_id=self.stage_id, last_received_at=self.last_received_at,
                         requested_weight=converted(self.requested_g),
                         issued_weight=converted(self.net_issued_g) if self.issues else None,
                         received=converted(self.received_g), rejected=converted(self.rejected_g),
                         scrapped=converted(self.scrapped_g), waste=converted(self.waste_g))


def figures_statement(job_ids: Iterable[int] | None = None):
    """SELECT the figures columns per job (all jobs, or `job_ids`); callers scope it (lib.access.scope_jobs)."""
    job_ids = sorted(set(job_ids)) if job_ids is not None else None
    issued, outputs, receipts = issues_subquery(job_ids), outputs_subquery(job_ids), receipts_subquery(job_ids)
    returned = returns_subquery(job_ids)
    stmt = (select(ProductionJob.id, ProductionJob.stage_id, ProductionJob.requested_weight_g,
                   ProductionJob.written_off_g, ProductionJob.gain_g, issued.c.issued_g, issued.c.issued_pieces,
                   issued.c.issues, returned.c.returned_g, returned.c.returned_pieces,
                   *(outputs.c[f"{bucket.value}_g"] for bucket in OutputBucket),
                   *(outputs.c[f"{bucket.value}_pieces"] for bucket in OutputBucket
                     if bucket is not OutputBucket.WASTE),
                   receipts.c.receipts, receipts.c.last_received_at)
            .select_from(ProductionJob)
            .outerjoin(issued, issued.c.job_id == ProductionJob.id)
            .outerjoin(returned, returned.c.job_id == ProductionJob.id)
            .outerjoin(outputs, outputs.c.job_id == ProductionJob.id)
            .outerjoin(receipts, receipts.c.job_id == ProductionJob.id))
    if job_ids is not None:
        stmt = stmt.where(ProductionJob.id.in_(job_ids))
    return stmt


def _last_received(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))  # SQLite returns max() of stored text
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def figures_from_row(row) -> Figures:
    m = row._mapping
    return Figures(
        job_id=m["id"], stage_id=m["stage_id"],
        requested_g=_grams(m["requested_weight_g"]) if m["requested_weight_g"] is not None else None,
        issued_g=_grams(m["issued_g"]), issued_pieces=int(m["issued_pieces"] or 0), issues=int(m["issues"] or 0),
        received_g=_grams(m["received_g"]), rejected_g=_grams(m["rejected_g"]), scrapped_g=_grams(m["scrapped_g"]),
        waste_g=_grams(m["waste_g"]) + _grams(m["written_off_g"]),
        received_pieces=int(m["received_pieces"] or 0), rejected_pieces=int(m["rejected_pieces"] or 0),
        scrapped_pieces=int(m["scrapped_pieces"] or 0), receipts=int(m["receipts"] or 0),
        last_received_at=_last_received(m["last_received_at"]), returned_g=_grams(m["returned_g"]),
        returned_pieces=int(m["returned_pieces"] or 0), gain_g=_grams(m["gain_g"]))


def job_figures(session: Session, job_ids: Iterable[int]) -> dict[int, Figures]:
    """Figures of the given jobs (the caller has checked they are in the viewer's scope)."""
    ids = list(job_ids)
    if not ids:
        return {}
    return {row.id: figures_from_row(row) for row in session.execute(figures_statement(ids))}
