"""Inventory import from CSV, XLS or XLSX (reference 3.2.4; admins only): check every row, then write all or none.

Flow: `sheets.read_sheet` parses one sheet within the per-file limits;
`preview` checks every row in memory against lookups loaded once (products,
catalog values, units, locations, tags already in use) and lists all problems
of all rows at once without writing; `commit` checks again inside the write
transaction and writes every row in bulk, or raises and writes none.

Columns (`sheets.COLUMNS`; headers matched ignoring case and punctuation, the
Inventory export's own headers included): Product and Weight are required;
Tag ID, Kind (or Type; default Finished), Finished type, M&S type, Shape, Size,
Colour (or Color), Quality, Quantity, Weight unit (default: the workspace
unit), Location (default: the importer's own location, or the only active
one), Status, Created and Notes are optional. Values follow the Add form's
rules (`lib.inventory.forms`, `lib.units.parse_weight`); every message names
the file's own header ("Colour 'Z' is not in the colour catalog").

Decisions where the reference is silent (also in docs/inventory.md):

- Tag ID: a typed tag is kept when it is valid and new; one that exists is a
  problem of its row (an import never changes existing records), and so is a
  tag repeated within the file. Empty: the next regular tags, reserved as one
  block per prefix.
- Status: empty or Available imports stock; On hold imports stock on hold;
  Consumed and Archived re-create a record that holds nothing (quantity and
  weight 0), as the export writes such records. Created: a date (noon UTC) or
  date and time (UTC), never in the future; empty means now. The opening
  movement is dated when the import runs.
- Auto-merge (optional) merges a row into a matching Available or Consumed
  record (`lib.inventory.stock`), rows of one file into each other too, as a
  MERGE movement. A row with a Tag ID or a Status describes one record and is
  never merged.
- Create missing products and catalog values (admins; off by default): the
  preview lists every product and every catalog value that would be created,
  with how many rows use it, and each new product's short name derived by
  `lib.names.derive_short_name`. They are created, audited, in the same
  transaction as the rows. Off, an unknown name is a problem of its row.
- Audit: one entry per created product, catalog value and item (bulk
  inserted), one per merge, and one "import file" entry with the counts.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib import audit, tags
from lib.access import Actor, Right, visible_locations
from lib.classification import ATTRIBUTES, BY_KEY, Attribute
from lib.errors import ValidationFailed
from lib.inventory import forms, stock_import
from lib.inventory.sheets import (
    COLUMNS,
    DEFAULT_LIMITS,
    FILE_TYPES,
    REQUIRED,
    Limits,
    Progress,
    Sheet,
    headers_in_order,
    normalise_header,
    read_sheet,
    sheet_names,
)
from lib.models import CatalogEntry, CatalogKind, InventoryItem, InventoryKind, ItemStatus, Location, Product, utcnow
from lib.names import clean_name, derive_short_name
from lib.units import UNIT_SYMBOLS, WEIGHT_UNITS, parse_weight
from lib.workspace.settings import default_weight_unit

__all__ = ["COLUMNS", "REQUIRED", "FILE_TYPES", "DEFAULT_LIMITS", "Limits", "Sheet", "read_sheet", "sheet_names",
           "preview", "commit", "template", "Preview", "ImportResult"]

_KINDS = {normalise_header(kind.label): kind for kind in InventoryKind} | {
    kind.value: kind for kind in InventoryKind} | {
    "materialsandsupplies": InventoryKind.MATERIALS, "ms": InventoryKind.MATERIALS, "supplies": InventoryKind.MATERIALS}
_STATUSES = {normalise_header(status.label): status for status in ItemStatus} | {
    normalise_header(status.value): status for status in ItemStatus}
_EMPTY_STATUSES = (ItemStatus.CONSUMED, ItemStatus.ARCHIVED)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NOT_NEW = "an import never changes existing records; leave it empty to get a new tag"


def catalog_noun(attribute: Attribute) -> str:
    """How a message names an attribute's catalog: "colour", "finished type", "M&S type"."""
    return attribute.label if attribute.label[:2].isupper() else attribute.label.lower()


# ---------------------------------------------------------------------------
# Lookups, loaded once per check
# ---------------------------------------------------------------------------

