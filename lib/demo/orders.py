"""Demo orders: customers and suppliers, and a dozen sales and purchase orders in every fulfilment status.

`add_demo_orders(engine, now=..., seed=...)` runs after the bulk load, as the
demo admin, through the same lib calls people use (lib.orders: parties,
orders, selection, receipts, shipments), in one write transaction, so
selections and receipts are real ledger movements and every status is derived
as in the app.

Determinism: only `Random(seed)` chooses (products, items, amounts). The lib
stamps rows with the wall clock; the demo then stamps every row it made with
the demo's `now` (the end of its year of history), so the same seed and `now`
give the same data and the order activity is the newest of the ledger.
Orders are dated 2 to 40 days before `now`.

With too little stock for an order (tiny test scales), that order is simply
left out; the sales orders that need stock come first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from random import Random

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lib import db, ledger
from lib.access import actor_for_user
from lib.models import (
    AuditEntry,
    CatalogEntry,
    CatalogKind,
    InventoryItem,
    InventoryKind,
    ItemStatus,
    Location,
    Order,
    OrderKind,
    OrderLine,
    OrderSelection,
    Party,
    PartyKind,
    Product,
    PurchaseReceipt,
    Shipment,
    StockMovement,
    User,
)
from lib.orders import orders, parties, receipts, selection, shipments
from lib.orders.orders import LineInput, OrderInput

CUSTOMERS = (
    ("Aurora Fine Jewelry", "Maya Chen", "maya.chen@aurora-jewelry.example", "+1 415 555 0134",
     "220 Market Street, San Francisco, CA 94105", "United States"),
    ("Bellwether Bridal", "Tom Okafor", "orders@bellwether-bridal.example", "+44 20 7946 0321",
     "14 Hatton Garden, London EC1N 8AT", "United Kingdom"),
    ("Casa Lumen", "Lucía Ortega", "lucia@casalumen.example", "+34 91 555 0198", "Calle de Serrano 41, Madrid",
     "Spain"),
    ("Northlight Boutique", "Erik Lund", "erik.lund@northlight.example", "+46 8 555 0142",
     "Biblioteksgatan 5, Stockholm", "Sweden"),
)
SUPPLIERS = (
    ("Ceylon Gem Traders", "Anura Perera", "sales@ceylongems.example", "+94 11 555 0110", "Galle Road 88, Colombo",
     "Sri Lanka"),
    ("Metalworks Refinery", "Dana Fischer", "supply@metalworks.example", "+49 30 555 0177",
     "Industriestrasse 9, Berlin", "Germany"),
    ("PackRight Supplies", "Sam Rivera", "hello@packright.example", "+1 212 555 0166", "350 W 31st Street, New York",
     "United States"),
)
NOTES = {
    "not_started": "Two pieces for the spring collection; matching finish please.",
    "in_production": "Anniversary piece, customer will collect in store.",
    "ready": "Repeat order, same specification as last time.",
    "partial": "Ship what is ready first, the rest as soon as possible.",
    "completed": "Gift wrap, handwritten card.",
    "hold": "Waiting for the deposit before we start.",
    "cancelled": "Customer changed their mind after the quote.",
    "mixed": "Two products; the first one is urgent.",
}


@dataclass(frozen=True)
class OrdersMade:
    """What the demo orders added (the summary's orders, items and movements)."""

    orders: int
    items: int
    movements: int


def _parties(session: Session, admin) -> tuple[list[int], list[int]]:
    made = {PartyKind.CUSTOMER: [], PartyKind.SUPPLIER: []}
    for kind, rows in ((PartyKind.CUSTOMER, CUSTOMERS), (PartyKind.SUPPLIER, SUPPLIERS)):
        for company, contact, email, phone, address, country in rows:
            made[kind].append(parties.add_party(session, actor=admin, kind=kind, data=parties.PartyInput(
                company=company, contact_name=contact, email=email, phone=phone, address=address,
                country=country)).id)
    return made[PartyKind.CUSTOMER], made[PartyKind.SUPPLIER]


@dataclass(frozen=True)
class _Stock:
    """An available item as it was before the demo orders touched it."""

    id: int
    quantity: int
    weight: Decimal
    unit: str

    def part(self, pieces: int) -> tuple[int, str]:
        """`pieces` of the item with their share of its weight (rounded down: never more than it holds)."""
        share = (self.weight * pieces / self.quantity).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)
        return pieces, str(share)


