"""Export files that spreadsheets read as data, never as formulas: one writer for every CSV and XLSX export.

- XLSX cells are typed: numbers as numbers, dates and times as dates (shown
  yyyy-mm-dd, or yyyy-mm-dd hh:mm; UTC, naive), every text cell stored as text,
  so a value like `=HYPERLINK(...)` or a tag `-1-1` stays text.
- CSV has no types, so every text cell that starts with `=`, `+`, `-`, `@`, a
  tab or a carriage return gets a leading `'`, which spreadsheets show as the
  start of text (the inventory importer removes it again, `lib.inventory.sheets`).

Rows are written as they come from an iterator, so an export of any size
never holds its table in memory.
"""
from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd hh:mm"
DAY_FORMAT = "yyyy-mm-dd"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportFile:
    path: Path  # a temporary file; the caller removes it after handing it over
    filename: str
    mime_type: str
    rows: int


def neutralise(text: str) -> str:
    """CSV text that a spreadsheet will never read as a formula: a leading ' before a risky first character."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_cell(value):
    """One value as a CSV cell: text neutralised, times as 'YYYY-MM-DD HH:MM', days ISO, None empty."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def xlsx_cell(sheet, value) -> WriteOnlyCell:
    """One value as a typed XLSX cell (text is text whatever it starts with; dates keep a date format)."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, date):
        cell.number_format = DAY_FORMAT
    return cell


def write_export(headers: Sequence[str], rows: Iterable[Sequence], fmt: str, basename: str,
                 sheet_title: str = "Export") -> ExportFile:
    """Write `headers` and `rows` (typed values: str, int, Decimal, date, datetime, None) to a temporary
    `basename`.csv or .xlsx file."""
    count = 0
    if fmt == "csv":
        handle = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="", encoding="utf-8")
        with handle:
            writer = csv.writer(handle)
            writer.writerow([csv_cell(header) for header in headers])
            for row in rows:
                writer.writerow([csv_cell(value) for value in row])
                count += 1
        return ExportFile(Path(handle.name), f"{basename}.csv", "text/csv", count)
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(sheet_title)
        sheet.append([xlsx_cell(sheet, header) for header in headers])
        for row in rows:
            sheet.append([xlsx_cell(sheet, value) for value in row])
            count += 1
        path = Path(tempfile.mkstemp(suffix=".xlsx")[1])
        workbook.save(path)
        return ExportFile(path, f"{basename}.xlsx", XLSX_MIME, count)
    raise ValueError(f"Unknown export format {fmt!r}; use csv or xlsx")
