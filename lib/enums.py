"""The fixed vocabularies of the data model, each with the labels (and colours) pages show.

Pages never hard-code these strings: they use `.label` (and `.colour`). The
database stores each member by its value (stable lower-case strings).
"""
from __future__ import annotations

import enum


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
    ISSUE = "issue"                # issued to an order (or a reference without a kind of its own)
    PRODUCTION_ISSUE = "production_issue"      # issued into a production job
    RETURN = "return"              # issued stock given back (a selection removed, a line cancelled)
    PURCHASE_RECEIPT = "purchase_receipt"      # a new item received against a purchase order line
    PRODUCTION_RECEIPT = "production_receipt"  # a new item received from a production job
    PRODUCTION_RETURN = "production_return"    # unused stock given back from a production job (a bench return)
    WRITE_OFF = "write_off"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class JobStatus(str, enum.Enum):
    """A production job's status (lib.production.jobs derives it; only Completed and Cancelled are stored).

    Unscheduled: nothing issued, no deadline. Scheduled: nothing issued, a deadline. Ongoing: stock issued,
    not closed. Completed: closed by a user. Cancelled: closed with everything issued given back.
    Overdue is a flag on open jobs, not a status.
    """

    UNSCHEDULED = "unscheduled"
    SCHEDULED = "scheduled"
    ONGOING = "ongoing"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def colour(self) -> str:
        return {"unscheduled": "#9aa0a6", "scheduled": "#4a7bd0", "ongoing": "#e59a1c", "completed": "#2e9e5b",
                "cancelled": "#6b6f76"}[self.value]

    @property
    def is_open(self) -> bool:
        return self not in (JobStatus.COMPLETED, JobStatus.CANCELLED)


class OutputBucket(str, enum.Enum):
    """Where recorded production output goes (reference 3.13.5). Pending is what is not yet recorded."""

    RECEIVED = "received"
    REJECTED = "rejected"
    SCRAPPED = "scrapped"
    WASTE = "waste"

    @property
    def label(self) -> str:
        return {"received": "Received", "rejected": "Rejected", "scrapped": "Scrapped", "waste": "Waste"}[self.value]

    @property
    def colour(self) -> str:
        return {"received": "#2e9e5b", "rejected": "#d64545", "scrapped": "#8e5bd6", "waste": "#6b6f76"}[self.value]

    @property
    def tag_suffix(self) -> str | None:
        """The suffix of the tags of items this bucket creates (`<source tag>-RCV<n>`); None: not stocked."""
        return {"received": "RCV", "rejected": "REJ", "scrapped": "SCRAP", "waste": None}[self.value]


# ---------------------------------------------------------------------------
# Orders (lib.orders; decisions in docs/orders.md)
# ---------------------------------------------------------------------------

class PartyKind(str, enum.Enum):
    """Who an order is with: customers buy (sales orders), suppliers sell to us (purchase orders)."""

    CUSTOMER = "customer"
    SUPPLIER = "supplier"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class OrderKind(str, enum.Enum):
    SALES = "sales"
    PURCHASE = "purchase"

    @property
    def label(self) -> str:
        return {"sales": "Sales order", "purchase": "Purchase order"}[self.value]

    @property
    def party_kind(self) -> PartyKind:
        """Sales orders are with customers, purchase orders with suppliers."""
        return PartyKind.CUSTOMER if self is OrderKind.SALES else PartyKind.SUPPLIER


class PaymentTerms(str, enum.Enum):
    """Reference 3.10: due on receipt, prepaid, or net 15 / 30 / 45 / 60 days after the invoice date."""

    DUE_ON_RECEIPT = "due_on_receipt"
    PREPAID = "prepaid"
    NET_15 = "net_15"
    NET_30 = "net_30"
    NET_45 = "net_45"
    NET_60 = "net_60"

    @property
    def label(self) -> str:
        if self.value.startswith("net_"):
            return f"Net {self.value[4:]}"
        return {"due_on_receipt": "Due on Receipt", "prepaid": "Prepaid"}[self.value]