def _stock(session: Session, rng: Random, needed: int) -> list[tuple[int, list[_Stock]]]:
    """Products with at least two available finished items of 2+ pieces, each with those items."""
    rows = session.scalars(select(InventoryItem).where(
        InventoryItem.kind == InventoryKind.FINISHED, InventoryItem.status == ItemStatus.AVAILABLE,
        InventoryItem.quantity >= 2, InventoryItem.weight > 0).order_by(InventoryItem.id)).all()
    by_product: dict[int, list[_Stock]] = {}
    for item in rows:
        by_product.setdefault(item.product_id, []).append(
            _Stock(item.id, item.quantity, Decimal(item.weight), item.weight_unit))
    usable = [(pid, items) for pid, items in sorted(by_product.items()) if len(items) >= 2]
    rng.shuffle(usable)
    return usable[:needed]


def _line(product_id: int, pieces: int, item: _Stock) -> LineInput:
    _pieces, weight = item.part(pieces)
    return LineInput(product_id=product_id, quantity=pieces, weight=weight, weight_unit=item.unit,
                     description="as sample" if pieces == 1 else "matching set",
                     unit_price=str(_piece_price(item)), price_basis="piece")


def _piece_price(item: _Stock) -> Decimal:
    """A believable price per piece (the order's currency) that grows with the piece's weight; computed, not
    drawn, so the demo's random choices stay as they were."""
    per_piece = item.weight / item.quantity
    return (Decimal(150) + per_piece * 45).quantize(Decimal("0.01"))


def _sales(session, admin, customer, lead, ordered_on, notes, lines) -> tuple[int, list[int]]:
    ref = orders.create_order(session, actor=admin, data=OrderInput(
        kind=OrderKind.SALES, party_id=customer, lead_id=lead, notes=notes, ordered_on=ordered_on, lines=lines,
        date_required=ordered_on + timedelta(days=30), deadline=ordered_on + timedelta(days=21)))
    line_ids = list(session.scalars(select(OrderLine.id).where(OrderLine.order_id == ref.id)
                                    .order_by(OrderLine.position)))
    return ref.id, line_ids


def _pick(session, admin, line_id: int, item: _Stock, pieces: int, ready: bool = False) -> None:
    quantity, weight = item.part(pieces)
    selection.select_items(session, actor=admin, line_id=line_id, mark_ready=ready,
                           picks=[selection.Pick(item.id, full=False, quantity=quantity, weight=weight)])


def _sales_orders(session, admin, rng: Random, customers: list[int], leads: list[int], day) -> int:
    stock = _stock(session, rng, 8)
    made = 0
    plans = ("not_started", "in_production", "ready", "partial", "completed", "hold", "cancelled", "mixed")
    for index, (plan, (product_id, items)) in enumerate(zip(plans, stock)):
        first, second = items[0], items[1]
        customer, lead = customers[index % len(customers)], leads[index % len(leads)]
        lines = [_line(product_id, 2, first)]
        if plan in ("not_started", "mixed"):
            other_product, other_items = stock[(index + 1) % len(stock)]
            lines.append(_line(other_product, 1, other_items[-1]))
        order_id, line_ids = _sales(session, admin, customer, lead, day(40 - 4 * index), NOTES[plan], lines)
        made += 1
        if plan == "in_production":
            _pick(session, admin, line_ids[0], first, 1)
        elif plan in ("ready", "hold", "cancelled"):
            _pick(session, admin, line_ids[0], first, 1)
            _pick(session, admin, line_ids[0], second, 1, ready=plan == "ready")
            if plan == "hold":
                orders.set_on_hold(session, actor=admin, order_id=order_id, on_hold=True, reason="deposit due")
            if plan == "cancelled":
                orders.cancel_line(session, actor=admin, line_id=line_ids[0], reason="quote declined")
        elif plan in ("partial", "completed"):
            _pick(session, admin, line_ids[0], first, 2, ready=True)
            pieces, weight = first.part(1 if plan == "partial" else 2)
            shipments.create_shipment(session, actor=admin, order_id=order_id,
                                      carrier=rng.choice(("UPS", "FedEx", "DHL Express")),
                                      tracking_number=f"1Z{rng.randrange(10**9):09d}",
                                      lines=[shipments.ShipLine(line_ids[0], pieces, weight)])
        elif plan == "mixed":
            _pick(session, admin, line_ids[0], first, 2, ready=True)
    return made


