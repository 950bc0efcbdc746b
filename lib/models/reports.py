"""Report settings kept in the database: reorder levels for the low-stock report (lib.reports.levels).

A level belongs to a product and optionally narrows to one inventory kind
and/or one location (NULL: every kind / every location the viewer sees). It
names a minimum weight in grams, a minimum piece count, or both; stock is
"low" when it is below either. One row per (product, kind, location): the
uniqueness is checked by `lib.reports.levels` (NULLs never collide in SQL).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from lib.enums import InventoryKind
from lib.models.base import GRAMS, Base, UtcDateTime, enum_column, utcnow


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
