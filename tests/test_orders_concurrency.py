"""Orders under concurrency, on the configured database (SQLite file or PostgreSQL), with real threads.

Each worker runs its own write transaction, as two people clicking at the same moment do.
"""
from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy import func, select

from lib import db, ledger
from lib.access import actor_for_user
from lib.errors import LoupeError
from lib.models import (
    InventoryItem,
    Location,
    Order,
    OrderKind,
    OrderSelection,
    PartyKind,
    Product,
    Role,
    StockMovement,
)
from lib.orders import orders, receipts, selection
from lib.orders.detail import order_detail
from lib.orders.orders import LineInput, OrderInput
from tests import factories as f


def _workshop(engine, pieces: int = 5):
    """An admin, a customer, a supplier, Ruby with one North item of `pieces` pieces (2 g each)."""
    with db.session_scope(engine, write=True) as session:
        f.make_workspace(session)
        north = f.make_location(session, "North")
        admin = f.make_user(session, Role.ADMIN, None)
        ruby = f.make_product(session, "Ruby", "RUB")
        item = f.make_item(session, ruby, north, quantity=pieces, weight=str(2 * pieces))
        customer = f.make_party(session)
        supplier = f.make_party(session, kind=PartyKind.SUPPLIER)
        return admin.id, ruby.id, item.id, customer.id, supplier.id, north.id


def _run(workers: int, job) -> tuple[list, list, list]:
    """Start `workers` threads at once (a barrier), each calling job(index); collect results and errors."""
    successes, refusals, errors = [], [], []
    barrier = threading.Barrier(workers, timeout=120)

    def worker(index: int):
        barrier.wait()
        try:
            successes.append(job(index))
        except LoupeError as refused:
            refusals.append(str(refused))
        except Exception as error:  # any other failure fails the test
            errors.append(repr(error))

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return successes, refusals, errors


def _order(engine, admin_id: int, party_id: int, kind: OrderKind, product_id: int, *quantities: int) -> list[int]:
    with db.session_scope(engine, write=True) as session:
        admin = actor_for_user(session, admin_id)
        ref = orders.create_order(session, actor=admin, data=OrderInput(
            kind=kind, party_id=party_id, lead_id=admin_id,
            lines=[LineInput(product_id=product_id, quantity=q, weight=str(2 * q)) for q in quantities]))
        return [line.id for line in order_detail(session, actor=admin, order_id=ref.id).lines]


def test_orders_saved_at_the_same_moment_get_distinct_consecutive_numbers(fresh_engine):
    admin_id, ruby_id, _item, customer_id, supplier_id, _north = _workshop(fresh_engine)

    def create(index: int) -> str:
        kind, party = (OrderKind.SALES, customer_id) if index % 2 == 0 else (OrderKind.PURCHASE, supplier_id)
        numbers = []
        for _ in range(3):
            with db.session_scope(fresh_engine, write=True) as session:
                admin = actor_for_user(session, admin_id)
                numbers.append(orders.create_order(session, actor=admin, data=OrderInput(
                    kind=kind, party_id=party, lead_id=admin_id,
                    lines=[LineInput(product_id=ruby_id, quantity=1)])).number)
        return numbers

    successes, refusals, errors = _run(8, create)
    assert errors == [] and refusals == []
    numbers = sorted(number for batch in successes for number in batch)
    assert numbers == sorted([f"SO-{n:04d}" for n in range(1, 13)] + [f"PO-{n:04d}" for n in range(1, 13)])
    with db.session_scope(fresh_engine) as session:
        assert session.scalar(select(func.count(Order.id))) == 24


def test_people_selecting_the_same_item_at_once_never_take_more_than_it_holds(fresh_engine):
    """8 sales lines each want 1 piece of the same 5-piece item at the same moment: 5 get it, 3 are told why."""
    admin_id, ruby_id, item_id, customer_id, _supplier, _north = _workshop(fresh_engine, pieces=5)
    line_ids = _order(fresh_engine, admin_id, customer_id, OrderKind.SALES, ruby_id, *([1] * 8))

    def select_one(index: int):
        with db.session_scope(fresh_engine, write=True) as session:
            admin = actor_for_user(session, admin_id)
            return selection.select_items(session, actor=admin, line_id=line_ids[index], picks=[
                selection.Pick(item_id, full=False, quantity=1, weight="2")])

    successes, refusals, errors = _run(8, select_one)
    assert errors == [] and len(successes) == 5 and len(refusals) == 3
    assert all("holds 0 pcs" in message or "consumed" in message for message in refusals)
    with db.session_scope(fresh_engine) as session:
        item = session.get(InventoryItem, item_id)
        assert (item.quantity, item.weight) == (0, Decimal("0"))
        assert session.scalar(select(func.count(OrderSelection.id))) == 5
        assert ledger.verify(session) == []