@dataclass
class _Lookups:
    default_unit: str
    products: dict[str, Product]  # lower-cased name or short name -> product (a full name wins)
    catalogs: dict[tuple[CatalogKind, str], int]
    locations: dict[str, Location]  # lower-cased name or short name -> active location
    default_location: int | None
    taken_tags: set[str]
    short_names: set[str]  # every product short name, upper-cased (only loaded to name new products)
    units: dict[str, str]

    @classmethod
    def load(cls, session: Session, actor: Actor, sheet: Sheet, create_missing: bool) -> "_Lookups":
        def distinct(key: str) -> list[str]:
            return sorted({values[key].lower() for _number, values in sheet.rows if values.get(key)})

        products: dict[str, Product] = {}
        wanted = distinct("product")
        found = session.scalars(select(Product).where(
            Product.name_key.in_(wanted) | func.lower(Product.short_name).in_(wanted))).all() if wanted else []
        for product in sorted(found, key=lambda p: p.id):
            products.setdefault(product.short_name.strip().lower(), product)
        for product in found:
            products[product.name_key] = product
        names = sorted({name for a in ATTRIBUTES for name in distinct(a.key)})
        catalogs = {(catalog, key): entry_id for catalog, key, entry_id in session.execute(
            select(CatalogEntry.catalog, CatalogEntry.name_key, CatalogEntry.id)
            .where(CatalogEntry.name_key.in_(names)))} if names else {}
        active = session.scalars(select(Location).where(Location.active.is_(True)).order_by(Location.id)).all()
        locations: dict[str, Location] = {}
        for location in active:
            locations.setdefault(location.short_name.strip().lower(), location)
        for location in active:
            locations[location.name.strip().lower()] = location
        default = actor.home_location_id if actor.home_location_id is not None else (
            active[0].id if len(active) == 1 else None)
        typed = sorted({tag for tag in (_tag_value(values.get("tag_id", "")) for _n, values in sheet.rows) if tag})
        taken = set(session.scalars(select(InventoryItem.tag_id).where(InventoryItem.tag_id.in_(typed)))) if typed \
            else set()
        short_names = {short.upper() for short in session.scalars(select(Product.short_name))} if create_missing \
            else set()
        units = {}
        for weight_unit in WEIGHT_UNITS:
            for name in (weight_unit.symbol, weight_unit.name.lower(), weight_unit.name.lower() + "s"):
                units[name] = weight_unit.symbol
        return cls(default_weight_unit(session), products, catalogs, locations, default, taken,
                   short_names, units)


def _tag_value(text: str) -> str | None:
    try:
        return tags.validate_tag(text) if text else None
    except ValidationFailed:
        return None


# ---------------------------------------------------------------------------
# The preview
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class NewProduct:
    """A product the import would create."""

    name: str
    short_name: str
    rows: int


@dataclass(frozen=True)
class NewValue:
    """A catalog value the import would create."""

    attribute: str  # attribute key, e.g. "colour"
    name: str
    rows: int

    @property
    def catalog(self) -> CatalogKind:
        return BY_KEY[self.attribute].catalog


@dataclass
class Draft:
    """A row whose every value passed its check. Names the import would create are their lower-cased
    names (str) where an existing row would have its id (int)."""

    product: Product | str
    kind: InventoryKind
    quantity: int
    weight: Decimal
    weight_unit: str
    location_id: int
    classification: dict[str, int | str | None]
    notes: str
    created_at: datetime | None
    tag_id: str
    status: ItemStatus
    auto_merge: bool

    def checked(self, products: dict[str, Product], values: dict[tuple[str, str], int]) -> forms.CheckedItem:
        """The row as the stock actions take it, new names replaced by what was created."""
        product = products[self.product] if isinstance(self.product, str) else self.product
        classification = {name: values[(name, value)] if isinstance(value, str) else value
                          for name, value in self.classification.items()}
        return forms.CheckedItem(product=product, kind=self.kind, quantity=self.quantity, weight=self.weight,
                                 weight_unit=self.weight_unit, location_id=self.location_id,
                                 classification=classification, notes=self.notes,
                                 created_at=self.created_at or utcnow(), tag_id=self.tag_id,
                                 auto_merge=self.auto_merge)


