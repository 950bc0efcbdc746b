"""Production jobs linked to sales order lines (reference 3.13.1: jobs are "created from real order demand";
3.13.3 step 1: order and order line; 3.9.7: the order page's production summary).

A job works on at most one sales order line. `production_jobs.order_id` and
`order_line_id` are both set or both empty; the writes are in
`lib.production.jobs` (`create_job` with `NewJob.order_line_id`, `link_job`
to set, change or clear it), the rules and reads here.

Decisions where the reference is silent (also in docs/production.md):

- Who: linking needs the right to change production jobs *and* to view
  orders (admins and managers; members cannot see orders, so they cannot
  link, and the job page shows them only that a job is linked).
- What: sales orders only; the line must be active (neither cancelled nor
  closed short) and its order neither Cancelled, Completed nor Returned (an
  order on hold can still have work planned for it). When the job has products (those chosen on the form and
  those of its issued stock), the line's product must be one of them; a
  planned job without any product can be linked, and stock issued into a
  linked job later must then include the line's product.
- A completed job can still be linked (work done before the order was
  recorded) or unlinked; a cancelled one cannot be linked (it made nothing).
- After every change to a linked job (create, link, unlink, issue, receive,
  complete, cancel, delete) the affected orders are refreshed
  (`lib.orders.lines.refresh`): the line statuses follow the jobs (In
  Progress while a linked job is open, Production Completed once its linked
  jobs are completed) and so does the order's fulfilment. Locks: the job
  first, then the order(s) by id, then items (`lib.orders.lines`' order).
- Order-level percentages are computed on grams (exact) and weights are
  converted to the workspace unit for display only; the final stage is the
  stage of the latest receipt by the receipt's date (not when it was typed).
- The order page's production summary (`order_production`) covers every job
  linked to the order that is not cancelled (a cancelled job gave its stock
  back and made nothing), in any location: the figures belong to the order.
  A job outside the viewer's locations is listed with its stage, status and
  progress but without its ID or a link to it.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.errors import NotFound, ValidationFailed
from lib.models import (
    Fulfilment,
    JobProduct,
    JobReceipt,
    JobStatus,
    LineStatus,
    Order,
    OrderKind,
    OrderLine,
    Party,
    Product,
    ProductionJob,
    ProductionStage,
)
from lib.orders import lines as order_lines
from lib.orders.lines import amount_text, line_reference
from lib.orders.listing import hidden_customer, hides_customer
from lib.orders.parties import display_name
from lib.production.formulas import JobProgress, OrderEfficiency, order_efficiency
from lib.production.totals import Figures, job_figures, job_status
from lib.units import from_grams
from lib.workspace.settings import default_weight_unit

LINK_RIGHTS = (Right.EDIT_PRODUCTION, Right.VIEW_ORDERS)
CLOSED_ORDERS = (Fulfilment.CANCELLED, Fulfilment.COMPLETED, Fulfilment.PARTIALLY_RETURNED, Fulfilment.ALL_RETURNED)
ELSEWHERE = "a job in another location"


def can_link(actor: Actor) -> bool:
    """Whether `actor` may link jobs to order lines (change production and view orders)."""
    return all(actor.can(right) for right in LINK_RIGHTS)


def require_link_rights(actor: Actor) -> None:
    for right in LINK_RIGHTS:
        actor.require(right)


def job_product_ids(session: Session, job_id: int) -> set[int]:
    """The job's products: those chosen on the form and those of the stock issued into it."""
    return set(session.scalars(select(JobProduct.product_id).where(JobProduct.job_id == job_id)))


# ---------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------

