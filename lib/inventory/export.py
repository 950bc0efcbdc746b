"""Export the whole filtered item set (not just a page) as CSV or XLSX.

Rows stream from a server-side cursor in chunks straight into a temporary
file, so a 200,000-row export never holds the table in memory. Weights are
written in the record's own unit plus a column in the workspace default unit.
Cells that begin like a spreadsheet formula are prefixed with ' so opening
the file never runs user text as a formula.
"""
from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy.orm import Session

from lib.access import Actor, Right
from lib.classification import ATTRIBUTES
from lib.inventory.query import ItemFilters, iter_rows
from lib.models import InventoryKind, ItemStatus
from lib.units import from_grams

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def headers(unit: str) -> list[str]:
    return ["Tag ID", "Product", "Kind", *(attribute.label for attribute in ATTRIBUTES),
            "Quantity", "Weight", "Weight unit", f"Weight ({unit})", "Location", "Status", "Created", "Notes"]


def _cells(row: dict, unit: str) -> list:
    kind, status = row["kind"], row["status"]
    return [
        row["tag_id"], _safe_text(row["product"]),
        kind.label if isinstance(kind, InventoryKind) else kind,
        *(_safe_text(row[attribute.key]) for attribute in ATTRIBUTES),
        int(row["quantity"]), Decimal(str(row["weight"])), row["weight_unit"],
        from_grams(Decimal(str(row["weight_g"])), unit), _safe_text(row["location"]),
        status.label if isinstance(status, ItemStatus) else status,
        row["created_at"].strftime("%Y-%m-%d %H:%M") if isinstance(row["created_at"], datetime) else row["created_at"],
        _safe_text(row["notes"]),
    ]


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
                writer.writerow(_cells(row, unit))
                count += 1
        return ExportFile(Path(handle.name), f"{basename}-{stamp}.csv", "text/csv", count)
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Inventory")
        sheet.append(headers(unit))
        count = 0
        for row in rows:
            sheet.append([float(c) if isinstance(c, Decimal) else c for c in _cells(row, unit)])
            count += 1
        path = Path(tempfile.mkstemp(suffix=".xlsx")[1])
        workbook.save(path)
        return ExportFile(path, f"{basename}-{stamp}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", count)
    raise ValueError(f"Unknown export format {fmt!r}; use csv or xlsx")