@dataclass
class PreviewRow:
    number: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)
    draft: Draft | None = None


@dataclass
class Preview:
    sheet: Sheet
    rows: list[PreviewRow]
    auto_merge: bool
    create_missing: bool = False
    new_products: tuple[NewProduct, ...] = ()
    new_values: tuple[NewValue, ...] = ()
    unknown_names: int = 0  # product and catalog names not found (each a row problem unless create_missing)

    @property
    def ok(self) -> bool:
        return all(not row.problems for row in self.rows)

    @property
    def bad_rows(self) -> int:
        return sum(1 for row in self.rows if row.problems)

    @property
    def problems(self) -> list[str]:
        """Every problem of every row, as "Row n: …" sentences."""
        return [f"Row {row.number}: {problem}" for row in self.rows for problem in row.problems]

    def frame(self) -> pd.DataFrame:
        """The preview table: Problems first, then the row number and every column as the file has it."""
        keys = headers_in_order(self.sheet.columns)
        headers = [self.sheet.columns[key] for key in keys]
        records = [["; ".join(row.problems) or "OK", row.number, *(row.values.get(key, "") for key in keys)]
                   for row in self.rows]
        return pd.DataFrame.from_records(records, columns=["Problems", "Row", *headers])

    def creations_frame(self) -> pd.DataFrame:
        """What "Create missing products and catalog values" would create, with how many rows use each."""
        records = [["Product", product.name, product.short_name, product.rows] for product in self.new_products]
        records += [[BY_KEY[value.attribute].label, value.name, "", value.rows] for value in self.new_values]
        return pd.DataFrame.from_records(records, columns=["Creates", "Name", "Short name", "Rows"])


class _Plan:
    """New products and catalog values named by the rows, in order of first use, with their row counts."""

    def __init__(self, lookups: _Lookups):
        self.lookups = lookups
        self.products: dict[str, list] = {}  # name key -> [name, rows]
        self.values: dict[tuple[str, str], list] = {}  # (attribute key, name key) -> [name, rows]

    def product(self, name: str) -> str:
        key = name.lower()
        self.products.setdefault(key, [name, 0])[1] += 1
        return key

    def value(self, attribute: Attribute, name: str) -> str:
        key = name.lower()
        self.values.setdefault((attribute.field, key), [name, 0])[1] += 1
        return key

    def new_products(self) -> tuple[NewProduct, ...]:
        taken, found = set(self.lookups.short_names), []
        for name, rows in self.products.values():
            short = derive_short_name(name, taken)
            taken.add(short)
            found.append(NewProduct(name, short, rows))
        return tuple(found)

    def new_values(self) -> tuple[NewValue, ...]:
        return tuple(NewValue(BY_KEY_FIELD[field_name].key, name, rows)
                     for (field_name, _key), (name, rows) in self.values.items())


BY_KEY_FIELD = {attribute.field: attribute for attribute in ATTRIBUTES}


