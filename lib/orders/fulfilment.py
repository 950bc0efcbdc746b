"""Line statuses and the order's fulfilment status, derived from facts (pure: no database, no clock).

`line_status(facts)` and `order_fulfilment(statuses, on_hold=...)` are the one
definition; `lib.orders.lines.refresh` feeds them what the database holds
after every change and caches the results on the rows (lists filter by them).
Nobody types a status: people record facts (select stock, mark a line ready,
ship, receive, cancel, put on hold) and the status follows.

Reference 3.9.3 states two rules, kept as written: cancelled lines are left
out ("active" = not cancelled); the order is **Ready to Ship** when every
active line is Ready or Production Completed. The issue adds: **Completed**
when every active line is shipped. Decisions where the reference is silent
(also in docs/orders.md):

- Amounts: a line asks for pieces and/or a weight. When it asks for pieces,
  pieces decide whether it is covered (shipped, received); a weight-only line
  is decided by weight (grams, so units never matter). The weight of a line
  that also counts pieces is what the customer expects, not a limit.
- Sales line: Cancelled; else Shipped when the shipped amount covers the
  line, Partially Shipped when something was shipped; else Ready when a person
  marked it ready, Production Completed when production says so; else In
  Progress when stock is selected for it or it is in production; else Not
  Started.
- Purchase line: Cancelled; else Received when the received amount covers the
  line, Partially Received when something was received; else Not Started.
- Order, first rule that applies: all lines cancelled -> Cancelled; on hold
  -> On Hold; every active line shipped (sales) or received (purchase) ->
  Completed; some active line shipped -> Partially Shipped; some received ->
  Partially Received; every active line Ready or Production Completed ->
  Ready to Ship; work started on some active line -> In Production; else
  Not Started.
- Amounts that close in any unit: every amount is compared exactly (pieces,
  and grams from each record's own unit with 10 decimals, so nothing is
  re-rounded); a weight-only line whose remainder is smaller than half the
  last displayed digit of the line's unit (`slack`: 0.0005 g for g, 0.0005
  dwt = 0.0007775 g for dwt, 0.5 mg for mg) counts as covered, and taking up
  to that much more than it needs is not "more than ordered". A 10 g line
  filled by an item of 6.4309 dwt (10.0000495 g) or 6.4308 dwt (9.999894 g)
  is covered either way. A pieces line is decided by pieces only.
- Closed short (sales): a partially shipped line closed with a reason reads
  Closed Short and counts as done. Returns: once a line is done (Shipped or
  Closed Short), goods received back make it Returned (everything shipped
  came back) or Partially Returned; a return never reopens a line (the
  customer's replacement is a new line). Purchase: a line received in part
  and then cancelled reads "Received (short)" and counts as done.
- Order: every active line done and some returned -> All Returned (every
  active line Returned) or Partially Returned (checked before Completed).
- Not produced yet: Shipped as an order status (shipments carry no delivery
  tracking, so "all shipped" is Completed as the issue asks), Backordered.
  `in_production` / `production_completed` are the production module's facts;
  orders alone never set them.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from lib.enums import Fulfilment, LineStatus, OrderKind
from lib.units import unit

ZERO = Decimal(0)
RETURN_STATUSES = (LineStatus.RETURNED, LineStatus.PARTIALLY_RETURNED)
SHIPPED_STATUSES = (LineStatus.PARTIALLY_SHIPPED, LineStatus.SHIPPED, LineStatus.CLOSED_SHORT, *RETURN_STATUSES)
RECEIVED_STATUSES = (LineStatus.PARTIALLY_RECEIVED, LineStatus.RECEIVED, LineStatus.RECEIVED_SHORT)
READY_STATUSES = (LineStatus.READY, LineStatus.PRODUCTION_COMPLETED)
DONE_STATUSES = (LineStatus.SHIPPED, LineStatus.RECEIVED, LineStatus.CLOSED_SHORT, LineStatus.RECEIVED_SHORT,
                 *RETURN_STATUSES)


@dataclass(frozen=True)
class Amount:
    """Pieces and grams."""

    pieces: int = 0
    grams: Decimal = ZERO

    @property
    def is_zero(self) -> bool:
        return self.pieces == 0 and self.grams == 0

    def __add__(self, other: "Amount") -> "Amount":
        return Amount(self.pieces + other.pieces, self.grams + other.grams)

    def __sub__(self, other: "Amount") -> "Amount":
        return Amount(self.pieces - other.pieces, self.grams - other.grams)


def slack(symbol: str) -> Decimal:
    """The one closing rule's tolerance, in grams: half the last displayed digit of unit `symbol`.

    A weight-only line whose remainder is below this counts as covered, and
    taking up to this much more is not "more than ordered" (module docstring).
    """
    found = unit(symbol)
    return found.grams * Decimal(1).scaleb(-found.display_places) / 2


def covers(ordered: Amount, done: Amount, tolerance: Decimal = ZERO) -> bool:
    """Whether `done` covers what a line ordered: pieces decide when the line counts pieces, else weight
    (a remainder smaller than `tolerance` grams counts as covered, see `slack`)."""
    if ordered.pieces > 0:
        return done.pieces >= ordered.pieces
    return ordered.grams - done.grams < tolerance if tolerance else done.grams >= ordered.grams


def exceeds(ordered: Amount, done: Amount, tolerance: Decimal = ZERO) -> bool:
    """Whether `done` is more than the line ordered, on the measure that decides (see `covers`); an excess
    smaller than `tolerance` grams is not more."""
    if ordered.pieces > 0:
        return done.pieces > ordered.pieces
    return done.grams - ordered.grams >= tolerance if tolerance else done.grams > ordered.grams


def outstanding(ordered: Amount, done: Amount, tolerance: Decimal = ZERO) -> Amount:
    """What is still missing of `ordered` after `done`: nothing once `done` covers it (see `covers`),
    else the difference on each measure, never below zero."""
    if covers(ordered, done, tolerance):
        return Amount()
    return Amount(max(ordered.pieces - done.pieces, 0), max(ordered.grams - done.grams, ZERO))


@dataclass(frozen=True)
class LineFacts:
    """Everything a line's status depends on (amounts in pieces and grams)."""

    kind: OrderKind
    ordered: Amount
    cancelled: bool = False
    ready: bool = False
    selected: Amount = Amount()
    shipped: Amount = Amount()
    received: Amount = Amount()
    in_production: bool = False
    production_completed: bool = False
    tolerance: Decimal = ZERO  # `slack` of the line's unit
    closed_short: bool = False
    returned: Amount = Amount()


