"""What people type about stock: field parsing, the choices forms and filters offer, and new-item checks.

The add wizard, the item actions, the importer, and later orders and
production all read user input through these functions, so one value gets
one message wherever it is typed. Nothing here writes.

Decisions where the reference is silent (section 5.2; also in docs/inventory.md):

- Quantity is whole pieces, never negative. Weight is required on every new
  item and must be greater than zero (stock is tracked by weight), at most 4
  decimals, in any unit of reference 2.7; it defaults to the workspace unit.
  A new item without a quantity gets 1 piece when Finished and 0 pieces when
  Rough or Materials & Supplies (those are usually weighed, not counted).
- Finished type applies only to Finished items and M&S type only to Materials
  & Supplies (`lib.classification`); both are optional. A created date may not
  lie in the future.
- A user may type a tag instead of the generated one (letters, digits and
  dashes, at most 50 characters, unique). When it is taken, a viewer who does
  not see every location is only told it cannot be used, never that it exists
  elsewhere.
- Choices (reference section 4: "Members only see products and inventory of
  their assigned location"): a viewer who does not see every location is
  offered the products with records in their locations, never a product
  stocked only elsewhere. The add form also offers active products nobody
  holds yet, so a new product can be stocked anywhere first; stocking a
  product that exists only at another location is for admins (or managers
  allowed to use every location). Inactive products and entries are offered
  to filters only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import tags
from lib.access import Actor, Right, visible_locations
from lib.classification import ATTRIBUTES, BY_FIELD, fit_to_kind
from lib.errors import ValidationFailed
from lib.text import clean_text  # the one text rule; re-exported for the forms of every domain
from lib.inventory.query import ItemFilters, items_statement
from lib.models import CatalogEntry, CatalogKind, InventoryItem, InventoryKind, Location, Product, utcnow
from lib.units import UNIT_SYMBOLS, is_unit, parse_weight, plain_decimal, unit
from lib.workspace.settings import default_weight_unit

MAX_NOTES = 2000
MAX_REASON = 500
MAX_QUANTITY = 1_000_000_000

FIELD_LABELS = {"product_id": "Product", "kind": "Type", **{a.field: a.label for a in ATTRIBUTES},
                "quantity": "Quantity", "weight": "Weight", "weight_unit": "Weight unit", "location_id": "Location",
                "notes": "Notes", "created_on": "Created date", "tag_id": "Tag ID", "image": "Image"}


def field_label(name: str) -> str:
    """The form label of a NewItem field, for messages."""
    return FIELD_LABELS.get(name, name)


# ---------------------------------------------------------------------------
# Parsing single values
# ---------------------------------------------------------------------------

def parse_quantity(raw, field: str = "Quantity", allow_negative: bool = False) -> int:
    """Whole pieces from user input ("3", 3, "3.0"); ValueError naming `field` otherwise.

    The same plain-decimal rule as weights (`lib.units.plain_decimal`: digits
    and one point, a sign only when `allow_negative`), then no fractions and at
    most MAX_QUANTITY either way.
    """
    value = plain_decimal(raw, field, maximum=Decimal(MAX_QUANTITY), allow_negative=allow_negative)
    if value != value.to_integral_value():
        raise ValueError(f"{field} must be a whole number of pieces (no fractions), got {raw!r}")
    return int(value)


def parse_kind(raw) -> InventoryKind:
    """An inventory kind from its value; ValueError listing the kinds otherwise."""
    try:
        return InventoryKind(raw)
    except ValueError:
        raise ValueError(f"Type must be one of: {', '.join(k.label for k in InventoryKind)}") from None


def check_catalog_id(session: Session, field: str, entry_id: int | None) -> int | None:
    """The id of an entry of the catalog that attribute `field` takes (None stays None); ValueError otherwise."""
    if entry_id is None:
        return None
    attribute = BY_FIELD[field]
    entry = session.get(CatalogEntry, int(entry_id))
    if entry is None or entry.catalog is not attribute.catalog:
        raise ValueError(f"{attribute.label}: no such entry in the {attribute.catalog.label} catalog")
    return entry.id


def created_at(day: date | None) -> datetime:
    """The creation time for a chosen day: now for today (or no day), noon UTC for a past day."""
    now = utcnow()
    if day is None or day == now.date():
        return now
    if day > now.date():
        raise ValueError("Created date cannot be in the future")
    return datetime.combine(day, time(12, 0), tzinfo=timezone.utc)


def required_reason(raw, field: str = "Reason") -> str:
    """A required reason: ValidationFailed when empty or too long."""
    text = as_validation(clean_text, raw, field, MAX_REASON)
    if not text:
        raise ValidationFailed(f"{field} is required: say why the stock changes.")
    return text


def as_validation(function, *args, **kwargs):
    """Call a parser; its ValueError becomes the ValidationFailed users see."""
    try:
        return function(*args, **kwargs)
    except ValueError as error:
        raise ValidationFailed(str(error)) from None


def collect(problems: dict, field: str, function, *args):
    """Call a parser; record its ValueError under `field` and return None instead."""
    try:
        return function(*args)
    except ValueError as error:
        problems[field] = str(error)
        return None


# ---------------------------------------------------------------------------
# Choices for filters and forms
# ---------------------------------------------------------------------------

Option = tuple[int, str]


@dataclass(frozen=True)
class Options:
    """Choices for filters and forms: (id, name) pairs by name, locations in the actor's scope."""

    products: tuple[Option, ...]
    catalogs: dict[CatalogKind, tuple[Option, ...]]
    locations: tuple[Option, ...]
    default_unit: str
    home_location_id: int | None

    def names(self, kind: CatalogKind | str) -> dict[int, str]:
        if kind == "product":
            return dict(self.products)
        if kind == "location":
            return dict(self.locations)
        return dict(self.catalogs[CatalogKind(kind)])


