"""The production formulas, exactly as the reference states them (3.13.6 for a job, 3.9.7 for an order).

Pure: Decimals in, Decimals out, no database. Every weight passed in one call
must be in one unit (the callers use grams, or the workspace default unit);
percentages come back on a 0-100 scale, computed exactly and rounded half-up
to one decimal at the end.

Job (reference 3.13.6):

    Progress Base = Requested Weight if a requested weight exists, else Issued Weight
    Pending       = Base - Received - Rejected - Scrapped - Waste
    Bar           = Completed (Received), Pending, Rejected, Scrapped, Wasted, each / Base x 100
    Output %      = (Received + Rejected) / Base x 100
    Gross Waste % = (Waste + Scrapped) / Base x 100
    Net Waste %   = Waste / Base x 100
    Consumption % = (Waste + Scrapped) / (Received + Rejected) x 100

Decisions where the reference is silent (section 5.8, Q51-Q53, Q57), and
which the tests pin down:

- A base of 0 is no base: a requested weight of 0 (or none) falls back to the
  issued weight, an issued weight of 0 (or none) leaves the job without a base.
- No base: the bar is the "practical split" of what was recorded (each bucket
  / the recorded total), Pending is unknown (None) and the four chips are None
  (shown as "—"): they mean nothing without a base. Nothing recorded either:
  every percentage is None.
- Over-recovery (outputs above the base): Pending keeps its negative sign; the
  bar's Pending share is 0 and `over_recovery_pct` = -Pending / Base x 100, so
  the five shares add up to 100 + over-recovery and the page says so, never
  silently. Output % and Gross Waste % may then exceed 100.
- Consumption % with no measured output (Received + Rejected = 0) is None:
  never a division by zero, never a made-up 0 or 100.

Metal balance (issue 16; vs what was ISSUED, never vs the requested weight), in grams, exact:

    Issued - Returned + Gain = Received + Rejected + Scrapped + Waste + Outstanding

- Returned: unused stock given back from the job (bench returns). Net issued = Issued - Returned.
- Waste includes what was written off when the job was completed (the outstanding metal, with a reason).
- Gain: metal recovered above what was issued, recorded (with the user's confirmation) when the job was
  completed; before completion it shows as a negative Outstanding.
- A completed job always has Outstanding 0: completion writes off exactly the outstanding metal (> 0) or
  records it as a gain (< 0). Progress (`job_progress`) keeps measuring against the requested weight.

Order (reference 3.9.7), over the jobs linked to an order:

- Order base = sum of the jobs' bases (jobs without a base add 0), pending =
  sum of their pendings; the bar divides the summed buckets by the order base,
  with the same no-base and over-recovery rules as a job.
- The final received stage is the stage of the job received most recently.
  Ties (jobs of several stages received at that same latest moment): all those
  stages are final. Jobs never received are never what makes a stage final,
  but every job of a final stage counts in the final output.
- Final Output = sum of (Received + Rejected) of the jobs in the final
  stage(s); Net Input = sum of Issued + Final Output - sum of (Received +
  Rejected). Output % = Final Output / Net Input, Gross Waste % = (Waste +
  Scrap) / Net Input, Net Waste % = Waste / Net Input, Consumption % = (Waste
  + Scrap) / Final Output; a Net Input of 0 or less, or (for Consumption) a
  Final Output of 0, gives None.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

PERCENT_PLACES = Decimal("0.1")
ZERO = Decimal(0)


def _decimal(value, name: str, allow_none: bool = False) -> Decimal | None:
    """A non-negative Decimal from a Decimal, int or numeric string; ValueError otherwise."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{name} is required")
    if isinstance(value, (bool, float)):
        raise ValueError(f"{name} must be a Decimal, not {type(value).__name__}")
    number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if not number.is_finite() or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def percent(part: Decimal, whole: Decimal | None) -> Decimal | None:
    """part / whole x 100, rounded half-up to 0.1; None when there is no whole (None or <= 0)."""
    if whole is None or whole <= 0:
        return None
    return (part * 100 / whole).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def progress_base(requested_weight: Decimal | None, issued_weight: Decimal | None) -> Decimal | None:
    """Requested weight when there is one (> 0), else issued weight (> 0), else None."""
    for candidate in (requested_weight, issued_weight):
        if candidate is not None and candidate > 0:
            return candidate
    return None


