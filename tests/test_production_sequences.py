"""Random sequences of production actions (issue, issue more, bench return, receive good / reject / scrap /
waste, complete, cancel) on jobs holding stock kept in random units, on the suite's database (SQLite or
PostgreSQL). After every step, refused or not:

- the ledger verifies (every item's balance is the sum of its movements);
- every job's figures equal sums recomputed in Python from its rows, exactly (no float drift);
- every job balances: issued - returned + gain = received + rejected + scrapped + waste + outstanding, and a
  closed job has outstanding 0;
- nothing is counted twice: the stock movements naming a job add up, in grams, to exactly gain - waste -
  outstanding (what left stock for it and never came back), and no movement is recorded by two rows.

A Hypothesis state machine chooses the actions (and shrinks a failing sequence to the shortest); each rule
draws a seed for its own amounts, items and units, so a failure replays exactly. MAX_EXAMPLES x STEPS are
kept small so CI stays fast.
"""
from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import ledger
from lib.errors import ValidationFailed
from lib.inventory import stock
from lib.models import (
    InventoryItem,
    InventoryKind,
    ItemStatus,
    JobIssue,
    JobOutput,
    JobReturn,
    JobStatus,
    OutputBucket,
    ProductionJob,
    Role,
    StockMovement,
)
from lib.production import bench, jobs, receipts, stages
from lib.production.jobs import NewJob, SourceLine
from lib.production.receipts import OutputRow, Portion, ReceiptDraft
from lib.production.totals import job_figures
from lib.units import WEIGHT_QUANTUM, from_grams, to_grams
from tests import factories as f

MAX_EXAMPLES = 40
STEPS = 14
UNITS = ("g", "ct", "dwt", "ozt", "oz", "gr", "tola", "kg", "mg")
D = Decimal
ZERO = D(0)


def _weight(rng: random.Random, most: Decimal) -> Decimal:
    """A 4-decimal weight in (0, most], or `most` itself now and then."""
    if most <= 0:
        return D("0.0001")
    if rng.random() < 0.2:
        return most
    return max(D("0.0001"), (most * D(rng.randint(1, 9999)) / 10000).quantize(WEIGHT_QUANTUM))