class LineStatus(str, enum.Enum):
    """A line's status, derived by `lib.orders.fulfilment.line_status` and never typed (reference 3.9.3)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    READY = "ready"
    PRODUCTION_COMPLETED = "production_completed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"
    CLOSED_SHORT = "closed_short"  # sales: part shipped, the rest closed with a reason
    RETURNED = "returned"  # sales: closed, and everything shipped came back
    PARTIALLY_RETURNED = "partially_returned"  # sales: closed, and part of what shipped came back
    RECEIVED_SHORT = "received_short"  # purchase: part received, the rest cancelled

    @property
    def label(self) -> str:
        if self is LineStatus.RECEIVED_SHORT:
            return "Received (short)"
        return self.value.replace("_", " ").title()

    @property
    def colour(self) -> str:
        return {"not_started": "gray", "in_progress": "blue", "ready": "violet", "production_completed": "violet",
                "partially_shipped": "orange", "shipped": "green", "partially_received": "orange",
                "received": "green", "cancelled": "red", "closed_short": "green", "returned": "gray",
                "partially_returned": "gray", "received_short": "green"}[self.value]


class Fulfilment(str, enum.Enum):
    """An order's fulfilment status, derived from its lines by `lib.orders.fulfilment.order_fulfilment`."""

    NOT_STARTED = "not_started"
    IN_PRODUCTION = "in_production"
    READY_TO_SHIP = "ready_to_ship"
    PARTIALLY_SHIPPED = "partially_shipped"
    PARTIALLY_RECEIVED = "partially_received"
    COMPLETED = "completed"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"
    PARTIALLY_RETURNED = "partially_returned"  # every active line done, some goods came back
    ALL_RETURNED = "all_returned"  # every active line done and returned

    @property
    def label(self) -> str:
        return "Ready to Ship" if self is Fulfilment.READY_TO_SHIP else self.value.replace("_", " ").title()

    @property
    def colour(self) -> str:
        return {"not_started": "gray", "in_production": "blue", "ready_to_ship": "violet",
                "partially_shipped": "orange", "partially_received": "orange", "completed": "green",
                "on_hold": "orange", "cancelled": "red", "partially_returned": "gray",
                "all_returned": "gray"}[self.value]


class ComponentType(str, enum.Enum):
    """What a cost component (and a rate profile) is for (reference 3.4)."""

    METAL = "metal"
    GEMSTONE = "gemstone"
    LABOR = "labor"
    PACKAGING = "packaging"
    FREIGHT = "freight"
    DUTIES = "duties"
    SERVICE_CHARGE = "service_charge"
    OVERHEAD = "overhead"

    @property
    def label(self) -> str:
        return {"service_charge": "Service charge"}.get(self.value, self.value.capitalize())


class RateSource(str, enum.Enum):
    """Where a rate profile's prices come from."""

    MANUAL = "manual"
    SUPPLIER_PRICE_LIST = "supplier_price_list"
    INTERNAL_PRICE_SHEET = "internal_price_sheet"
    MARKET_FEED_FILE = "market_feed_file"

    @property
    def label(self) -> str:
        return {"manual": "Manual entry", "supplier_price_list": "Supplier price list",
                "internal_price_sheet": "Internal price sheet", "market_feed_file": "Market feed file"}[self.value]


class RateBasis(str, enum.Enum):
    """The unit a rate price is per: a weight (g, ct), a piece, an hour, or a percent of the item's other costs."""

    GRAM = "g"
    CARAT = "ct"
    PIECE = "piece"
    HOUR = "hour"
    PERCENT = "percent"

    @property
    def label(self) -> str:
        return {"g": "per gram", "ct": "per carat", "piece": "per piece", "hour": "per hour",
                "percent": "percent of the item's other costs"}[self.value]

    @property
    def is_weight(self) -> bool:
        return self in (RateBasis.GRAM, RateBasis.CARAT)
