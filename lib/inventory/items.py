"""Inventory items: the list, item detail, and every action on an item.

Reads build on `lib.item_query` (always scoped to the actor); writes change
stock only through `lib.ledger` and record each change in the audit log, in
the caller's transaction (one transaction per action).

Decisions where the reference is silent (section 5.2; also in docs/inventory.md):

- Quantity is whole pieces, never negative. Weight is required on every new
  item and must be greater than zero (stock is tracked by weight), at most 4
  decimals, in any unit of reference 2.7; it defaults to the workspace unit.
  A new item without a quantity gets 1 piece when Finished and 0 pieces when
  Rough or Materials & Supplies (those are usually weighed, not counted).
- Finished type applies only to Finished items and M&S type only to Materials
  & Supplies; both are optional (the import makes them optional, and one rule
  serves both ways in). A created date may not lie in the future.
- Tag IDs (reference 3.3, lib.tags): workspace prefix + product short name +
  next 4-digit number from a row-locked sequence, so two people adding at the
  same moment never get the same tag. A user may type a tag instead (letters,
  digits and dashes, at most 50 characters, unique).
- Auto-merge key: product, kind, finished type, M&S type, shape, size, colour,
  quality and location, all equal (an empty value matches only an empty
  value). Candidates are Available or Consumed records (On hold and Archived
  are never merged into); an Available one wins, then the oldest. The product
  row is locked first, so two simultaneous adds of one product cannot both
  create a duplicate. A merge is a MERGE movement on the existing record: the
  incoming tag is not issued, notes go into the movement's note, a photo is
  kept only when the record had none. The weight is converted to the record's
  unit; when it does not convert exactly at 4 decimals the item is added as a
  new record instead and the result says why (the books stay exact in grams).
- Transfer: moving everything is `ledger.move_location` (same tag, a
  transfer-out at the old location and a transfer-in at the new one). Moving
  part of an item (fewer pieces or less weight; both are entered, weight is
  never derived from pieces) creates a new item at the target with the derived
  tag `<source tag>-T<n>` (n counts per source, lib.tags.derived_tag), the same
  classification, photo, notes and status; the source gets a transfer-out and
  the new item a transfer-in, each naming the other tag as its reference.
- Status transitions: Available <-> On hold by hand (edit right; only an item
  holding stock can be on hold). Consumed is set and cleared by the ledger when
  stock reaches zero or comes back. Archive (archive right, reason required)
  works from any status; stock still held is first written off with a
  WRITE_OFF movement carrying the reason, so the ledger shows where it went.
  Restore brings an archived item back as Available (or Consumed when empty).
  Archived items take no stock actions and no edits until restored. Items are
  never deleted.
- Edits never change the weight unit (the ledger's deltas are in that unit)
  or the location (that is a transfer) or the tag.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from lib import audit, images, ledger, tags
from lib.access import Actor, Right, get_item_in_scope, visible_locations
from lib.errors import NotFound, PermissionDenied, ValidationFailed
from lib.inventory.query import (
    SORTABLE,
    ItemFilters,
    Page,
    Totals,
    items_statement,
    totals,
)
from lib.models import (
    CatalogEntry,
    CatalogKind,
    Image,
    InventoryItem,
    InventoryKind,
    ItemStatus,
    Location,
    MovementKind,
    Product,
    StockMovement,
    User,
    utcnow,
)
from lib.units import (
    UNIT_SYMBOLS,
    convert,
    from_grams,
    is_unit,
    parse_weight,
    to_grams,
    unit,
)
from lib.workspace.settings import get_workspace

MAX_NOTES = 2000
MAX_REASON = 500
MAX_QUANTITY = 1_000_000_000
PAGE_SIZES = (25, 50, 100, 200)

# ---------------------------------------------------------------------------
# Filters <-> url query (plain strings, so a link reopens the same view)
# ---------------------------------------------------------------------------

_ID_QUERY = {"product": "product_ids", "finished_type": "finished_type_ids", "ms_type": "ms_type_ids",
             "shape": "shape_ids", "size": "size_ids", "colour": "colour_ids", "quality": "quality_ids",
             "location": "location_ids"}


def _ids_text(values) -> str:
    return ",".join(str(v) for v in sorted(values))


def filters_to_query(filters: ItemFilters) -> dict[str, str]:
    """The url query for `filters`, e.g. {"product": "3", "kind": "finished"}; empty filters are left out."""
    query: dict[str, str] = {}
    if filters.search.strip():
        query["q"] = filters.search.strip()
    for key, name in _ID_QUERY.items():
        if getattr(filters, name):
            query[key] = _ids_text(getattr(filters, name))
    if filters.kinds:
        query["kind"] = ",".join(k.value for k in filters.kinds)
    if filters.statuses:
        query["status"] = ",".join(s.value for s in filters.statuses)
    if filters.created_from:
        query["from"] = filters.created_from.isoformat()
    if filters.created_to:
        query["to"] = filters.created_to.isoformat()
    if filters.in_stock_only:
        query["in_stock"] = "1"
    return query


def _query_text(query: Mapping, key: str) -> str:
    value = query.get(key, "")
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return str(value or "").strip()


def _parse_ids(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(part) for part in text.split(",") if part.strip().isdigit()}))


def _parse_enums(text: str, enum_cls) -> tuple:
    values = {member.value: member for member in enum_cls}
    return tuple(values[part.strip()] for part in text.split(",") if part.strip() in values)


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def filters_from_query(query: Mapping) -> ItemFilters:
    """ItemFilters from a url query; malformed values are ignored, never an error."""
    return ItemFilters(
        search=_query_text(query, "q")[:200],
        kinds=_parse_enums(_query_text(query, "kind"), InventoryKind),
        statuses=_parse_enums(_query_text(query, "status"), ItemStatus),
        created_from=_parse_date(_query_text(query, "from")),
        created_to=_parse_date(_query_text(query, "to")),
        in_stock_only=_query_text(query, "in_stock") in ("1", "true", "yes"),
        **{name: _parse_ids(_query_text(query, key)) for key, name in _ID_QUERY.items()},
    )


def page_to_query(page: Page) -> dict[str, str]:
    """Sort, direction, page number and page size as url query strings (defaults left out)."""
    query: dict[str, str] = {}
    if page.sort != Page.sort or page.descending != Page.descending:
        query["sort"] = page.sort
        query["order"] = "desc" if page.descending else "asc"
    if page.size != Page.size:
        query["per_page"] = str(page.size)
    if page.number > 1:
        query["page"] = str(page.number)
    return query


def page_from_query(query: Mapping) -> Page:
    """A Page from a url query; unknown values fall back to the defaults."""
    sort = _query_text(query, "sort")
    size = _query_text(query, "per_page")
    number = _query_text(query, "page")
    return Page(number=int(number) if number.isdigit() and int(number) > 0 else 1,
                size=int(size) if size.isdigit() and int(size) in PAGE_SIZES else Page.size,
                sort=sort if sort in SORTABLE else Page.sort,
                descending=_query_text(query, "order") != "asc" if sort in SORTABLE else Page.descending)


# ---------------------------------------------------------------------------
# Option lists for filters and forms
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


def options(session: Session, *, actor: Actor, active_only: bool = False) -> Options:
    """Products, catalog entries and the actor's locations for filters (all) or forms (active only)."""
    product_stmt = select(Product.id, Product.name).order_by(Product.name)
    catalog_stmt = select(CatalogEntry.catalog, CatalogEntry.id, CatalogEntry.name).order_by(
        CatalogEntry.catalog, CatalogEntry.sort_order, CatalogEntry.name)
    if active_only:
        product_stmt = product_stmt.where(Product.active.is_(True))
        catalog_stmt = catalog_stmt.where(CatalogEntry.active.is_(True))
    catalogs: dict[CatalogKind, list[Option]] = {kind: [] for kind in CatalogKind}
    for kind, entry_id, name in session.execute(catalog_stmt):
        catalogs[kind].append((entry_id, name))
    home = actor.home_location_id if actor.can_see_location(actor.home_location_id) else None
    return Options(products=tuple((row[0], row[1]) for row in session.execute(product_stmt)),
                   catalogs={kind: tuple(values) for kind, values in catalogs.items()},
                   locations=tuple((loc.id, loc.name) for loc in visible_locations(session, actor=actor)),
                   default_unit=get_workspace(session).default_weight_unit, home_location_id=home)


