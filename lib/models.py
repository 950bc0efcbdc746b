"""The data model: SQLAlchemy 2.x typed ORM classes.

Weights are Decimal (`Numeric`): an item keeps its weight in its own unit and,
cached beside it, in grams so SQL can add records of different units. Stock
movements (the ledger) carry the item's classification (product, kind, types,
shape, size, colour, quality, location) so charts aggregate movements without
joining back to items; `lib.ledger` keeps those copies in step.
"""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

WEIGHT = Numeric(18, 4)
GRAMS = Numeric(28, 10)


def utcnow() -> datetime:
    """Timezone-aware now, used as a callable column default."""
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """Stores UTC; always returns timezone-aware datetimes (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


def _enum(cls):
    """Store enums by value (stable lower-case strings), not by Python name."""
    return Enum(cls, values_callable=lambda members: [m.value for m in members],
                native_enum=False, length=32, validate_strings=True)


class Plan(str, enum.Enum):
    STARTER = "starter"
    PROFESSIONAL = "professional"
    BUSINESS = "business"
    ENTERPRISE = "enterprise"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def allows_cross_location_managers(self) -> bool:
        return self is not Plan.STARTER


class Role(str, enum.Enum):
    ADMIN = "admin"
    MANAGER = "manager"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return self.value.capitalize()


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


class CatalogKind(str, enum.Enum):
    """The admin-managed vocabularies. Inventory kinds are fixed (InventoryKind)."""

    PRODUCT_TYPE = "product_type"
    FINISHED_TYPE = "finished_type"
    MS_TYPE = "ms_type"
    SHAPE = "shape"
    SIZE = "size"
    COLOUR = "colour"
    QUALITY = "quality"

    @property
    def label(self) -> str:
        return {"product_type": "Product types", "finished_type": "Finished types",
                "ms_type": "Materials & supplies types", "shape": "Shapes", "size": "Sizes",
                "colour": "Colours", "quality": "Qualities"}[self.value]


class Workspace(Base):
    __tablename__ = "workspace"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    industry: Mapped[str] = mapped_column(String(40), default="jewelry")
    plan: Mapped[Plan] = mapped_column(_enum(Plan), default=Plan.PROFESSIONAL)
    default_weight_unit: Mapped[str] = mapped_column(String(8), default="g")
    tag_prefix: Mapped[str] = mapped_column(String(20), default="")
    ai_summaries_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    managers_all_locations: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    short_name: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40), default="Workshop")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)  # always lower case
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    location: Mapped[Location | None] = relationship(lazy="joined")


class LoginSession(Base):
    """Server-side record of a sign-in; the cookie is only valid while this is open."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))


class CatalogEntry(Base):
    """One name in an admin-managed vocabulary (shape "Round", quality "AAA", ...)."""

    __tablename__ = "catalog_entries"
    __table_args__ = (UniqueConstraint("catalog", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    catalog: Mapped[CatalogKind] = mapped_column(_enum(CatalogKind))
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
    kind: Mapped[InventoryKind] = mapped_column(_enum(InventoryKind))
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
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus), default=ItemStatus.AVAILABLE)
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
    kind: Mapped[InventoryKind] = mapped_column(_enum(InventoryKind))
    finished_type_id: Mapped[int | None] = mapped_column(Integer)
    ms_type_id: Mapped[int | None] = mapped_column(Integer)
    shape_id: Mapped[int | None] = mapped_column(Integer)
    size_id: Mapped[int | None] = mapped_column(Integer)
    colour_id: Mapped[int | None] = mapped_column(Integer)
    quality_id: Mapped[int | None] = mapped_column(Integer)
    movement_kind: Mapped[MovementKind] = mapped_column(_enum(MovementKind))
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


class AuditEntry(Base):
    """Who changed what, when, with old and new values (JSON text)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    old_values: Mapped[str | None] = mapped_column(Text)
    new_values: Mapped[str | None] = mapped_column(Text)


class AiSummary(Base):
    """A stored AI summary of a product's activity for one scope, kind and filter set."""

    __tablename__ = "ai_summaries"
    __table_args__ = (Index("ix_ai_summaries_lookup", "product_id", "scope_key", "kind_key", "filters_key", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    scope_key: Mapped[str] = mapped_column(String(400))  # "all" or sorted location ids
    kind_key: Mapped[str] = mapped_column(String(20))
    filters_key: Mapped[str] = mapped_column(Text)
    data_version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    prompt_version: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(120))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    total_tokens: Mapped[int] = mapped_column(Integer, default=0)
    credits: Mapped[int] = mapped_column(Integer, default=0)
    unsupported_figures: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    facts_json: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AiUsage(Base):
    """AI usage history (reference 3.8.1): credits = max(1, ceil(tokens / 1000))."""

    __tablename__ = "ai_usage"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    feature: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(120))
    tokens: Mapped[int] = mapped_column(Integer)
    credits: Mapped[int] = mapped_column(Integer)


# Named SQL expressions, defined once (DESIGN rule 8).
IN_STOCK = (
    ((InventoryItem.quantity > 0) | (InventoryItem.weight_g > 0))
    & (InventoryItem.status != ItemStatus.ARCHIVED)
)
"""An item counts as held stock: not archived and quantity > 0 or weight > 0."""

LATEST_MOVEMENT_ID = func.max(StockMovement.id)