def line_status(facts: LineFacts) -> LineStatus:
    """The status of one line (rules in the module docstring)."""
    if facts.cancelled:
        if facts.kind is OrderKind.PURCHASE and not facts.received.is_zero:
            return LineStatus.RECEIVED_SHORT
        return LineStatus.CANCELLED
    if facts.kind is OrderKind.PURCHASE:
        if not facts.received.is_zero and covers(facts.ordered, facts.received, facts.tolerance):
            return LineStatus.RECEIVED
        return LineStatus.PARTIALLY_RECEIVED if not facts.received.is_zero else LineStatus.NOT_STARTED
    if not facts.shipped.is_zero:
        shipped = covers(facts.ordered, facts.shipped, facts.tolerance)
        if not shipped and not facts.closed_short:
            return LineStatus.PARTIALLY_SHIPPED
        if not facts.returned.is_zero:
            back = facts.returned
            everything = back.pieces >= facts.shipped.pieces and back.grams >= facts.shipped.grams
            return LineStatus.RETURNED if everything else LineStatus.PARTIALLY_RETURNED
        return LineStatus.SHIPPED if shipped else LineStatus.CLOSED_SHORT
    if facts.ready:
        return LineStatus.READY
    if facts.production_completed:
        return LineStatus.PRODUCTION_COMPLETED
    if not facts.selected.is_zero or facts.in_production:
        return LineStatus.IN_PROGRESS
    return LineStatus.NOT_STARTED


def order_fulfilment(statuses: Iterable[LineStatus], *, on_hold: bool = False) -> Fulfilment:
    """The order's fulfilment status from its lines' statuses (rules in the module docstring)."""
    statuses = list(statuses)
    active = [status for status in statuses if status is not LineStatus.CANCELLED]
    if statuses and not active:
        return Fulfilment.CANCELLED
    if on_hold:
        return Fulfilment.ON_HOLD
    if not active:
        return Fulfilment.NOT_STARTED
    if all(status in DONE_STATUSES for status in active):
        if all(status is LineStatus.RETURNED for status in active):
            return Fulfilment.ALL_RETURNED
        if any(status in RETURN_STATUSES for status in active):
            return Fulfilment.PARTIALLY_RETURNED
        return Fulfilment.COMPLETED
    if any(status in SHIPPED_STATUSES for status in active):
        return Fulfilment.PARTIALLY_SHIPPED
    if any(status in RECEIVED_STATUSES for status in active):
        return Fulfilment.PARTIALLY_RECEIVED
    if all(status in READY_STATUSES for status in active):
        return Fulfilment.READY_TO_SHIP
    if any(status is not LineStatus.NOT_STARTED for status in active):
        return Fulfilment.IN_PRODUCTION
    return Fulfilment.NOT_STARTED


def status_summary(statuses: Iterable[LineStatus]) -> list[tuple[LineStatus, int]]:
    """(status, number of lines) for the header chips, in the order of `LineStatus`, zero counts left out."""
    counts = Counter(statuses)
    return [(status, counts[status]) for status in LineStatus if counts[status]]
