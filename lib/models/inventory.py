"""Stock: inventory items, the append-only ledger of their movements, and tag sequences.

Stock movements carry the item's classification (product, kind, types, shape,
size, colour, quality, location) so charts aggregate movements without
joining back to items; `lib.ledger` keeps those copies in step.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lib.classification import ATTRIBUTES
from lib.enums import InventoryKind, ItemStatus, MovementKind
from lib.models.base import GRAMS, WEIGHT, Base, UtcDateTime, enum_column, utcnow


def _attribute_columns(name: str, *, references_catalog: bool) -> type:
    """A declarative mixin with one nullable integer column per catalog attribute (`lib.classification`).

    Items reference their catalog entries; movements keep plain copies of the
    ids (history must not be blocked by a catalog foreign key).
    """
    columns = {}
    for attribute in ATTRIBUTES:
        arguments = (ForeignKey("catalog_entries.id"),) if references_catalog else ()
        columns[attribute.field] = mapped_column(Integer, *arguments, nullable=True)
    return type(name, (), {"__doc__": _attribute_columns.__doc__, **columns})


ItemAttributes = _attribute_columns("ItemAttributes", references_catalog=True)
MovementAttributes = _attribute_columns("MovementAttributes", references_catalog=False)


class InventoryItem(ItemAttributes, Base):
    """A real stock record. Quantity and weight change only through lib.ledger."""

    __tablename__ = "inventory_items"
    __table_args__ = (
        Index("ix_items_product_kind_location", "product_id", "kind", "location_id"),
        Index("ix_items_location_created", "location_id", "created_at"),
        Index("ix_items_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tag_id: Mapped[str] = mapped_column(String(50), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[InventoryKind] = mapped_column(enum_column(InventoryKind))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[Decimal] = mapped_column(WEIGHT, default=Decimal(0))
    weight_unit: Mapped[str] = mapped_column(String(8))
    weight_g: Mapped[Decimal] = mapped_column(GRAMS, default=Decimal(0))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id"))
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus), default=ItemStatus.AVAILABLE)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class StockMovement(MovementAttributes, Base):
    """One append-only ledger row: a signed change of one item's stock.

    weight_delta is in the item's unit; weight_delta_g the same in grams.
    quantity_after / weight_after are the item's balance after this row.
    The classification columns copy the item's so charts need no join.
    """

    __tablename__ = "stock_movements"
    __table_args__ = (
        Index("ix_moves_product_time", "product_id", "moved_at", "kind", "location_id", "weight_delta_g"),
        Index("ix_moves_location_time", "location_id", "moved_at"),
        Index("ix_moves_item", "item_id", "id"),
        Index("ix_moves_item_time", "item_id", "moved_at", "id"),  # an item's state at a past moment (valuation)
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inventory_items.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    kind: Mapped[InventoryKind] = mapped_column(enum_column(InventoryKind))
    movement_kind: Mapped[MovementKind] = mapped_column(enum_column(MovementKind))
    quantity_delta: Mapped[int] = mapped_column(Integer)
    weight_delta: Mapped[Decimal] = mapped_column(WEIGHT)
    weight_delta_g: Mapped[Decimal] = mapped_column(GRAMS)
    quantity_after: Mapped[int] = mapped_column(Integer)
    weight_after: Mapped[Decimal] = mapped_column(WEIGHT)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reference: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # Transfers: the other side of the move (the other location, and the tag of the item there).
    counterpart_location_id: Mapped[int | None] = mapped_column(Integer)
    counterpart_tag: Mapped[str | None] = mapped_column(String(50))


class TagSequence(Base):
    """Last regular tag number issued per combined prefix (workspace prefix + short name)."""

    __tablename__ = "tag_sequences"

    prefix: Mapped[str] = mapped_column(String(50), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


# Named SQL expressions, defined once (DESIGN rule 8).
IN_STOCK = (
    ((InventoryItem.quantity > 0) | (InventoryItem.weight_g > 0))
    & (InventoryItem.status != ItemStatus.ARCHIVED)
)
"""An item counts as held stock: not archived and quantity > 0 or weight > 0."""