class _RowCheck:
    """Checks one row's values in memory and collects its problems, each naming the file's own header."""

    def __init__(self, sheet: Sheet, lookups: _Lookups, actor: Actor, plan: _Plan | None, auto_merge: bool,
                 now: datetime):
        self.sheet, self.lookups, self.actor, self.plan, self.auto_merge, self.now = (
            sheet, lookups, actor, plan, auto_merge, now)
        self.first_row_of_tag: dict[str, int] = {}
        self.unknown_names = 0

    def __call__(self, number: int, values: dict[str, str]) -> PreviewRow:
        self.formulas = self.sheet.formulas.get(number, ())
        self.problems = [f"{self.header(key)} is a formula; put the value itself in the cell" for key in self.formulas]
        self.values = values
        product = self._product()
        kind = self._kind()
        classification = {attribute.field: self._attribute(attribute, kind) for attribute in ATTRIBUTES}
        status = self._status()
        quantity, weight = self._amounts(kind, status)
        unit = self._unit()
        location_id = self._location()
        notes = self._parse("notes", forms.clean_text, self.header("notes"), forms.MAX_NOTES)
        created = self._created()
        tag = self._tag(number)
        draft = None
        if not self.problems:
            draft = Draft(product=product, kind=kind, quantity=quantity, weight=weight, weight_unit=unit,
                          location_id=location_id, classification=classification, notes=notes or "",
                          created_at=created, tag_id=tag, status=status or ItemStatus.AVAILABLE,
                          auto_merge=self.auto_merge and not tag and status in (None, ItemStatus.AVAILABLE))
        return PreviewRow(number, values, self.problems, draft)

    def header(self, key: str) -> str:
        return self.sheet.header(key)

    def text(self, key: str) -> str:
        """The cell's text ("" for a formula, which is already a problem)."""
        return "" if key in self.formulas else self.values.get(key, "")

    def missing(self, key: str) -> bool:
        """A required cell that is empty (a formula is reported as such instead)."""
        return not self.text(key) and key not in self.formulas

    def _parse(self, key: str, parser: Callable, *args):
        try:
            return parser(self.text(key), *args)
        except ValueError as error:
            self.problems.append(str(error))
            return None

    def _product(self) -> Product | str | None:
        name, header = self.text("product"), self.header("product")
        if not name:
            if self.missing("product"):
                self.problems.append(f"{header} is required")
            return None
        product = self.lookups.products.get(name.lower())
        if product is not None:
            if not product.active:
                self.problems.append(f"{header} {product.name!r} is inactive")
                return None
            return product
        self.unknown_names += 1
        if self.plan is None:
            self.problems.append(f"{header} {name!r} is not in the catalog")
            return None
        try:
            return self.plan.product(clean_name(name, header))
        except ValidationFailed as error:
            self.problems.append(str(error).rstrip("."))
            return None

    def _kind(self) -> InventoryKind | None:
        text = self.text("type")
        if not text:
            return InventoryKind.FINISHED
        kind = _KINDS.get(normalise_header(text))
        if kind is None:
            self.problems.append(f"{self.header('type')} {text!r} is unknown; use "
                                 + ", ".join(k.label for k in InventoryKind))
        return kind

    def _attribute(self, attribute: Attribute, kind: InventoryKind | None) -> int | str | None:
        name, header = self.text(attribute.key), self.header(attribute.key)
        if not name:
            return None
        if kind is not None and not attribute.applies_to(kind):
            self.problems.append(f"{header} is only for items of kind "
                                 + " or ".join(k.label for k in attribute.kinds))
            return None
        entry_id = self.lookups.catalogs.get((attribute.catalog, name.lower()))
        if entry_id is not None:
            return entry_id
        self.unknown_names += 1
        if self.plan is None:
            self.problems.append(f"{header} {name!r} is not in the {catalog_noun(attribute)} catalog")
            return None
        try:
            return self.plan.value(attribute, clean_name(name, header))
        except ValidationFailed as error:
            self.problems.append(str(error).rstrip("."))
            return None

    def _status(self) -> ItemStatus | None:
        text = self.text("status")
        if not text:
            return None
        status = _STATUSES.get(normalise_header(text))
        if status is None:
            self.problems.append(f"{self.header('status')} {text!r} is unknown; use "
                                 + ", ".join(s.label for s in ItemStatus) + " (or leave it empty)")
        return status

    def _amounts(self, kind: InventoryKind | None, status: ItemStatus | None) -> tuple[int | None, Decimal | None]:
        empty = status in _EMPTY_STATUSES
        weight = None
        if self.missing("weight"):
            self.problems.append(f"{self.header('weight')} is required")
        elif self.text("weight"):
            weight = self._parse("weight", parse_weight, self.header("weight"), empty)
        default = 1 if kind is InventoryKind.FINISHED and not empty else 0
        quantity = self._parse("quantity", forms.parse_quantity, self.header("quantity")) \
            if self.text("quantity") else default
        if empty and (quantity or weight):
            self.problems.append(
                f"{self.header('status')} {status.label}: such a record holds no stock, so "
                f"{self.header('quantity')} and {self.header('weight')} must be 0 "
                f"(leave {self.header('status')} empty to import stock)")
        return quantity, weight

    def _unit(self) -> str:
        text = self.text("weight_unit")
        if not text:
            return self.lookups.default_unit
        symbol = self.lookups.units.get(text.lower())
        if symbol is None:
            self.problems.append(f"{self.header('weight_unit')} {text!r} is unknown; use one of "
                                 + ", ".join(UNIT_SYMBOLS))
        return symbol

    def _location(self) -> int | None:
        name, header = self.text("location"), self.header("location")
        if not name:
            if self.lookups.default_location is None:
                self.problems.append(f"{header} is required (you have no own location)")
            return self.lookups.default_location
        location = self.lookups.locations.get(name.lower())
        if location is None:
            self.problems.append(f"{header} {name!r} is unknown or inactive")
            return None
        if not self.actor.can_see_location(location.id):
            self.problems.append(f"{header} {location.name!r} is outside the locations you work with")
            return None
        return location.id

    def _created(self) -> datetime | None:
        text, header = self.text("created"), self.header("created")
        if not text:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            self.problems.append(f"{header} {text!r} is not a date; write it as YYYY-MM-DD or YYYY-MM-DD HH:MM (UTC)")
            return None
        if _DATE_ONLY.match(text):
            try:
                return forms.created_at(value.date())
            except ValueError:
                self.problems.append(f"{header} {text!r} cannot be in the future")
                return None
        value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        if value > self.now + timedelta(minutes=1):
            self.problems.append(f"{header} {text!r} cannot be in the future")
            return None
        return value

    def _tag(self, number: int) -> str:
        text, header = self.text("tag_id"), self.header("tag_id")
        if not text:
            return ""
        tag = _tag_value(text)
        if tag is None:
            self.problems.append(f"{header} {text!r} may only use letters A-Z, digits and dashes, "
                                 f"at most {tags.MAX_TAG_LENGTH} characters")
            return ""
        if tag in self.lookups.taken_tags:
            self.problems.append(f"{header} {tag} is already in use; {_NOT_NEW}" if self.actor.sees_all_locations
                                 else f"{header} {tag} cannot be used; {_NOT_NEW}")
        elif tag in self.first_row_of_tag:
            self.problems.append(f"{header} {tag} is also in row {self.first_row_of_tag[tag]}; each tag once")
        else:
            self.first_row_of_tag[tag] = number
        return tag


