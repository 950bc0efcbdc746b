"""Production for the demo workspace: the preset's stages and a few dozen jobs in every status.

Everything goes through the same lib calls as the Production page
(`lib.production.stages.seed_stages`, `jobs.create_job`, `receipts.receive_job`,
`jobs.close_job`, `jobs.cancel_job`), as the people of each location (the
Cutting Studio's member creates and receives its own jobs), so the ledger,
tags, audit and figures are exactly what users produce. Run after the bulk
load, on an ORM session, in one transaction.

How it stays repeatable and consistent with the bulk history:
- Only `random.Random(seed)` decides; events are dated on past days (noon UTC
  plus a few minutes, never after `now`), passed to the lib as `recorded_at`.
- A source item is only taken when its last movement is older than the issue,
  so every item's ledger stays in time order; received output is issued into
  the next stage only after it was received.
- Receipts never record more than was issued; some jobs are completed with the
  pending weight written off, two are cancelled, several are overdue.
- Two demo sales orders get production (`_linked`, after the orders exist):
  an ongoing job with a first receipt works on the "in production" order's
  line, and a completed job on the second line of the "mixed" order, whose
  first line is Ready, so that order becomes Ready to Ship. Jobs are linked
  by the admin through `jobs.link_job`, as on the job page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from random import Random

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lib import db
from lib.access import actor_for_user
from lib.demo.orders import NOTES
from lib.models import (
    InventoryItem,
    ItemStatus,
    JobIssue,
    JobOutput,
    Location,
    Order,
    OrderKind,
    OrderLine,
    OutputBucket,
    ProductionStage,
    StockMovement,
    User,
)
from lib.production import jobs, receipts, stages
from lib.production.jobs import NewJob, SourceLine
from lib.production.receipts import OutputRow, Portion, ReceiptDraft

UNIT = Decimal("0.0001")
# Who works each location's jobs: (the user who records, staff to assign), by demo username.
CREW = {"Main Workshop": ("manager", ("manager", "member")), "Downtown Store": ("manager2", ("manager2", "member2")),
        "Cutting Studio": ("member3", ("member3",))}
COMPLETED = ["MC", "PF", "PP", "SS", "FP", "AS", "PL", "QA", "DC", "HM", "FP", "PP"]
ONGOING = ["SS", "FP", "MC", "PP", "AS", "QA", "PL", "PF"]
CHAINED = (0, 2, 4, 8)  # completed jobs whose -RCV output goes on to the next stage
MIN_SOURCE_GRAMS = Decimal("0.5")  # source lots worth showing


@dataclass(frozen=True)
class ProductionDemo:
    jobs: int
    items: int  # items the receipts created
    movements: int  # movements the jobs wrote (issues, receipts, returns)


def _count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class _Planner:
    """Creates, receives and closes jobs on one session, dating each event on the demo's own clock."""

    def __init__(self, session: Session, now: datetime, rng: Random):
        self.session, self.now, self.rng = session, now, rng
        self.users = {u.username: u for u in session.scalars(select(User))}
        self.stage_ids = {s.code: s.id for s in session.scalars(select(ProductionStage))}
        self.locations = {name: loc_id for loc_id, name in session.execute(select(Location.id, Location.name))}
        self.used: set[int] = set()
        self.minute = 0
        self.last_moved = dict(session.execute(select(StockMovement.item_id, func.max(StockMovement.moved_at))
                                               .group_by(StockMovement.item_id)).all())
        self.defaults = jobs.defaults(session)
        self.jobs = 0

    # -- time and people ------------------------------------------------------------------------------------

    def at(self, days_ago: float) -> datetime:
        """Noon UTC `days_ago` days before now's date, plus a distinct minute (never after now)."""
        self.minute += 1
        day = self.now.date() - timedelta(days=int(days_ago))
        moment = datetime.combine(day, time(12, 0), tzinfo=self.now.tzinfo) + timedelta(minutes=self.minute % 600)
        return min(moment, self.now - timedelta(minutes=1))

    def actor(self, location: str):
        return actor_for_user(self.session, self.users[CREW[location][0]].id)

    def staff(self, location: str) -> int:
        return self.users[self.rng.choice(CREW[location][1])].id

    # -- source stock ---------------------------------------------------------------------------------------

    def source(self, location: str, before: datetime, product_id: int | None = None) -> InventoryItem | None:
        """An available item at `location` (of `product_id` when given), holding stock, untouched since before
        `before`, not used yet."""
        stmt = (select(InventoryItem.id).where(InventoryItem.location_id == self.locations[location],
                                               InventoryItem.status == ItemStatus.AVAILABLE,
                                               InventoryItem.weight_g >= MIN_SOURCE_GRAMS)
                .order_by(InventoryItem.id))
        if product_id is not None:
            stmt = stmt.where(InventoryItem.product_id == product_id)
        quiet = [item_id for item_id in self.session.scalars(stmt)
                 if item_id not in self.used and self.last_moved.get(item_id) is not None
                 and self.last_moved[item_id] < before]
        if not quiet:
            return None
        item_id = quiet[self.rng.randrange(len(quiet))]
        self.used.add(item_id)
        return self.session.get(InventoryItem, item_id)

    # -- jobs -----------------------------------------------------------------------------------------------

    def create(self, location: str, stage: str, issued_days_ago: int, item: InventoryItem | None, *,
               part: bool = False, deadline: bool = True, requested: bool = False, notes: str = ""):
        when = self.at(issued_days_ago)
        issued_on = when.date()
        lines, extra = (), {}
        if item is not None:
            halve = part and item.quantity >= 2
            weight = (Decimal(item.weight) / 2).quantize(UNIT) if halve else Decimal(item.weight)
            lines = (SourceLine(item.id, quantity=item.quantity // 2, weight=weight) if halve else SourceLine(item.id),)
            if requested:
                extra = dict(split="even", requested_weight=(weight * Decimal("0.9")).quantize(UNIT),
                             requested_weight_unit=item.weight_unit)
        data = NewJob(stage_id=self.stage_ids.get(stage), location_id=self.locations[location], sources=lines,
                      staff_id=self.staff(location), issued_on=issued_on,
                      deadline=self.defaults.deadline_for(issued_on) if deadline else None, notes=notes, **extra)
        created = jobs.create_job(self.session, actor=self.actor(location), data=data, recorded_at=when)
        self.jobs += 1
        return created

    def receive(self, location: str, job_id: int, days_ago: int, share: float, finish: bool,
                write_off: bool = False) -> None:
        """One receipt: `share` of each issued item's weight back as good output; when `finish`, rejects, scrap
        and waste account for the rest (all of it, or all but a little when `write_off`)."""
        detail_rows = []
        for issue in jobs_issues(self.session, job_id):
            item = self.session.get(InventoryItem, issue.item_id)
            total = int(Decimal(issue.weight) / UNIT)
            received = max(1, int(total * share))
            attributes = dict(finished_type_id=item.finished_type_id, ms_type_id=item.ms_type_id,
                              shape_id=item.shape_id, size_id=item.size_id, colour_id=item.colour_id)
            row = dict(product_id=item.product_id, kind=item.kind, weight_unit=issue.weight_unit,
                       source_item_id=item.id, **attributes)
            recorded, counted = self.recorded(job_id, item.id)
            pieces = max(0, issue.quantity - counted)
            if finish:
                rejected = int(total * self.rng.uniform(0.0, 0.05)) if pieces >= 3 else 0
                scrap = max(1, int(total * self.rng.uniform(0.02, 0.07)))
                left = total - recorded - received - rejected - scrap
                if left < 0:
                    received, left = max(1, received + left), 0
                waste = left - (int(left * 0.6) if write_off else 0)
                detail_rows.append(OutputRow(
                    weight=received * UNIT, pieces=max(0, pieces - (1 if rejected else 0)), waste=waste * UNIT,
                    rejected=Portion(weight=rejected * UNIT, pieces=1, **attributes) if rejected else None,
                    scrapped=Portion(weight=scrap * UNIT, pieces=0, **attributes), **row))
            else:
                detail_rows.append(OutputRow(weight=received * UNIT, pieces=pieces // 2,
                                             waste=max(1, total // 100) * UNIT, **row))
        source = self.session.get(InventoryItem, detail_rows[0].source_item_id)
        receipts.receive_job(self.session, actor=self.actor(location), job_id=job_id, recorded_at=self.at(days_ago),
                             draft=ReceiptDraft(rows=tuple(detail_rows), received_on=self.at(days_ago).date(),
                                                quality_id=source.quality_id))

    def recorded(self, job_id: int, source_item_id: int) -> tuple[int, int]:
        """What earlier receipts recorded against one source item: units of 0.0001 of its unit, and pieces."""
        rows = self.session.execute(select(JobOutput.weight, JobOutput.quantity).where(
            JobOutput.job_id == job_id, JobOutput.source_item_id == source_item_id)).all()
        return sum(int(Decimal(weight) / UNIT) for weight, _ in rows), sum(pieces for _, pieces in rows)

    def close(self, location: str, job_id: int, days_ago: int, reason: str = "") -> None:
        jobs.close_job(self.session, actor=self.actor(location), job_id=job_id, reason=reason,
                       recorded_at=self.at(days_ago))

    def next_stage_job(self, location: str, job_id: int, stage_code: str, days_ago: int):
        """Issue the first -RCV item of `job_id` into the next stage (after `stage_code`)."""
        item_id = self.session.scalar(select(JobOutput.item_id).where(
            JobOutput.job_id == job_id, JobOutput.bucket == OutputBucket.RECEIVED).order_by(JobOutput.id).limit(1))
        following = stages.next_stage(self.session, self.stage_ids[stage_code])
        if item_id is None or following is None:
            return None, None
        self.used.add(item_id)
        created = self.create(location, following.code, days_ago, self.session.get(InventoryItem, item_id))
        return created, following.code


def jobs_issues(session: Session, job_id: int) -> list[JobIssue]:
    """The job's issues not given back, oldest first."""
    return session.scalars(select(JobIssue).where(JobIssue.job_id == job_id, JobIssue.returned_movement_id.is_(None))
                           .order_by(JobIssue.id)).all()


LOCATION_CYCLE = ["Main Workshop", "Main Workshop", "Cutting Studio", "Downtown Store"]


def _completed(planner: _Planner) -> None:
    for index, stage in enumerate(COMPLETED):
        location = LOCATION_CYCLE[index % len(LOCATION_CYCLE)]
        issued = 40 - 3 * index  # the last few are completed within the week before now
        item = planner.source(location, planner.at(issued))
        if item is None:
            continue
        created = planner.create(location, stage, issued, item, part=index % 3 == 1, requested=index % 5 == 2)
        write_off = index % 4 == 3
        if index % 3 == 0:  # received in two goes
            planner.receive(location, created.job_id, issued - 2, 0.5, finish=False)
        planner.receive(location, created.job_id, issued - 5, 0.35 if index % 3 == 0 else 0.85, finish=True,
                        write_off=write_off)
        planner.close(location, created.job_id, issued - 6, "Filings lost in polishing" if write_off else "")
        if index in CHAINED:
            nxt, code = planner.next_stage_job(location, created.job_id, stage, issued - 7)
            if nxt is not None and index in (0, 4):
                planner.receive(location, nxt.job_id, issued - 9, 0.8, finish=True)
                planner.close(location, nxt.job_id, issued - 10)
                if index == 0:
                    planner.next_stage_job(location, nxt.job_id, code, issued - 11)
            elif nxt is not None:
                planner.receive(location, nxt.job_id, issued - 9, 0.4, finish=False)


def _ongoing(planner: _Planner) -> None:
    for index, stage in enumerate(ONGOING):
        location = LOCATION_CYCLE[(index + 1) % len(LOCATION_CYCLE)]
        issued = 2 + 3 * index
        item = planner.source(location, planner.at(issued))
        if item is None:
            continue
        created = planner.create(location, stage, issued, item, part=index % 2 == 1, requested=index % 4 == 1)
        if index % 2 == 0 and issued > 2:
            planner.receive(location, created.job_id, issued - 1, 0.4, finish=False)


def _cancelled(planner: _Planner) -> None:
    for location, issued in (("Main Workshop", 30), ("Downtown Store", 12)):
        item = planner.source(location, planner.at(issued))
        if item is None:
            continue
        created = planner.create(location, "SS", issued, item)
        jobs.cancel_job(planner.session, actor=planner.actor(location), job_id=created.job_id,
                        reason="Customer changed the design", recorded_at=planner.at(issued - 2))


def _planned(planner: _Planner) -> None:
    for index, (location, stage) in enumerate([("Main Workshop", "CAD"), ("Cutting Studio", "PP"),
                                               ("Downtown Store", "CLP"), ("Main Workshop", "MDL")]):
        planner.create(location, stage, index % 3 + 1, None, notes="Waiting for the stones")
    for location, stage in (("Main Workshop", "DS"), ("Cutting Studio", "SS"), ("Main Workshop", "HM")):
        planner.create(location, stage, 1, None, deadline=False, notes="To plan with the customer")


def _linked(planner: _Planner) -> None:
    """Production for two demo sales orders (see the module docstring); skipped where no stock fits."""
    session = planner.session
    admin = actor_for_user(session, planner.users["admin"].id)
    for plan, position, finish in (("in_production", 1, False), ("mixed", 2, True)):
        line = session.scalars(select(OrderLine).join(Order, Order.id == OrderLine.order_id).where(
            Order.kind == OrderKind.SALES, Order.notes == NOTES[plan], OrderLine.position == position)).first()
        if line is None:
            continue
        issued = 9 if finish else 4
        for location in CREW:
            item = planner.source(location, planner.at(issued), product_id=line.product_id)
            if item is not None:
                break
        else:
            continue
        created = planner.create(location, "PF" if finish else "SS", issued, item)
        planner.receive(location, created.job_id, issued - 2, 0.9 if finish else 0.4, finish=finish)
        if finish:
            planner.close(location, created.job_id, issued - 3)
        jobs.link_job(session, actor=admin, job_id=created.job_id, order_line_id=line.id)


def build_production(engine: Engine, *, now: datetime, seed: int, industry: str = "jewelry") -> ProductionDemo:
    """Seed the stages of `industry` and create the demo's jobs through lib.production; what was made."""
    with db.session_scope(engine, write=True) as session:
        items_before, movements_before = _count(session, InventoryItem), _count(session, StockMovement)
        stages.seed_stages(session, industry)
        planner = _Planner(session, now, Random(seed * 7919 + 13))
        for step in (_completed, _ongoing, _cancelled, _planned, _linked):
            step(planner)
        made = ProductionDemo(planner.jobs, _count(session, InventoryItem) - items_before,
                              _count(session, StockMovement) - movements_before)
    return made
