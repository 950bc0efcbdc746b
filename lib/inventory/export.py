"""Export the whole filtered item set (not just a page) as CSV or XLSX, in the sort on screen.

Rows stream from a server-side cursor in chunks straight into a temporary
file, so a 200,000-row export never holds the table in memory. Weights are
written in the record's own unit plus a column in the workspace default unit,
at full precision, as numbers.

Spreadsheets must never run exported text as a formula:
- XLSX cells are typed: numbers as numbers, "Created" as a date and time
  (UTC, shown as yyyy-mm-dd hh:mm), every text cell stored as text, so a
  value like `=HYPERLINK(...)` or a tag `-1-1` stays text.
- CSV has no types, so every text cell (tag IDs included) that starts with
  `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, which
  spreadsheets show as the start of text; the importer removes it again.
"""
from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.orm import Session

from lib.access import Actor, Right
from lib.classification import ATTRIBUTES
from lib.inventory.query import ItemFilters, iter_rows
from lib.models import InventoryKind, ItemStatus
from lib.units import from_grams

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd hh:mm"


def neutralise(text: str) -> str:
    """CSV text that a spreadsheet will never read as a formula: a leading ' before a risky first character."""
    return "'" + text if text.startswith(FORMULA_START) else text


def headers(unit: str) -> list[str]:
    return ["Tag ID", "Product", "Kind", *(attribute.label for attribute in ATTRIBUTES),
            "Quantity", "Weight", "Weight unit", f"Weight ({unit})", "Location", "Status", "Created", "Notes"]


def _created(value) -> datetime | None:
    """The creation time as a naive UTC datetime (spreadsheets have no time zones)."""
    if not isinstance(value, datetime):
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0) if value.tzinfo else value


def _values(row: dict, unit: str) -> list:
    """One row as typed values: str for text, int / Decimal for numbers, datetime for Created."""
    kind, status = row["kind"], row["status"]
    return [
        row["tag_id"], row["product"] or "",
        kind.label if isinstance(kind, InventoryKind) else str(kind),
        *((row[attribute.key] or "") for attribute in ATTRIBUTES),
        int(row["quantity"]), Decimal(str(row["weight"])), row["weight_unit"],
        from_grams(Decimal(str(row["weight_g"])), unit), row["location"] or "",
        status.label if isinstance(status, ItemStatus) else str(status),
        _created(row["created_at"]), row["notes"] or "",
    ]


def _csv_cell(value):
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else value


def _xlsx_cell(sheet, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text, never a formula, whatever it starts with
    elif isinstance(value, datetime):
        cell.number_format = DATE_FORMAT
    return cell


@dataclass(frozen=True)
class ExportFile:
    path: Path
    filename: str
    mime_type: str
    rows: int


def export_items(session: Session, *, actor: Actor, filters: ItemFilters, fmt: str, unit: str,
                 basename: str = "inventory", sort: str = "tag_id", descending: bool = False) -> ExportFile:
    """Write every filtered item in the actor's scope, in the given sort, to a temporary CSV or XLSX file."""
    actor.require(Right.VIEW_INVENTORY)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    rows = iter_rows(session, actor=actor, filters=filters, sort=sort, descending=descending)
    if fmt == "csv":
        handle = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="", encoding="utf-8")
        with handle:
            writer = csv.writer(handle)
            writer.writerow(headers(unit))
            count = 0
            for row in rows:
                writer.writerow([_csv_cell(value) for value in _values(row, unit)])
                count += 1
        return ExportFile(Path(handle.name), f"{basename}-{stamp}.csv", "text/csv", count)
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Inventory")
        sheet.append([_xlsx_cell(sheet, header) for header in headers(unit)])
        count = 0
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in _values(row, unit)])
            count += 1
        path = Path(tempfile.mkstemp(suffix=".xlsx")[1])
        workbook.save(path)
        return ExportFile(path, f"{basename}-{stamp}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", count)
    raise ValueError(f"Unknown export format {fmt!r}; use csv or xlsx")