@dataclass(frozen=True)
class Bar:
    """The five progress-bar shares (0-100 scale) and the over-recovery beyond 100.

    `practical` is True when there was no base and the shares split what was recorded.
    """

    completed_pct: Decimal | None
    pending_pct: Decimal | None
    rejected_pct: Decimal | None
    scrapped_pct: Decimal | None
    wasted_pct: Decimal | None
    over_recovery_pct: Decimal | None
    practical: bool = False

    def shares(self) -> dict[str, Decimal | None]:
        """Label -> share, in the bar's order (Completed, Pending, Rejected, Scrapped, Wasted)."""
        return {"Completed": self.completed_pct, "Pending": self.pending_pct, "Rejected": self.rejected_pct,
                "Scrapped": self.scrapped_pct, "Wasted": self.wasted_pct}


def _bar(base: Decimal | None, pending: Decimal | None, received: Decimal, rejected: Decimal, scrapped: Decimal,
         waste: Decimal) -> Bar:
    if base is None:
        recorded = received + rejected + scrapped + waste
        if recorded <= 0:
            return Bar(None, None, None, None, None, None)
        return Bar(percent(received, recorded), None, percent(rejected, recorded), percent(scrapped, recorded),
                   percent(waste, recorded), None, practical=True)
    return Bar(percent(received, base), percent(max(pending, ZERO), base), percent(rejected, base),
               percent(scrapped, base), percent(waste, base), percent(max(-pending, ZERO), base))


@dataclass(frozen=True)
class JobProgress:
    """A job's progress and efficiency (reference 3.13.6); weights in the caller's unit.

    `pending` is signed (negative = over-recovery); `over_recovery` is its size when negative, else 0.
    """

    base: Decimal | None
    pending: Decimal | None
    bar: Bar
    output_pct: Decimal | None
    gross_waste_pct: Decimal | None
    net_waste_pct: Decimal | None
    consumption_pct: Decimal | None

    @property
    def completed_pct(self) -> Decimal | None:
        return self.bar.completed_pct

    @property
    def pending_pct(self) -> Decimal | None:
        return self.bar.pending_pct

    @property
    def rejected_pct(self) -> Decimal | None:
        return self.bar.rejected_pct

    @property
    def scrapped_pct(self) -> Decimal | None:
        return self.bar.scrapped_pct

    @property
    def wasted_pct(self) -> Decimal | None:
        return self.bar.wasted_pct

    @property
    def over_recovery_pct(self) -> Decimal | None:
        return self.bar.over_recovery_pct

    @property
    def over_recovery(self) -> Decimal:
        return -self.pending if self.pending is not None and self.pending < 0 else ZERO

    @property
    def accounted_pct(self) -> Decimal | None:
        """The share of the base accounted for, as job lists show progress: 100 − Pending % (+ over-recovery).

        None without a base."""
        if self.base is None or self.bar.pending_pct is None:
            return None
        return Decimal(100) - self.bar.pending_pct + (self.bar.over_recovery_pct or 0)


def job_progress(*, requested_weight, issued_weight, received, rejected, scrapped, waste) -> JobProgress:
    """Progress base, pending, the five bar shares and the four efficiency chips of one job.

    All weights in one unit; `requested_weight` and `issued_weight` may be None.
    Raises ValueError for negative, non-finite or float inputs.
    """
    requested = _decimal(requested_weight, "requested_weight", allow_none=True)
    issued = _decimal(issued_weight, "issued_weight", allow_none=True)
    received, rejected = _decimal(received, "received"), _decimal(rejected, "rejected")
    scrapped, waste = _decimal(scrapped, "scrapped"), _decimal(waste, "waste")
    base = progress_base(requested, issued)
    pending = base - received - rejected - scrapped - waste if base is not None else None
    measured = received + rejected
    loss = waste + scrapped
    return JobProgress(
        base=base, pending=pending, bar=_bar(base, pending, received, rejected, scrapped, waste),
        output_pct=percent(measured, base), gross_waste_pct=percent(loss, base), net_waste_pct=percent(waste, base),
        consumption_pct=percent(loss, measured) if base is not None else None)


@dataclass(frozen=True)
class MetalBalance:
    """A job's metal balance in grams: issued - returned + gain = received + rejected + scrapped + waste +
    outstanding (exact Decimal; `outstanding` is signed: below zero = recovered more than was issued)."""

    issued: Decimal
    returned: Decimal
    received: Decimal
    rejected: Decimal
    scrapped: Decimal
    waste: Decimal
    gain: Decimal
    outstanding: Decimal

    @property
    def net_issued(self) -> Decimal:
        return self.issued - self.returned

    @property
    def accounted(self) -> Decimal:
        """Everything that came back as output, scrap or waste (received + rejected + scrapped + waste)."""
        return self.received + self.rejected + self.scrapped + self.waste

    def rows(self) -> list[tuple[str, Decimal]]:
        """Label -> grams, in the order the job page shows them (signed: what left the job is negative)."""
        rows = [("Issued", self.issued), ("Returned", -self.returned)]
        if self.gain:
            rows.append(("Gain (recovered above issued)", self.gain))
        return rows + [("Received", -self.received), ("Rejected", -self.rejected), ("Scrapped", -self.scrapped),
                       ("Waste", -self.waste), ("Outstanding", self.outstanding)]


