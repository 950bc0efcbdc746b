"""Orders: customers and suppliers, sales and purchase orders with their lines, and what happened to each line.

A line's stock history lives in link tables, never in reference strings: which
items a selection issued (`OrderSelection`, with the issue and return
movements), which items a purchase receipt created (`PurchaseReceipt`), and
what each shipment shipped (`ShipmentLine`). `OrderLine.status` and
`Order.fulfilment` are caches of the pure derivation in
`lib.orders.fulfilment`, rewritten by `lib.orders.lines.refresh` after every
change (so lists can filter and sort by them); nobody types them.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.classification import BY_KEY
from lib.enums import Fulfilment, LineStatus, OrderKind, PartyKind, PaymentTerms
from lib.models.base import GRAMS, WEIGHT, Base, UtcDateTime, enum_column, utcnow

MOVEMENT_ID = BigInteger().with_variant(Integer, "sqlite")
MONEY = Numeric(14, 2)

LINE_ATTRIBUTE_KEYS: tuple[str, ...] = ("shape", "size")
"""The catalog attributes (`lib.classification`) a requested line may name."""


class Party(Base):
    """A customer or a supplier (reference 3.12: one record per role, a company that is both has two)."""

    __tablename__ = "parties"
    __table_args__ = (Index("ix_parties_kind_company", "kind", "company"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PartyKind] = mapped_column(enum_column(PartyKind))
    company: Mapped[str] = mapped_column(String(120), default="")
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(80), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class OrderSequence(Base):
    """Last order number issued per prefix (a prefix change starts or resumes that prefix's count)."""

    __tablename__ = "order_sequences"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_kind_ordered", "kind", "ordered_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrderKind] = mapped_column(enum_column(OrderKind))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    ordered_on: Mapped[date] = mapped_column(Date)
    date_required: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms: Mapped[PaymentTerms] = mapped_column(enum_column(PaymentTerms))
    budget: Mapped[Decimal | None] = mapped_column(MONEY)
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    fulfilment: Mapped[Fulfilment] = mapped_column(enum_column(Fulfilment), default=Fulfilment.NOT_STARTED)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


def _line_attribute_columns() -> type:
    """A mixin with one catalog-entry column per key of LINE_ATTRIBUTE_KEYS (e.g. shape_id, size_id)."""
    columns = {BY_KEY[key].field: mapped_column(Integer, ForeignKey("catalog_entries.id"), nullable=True)
               for key in LINE_ATTRIBUTE_KEYS}
    return type("LineAttributes", (), {"__doc__": _line_attribute_columns.__doc__, **columns})


