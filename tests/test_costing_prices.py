"""Issue 19 item 3: prices on purchase and sales lines (lib.costing.prices).

Story: as in tests/test_orders_lib.py (Orders Workshop, USD; North's rubies RN1 3 pcs 6 g and RN2 1 pc 2 g;
Gem Supply supplies, Acme buys).
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lib.costing import components, prices
from lib.costing.components import ComponentInput
from lib.enums import ComponentType
from lib.errors import PermissionDenied, ValidationFailed
from lib.models import CostComponent, InventoryKind, Order, OrderLine
from lib.orders import orders, receipts, selection
from lib.orders.orders import LineInput
from tests.test_orders_lib import lines_of, purchase, ruby_line, sales, shop  # noqa: F401 (fixture)

D = Decimal


def _cost(session, item_id):
    return components.costs_of_items(session, [item_id])[item_id]


def test_a_purchase_receipt_gives_the_item_the_line_price(session, shop):  # noqa: F811
    ref = orders.create_order(session, actor=shop.admin, data=purchase(
        shop, ruby_line(shop, quantity=5, weight="10", unit_price="62.5"),
        LineInput(product_id=shop.ruby, quantity=0, weight="3", weight_unit="ct", unit_price="900",
                  price_basis="ct"),
        LineInput(product_id=shop.jade, quantity=4, unit_price="2.25", price_currency="EUR")))
    first, second, third = (session.get(OrderLine, line.id) for line in lines_of(session, ref.id))
    assert (first.unit_price, first.price_basis, first.price_currency, first.cost_type) == (
        D("62.5"), "g", "USD", "metal")
    assert (second.price_basis, second.cost_type) == ("ct", "gemstone")
    assert (third.price_basis, third.price_currency, third.cost_type) == ("piece", "EUR", "packaging")
    got = receipts.receive_line(session, actor=shop.admin, line_id=first.id, data=receipts.ReceiptInput(
        quantity=2, weight="4.2", location_id=shop.north, kind=InventoryKind.FINISHED))
    cost = _cost(session, got.item_id)
    assert cost.totals == {"USD": D("262.50")}  # 4.2 g x 62.50
    assert cost.lines[0].component_type is ComponentType.METAL and cost.metal_grams == D("4.2")
    got = receipts.receive_line(session, actor=shop.admin, line_id=second.id, data=receipts.ReceiptInput(
        quantity=0, weight="0.6", weight_unit="g", location_id=shop.north, kind=InventoryKind.ROUGH))
    assert _cost(session, got.item_id).totals == {"USD": D("2700.00")}  # 0.6 g = 3 ct x 900
    got = receipts.receive_line(session, actor=shop.admin, line_id=third.id, data=receipts.ReceiptInput(
        quantity=4, weight="1", location_id=shop.north, kind=InventoryKind.FINISHED))
    assert _cost(session, got.item_id).totals == {"EUR": D("9.00")}


def test_bad_prices_are_refused_with_clear_messages_and_nothing_is_written(session, shop):  # noqa: F811
    before = session.scalar(select(func.count(Order.id)))
    for raw, message in (("-5", "unit price"), ("0", "greater than zero"), ("1e30", "unit price"),
                         ("12.345678", "4 decimals"), ("abc", "unit price")):
        with pytest.raises(ValidationFailed) as caught:
            orders.create_order(session, actor=shop.admin, data=purchase(shop, ruby_line(shop, unit_price=raw)))
        assert message in str(caught.value) and "Line 1" in str(caught.value)
    with pytest.raises(ValidationFailed, match="Currency"):
        orders.create_order(session, actor=shop.admin, data=purchase(
            shop, ruby_line(shop, unit_price="5", price_currency="XYZ")))
    with pytest.raises(ValidationFailed, match="price basis"):
        orders.create_order(session, actor=shop.admin, data=purchase(
            shop, ruby_line(shop, unit_price="5", price_basis="hour")))
    with pytest.raises(ValidationFailed, match="component type"):
        orders.create_order(session, actor=shop.admin, data=purchase(
            shop, ruby_line(shop, unit_price="5", cost_type="sparkle")))
    assert session.scalar(select(func.count(Order.id))) == before


def test_a_sales_line_shows_price_cost_of_selected_stock_and_margin_to_admins_only(session, shop):  # noqa: F811
    components.add_component(session, actor=shop.admin, item_id=shop.rn1, data=ComponentInput(
        quantity="6", unit="g", component_type="metal", manual_amount="300", manual_currency="USD"))
    ref = orders.create_order(session, actor=shop.admin, data=sales(
        shop, ruby_line(shop, quantity=2, weight="4", unit_price="100", price_basis="piece"),
        ruby_line(shop, quantity=1, weight="1")))
    first, second = lines_of(session, ref.id)
    selection.select_items(session, actor=shop.admin, line_id=first.id, picks=[
        selection.Pick(shop.rn1, full=False, quantity=2, weight="3")])
    margins = prices.line_margins(session, actor=shop.admin, order_id=ref.id)
    assert margins[first.id].price_total == D("200.00")
    assert margins[first.id].selected_cost == {"USD": D("150.00")}  # 300 x 3 g / 6 g
    assert margins[first.id].margin == D("50.00")
    assert (margins[second.id].price, margins[second.id].margin) == ("", None)
    # a line whose selected stock carries no cost has no margin (not a margin of the whole price)
    third_ref = orders.create_order(session, actor=shop.admin, data=sales(
        shop, ruby_line(shop, quantity=1, weight="1", unit_price="80", price_basis="piece")))
    (third,) = lines_of(session, third_ref.id)
    assert prices.line_margins(session, actor=shop.admin, order_id=third_ref.id)[third.id].margin is None  # none
    selection.select_items(session, actor=shop.admin, line_id=third.id, picks=[selection.Pick(shop.rn2)])
    uncosted = prices.line_margins(session, actor=shop.admin, order_id=third_ref.id)[third.id]
    assert (uncosted.price_total, uncosted.selected_cost, uncosted.margin) == (D("80.00"), {}, None)
    for who in (shop.manager, shop.member):
        with pytest.raises(PermissionDenied):
            prices.line_margins(session, actor=who, order_id=ref.id)
    assert session.scalar(select(func.count(CostComponent.id))) == 1