def _products_for(session: Session, actor: Actor, active_only: bool) -> tuple[Option, ...]:
    stmt = select(Product.id, Product.name).order_by(Product.name)
    if active_only:
        stmt = stmt.where(Product.active.is_(True))
    if not actor.sees_all_locations:
        stocked_here = items_statement(actor, ItemFilters(), InventoryItem.product_id)
        stocked_anywhere = select(InventoryItem.product_id)
        condition = Product.id.in_(stocked_here)
        if active_only:  # a product nobody holds yet may be stocked anywhere first
            condition = condition | Product.id.not_in(stocked_anywhere)
        stmt = stmt.where(condition)
    return tuple((row[0], row[1]) for row in session.execute(stmt))


def options(session: Session, *, actor: Actor, active_only: bool = False) -> Options:
    """Choices for filters (`active_only=False`) or for forms (`active_only=True`).

    Filters offer every catalog entry; forms only active ones. Products follow
    the rule in the module docstring. Locations are always the actor's own.
    """
    actor.require(Right.VIEW_INVENTORY)
    catalog_stmt = select(CatalogEntry.catalog, CatalogEntry.id, CatalogEntry.name).order_by(
        CatalogEntry.catalog, CatalogEntry.sort_order, CatalogEntry.name)
    if active_only:
        catalog_stmt = catalog_stmt.where(CatalogEntry.active.is_(True))
    catalogs: dict[CatalogKind, list[Option]] = {kind: [] for kind in CatalogKind}
    for kind, entry_id, name in session.execute(catalog_stmt):
        catalogs[kind].append((entry_id, name))
    home = actor.home_location_id if actor.can_see_location(actor.home_location_id) else None
    return Options(products=_products_for(session, actor, active_only),
                   catalogs={kind: tuple(values) for kind, values in catalogs.items()},
                   locations=tuple((loc.id, loc.name) for loc in visible_locations(session, actor=actor)),
                   default_unit=default_weight_unit(session), home_location_id=home)


# ---------------------------------------------------------------------------
# A new item, checked
# ---------------------------------------------------------------------------

@dataclass
class NewItem:
    """What a person (or an import row) asks to add. Raw values are checked by `validate_new_item`.

    The catalog attribute fields are those of `lib.classification` (entry ids).
    """

    product_id: int | None
    weight: object
    kind: InventoryKind | str = InventoryKind.FINISHED
    weight_unit: str | None = None  # None: the workspace default unit
    quantity: object = None  # None: 1 for Finished, 0 otherwise
    location_id: int | None = None  # None: the actor's own location
    finished_type_id: int | None = None
    ms_type_id: int | None = None
    shape_id: int | None = None
    size_id: int | None = None
    colour_id: int | None = None
    quality_id: int | None = None
    notes: str = ""
    created_on: date | None = None
    tag_id: str = ""  # empty: generate the next regular tag
    auto_merge: bool = False


