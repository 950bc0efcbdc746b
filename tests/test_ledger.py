"""The ledger: balances change only through movements, never below zero, and add up."""
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lib import db, ledger
from lib.errors import InsufficientStock, ValidationFailed
from lib.models import InventoryItem, ItemStatus, MovementKind, StockMovement
from tests import factories as f


@pytest.fixture
def stocked(session):
    """One location, one product, one item of 10 pcs weighing 25 ct."""
    location = f.make_location(session)
    user = f.make_user(session, location=location)
    product = f.make_product(session)
    item = f.make_item(session, product, location, quantity=10, weight="25.0000", unit="ct", user=user)
    return item, user


def test_receipt_sets_balance_and_grams(session, stocked):
    item, _ = stocked
    assert (item.quantity, item.weight, item.weight_g) == (10, Decimal("25.0000"), Decimal("5.0000000000"))
    movement = session.scalars(select(StockMovement).where(StockMovement.item_id == item.id)).one()
    assert (movement.quantity_after, movement.weight_after, movement.weight_delta_g) == (10, Decimal("25"), Decimal("5"))
    assert ledger.verify(session) == []


def test_deduction_records_balance_after(session, stocked):
    item, user = stocked
    movement = ledger.apply_change(session, item_id=item.id, user_id=user.id, movement_kind=MovementKind.ISSUE,
                                   quantity_delta=-4, weight_delta=Decimal("-10.5"), reference="JOB-1")
    assert (movement.quantity_after, movement.weight_after) == (6, Decimal("14.5000"))
    assert movement.weight_delta_g == Decimal("-2.1")
    assert (item.quantity, item.weight) == (6, Decimal("14.5000"))
    assert ledger.verify(session) == []


def test_cannot_go_negative_and_nothing_is_written(session, stocked):
    item, user = stocked
    before = session.scalar(select(func.count()).select_from(StockMovement))
    with pytest.raises(InsufficientStock, match="holds 25"):
        ledger.apply_change(session, item_id=item.id, user_id=user.id, movement_kind=MovementKind.ADJUSTMENT,
                            weight_delta=Decimal("-25.0001"))
    with pytest.raises(InsufficientStock, match="holds 10 pcs"):
        ledger.apply_change(session, item_id=item.id, user_id=user.id, movement_kind=MovementKind.ADJUSTMENT,
                            quantity_delta=-11)
    assert session.scalar(select(func.count()).select_from(StockMovement)) == before
    assert ledger.verify(session) == []


@pytest.mark.parametrize("quantity, weight", [(0, "0"), (1.5, "0"), (0, "0.00001")])
def test_rejects_empty_fractional_or_too_precise_changes(session, stocked, quantity, weight):
    item, user = stocked
    with pytest.raises(ValidationFailed):
        ledger.apply_change(session, item_id=item.id, user_id=user.id, movement_kind=MovementKind.ADJUSTMENT,
                            quantity_delta=quantity, weight_delta=Decimal(weight))


def test_emptied_item_is_consumed_and_revives(session, stocked):
    item, user = stocked
    ledger.apply_change(session, item_id=item.id, user_id=user.id, movement_kind=MovementKind.ISSUE,
                        quantity_delta=-10, weight_delta=Decimal("-25"))
    assert item.status is ItemStatus.CONSUMED
    ledger.apply_change(session, item_id=item.id, user_id=user.id, movement_kind=MovementKind.ADJUSTMENT,
                        quantity_delta=1, weight_delta=Decimal("1"))
    assert item.status is ItemStatus.AVAILABLE


def test_move_location_writes_a_pair_at_each_location(session, stocked):
    item, user = stocked
    origin = item.location_id
    target = f.make_location(session)
    out, into = ledger.move_location(session, item_id=item.id, to_location_id=target.id, user_id=user.id)
    assert (out.location_id, out.weight_delta, into.location_id, into.weight_delta) == (
        origin, Decimal("-25"), target.id, Decimal("25"))
    assert item.location_id == target.id and item.quantity == 10
    assert ledger.verify(session) == []


def test_verify_finds_a_tampered_balance(session, stocked):
    item, _ = stocked
    item.weight = Decimal("24")  # bypassing the ledger, as a bug would
    session.flush()
    problems = ledger.verify(session)
    assert [p.tag_id for p in problems] == [item.tag_id]


def test_eight_threads_on_one_item_never_lose_an_update(fresh_engine):
    """8 people take stock from the same item at once: every successful take is
    recorded, the balance never goes negative and matches the ledger."""
    with db.session_scope(fresh_engine, write=True) as session:
        location = f.make_location(session)
        user = f.make_user(session, location=location)
        item = f.make_item(session, f.make_product(session), location, quantity=20, weight="50.0000", unit="g")
        item_id, user_id = item.id, user.id
    successes, refusals, errors = [], [], []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        for _ in range(5):
            try:
                with db.session_scope(fresh_engine, write=True) as session:
                    ledger.apply_change(session, item_id=item_id, user_id=user_id, movement_kind=MovementKind.ISSUE,
                                        quantity_delta=-1, weight_delta=Decimal("-1.5"))
                successes.append(1)
            except InsufficientStock:
                refusals.append(1)
            except Exception as error:  # any other failure fails the test below
                errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(successes) == 20 and len(refusals) == 20
    with db.session_scope(fresh_engine) as session:
        item = session.get(InventoryItem, item_id)
        assert (item.quantity, item.weight) == (0, Decimal("20.0000"))
        assert ledger.verify(session) == []
        afters = session.scalars(select(StockMovement.quantity_after).where(StockMovement.item_id == item_id)
                                 .order_by(StockMovement.id)).all()
        assert afters == list(range(20, -1, -1))
