"""The data model: SQLAlchemy 2.x typed ORM classes, one module per domain.

Import from here (`from lib.models import InventoryItem`); every table is
registered on `Base.metadata` once this package is imported.

- `base`: declarative base, Decimal weight columns, UTC timestamps, enum storage
- `workspace`: workspace settings, locations, users, sign-in records
- `catalog`: catalog entries (shapes, sizes, ...), pictures, products
- `inventory`: items, the stock ledger, tag sequences, named SQL expressions
- `audit`: the audit log
- `ai`: stored AI summaries and usage
"""
from lib.models.ai import AiSummary, AiUsage
from lib.models.audit import AuditEntry
from lib.models.base import GRAMS, WEIGHT, Base, UtcDateTime, utcnow
from lib.models.catalog import CatalogEntry, CatalogKind, Image, Product
from lib.models.inventory import (
                                  IN_STOCK,
                                  LATEST_MOVEMENT_ID,
                                  InventoryItem,
                                  InventoryKind,
                                  ItemStatus,
                                  MovementKind,
                                  StockMovement,
                                  TagSequence,
)
from lib.models.workspace import Location, LoginSession, Plan, Role, User, Workspace

__all__ = [
    "AiSummary", "AiUsage", "AuditEntry", "GRAMS", "WEIGHT", "Base", "UtcDateTime", "utcnow", "CatalogEntry",
    "CatalogKind", "Image", "Product", "IN_STOCK", "LATEST_MOVEMENT_ID", "InventoryItem", "InventoryKind",
    "ItemStatus", "MovementKind", "StockMovement", "TagSequence", "LoginSession", "Location", "Plan", "Role",
    "User", "Workspace",
]