class World:
    def __init__(self, session, seed: int):
        self.session = session
        self.rng = random.Random(seed)
        f.make_workspace(session, default_weight_unit=self.rng.choice(UNITS))
        self.location = f.make_location(session, f.unique("Bench "))
        admin = f.make_user(session, Role.ADMIN)
        self.actor = f.actor(session, f.make_user(session, Role.MANAGER, self.location))
        self.stage = stages.add_stage(session, actor=f.actor(session, admin), name=f.unique("Casting "),
                                      code=f.unique("C"))
        self.product = f.make_product(session, short_name=f.unique("AU"))
        self.items = [f.make_item(session, self.product, self.location, quantity=self.rng.randint(0, 5),
                                  weight=str(D(self.rng.randint(1, 200_000)) / 10000), unit=self.rng.choice(UNITS),
                                  kind=InventoryKind.MATERIALS, tag_id=f.unique("AUGR")) for _ in range(4)]
        self.jobs: list[int] = []

    # -- actions -------------------------------------------------------------------------------------------
    def _available(self) -> list[InventoryItem]:
        found = []
        for item in self.items:
            self.session.refresh(item)
            if item.status is ItemStatus.AVAILABLE and item.weight > 0:
                found.append(item)
        return found

    def _source(self, item: InventoryItem) -> SourceLine:
        if self.rng.random() < 0.3:
            return SourceLine(item.id)
        pieces = self.rng.randint(0, item.quantity)
        return SourceLine(item.id, quantity=pieces, weight=_weight(self.rng, D(item.weight)))

    def _open_jobs(self) -> list[ProductionJob]:
        return [job for job in (self.session.get(ProductionJob, job_id) for job_id in self.jobs)
                if job.closed_as is None]

    def create(self):
        available = self._available()
        if not available:
            return
        requested = {}
        if self.rng.random() < 0.4:
            requested = dict(split="even", requested_weight=str(_weight(self.rng, D(500))),
                             requested_weight_unit=self.rng.choice(UNITS))
        created = jobs.create_job(self.session, actor=self.actor, data=NewJob(
            stage_id=self.stage.id, sources=(self._source(self.rng.choice(available)),), **requested))
        self.jobs.append(created.job_id)

    def issue_more(self):
        open_jobs, available = self._open_jobs(), self._available()
        if open_jobs and available:
            jobs.issue_to_job(self.session, actor=self.actor, job_id=self.rng.choice(open_jobs).id,
                              sources=[self._source(self.rng.choice(available))])

    def give_back(self):
        open_jobs = self._open_jobs()
        if not open_jobs:
            return
        job = self.rng.choice(open_jobs)
        options = bench.returnable(self.session, actor=self.actor, job_id=job.id)
        if options:
            option = self.rng.choice(options)
            bench.return_stock(self.session, actor=self.actor, job_id=job.id, issue_id=option.issue_id,
                               quantity=self.rng.randint(0, max(option.out_pieces, 0)),
                               weight=_weight(self.rng, option.out_weight * D("1.1")))

    def receive(self):
        open_jobs = self._open_jobs()
        if not open_jobs:
            return
        job = self.rng.choice(open_jobs)
        figures = job_figures(self.session, [job.id])[job.id]
        if not figures.issues:
            return
        unit, scrap_unit = self.rng.choice(UNITS), self.rng.choice(UNITS)
        share = max(figures.balance().outstanding, D("0.001")) / 3  # grams; now and then above what is out

        def amount(symbol: str) -> str:
            return str(_weight(self.rng, to_grams_inverse(share * D("1.2"), symbol)))
        row = OutputRow(product_id=self.product.id, kind=InventoryKind.MATERIALS, weight_unit=unit,
                        weight=amount(unit) if self.rng.random() < 0.8 else None,
                        waste=amount(unit) if self.rng.random() < 0.5 else None,
                        rejected=Portion(weight=amount(unit)) if self.rng.random() < 0.3 else None,
                        scrapped=Portion(weight=amount(scrap_unit), weight_unit=scrap_unit)
                        if self.rng.random() < 0.3 else None)
        receipts.receive_job(self.session, actor=self.actor, job_id=job.id, draft=ReceiptDraft(rows=(row,)),
                             confirm=True)

    def complete(self):
        open_jobs = self._open_jobs()
        if open_jobs:
            jobs.close_job(self.session, actor=self.actor, job_id=self.rng.choice(open_jobs).id,
                           reason=self.rng.choice(["", "   ", "dust"]), confirm_gain=self.rng.random() < 0.7)

    def cancel(self):
        received = set(self.session.scalars(select(JobOutput.job_id).where(JobOutput.job_id.in_(self.jobs))))
        open_jobs = [job for job in self._open_jobs() if job.id not in received or self.rng.random() < 0.2]
        returned = set(self.session.scalars(select(JobReturn.job_id).where(JobReturn.job_id.in_(self.jobs))))
        if any(job.id in returned for job in open_jobs) and self.rng.random() < 0.7:
            open_jobs = [job for job in open_jobs if job.id in returned]  # the case where returns must go too
        if open_jobs:
            jobs.cancel_job(self.session, actor=self.actor, job_id=self.rng.choice(open_jobs).id, reason="stop")

    def archive_an_empty_source(self):
        for item in self.items:
            self.session.refresh(item)
            if item.status is not ItemStatus.ARCHIVED and item.quantity == 0 and item.weight == 0:
                stock.archive(self.session, actor=self.actor, item_id=item.id, reason="empty")
                return


def to_grams_inverse(grams: Decimal, unit: str) -> Decimal:
    return max(from_grams(grams, unit), D("0.0001"))


