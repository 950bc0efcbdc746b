"""The ledger: balances change only through movements, never below zero, and add up."""
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lib import db, ledger
from lib.errors import InsufficientStock, ValidationFailed
from lib.models import (
    CatalogKind,
    InventoryItem,
    InventoryKind,
    ItemStatus,
    Location,
    MovementKind,
    Product,
    StockMovement,
)
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
    barrier = threading.Barrier(8, timeout=120)

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


# --- opening many new items at once (the import's bulk write) ----------------------------------------------------

def _opening(product, location, tag, **changes) -> ledger.Opening:
    values = dict(tag_id=tag, product_id=product.id, kind=InventoryKind.FINISHED, weight_unit="ct",
                  location_id=location.id, quantity=2, weight=Decimal("1.5"), classification={})
    values.update(changes)
    return ledger.Opening(**values)


def test_open_items_writes_items_and_opening_movements_that_carry_the_balance(session, stocked):
    item, user = stocked
    shape = f.make_catalog(session, CatalogKind.SHAPE)
    location = session.get(Location, item.location_id)
    product = session.get(Product, item.product_id)
    tags = [f.unique("OPEN") for _ in range(3)]
    ids = ledger.open_items(session, [
        _opening(product, location, tags[0], classification={"shape_id": shape.id}, reference="file.csv row 2"),
        _opening(product, location, tags[1], kind=InventoryKind.ROUGH, quantity=0, weight=Decimal("12.25"),
                 weight_unit="g", status=ItemStatus.ON_HOLD),
        _opening(product, location, tags[2], quantity=0, weight=Decimal(0), status=ItemStatus.ARCHIVED),
    ], user_id=user.id, movement_kind=MovementKind.IMPORT)
    items = [session.get(InventoryItem, item_id) for item_id in ids]
    assert [i.tag_id for i in items] == tags
    assert [(i.quantity, i.weight, i.weight_g, i.status) for i in items] == [
        (2, Decimal("1.5"), Decimal("0.3"), ItemStatus.AVAILABLE), (0, Decimal("12.25"), Decimal("12.25"),
                                                                     ItemStatus.ON_HOLD),
        (0, Decimal(0), Decimal(0), ItemStatus.ARCHIVED)]
    first, second = (session.scalars(select(StockMovement).where(StockMovement.item_id == i.id)).one()
                     for i in items[:2])
    assert (first.movement_kind, first.quantity_delta, first.weight_delta, first.quantity_after, first.weight_after,
            first.weight_delta_g, first.shape_id, first.reference) == (
        MovementKind.IMPORT, 2, Decimal("1.5"), 2, Decimal("1.5"), Decimal("0.3"), shape.id, "file.csv row 2")
    assert (second.kind, second.location_id, second.user_id) == (InventoryKind.ROUGH, location.id, user.id)
    assert session.scalar(select(func.count()).where(StockMovement.item_id == ids[2])) == 0  # empty: no movement
    assert ledger.verify(session) == []


@pytest.mark.parametrize("changes, words", [
    ({"quantity": -1}, "less than nothing"), ({"weight": Decimal("-0.5")}, "less than nothing"),
    ({"weight": Decimal("1.00001")}, "4 decimals"), ({"quantity": 1.5}, "whole number"),
    ({"quantity": 0, "weight": Decimal(0), "status": ItemStatus.ON_HOLD}, "holding stock"),
    ({"status": ItemStatus.CONSUMED}, "holds no stock"), ({"status": ItemStatus.ARCHIVED}, "holds no stock"),
])
def test_open_items_refuses_what_apply_change_refuses_and_writes_nothing(session, stocked, changes, words):
    item, user = stocked
    product, location = session.get(Product, item.product_id), session.get(Location, item.location_id)
    before = session.scalar(select(func.count()).select_from(InventoryItem))
    with pytest.raises((ValidationFailed, InsufficientStock), match=words):
        ledger.open_items(session, [_opening(product, location, f.unique("OK")),
                                    _opening(product, location, f.unique("BAD"), **changes)],
                          user_id=user.id, movement_kind=MovementKind.IMPORT)
    assert session.scalar(select(func.count()).select_from(InventoryItem)) == before


def test_open_items_refuses_a_tag_that_exists(session, stocked):
    item, user = stocked
    product, location = session.get(Product, item.product_id), session.get(Location, item.location_id)
    savepoint = session.begin_nested()
    with pytest.raises(ValidationFailed, match="just taken"):
        ledger.open_items(session, [_opening(product, location, item.tag_id)], user_id=user.id,
                          movement_kind=MovementKind.IMPORT)
    savepoint.rollback()
