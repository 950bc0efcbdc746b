"""Costs that flow through production (issue 19 item 3): issue, bench return, receipt, completion.

Every amount is money in the workspace's default currency (components in another currency are not
carried: the job page counts them as "not carried"). Worked example in docs/costing.md.

- **Issue**: the job takes the issued share of the source item's cost (item cost now × issued weight /
  the item's weight before the issue; pieces for an item without weight) and the item's components shrink
  by the same share (a quantity or manual amount × weight after / weight before; an item emptied loses
  them), so the cost is in one place at a time. Components in another currency shrink too, but their
  cost is not carried into the job. `JobIssue.cost` keeps the amount; `JobIssue.metal_profile_id` the rate profile of the
  source's largest metal component.
- **Labour**: a job's own labour components are `CostComponent` rows with `job_id` (no item), added and
  removed on the job page while it is open; each is valued at the rate in force when it was added.
- **Pool**: cost at the bench = Σ issue costs + labour − bench returns − what receipts carried off −
  what was written off; grams at the bench = net issued − everything recorded (`lib.production.totals`).
- **Bench return**: the returned grams go back at the cost they came in at (the issue's cost × returned g /
  issued g; never more than the cost at the bench), given to the receiving item as a manual Metal
  component "Returned from JOB-…". Labour stays on the job.
- **Receipt**: it consumes pool × recorded g / grams at the bench (all of the pool when it records at
  least the grams at the bench). Rejects and scrap carry their metal content at the rate in force: a
  component linked to the job's metal profile with their weight (cost = weight × today's price); without
  a priced metal profile they carry the consumed cost per gram. Waste carries the consumed cost per gram
  as a loss (on its output row, no item). Good outputs share what is left by weight (the last one takes
  the rounding rest) as a manual Metal component "Production cost JOB-…" with their weight. A receipt
  without good output (or rejects worth more than consumed) puts the difference in `cost_written_off`.
- **Completion** writes off what is still at the bench (`cost_written_off`). Invariant of a completed
  job, exact to the cent: issued + labour = returned + Σ output costs (items and waste) + written off.
- **Cancelling** (a job without receipts) gives each issue's cost still out (its cost less its bench returns')
  back with the stock, as a manual Metal component "Returned from JOB-… (cancelled)" on the item that gets
  the stock (`JobIssue.cancel_cost`); the job's labour is written off.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.costing.components import (
    ComponentInput,
    _checked,
    _item_cost,
    basis_quantity,
    costs_of_items,
    money,
)
from lib.costing.rates import versions_as_of
from lib.errors import NotFound, ValidationFailed
from lib.enums import ComponentType, RateBasis
from lib.models import (
    CostComponent,
    InventoryItem,
    JobIssue,
    JobOutput,
    JobReturn,
    OutputBucket,
    ProductionJob,
    RateProfile,
    StockMovement,
    utcnow,
)
from lib.production.totals import job_figures
from lib.workspace.settings import get_workspace

ZERO = Decimal(0)


def _currency(session: Session) -> str:
    return get_workspace(session).default_currency


# ---------------------------------------------------------------------------
# Issue and return (called by lib.production under the job's and the item's locks)
# ---------------------------------------------------------------------------

def cost_issue(session: Session, user_id: int | None, job: ProductionJob, row: JobIssue,
               item: InventoryItem) -> Decimal:
    """Move the issued share of `item`'s cost to the job (`row.cost`); shrink the item's components."""
    currency = _currency(session)
    components = list(session.scalars(select(CostComponent).where(CostComponent.item_id == item.id)
                                      .order_by(CostComponent.id)))
    after, issued = Decimal(item.weight), Decimal(row.weight)
    if after + issued <= 0:  # an item without weight: its pieces decide the share
        after, issued = Decimal(item.quantity), Decimal(row.quantity)
    before = after + issued
    if not components or before <= 0:
        row.cost = ZERO
        return ZERO
    cost = costs_of_items(session, [item.id])[item.id]
    total = cost.totals.get(currency, ZERO)
    row.cost = money(total * issued / before)
    metal = [line for line in cost.lines if line.component_type is ComponentType.METAL and line.profile_id
             and line.grams is not None]
    if metal:
        row.metal_profile_id = max(metal, key=lambda line: (line.grams, -line.id)).profile_id
    keep = after / before
    for component in components:
        if keep == 0:
            session.delete(component)
            continue
        if component.unit != "%":
            component.quantity = (Decimal(component.quantity) * keep).quantize(Decimal("0.0001"))
        if component.manual_amount is not None:
            component.manual_amount = (Decimal(component.manual_amount) * keep).quantize(Decimal("0.0001"))
    audit.record(session, actor_id=user_id, action="cost to production", entity="inventory_item",
                 entity_id=item.id, new={"job": job.number, "cost": row.cost, "currency": currency,
                                         "share_kept": keep})
    session.flush()
    return row.cost


@dataclass(frozen=True)
class Pool:
    issued: Decimal
    labour: Decimal
    returned: Decimal
    carried: Decimal  # Σ output costs (items and waste)
    written_off: Decimal
    grams: Decimal  # at the bench: net issued - recorded

    @property
    def remaining(self) -> Decimal:
        return self.issued + self.labour - self.returned - self.carried - self.written_off


def _labour_rows(session: Session, job_id: int) -> list:
    return list(session.execute(
        select(CostComponent, RateProfile).outerjoin(RateProfile, RateProfile.id == CostComponent.profile_id)
        .where(CostComponent.job_id == job_id).order_by(CostComponent.id)))


def labour_lines(session: Session, job_id: int) -> list:
    """The job's labour components, each valued at the rate in force when it was added."""
    lines = []
    for component, profile in _labour_rows(session, job_id):
        versions = versions_as_of(session, {profile.id}, component.created_at) if profile is not None else {}
        lines.extend(_item_cost(job_id, component.created_at, [(component, profile)], versions).lines)
    return lines


