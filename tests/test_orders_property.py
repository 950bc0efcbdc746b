"""Random select, ship, remove, short-close, return and cancel sequences on a sales line in a random unit, with
stock in random units (issue 16). After every step:

- the ledger verifies;
- nothing is counted twice: what each item still has out under the line's reference is exactly what its
  selections hold (selected, less what a short-close gave back, less what came back as returns), every
  selection shipped no more than it held and got back no more than it shipped, and the line's shipped sums are
  its shipment items' sums;
- the ship form's pre-filled amounts are always accepted;
- no line is left that can neither progress nor close: a line with something shipped and not covered can be
  closed short, one with nothing shipped can be cancelled, and the order then ends Completed / Cancelled /
  Returned with no demand left.

Each step runs in a savepoint: a refused step (ValidationFailed etc.) is rolled back, as the app's transaction
is. Runs on SQLite, and on PostgreSQL when LOUPE_DATABASE_URL names it (CI's second run).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_DOWN, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lib import ledger
from lib.errors import LoupeError
from lib.inventory import stock
from lib.models import (
    Fulfilment,
    LineStatus,
    Order,
    OrderLine,
    OrderReturn,
    OrderSelection,
    ShipmentItem,
    ShipmentLine,
)
from lib.orders import orders, returns, selection, shipments
from lib.orders.lines import amounts, line_reference
from lib.units import UNIT_SYMBOLS, WEIGHT_QUANTUM, from_grams
from tests.test_orders_closing import demand_g, gold, item, order, prefilled, ship, status, view  # noqa: F401

CLOSED = (Fulfilment.COMPLETED, Fulfilment.CANCELLED, Fulfilment.PARTIALLY_RETURNED, Fulfilment.ALL_RETURNED)
KINDS = ("select", "select", "select", "ship", "ship", "ship", "remove", "short", "return", "return", "cancel")
STEP = st.tuples(st.sampled_from(KINDS), st.integers(0, 3), st.booleans(), st.sampled_from(["0.25", "0.5", "1"]))
"""A step: its kind (the repeats weight the draw towards selecting and shipping, so sequences reach short-close
and returns), an index (which item or selection), a flag (Full pick / part of a selection / everything back)
and a fraction of the item's weight for a partial pick."""


def _weight(grams: Decimal, unit: str) -> Decimal:
    """`grams` in `unit` at 4 decimals, at least 0.0001."""
    return max(from_grams(grams, unit), WEIGHT_QUANTUM)


def _half(value, places=WEIGHT_QUANTUM) -> Decimal:
    return (Decimal(value) / 2).quantize(places, rounding=ROUND_DOWN)


def _active(session, line_id: int) -> list[OrderSelection]:
    return list(session.scalars(select(OrderSelection).where(OrderSelection.line_id == line_id,
                                                             OrderSelection.released_at.is_(None))
                                .order_by(OrderSelection.id).execution_options(populate_existing=True)))


def _step(session, gold, order_id: int, line_id: int, items: list, pieces: int, step: tuple) -> None:
    kind, index, flag, fraction = step
    if kind == "select":
        full = flag
        lot = items[index % len(items)]
        session.refresh(lot)
        if full:
            selection.select_items(session, actor=gold.admin, line_id=line_id, picks=[selection.Pick(lot.id)])
        else:
            take = (Decimal(lot.weight) * Decimal(fraction)).quantize(WEIGHT_QUANTUM, rounding=ROUND_DOWN)
            selection.select_items(session, actor=gold.admin, line_id=line_id, picks=[selection.Pick(
                lot.id, full=False, quantity=min(lot.quantity, 1) if pieces else 0, weight=take)])
    elif kind == "ship":
        offered = prefilled(session, gold, order_id)
        if flag and offered:  # part of the first selection only
            first = offered[0]
            offered = [shipments.ShipItem(first.selection_id, min(first.quantity, 1) if pieces else 0,
                                          _half(first.weight))]
        ship(session, gold, order_id, items=offered)
    elif kind == "remove":
        active = _active(session, line_id)
        if active:
            selection.remove_selection(session, actor=gold.admin, selection_id=active[index % len(active)].id)
    elif kind == "short":
        returns.close_short(session, actor=gold.admin, line_id=line_id, reason="no longer wanted")
    elif kind == "return":
        links = [link for link in view(session, gold, order_id).selections
                 if link.returnable_quantity or link.returnable_weight]
        if links:
            link = links[index % len(links)]
            if flag:
                returns.receive_return(session, actor=gold.admin, selection_id=link.id, reason="came back")
            else:
                returns.receive_return(session, actor=gold.admin, selection_id=link.id, reason="came back",
                                       quantity=min(link.returnable_quantity, 1), weight=_half(link.returnable_weight))
    elif kind == "cancel":
        orders.cancel_line(session, actor=gold.admin, line_id=line_id, reason="changed mind")