def check_line(session: Session, *, actor: Actor, order_line_id, order_id=None,
               product_ids: Iterable[int] = ()) -> tuple[Order, OrderLine]:
    """The order and line a job may be linked to, or ValidationFailed / NotFound saying why not.

    `order_id`, when given, must be the line's order (the form sends both);
    `product_ids` are the job's products (empty: no product to compare yet).
    """
    require_link_rights(actor)
    try:
        line = session.get(OrderLine, int(order_line_id))
    except (TypeError, ValueError):
        line = None
    if line is None:
        raise NotFound(order_lines.LINE_NOT_FOUND)
    order = session.get(Order, line.order_id)
    if order_id is not None and str(order_id) != str(order.id):
        raise ValidationFailed(f"{line_reference(order, line)} is not a line of the chosen order.")
    if order.kind is not OrderKind.SALES:
        raise ValidationFailed(f"{order.number} is a purchase order: jobs are linked to sales order lines only.")
    if order.fulfilment in CLOSED_ORDERS:
        raise ValidationFailed(f"{order.number} is {order.fulfilment.label.lower()}: it takes no more production.")
    if line.cancelled_at is not None:
        raise ValidationFailed(f"{line_reference(order, line)} is cancelled: choose an active line.")
    if line.closed_short_at is not None:
        raise ValidationFailed(f"{line_reference(order, line)} is closed short: it takes no more production.")
    products = set(product_ids)
    if products and line.product_id not in products:
        name = session.scalar(select(Product.name).where(Product.id == line.product_id))
        raise ValidationFailed(f"{line_reference(order, line)} asks for {name}; none of the job's products or "
                               "source items is of that product.")
    return order, line


def check_products_after_issue(session: Session, job: ProductionJob) -> None:
    """A linked job must hold the line's product once it has products (stock issued into it later)."""
    if job.order_line_id is None:
        return
    products = job_product_ids(session, job.id)
    line = session.get(OrderLine, job.order_line_id)
    if products and line.product_id not in products:
        order = session.get(Order, line.order_id)
        name = session.scalar(select(Product.name).where(Product.id == line.product_id))
        raise ValidationFailed(f"{job.number} works on {line_reference(order, line)}, which asks for {name}: "
                               "issue stock of that product, or clear the link first.")


def lock_orders(session: Session, order_ids: Iterable[int | None]) -> list[Order]:
    """Row-lock the given orders in id order (after the job, before any item: see the module docstring)."""
    return [order_lines.lock_order(session, order_id) for order_id in sorted({i for i in order_ids if i})]


def refresh_orders(session: Session, orders: Iterable[Order], actor_id: int | None) -> None:
    """Derive the line statuses and fulfilment of `orders` again after their jobs changed."""
    for order in orders:
        order_lines.refresh(session, order, actor_id)


def record_link(session: Session, *, actor_id: int | None, job: ProductionJob,
                old: tuple[int | None, int | None], new: tuple[int | None, int | None]) -> None:
    """Audit a link change on the job and on each order concerned (so it shows in the order's activity)."""
    references = {}
    for order_id, line_id in (old, new):
        if line_id is not None:
            order, line = session.get(Order, order_id), session.get(OrderLine, line_id)
            references[line_id] = (order.id, line.position, line_reference(order, line))
    old_ref = references[old[1]][2] if old[1] else None
    new_ref = references[new[1]][2] if new[1] else None
    audit.record(session, actor_id=actor_id, action="link order line", entity="production_job",
                 entity_id=job.id, old={"order_id": old[0], "order_line_id": old[1], "line": old_ref},
                 new={"order_id": new[0], "order_line_id": new[1], "line": new_ref})
    if old[1]:
        order_id, position, _ref = references[old[1]]
        audit.record(session, actor_id=actor_id, action="unlink production job", entity="order",
                     entity_id=order_id, new={"job": job.number, "line": position})
    if new[1]:
        order_id, position, _ref = references[new[1]]
        audit.record(session, actor_id=actor_id, action="link production job", entity="order",
                     entity_id=order_id, new={"job": job.number, "line": position})


# ---------------------------------------------------------------------------
# What the job form offers
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LineChoice:
    line_id: int
    position: int
    product_id: int
    label: str  # "Line 2 · Ruby ring · 3 pcs · In Progress"


