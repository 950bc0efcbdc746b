"""lib.inventory.stock for orders and production: issue to a reference, give it back, receive new items.

Story: North holds a Ruby lot of 10 pieces / 20 g (tag RUBLOT); a North manager issues from it to
"SO-0001 line 1" and "JOB-0001", returns part, and receives outputs tagged from the lot. A South member
tries the same from the other side of the border.
"""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from lib import db, ledger
from lib.access import Right
from lib.errors import InsufficientStock, LoupeError, NotFound, PermissionDenied, ValidationFailed
from lib.inventory import forms, stock
from lib.models import InventoryItem, ItemStatus, MovementKind, Role, StockMovement, User
from tests import factories as f

D = Decimal


@pytest.fixture
def lot(session):
    f.make_workspace(session, tag_prefix="T")
    north, south = f.make_location(session, f.unique("North ")), f.make_location(session, f.unique("South "))
    manager = f.actor(session, f.make_user(session, Role.MANAGER, north))
    member_south = f.actor(session, f.make_user(session, Role.MEMBER, south))
    ruby = f.make_product(session, short_name=f.unique("RUB"))
    item = f.make_item(session, ruby, north, quantity=10, weight="20.0000", unit="g", tag_id=f.unique("RUBLOT"))
    return dict(north=north, south=south, manager=manager, member_south=member_south, ruby=ruby, item=item)


def _movements(session, item_id):
    return session.scalars(select(StockMovement).where(StockMovement.item_id == item_id)
                           .order_by(StockMovement.id)).all()


def test_issue_part_then_the_rest_and_the_item_is_consumed(session, lot):
    item, manager = lot["item"], lot["manager"]
    part = stock.issue(session, actor=manager, right=Right.EDIT_PRODUCTION, item_id=item.id, reference="JOB-0001",
                       quantity=3, weight="6.5")
    assert (part.quantity, part.weight, part.weight_unit) == (3, D("6.5"), "g")
    rest = stock.issue(session, actor=manager, right=Right.EDIT_PRODUCTION, item_id=item.id, reference="JOB-0001")
    assert (rest.quantity, rest.weight) == (7, D("13.5000"))
    assert (item.quantity, item.weight, item.status) == (0, D("0"), ItemStatus.CONSUMED)
    issues = [m for m in _movements(session, item.id) if m.movement_kind is MovementKind.ISSUE]
    assert [(m.quantity_delta, m.weight_delta, m.reference) for m in issues] == [
        (-3, D("-6.5"), "JOB-0001"), (-7, D("-13.5"), "JOB-0001")]
    assert stock.issued_balance(session, item_id=item.id, reference="JOB-0001") == (10, D("20"))
    assert ledger.verify(session) == []


def test_over_issue_is_refused_and_writes_nothing(session, lot):
    item, manager = lot["item"], lot["manager"]
    before = len(_movements(session, item.id))
    with pytest.raises(InsufficientStock):
        stock.issue(session, actor=manager, right=Right.EDIT_PRODUCTION, item_id=item.id, reference="JOB-0001",
                    quantity=11, weight="1")
    assert len(_movements(session, item.id)) == before and item.quantity == 10


@pytest.mark.parametrize("status", [ItemStatus.ON_HOLD, ItemStatus.ARCHIVED])
def test_items_on_hold_or_archived_are_not_issued(session, lot, status):
    item = lot["item"]
    if status is ItemStatus.ON_HOLD:
        stock.set_status(session, actor=lot["manager"], item_id=item.id, status=status)
    else:
        stock.archive(session, actor=lot["manager"], item_id=item.id, reason="broken")
    with pytest.raises(ValidationFailed):
        stock.issue(session, actor=lot["manager"], right=Right.EDIT_PRODUCTION, item_id=item.id, reference="JOB-1")


def test_issue_needs_the_callers_right_the_scope_and_a_reference(session, lot):
    item = lot["item"]
    with pytest.raises(NotFound):  # a South member cannot even find North's item
        stock.issue(session, actor=lot["member_south"], right=Right.EDIT_PRODUCTION, item_id=item.id,
                    reference="JOB-1")
    with pytest.raises(PermissionDenied):  # managers do not change orders
        stock.issue(session, actor=lot["manager"], right=Right.EDIT_ORDERS, item_id=item.id, reference="SO-1")
    with pytest.raises(ValidationFailed, match="name what the stock is issued to"):
        stock.issue(session, actor=lot["manager"], right=Right.EDIT_PRODUCTION, item_id=item.id, reference="  ")
    with pytest.raises(ValueError):
        stock.issue(session, actor=lot["manager"], right=Right.EDIT_PRODUCTION, item_id=item.id, reference="X",
                    movement_kind=MovementKind.ADJUSTMENT)
    assert item.quantity == 10