class OrderLine(_line_attribute_columns(), Base):
    """A requested product: pieces and/or weight (in its own unit), with optional shape and size."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "position"), Index("ix_order_lines_product", "product_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    position: Mapped[int] = mapped_column(Integer)  # "line 2" of its order, 1-based
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[Decimal] = mapped_column(WEIGHT, default=Decimal(0))
    weight_unit: Mapped[str] = mapped_column(String(8))
    weight_g: Mapped[Decimal] = mapped_column(GRAMS, default=Decimal(0))
    ready: Mapped[bool] = mapped_column(Boolean, default=False)  # marked "Ready" by a person
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    # Closed short (sales): the rest of a partially shipped line is no longer wanted (lib.orders.returns).
    closed_short_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_short_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    close_reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[LineStatus] = mapped_column(enum_column(LineStatus), default=LineStatus.NOT_STARTED)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # An optional unit price (lib.costing.prices): per g, ct or piece (`price_basis`), in `price_currency`;
    # a purchase line's receipts give their items a cost component of `cost_type` at that price.
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    price_basis: Mapped[str | None] = mapped_column(String(8))  # "g", "ct" or "piece" (RateBasis values)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    cost_type: Mapped[str | None] = mapped_column(String(32))  # a ComponentType value (purchase lines)


class OrderSelection(Base):
    """Stock set aside for a sales line: one issue from one item, until released (removed or line cancelled).

    Amounts are in the item's unit (and grams). A release returns exactly these amounts.
    """

    __tablename__ = "order_selections"
    __table_args__ = (Index("ix_order_selections_line", "line_id"), Index("ix_order_selections_item", "item_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("inventory_items.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    weight: Mapped[Decimal] = mapped_column(WEIGHT)
    weight_unit: Mapped[str] = mapped_column(String(8))
    weight_g: Mapped[Decimal] = mapped_column(GRAMS)
    issue_movement_id: Mapped[int] = mapped_column(MOVEMENT_ID, ForeignKey("stock_movements.id"))
    selected_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    selected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    release_movement_id: Mapped[int | None] = mapped_column(MOVEMENT_ID, ForeignKey("stock_movements.id"))
    release_reason: Mapped[str] = mapped_column(String(40), default="")
    # What a short-close gave back of this selection (never shipped), in the item's unit; 0 when none.
    short_quantity: Mapped[int] = mapped_column(Integer, default=0)
    short_weight: Mapped[Decimal] = mapped_column(WEIGHT, default=Decimal(0))
    short_weight_g: Mapped[Decimal] = mapped_column(GRAMS, default=Decimal(0))
    short_movement_id: Mapped[int | None] = mapped_column(MOVEMENT_ID, ForeignKey("stock_movements.id"))


class PurchaseReceipt(Base):
    """A new item received against a purchase line (its PURCHASE_RECEIPT movement names the line)."""

    __tablename__ = "purchase_receipts"
    __table_args__ = (Index("ix_purchase_receipts_line", "line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("inventory_items.id"))
    movement_id: Mapped[int] = mapped_column(MOVEMENT_ID, ForeignKey("stock_movements.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    weight: Mapped[Decimal] = mapped_column(WEIGHT)
    weight_unit: Mapped[str] = mapped_column(String(8))
    weight_g: Mapped[Decimal] = mapped_column(GRAMS)
    over_receipt: Mapped[bool] = mapped_column(Boolean, default=False)  # confirmed: more than ordered
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Shipment(Base):
    """One shipment of a sales order: carrier, tracking number, date, and the amounts per line."""

    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipments_order", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    carrier: Mapped[str] = mapped_column(String(60))
    tracking_number: Mapped[str] = mapped_column(String(80), default="")
    shipped_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ShipmentLine(Base):
    """What one shipment shipped of one line: the sum of its `ShipmentItem` rows (grams exact; `weight` is the
    sum shown in the line's unit)."""

    __tablename__ = "shipment_lines"
    __table_args__ = (UniqueConstraint("shipment_id", "line_id"), Index("ix_shipment_lines_line", "line_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    weight: Mapped[Decimal] = mapped_column(WEIGHT)
    weight_unit: Mapped[str] = mapped_column(String(8))
    weight_g: Mapped[Decimal] = mapped_column(GRAMS)


class ShipmentItem(Base):
    """What one shipment shipped of one selection (an item), in the item's own unit (and grams), exactly."""

    __tablename__ = "shipment_items"
    __table_args__ = (UniqueConstraint("shipment_id", "selection_id"),
                      Index("ix_shipment_items_selection", "selection_id"), Index("ix_shipment_items_line", "line_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"))
    selection_id: Mapped[int] = mapped_column(ForeignKey("order_selections.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    weight: Mapped[Decimal] = mapped_column(WEIGHT)
    weight_unit: Mapped[str] = mapped_column(String(8))
    weight_g: Mapped[Decimal] = mapped_column(GRAMS)


class OrderReturn(Base):
    """Shipped goods received back from the customer into the selection's item (a RETURN movement naming the
    line), with a reason; amounts in the item's own unit (and grams)."""

    __tablename__ = "order_returns"
    __table_args__ = (Index("ix_order_returns_line", "line_id"), Index("ix_order_returns_selection", "selection_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    selection_id: Mapped[int] = mapped_column(ForeignKey("order_selections.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("inventory_items.id"))
    movement_id: Mapped[int] = mapped_column(MOVEMENT_ID, ForeignKey("stock_movements.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    weight: Mapped[Decimal] = mapped_column(WEIGHT)
    weight_unit: Mapped[str] = mapped_column(String(8))
    weight_g: Mapped[Decimal] = mapped_column(GRAMS)
    reason: Mapped[str] = mapped_column(String(500), default="")
    returned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