def test_two_people_filling_one_line_at_once_never_select_more_than_it_needs(fresh_engine):
    """A line of 2 pieces, 6 people each select 1 piece of the item at once: the order lock lets 2 through."""
    admin_id, ruby_id, item_id, customer_id, _supplier, _north = _workshop(fresh_engine, pieces=10)
    (line_id,) = _order(fresh_engine, admin_id, customer_id, OrderKind.SALES, ruby_id, 2)

    def select_one(_index: int):
        with db.session_scope(fresh_engine, write=True) as session:
            admin = actor_for_user(session, admin_id)
            return selection.select_items(session, actor=admin, line_id=line_id, picks=[
                selection.Pick(item_id, full=False, quantity=1, weight="2")])

    successes, refusals, errors = _run(6, select_one)
    assert errors == [] and len(successes) == 2 and len(refusals) == 4
    assert all("needs 0 more pieces" in message for message in refusals)
    with db.session_scope(fresh_engine) as session:
        assert session.get(InventoryItem, item_id).quantity == 8
        assert ledger.verify(session) == []


def test_selecting_removing_cancelling_and_receiving_at_once_keep_the_ledger_exact(fresh_engine):
    """Workers select, remove their selection, cancel lines and receive purchases all at once; afterwards the
    item holds exactly its opening stock minus what is still selected, and the ledger verifies."""
    admin_id, ruby_id, item_id, customer_id, supplier_id, north = _workshop(fresh_engine, pieces=6)
    sales_lines = _order(fresh_engine, admin_id, customer_id, OrderKind.SALES, ruby_id, *([2] * 6))
    purchase_lines = _order(fresh_engine, admin_id, supplier_id, OrderKind.PURCHASE, ruby_id, *([1] * 4))

    def work(index: int):
        with db.session_scope(fresh_engine, write=True) as session:
            admin = actor_for_user(session, admin_id)
            if index < 6:
                (picked,) = selection.select_items(session, actor=admin, line_id=sales_lines[index], picks=[
                    selection.Pick(item_id, full=False, quantity=1, weight="2")])
        if index in (0, 1):
            with db.session_scope(fresh_engine, write=True) as session:
                selection.remove_selection(session, actor=actor_for_user(session, admin_id), selection_id=picked)
        elif index in (2, 3):
            with db.session_scope(fresh_engine, write=True) as session:
                orders.cancel_line(session, actor=actor_for_user(session, admin_id), line_id=sales_lines[index])
        elif index >= 6:
            with db.session_scope(fresh_engine, write=True) as session:
                receipts.receive_line(session, actor=actor_for_user(session, admin_id),
                                      line_id=purchase_lines[index - 6],
                                      data=receipts.ReceiptInput(quantity=1, weight="2", location_id=north))
        return index

    successes, refusals, errors = _run(10, work)
    assert errors == [] and refusals == [] and sorted(successes) == list(range(10))
    with db.session_scope(fresh_engine) as session:
        item = session.get(InventoryItem, item_id)
        still_selected = session.scalar(select(func.count(OrderSelection.id)).where(
            OrderSelection.released_at.is_(None)))
        assert still_selected == 2  # lines 4 and 5 keep theirs
        assert (item.quantity, item.weight) == (6 - still_selected, Decimal(2 * (6 - still_selected)))
        received = session.scalar(select(func.count(InventoryItem.id)).where(InventoryItem.id != item_id))
        assert received == 4
        assert ledger.verify(session) == []
        assert all(row.quantity_after >= 0 for row in session.scalars(select(StockMovement)))


def test_two_orders_picking_the_same_items_in_opposite_orders_never_deadlock(fresh_engine):
    """Lines of two orders pick items X and Y at once, one listing X first, the other Y first: the items are
    locked in one order (by id), so both complete (no deadlock error) and the ledger verifies."""
    admin_id, ruby_id, x_id, customer_id, _supplier, north = _workshop(fresh_engine, pieces=10)
    with db.session_scope(fresh_engine, write=True) as session:
        y_id = f.make_item(session, session.get(Product, ruby_id), session.get(Location, north), quantity=10,
                           weight="20").id
    lines = [_order(fresh_engine, admin_id, customer_id, OrderKind.SALES, ruby_id, 2)[0] for _ in range(6)]

    def pick(index: int):
        first, second = (x_id, y_id) if index % 2 == 0 else (y_id, x_id)
        with db.session_scope(fresh_engine, write=True) as session:
            return selection.select_items(session, actor=actor_for_user(session, admin_id), line_id=lines[index],
                                          picks=[selection.Pick(first, full=False, quantity=1, weight="2"),
                                                 selection.Pick(second, full=False, quantity=1, weight="2")])

    successes, refusals, errors = _run(6, pick)
    assert errors == [] and refusals == [] and len(successes) == 6
    with db.session_scope(fresh_engine) as session:
        assert [session.get(InventoryItem, i).quantity for i in (x_id, y_id)] == [4, 4]
        assert ledger.verify(session) == []