def metal_balance(*, issued, returned, received, rejected, scrapped, waste, gain=ZERO) -> MetalBalance:
    """The balance of one job (grams, or any one unit): outstanding = issued - returned + gain - everything recorded.

    Pure and exact; raises ValueError for negative, non-finite or float inputs.
    """
    values = {name: _decimal(value, name) for name, value in (
        ("issued", issued), ("returned", returned), ("received", received), ("rejected", rejected),
        ("scrapped", scrapped), ("waste", waste), ("gain", gain))}
    outstanding = (values["issued"] - values["returned"] + values["gain"] - values["received"] - values["rejected"]
                   - values["scrapped"] - values["waste"])
    return MetalBalance(**values, outstanding=outstanding + 0)


def combined_balance(balances: Iterable[MetalBalance]) -> MetalBalance:
    """Several jobs' balances added up (an order's production section): still adds up, exactly."""
    names = ("issued", "returned", "received", "rejected", "scrapped", "waste", "gain", "outstanding")
    totals = dict.fromkeys(names, ZERO)
    for balance in balances:
        for name in names:
            totals[name] += getattr(balance, name)
    return MetalBalance(**totals)


@dataclass(frozen=True, kw_only=True)
class JobTotals:
    """One job's figures for `order_efficiency`: weights in one unit, the time of its latest receipt."""

    stage_id: int | None
    last_received_at: datetime | None
    requested_weight: Decimal | None
    issued_weight: Decimal | None
    received: Decimal = ZERO
    rejected: Decimal = ZERO
    scrapped: Decimal = ZERO
    waste: Decimal = ZERO


@dataclass(frozen=True)
class OrderEfficiency:
    """The order-level production summary (reference 3.9.7); weights in the caller's unit."""

    jobs: int
    base: Decimal | None
    pending: Decimal | None
    bar: Bar
    final_stage_ids: frozenset
    final_output: Decimal
    net_input: Decimal
    output_pct: Decimal | None
    gross_waste_pct: Decimal | None
    net_waste_pct: Decimal | None
    consumption_pct: Decimal | None


def final_stage_ids(jobs: list[JobTotals]) -> frozenset:
    """The stage(s) of the most recent receipt among `jobs` (several when tied); empty when none was received."""
    received = [job for job in jobs if job.last_received_at is not None]
    if not received:
        return frozenset()
    latest = max(job.last_received_at for job in received)
    return frozenset(job.stage_id for job in received if job.last_received_at == latest)


def order_efficiency(jobs: Iterable[JobTotals]) -> OrderEfficiency:
    """Order progress shares and the four order-level chips over the jobs linked to an order (reference 3.9.7)."""
    jobs = list(jobs)
    totals = {name: ZERO for name in ("issued", "received", "rejected", "scrapped", "waste")}
    base_sum, pending_sum, any_base = ZERO, ZERO, False
    measured_by_job = []
    for job in jobs:
        progress = job_progress(requested_weight=job.requested_weight, issued_weight=job.issued_weight,
                                received=job.received, rejected=job.rejected, scrapped=job.scrapped,
                                waste=job.waste)
        if progress.base is not None:
            any_base = True
            base_sum += progress.base
            pending_sum += progress.pending
        totals["issued"] += _decimal(job.issued_weight, "issued_weight", allow_none=True) or ZERO
        for name in ("received", "rejected", "scrapped", "waste"):
            totals[name] += _decimal(getattr(job, name), name)
        measured_by_job.append(_decimal(job.received, "received") + _decimal(job.rejected, "rejected"))
    base = base_sum if any_base and base_sum > 0 else None
    pending = pending_sum if base is not None else None
    finals = final_stage_ids(jobs)
    final_output = sum((measured for job, measured in zip(jobs, measured_by_job) if job.stage_id in finals), ZERO)
    net_input = totals["issued"] + final_output - (totals["received"] + totals["rejected"])
    loss = totals["waste"] + totals["scrapped"]
    return OrderEfficiency(
        jobs=len(jobs), base=base, pending=pending,
        bar=_bar(base, pending, totals["received"], totals["rejected"], totals["scrapped"], totals["waste"]),
        final_stage_ids=finals, final_output=final_output, net_input=net_input,
        output_pct=percent(final_output, net_input), gross_waste_pct=percent(loss, net_input),
        net_waste_pct=percent(totals["waste"], net_input),
        consumption_pct=percent(loss, final_output) if net_input > 0 else None)