@dataclass(frozen=True)
class OrderChoice:
    order_id: int
    number: str
    label: str  # "SO-0012 · Atelier Rose" (managers: "SO-0012 · Customer (SO-0012)")
    lines: tuple[LineChoice, ...]


def order_choices(session: Session, *, actor: Actor) -> list[OrderChoice]:
    """Sales orders a job may work on (not cancelled or completed) with their active lines, newest first.

    The customer is named only for viewers who may see customer details.
    """
    require_link_rights(actor)
    rows = session.execute(select(Order, Party.company, Party.contact_name).join(Party, Party.id == Order.party_id)
                           .where(Order.kind == OrderKind.SALES, Order.fulfilment.not_in(CLOSED_ORDERS))
                           .order_by(Order.id.desc())).all()
    if not rows:
        return []
    found = session.execute(select(OrderLine, Product.name).join(Product, Product.id == OrderLine.product_id)
                            .where(OrderLine.order_id.in_([order.id for order, _c, _n in rows]),
                                   OrderLine.cancelled_at.is_(None))
                            .order_by(OrderLine.order_id, OrderLine.position)).all()
    by_order: dict[int, list[LineChoice]] = {}
    for line, product in found:
        by_order.setdefault(line.order_id, []).append(LineChoice(
            line.id, line.position, line.product_id,
            f"Line {line.position} · {product} · {amount_text(line.quantity, line.weight, line.weight_unit)} · "
            f"{line.status.label}"))
    choices = []
    for order, company, contact in rows:
        if order.id not in by_order:
            continue
        customer = hidden_customer(order.number) if hides_customer(actor, order.kind) else display_name(company,
                                                                                                          contact)
        choices.append(OrderChoice(order.id, order.number, f"{order.number} · {customer}", tuple(by_order[order.id])))
    return choices


# ---------------------------------------------------------------------------
# The job page
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class JobLink:
    """The order line a job works on, as this viewer may see it (`visible` False: orders are not theirs)."""

    visible: bool
    order_id: int | None = None
    order_number: str = ""
    customer: str = ""
    line_id: int | None = None
    position: int | None = None
    product: str = ""
    line_status: LineStatus | None = None

    @property
    def text(self) -> str:
        if not self.visible:
            return "a sales order line (orders are for admins and managers)"
        return f"{self.order_number} line {self.position} · {self.product} · {self.customer}"


def job_link(session: Session, *, actor: Actor, job: ProductionJob) -> JobLink | None:
    """The job's order line for the job page (the caller has checked the job is in the actor's scope)."""
    if job.order_line_id is None:
        return None
    if not actor.can(Right.VIEW_ORDERS):
        return JobLink(visible=False)
    line = session.get(OrderLine, job.order_line_id)
    order = session.get(Order, line.order_id)
    party = session.get(Party, order.party_id)
    customer = hidden_customer(order.number) if hides_customer(actor, order.kind) else display_name(
        party.company, party.contact_name)
    product = session.scalar(select(Product.name).where(Product.id == line.product_id))
    return JobLink(True, order.id, order.number, customer, line.id, line.position, product, line.status)


# ---------------------------------------------------------------------------
# The order page
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LinkedJob:
    """A job linked to an order; `job_id` and `number` are None outside the viewer's locations."""

    job_id: int | None
    number: str
    line_id: int
    stage: str
    status: JobStatus
    progress: JobProgress
    issued: Decimal  # in the workspace unit
    received: Decimal

    @property
    def progress_pct(self) -> Decimal | None:
        return self.progress.accounted_pct


@dataclass(frozen=True)
class OrderProduction:
    """The production section of an order page (reference 3.9.7); weights in `unit`."""

    unit: str
    jobs: list[LinkedJob]
    efficiency: OrderEfficiency  # over the jobs that are not cancelled
    issued: Decimal
    received: Decimal
    rejected: Decimal
    scrapped: Decimal
    waste: Decimal
    final_stages: list[str] = field(default_factory=list)
    final_output: Decimal = Decimal(0)  # efficiency.final_output in `unit` (the efficiency itself is in grams)
    net_input: Decimal = Decimal(0)

    def for_line(self, line_id: int) -> list[LinkedJob]:
        return [job for job in self.jobs if job.line_id == line_id]