def preview(session: Session, *, actor: Actor, sheet: Sheet, auto_merge: bool = False, create_missing: bool = False,
            progress: Progress | None = None) -> Preview:
    """Check every row of `sheet` in memory; nothing is written. `Preview.ok` says whether it can be imported.

    With `create_missing` (admins: Right.MANAGE_PRODUCTS too), unknown products and
    catalog values are planned (`Preview.new_products`, `Preview.new_values`) instead of being problems.
    """
    actor.require(Right.IMPORT_INVENTORY)
    if create_missing:
        actor.require(Right.MANAGE_PRODUCTS)
    report = progress or (lambda _done, _text: None)
    lookups = _Lookups.load(session, actor, sheet, create_missing)
    plan = _Plan(lookups) if create_missing else None
    check = _RowCheck(sheet, lookups, actor, plan, auto_merge, utcnow())
    rows = []
    for index, (number, values) in enumerate(sheet.rows):
        rows.append(check(number, values))
        if index % 250 == 0:
            report(index / len(sheet.rows), f"Checking row {index + 1:,} of {len(sheet.rows):,}")
    report(1.0, f"Checked {len(rows):,} rows")
    if plan is None:
        return Preview(sheet, rows, auto_merge, unknown_names=check.unknown_names)
    return Preview(sheet, rows, auto_merge, True, plan.new_products(), plan.new_values(), check.unknown_names)


# ---------------------------------------------------------------------------
# Commit
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportResult:
    added: int
    merged: int
    tags: tuple[str, ...]
    created_products: int = 0
    created_values: int = 0
    notes: tuple[str, ...] = ()  # e.g. rows that could not be merged exactly