def _nothing_counted_twice(session, order_id: int, line_id: int) -> None:
    reference = line_reference(session.get(Order, order_id), session.get(OrderLine, line_id))
    shipped, back = defaultdict(lambda: [0, Decimal(0)]), defaultdict(lambda: [0, Decimal(0)])
    for model, sums in ((ShipmentItem, shipped), (OrderReturn, back)):
        for sel_id, quantity, weight in session.execute(select(model.selection_id, model.quantity, model.weight)
                                                        .where(model.line_id == line_id)):
            sums[sel_id][0] += quantity
            sums[sel_id][1] += _w(weight)
    out = defaultdict(lambda: [0, Decimal(0)])
    for row in session.scalars(select(OrderSelection).where(OrderSelection.line_id == line_id)
                               .execution_options(populate_existing=True)):
        if row.released_at is not None:
            assert row.id not in shipped, "a removed selection had shipped"
            continue
        held_pieces, held_weight = row.quantity - row.short_quantity, _w(row.weight) - _w(row.short_weight)
        assert shipped[row.id][0] <= held_pieces and shipped[row.id][1] <= held_weight
        assert back[row.id][0] <= shipped[row.id][0] and back[row.id][1] <= shipped[row.id][1]
        out[row.item_id][0] += held_pieces - back[row.id][0]
        out[row.item_id][1] += held_weight - back[row.id][1]
    for item_id, (pieces, weight) in out.items():
        assert stock.issued_balance(session, item_id=item_id, reference=reference) == (pieces, weight)
    line_sums = session.execute(select(ShipmentLine.quantity, ShipmentLine.weight_g)
                                .where(ShipmentLine.line_id == line_id)).all()
    item_sums = session.execute(select(ShipmentItem.quantity, ShipmentItem.weight_g)
                                .where(ShipmentItem.line_id == line_id)).all()
    assert sum(q for q, _ in line_sums) == sum(q for q, _ in item_sums)
    assert abs(sum(_g(g) for _, g in line_sums) - sum(_g(g) for _, g in item_sums)) < Decimal("0.000001")
    assert amounts(session, [line_id])[line_id].shipped.pieces == sum(q for q, _ in item_sums)


def _w(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(WEIGHT_QUANTUM)


def _g(value) -> Decimal:
    return Decimal(str(value or 0))


def _attempt(session, action) -> bool:
    """Run `action` in a savepoint; a refusal rolls it back (as the app's transaction is). True when it went."""
    savepoint = session.begin_nested()
    try:
        action()
    except LoupeError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _prefilled_ships(session, gold, order_id: int) -> None:
    offered = prefilled(session, gold, order_id)
    if offered:
        savepoint = session.begin_nested()
        try:
            ship(session, gold, order_id, items=offered)  # never refused
        finally:
            savepoint.rollback()


def _can_close(session, gold, order_id: int, line_id: int) -> None:
    """The line either is done, or it closes: short when something shipped, cancelled when nothing did."""
    savepoint = session.begin_nested()
    try:
        line_status = status(session, order_id)[1]
        if line_status is LineStatus.PARTIALLY_SHIPPED:
            returns.close_short(session, actor=gold.admin, line_id=line_id, reason="closing")
        elif line_status in (LineStatus.NOT_STARTED, LineStatus.IN_PROGRESS, LineStatus.READY):
            orders.cancel_line(session, actor=gold.admin, line_id=line_id, reason="closing")
        assert status(session, order_id)[0] in CLOSED, status(session, order_id)
        assert demand_g(session, gold) == 0
        assert ledger.verify(session) == []
    finally:
        savepoint.rollback()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(line_unit=st.sampled_from(UNIT_SYMBOLS), item_units=st.lists(st.sampled_from(UNIT_SYMBOLS), min_size=3,
                                                                     max_size=3),
       pieces=st.sampled_from([0, 2]), grams=st.decimals("2", "30", places=2),
       steps=st.lists(STEP, min_size=2, max_size=10))
def test_random_order_sequences_keep_every_gram_accounted_for(session, gold, line_unit, item_units, pieces, grams,
                                                              steps):
    example = session.begin_nested()
    try:
        order_id, line_id = order(session, gold, quantity=pieces, weight=_weight(grams, line_unit), unit=line_unit)
        items = [item(session, gold, _weight(grams * share, unit), unit, quantity=pieces)
                 for unit, share in zip(item_units, (Decimal("0.5"), Decimal("0.75"), Decimal("1.2")))]
        for step in steps:
            _attempt(session, lambda step=step: _step(session, gold, order_id, line_id, items, pieces, step))
            assert ledger.verify(session) == []
            _nothing_counted_twice(session, order_id, line_id)
            _prefilled_ships(session, gold, order_id)
            _can_close(session, gold, order_id, line_id)
    finally:
        example.rollback()