def _sum(figures: list[Figures], name: str, unit: str) -> Decimal:
    return from_grams(sum((getattr(f, name) for f in figures), Decimal(0)), unit)


def _latest_receipts(session: Session, job_ids: list[int]) -> dict[int, datetime]:
    """Per job, when its latest receipt was received, for `final_stage_ids`: the receipt's date (the day the
    goods came off the bench, as typed), not when it was typed in; receipts of one day keep the order they
    were recorded in (encoded as microseconds into that day, so the value stays a datetime)."""
    if not job_ids:
        return {}
    rows = session.execute(select(JobReceipt.job_id, JobReceipt.received_on, JobReceipt.recorded_at, JobReceipt.id)
                           .where(JobReceipt.job_id.in_(sorted(job_ids)))).all()
    latest: dict[int, datetime] = {}
    for rank, (job_id, day, _recorded_at, _id) in enumerate(sorted(rows, key=lambda row: (row[1], row[2], row[3]))):
        latest[job_id] = datetime.combine(day, time.min) + timedelta(microseconds=rank)  # sorted: the last wins
    return latest


def order_production(session: Session, *, actor: Actor, order_id) -> OrderProduction | None:
    """The jobs linked to an order and the order-level production summary; None when no job is linked."""
    actor.require(Right.VIEW_ORDERS)
    actor.require(Right.VIEW_PRODUCTION)
    try:
        order_id = int(order_id)
    except (TypeError, ValueError):
        raise NotFound(order_lines.ORDER_NOT_FOUND) from None
    rows = session.execute(select(ProductionJob, ProductionStage.name)
                           .join(ProductionStage, ProductionStage.id == ProductionJob.stage_id)
                           .where(ProductionJob.order_id == order_id).order_by(ProductionJob.id)).all()
    if not rows:
        return None
    unit = default_weight_unit(session)
    figures = job_figures(session, [job.id for job, _stage in rows])
    linked, counted = [], []
    for job, stage in rows:
        figure = figures[job.id]
        status = job_status(job.closed_as, figure.issues, job.deadline)
        visible = actor.can_see_location(job.location_id)
        linked.append(LinkedJob(job.id if visible else None, job.number if visible else ELSEWHERE, job.order_line_id,
                                stage, status, figure.progress(), from_grams(figure.issued_g, unit),
                                from_grams(figure.received_g, unit)))
        if status is not JobStatus.CANCELLED:
            counted.append(figure)
    received_on = _latest_receipts(session, [figure.job_id for figure in counted])
    # Percentages on exact grams (a kg workspace would otherwise compute them on 4-decimal kg); weights are
    # converted for display only. The final stage is the one of the latest receipt by its date.
    efficiency = order_efficiency(dataclasses.replace(figure.totals("g"),
                                                      last_received_at=received_on.get(figure.job_id))
                                  for figure in counted)
    stage_names = dict(session.execute(select(ProductionStage.id, ProductionStage.name)
                                       .where(ProductionStage.id.in_(efficiency.final_stage_ids))).all()
                       ) if efficiency.final_stage_ids else {}
    return OrderProduction(unit=unit, jobs=linked, efficiency=efficiency, issued=_sum(counted, "issued_g", unit),
                           received=_sum(counted, "received_g", unit), rejected=_sum(counted, "rejected_g", unit),
                           scrapped=_sum(counted, "scrapped_g", unit), waste=_sum(counted, "waste_g", unit),
                           final_stages=sorted(stage_names.values()),
                           final_output=from_grams(efficiency.final_output, unit),
                           net_input=from_grams(efficiency.net_input, unit))