def pool(session: Session, job: ProductionJob) -> Pool:
    currency = _currency(session)
    issued = session.scalar(select(func.coalesce(func.sum(JobIssue.cost), 0)).where(JobIssue.job_id == job.id))
    returned = session.scalar(select(func.coalesce(func.sum(JobReturn.cost), 0)).where(JobReturn.job_id == job.id))
    returned += session.scalar(select(func.coalesce(func.sum(JobIssue.cancel_cost), 0))
                               .where(JobIssue.job_id == job.id))
    carried = session.scalar(select(func.coalesce(func.sum(JobOutput.cost), 0)).where(JobOutput.job_id == job.id))
    labour = sum((line.cost for line in labour_lines(session, job.id)
                  if line.cost is not None and line.currency == currency), ZERO)
    figures = job_figures(session, [job.id])[job.id]
    return Pool(Decimal(str(issued)), labour, Decimal(str(returned)), Decimal(str(carried)),
                Decimal(job.cost_written_off or 0), figures.net_issued_g - figures.recorded_g)


def cost_return(session: Session, user_id: int | None, job: ProductionJob, issue: JobIssue, back: JobReturn,
                remaining: Decimal) -> None:
    """Give a bench return the cost its grams came in at (the issue's cost per gram), at most `remaining` (the
    cost at the bench before it); the receiving item gets it as a manual Metal component."""
    grams = Decimal(back.weight_g)
    if remaining <= 0 or not issue.cost or Decimal(issue.weight_g) <= 0:
        back.cost = ZERO
        return
    back.cost = min(remaining, money(Decimal(issue.cost) * grams / Decimal(issue.weight_g)))
    if back.cost > 0:
        session.add(CostComponent(item_id=back.item_id, component_type=ComponentType.METAL,
                                  description=f"Returned from {job.number}", quantity=back.weight,
                                  unit=back.weight_unit, manual_amount=back.cost,
                                  manual_currency=_currency(session), created_by_id=user_id))
    session.flush()


def cost_cancel(session: Session, user_id: int | None, job: ProductionJob, issue: JobIssue,
                movement_id: int) -> None:
    """Cancelling a job (no receipts): what the issue's cost still has out (its cost less its bench returns')
    goes back, as a manual Metal component on the item the cancel's movement gave the stock to."""
    taken, weight_back = session.execute(select(func.coalesce(func.sum(JobReturn.cost), 0),
                                                func.coalesce(func.sum(JobReturn.weight), 0))
                                         .where(JobReturn.issue_id == issue.id)).one()
    back = max(Decimal(issue.cost or 0) - Decimal(str(taken)), ZERO)
    out = Decimal(issue.weight) - Decimal(str(weight_back))
    issue.cancel_cost = back
    item_id = session.scalar(select(StockMovement.item_id).where(StockMovement.id == movement_id))
    if back > 0 and item_id is not None and out > 0:
        session.add(CostComponent(item_id=item_id, component_type=ComponentType.METAL,
                                  description=f"Returned from {job.number} (cancelled)", quantity=out,
                                  unit=issue.weight_unit, manual_amount=back, manual_currency=_currency(session),
                                  created_by_id=user_id))
    session.flush()


# ---------------------------------------------------------------------------
# Receipt and completion
# ---------------------------------------------------------------------------

