"""Inventory and order reports against figures worked out by hand (lib.reports.stock, .levels, .orders, .catalog).

Stock story (today, grams): North receives 3 Ruby pieces of 6 g; South receives 2 Ruby pieces of 4 g and one
Jade of 10 g; South's Ruby item is moved to North (a transfer a North viewer sees only the arriving side of);
North writes 1 g of its first Ruby off by adjustment. Orders story (2026): order 1 (2 Mar, required 10 Mar)
shipped 8 Mar, on time; order 2 (3 Mar, required 5 Mar) shipped 9 Mar, late; order 3 (20 Mar, no date) has one
line shipped 21 Mar and one Jade line open; order 4 (25 Feb, required 1 Mar) is open, overdue; order 5 (5 Mar,
required 11 Mar) ships 1 of 2 pieces on 12 Mar, late, and the rest is closed short.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lib import ledger
from lib.enums import InventoryKind, MovementKind, OrderKind, PartyKind
from lib.errors import NotFound, PermissionDenied, ValidationFailed
from lib.models import AuditEntry, ReorderLevel, Role
from lib.orders import detail, orders, returns, selection, shipments
from lib.reports import catalog, dates, levels, stock
from lib.reports import orders as order_reports
from lib.reports.common import ReportFilters
from tests import factories as f

D = Decimal


def levels_count(session) -> int:
    return session.scalar(select(func.count()).select_from(ReorderLevel))
WEEK = dates.preset_range("last-7-days")


@dataclass
class Stock:
    admin: object
    manager: object
    member: object
    north: int
    south: int
    ruby: int
    jade: int


@pytest.fixture
def shelves(session) -> Stock:
    f.make_workspace(session, name="Stock Workshop")
    north, south = f.make_location(session, "North"), f.make_location(session, "South")
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None))
    mover = f.make_user(session, Role.MANAGER, south, username="mover")
    ruby, jade = f.make_product(session, "Ruby", "RUB"), f.make_product(session, "Jade", "JAD")
    first = f.make_item(session, ruby, north, quantity=3, weight="6")
    travelling = f.make_item(session, ruby, south, quantity=2, weight="4")
    f.make_item(session, jade, south, quantity=1, weight="10")
    ledger.move_location(session, item_id=travelling.id, to_location_id=north.id, user_id=mover.id,
                         note="south side note")
    ledger.apply_change(session, item_id=first.id, user_id=None, movement_kind=MovementKind.ADJUSTMENT,
                        weight_delta=D(-1), note="filing")
    return Stock(admin, f.actor(session, f.make_user(session, Role.MANAGER, north)),
                 f.actor(session, f.make_user(session, Role.MEMBER, north)), north.id, south.id, ruby.id, jade.id)


def test_stock_summary_by_product_kind_location(session, shelves):
    admin = [(r.product, r.kind, r.location, r.items, r.pieces, r.weight_g)
             for r in stock.stock_summary(session, actor=shelves.admin)]
    assert admin == [("Jade", InventoryKind.FINISHED, "South", 1, 1, D(10)),
                     ("Ruby", InventoryKind.FINISHED, "North", 2, 5, D(9))]
    north = [(r.product, r.location, r.weight_g) for r in stock.stock_summary(session, actor=shelves.member)]
    assert north == [("Ruby", "North", D(9))]


def test_stock_movement_totals_see_one_side_of_a_transfer(session, shelves):
    def totals(actor):
        return {row.movement_kind: (row.movements, row.added_pieces, row.deducted_pieces, row.added_g, row.deducted_g)
                for row in stock.stock_movement(session, actor=actor, period=WEEK)}

    assert totals(shelves.member) == {
        MovementKind.RECEIPT: (1, 3, 0, D(6), D(0)),
        MovementKind.TRANSFER_IN: (1, 2, 0, D(4), D(0)),
        MovementKind.ADJUSTMENT: (1, 0, 0, D(0), D(1)),
    }
    admin = totals(shelves.admin)
    assert admin[MovementKind.RECEIPT] == (3, 6, 0, D(20), D(0))
    assert admin[MovementKind.TRANSFER_OUT] == (1, 0, 2, D(0), D(4))
    assert stock.stock_movement(session, actor=shelves.admin, period=dates.DateRange(date(2020, 1, 1),
                                                                                     date(2020, 1, 31))) == []


def test_the_movement_log_hides_the_other_side(session, shelves):
    rows = stock.movement_log(session, actor=shelves.member, period=WEEK)
    assert [row.movement_kind for row in rows] == [MovementKind.ADJUSTMENT, MovementKind.TRANSFER_IN,
                                                   MovementKind.RECEIPT]
    arrived = rows[1]
    assert (arrived.counterpart, arrived.user, arrived.note) == ("from another location", "—", "")
    assert "South" not in repr(rows)
    admin = stock.movement_log(session, actor=shelves.admin, period=WEEK)
    assert len(admin) == 6 and "south side note" in repr(admin)
    assert len(stock.movement_log(session, actor=shelves.admin, period=WEEK, limit=2, offset=5)) == 1


def test_low_stock_against_reorder_levels(session, shelves):
    levels.set_level(session, actor=shelves.admin, product_id=shelves.ruby, min_weight="20", weight_unit="g")
    levels.set_level(session, actor=shelves.admin, product_id=shelves.jade, location_id=shelves.south, min_pieces=2)
    levels.set_level(session, actor=shelves.manager, product_id=shelves.ruby, location_id=shelves.north,
                     kind=InventoryKind.FINISHED, min_pieces="5")  # 5 held: not below
    admin = [(r.product, r.location, r.held_weight_g, r.short_weight_g, r.held_pieces, r.short_pieces)
             for r in stock.low_stock(session, actor=shelves.admin)]
    assert admin == [("Jade", "South", D(10), None, 1, 1), ("Ruby", "All locations", D(9), D(11), 5, None)]
    north = [(r.product, r.location) for r in stock.low_stock(session, actor=shelves.member)]
    assert north == [("Ruby", "All your locations")]
    assert stock.low_stock_count(session, actor=shelves.member) == 1
    assert stock.low_stock_count(session, actor=shelves.admin) == 2
    # Changing the level again changes the one row, audited.
    levels.set_level(session, actor=shelves.admin, product_id=shelves.ruby, min_weight="5", weight_unit="g")
    assert stock.low_stock_count(session, actor=shelves.admin) == 1
    assert levels_count(session) == 3
    actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "reorder_level")))
    assert actions.count("set reorder level") == 3 and actions.count("change reorder level") == 1


@pytest.mark.parametrize("weight, pieces, message", [
    ("-1", None, "cannot be negative"), ("abc", None, "plain number"), (None, "1.5", "whole number"),
    (None, "-2", "cannot be negative"), (None, None, "Give a minimum")])
def test_bad_reorder_levels_are_refused(session, shelves, weight, pieces, message):
    with pytest.raises(ValidationFailed, match=message):
        levels.set_level(session, actor=shelves.admin, product_id=shelves.ruby, min_weight=weight, min_pieces=pieces)
    assert levels_count(session) == 0


def test_who_may_set_reorder_levels(session, shelves):
    with pytest.raises(PermissionDenied):
        levels.set_level(session, actor=shelves.member, product_id=shelves.ruby, location_id=shelves.north,
                         min_pieces=1)
    with pytest.raises(PermissionDenied):  # a level for every location needs someone who sees every location
        levels.set_level(session, actor=shelves.manager, product_id=shelves.ruby, min_pieces=1)
    with pytest.raises(PermissionDenied):
        levels.set_level(session, actor=shelves.manager, product_id=shelves.ruby, location_id=shelves.south,
                         min_pieces=1)
    south = levels.set_level(session, actor=shelves.admin, product_id=shelves.ruby, location_id=shelves.south,
                             min_pieces=1)
    assert levels.list_levels(session, actor=shelves.manager, product_id=shelves.ruby) == []
    with pytest.raises(NotFound):
        levels.remove_level(session, actor=shelves.manager, level_id=south.id)
    levels.remove_level(session, actor=shelves.admin, level_id=south.id)
    assert levels_count(session) == 0


def test_export_has_machine_columns(session, shelves):
    made = catalog.export_report(session, actor=shelves.member, name="stock-summary", period=WEEK)
    text = made.path.read_text(encoding="utf-8")
    made.path.unlink()
    assert text.splitlines() == ["product,category,kind,location,items,pieces,weight_g", "Ruby,,finished,North,2,5,9"]
    with pytest.raises(ValidationFailed, match="Unknown report"):
        catalog.get_report("stock-value")


# ---------------------------------------------------------------------------
# Orders
# ---------------------------------------------------------------------------

@pytest.fixture
def order_book(session, shelves):
    admin = shelves.admin
    customer = f.make_party(session, PartyKind.CUSTOMER, company="Secret Customer")
    south = session.get(f.Location, shelves.south)
    ruby = session.get(f.Product, shelves.ruby)

    def order(day, required, *lines):
        made = orders.create_order(session, actor=admin, data=orders.OrderInput(
            kind=OrderKind.SALES, party_id=customer.id, lead_id=admin.user_id, ordered_on=day, date_required=required,
            lines=[orders.LineInput(product_id=product, quantity=pieces, weight=weight, weight_unit="g")
                   for product, pieces, weight in lines]))
        return made.id, [line.id for line in detail.order_detail(session, actor=admin, order_id=made.id).lines]

    def ship(order_id, line_id, day):
        item = f.make_item(session, ruby, south, quantity=1, weight="2")
        selection.select_items(session, actor=admin, line_id=line_id, picks=[selection.Pick(item.id)])
        shipments.create_shipment(session, actor=admin, order_id=order_id, carrier="UPS", shipped_on=day,
                                  lines=[shipments.ShipLine(line_id, 1, "2")])

    one, (one_line,) = order(date(2026, 3, 2), date(2026, 3, 10), (shelves.ruby, 1, "2"))
    ship(one, one_line, date(2026, 3, 8))
    two, (two_line,) = order(date(2026, 3, 3), date(2026, 3, 5), (shelves.ruby, 1, "2"))
    ship(two, two_line, date(2026, 3, 9))
    three, (shipped_line, _open) = order(date(2026, 3, 20), None, (shelves.ruby, 1, "2"), (shelves.jade, 2, "4"))
    ship(three, shipped_line, date(2026, 3, 21))
    order(date(2026, 2, 25), date(2026, 3, 1), (shelves.ruby, 1, "1"))
    five, (short_line,) = order(date(2026, 3, 5), date(2026, 3, 11), (shelves.ruby, 2, "4"))
    ship(five, short_line, date(2026, 3, 12))  # 1 of 2 pieces, a day late; the rest closed short
    returns.close_short(session, actor=admin, line_id=short_line, reason="customer settled for one")
    buy = orders.create_order(session, actor=admin, data=orders.OrderInput(
        kind=OrderKind.PURCHASE, party_id=f.make_party(session, PartyKind.SUPPLIER).id, lead_id=admin.user_id,
        ordered_on=date(2026, 3, 4), lines=[orders.LineInput(product_id=shelves.ruby, quantity=1)]))
    assert buy
    session.flush()
    return shelves


def test_order_summary_per_month(session, order_book):
    spring = dates.DateRange(date(2026, 2, 1), date(2026, 3, 31))
    rows = order_reports.order_summary(session, actor=order_book.manager, period=spring)
    assert [(r.period, r.orders_created, r.orders_completed, r.orders_open, r.lines_on_time, r.lines_late,
             r.lines_no_date) for r in rows] == [(date(2026, 2, 1), 1, 0, 1, 0, 0, 0),
                                                 (date(2026, 3, 1), 4, 3, 1, 1, 2, 1)]
    assert rows[1].on_time_pct == D("33.3")
    with pytest.raises(PermissionDenied):
        order_reports.order_summary(session, actor=order_book.member, period=spring)
    with pytest.raises(ValidationFailed, match="whole workspace"):
        order_reports.order_summary(session, actor=order_book.admin, period=spring,
                                    filters=ReportFilters(location_id=order_book.north))


def test_open_demand_by_product(session, order_book):
    rows = order_reports.open_demand(session, actor=order_book.manager)
    assert [(r.product, r.lines, r.open_pieces, r.open_weight_g, r.overdue_lines) for r in rows] == [
        ("Jade", 1, 2, D(4), 0), ("Ruby", 1, 1, D(1), 1)]
    assert "Secret" not in repr(rows)
