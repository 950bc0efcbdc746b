"""Inventory import from CSV, XLS or XLSX (reference 3.2.4; admins only).

Flow: `read_sheet` parses one sheet (file at most 10 MB, at most 2,000 data
rows per sheet; a workbook's sheets are listed by `sheet_names`); `preview`
checks every row and lists all of its problems at once (unknown product,
catalog name, unit or location, bad number, location outside the importer's
scope …) without writing; `commit` checks again inside the write
transaction and writes every row, or raises and writes none.

Columns (headers matched ignoring case, spaces, dashes and underscores):
Product and Weight are required; Type (default Finished), Finished Type,
M&S Type, Quantity, Weight Unit (default: the workspace unit), Quality, Location
(default: the importer's own location, or the only active one), Color/Colour,
Shape, Size and Notes are optional. Other columns are reported and ignored.
Completely empty rows are skipped. Row numbers are the spreadsheet's (the
header is row 1). Values are validated by the same rules as the Add form
(`lib.inventory.forms`); each row becomes an IMPORT movement, or a MERGE movement
when auto-merge finds a matching record (rows of the same file can merge into
each other).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.access import Actor, Right
from lib.classification import ATTRIBUTES
from lib.errors import ValidationFailed
from lib.inventory import forms, stock
from lib.models import CatalogEntry, CatalogKind, InventoryKind, Location, Product
from lib.units import WEIGHT_UNITS

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 2000
FILE_TYPES = ("csv", "xls", "xlsx")

COLUMNS = {  # canonical key -> header shown in messages
    "product": "Product", "weight": "Weight", "type": "Type", "finished_type": "Finished Type",
    "ms_type": "M&S Type", "quantity": "Quantity", "weight_unit": "Weight Unit", "quality": "Quality",
    "location": "Location", "colour": "Color", "shape": "Shape", "size": "Size", "notes": "Notes",
}
REQUIRED = ("product", "weight")
_ALIASES = {
    "product": "product", "productname": "product", "weight": "weight", "type": "type",
    "inventorytype": "type", "finishedtype": "finished_type", "mstype": "ms_type", "mandstype": "ms_type",
    "materialsandsuppliestype": "ms_type", "quantity": "quantity", "qty": "quantity",
    "pieces": "quantity", "weightunit": "weight_unit", "unit": "weight_unit", "quality": "quality",
    "location": "location", "color": "colour", "colour": "colour", "shape": "shape", "size": "size",
    "notes": "notes", "note": "notes",
}
_KINDS = {
    "finished": InventoryKind.FINISHED, "rough": InventoryKind.ROUGH, "materials": InventoryKind.MATERIALS,
    "materialsandsupplies": InventoryKind.MATERIALS, "materialssupplies": InventoryKind.MATERIALS,
    "ms": InventoryKind.MATERIALS, "supplies": InventoryKind.MATERIALS,
}
_CATALOG_COLUMNS = {attribute.key: attribute.catalog for attribute in ATTRIBUTES}


def normalise_header(text) -> str:
    """Header key ignoring case, spaces, dashes, underscores and other punctuation."""
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


@dataclass(frozen=True)
class Sheet:
    """One parsed sheet: rows as {canonical column: text}, with spreadsheet row numbers."""

    file_name: str
    sheet_name: str | None
    columns: dict[str, str]  # canonical -> header as written
    ignored_columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]


def _extension(file_name: str) -> str:
    return PurePath(file_name or "").suffix.lower().lstrip(".")


def _check_file(file_name: str, data: bytes) -> str:
    ext = _extension(file_name)
    if ext not in FILE_TYPES:
        raise ValidationFailed(f"{file_name or 'The file'}: use a CSV, XLS or XLSX file.")
    if not data:
        raise ValidationFailed(f"{file_name}: the file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed(f"{file_name}: {len(data) / 1024 / 1024:.1f} MB is over the 10 MB limit.")
    return ext


def _engine(ext: str) -> str:
    return "xlrd" if ext == "xls" else "openpyxl"


def sheet_names(file_name: str, data: bytes) -> list[str]:
    """The worksheets of an XLS/XLSX file (empty list for CSV)."""
    ext = _check_file(file_name, data)
    if ext == "csv":
        return []
    try:
        with pd.ExcelFile(io.BytesIO(data), engine=_engine(ext)) as workbook:
            return [str(name) for name in workbook.sheet_names]
    except Exception as error:  # any parser failure means "not a readable workbook"
        raise ValidationFailed(f"{file_name}: could not be read as {ext.upper()} ({_short(error)}).") from None


def _short(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:160]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _read_frame(file_name: str, data: bytes, ext: str, sheet: str | None) -> pd.DataFrame:
    try:
        if ext == "csv":
            text = _decode(data)
            try:
                delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
            except csv.Error:
                delimiter = ","
            return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                               skip_blank_lines=True)
        return pd.read_excel(io.BytesIO(data), sheet_name=sheet or 0, dtype=str, keep_default_na=False,
                             engine=_engine(ext))
    except pd.errors.EmptyDataError:
        raise ValidationFailed(f"{file_name}: the file has no header row.") from None
    except Exception as error:  # any parser failure means "not a readable file of this type"
        raise ValidationFailed(f"{file_name}: could not be read as {ext.upper()} ({_short(error)}).") from None


def _map_columns(file_name: str, headers: list) -> tuple[dict[str, str], tuple[str, ...]]:
    columns: dict[str, str] = {}
    ignored, problems = [], []
    for header in headers:
        key = _ALIASES.get(normalise_header(header))
        if key is None:
            ignored.append(str(header))
        elif key in columns:
            problems.append(f"columns {columns[key]!r} and {header!r} both mean {COLUMNS[key]}")
        else:
            columns[key] = str(header)
    missing = [COLUMNS[key] for key in REQUIRED if key not in columns]
    if missing:
        problems.append(f"required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}")
    if problems:
        raise ValidationFailed(f"{file_name}: " + "; ".join(problems) + ".", [f"{file_name}: {p}" for p in problems])
    return columns, tuple(ignored)


def read_sheet(file_name: str, data: bytes, sheet: str | None = None) -> Sheet:
    """Parse one sheet (the first when `sheet` is None). File-level problems raise ValidationFailed."""
    ext = _check_file(file_name, data)
    frame = _read_frame(file_name, data, ext, sheet)
    columns, ignored = _map_columns(file_name, list(frame.columns))
    rows = []
    for index, record in enumerate(frame.to_dict("records")):
        values = {key: str(record.get(header, "") or "").strip() for key, header in columns.items()}
        if any(values.values()):
            rows.append((index + 2, values))
    where = f"sheet {sheet!r} of {file_name}" if sheet else file_name
    if not rows:
        raise ValidationFailed(f"{where}: there are no data rows under the header.")
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(f"{where}: {len(rows):,} rows; at most {MAX_ROWS:,} rows per sheet can be imported.")
    return Sheet(file_name, sheet, columns, ignored, tuple(rows))


# ---------------------------------------------------------------------------
# Checking rows
# ---------------------------------------------------------------------------

@dataclass
class _Lookups:
    products: dict[str, Product]
    catalogs: dict[tuple[CatalogKind, str], int]
    locations: dict[str, Location]
    units: dict[str, str]

    @classmethod
    def load(cls, session: Session) -> "_Lookups":
        products: dict[str, Product] = {}
        for product in session.scalars(select(Product)):
            products.setdefault(product.short_name.strip().lower(), product)
        for product in session.scalars(select(Product)):
            products[product.name_key] = product  # a full name wins over a short name
        catalogs = {(catalog, key): entry_id for catalog, key, entry_id in
                    session.execute(select(CatalogEntry.catalog, CatalogEntry.name_key, CatalogEntry.id))}
        locations: dict[str, Location] = {}
        for location in session.scalars(select(Location).where(Location.active.is_(True))):
            locations.setdefault(location.short_name.strip().lower(), location)
        for location in session.scalars(select(Location).where(Location.active.is_(True))):
            locations[location.name.strip().lower()] = location
        units = {}
        for weight_unit in WEIGHT_UNITS:
            for name in (weight_unit.symbol, weight_unit.name.lower(), weight_unit.name.lower() + "s"):
                units[name] = weight_unit.symbol
        return cls(products, catalogs, locations, units)


@dataclass
class PreviewRow:
    number: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)
    item: forms.NewItem | None = None


@dataclass
class Preview:
    sheet: Sheet
    rows: list[PreviewRow]
    auto_merge: bool

    @property
    def ok(self) -> bool:
        return all(not row.problems for row in self.rows)

    @property
    def problems(self) -> list[str]:
        """Every problem of every row, as "Row n: …" sentences."""
        return [f"Row {row.number}: {problem}" for row in self.rows for problem in row.problems]

    def frame(self) -> pd.DataFrame:
        """Every row as the user wrote it plus its problems, for the preview table."""
        records = [{"Row": row.number, **{COLUMNS[key]: row.values.get(key, "") for key in COLUMNS},
                    "Problems": "; ".join(row.problems) or "OK"} for row in self.rows]
        return pd.DataFrame.from_records(records, columns=["Row", *COLUMNS.values(), "Problems"])


def _default_location(session: Session, actor: Actor) -> int | None:
    if actor.home_location_id is not None:
        return actor.home_location_id
    active = session.scalars(select(Location.id).where(Location.active.is_(True)).limit(2)).all()
    return active[0] if len(active) == 1 else None


def _resolve(values: dict[str, str], lookups: _Lookups, actor: Actor, default_location: int | None,
             problems: list[str]) -> dict:
    """Names -> ids for one row; unknown names are added to `problems`."""
    resolved: dict = {}
    product = lookups.products.get(values.get("product", "").lower())
    if not values.get("product"):
        problems.append("Product is required")
    elif product is None:
        problems.append(f"Product {values['product']!r} is not in the catalog")
    elif not product.active:
        problems.append(f"Product {product.name!r} is inactive")
    resolved["product_id"] = product.id if product is not None and product.active else None
    kind_text = values.get("type", "")
    kind = _KINDS.get(normalise_header(kind_text)) if kind_text else InventoryKind.FINISHED
    if kind is None:
        problems.append(f"Type {kind_text!r} is unknown; use Finished, Rough or Materials & Supplies")
    resolved["kind"] = kind or InventoryKind.FINISHED
    for attribute in ATTRIBUTES:
        if values.get(attribute.key) and kind is not None and not attribute.applies_to(kind):
            problems.append(f"{COLUMNS[attribute.key]} is only for items of type "
                            + " or ".join(k.label for k in attribute.kinds))
    for key, catalog in _CATALOG_COLUMNS.items():
        name = values.get(key, "")
        entry_id = lookups.catalogs.get((catalog, name.lower())) if name else None
        if name and entry_id is None:
            problems.append(f"{COLUMNS[key]} {name!r} is not in the {catalog.label} catalog")
        resolved[f"{key}_id"] = entry_id
    unit_text = values.get("weight_unit", "")
    resolved["weight_unit"] = lookups.units.get(unit_text.lower()) if unit_text else None
    if unit_text and resolved["weight_unit"] is None:
        problems.append(f"Weight Unit {unit_text!r} is unknown")
    resolved["location_id"] = _resolve_location(values.get("location", ""), lookups, actor, default_location,
                                                problems)
    return resolved


def _resolve_location(name: str, lookups: _Lookups, actor: Actor, default: int | None,
                      problems: list[str]) -> int | None:
    if not name:
        if default is None:
            problems.append("Location is required (you have no own location)")
        return default
    location = lookups.locations.get(name.lower())
    if location is None:
        problems.append(f"Location {name!r} is unknown or inactive")
        return None
    if not actor.can_see_location(location.id):
        problems.append(f"Location {location.name!r} is outside the locations you work with")
        return None
    return location.id


_RESOLVED_FIELDS = {"product_id", "kind", "weight_unit", "location_id", *(a.field for a in ATTRIBUTES)}


def _check_row(session: Session, actor: Actor, number: int, values: dict[str, str], lookups: _Lookups,
               default_location: int | None, auto_merge: bool) -> PreviewRow:
    problems: list[str] = []
    resolved = _resolve(values, lookups, actor, default_location, problems)
    item = forms.NewItem(weight=values.get("weight", ""), quantity=values.get("quantity") or None,
                             notes=values.get("notes", ""), auto_merge=auto_merge, **resolved)
    if not values.get("weight"):
        problems.append("Weight is required")
    for name, message in forms.validate_new_item(session, actor=actor, data=item).items():
        if name in _RESOLVED_FIELDS or (name == "weight" and not values.get("weight")):
            continue  # already reported by name above
        problems.append(message)
    return PreviewRow(number, values, problems, item if not problems else None)


def preview(session: Session, *, actor: Actor, sheet: Sheet, auto_merge: bool = False) -> Preview:
    """Check every row of `sheet`; nothing is written. `Preview.ok` says whether it can be imported."""
    actor.require(Right.IMPORT_INVENTORY)
    lookups = _Lookups.load(session)
    default_location = _default_location(session, actor)
    rows = [_check_row(session, actor, number, values, lookups, default_location, auto_merge)
            for number, values in sheet.rows]
    return Preview(sheet, rows, auto_merge)


@dataclass(frozen=True)
class ImportResult:
    added: int
    merged: int
    tags: tuple[str, ...]


def commit(session: Session, *, actor: Actor, sheet: Sheet, auto_merge: bool = False) -> ImportResult:
    """Check again and write every row in the caller's transaction, or raise ValidationFailed and write none."""
    checked = preview(session, actor=actor, sheet=sheet, auto_merge=auto_merge)
    if not checked.ok:
        problems = checked.problems
        raise ValidationFailed(f"Nothing was imported: {len(problems)} problem(s) in {sheet.file_name}.", problems)
    where = sheet.file_name + (f" / {sheet.sheet_name}" if sheet.sheet_name else "")
    added = merged = 0
    tags = []
    for row in checked.rows:
        result = stock.import_item(session, actor=actor, data=row.item,
                                       reference=f"import {where} row {row.number}"[:120])
        merged += result.merged
        added += not result.merged
        tags.append(result.tag_id)
    return ImportResult(added, merged, tuple(tags))