def commit(session: Session, *, actor: Actor, sheet: Sheet, auto_merge: bool = False, create_missing: bool = False,
           progress: Progress | None = None) -> ImportResult:
    """Check again and write every row in the caller's transaction, or raise ValidationFailed and write none.

    Missing products and catalog values are created first when asked (audited);
    then `stock_import.import_rows` writes the items in bulk and the merges.
    """
    report = progress or (lambda _done, _text: None)
    checked = preview(session, actor=actor, sheet=sheet, auto_merge=auto_merge, create_missing=create_missing,
                      progress=lambda done, text: report(0.3 * done, text))
    if not checked.ok:
        problems = checked.problems
        count = len(problems)
        raise ValidationFailed(f"Nothing was imported: {count:,} problem{'' if count == 1 else 's'} in {sheet.where}.",
                               problems)
    where = sheet.file_name + (f" / {sheet.sheet_name}" if sheet.sheet_name else "")
    report(0.35, "Creating missing products and catalog values" if create_missing else "Writing")
    products, values = _create_missing(session, actor, checked, where)
    rows = [stock_import.ImportRow(clean=row.draft.checked(products, values), status=row.draft.status,
                            reference=f"import {where} row {row.number}"[:120]) for row in checked.rows]
    written = stock_import.import_rows(session, actor=actor, rows=rows,
                                progress=lambda done, text: report(0.4 + 0.6 * done, text))
    added = sum(not row.merged for row in written)
    result = ImportResult(added, len(written) - added, tuple(row.tag_id for row in written), len(products),
                          len(values), tuple(f"Row {row.number}: {w.note}" for row, w in zip(checked.rows, written)
                                             if w.note))
    audit.record(session, actor_id=actor.user_id, action="import file", entity="import", new={
        "file": where, "rows": len(rows), "added": result.added, "merged": result.merged,
        "created_products": result.created_products, "created_values": result.created_values})
    report(1.0, f"Imported {len(rows):,} rows")
    return result


def _create_missing(session: Session, actor: Actor, checked: Preview,
                    where: str) -> tuple[dict[str, Product], dict[tuple[str, str], int]]:
    """Create the planned products and catalog values (admins only), audited; their rows by lower-cased name."""
    if not checked.new_products and not checked.new_values:
        return {}, {}
    actor.require(Right.MANAGE_PRODUCTS)
    products = [Product(name=new.name, name_key=new.name.lower(), short_name=new.short_name, active=True)
                for new in checked.new_products]
    orders = dict(session.execute(select(CatalogEntry.catalog, func.max(CatalogEntry.sort_order))
                                  .group_by(CatalogEntry.catalog)).tuples().all())
    entries = []
    for new in checked.new_values:
        orders[new.catalog] = (orders.get(new.catalog) if orders.get(new.catalog) is not None else -1) + 1
        entries.append({"catalog": new.catalog, "name": new.name, "name_key": new.name.lower(), "group_name": None,
                        "sort_order": orders[new.catalog], "active": True})
    try:
        with session.begin_nested():
            session.add_all(products)
            session.flush()
            entry_ids = list(session.scalars(insert(CatalogEntry).returning(
                CatalogEntry.id, sort_by_parameter_order=True), entries)) if entries else []
    except IntegrityError:
        raise ValidationFailed("Someone created one of these products or catalog values a moment ago; nothing was "
                               "imported. Check the file again and confirm.") from None
    source = f"import {where}"
    audit.record_many(session, actor_id=actor.user_id, entries=[
        *({"action": "add product", "entity": "product", "entity_id": product.id,
           "new": {"name": product.name, "short_name": product.short_name, "product_type_id": None, "active": True,
                   "source": source}} for product in products),
        *({"action": "add catalog entry", "entity": "catalog_entry", "entity_id": entry_id,
           "new": {"catalog": entry["catalog"], "name": entry["name"], "group_name": None, "active": True,
                   "source": source}} for entry_id, entry in zip(entry_ids, entries))])
    return ({product.name_key: product for product in products},
            {(BY_KEY[new.attribute].field, new.name.lower()): entry_id
             for new, entry_id in zip(checked.new_values, entry_ids)})


# ---------------------------------------------------------------------------
# The template
# ---------------------------------------------------------------------------

