"""Prices on order lines (issue 19 item 3): what a purchase line costs and what a sales line sells for.

Decisions (also in docs/costing.md):

- A line's unit price is optional: a plain decimal above zero with at most 4 decimals, at most
  1,000,000,000 (`lib.costing.rates.parse_price`: "1e30", "-5" and "0" are refused), per g, per ct or per
  piece (`price_basis`, default per g when the line asks for a weight, else per piece), in an ISO 4217
  currency (default the order's).
- A purchase line also names the component type its received items get (default Metal for a per-gram
  price, Gemstone for per-carat, Packaging for per-piece: a material's name says too little). Receiving it
  gives the new item one manual component of that type: quantity = the received weight (or pieces for a
  per-piece price), amount = unit price × that quantity in the price's basis, rounded half-up to cents.
- A sales line's price, the cost of the stock selected for it (each selection's share of its item's cost:
  item cost × selected weight / the item's weight before the selection; pieces for a weightless item)
  and the margin (price total − cost, when both are in one currency) are shown to admins only.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.costing.components import basis_quantity, costs_of_items, money
from lib.costing.rates import parse_component_type, parse_price
from lib.enums import ComponentType, RateBasis
from lib.models import CostComponent, InventoryItem, Order, OrderKind, OrderLine, OrderSelection, StockMovement
from lib.text import check_currency

PRICE_BASES = (RateBasis.GRAM, RateBasis.CARAT, RateBasis.PIECE)
DEFAULT_TYPE = {RateBasis.GRAM: ComponentType.METAL, RateBasis.CARAT: ComponentType.GEMSTONE,
                RateBasis.PIECE: ComponentType.PACKAGING}


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _basis(raw, has_weight: bool) -> RateBasis:
    if _blank(raw):
        return RateBasis.GRAM if has_weight else RateBasis.PIECE
    text = str(raw.value if isinstance(raw, RateBasis) else raw).strip().lower()
    aliases = {"g": RateBasis.GRAM, "gram": RateBasis.GRAM, "per g": RateBasis.GRAM, "ct": RateBasis.CARAT,
               "carat": RateBasis.CARAT, "per ct": RateBasis.CARAT, "piece": RateBasis.PIECE,
               "pcs": RateBasis.PIECE, "per piece": RateBasis.PIECE}
    if text not in aliases:
        raise ValueError(f"price basis {str(raw)[:20]!r} is not per g, per ct or per piece")
    return aliases[text]


def check_line_price(kind: OrderKind, *, unit_price, price_basis, price_currency, cost_type, has_weight: bool,
                     order_currency: str | None) -> tuple[dict, list[str]]:
    """The price columns of one line (all None without a price) and its problems."""
    values = {"unit_price": None, "price_basis": None, "price_currency": None, "cost_type": None}
    if _blank(unit_price):
        return values, []
    problems: list[str] = []

    def collect(function, *args):
        try:
            return function(*args)
        except ValueError as error:
            problems.append(str(error))
            return None

    price = collect(parse_price, unit_price, "unit price")
    basis = collect(_basis, price_basis, has_weight)
    currency = collect(check_currency, price_currency if not _blank(price_currency) else (order_currency or ""),
                       "Currency")
    kind_of_cost = None
    if kind is OrderKind.PURCHASE and basis is not None:
        kind_of_cost = (DEFAULT_TYPE[basis] if _blank(cost_type)
                        else collect(parse_component_type, cost_type, "component type"))
    values.update(unit_price=price, price_basis=basis.value if basis else None, price_currency=currency,
                  cost_type=kind_of_cost.value if kind_of_cost else None)
    return values, problems


def price_text(line: OrderLine) -> str:
    """ "USD 62.5000 per g", or "" without a price."""
    if line.unit_price is None:
        return ""
    return f"{line.price_currency} {Decimal(line.unit_price):,.2f} {RateBasis(line.price_basis).label}"


def currency_amount(currency: str | None, amount: Decimal | None) -> str:
    """ "USD 1,234.50", or "—" without an amount."""
    return "—" if amount is None else f"{currency or ''} {amount:,.2f}".strip()


def _amount_in_basis(basis: RateBasis, pieces: int, weight: Decimal, unit: str) -> Decimal:
    if basis is RateBasis.PIECE:
        return Decimal(pieces)
    return basis_quantity(weight, unit, basis)


def receipt_component(session: Session, user_id: int | None, line: OrderLine,
                      item: InventoryItem) -> CostComponent | None:
    """The cost component a purchase receipt gives its new item at the line's price (None: no price or 0)."""
    if line.unit_price is None:
        return None
    basis = RateBasis(line.price_basis)
    quantity = _amount_in_basis(basis, item.quantity, Decimal(item.weight), item.weight_unit)
    amount = money(Decimal(line.unit_price) * quantity)
    if amount <= 0:
        return None
    component = CostComponent(
        item_id=item.id, component_type=ComponentType(line.cost_type or DEFAULT_TYPE[basis].value),
        description=f"Purchase price, line {line.position}"[:120],
        quantity=Decimal(item.quantity) if basis is RateBasis.PIECE else Decimal(item.weight),
        unit="pcs" if basis is RateBasis.PIECE else item.weight_unit, manual_amount=amount,
        manual_currency=line.price_currency, created_by_id=user_id)
    session.add(component)
    session.flush()
    audit.record(session, actor_id=user_id, action="add cost component", entity="inventory_item",
                 entity_id=item.id, new={"component_id": component.id, "from_order_line": line.id,
                                         "amount": amount, "currency": line.price_currency})
    return component