def check(world: World) -> None:
    session = world.session
    assert ledger.verify(session) == []
    figures = job_figures(session, world.jobs)
    movement_owners = Counter()
    for job_id in world.jobs:
        job = session.get(ProductionJob, job_id)
        issues = session.scalars(select(JobIssue).where(JobIssue.job_id == job_id)).all()
        active = {row.id for row in issues if row.returned_movement_id is None}
        returns = session.scalars(select(JobReturn).where(JobReturn.job_id == job_id)).all()
        outputs = session.scalars(select(JobOutput).where(JobOutput.job_id == job_id)).all()
        by_bucket = {bucket: sum((o.weight_g for o in outputs if o.bucket is bucket), ZERO) for bucket in OutputBucket}
        figure = figures[job_id]
        assert figure.issued_g == sum((row.weight_g for row in issues if row.id in active), ZERO)
        assert figure.returned_g == sum((row.weight_g for row in returns if row.issue_id in active), ZERO)
        assert (figure.received_g, figure.rejected_g, figure.scrapped_g) == (
            by_bucket[OutputBucket.RECEIVED], by_bucket[OutputBucket.REJECTED], by_bucket[OutputBucket.SCRAPPED])
        assert figure.waste_g == by_bucket[OutputBucket.WASTE] + job.written_off_g
        balance = figure.balance()
        assert (balance.issued - balance.returned + balance.gain
                == balance.received + balance.rejected + balance.scrapped + balance.waste + balance.outstanding)
        if job.closed_as is not None:
            assert balance.outstanding == 0, job.number
        if job.closed_as is JobStatus.CANCELLED:
            assert balance.issued == balance.returned == balance.waste == 0
        moved = ZERO
        for delta, unit in session.execute(select(StockMovement.weight_delta, InventoryItem.weight_unit)
                                           .join(InventoryItem, InventoryItem.id == StockMovement.item_id)
                                           .where(StockMovement.reference == job.number)):
            moved += to_grams(D(str(delta)), unit)
        assert moved == balance.gain - balance.waste - balance.outstanding, job.number
        for movement_id in ([row.movement_id for row in issues] + [row.movement_id for row in returns]
                            + [row.movement_id for row in outputs if row.movement_id is not None]):
            movement_owners[movement_id] += 1
        for row in issues:  # a cancelled issue names its own RETURN, or the last bench return that emptied it
            if row.returned_movement_id is not None and row.returned_movement_id not in {r.movement_id for r in returns}:
                movement_owners[row.returned_movement_id] += 1
    assert all(count == 1 for count in movement_owners.values())


SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def test_random_production_sequences_keep_every_gram(shared_engine):
    class Production(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.connection = shared_engine.connect()  # each example is rolled back, like the `session` fixture
            self.transaction = self.connection.begin()
            self.session = Session(bind=self.connection, join_transaction_mode="create_savepoint",
                                   expire_on_commit=False)
            self.world: World | None = None

        def act(self, action: str, seed: int) -> None:
            self.world.rng = random.Random(seed)
            try:
                with self.session.begin_nested():
                    getattr(self.world, action)()
            except ValidationFailed:
                pass  # refused: nothing written (the savepoint is gone), and the invariant still holds
            self.session.expire_all()

        @initialize(seed=SEEDS)
        def workshop(self, seed):
            self.world = World(self.session, seed)
            self.act("create", seed)

        @rule(seed=SEEDS)
        def create(self, seed):
            self.act("create", seed)

        @rule(seed=SEEDS)
        def issue_more(self, seed):
            self.act("issue_more", seed)

        @rule(seed=SEEDS)
        def give_back(self, seed):
            self.act("give_back", seed)

        @rule(seed=SEEDS)
        def receive(self, seed):
            self.act("receive", seed)

        @rule(seed=SEEDS)
        def complete(self, seed):
            self.act("complete", seed)

        @rule(seed=SEEDS)
        def cancel(self, seed):
            self.act("cancel", seed)

        @rule(seed=SEEDS)
        def archive_an_empty_source(self, seed):
            self.act("archive_an_empty_source", seed)

        @invariant()
        def every_gram_is_accounted_for(self):
            if self.world is not None:
                check(self.world)

        def teardown(self):
            self.session.close()
            self.transaction.rollback()
            self.connection.close()

    run_state_machine_as_test(Production, settings=settings(
        max_examples=MAX_EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