def _purchase_orders(session, admin, rng: Random, suppliers: list[int], leads: list[int], day) -> int:
    products = session.scalars(select(Product.id).where(Product.active.is_(True)).order_by(Product.id)).all()
    finished_type = session.scalar(select(CatalogEntry.id).where(CatalogEntry.catalog == CatalogKind.FINISHED_TYPE)
                                   .order_by(CatalogEntry.sort_order, CatalogEntry.id))
    location = session.scalar(select(Location.id).order_by(Location.id))
    chosen = rng.sample(list(products), min(5, len(products)))
    plans = ("not_started", "partial", "completed", "over", "cancelled")
    made = 0
    for index, (plan, product_id) in enumerate(zip(plans, chosen)):
        pieces = rng.randint(3, 8)
        ref = orders.create_order(session, actor=admin, data=OrderInput(
            kind=OrderKind.PURCHASE, party_id=suppliers[index % len(suppliers)], lead_id=leads[index % len(leads)],
            notes="Restock for the season." if plan != "over" else "Supplier may send one extra piece.",
            ordered_on=day(30 - 5 * index), date_required=day(30 - 5 * index) + timedelta(days=20),
            lines=[LineInput(product_id=product_id, quantity=pieces, weight=str(pieces * 2), weight_unit="g",
                             unit_price=f"{rng.uniform(70, 95):.2f}")]))  # per g: receipts get a metal cost
        made += 1
        line_id = session.scalar(select(OrderLine.id).where(OrderLine.order_id == ref.id))
        received = {"partial": pieces // 2, "completed": pieces, "over": pieces + 1}.get(plan, 0)
        if received:
            receipts.receive_line(session, actor=admin, line_id=line_id, data=receipts.ReceiptInput(
                quantity=received, weight=str(received * 2), weight_unit="g", location_id=location,
                kind=InventoryKind.FINISHED, finished_type_id=finished_type, confirm_over_receipt=plan == "over"))
        if plan == "cancelled":
            orders.cancel_line(session, actor=admin, line_id=line_id, reason="supplier out of stock")
    return made


def _stamp(session: Session, now: datetime, marks: dict[str, int]) -> None:
    """Date every row the demo orders made at the demo's `now` (see the module docstring)."""
    newer = {StockMovement: StockMovement.id > marks["movements"], InventoryItem: InventoryItem.id > marks["items"],
             AuditEntry: AuditEntry.id > marks["audit"]}
    ledger.redate_movements(session, newer[StockMovement], now)
    session.execute(update(InventoryItem).where(newer[InventoryItem]).values(created_at=now, updated_at=now))
    session.execute(update(InventoryItem).where(InventoryItem.updated_at > now).values(updated_at=now))
    session.execute(update(AuditEntry).where(newer[AuditEntry]).values(at=now))
    for model, columns in ((Party, ("created_at",)), (Order, ("created_at", "updated_at")),
                           (OrderLine, ("created_at",)), (OrderSelection, ("selected_at",)),
                           (PurchaseReceipt, ("received_at",)), (Shipment, ("created_at",))):
        session.execute(update(model).values(**{column: now for column in columns}))
    session.execute(update(OrderSelection).where(OrderSelection.released_at.is_not(None)).values(released_at=now))
    session.execute(update(OrderLine).where(OrderLine.cancelled_at.is_not(None)).values(cancelled_at=now))


def add_demo_orders(engine: Engine, *, now: datetime, seed: int) -> OrdersMade:
    """Add the demo's customers, suppliers and orders (see the module docstring); one transaction."""
    rng = Random(f"orders-{seed}")
    with db.session_scope(engine, write=True) as session:
        marks = {"movements": session.scalar(select(func.max(StockMovement.id))) or 0,
                 "items": session.scalar(select(func.max(InventoryItem.id))) or 0,
                 "audit": session.scalar(select(func.max(AuditEntry.id))) or 0}
        admin = actor_for_user(session, session.scalar(select(User.id).where(User.username == "admin")))
        leads = list(session.scalars(select(User.id).where(User.username.in_(("admin", "manager")))
                                     .order_by(User.id)))
        customers, suppliers = _parties(session, admin)

        def day(days_ago: int):
            return (now - timedelta(days=days_ago)).date()

        made = _sales_orders(session, admin, rng, customers, leads, day)
        made += _purchase_orders(session, admin, rng, suppliers, leads, day)
        _stamp(session, now, marks)
        items = session.scalar(select(func.count(InventoryItem.id)).where(InventoryItem.id > marks["items"]))
        movements = session.scalar(select(func.count(StockMovement.id)).where(StockMovement.id > marks["movements"]))
    return OrdersMade(made, int(items or 0), int(movements or 0))
