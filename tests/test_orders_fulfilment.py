"""Line statuses and the order's fulfilment status as tables over the rules (reference 3.9.3 and the issue).

The derivation is pure: these tables are the whole definition, case by case.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from lib.enums import Fulfilment, LineStatus, OrderKind
from lib.orders.fulfilment import (
    Amount,
    LineFacts,
    covers,
    exceeds,
    line_status,
    order_fulfilment,
    outstanding,
    status_summary,
)

S, P = OrderKind.SALES, OrderKind.PURCHASE
PCS3 = Amount(3, Decimal("6"))  # a line of 3 pieces, expected 6 g
G10 = Amount(0, Decimal("10"))  # a weight-only line of 10 g


def a(pieces: int = 0, grams: str = "0") -> Amount:
    return Amount(pieces, Decimal(grams))


@pytest.mark.parametrize("facts, expected", [
    # sales lines
    (LineFacts(S, PCS3), LineStatus.NOT_STARTED),
    (LineFacts(S, PCS3, selected=a(1, "2")), LineStatus.IN_PROGRESS),
    (LineFacts(S, PCS3, in_production=True), LineStatus.IN_PROGRESS),
    (LineFacts(S, PCS3, production_completed=True), LineStatus.PRODUCTION_COMPLETED),
    (LineFacts(S, PCS3, ready=True), LineStatus.READY),
    (LineFacts(S, PCS3, ready=True, production_completed=True), LineStatus.READY),
    (LineFacts(S, PCS3, selected=a(3, "6"), ready=True), LineStatus.READY),
    (LineFacts(S, PCS3, selected=a(3, "6"), shipped=a(1, "2")), LineStatus.PARTIALLY_SHIPPED),
    (LineFacts(S, PCS3, selected=a(3, "6"), shipped=a(1, "2"), ready=True), LineStatus.PARTIALLY_SHIPPED),
    (LineFacts(S, PCS3, selected=a(3, "5"), shipped=a(3, "5")), LineStatus.SHIPPED),  # pieces decide
    (LineFacts(S, PCS3, selected=a(2, "9"), shipped=a(2, "9")), LineStatus.PARTIALLY_SHIPPED),  # weight does not
    (LineFacts(S, G10, selected=a(0, "10"), shipped=a(0, "9.9999")), LineStatus.PARTIALLY_SHIPPED),
    (LineFacts(S, G10, selected=a(0, "10"), shipped=a(0, "10")), LineStatus.SHIPPED),
    (LineFacts(S, PCS3, cancelled=True, selected=a(1, "2")), LineStatus.CANCELLED),
    # purchase lines
    (LineFacts(P, PCS3), LineStatus.NOT_STARTED),
    (LineFacts(P, PCS3, received=a(2, "7")), LineStatus.PARTIALLY_RECEIVED),
    (LineFacts(P, PCS3, received=a(3, "5")), LineStatus.RECEIVED),
    (LineFacts(P, PCS3, received=a(4, "8")), LineStatus.RECEIVED),  # more than ordered is still received
    (LineFacts(P, G10, received=a(0, "4")), LineStatus.PARTIALLY_RECEIVED),
    (LineFacts(P, G10, received=a(0, "10.5")), LineStatus.RECEIVED),
    (LineFacts(P, PCS3, cancelled=True, received=a(1, "2")), LineStatus.RECEIVED_SHORT),
    (LineFacts(P, PCS3, cancelled=True), LineStatus.CANCELLED),
    (LineFacts(P, PCS3, ready=True, selected=a(1, "1")), LineStatus.NOT_STARTED),  # sales facts do not apply
])
def test_line_status(facts, expected):
    assert line_status(facts) is expected


NS, IP, RD, PC = LineStatus.NOT_STARTED, LineStatus.IN_PROGRESS, LineStatus.READY, LineStatus.PRODUCTION_COMPLETED
PS, SH, CA = LineStatus.PARTIALLY_SHIPPED, LineStatus.SHIPPED, LineStatus.CANCELLED
PR, RC = LineStatus.PARTIALLY_RECEIVED, LineStatus.RECEIVED


@pytest.mark.parametrize("statuses, on_hold, expected", [
    ([], False, Fulfilment.NOT_STARTED),
    ([NS, NS], False, Fulfilment.NOT_STARTED),
    ([NS, IP], False, Fulfilment.IN_PRODUCTION),
    ([RD, NS], False, Fulfilment.IN_PRODUCTION),
    ([RD, RD], False, Fulfilment.READY_TO_SHIP),
    ([RD, PC], False, Fulfilment.READY_TO_SHIP),  # Ready or Production Completed (reference)
    ([RD, CA], False, Fulfilment.READY_TO_SHIP),  # cancelled lines are left out
    ([RD, IP, CA], False, Fulfilment.IN_PRODUCTION),
    ([SH, NS], False, Fulfilment.PARTIALLY_SHIPPED),
    ([PS, RD], False, Fulfilment.PARTIALLY_SHIPPED),
    ([SH, SH], False, Fulfilment.COMPLETED),  # every active line shipped (issue)
    ([SH, CA], False, Fulfilment.COMPLETED),
    ([CA, CA], False, Fulfilment.CANCELLED),
    ([CA, CA], True, Fulfilment.CANCELLED),  # cancelled wins over hold
    ([RD, NS], True, Fulfilment.ON_HOLD),
    ([NS], True, Fulfilment.ON_HOLD),
    ([PR, NS], False, Fulfilment.PARTIALLY_RECEIVED),
    ([RC, NS], False, Fulfilment.PARTIALLY_RECEIVED),
    ([RC, RC, CA], False, Fulfilment.COMPLETED),
    ([RC], True, Fulfilment.ON_HOLD),
])
def test_order_fulfilment(statuses, on_hold, expected):
    assert order_fulfilment(statuses, on_hold=on_hold) is expected


def test_amount_rules():
    assert covers(PCS3, a(3)) and not covers(PCS3, a(2, "100"))
    assert covers(G10, a(0, "10")) and not covers(G10, a(5, "9"))
    assert exceeds(PCS3, a(4)) and not exceeds(PCS3, a(3, "100"))
    assert exceeds(G10, a(0, "10.0001")) and not exceeds(G10, a(0, "10"))
    assert outstanding(PCS3, a(1, "2")) == a(2, "4")
    assert outstanding(PCS3, a(3, "1")) == Amount()  # covered on pieces: nothing is missing
    assert outstanding(G10, a(0, "12")) == Amount()
    assert outstanding(G10, a(0, "2.5")) == a(0, "7.5")


def test_status_summary_counts_in_a_fixed_order():
    assert status_summary([SH, NS, SH, CA]) == [(NS, 1), (SH, 2), (CA, 1)]
    assert status_summary([]) == []


def test_every_status_has_a_label_and_a_colour():
    for status in (*LineStatus, *Fulfilment):
        assert status.label and status.colour
    assert Fulfilment.READY_TO_SHIP.label == "Ready to Ship" and LineStatus.PARTIALLY_SHIPPED.label == \
        "Partially Shipped"