def test_a_return_gives_back_at_most_what_was_issued_under_that_reference(session, lot):
    item, manager = lot["item"], lot["manager"]
    stock.issue(session, actor=manager, right=Right.EDIT_PRODUCTION, item_id=item.id, reference="JOB-7",
                quantity=4, weight="8")
    back = stock.return_issued(session, actor=manager, right=Right.EDIT_PRODUCTION, item_id=item.id,
                               reference="JOB-7", quantity=1, weight="2")
    assert (back.quantity, back.weight) == (1, D("2")) and item.quantity == 7
    with pytest.raises(ValidationFailed, match="at most 3 pcs"):
        stock.return_issued(session, actor=manager, right=Right.EDIT_PRODUCTION, item_id=item.id,
                            reference="JOB-7", quantity=4, weight="1")
    with pytest.raises(ValidationFailed, match="Nothing issued under JOB-8"):
        stock.return_issued(session, actor=manager, right=Right.EDIT_PRODUCTION, item_id=item.id,
                            reference="JOB-8")
    rest = stock.return_issued(session, actor=manager, right=Right.EDIT_PRODUCTION, item_id=item.id,
                               reference="JOB-7")
    assert (rest.quantity, rest.weight) == (3, D("6.0000"))
    assert (item.quantity, item.weight) == (10, D("20.0000"))
    assert stock.issued_balance(session, item_id=item.id, reference="JOB-7") == (0, D("0"))
    kinds = [m.movement_kind for m in _movements(session, item.id)]
    assert kinds[-3:] == [MovementKind.ISSUE, MovementKind.RETURN, MovementKind.RETURN]
    assert ledger.verify(session) == []


def test_a_whole_issue_returned_makes_the_item_available_again(session, lot):
    item, manager = lot["item"], lot["manager"]
    stock.issue(session, actor=manager, right=Right.EDIT_PRODUCTION, item_id=item.id, reference="JOB-9")
    assert item.status is ItemStatus.CONSUMED
    stock.return_issued(session, actor=manager, right=Right.EDIT_PRODUCTION, item_id=item.id, reference="JOB-9")
    assert item.status is ItemStatus.AVAILABLE and item.quantity == 10


def _output(lot, **changes) -> forms.NewItem:
    values = dict(product_id=lot["ruby"].id, weight="1.5", weight_unit="g", quantity=1, location_id=lot["north"].id)
    values.update(changes)
    return forms.NewItem(**values)


def test_receive_tags_outputs_after_their_source(session, lot):
    item, manager = lot["item"], lot["manager"]
    first = stock.receive(session, actor=manager, right=Right.EDIT_PRODUCTION, data=_output(lot),
                          movement_kind=MovementKind.PRODUCTION_RECEIPT, reference="JOB-0001",
                          derived_from_item_id=item.id)
    second = stock.receive(session, actor=manager, right=Right.EDIT_PRODUCTION, data=_output(lot, weight="0.25"),
                           movement_kind=MovementKind.PRODUCTION_RECEIPT, reference="JOB-0001",
                           derived_from_item_id=item.id)
    scrap = stock.receive(session, actor=manager, right=Right.EDIT_PRODUCTION, data=_output(lot, weight="0.1"),
                          movement_kind=MovementKind.PRODUCTION_RECEIPT, reference="JOB-0001",
                          derived_from_item_id=item.id, suffix="SCRAP")
    assert [first.tag_id, second.tag_id, scrap.tag_id] == [f"{item.tag_id}-RCV1", f"{item.tag_id}-RCV2",
                                                           f"{item.tag_id}-SCRAP1"]
    received = session.get(InventoryItem, first.item_id)
    (movement,) = _movements(session, received.id)
    assert (movement.movement_kind, movement.reference, movement.weight_delta) == (
        MovementKind.PRODUCTION_RECEIPT, "JOB-0001", D("1.5"))
    assert ledger.verify(session) == []


def test_a_long_source_tag_is_shortened_to_fifty_characters_and_stays_unique(session, lot):
    long_item = f.make_item(session, lot["ruby"], lot["north"], tag_id="L" * 48 + "99")
    tags = [stock.receive(session, actor=lot["manager"], right=Right.EDIT_PRODUCTION, data=_output(lot),
                          movement_kind=MovementKind.PRODUCTION_RECEIPT, reference="JOB-2",
                          derived_from_item_id=long_item.id, suffix="SCRAP").tag_id for _ in range(3)]
    assert all(len(tag) == 50 for tag in tags) and len(set(tags)) == 3
    # a root too long to keep whole keeps its start (lib.tags.derived_tag): the middle is marked "--"
    assert tags == [f"{'L' * 42}--SCRAP{n}" for n in (1, 2, 3)]


