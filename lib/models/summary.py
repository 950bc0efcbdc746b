"""The ledger-kept summaries of stock: a daily roll-up of movements, and held stock per product.

Both are written by `lib.ledger` in the same transaction as the change they
summarise (movements, imports, status, product and kind changes), with upserts
in one sorted key order; `ledger.verify()` proves them equal to the rows they
summarise, and migration 0010 builds them for existing data.

- `StockDaily`: one row per UTC day (of `moved_at`), product, location, kind
  and movement kind: grams and pieces added (positive deltas) and deducted
  (magnitudes of negative deltas, stored positive), and the number of
  movements. Any question about movements per day or longer, without
  attribute filters, can be answered here instead of scanning the ledger.
- `StockHeld`: per product, location and kind, the held items (`IN_STOCK`:
  not archived, quantity > 0 or weight > 0), their pieces and their grams.
  A row whose counts fall to zero stays (zeros), so upserts never delete.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from lib.enums import InventoryKind, MovementKind
from lib.models.base import GRAMS, Base, enum_column


class StockDaily(Base):
    """Movements summed per UTC day, product, location, kind and movement kind."""

    __tablename__ = "stock_daily"
    __table_args__ = (
        # Product Details: one product over a range of days (kind and location are in the key too).
        Index("ix_stock_daily_product_day", "product_id", "day", "kind", "location_id"),
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    kind: Mapped[InventoryKind] = mapped_column(enum_column(InventoryKind), primary_key=True)
    movement_kind: Mapped[MovementKind] = mapped_column(enum_column(MovementKind), primary_key=True)
    added_g: Mapped[Decimal] = mapped_column(GRAMS, default=Decimal(0))
    deducted_g: Mapped[Decimal] = mapped_column(GRAMS, default=Decimal(0))  # a positive size
    added_pieces: Mapped[int] = mapped_column(Integer, default=0)
    deducted_pieces: Mapped[int] = mapped_column(Integer, default=0)  # a positive count
    movements: Mapped[int] = mapped_column(Integer, default=0)


class StockHeld(Base):
    """Held stock (`IN_STOCK` items) per product, location and kind."""

    __tablename__ = "stock_held"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    kind: Mapped[InventoryKind] = mapped_column(enum_column(InventoryKind), primary_key=True)
    items: Mapped[int] = mapped_column(Integer, default=0)
    pieces: Mapped[int] = mapped_column(Integer, default=0)
    weight_g: Mapped[Decimal] = mapped_column(GRAMS, default=Decimal(0))
