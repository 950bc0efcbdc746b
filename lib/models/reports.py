"""Report settings kept in the database: reorder levels for the low-stock report (lib.reports.levels).

A level belongs to a product and optionally narrows to one inventory kind
and/or one location (NULL: every kind / every location the viewer sees). It
names a minimum weight in grams, a minimum piece count, or both; stock is
"low" when it is below either. One row per (product, kind, location): the
uniqueness is checked by `lib.reports.levels` (NULLs never collide in SQL).

Also the index the stock movement report reads `stock_daily` by (`STOCK_DAILY_BY_KIND`).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from lib.enums import InventoryKind
from lib.models.base import GRAMS, Base, UtcDateTime, enum_column, utcnow
from lib.models.summary import StockDaily


class ReorderLevel(Base):
    __tablename__ = "reorder_levels"
    __table_args__ = (Index("ix_reorder_levels_product", "product_id", "kind", "location_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[InventoryKind | None] = mapped_column(enum_column(InventoryKind))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    min_weight_g: Mapped[Decimal | None] = mapped_column(GRAMS)
    min_pieces: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# The stock movement report's totals over a range of days for every product: grouped by movement kind and kind,
# read in this index's order with every figure in it, so SQLite streams the sums instead of sorting the range.
STOCK_DAILY_BY_KIND = Index(
    "ix_stock_daily_kinds", StockDaily.movement_kind, StockDaily.kind, StockDaily.day, StockDaily.location_id,
    StockDaily.product_id, StockDaily.added_g, StockDaily.deducted_g, StockDaily.added_pieces,
    StockDaily.deducted_pieces, StockDaily.movements)