@dataclass
class CheckedItem:
    """A NewItem whose every value passed its check, ready for `lib.inventory.stock`."""

    product: Product
    kind: InventoryKind
    quantity: int
    weight: Decimal
    weight_unit: str
    location_id: int
    classification: dict  # attribute field -> entry id or None
    notes: str
    created_at: datetime
    tag_id: str
    auto_merge: bool


def _user_tag(session: Session, actor: Actor, raw: str) -> str:
    try:
        tag = tags.validate_tag(raw)
    except ValidationFailed as error:
        raise ValueError(str(error)) from None
    if session.scalar(select(InventoryItem.id).where(InventoryItem.tag_id == tag)) is not None:
        if actor.sees_all_locations:
            raise ValueError(f"Tag ID {tag} is already in use")
        raise ValueError(f"Tag ID {tag} cannot be used; choose another or leave it empty")
    return tag


def _check_product(session: Session, product_id) -> tuple[Product | None, str | None]:
    product = session.get(Product, int(product_id)) if product_id is not None else None
    if product is None:
        return None, "Product is required" if product_id is None else "Product: no such product"
    if not product.active:
        return None, f"Product {product.name!r} is inactive"
    return product, None


def _check_location(session: Session, actor: Actor, location_id: int | None) -> tuple[Location | None, str | None]:
    location_id = location_id if location_id is not None else actor.home_location_id
    location = session.get(Location, location_id) if location_id is not None else None
    if location is None or not location.active:
        return None, "Location is required" if location_id is None else "Location: no such active location"
    return location, None


def check_new_item(session: Session, actor: Actor, data: NewItem) -> tuple[CheckedItem | None, dict[str, str]]:
    """The checked item, or every problem keyed by field name. Writes nothing."""
    problems: dict[str, str] = {}
    product, problem = _check_product(session, data.product_id)
    if problem:
        problems["product_id"] = problem
    kind = collect(problems, "kind", parse_kind, data.kind)
    symbol = data.weight_unit or default_weight_unit(session)
    if not is_unit(symbol):
        problems["weight_unit"] = f"Weight unit: unknown unit {symbol!r}; use one of {', '.join(UNIT_SYMBOLS)}"
    weight = collect(problems, "weight", lambda raw: parse_weight(raw, "Weight"), data.weight)
    raw_quantity = data.quantity
    if raw_quantity is None or (isinstance(raw_quantity, str) and not raw_quantity.strip()):
        raw_quantity = 1 if kind is InventoryKind.FINISHED else 0
    quantity = collect(problems, "quantity", parse_quantity, raw_quantity)
    location, problem = _check_location(session, actor, data.location_id)
    if problem:
        problems["location_id"] = problem
    classification = {a.field: collect(problems, a.field, check_catalog_id, session, a.field,
                                       getattr(data, a.field)) for a in ATTRIBUTES}
    notes = collect(problems, "notes", clean_text, data.notes, "Notes", MAX_NOTES)
    created = collect(problems, "created_on", created_at, data.created_on)
    tag_id = ""
    if (data.tag_id or "").strip():
        tag_id = collect(problems, "tag_id", _user_tag, session, actor, data.tag_id) or ""
    if problems:
        return None, problems
    return CheckedItem(product=product, kind=kind, quantity=quantity, weight=weight, weight_unit=unit(symbol).symbol,
                       location_id=location.id, classification=fit_to_kind(kind, classification), notes=notes,
                       created_at=created, tag_id=tag_id, auto_merge=bool(data.auto_merge)), {}


def validate_new_item(session: Session, *, actor: Actor, data: NewItem) -> dict[str, str]:
    """Every problem with `data`, keyed by field name (empty when it can be added). Writes nothing."""
    actor.require(Right.VIEW_INVENTORY)
    return check_new_item(session, actor, data)[1]
