"""Export the whole filtered item set (not just a page) as CSV or XLSX, in the sort on screen.

Rows stream from a server-side cursor in chunks straight into a temporary
file, so a 200,000-row export never holds the table in memory. Weights are
written in the record's own unit plus a column in the workspace default unit,
at full precision, as numbers.

Cells are typed ("Created" a date and time in UTC) and written by
`lib.spreadsheet`, so no exported text, tag IDs included, ever runs as a
formula in a spreadsheet.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy.orm import Session

from lib.access import Actor, Right
from lib.classification import ATTRIBUTES
from lib.inventory.query import ItemFilters, iter_rows
from lib.models import InventoryKind, ItemStatus
from lib.spreadsheet import ExportFile, write_export
from lib.units import from_grams

SHEET_TITLE = "Inventory"


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


def export_items(session: Session, *, actor: Actor, filters: ItemFilters, fmt: str, unit: str,
                 basename: str = "inventory", sort: str = "tag_id", descending: bool = False) -> ExportFile:
    """Write every filtered item in the actor's scope, in the given sort, to a temporary CSV or XLSX file."""
    actor.require(Right.VIEW_INVENTORY)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    rows = iter_rows(session, actor=actor, filters=filters, sort=sort, descending=descending)
    return write_export(headers(unit), (_values(row, unit) for row in rows), fmt, f"{basename}-{stamp}",
                        sheet_title=SHEET_TITLE)
