"""Stock: inventory items, the append-only ledger of their movements, and tag sequences.

Stock movements carry the item's classification (product, kind, types, shape,
size, colour, quality, location) so charts aggregate movements without
joining back to items; `lib.ledger` keeps those copies in step.
"""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from lib.models.base import GRAMS, WEIGHT, Base, UtcDateTime, enum_column, utcnow


class InventoryKind(str, enum.Enum):
    ROUGH = "rough"
    FINISHED = "finished"
    MATERIALS = "materials"

    @property
    def label(self) -> str:
        return {"rough": "Rough", "finished": "Finished", "materials": "Materials & Supplies"}[self.value]


class ItemStatus(str, enum.Enum):
    """Item statuses with their labels and colours (pages never hard-code these)."""

    AVAILABLE = "available"
    ON_HOLD = "on_hold"
    CONSUMED = "consumed"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return {"available": "Available", "on_hold": "On hold", "consumed": "Consumed",
                "archived": "Archived"}[self.value]

    @property
    def colour(self) -> str:
        return {"available": "green", "on_hold": "orange", "consumed": "gray", "archived": "gray"}[self.value]


class MovementKind(str, enum.Enum):
    """Why stock changed. Sign of the deltas says added or deducted."""

    RECEIPT = "receipt"            # a new item created by hand
    IMPORT = "import"              # a new item from a spreadsheet import
    MERGE = "merge"                # stock merged into an existing matching item
    ADJUSTMENT = "adjustment"      # manual correction with a reason
    TRANSFER_OUT = "transfer_out"  # leaves a location
    TRANSFER_IN = "transfer_in"    # arrives at a location
    ISSUE = "issue"                # issued into production or to an order
    PRODUCTION_RECEIPT = "production_receipt"
    WRITE_OFF = "write_off"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class InventoryItem(Base):
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
    finished_type_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"))
    ms_type_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"))
    shape_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"))
    size_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"))
    colour_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"))
    quality_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"))
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


class StockMovement(Base):
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
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inventory_items.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    kind: Mapped[InventoryKind] = mapped_column(enum_column(InventoryKind))
    finished_type_id: Mapped[int | None] = mapped_column(Integer)
    ms_type_id: Mapped[int | None] = mapped_column(Integer)
    shape_id: Mapped[int | None] = mapped_column(Integer)
    size_id: Mapped[int | None] = mapped_column(Integer)
    colour_id: Mapped[int | None] = mapped_column(Integer)
    quality_id: Mapped[int | None] = mapped_column(Integer)
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

LATEST_MOVEMENT_ID = func.max(StockMovement.id)
