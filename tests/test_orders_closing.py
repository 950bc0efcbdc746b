"""Order lines that close in any unit, item-level shipments, short-close and returns, reversals that always
work (issue 16, orders half): the review's cases as explicit tests, and a table over all 19 units.

Story (`gold`): one location, an admin, a customer, the product Gold. Each test makes the items it needs, in
the unit it needs.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import pytest
from sqlalchemy import func, select

from lib import ledger
from lib.access import Actor
from lib.errors import ValidationFailed
from lib.inventory import stock
from lib.models import (
    Fulfilment,
    InventoryItem,
    ItemStatus,
    LineStatus,
    Order,
    OrderKind,
    OrderLine,
    PartyKind,
    Role,
    StockMovement,
)
from lib.orders import demand, detail, orders, parties, receipts, returns, selection, shipments
from lib.orders.fulfilment import slack
from lib.orders.orders import LineInput, OrderInput
from lib.production import links
from lib.units import UNIT_SYMBOLS, WEIGHT_QUANTUM, from_grams, to_grams
from tests import factories as f


@dataclass
class Gold:
    admin: Actor
    location: object
    product: object
    customer: int
    supplier: int


@pytest.fixture
def gold(session) -> Gold:
    f.make_workspace(session, name="Closing Workshop", tag_prefix="C")
    location = f.make_location(session, "Bench")
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None))
    product = f.make_product(session, "Gold", "GLD")
    customer = parties.add_party(session, actor=admin, kind=PartyKind.CUSTOMER,
                                 data=parties.PartyInput(company="Buyer"))
    supplier = parties.add_party(session, actor=admin, kind=PartyKind.SUPPLIER,
                                 data=parties.PartyInput(company="Refiner"))
    return Gold(admin, location, product, customer.id, supplier.id)


def item(session, gold: Gold, weight, unit: str, quantity: int = 0) -> InventoryItem:
    return f.make_item(session, gold.product, gold.location, quantity=quantity, weight=str(weight), unit=unit)


def order(session, gold: Gold, quantity=0, weight="10", unit="g", kind=OrderKind.SALES) -> tuple[int, int]:
    """A one-line order; (order id, line id)."""
    ref = orders.create_order(session, actor=gold.admin, data=OrderInput(
        kind=kind, party_id=gold.customer if kind is OrderKind.SALES else gold.supplier, lead_id=gold.admin.user_id,
        lines=[LineInput(product_id=gold.product.id, quantity=quantity, weight=weight, weight_unit=unit)]))
    return ref.id, session.scalar(select(OrderLine.id).where(OrderLine.order_id == ref.id))


def status(session, order_id: int) -> tuple[Fulfilment, LineStatus]:
    found = session.get(Order, order_id)
    session.refresh(found)
    (line,) = session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)
                              .execution_options(populate_existing=True))
    return found.fulfilment, line.status


def view(session, gold: Gold, order_id: int) -> detail.OrderDetail:
    return detail.order_detail(session, actor=gold.admin, order_id=order_id)


def prefilled(session, gold: Gold, order_id: int) -> list[shipments.ShipItem]:
    """What the ship form pre-fills: every selection with something left to ship, its exact unshipped amounts."""
    return [shipments.ShipItem(link.id, link.unshipped_quantity, link.unshipped_weight)
            for link in view(session, gold, order_id).selections if link.can_ship]


def ship(session, gold: Gold, order_id: int, items=(), lines=()) -> int:
    return shipments.create_shipment(session, actor=gold.admin, order_id=order_id, carrier="UPS",
                                     items=list(items), lines=list(lines))


def demand_g(session, gold: Gold) -> Decimal:
    return demand.product_orders(session, actor=gold.admin, product_id=gold.product.id).demand.grams


def pick(session, gold: Gold, line_id: int, item_id: int, quantity=None, weight=None) -> int:
    full = quantity is None and weight is None
    (made,) = selection.select_items(session, actor=gold.admin, line_id=line_id, picks=[
        selection.Pick(item_id, full=full, quantity=quantity, weight=weight)])
    return made


# ---------------------------------------------------------------------------
# The one closing rule
# ---------------------------------------------------------------------------

def test_the_tolerance_is_half_the_last_displayed_digit_of_the_lines_unit():
    assert slack("g") == Decimal("0.0005")
    assert slack("dwt") == Decimal("0.0007775")  # 0.0005 dwt
    assert slack("mg") == Decimal("0.0005")  # 0.5 mg: milligrams show no decimals
    assert slack("kg") == Decimal("0.5")


# ---------------------------------------------------------------------------
# The review's cases
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("item_weight", ["6.4309", "6.4308"])  # 10.0000495 g and 9.999894 g
def test_a_10_g_line_closes_from_a_pennyweight_item(session, gold, item_weight):
    order_id, line_id = order(session, gold, weight="10", unit="g")
    lot = item(session, gold, item_weight, "dwt")
    pick(session, gold, line_id, lot.id)  # "Full": the item's stored 6.4309 dwt, exactly
    assert demand_g(session, gold) == 0
    (offered,) = prefilled(session, gold, order_id)
    assert offered.weight == Decimal(item_weight)  # never re-rounded into grams
    ship(session, gold, order_id, items=[offered])
    assert status(session, order_id) == (Fulfilment.COMPLETED, LineStatus.SHIPPED)
    assert ledger.verify(session) == []


def test_the_old_forms_prefilled_grams_still_ship(session, gold):
    """The line-level request the old ship form made (9.9999 g against 9.999894 g selected) ships the whole item."""
    order_id, line_id = order(session, gold, weight="10", unit="g")
    pick(session, gold, line_id, item(session, gold, "6.4308", "dwt").id)
    ship(session, gold, order_id, lines=[shipments.ShipLine(line_id, 0, "9.9999")])
    assert status(session, order_id) == (Fulfilment.COMPLETED, LineStatus.SHIPPED)


def test_a_selection_more_than_the_tolerance_above_the_line_is_still_refused(session, gold):
    order_id, line_id = order(session, gold, weight="10", unit="g")
    lot = item(session, gold, "6.4313", "dwt")  # 10.0006715 g: 0.00067 g over, above 0.0005 g
    with pytest.raises(ValidationFailed, match="more than ordered"):
        pick(session, gold, line_id, lot.id)


def test_one_piece_of_a_3_3333_dwt_item_ships_as_prefilled(session, gold):
    order_id, line_id = order(session, gold, quantity=1, weight="5.1833", unit="g")
    pick(session, gold, line_id, item(session, gold, "3.3333", "dwt", quantity=1).id)
    (offered,) = prefilled(session, gold, order_id)
    assert (offered.quantity, offered.weight) == (1, Decimal("3.3333"))
    ship(session, gold, order_id, items=[offered])
    assert status(session, order_id) == (Fulfilment.COMPLETED, LineStatus.SHIPPED)
    assert demand_g(session, gold) == 0


def test_the_line_level_request_of_5_1833_g_ships_the_5_1832815_g_piece(session, gold):
    order_id, line_id = order(session, gold, quantity=1, weight="5.1833", unit="g")
    pick(session, gold, line_id, item(session, gold, "3.3333", "dwt", quantity=1).id)
    ship(session, gold, order_id, lines=[shipments.ShipLine(line_id, 1, "5.1833")])
    assert status(session, order_id) == (Fulfilment.COMPLETED, LineStatus.SHIPPED)


def test_a_shipped_piece_never_goes_back_by_removing_the_other_selection(session, gold):
    order_id, line_id = order(session, gold, quantity=2, weight="4", unit="g")
    first, second = item(session, gold, "2", "g", quantity=1), item(session, gold, "2", "g", quantity=1)
    shipped_sel = pick(session, gold, line_id, first.id)
    other_sel = pick(session, gold, line_id, second.id)
    ship(session, gold, order_id, items=[shipments.ShipItem(shipped_sel, 1, "2")])
    shipment = view(session, gold, order_id).shipments[0]
    assert [(pos, tag) for pos, tag, _amount in shipment.items] == [(1, first.tag_id)]  # which item left
    with pytest.raises(ValidationFailed, match="can no longer be removed"):
        selection.remove_selection(session, actor=gold.admin, selection_id=shipped_sel)
    selection.remove_selection(session, actor=gold.admin, selection_id=other_sel)
    session.refresh(first)
    session.refresh(second)
    assert (first.quantity, second.quantity) == (0, 1)  # the shipped piece stays out, the other is back
    assert status(session, order_id) == (Fulfilment.PARTIALLY_SHIPPED, LineStatus.PARTIALLY_SHIPPED)
    assert ledger.verify(session) == []


def test_a_line_whose_pieces_all_shipped_leaves_the_ship_form(session, gold):
    """2 pcs / 5 g selected, the 2 pcs shipped "at 4.9 g": the last pieces take the selection's rest with them,
    so no "0 pcs / 0.1000 g" is left to ship and the line is Shipped."""
    order_id, line_id = order(session, gold, quantity=2, weight="5", unit="g")
    sel = pick(session, gold, line_id, item(session, gold, "5", "g", quantity=2).id)
    ship(session, gold, order_id, items=[shipments.ShipItem(sel, 2, "4.9")])
    assert prefilled(session, gold, order_id) == []
    link = view(session, gold, order_id).selections[0]
    assert (link.shipped_quantity, link.shipped_weight, link.unshipped_weight) == (2, Decimal("5"), 0)
    assert status(session, order_id) == (Fulfilment.COMPLETED, LineStatus.SHIPPED)


def test_a_piece_at_a_time_then_the_rest(session, gold):
    order_id, line_id = order(session, gold, quantity=2, weight="5", unit="g")
    sel = pick(session, gold, line_id, item(session, gold, "5", "g", quantity=2).id)
    ship(session, gold, order_id, items=[shipments.ShipItem(sel, 1, "2.4")])
    (offered,) = prefilled(session, gold, order_id)
    assert (offered.quantity, offered.weight) == (1, Decimal("2.6"))
    with pytest.raises(ValidationFailed, match="cannot be shipped"):
        ship(session, gold, order_id, items=[shipments.ShipItem(sel, 2, "2.6")])
    ship(session, gold, order_id, items=[offered])
    assert status(session, order_id) == (Fulfilment.COMPLETED, LineStatus.SHIPPED)


def test_a_purchase_line_90_percent_received_then_cancelled_reads_received_short(session, gold):
    order_id, line_id = order(session, gold, weight="10", unit="g", kind=OrderKind.PURCHASE)
    receipts.receive_line(session, actor=gold.admin, line_id=line_id,
                          data=receipts.ReceiptInput(quantity=0, weight="9", location_id=gold.location.id))
    assert status(session, order_id) == (Fulfilment.PARTIALLY_RECEIVED, LineStatus.PARTIALLY_RECEIVED)
    orders.cancel_line(session, actor=gold.admin, line_id=line_id, reason="refiner ran out")
    assert status(session, order_id) == (Fulfilment.COMPLETED, LineStatus.RECEIVED_SHORT)
    assert LineStatus.RECEIVED_SHORT.label == "Received (short)"
    assert demand.product_orders(session, actor=gold.admin, product_id=gold.product.id).incoming.grams == 0


def test_a_purchase_receipt_in_another_unit_closes_the_line(session, gold):
    order_id, line_id = order(session, gold, weight="10", unit="g", kind=OrderKind.PURCHASE)
    got = receipts.receive_line(session, actor=gold.admin, line_id=line_id, data=receipts.ReceiptInput(
        quantity=0, weight="6.4309", weight_unit="dwt", location_id=gold.location.id))
    assert not got.over_receipt
    assert status(session, order_id) == (Fulfilment.COMPLETED, LineStatus.RECEIVED)


# ---------------------------------------------------------------------------
# Short-close and returns
# ---------------------------------------------------------------------------

def _partly_shipped(session, gold: Gold) -> tuple[int, int, int, InventoryItem]:
    """A 3-piece line: one item of 3 pcs / 9 g selected, 1 pc / 3 g shipped."""
    order_id, line_id = order(session, gold, quantity=3, weight="9", unit="g")
    lot = item(session, gold, "9", "g", quantity=3)
    sel = pick(session, gold, line_id, lot.id)
    ship(session, gold, order_id, items=[shipments.ShipItem(sel, 1, "3")])
    return order_id, line_id, sel, lot


def test_closing_short_gives_the_unshipped_rest_back_and_completes_the_order(session, gold):
    order_id, line_id, sel, lot = _partly_shipped(session, gold)
    returns.close_short(session, actor=gold.admin, line_id=line_id, reason="customer needs only one")
    assert status(session, order_id) == (Fulfilment.COMPLETED, LineStatus.CLOSED_SHORT)
    session.refresh(lot)
    assert (lot.quantity, lot.weight) == (2, Decimal("6"))  # the two unshipped pieces are back
    assert demand_g(session, gold) == 0
    page = view(session, gold, order_id)
    assert page.lines[0].closed_short and page.lines[0].close_reason == "customer needs only one"
    assert any("Closed line 1 short: customer needs only one" == e.what for e in page.timeline)
    assert prefilled(session, gold, order_id) == []
    with pytest.raises(ValidationFailed, match="closed short"):
        pick(session, gold, line_id, lot.id, quantity=1, weight="3")
    assert ledger.verify(session) == []


def test_a_returned_piece_comes_back_into_its_item(session, gold):
    order_id, line_id, sel, lot = _partly_shipped(session, gold)
    ship(session, gold, order_id, items=prefilled(session, gold, order_id))
    assert status(session, order_id) == (Fulfilment.COMPLETED, LineStatus.SHIPPED)
    returns.receive_return(session, actor=gold.admin, selection_id=sel, quantity=1, weight="3", reason="scratched")
    assert status(session, order_id) == (Fulfilment.PARTIALLY_RETURNED, LineStatus.PARTIALLY_RETURNED)
    session.refresh(lot)
    assert (lot.quantity, lot.weight, lot.status) == (1, Decimal("3"), ItemStatus.AVAILABLE)
    movement = session.scalars(select(StockMovement).where(StockMovement.item_id == lot.id)
                               .order_by(StockMovement.id.desc())).first()
    assert movement.reference == view(session, gold, order_id).lines[0].reference  # the return names the line
    returns.receive_return(session, actor=gold.admin, selection_id=sel, reason="whole lot back")
    assert status(session, order_id) == (Fulfilment.ALL_RETURNED, LineStatus.RETURNED)
    assert ledger.verify(session) == []


def test_a_return_into_an_archived_item_restores_it(session, gold):
    order_id, line_id = order(session, gold, quantity=1, weight="2", unit="g")
    lot = item(session, gold, "2", "g", quantity=1)
    sel = pick(session, gold, line_id, lot.id)
    ship(session, gold, order_id, items=prefilled(session, gold, order_id))
    stock.archive(session, actor=gold.admin, item_id=lot.id, reason="emptied")
    returns.receive_return(session, actor=gold.admin, selection_id=sel, reason="wrong size")
    session.refresh(lot)
    assert (lot.status, lot.quantity) == (ItemStatus.AVAILABLE, 1)
    assert ledger.verify(session) == []


def _snapshot(session) -> tuple:
    return (session.scalar(select(func.count(StockMovement.id))),
            tuple(session.execute(select(OrderLine.id, OrderLine.status, OrderLine.closed_short_at)
                                  .order_by(OrderLine.id)).all()))


def test_bad_closing_and_returns_are_refused_and_write_nothing(session, gold):
    order_id, line_id = order(session, gold, quantity=2, weight="4", unit="g")
    lot = item(session, gold, "4", "g", quantity=2)
    sel = pick(session, gold, line_id, lot.id)
    before = _snapshot(session)
    with pytest.raises(ValidationFailed, match="shipped nothing yet"):
        returns.close_short(session, actor=gold.admin, line_id=line_id, reason="no longer wanted")
    with pytest.raises(ValidationFailed, match="nothing shipped"):
        returns.receive_return(session, actor=gold.admin, selection_id=sel, reason="x", quantity=1, weight="2")
    assert _snapshot(session) == before
    ship(session, gold, order_id, items=[shipments.ShipItem(sel, 1, "2")])
    before = _snapshot(session)
    with pytest.raises(ValidationFailed, match="Give a reason"):
        returns.close_short(session, actor=gold.admin, line_id=line_id, reason="   ")
    with pytest.raises(ValidationFailed, match="Give a reason"):
        returns.receive_return(session, actor=gold.admin, selection_id=sel, reason=" \t ", quantity=1, weight="2")
    with pytest.raises(ValidationFailed, match="cannot be returned"):
        returns.receive_return(session, actor=gold.admin, selection_id=sel, reason="broken", quantity=2, weight="4")
    with pytest.raises(ValidationFailed, match="Reason"):
        returns.close_short(session, actor=gold.admin, line_id=line_id, reason="bad\x00reason")
    assert _snapshot(session) == before


# ---------------------------------------------------------------------------
# Reversals that always work
# ---------------------------------------------------------------------------

def test_cancelling_a_line_whose_emptied_source_item_was_archived_returns_the_stock(session, gold):
    order_id, line_id = order(session, gold, quantity=1, weight="2", unit="g")
    lot = item(session, gold, "2", "g", quantity=1)
    pick(session, gold, line_id, lot.id)
    stock.archive(session, actor=gold.admin, item_id=lot.id, reason="empty bag thrown away")
    orders.cancel_line(session, actor=gold.admin, line_id=line_id, reason="order withdrawn")
    session.refresh(lot)
    assert (lot.status, lot.quantity, lot.weight) == (ItemStatus.AVAILABLE, 1, Decimal("2"))
    assert status(session, order_id) == (Fulfilment.CANCELLED, LineStatus.CANCELLED)
    assert ledger.verify(session) == []


def test_add_line_on_a_cancelled_or_completed_order_is_refused(session, gold):
    cancelled_id, cancelled_line = order(session, gold)
    orders.cancel_line(session, actor=gold.admin, line_id=cancelled_line)
    done_id, done_line = order(session, gold, weight="2")
    pick(session, gold, done_line, item(session, gold, "2", "g").id)
    ship(session, gold, done_id, items=prefilled(session, gold, done_id))
    for order_id, word in ((cancelled_id, "cancelled"), (done_id, "completed")):
        with pytest.raises(ValidationFailed, match=f"is {word}; a new line cannot be added"):
            orders.add_line(session, actor=gold.admin, order_id=order_id,
                            data=LineInput(product_id=gold.product.id, weight="1"))
    assert status(session, cancelled_id)[0] is Fulfilment.CANCELLED


# ---------------------------------------------------------------------------
# Every unit: Full, the pre-filled ship form, partial picks
# ---------------------------------------------------------------------------

ITEM_WEIGHT = Decimal("6.4309")


def _line_for(unit: str, pieces: int) -> tuple[str, str]:
    """The line a person would type for an item of ITEM_WEIGHT `unit`: its weight shown in grams (kilograms
    when that is too large), 4 decimals."""
    grams = to_grams(ITEM_WEIGHT, unit)
    line_unit = "g" if grams < 100000 else "kg"
    return str(from_grams(grams, line_unit)), line_unit


@pytest.mark.parametrize("pieces", [0, 2], ids=["weight-only", "pieces"])
@pytest.mark.parametrize("mode", ["full", "prefilled-line", "partial"])
@pytest.mark.parametrize("unit", UNIT_SYMBOLS)
def test_every_unit_selects_ships_and_completes(session, gold, unit, mode, pieces):
    weight, line_unit = _line_for(unit, pieces)
    order_id, line_id = order(session, gold, quantity=pieces, weight=weight, unit=line_unit)
    lot = item(session, gold, ITEM_WEIGHT, unit, quantity=pieces)
    if mode == "partial":
        half = (ITEM_WEIGHT / 2).quantize(WEIGHT_QUANTUM, rounding=ROUND_DOWN)
        pick(session, gold, line_id, lot.id, quantity=pieces // 2, weight=half)
        ship(session, gold, order_id, items=prefilled(session, gold, order_id))
        pick(session, gold, line_id, lot.id)  # Full: the item's whole rest
        ship(session, gold, order_id, items=prefilled(session, gold, order_id))
    elif mode == "full":
        pick(session, gold, line_id, lot.id)
        ship(session, gold, order_id, items=prefilled(session, gold, order_id))
    else:
        pick(session, gold, line_id, lot.id)
        shown = from_grams(view(session, gold, order_id).lines[0].selected.grams, line_unit)
        ship(session, gold, order_id, lines=[shipments.ShipLine(line_id, pieces, shown)])
    assert status(session, order_id) == (Fulfilment.COMPLETED, LineStatus.SHIPPED), (unit, mode, pieces)
    assert demand_g(session, gold) == 0
    assert prefilled(session, gold, order_id) == []
    session.refresh(lot)
    assert (lot.quantity, lot.weight) == (0, 0)


def test_the_timeline_says_which_items_a_shipment_took(session, gold):
    order_id, line_id = order(session, gold, quantity=1, weight="2", unit="g")
    lot = item(session, gold, "1.2862", "dwt", quantity=1)
    pick(session, gold, line_id, lot.id)
    ship(session, gold, order_id, items=prefilled(session, gold, order_id))
    (shipped,) = [entry.what for entry in view(session, gold, order_id).timeline if entry.what.startswith("Shipped")]
    assert shipped.endswith(f"(line 1: 1 pc, 2.000 g): {lot.tag_id} 1 pc, 1.286 dwt")


def test_a_line_closed_short_takes_no_more_production(session, gold):
    order_id, line_id = order(session, gold, quantity=2, weight="4", unit="g")
    orders.add_line(session, actor=gold.admin, order_id=order_id, data=LineInput(product_id=gold.product.id,
                                                                                  weight="1"))
    sel = pick(session, gold, line_id, item(session, gold, "4", "g", quantity=2).id)
    ship(session, gold, order_id, items=[shipments.ShipItem(sel, 1, "2")])
    returns.close_short(session, actor=gold.admin, line_id=line_id, reason="one is enough")
    with pytest.raises(ValidationFailed, match="closed short: it takes no more production"):
        links.check_line(session, actor=gold.admin, order_line_id=line_id, product_ids=[gold.product.id])


def test_a_line_level_part_never_ships_more_than_asked_in_the_items_unit(session, gold):
    order_id, line_id = order(session, gold, weight="10", unit="g")
    pick(session, gold, line_id, item(session, gold, "6.4309", "dwt").id)
    ship(session, gold, order_id, lines=[shipments.ShipLine(line_id, 0, "5")])  # 5 g = 3.21543… dwt
    (link,) = view(session, gold, order_id).selections
    assert (link.shipped_weight, link.unshipped_weight) == (Decimal("3.2154"), Decimal("3.2155"))
    assert status(session, order_id) == (Fulfilment.PARTIALLY_SHIPPED, LineStatus.PARTIALLY_SHIPPED)