def _metal_profile(session: Session, job_id: int) -> RateProfile | None:
    rows = session.execute(select(JobIssue.metal_profile_id, func.sum(JobIssue.weight_g))
                           .where(JobIssue.job_id == job_id, JobIssue.metal_profile_id.is_not(None))
                           .group_by(JobIssue.metal_profile_id)).all()
    if not rows:
        return None
    profile_id = max(rows, key=lambda row: (Decimal(str(row[1])), -row[0]))[0]
    profile = session.get(RateProfile, profile_id)
    return profile if profile is not None and profile.basis.is_weight else None


def _component(job: ProductionJob, output: JobOutput, amount: Decimal, currency: str, user_id: int | None,
               description: str) -> CostComponent:
    return CostComponent(item_id=output.item_id, component_type=ComponentType.METAL, description=description,
                         quantity=output.weight, unit=output.weight_unit, manual_amount=amount,
                         manual_currency=currency, created_by_id=user_id)


def cost_receipt(session: Session, user_id: int | None, job: ProductionJob, receipt_id: int,
                 moment: datetime | None = None) -> None:
    """Give the outputs of one receipt (just written) their cost, as the module docstring says."""
    outputs = list(session.scalars(select(JobOutput).where(JobOutput.receipt_id == receipt_id)
                                   .order_by(JobOutput.id)))
    currency = _currency(session)
    session.flush()
    state = pool(session, job)
    receipt_g = sum((Decimal(output.weight_g) for output in outputs), ZERO)
    before_g = state.grams + receipt_g  # grams at the bench before this receipt
    remaining = state.remaining
    if receipt_g <= 0 or remaining <= 0:
        for output in outputs:
            output.cost = ZERO
        session.flush()
        return
    consumed = remaining if before_g <= 0 or receipt_g >= before_g else money(remaining * receipt_g / before_g)
    profile = _metal_profile(session, job.id)
    version = versions_as_of(session, {profile.id}, moment or utcnow()).get(profile.id) if profile else None
    per_gram_share = lambda grams: money(consumed * Decimal(grams) / receipt_g)  # noqa: E731
    good = [output for output in outputs if output.bucket is OutputBucket.RECEIVED]
    others = ZERO
    for output in outputs:
        if output.bucket in (OutputBucket.REJECTED, OutputBucket.SCRAPPED):
            if profile is not None and version is not None:
                output.cost = money(basis_quantity(output.weight, output.weight_unit, profile.basis) * version.price)
                session.add(CostComponent(item_id=output.item_id, component_type=ComponentType.METAL,
                                          profile_id=profile.id, description=f"Metal content, {job.number}",
                                          quantity=output.weight, unit=output.weight_unit,
                                          created_by_id=user_id))
            else:
                output.cost = per_gram_share(output.weight_g)
                if output.cost > 0:
                    session.add(_component(job, output, output.cost, currency, user_id,
                                           f"Production cost {job.number}"))
            others += output.cost
        elif output.bucket is OutputBucket.WASTE:
            output.cost = per_gram_share(output.weight_g)
            others += output.cost
    rest = consumed - others
    if not good or rest < 0:
        job.cost_written_off = Decimal(job.cost_written_off or 0) + rest
        rest = ZERO
    good_g = sum((Decimal(output.weight_g) for output in good), ZERO)
    given = ZERO
    for index, output in enumerate(good):
        share = rest - given if index == len(good) - 1 else (
            money(rest * Decimal(output.weight_g) / good_g) if good_g > 0 else ZERO)
        output.cost = share
        given += share
        if share > 0:
            session.add(_component(job, output, share, currency, user_id, f"Production cost {job.number}"))
    audit.record(session, actor_id=user_id, action="cost production receipt", entity="production_job",
                 entity_id=job.id, new={"receipt_id": receipt_id, "consumed": consumed, "currency": currency,
                                        "outputs": [(output.bucket.value, output.item_id, output.cost)
                                                    for output in outputs]})
    session.flush()


def write_off_rest(session: Session, user_id: int | None, job: ProductionJob) -> Decimal:
    """At completion: what is still at the bench is written off (`cost_written_off`); the amount."""
    rest = pool(session, job).remaining
    if rest:
        job.cost_written_off = Decimal(job.cost_written_off or 0) + rest
        audit.record(session, actor_id=user_id, action="write off production cost", entity="production_job",
                     entity_id=job.id, new={"amount": rest, "currency": _currency(session)})
    return rest