@dataclass(frozen=True)
class LineMargin:
    line_id: int
    price: str  # "USD 62.50 per g", "" without a price
    price_total: Decimal | None  # unit price × what the line asks for
    currency: str | None
    selected_cost: dict[str, Decimal]  # currency -> cost of the selected stock
    margin: Decimal | None  # price total - selected cost; None unless stock is selected, every selected item
    # carries a cost and that cost is in the price's currency (an uncosted item is not free)

    @property
    def cost_text(self) -> str:
        return " + ".join(f"{c} {a:,.2f}" for c, a in sorted(self.selected_cost.items())) or "—"


def line_margins(session: Session, *, actor: Actor, order_id: int) -> dict[int, LineMargin]:
    """Per line of a sales order: price, cost of the selected stock and margin (admins only)."""
    actor.require(Right.EDIT_ORDERS)
    actor.require(Right.VIEW_RATES)
    order = session.get(Order, int(order_id))
    if order is None:
        return {}
    lines = list(session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                                 .order_by(OrderLine.position)))
    rows = list(session.execute(
        select(OrderSelection.line_id, OrderSelection.item_id, OrderSelection.weight, OrderSelection.quantity,
               StockMovement.weight_after, StockMovement.quantity_after)
        .join(StockMovement, StockMovement.id == OrderSelection.issue_movement_id)
        .where(OrderSelection.line_id.in_([line.id for line in lines]), OrderSelection.released_at.is_(None))))
    costs = costs_of_items(session, {row.item_id for row in rows})
    selected: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    uncosted = {row.line_id for row in rows if not costs[row.item_id].totals}
    for row in rows:
        weight, after = Decimal(row.weight or 0), Decimal(row.weight_after or 0)
        share = (weight / (weight + after) if weight + after > 0 else
                 Decimal(row.quantity) / (row.quantity + row.quantity_after) if row.quantity + row.quantity_after
                 else Decimal(0))
        for currency, amount in costs[row.item_id].totals.items():
            selected[row.line_id][currency] += money(amount * share)
    found = {}
    for line in lines:
        total = None
        if line.unit_price is not None:
            basis = RateBasis(line.price_basis)
            total = money(Decimal(line.unit_price) * _amount_in_basis(basis, line.quantity, Decimal(line.weight),
                                                                      line.weight_unit))
        cost = dict(selected.get(line.id, {}))
        # a margin needs the whole cost: stock selected, every selected item costed, in the price's currency
        known = bool(cost) and line.id not in uncosted and set(cost) == {line.price_currency}
        margin = total - cost[line.price_currency] if total is not None and known else None
        found[line.id] = LineMargin(line.id, price_text(line), total, line.price_currency, cost, margin)
    return found


def cost_type_of(session: Session, line_id: int) -> str | None:
    """The component type a purchase line's receipts give their items (a ComponentType value), or None."""
    return session.scalar(select(OrderLine.cost_type).where(OrderLine.id == line_id))


__all__ = ["LineMargin", "PRICE_BASES", "check_line_price", "cost_type_of", "line_margins", "price_text",
           "receipt_component"]