COLUMN_HELP = {
    "tag_id": "Optional. Leave empty for the next tag; a typed tag must be new (letters, digits, dashes).",
    "product": "Required. A product's name or short name.",
    "type": "Finished (default), Rough or Materials & Supplies.",
    "finished_type": "Finished items only.",
    "ms_type": "Materials & Supplies only.",
    "quantity": "Whole pieces. Default: 1 for Finished, 0 otherwise.",
    "weight": "Required. A plain number such as 12.5: digits and one point, at most 4 decimals.",
    "weight_unit": "A unit symbol or name (ct, g, ozt …). Default: the workspace unit.",
    "location": "A location's name or short name. Default: your own location.",
    "status": "Empty or Available, On hold; Consumed and Archived need quantity and weight 0.",
    "created": "YYYY-MM-DD or YYYY-MM-DD HH:MM (UTC); not in the future. Default: now.",
    "notes": "Free text, at most 2,000 characters.",
}


def _allowed_values(session: Session, actor: Actor) -> dict[str, list[str]]:
    """Each column with a fixed vocabulary and the values it allows now (active entries, your locations)."""
    entries = session.execute(select(CatalogEntry.catalog, CatalogEntry.name).where(CatalogEntry.active.is_(True))
                              .order_by(CatalogEntry.catalog, CatalogEntry.sort_order, CatalogEntry.name)).all()
    by_catalog: dict[CatalogKind, list[str]] = {}
    for catalog, name in entries:
        by_catalog.setdefault(catalog, []).append(name)
    return {
        "Product": list(session.scalars(select(Product.name).where(Product.active.is_(True)).order_by(Product.name))),
        "Kind": [kind.label for kind in InventoryKind],
        **{attribute.label: by_catalog.get(attribute.catalog, []) for attribute in ATTRIBUTES},
        "Weight unit": list(UNIT_SYMBOLS),
        "Location": [location.name for location in visible_locations(session, actor=actor)],
        "Status": [status.label for status in ItemStatus],
    }


@dataclass(frozen=True)
class TemplateFile:
    data: bytes
    filename: str
    mime_type: str


def template(session: Session, *, actor: Actor, fmt: str) -> TemplateFile:
    """An empty import file with every column the importer reads, as CSV or XLSX.

    The XLSX has the header row on its first sheet ("Inventory", the one the
    importer reads first), a second sheet "Allowed values" listing the values
    of each catalog, unit, location and status you may use now, and a third
    sheet "Columns" saying what each column takes.
    """
    actor.require(Right.IMPORT_INVENTORY)
    headers = [column.header for column in COLUMNS]
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerow(headers)
        return TemplateFile(buffer.getvalue().encode("utf-8"), "inventory-import-template.csv", "text/csv")
    if fmt != "xlsx":
        raise ValueError(f"Unknown template format {fmt!r}; use csv or xlsx")
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    allowed = _allowed_values(session, actor)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Inventory"
    sheet.append(headers)
    values = workbook.create_sheet("Allowed values")
    values.append(list(allowed))
    for row in range(max((len(v) for v in allowed.values()), default=0)):
        values.append([column[row] if row < len(column) else None for column in allowed.values()])
    for index, (name, column) in enumerate(allowed.items(), start=1):
        letter = get_column_letter(index)
        values.column_dimensions[letter].width = max(14, min(40, max((len(v) for v in column), default=0) + 2))
        if name in headers and column:  # a drop-down that still accepts new values (see "create missing")
            target = get_column_letter(headers.index(name) + 1)
            choice = DataValidation(type="list", formula1=f"'Allowed values'!${letter}$2:${letter}${len(column) + 1}",
                                    allow_blank=True, showErrorMessage=False)
            choice.add(f"{target}2:{target}10001")
            sheet.add_data_validation(choice)
    guide = workbook.create_sheet("Columns")
    guide.append(["Column", "What to write"])
    for column in COLUMNS:
        guide.append([column.header, COLUMN_HELP.get(column.key) or f"Optional. A value of the "
                      f"{catalog_noun(BY_KEY[column.key])} catalog (see Allowed values)."])
    guide.column_dimensions["A"].width, guide.column_dimensions["B"].width = 16, 90
    for worksheet in (sheet, values, guide):
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        worksheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(header) + 4)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return TemplateFile(buffer.getvalue(), "inventory-import-template.xlsx",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