# ---------------------------------------------------------------------------
# What the job page shows (admins and managers), and the job's labour
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class JobCost:
    currency: str
    issued: Decimal
    labour: Decimal
    returned: Decimal
    received: Decimal  # carried by good output
    rejected: Decimal
    scrapped: Decimal
    waste: Decimal  # loss
    written_off: Decimal
    at_bench: Decimal
    received_g: Decimal
    labour_lines: tuple = ()

    @property
    def total(self) -> Decimal:
        """The job's cost: what was issued (net of returns) plus its labour."""
        return self.issued - self.returned + self.labour

    @property
    def per_gram(self) -> Decimal | None:
        """Cost per gram of good output (None before any)."""
        return money(self.received / self.received_g) if self.received_g > 0 else None


def job_cost(session: Session, *, actor: Actor, job_id: int) -> JobCost:
    """The cost of a job in the actor's locations and where it went (admins and managers)."""
    from lib.production.job_plan import get_job_in_scope

    actor.require(Right.VIEW_RATES)
    job = get_job_in_scope(session, actor=actor, job_id=job_id)
    state = pool(session, job)
    by_bucket: dict[OutputBucket, Decimal] = defaultdict(Decimal)
    received_g = ZERO
    for bucket, cost, grams in session.execute(select(JobOutput.bucket, JobOutput.cost, JobOutput.weight_g)
                                               .where(JobOutput.job_id == job.id)):
        by_bucket[bucket] += Decimal(str(cost or 0))
        if bucket is OutputBucket.RECEIVED and cost is not None:
            received_g += Decimal(str(grams))
    return JobCost(_currency(session), state.issued, state.labour, state.returned,
                   by_bucket[OutputBucket.RECEIVED], by_bucket[OutputBucket.REJECTED],
                   by_bucket[OutputBucket.SCRAPPED], by_bucket[OutputBucket.WASTE], state.written_off,
                   state.remaining if job.closed_as is None else ZERO, received_g,
                   tuple(labour_lines(session, job.id)))


def add_job_labour(session: Session, *, actor: Actor, job_id: int, data: ComponentInput) -> CostComponent:
    """A labour component on an open job (admins and managers, the job's location); audited on the job."""
    from lib.production.job_plan import lock_job, require_open

    actor.require(Right.EDIT_COSTS)
    job = lock_job(session, actor=actor, job_id=job_id, right=Right.EDIT_COSTS)
    require_open(job, "labour")
    if data.profile_id is None:
        data = ComponentInput(quantity=data.quantity, unit=data.unit, component_type=ComponentType.LABOR,
                              description=data.description, manual_amount=data.manual_amount,
                              manual_currency=data.manual_currency)
    try:
        values = _checked(session, data)
    except ValidationFailed as error:
        raise ValidationFailed.listing("The labour was not added.", error.problems) from None
    problems = []
    if values["component_type"] is not ComponentType.LABOR:
        problems.append("Choose a labour rate profile")
    currency = _currency(session)
    chosen = (session.get(RateProfile, values["profile_id"]).currency if values["profile_id"]
              else values["manual_currency"])
    if chosen != currency:
        problems.append(f"A job's labour is in the workspace currency ({currency}), not {chosen}")
    if values["profile_id"] and session.get(RateProfile, values["profile_id"]).basis is RateBasis.PERCENT:
        problems.append("A percent rate cannot be a job's labour")
    if problems:
        raise ValidationFailed.listing("The labour was not added.", problems)
    component = CostComponent(job_id=job.id, created_by_id=actor.user_id, **values)
    session.add(component)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="add job labour", entity="production_job",
                 entity_id=job.id, new={"component_id": component.id, **values})
    return component


def remove_job_labour(session: Session, *, actor: Actor, component_id: int) -> None:
    """Remove a labour component from an open job; audited with what it was."""
    from lib.production.job_plan import lock_job, require_open

    actor.require(Right.EDIT_COSTS)
    component = session.get(CostComponent, component_id) if isinstance(component_id, int) else None
    if component is None or component.job_id is None:
        raise NotFound("No such labour on a job in your locations.")
    job = lock_job(session, actor=actor, job_id=component.job_id, right=Right.EDIT_COSTS)
    require_open(job, "labour")
    audit.record(session, actor_id=actor.user_id, action="remove job labour", entity="production_job",
                 entity_id=job.id, old={"component_id": component.id, "profile_id": component.profile_id,
                                        "quantity": component.quantity, "unit": component.unit,
                                        "manual_amount": component.manual_amount})
    session.delete(component)
    session.flush()


__all__ = ["JobCost", "Pool", "add_job_labour", "cost_cancel", "cost_issue", "cost_receipt", "cost_return",
           "job_cost", "labour_lines", "pool", "remove_job_labour", "write_off_rest"]
