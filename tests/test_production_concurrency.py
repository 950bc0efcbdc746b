"""Production under concurrency, in threads on the real database (SQLite or PostgreSQL, as the suite runs):
jobs issuing from one item at once never over-issue, job IDs never repeat, and two people receiving one job at
once are served one after the other."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from lib import db, ledger
from lib.errors import LoupeError
from lib.models import InventoryItem, InventoryKind, JobIssue, JobReceipt, Location, Product, ProductionJob, Role, User
from lib.production import jobs, receipts, stages
from lib.production.jobs import NewJob, SourceLine
from lib.production.receipts import OutputRow, ReceiptDraft
from tests import factories as f

D = Decimal


def _world(engine) -> dict:
    """A North workshop with a lot of 10 pcs / 100 g, a stage, a manager and a member."""
    with db.session_scope(engine, write=True) as session:
        f.make_workspace(session)
        north = f.make_location(session, "North")
        manager = f.make_user(session, Role.MANAGER, north)
        member = f.make_user(session, Role.MEMBER, north)
        admin = f.make_user(session, Role.ADMIN)
        stage = stages.add_stage(session, actor=f.actor(session, admin), name="Cutting", code="CUT")
        product = f.make_product(session, "Ruby", "RUB")
        lot = f.make_item(session, product, north, quantity=10, weight="100", unit="g", kind=InventoryKind.ROUGH,
                          tag_id="RUBLOT")
        return dict(north=north.id, users=[manager.id, member.id], stage=stage.id, product=product.id, lot=lot.id)


def _run(count: int, work) -> tuple[list, list, list]:
    """Run `work(number)` in `count` threads released together; (results, refusals, other errors)."""
    results, refusals, errors = [], [], []
    barrier = threading.Barrier(count, timeout=120)

    def worker(number: int) -> None:
        barrier.wait()
        try:
            results.append(work(number))
        except LoupeError as refused:
            refusals.append(refused)
        except Exception as error:  # any other failure fails the test
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, refusals, errors


def _actor(session, world, number: int):
    return f.actor(session, session.get(User, world["users"][number % 2]))


def test_jobs_issuing_from_one_item_at_once_never_over_issue(fresh_engine):
    world = _world(fresh_engine)

    def create(number: int):
        with db.session_scope(fresh_engine, write=True) as session:
            data = NewJob(stage_id=world["stage"], sources=(SourceLine(world["lot"], quantity=6, weight="60"),),
                          issued_on=date.today())
            return jobs.create_job(session, actor=_actor(session, world, number), data=data).number

    created, refused, errors = _run(4, create)
    assert errors == []
    assert len(created) == 1 and len(refused) == 3
    assert all("holds" in str(error) for error in refused)
    with db.session_scope(fresh_engine) as session:
        lot = session.get(InventoryItem, world["lot"])
        assert (lot.quantity, lot.weight) == (4, D("40.0000"))
        assert session.scalar(select(func.count()).select_from(ProductionJob)) == 1  # refused jobs left nothing
        assert session.scalar(select(func.sum(JobIssue.weight_g))) == D("60")
        assert ledger.verify(session) == []


def test_job_ids_are_unique_when_many_people_create_jobs_at_once(fresh_engine):
    world = _world(fresh_engine)

    def create(number: int):
        with db.session_scope(fresh_engine, write=True) as session:
            data = NewJob(stage_id=world["stage"], location_id=world["north"], issued_on=date.today())
            return jobs.create_job(session, actor=_actor(session, world, number), data=data).number

    created, refused, errors = _run(8, create)
    assert errors == [] and refused == []
    assert sorted(created) == [f"JOB-{n:04d}" for n in range(1, 9)]


def _issued_job(engine, world) -> int:
    with db.session_scope(engine, write=True) as session:
        data = NewJob(stage_id=world["stage"], sources=(SourceLine(world["lot"]),), issued_on=date.today())
        return jobs.create_job(session, actor=_actor(session, world, 0), data=data).job_id


def _receiver(engine, world, job_id: int, weight: str):
    def receive(number: int):
        with db.session_scope(engine, write=True) as session:
            draft = ReceiptDraft(rows=(OutputRow(product_id=world["product"], kind=InventoryKind.ROUGH, weight=weight,
                                                 pieces=1, weight_unit="g"),))
            result = receipts.receive_job(session, actor=_actor(session, world, number), job_id=job_id, draft=draft)
            return result.number, result.outputs[0].tag_id
    return receive


def test_two_people_receiving_one_job_at_once_get_their_own_receipts(fresh_engine):
    world = _world(fresh_engine)
    job_id = _issued_job(fresh_engine, world)
    done, refused, errors = _run(2, _receiver(fresh_engine, world, job_id, "40"))
    assert errors == [] and refused == []
    assert sorted(done) == [(1, "RUBLOT-RCV1"), (2, "RUBLOT-RCV2")]  # numbered in the order they were served
    with db.session_scope(fresh_engine) as session:
        assert session.scalar(select(func.count()).select_from(JobReceipt)) == 2
        received = session.scalars(select(InventoryItem.weight).where(InventoryItem.tag_id.like("RUBLOT-RCV%"))).all()
        assert sorted(received) == [D("40"), D("40")]
        assert ledger.verify(session) == []


def test_the_second_of_two_receipts_that_together_far_exceed_the_issue_must_be_confirmed(fresh_engine):
    world = _world(fresh_engine)
    job_id = _issued_job(fresh_engine, world)
    done, refused, errors = _run(2, _receiver(fresh_engine, world, job_id, "60"))
    assert errors == []
    assert len(done) == 1 and len(refused) == 1
    assert isinstance(refused[0], receipts.ConfirmationNeeded) and "120% of the 100.000 g issued" in str(refused[0])
    with db.session_scope(fresh_engine) as session:
        assert session.scalar(select(func.count()).select_from(JobReceipt)) == 1
        assert ledger.verify(session) == []


def test_two_receipts_on_jobs_sharing_items_lock_them_in_id_order(fresh_engine):
    """Job A's receipt names its sources high id first, job B's low id first: both lock in id order (a PostgreSQL
    deadlock window before), so both receipts go through, with their tags numbered per source."""
    world = _world(fresh_engine)
    with db.session_scope(fresh_engine, write=True) as session:
        product = session.get(Product, world["product"])
        second = f.make_item(session, product, session.get(Location, world["north"]), quantity=10, weight="100",
                             unit="g", kind=InventoryKind.ROUGH, tag_id="RUBTWO")
        admin = f.actor(session, session.get(User, world["users"][0]))
        made = []
        for _job in range(2):
            made.append(jobs.create_job(session, actor=admin, data=NewJob(
                stage_id=world["stage"], issued_on=date.today(),
                sources=(SourceLine(world["lot"], quantity=2, weight="20"),
                         SourceLine(second.id, quantity=2, weight="20")))).job_id)
        low, high = sorted([world["lot"], second.id])

    def receive(number: int):
        order = (high, low) if number == 0 else (low, high)
        rows = tuple(OutputRow(product_id=world["product"], kind=InventoryKind.ROUGH, weight="5", pieces=1,
                               weight_unit="g", source_item_id=source) for source in order for _ in range(3))
        with db.session_scope(fresh_engine, write=True) as session:
            return receipts.receive_job(session, actor=_actor(session, world, number), job_id=made[number],
                                        draft=ReceiptDraft(rows=rows)).number

    done, refused, errors = _run(2, receive)
    assert errors == [] and refused == [] and sorted(done) == [1, 1]
    with db.session_scope(fresh_engine) as session:
        tags = sorted(session.scalars(select(InventoryItem.tag_id).where(InventoryItem.tag_id.like("RUB%-RCV%"))))
        assert len(tags) == 12 and len(set(tags)) == 12
        assert ledger.verify(session) == []