# ---------------------------------------------------------------------------
# The list
# ---------------------------------------------------------------------------

def weight_text(weight, symbol: str) -> str:
    """A weight with its unit, trailing zeros trimmed to at least 2 decimals ("6.50 ct", "0.0012 g")."""
    value = Decimal(str(weight)).quantize(Decimal("0.0001"))
    text = f"{value:,.4f}".rstrip("0")
    if len(text.split(".")[1]) < 2:
        text = f"{value:,.2f}"
    return f"{text} {symbol}"


@dataclass(frozen=True)
class ListView:
    """One page of the inventory list plus the totals of everything the filters match."""

    rows: list[dict]
    totals: Totals
    page: Page
    unit: str

    @property
    def page_count(self) -> int:
        return max(1, -(-self.totals.items // self.page.size))

    @property
    def total_weight_text(self) -> str:
        return weight_text(from_grams(self.totals.grams, self.unit), self.unit)


_SORT_JOINS = {"product": (Product, "product_id", Product.name), "location": (Location, "location_id", Location.name)}
_SORT_CATALOG = {"shape": "shape_id", "size": "size_id", "colour": "colour_id", "quality": "quality_id"}
_SORT_COLUMNS = {"tag_id": InventoryItem.tag_id, "kind": InventoryItem.kind, "quantity": InventoryItem.quantity,
                 "weight": InventoryItem.weight_g, "status": InventoryItem.status,
                 "created_at": InventoryItem.created_at}


def _page_ids_statement(actor: Actor, filters: ItemFilters, page: Page):
    """Ids of one page, sorted and limited over inventory_items alone (at most one join, for a name sort).

    Sorting the fully joined display rows makes SQLite sort all 200,000 of them; sorting ids first lets it
    walk an index (created_at, or location + created_at) and stop after one page.
    """
    stmt = items_statement(actor, filters, InventoryItem.id)
    if page.sort in _SORT_JOINS:
        target, column, expr = _SORT_JOINS[page.sort]
        stmt = stmt.join(target, target.id == getattr(InventoryItem, column))
    elif page.sort in _SORT_CATALOG:
        entry = aliased(CatalogEntry)
        stmt = stmt.outerjoin(entry, entry.id == getattr(InventoryItem, _SORT_CATALOG[page.sort]))
        expr = entry.name
    else:
        expr = _SORT_COLUMNS[page.sort]
    order = [expr.desc(), InventoryItem.id.desc()] if page.descending else [expr.asc(), InventoryItem.id.asc()]
    return stmt.order_by(*order).limit(page.size).offset((max(page.number, 1) - 1) * page.size)


# Built once: aliases are immutable SQL constructs, and re-creating six of them per query costs ~20 ms.
_NAMES = {key: aliased(CatalogEntry, name=f"{key}_name") for key in ("finished", "ms", "shape", "size", "colour",
                                                                     "quality")}
_NAME_COLUMNS = {"finished": "finished_type_id", "ms": "ms_type_id", "shape": "shape_id", "size": "size_id",
                 "colour": "colour_id", "quality": "quality_id"}
_DISPLAY = select(
    InventoryItem.id, InventoryItem.tag_id, Product.name.label("product"), InventoryItem.product_id,
    InventoryItem.kind, _NAMES["finished"].name.label("finished_type"), _NAMES["ms"].name.label("ms_type"),
    _NAMES["shape"].name.label("shape"), _NAMES["size"].name.label("size"), _NAMES["colour"].name.label("colour"),
    _NAMES["quality"].name.label("quality"), InventoryItem.quantity, InventoryItem.weight, InventoryItem.weight_unit,
    InventoryItem.weight_g, Location.name.label("location"), InventoryItem.location_id, InventoryItem.status,
    InventoryItem.created_at, InventoryItem.notes, InventoryItem.image_id,
).select_from(InventoryItem).join(Product, Product.id == InventoryItem.product_id).join(
    Location, Location.id == InventoryItem.location_id)
for _key, _column in _NAME_COLUMNS.items():
    _DISPLAY = _DISPLAY.outerjoin(_NAMES[_key], _NAMES[_key].id == getattr(InventoryItem, _column))


def display_statement(ids: list[int], with_thumbnail: bool):
    """The display columns of item_query.item_rows_statement, for a known list of (already scoped) ids."""
    stmt = _DISPLAY.where(InventoryItem.id.in_(ids))
    if with_thumbnail:
        stmt = stmt.add_columns(Image.thumbnail).outerjoin(Image, Image.id == InventoryItem.image_id)
    return stmt


def page_rows(session: Session, *, actor: Actor, filters: ItemFilters, page: Page,
              with_thumbnail: bool = True) -> list[dict]:
    """One page of display rows (the same columns as item_query.item_page), in page order."""
    ids = list(session.scalars(_page_ids_statement(actor, filters, page)))
    if not ids:
        return []
    by_id = {row.id: dict(row._mapping) for row in session.execute(display_statement(ids, with_thumbnail))}
    return [by_id[item_id] for item_id in ids if item_id in by_id]


def list_items(session: Session, *, actor: Actor, filters: ItemFilters, page: Page,
               with_thumbnail: bool = True) -> ListView:
    """The page of items and the totals (items, pieces, grams) for the filters, in the actor's scope."""
    actor.require(Right.VIEW_INVENTORY)
    found = totals(session, actor=actor, filters=filters)
    last = max(1, -(-found.items // page.size))
    if page.number > last:
        page = Page(number=last, size=page.size, sort=page.sort, descending=page.descending)
    rows = page_rows(session, actor=actor, filters=filters, page=page, with_thumbnail=with_thumbnail)
    return ListView(rows=rows, totals=found, page=page, unit=get_workspace(session).default_weight_unit)


LIST_COLUMNS = ("Photo", "Tag ID", "Product", "Kind", "Type", "Shape", "Size", "Colour", "Quality", "Pieces",
                "Weight", "Location", "Status", "Created")


NO_PHOTO = ("data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='48' height='48'>"
            "<rect width='48' height='48' rx='6' fill='%23f0f0f3'/><path d='M14 20l6-6h8l6 6-10 14z' "
            "fill='none' stroke='%23b8b8c4' stroke-width='2'/></svg>")


def list_frame(view: ListView) -> pd.DataFrame:
    """The page as a display table: labels instead of codes, weight with its unit, thumbnails as data URIs."""
    records = [{
        "Photo": images.data_uri(row.get("thumbnail")) or NO_PHOTO,
        "Tag ID": row["tag_id"], "Product": row["product"], "Kind": InventoryKind(row["kind"]).label,
        "Type": row["finished_type"] or row["ms_type"] or "", "Shape": row["shape"] or "",
        "Size": row["size"] or "", "Colour": row["colour"] or "", "Quality": row["quality"] or "",
        "Pieces": int(row["quantity"]), "Weight": weight_text(row["weight"], row["weight_unit"]),
        "Location": row["location"], "Status": ItemStatus(row["status"]).label,
        "Created": row["created_at"].date() if row["created_at"] else None,
    } for row in view.rows]
    return pd.DataFrame.from_records(records, columns=list(LIST_COLUMNS))


# ---------------------------------------------------------------------------
# Field parsing shared by the add form, the actions and the importer
# ---------------------------------------------------------------------------

def parse_quantity(raw, field: str = "Quantity", allow_negative: bool = False) -> int:
    """Whole pieces from user input ("3", 3, "3.0"); ValueError naming `field` otherwise."""
    if isinstance(raw, bool):
        raise ValueError(f"{field} must be a whole number of pieces, got {raw!r}")
    try:
        value = Decimal(str(raw).strip().replace(",", "")) if raw is not None else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValueError(f"{field} must be a whole number of pieces, got {raw!r}")
    if value != value.to_integral_value():
        raise ValueError(f"{field} must be a whole number of pieces (no fractions), got {raw!r}")
    if value < 0 and not allow_negative:
        raise ValueError(f"{field} cannot be negative")
    if abs(value) > MAX_QUANTITY:
        raise ValueError(f"{field} is too large")
    return int(value)


def no_commas(raw, field: str):
    """Refuse "1,5" and "1,500": a comma could be a decimal comma or a thousands separator, so never guess."""
    if isinstance(raw, str) and "," in raw:
        raise ValueError(f"{field} {raw.strip()!r}: write numbers without commas, with a dot for decimals (1.5)")
    return raw


def clean_text(raw, field: str, limit: int) -> str:
    """Stripped text of at most `limit` characters. Shown as plain text, so any characters are kept."""
    text = "" if raw is None else str(raw).strip()
    if len(text) > limit:
        raise ValueError(f"{field} may be at most {limit} characters (got {len(text)})")
    return text


def _kind(raw) -> InventoryKind:
    try:
        return InventoryKind(raw)
    except ValueError:
        raise ValueError(f"Type must be one of: {', '.join(k.label for k in InventoryKind)}") from None


_CATALOG_FIELDS = {"finished_type_id": CatalogKind.FINISHED_TYPE, "ms_type_id": CatalogKind.MS_TYPE,
                   "shape_id": CatalogKind.SHAPE, "size_id": CatalogKind.SIZE, "colour_id": CatalogKind.COLOUR,
                   "quality_id": CatalogKind.QUALITY}
_FIELD_LABELS = {"product_id": "Product", "kind": "Type", "finished_type_id": "Finished type",
                 "ms_type_id": "M&S type", "shape_id": "Shape", "size_id": "Size", "colour_id": "Colour",
                 "quality_id": "Quality", "quantity": "Quantity", "weight": "Weight", "weight_unit": "Weight unit",
                 "location_id": "Location", "notes": "Notes", "created_on": "Created date", "tag_id": "Tag ID",
                 "image": "Image"}


def _check_catalog_id(session: Session, field: str, entry_id: int | None) -> int | None:
    if entry_id is None:
        return None
    entry = session.get(CatalogEntry, int(entry_id))
    if entry is None or entry.catalog is not _CATALOG_FIELDS[field]:
        raise ValueError(f"{_FIELD_LABELS[field]}: no such entry in the {_CATALOG_FIELDS[field].label} catalog")
    return entry.id


def _fit_types_to_kind(kind: InventoryKind, values: dict) -> dict:
    """Finished type only on Finished items, M&S type only on Materials & Supplies."""
    if kind is not InventoryKind.FINISHED:
        values["finished_type_id"] = None
    if kind is not InventoryKind.MATERIALS:
        values["ms_type_id"] = None
    return values


def _created_at(day: date | None) -> datetime:
    now = utcnow()
    if day is None or day == now.date():
        return now
    if day > now.date():
        raise ValueError("Created date cannot be in the future")
    return datetime.combine(day, time(12, 0), tzinfo=timezone.utc)


# ---------------------------------------------------------------------------
# Adding items (and auto-merge)
# ---------------------------------------------------------------------------

@dataclass
class NewItem:
    """What a person (or an import row) asks to add. Raw values are checked by `validate_new_item`."""

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
class _Clean:
    product: Product
    kind: InventoryKind
    quantity: int
    weight: Decimal
    weight_unit: str
    location_id: int
    classification: dict
    notes: str
    created_at: datetime
    tag_id: str
    auto_merge: bool


@dataclass(frozen=True)
class AddResult:
    item_id: int
    tag_id: str
    merged: bool
    movement_id: int
    note: str = ""  # e.g. why an auto-merge did not happen


def _clean_value(problems: dict, field: str, function, *args):
    try:
        return function(*args)
    except ValueError as error:
        problems[field] = str(error)
        return None


def _clean_new_item(session: Session, actor: Actor, data: NewItem) -> tuple[_Clean | None, dict[str, str]]:
    problems: dict[str, str] = {}
    product = session.get(Product, int(data.product_id)) if data.product_id is not None else None
    if product is None:
        problems["product_id"] = "Product is required" if data.product_id is None else "Product: no such product"
    elif not product.active:
        problems["product_id"] = f"Product {product.name!r} is inactive"
    kind = _clean_value(problems, "kind", _kind, data.kind)
    symbol = data.weight_unit or get_workspace(session).default_weight_unit
    if not is_unit(symbol):
        problems["weight_unit"] = f"Weight unit: unknown unit {symbol!r}; use one of {', '.join(UNIT_SYMBOLS)}"
    weight = _clean_value(problems, "weight", lambda raw: parse_weight(raw, "Weight"),
                          data.weight)
    raw_quantity = data.quantity
    if raw_quantity is None or (isinstance(raw_quantity, str) and not raw_quantity.strip()):
        raw_quantity = 1 if kind is InventoryKind.FINISHED else 0
    quantity = _clean_value(problems, "quantity", lambda raw: parse_quantity(no_commas(raw, "Quantity")),
                            raw_quantity)
    location_id = data.location_id if data.location_id is not None else actor.home_location_id
    location = session.get(Location, location_id) if location_id is not None else None
    if location is None or not location.active:
        problems["location_id"] = "Location is required" if location_id is None else "Location: no such active location"
    classification = {}
    for name in _CATALOG_FIELDS:
        classification[name] = _clean_value(problems, name, _check_catalog_id, session, name, getattr(data, name))
    notes = _clean_value(problems, "notes", clean_text, data.notes, "Notes", MAX_NOTES)
    created_at = _clean_value(problems, "created_on", _created_at, data.created_on)
    tag_id = ""
    if (data.tag_id or "").strip():
        tag_id = _clean_value(problems, "tag_id", _user_tag, session, data.tag_id) or ""
    if problems:
        return None, problems
    return _Clean(product=product, kind=kind, quantity=quantity, weight=weight, weight_unit=unit(symbol).symbol,
                  location_id=location.id, classification=_fit_types_to_kind(kind, classification), notes=notes,
                  created_at=created_at, tag_id=tag_id, auto_merge=bool(data.auto_merge)), {}


def _user_tag(session: Session, raw: str) -> str:
    try:
        tag = tags.validate_tag(raw)
    except ValidationFailed as error:
        raise ValueError(str(error)) from None
    if session.scalar(select(InventoryItem.id).where(InventoryItem.tag_id == tag)) is not None:
        raise ValueError(f"Tag ID {tag} is already in use")
    return tag


def validate_new_item(session: Session, *, actor: Actor, data: NewItem) -> dict[str, str]:
    """Every problem with `data`, keyed by field name (empty when it can be added). Writes nothing."""
    return _clean_new_item(session, actor, data)[1]


def field_label(name: str) -> str:
    """The form label of a NewItem field, for messages."""
    return _FIELD_LABELS.get(name, name)


def _lock_product(session: Session, product_id: int) -> None:
    """Serialise adds of one product (PostgreSQL row lock; SQLite's write lock is already held)."""
    session.execute(select(Product.id).where(Product.id == product_id).with_for_update())


def _merge_target(session: Session, clean: _Clean) -> InventoryItem | None:
    match = [InventoryItem.product_id == clean.product.id, InventoryItem.kind == clean.kind,
             InventoryItem.location_id == clean.location_id,
             InventoryItem.status.in_([ItemStatus.AVAILABLE, ItemStatus.CONSUMED])]
    for name, value in clean.classification.items():
        column = getattr(InventoryItem, name)
        match.append(column.is_(None) if value is None else column == value)
    preference = case((InventoryItem.status == ItemStatus.AVAILABLE, 0), else_=1)
    item_id = session.scalar(select(InventoryItem.id).where(*match).order_by(preference, InventoryItem.id).limit(1))
    return ledger.lock_item(session, item_id) if item_id is not None else None


def _exact_conversion(weight: Decimal, from_symbol: str, to_symbol: str) -> Decimal | None:
    converted = convert(weight, from_symbol, to_symbol)
    return converted if to_grams(converted, to_symbol) == to_grams(weight, from_symbol) and converted > 0 else None


def _merge(session: Session, actor: Actor, clean: _Clean, target: InventoryItem, image_id: int | None,
           movement_kind: MovementKind, reference: str) -> AddResult:
    weight = _exact_conversion(clean.weight, clean.weight_unit, target.weight_unit)
    entered = f"{clean.quantity} pcs, {weight_text(clean.weight, clean.weight_unit)}"
    note = "; ".join(part for part in (f"merged: {entered}", clean.notes) if part)
    movement = ledger.apply_change(session, item_id=target.id, user_id=actor.user_id, movement_kind=movement_kind,
                                   quantity_delta=clean.quantity, weight_delta=weight, reference=reference,
                                   note=note)
    if image_id is not None and target.image_id is None:
        target.image_id = image_id
    audit.record(session, actor_id=actor.user_id, action="merge into item", entity="inventory_item",
                 entity_id=target.id, new={"tag_id": target.tag_id, "quantity_delta": clean.quantity,
                                           "weight_delta": weight, "weight_unit": target.weight_unit})
    session.flush()
    return AddResult(target.id, target.tag_id, True, movement.id)


def _create(session: Session, actor: Actor, clean: _Clean, image_id: int | None, movement_kind: MovementKind,
            reference: str, note: str = "") -> AddResult:
    workspace = get_workspace(session)
    tag = clean.tag_id or tags.next_tag(session, tags.tag_prefix(workspace.tag_prefix, clean.product.short_name,
                                                                 clean.product.name))
    item = InventoryItem(tag_id=tag, product_id=clean.product.id, kind=clean.kind, quantity=0, weight=Decimal(0),
                         weight_unit=clean.weight_unit, weight_g=Decimal(0), location_id=clean.location_id,
                         image_id=image_id, status=ItemStatus.AVAILABLE, notes=clean.notes,
                         created_at=clean.created_at, created_by_id=actor.user_id, **clean.classification)
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:
        raise ValidationFailed(f"Tag ID {tag} was just taken by someone else; please try again.") from None
    movement = ledger.apply_change(session, item_id=item.id, user_id=actor.user_id, movement_kind=movement_kind,
                                   quantity_delta=clean.quantity, weight_delta=clean.weight, reference=reference,
                                   note=clean.notes)
    audit.record(session, actor_id=actor.user_id, action="add item", entity="inventory_item", entity_id=item.id,
                 new={"tag_id": tag, "product_id": clean.product.id, "kind": clean.kind,
                      "quantity": clean.quantity, "weight": clean.weight, "weight_unit": clean.weight_unit,
                      "location_id": clean.location_id, **clean.classification})
    return AddResult(item.id, tag, False, movement.id, note)


def _add_clean(session: Session, actor: Actor, clean: _Clean, image_id: int | None,
               movement_kind: MovementKind, reference: str) -> AddResult:
    """Write one validated item: merge into a matching record when asked and possible, else create."""
    _lock_product(session, clean.product.id)
    note = ""
    if clean.auto_merge:
        target = _merge_target(session, clean)
        if target is not None and _exact_conversion(clean.weight, clean.weight_unit, target.weight_unit):
            merge_kind = MovementKind.MERGE
            return _merge(session, actor, clean, target, image_id, merge_kind,
                          reference or f"{movement_kind.label.lower()}")
        if target is not None:
            note = (f"Not merged into {target.tag_id}: {weight_text(clean.weight, clean.weight_unit)} does not "
                    f"convert exactly to {target.weight_unit}, so a new record was added.")
    return _create(session, actor, clean, image_id, movement_kind, reference, note)


def _add(session: Session, actor: Actor, data: NewItem, image: bytes | None, movement_kind: MovementKind,
         reference: str) -> AddResult:
    clean, problems = _clean_new_item(session, actor, data)
    checked = None
    if image:
        try:
            checked = images.check_image(image)
        except ValidationFailed as error:
            problems["image"] = str(error)
    if problems:
        raise ValidationFailed("The item was not added: " + " ".join(f"{p}." for p in problems.values()),
                               list(problems.values()))
    actor.require_location(clean.location_id)
    image_id = images.store_image(session, checked=checked, user_id=actor.user_id).id if checked else None
    return _add_clean(session, actor, clean, image_id, movement_kind, reference)


def add_item(session: Session, *, actor: Actor, data: NewItem, image: bytes | None = None) -> AddResult:
    """Add one item (or merge it into a matching record when `data.auto_merge`), with an optional photo.

    Everything is validated first; a ValidationFailed lists every problem and nothing is written.
    """
    actor.require(Right.ADD_INVENTORY)
    return _add(session, actor, data, image, MovementKind.RECEIPT, "")


def import_item(session: Session, *, actor: Actor, data: NewItem, reference: str) -> AddResult:
    """Add one imported row (an IMPORT movement, or a MERGE when auto-merge matches); see lib.importer."""
    actor.require(Right.IMPORT_INVENTORY)
    return _add(session, actor, data, None, MovementKind.IMPORT, reference)


# ---------------------------------------------------------------------------
# Reading one item
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryRow:
    id: int
    moved_at: datetime
    kind: MovementKind
    quantity_delta: int
    weight_delta: Decimal
    quantity_after: int
    weight_after: Decimal
    user: str
    location: str
    reference: str
    note: str


@dataclass(frozen=True)
class ItemDetail:
    item: InventoryItem
    product: str
    location: str
    names: dict[str, str | None]  # catalog field -> entry name
    created_by: str
    image: bytes | None
    image_mime: str | None
    history: list[HistoryRow] = field(default_factory=list)
    history_total: int = 0

    @property
    def weight_text(self) -> str:
        return weight_text(self.item.weight, self.item.weight_unit)


def item_detail(session: Session, *, actor: Actor, item_id: int, history_limit: int = 500) -> ItemDetail:
    """Every field of one item in the actor's scope, its photo and its newest `history_limit` movements."""
    actor.require(Right.VIEW_INVENTORY)
    item = get_item_in_scope(session, actor=actor, item_id=item_id)
    ids = [getattr(item, name) for name in _CATALOG_FIELDS if getattr(item, name) is not None]
    entries = {row[0]: row[1] for row in session.execute(
        select(CatalogEntry.id, CatalogEntry.name).where(CatalogEntry.id.in_(ids)))}
    image = session.get(Image, item.image_id) if item.image_id else None
    creator = session.get(User, item.created_by_id) if item.created_by_id else None
    history_stmt = (select(StockMovement, User.name, Location.name)
                    .outerjoin(User, User.id == StockMovement.user_id)
                    .join(Location, Location.id == StockMovement.location_id)
                    .where(StockMovement.item_id == item.id)
                    .order_by(StockMovement.id.desc()).limit(history_limit))
    history = [HistoryRow(m.id, m.moved_at, m.movement_kind, m.quantity_delta, m.weight_delta, m.quantity_after,
                          m.weight_after, user or "system", location, m.reference, m.note)
               for m, user, location in session.execute(history_stmt)]
    total = session.scalar(select(func.count()).select_from(StockMovement).where(StockMovement.item_id == item.id))
    return ItemDetail(item=item, product=session.get(Product, item.product_id).name,
                      location=session.get(Location, item.location_id).name,
                      names={name: entries.get(getattr(item, name)) for name in _CATALOG_FIELDS},
                      created_by=creator.name if creator else "system",
                      image=image.data if image else None, image_mime=image.mime_type if image else None,
                      history=history, history_total=int(total or 0))


def history_frame(detail: ItemDetail) -> pd.DataFrame:
    """The movement history as a display table (signed changes and balance after, with the unit)."""
    symbol = detail.item.weight_unit
    rows = [{"When": row.moved_at, "Movement": row.kind.label, "Pieces": f"{row.quantity_delta:+d}",
             "Weight": ("+" if row.weight_delta >= 0 else "") + weight_text(row.weight_delta, symbol),
             "Pieces after": row.quantity_after, "Weight after": weight_text(row.weight_after, symbol),
             "Location": row.location, "By": row.user, "Reason / note": row.note, "Reference": row.reference}
            for row in detail.history]
    return pd.DataFrame.from_records(rows, columns=["When", "Movement", "Pieces", "Weight", "Pieces after",
                                                    "Weight after", "Location", "By", "Reason / note", "Reference"])


def fields_frame(detail: ItemDetail) -> pd.DataFrame:
    """Every field of the item as a two-column Field / Value table ("—" when empty)."""
    item, names = detail.item, detail.names
    rows = [("Tag ID", item.tag_id), ("Product", detail.product), ("Kind", item.kind.label),
            ("Finished type", names["finished_type_id"]), ("M&S type", names["ms_type_id"]),
            ("Shape", names["shape_id"]), ("Size", names["size_id"]), ("Colour", names["colour_id"]),
            ("Quality", names["quality_id"]), ("Location", detail.location),
            ("Created", item.created_at.strftime("%Y-%m-%d %H:%M")), ("Created by", detail.created_by),
            ("Notes", item.notes)]
    return pd.DataFrame([(label, value or "—") for label, value in rows], columns=["Field", "Value"])


def review_frame(data: NewItem, opts: Options) -> pd.DataFrame:
    """What the add wizard is about to add, as a Field / Value table of names (not ids)."""
    def name(kind: CatalogKind, value) -> str | None:
        return dict(opts.catalogs[kind]).get(value) if value is not None else None

    try:
        kind = InventoryKind(data.kind).label
    except ValueError:
        kind = None
    rows = [("Type", kind), ("Product", dict(opts.products).get(data.product_id)),
            ("Finished type", name(CatalogKind.FINISHED_TYPE, data.finished_type_id)),
            ("M&S type", name(CatalogKind.MS_TYPE, data.ms_type_id)), ("Shape", name(CatalogKind.SHAPE, data.shape_id)),
            ("Colour", name(CatalogKind.COLOUR, data.colour_id)), ("Size", name(CatalogKind.SIZE, data.size_id)),
            ("Quantity", data.quantity), ("Weight", f"{data.weight or '—'} {data.weight_unit or opts.default_unit}"),
            ("Quality", name(CatalogKind.QUALITY, data.quality_id)),
            ("Location", dict(opts.locations).get(data.location_id))]
    return pd.DataFrame([(label, "—" if value in (None, "") else str(value)) for label, value in rows],
                        columns=["Field", "Value"])


# ---------------------------------------------------------------------------
# Actions on one item
# ---------------------------------------------------------------------------

def _item_for_action(session: Session, actor: Actor, item_id: int, right: Right) -> InventoryItem:
    """Check the right, find the item in scope, lock it, and re-check its location under the lock."""
    actor.require(right)
    get_item_in_scope(session, actor=actor, item_id=item_id)
    item = ledger.lock_item(session, item_id)
    actor.require_location(item.location_id)
    if item.status is ItemStatus.ARCHIVED and right is not Right.ARCHIVE_INVENTORY:
        raise ValidationFailed(f"{item.tag_id} is archived; restore it first.")
    return item


def _reason(raw, field: str = "Reason") -> str:
    text = clean_text(raw, field, MAX_REASON) if raw is not None else ""
    if not text:
        raise ValidationFailed(f"{field} is required: say why the stock changes.")
    return text


def _as_validation(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except ValueError as error:
        raise ValidationFailed(str(error)) from None


EDITABLE_FIELDS = ("product_id", "kind", "finished_type_id", "ms_type_id", "shape_id", "size_id", "colour_id",
                   "quality_id", "notes")


def edit_attributes(session: Session, *, actor: Actor, item_id: int, changes: dict) -> InventoryItem:
    """Change an item's product, type or catalog attributes or notes; movements are restamped to match.

    Quantity and weight are changed by `adjust`, the location by `transfer`; the tag and unit never change.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(f"These fields cannot be edited here: {', '.join(sorted(unknown))}.")
    item = _item_for_action(session, actor, item_id, Right.EDIT_INVENTORY)
    cleaned, problems = _clean_edit(session, item, changes)
    if problems:
        raise ValidationFailed("The item was not changed: " + " ".join(f"{p}." for p in problems.values()),
                               list(problems.values()))
    old, new = audit.changed_fields(item, cleaned)
    if set(new) & set(ledger.CLASSIFICATION_FIELDS):
        session.flush()
        ledger.restamp_classification(session, item)
    if new:
        audit.record(session, actor_id=actor.user_id, action="edit item", entity="inventory_item",
                     entity_id=item.id, old=old, new=new)
    session.flush()
    return item


def _clean_edit(session: Session, item: InventoryItem, changes: dict) -> tuple[dict, dict[str, str]]:
    problems: dict[str, str] = {}
    values = {name: changes.get(name, getattr(item, name)) for name in EDITABLE_FIELDS}
    product = session.get(Product, int(values["product_id"])) if values["product_id"] is not None else None
    if product is None:
        problems["product_id"] = "Product: no such product"
    kind = _clean_value(problems, "kind", _kind, values["kind"])
    for name in _CATALOG_FIELDS:
        values[name] = _clean_value(problems, name, _check_catalog_id, session, name, values[name])
    values["notes"] = _clean_value(problems, "notes", clean_text, values["notes"], "Notes", MAX_NOTES)
    if problems:
        return {}, problems
    values["product_id"], values["kind"] = product.id, kind
    return _fit_types_to_kind(kind, values), {}


def adjust(session: Session, *, actor: Actor, item_id: int, quantity_delta=0, weight_delta=0,
           reason: str, reference: str = "") -> StockMovement:
    """A manual adjustment: signed changes of pieces and/or weight (item's unit) with a required reason."""
    quantity = _as_validation(lambda raw: parse_quantity(no_commas(raw, "Quantity change"), "Quantity change",
                                                         allow_negative=True), quantity_delta or 0)
    weight = _as_validation(lambda raw: parse_weight(raw, "Weight change",
                                                     allow_zero=True, allow_negative=True), weight_delta or 0)
    why = _reason(reason)
    ref = _as_validation(clean_text, reference, "Reference", 120)
    if quantity == 0 and weight == 0:
        raise ValidationFailed("The adjustment must change the pieces or the weight.")
    item = _item_for_action(session, actor, item_id, Right.ADJUST_INVENTORY)
    before = {"quantity": item.quantity, "weight": item.weight}
    movement = ledger.apply_change(session, item_id=item.id, user_id=actor.user_id,
                                   movement_kind=MovementKind.ADJUSTMENT, quantity_delta=quantity,
                                   weight_delta=weight, reference=ref, note=why)
    audit.record(session, actor_id=actor.user_id, action="adjust stock", entity="inventory_item",
                 entity_id=item.id, old=before,
                 new={"quantity": item.quantity, "weight": item.weight, "reason": why})
    return movement


@dataclass(frozen=True)
class TransferResult:
    source_tag: str
    whole: bool
    item_id: int  # the item now holding the moved stock (the same item for a whole transfer)
    tag_id: str


def _target_location(session: Session, actor: Actor, item: InventoryItem, to_location_id: int) -> Location:
    location = session.get(Location, to_location_id) if to_location_id is not None else None
    if location is None or not location.active:
        raise ValidationFailed("Transfer: choose an active target location.")
    actor.require_location(location.id)
    if location.id == item.location_id:
        raise ValidationFailed(f"{item.tag_id} is already at {location.name}.")
    return location


def transfer(session: Session, *, actor: Actor, item_id: int, to_location_id: int, quantity=None, weight=None,
             reference: str = "", note: str = "") -> TransferResult:
    """Move all of an item (quantity and weight both None, or equal to the balance) or part of it.

    A partial transfer creates a new item `<tag>-T<n>` at the target holding the moved part.
    """
    partial = quantity is not None or weight is not None
    pieces = (_as_validation(lambda raw: parse_quantity(no_commas(raw, "Pieces to move"), "Pieces to move"),
                             quantity or 0) if partial else None)
    grams_part = (_as_validation(lambda raw: parse_weight(raw, "Weight to move",
                                                          allow_zero=True), weight or 0) if partial else None)
    ref = _as_validation(clean_text, reference, "Reference", 100)
    text = _as_validation(clean_text, note, "Note", MAX_REASON)
    item = _item_for_action(session, actor, item_id, Right.TRANSFER_INVENTORY)
    location = _target_location(session, actor, item, to_location_id)
    source_location = item.location_id
    if not partial or (pieces == item.quantity and grams_part == Decimal(item.weight)):
        ledger.move_location(session, item_id=item.id, to_location_id=location.id, user_id=actor.user_id,
                             reference=ref, note=text)
        _audit_transfer(session, actor, item, source_location, location.id, item.tag_id)
        return TransferResult(item.tag_id, True, item.id, item.tag_id)
    if pieces == 0 and grams_part == 0:
        raise ValidationFailed("Transfer: enter the pieces and/or weight to move.")
    return _partial_transfer(session, actor, item, location, pieces, grams_part, ref, text)


def _partial_transfer(session: Session, actor: Actor, source: InventoryItem, location: Location, pieces: int,
                      weight: Decimal, reference: str, note: str) -> TransferResult:
    new_tag = tags.derived_tag(session, source.tag_id, "T")  # after the lock: numbers never collide
    source_location = source.location_id
    ledger.apply_change(session, item_id=source.id, user_id=actor.user_id, movement_kind=MovementKind.TRANSFER_OUT,
                        quantity_delta=-pieces, weight_delta=-weight, reference=reference or new_tag, note=note)
    part = InventoryItem(tag_id=new_tag, product_id=source.product_id, kind=source.kind, quantity=0,
                         weight=Decimal(0), weight_unit=source.weight_unit, weight_g=Decimal(0),
                         location_id=location.id, image_id=source.image_id,
                         status=ItemStatus.ON_HOLD if source.status is ItemStatus.ON_HOLD else ItemStatus.AVAILABLE,
                         notes=source.notes, created_by_id=actor.user_id,
                         **{name: getattr(source, name) for name in _CATALOG_FIELDS})
    session.add(part)
    session.flush()
    ledger.apply_change(session, item_id=part.id, user_id=actor.user_id, movement_kind=MovementKind.TRANSFER_IN,
                        quantity_delta=pieces, weight_delta=weight, reference=reference or source.tag_id, note=note)
    _audit_transfer(session, actor, source, source_location, location.id, new_tag, pieces, weight)
    return TransferResult(source.tag_id, False, part.id, new_tag)


def _audit_transfer(session, actor, item, from_id, to_id, tag, pieces=None, weight=None) -> None:
    new = {"from_location_id": from_id, "to_location_id": to_id, "tag_id": tag}
    if pieces is not None:
        new.update(quantity=pieces, weight=weight)
    audit.record(session, actor_id=actor.user_id, action="transfer item" if pieces is None else "split transfer",
                 entity="inventory_item", entity_id=item.id, new=new)


MANUAL_STATUSES = (ItemStatus.AVAILABLE, ItemStatus.ON_HOLD)


def set_status(session: Session, *, actor: Actor, item_id: int, status: ItemStatus | str) -> InventoryItem:
    """Put an item on hold or make it available again (Consumed and Archived have their own rules)."""
    try:
        status = ItemStatus(status)
    except ValueError:
        raise ValidationFailed(f"Unknown status {status!r}.") from None
    if status not in MANUAL_STATUSES:
        raise ValidationFailed(f"{status.label} is not set by hand: "
                               + ("use Archive." if status is ItemStatus.ARCHIVED
                                  else "an item becomes Consumed when its stock reaches zero."))
    item = _item_for_action(session, actor, item_id, Right.EDIT_INVENTORY)
    if item.status is ItemStatus.CONSUMED:
        raise ValidationFailed(f"{item.tag_id} holds no stock, so it stays Consumed until stock is added.")
    old, new = audit.changed_fields(item, {"status": status})
    if new:
        audit.record(session, actor_id=actor.user_id, action="change status", entity="inventory_item",
                     entity_id=item.id, old=old, new=new)
    session.flush()
    return item


def archive(session: Session, *, actor: Actor, item_id: int, reason: str) -> StockMovement | None:
    """Archive an item (never delete). Stock it still holds is written off first, with the reason."""
    why = _reason(reason)
    item = _item_for_action(session, actor, item_id, Right.ARCHIVE_INVENTORY)
    if item.status is ItemStatus.ARCHIVED:
        raise ValidationFailed(f"{item.tag_id} is already archived.")
    movement = None
    if item.quantity or item.weight:
        movement = ledger.apply_change(session, item_id=item.id, user_id=actor.user_id,
                                       movement_kind=MovementKind.WRITE_OFF, quantity_delta=-item.quantity,
                                       weight_delta=-Decimal(item.weight), reference="archive", note=why)
    old, new = audit.changed_fields(item, {"status": ItemStatus.ARCHIVED})
    audit.record(session, actor_id=actor.user_id, action="archive item", entity="inventory_item",
                 entity_id=item.id, old=old, new={**new, "reason": why})
    session.flush()
    return movement


def restore(session: Session, *, actor: Actor, item_id: int) -> InventoryItem:
    """Bring an archived item back: Available when it holds stock, Consumed when empty."""
    item = _item_for_action(session, actor, item_id, Right.ARCHIVE_INVENTORY)
    if item.status is not ItemStatus.ARCHIVED:
        raise ValidationFailed(f"{item.tag_id} is not archived.")
    status = ItemStatus.AVAILABLE if item.quantity or item.weight else ItemStatus.CONSUMED
    old, new = audit.changed_fields(item, {"status": status})
    audit.record(session, actor_id=actor.user_id, action="restore item", entity="inventory_item",
                 entity_id=item.id, old=old, new=new)
    session.flush()
    return item


def set_photo(session: Session, *, actor: Actor, item_id: int, image: bytes) -> InventoryItem:
    """Replace an item's photo (edit right); the old picture stays stored for other items using it."""
    checked = images.check_image(image)
    item = _item_for_action(session, actor, item_id, Right.EDIT_INVENTORY)
    image_id = images.store_image(session, checked=checked, user_id=actor.user_id).id
    old, new = audit.changed_fields(item, {"image_id": image_id})
    if new:
        audit.record(session, actor_id=actor.user_id, action="change photo", entity="inventory_item",
                     entity_id=item.id, old=old, new=new)
    session.flush()
    return item


def find_by_tag(session: Session, *, actor: Actor, tag_id: str) -> int:
    """The id of the item with exactly this tag (case-insensitive) in the actor's scope; NotFound otherwise."""
    actor.require(Right.VIEW_INVENTORY)
    item_id = session.scalar(select(InventoryItem.id).where(InventoryItem.tag_id == (tag_id or "").strip().upper()))
    if item_id is None:
        raise NotFound(f"No item with tag {tag_id!r} in your locations.")
    return get_item_in_scope(session, actor=actor, item_id=item_id).id


def can(actor: Actor, action: str) -> tuple[bool, str]:
    """Whether the actor may take an item action, and the sentence saying why not."""
    right = ACTION_RIGHTS[action]
    try:
        actor.require(right)
    except PermissionDenied as error:
        return False, str(error)
    return True, ""


ACTION_RIGHTS = {"edit": Right.EDIT_INVENTORY, "adjust": Right.ADJUST_INVENTORY,
                 "transfer": Right.TRANSFER_INVENTORY, "status": Right.EDIT_INVENTORY,
                 "archive": Right.ARCHIVE_INVENTORY, "photo": Right.EDIT_INVENTORY}
