"""The data model: SQLAlchemy 2.x typed ORM classes, one module per domain.

Import from here (`from lib.models import InventoryItem`); every table is
registered on `Base.metadata` once this package is imported. The enums
(kinds, statuses, roles) live in `lib.enums` and are re-exported here.

- `base`: declarative base, Decimal weight columns, UTC timestamps, enum storage
- `workspace`: workspace settings, locations, users, sign-in records
- `catalog`: catalog entries (shapes, sizes, ...), pictures, products
- `inventory`: items, the stock ledger, tag sequences, named SQL expressions
- `audit`: the audit log
- `ai`: stored AI summaries and usage
- `orders`: customers and suppliers, sales and purchase orders, selections, receipts, shipments
- `production`: stages, jobs, their issues, receipts and outputs
- `costing`: rate profiles, their effective-dated versions, cost components on items
- `reports`: reorder levels for the low-stock report
- `summary`: the ledger-kept daily roll-up of movements and held stock per product, location and kind
"""
from lib.enums import (
                       CatalogKind,
                       Fulfilment,
                       InventoryKind,
                       ItemStatus,
                       JobStatus,
                       LineStatus,
                       MovementKind,
                       OrderKind,
                       OutputBucket,
                       PartyKind,
                       PaymentTerms,
                       Plan,
                       Role,
)
from lib.models.ai import AiCreditTopUp, AiSummary, AiUsage
from lib.models.audit import AuditEntry
from lib.models.base import GRAMS, WEIGHT, Base, UtcDateTime, utcnow
from lib.models.catalog import CatalogEntry, Image, Product
from lib.models.costing import CostComponent, RateProfile, RateVersion
from lib.models.inventory import IN_STOCK, InventoryItem, StockMovement, TagSequence
from lib.models.orders import (
                       LINE_ATTRIBUTE_KEYS,
                       Order,
                       OrderLine,
                       OrderReturn,
                       OrderSelection,
                       OrderSequence,
                       Party,
                       PurchaseReceipt,
                       Shipment,
                       ShipmentItem,
                       ShipmentLine,
)
from lib.models.production import (
                       JobIssue,
                       JobOutput,
                       JobProduct,
                       JobReceipt,
                       JobReturn,
                       JobSequence,
                       ProductionJob,
                       ProductionStage,
)
from lib.models.reports import ReorderLevel
from lib.models.summary import StockDaily, StockHeld
from lib.models.workspace import DEFAULT_CARRIERS, Location, LoginSession, User, Workspace

__all__ = [
    "AiCreditTopUp", "AiSummary", "AiUsage", "AuditEntry", "GRAMS", "WEIGHT", "Base", "UtcDateTime", "utcnow", "CatalogEntry",
    "CatalogKind", "Image", "Product", "IN_STOCK", "InventoryItem", "InventoryKind",
    "ItemStatus", "MovementKind", "StockMovement", "TagSequence", "LoginSession", "Location", "Plan", "Role",
    "User", "Workspace", "DEFAULT_CARRIERS", "Fulfilment", "LineStatus", "OrderKind", "PartyKind", "PaymentTerms",
    "LINE_ATTRIBUTE_KEYS", "Order", "OrderLine", "OrderSelection", "OrderSequence", "Party", "PurchaseReceipt",
    "Shipment", "ShipmentLine", "ShipmentItem", "OrderReturn",
    "JobStatus", "OutputBucket", "JobIssue", "JobOutput", "JobProduct", "JobReceipt",
    "JobReturn", "JobSequence", "ProductionJob", "ProductionStage",
    "CostComponent", "RateProfile", "RateVersion", "ReorderLevel", "StockDaily", "StockHeld",
]
