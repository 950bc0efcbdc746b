"""The product catalog: admin-managed vocabularies (catalog entries), pictures and products.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.enums import CatalogKind
from lib.models.base import Base, UtcDateTime, enum_column, utcnow


class CatalogEntry(Base):
    """One name in an admin-managed vocabulary (shape "Round", quality "AAA", ...)."""

    __tablename__ = "catalog_entries"
    __table_args__ = (UniqueConstraint("catalog", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    catalog: Mapped[CatalogKind] = mapped_column(enum_column(CatalogKind))
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))  # lower-cased name: unique ignoring case
    group_name: Mapped[str | None] = mapped_column(String(120))  # e.g. the size group of a size
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Image(Base):
    """An uploaded picture, stored in the database so several servers share it."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)  # small PNG/JPEG for tables
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), unique=True)  # lower-cased: unique ignoring case
    short_name: Mapped[str] = mapped_column(String(20))
    product_type_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"))
    image_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("inventory_items.id", use_alter=True, name="fk_products_image_item"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