def test_a_purchase_receipt_gets_a_regular_tag_and_is_never_merged(session, lot):
    admin = f.actor(session, f.make_user(session, Role.ADMIN))
    data = _output(lot, auto_merge=True, quantity=10, weight="20")
    result = stock.receive(session, actor=admin, right=Right.EDIT_ORDERS, data=data,
                           movement_kind=MovementKind.PURCHASE_RECEIPT, reference="PO-0004 line 1")
    assert not result.merged and result.tag_id.startswith("T" + lot["ruby"].short_name)
    assert result.item_id != lot["item"].id


def test_receive_is_refused_outside_the_scope_or_without_the_right(session, lot):
    with pytest.raises(PermissionDenied):  # South's member may not receive into North
        stock.receive(session, actor=lot["member_south"], right=Right.EDIT_PRODUCTION, data=_output(lot),
                      movement_kind=MovementKind.PRODUCTION_RECEIPT, reference="JOB-3")
    with pytest.raises(PermissionDenied):
        stock.receive(session, actor=lot["manager"], right=Right.EDIT_ORDERS, data=_output(lot),
                      movement_kind=MovementKind.PURCHASE_RECEIPT, reference="PO-1")
    with pytest.raises(ValidationFailed, match="Weight"):
        stock.receive(session, actor=lot["manager"], right=Right.EDIT_PRODUCTION, data=_output(lot, weight="-1"),
                      movement_kind=MovementKind.PRODUCTION_RECEIPT, reference="JOB-3")


def test_two_issues_from_one_item_at_once_never_over_issue(fresh_engine):
    """Six people issue 2 pieces each from a lot of 7 at the same moment: three succeed, the rest are refused,
    and the balance matches the ledger."""
    with db.session_scope(fresh_engine, write=True) as session:
        f.make_workspace(session)
        location = f.make_location(session)
        user = f.make_user(session, Role.MANAGER, location)
        item = f.make_item(session, f.make_product(session), location, quantity=7, weight="14.0000", unit="g")
        item_id, user_id = item.id, user.id
    successes, refusals, errors = [], [], []
    barrier = threading.Barrier(6, timeout=120)

    def worker(number: int) -> None:
        barrier.wait()
        try:
            with db.session_scope(fresh_engine, write=True) as session:
                actor = f.actor(session, session.get(User, user_id))
                stock.issue(session, actor=actor, right=Right.EDIT_PRODUCTION, item_id=item_id,
                            reference=f"JOB-{number}", quantity=2, weight="4")
            successes.append(number)
        except LoupeError:
            refusals.append(number)
        except Exception as error:  # any other failure fails the test below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(successes) == 3 and len(refusals) == 3
    with db.session_scope(fresh_engine) as session:
        item = session.get(InventoryItem, item_id)
        assert (item.quantity, item.weight) == (1, D("2.0000"))
        assert ledger.verify(session) == []


BAD_NUMBERS = ["1e24", "1e308", "1" + "0" * 30, "NaN", "inf", "1_5", "2e1", "1,5", "١٢", "1 5", "abc"]


@pytest.mark.parametrize("raw", BAD_NUMBERS)
def test_every_stock_action_refuses_a_bad_number_with_a_clear_message(session, lot, raw):
    """The issue's bad weights and pieces: a ValidationFailed naming the field, never decimal.InvalidOperation."""
    item, manager = lot["item"], lot["manager"]
    calls = {
        "Weight": lambda: stock.add_item(session, actor=manager, data=_output(lot, weight=raw)),
        "Quantity": lambda: stock.add_item(session, actor=manager, data=_output(lot, quantity=raw)),
        "Weight change": lambda: stock.adjust(session, actor=manager, item_id=item.id, weight_delta=raw,
                                              reason="count"),
        "Quantity change": lambda: stock.adjust(session, actor=manager, item_id=item.id, quantity_delta=raw,
                                                reason="count"),
        "Weight to move": lambda: stock.transfer(session, actor=manager, item_id=item.id,
                                                 to_location_id=lot["south"].id, weight=raw),
        "Pieces to move": lambda: stock.transfer(session, actor=manager, item_id=item.id,
                                                 to_location_id=lot["south"].id, quantity=raw),
        "Weight to issue": lambda: stock.issue(session, actor=manager, right=Right.EDIT_PRODUCTION,
                                               item_id=item.id, reference="JOB-1", weight=raw),
        "Pieces to return": lambda: stock.return_issued(session, actor=manager, right=Right.EDIT_PRODUCTION,
                                                        item_id=item.id, reference="JOB-1", quantity=raw),
        "Weight ": lambda: stock.receive(session, actor=manager, right=Right.EDIT_PRODUCTION,
                                         data=_output(lot, weight=raw), movement_kind=MovementKind.PRODUCTION_RECEIPT,
                                         reference="JOB-1"),
    }
    for field, call in calls.items():
        with pytest.raises(ValidationFailed) as refused:
            call()
        message = str(refused.value)
        assert field in message and ("must be a plain number" in message or "too large" in message), message
    assert (item.quantity, item.weight) == (10, D("20.0000"))
    assert ledger.verify(session) == []
