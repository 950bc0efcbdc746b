"""Reading an import file (CSV, XLS or XLSX) into rows of text, within the per-file limits.

What it guarantees (decisions where the reference is silent; also in docs/inventory.md):

- Limits (`Limits`, set by LOUPE_IMPORT_MAX_MB and LOUPE_IMPORT_MAX_ROWS): a file
  over the size limit is refused before it is opened; rows are counted while
  they are read and reading stops at the first row over the limit, so a huge
  file costs no more than the limit. Both messages say how to split the file.
- CSV: UTF-8 (with or without BOM), UTF-16 or UTF-32 with a BOM, UTF-16 without
  one, else Windows-1252 / Latin-1. The separator (comma, semicolon or tab) is
  the one that splits the header into the most known columns. A file that is
  not text (control characters, zero bytes) is refused as such. A cell the
  Inventory export protected with a leading `'` (text starting with = + - @,
  tab or CR) gets it removed; a cell that still starts with `=` is a formula and
  a problem of its row.
- XLSX cells are read by type: numbers as plain decimals, dates as ISO text
  (a date without a time of day as the date alone), formula cells are
  problems of their row (a formula is not a value). XLS has
  no formula information in xlrd and is read by its values.
- Headers are matched ignoring case, spaces and punctuation, with the
  Inventory export's own headers among the aliases; the export's derived
  `Weight (<unit>)` column is ignored with a note; two headers meaning one
  column, and a missing Product or Weight, are file problems.
- Row numbers are the spreadsheet's (header = row 1, blank rows counted);
  completely empty rows are skipped.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import PurePath

from lib.classification import ATTRIBUTES
from lib.config import Settings
from lib.errors import ValidationFailed
from lib.spreadsheet import FORMULA_START  # the guard every CSV export adds, removed again on import

FILE_TYPES = ("csv", "xls", "xlsx")

Progress = Callable[[float, str], object]
"""A progress report: fraction done (0..1) and what is happening."""


@dataclass(frozen=True)
class Limits:
    """Per-file import limits (deployment settings LOUPE_IMPORT_MAX_MB and LOUPE_IMPORT_MAX_ROWS)."""

    max_mb: float = 10
    max_rows: int = 5000

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limits":
        return cls(max_mb=settings.import_max_mb, max_rows=settings.import_max_rows)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as the template and the export write it
    aliases: tuple[str, ...]  # normalised header texts that mean this column


def normalise_header(text) -> str:
    """Header key ignoring case, spaces, dashes, underscores and other punctuation."""
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


_ATTRIBUTE_ALIASES = {"finished_type": ("finishedtype",),
                      "ms_type": ("mstype", "mandstype", "materialsandsuppliestype", "materialssuppliestype"),
                      "colour": ("colour", "color")}

COLUMNS: tuple[Column, ...] = (
    Column("tag_id", "Tag ID", ("tagid", "tag")),
    Column("product", "Product", ("product", "productname")),
    Column("type", "Kind", ("kind", "type", "inventorytype", "inventorykind")),
    *(Column(a.key, a.label, tuple({normalise_header(a.label), *_ATTRIBUTE_ALIASES.get(a.key, ())}))
      for a in ATTRIBUTES),
    Column("quantity", "Quantity", ("quantity", "qty", "pieces", "pcs")),
    Column("weight", "Weight", ("weight",)),
    Column("weight_unit", "Weight unit", ("weightunit", "unit")),
    Column("location", "Location", ("location",)),
    Column("status", "Status", ("status",)),
    Column("created", "Created", ("created", "createdat", "createdon", "createddate")),
    Column("notes", "Notes", ("notes", "note")),
)
"""Every column the importer reads, in the template's (and the export's) order."""

BY_KEY: dict[str, Column] = {column.key: column for column in COLUMNS}
REQUIRED = ("product", "weight")
_ALIASES = {alias: column.key for column in COLUMNS for alias in column.aliases}
_DERIVED = re.compile(r"^\s*weight\s*\(\s*[a-z]+\s*\)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Sheet:
    """One parsed sheet: rows as {column key: text}, with spreadsheet row numbers.

    `formulas` names, by row number, the columns whose cell holds a formula
    instead of a value; `notes` explains ignored columns.
    """

    file_name: str
    sheet_name: str | None
    columns: dict[str, str]  # column key -> header as written in the file
    ignored_columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]
    formulas: dict[int, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"sheet {self.sheet_name!r} of {self.file_name}" if self.sheet_name else self.file_name

    def header(self, key: str) -> str:
        """The file's own header for column `key` (the template's when the file has none)."""
        return self.columns.get(key) or BY_KEY[key].header


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------

def extension(file_name: str) -> str:
    return PurePath(file_name or "").suffix.lower().lstrip(".")


def check_file(file_name: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    """The file's type ("csv", "xls", "xlsx") when it may be read; ValidationFailed saying why not."""
    ext = extension(file_name)
    if ext not in FILE_TYPES:
        raise ValidationFailed(f"{file_name or 'The file'}: use a CSV, XLS or XLSX file.")
    if not data:
        raise ValidationFailed(f"{file_name}: the file is empty.")
    if len(data) > limits.max_bytes:
        raise ValidationFailed(
            f"{file_name} is {len(data) / 1024 / 1024:.1f} MB; at most {limits.max_mb:g} MB can be imported at once. "
            "Split it into smaller files, each with the header row at the top, and import them one after another "
            "(an XLSX file is also much smaller than the same rows as CSV).")
    return ext


def sheet_names(file_name: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """The worksheets of an XLS/XLSX file (empty list for CSV)."""
    ext = check_file(file_name, data, limits)
    if ext == "csv":
        return []
    try:
        if ext == "xls":
            import xlrd

            return list(xlrd.open_workbook(file_contents=data, on_demand=True).sheet_names())
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True)
        try:
            return [str(name) for name in workbook.sheetnames]
        finally:
            workbook.close()
    except Exception as error:  # any parser failure means "not a readable workbook"
        raise ValidationFailed(f"{file_name}: could not be read as {ext.upper()} ({_short(error)}).") from None


def _short(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:160]


def read_sheet(file_name: str, data: bytes, sheet: str | None = None, *, limits: Limits = DEFAULT_LIMITS,
               progress: Progress | None = None) -> Sheet:
    """Parse one sheet (the first when `sheet` is None). File-level problems raise ValidationFailed."""
    ext = check_file(file_name, data, limits)
    where = f"sheet {sheet!r} of {file_name}" if sheet else file_name
    report = progress or (lambda _done, _text: None)
    try:
        if ext == "csv":
            records = _csv_records(file_name, data)
        elif ext == "xlsx":
            records = _xlsx_records(data, sheet)
        else:
            records = _xls_records(data, sheet)
        return _collect(file_name, sheet, where, records, limits, report)
    except ValidationFailed:
        raise
    except Exception as error:  # any parser failure means "not a readable file of this type"
        raise ValidationFailed(f"{file_name}: could not be read as {ext.upper()} ({_short(error)}).") from None


@dataclass(frozen=True)
class _Cell:
    text: str
    formula: bool = False


Record = tuple[int, list[_Cell], float]  # row number, cells, fraction of the file read


def _collect(file_name: str, sheet: str | None, where: str, records: Iterator[Record], limits: Limits,
             report: Progress) -> Sheet:
    columns: dict[str, int] | None = None
    headers: list[str] = []
    ignored, notes = (), ()
    rows: list[tuple[int, dict[str, str]]] = []
    formulas: dict[int, tuple[str, ...]] = {}
    for number, cells, done in records:
        if columns is None:
            if not any(cell.text for cell in cells):
                continue
            headers = [cell.text for cell in cells]
            columns, ignored, notes = _map_columns(file_name, headers)
            continue
        values = {key: cells[index].text if index < len(cells) else "" for key, index in columns.items()}
        if not any(values.values()):
            continue
        if len(rows) == limits.max_rows:
            raise ValidationFailed(
                f"{where} has more than {limits.max_rows:,} rows; at most {limits.max_rows:,} rows can be imported "
                f"at once. Split it into files of at most {limits.max_rows:,} rows, each with the header row at the "
                "top, and import them one after another.")
        rows.append((number, values))
        keys = tuple(key for key, index in columns.items() if index < len(cells) and cells[index].formula)
        if keys:
            formulas[number] = keys
        if len(rows) % 500 == 0:
            report(done, f"Reading {where}: {len(rows):,} rows")
    if columns is None:
        raise ValidationFailed(f"{where}: the file has no header row.")
    if not rows:
        raise ValidationFailed(f"{where}: there are no data rows under the header.")
    report(1.0, f"Read {len(rows):,} rows from {where}")
    names = {key: headers[index] for key, index in columns.items()}
    return Sheet(file_name, sheet, names, ignored, tuple(rows), formulas, notes)


def _map_columns(file_name: str, headers: list[str]) -> tuple[dict[str, int], tuple[str, ...], tuple[str, ...]]:
    columns: dict[str, int] = {}
    ignored, notes, problems = [], [], []
    for index, header in enumerate(headers):
        if not header:
            continue
        key = _ALIASES.get(normalise_header(header))
        if key is None:
            ignored.append(header)
            if _DERIVED.match(header):
                notes.append(f"{header} is worked out from Weight and Weight unit, so it is ignored.")
        elif key in columns:
            problems.append(f"columns {headers[columns[key]]!r} and {header!r} both mean {BY_KEY[key].header}")
        else:
            columns[key] = index
    missing = [BY_KEY[key].header for key in REQUIRED if key not in columns]
    if missing:
        problems.append(f"required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}")
    if problems:
        raise ValidationFailed(f"{file_name}: " + "; ".join(problems) + ".", [f"{file_name}: {p}" for p in problems])
    return columns, tuple(ignored), tuple(notes)


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xef\xbb\xbf", "utf-8-sig"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_text(file_name: str, data: bytes) -> str:
    """The text of a CSV file in whichever of the supported encodings it is; ValidationFailed for binary data."""
    text = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(encoding, errors="replace")
            break
    if text is None and b"\x00" in data[:4096]:
        head = data[:4096]
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if max(even, odd) > len(head) // 4 and min(even, odd) == 0:  # every other byte zero: UTF-16 text
            text = data.decode("utf-16-be" if even else "utf-16-le", errors="replace")
    if text is None:
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if _CONTROL.search(text[:65536]):
        raise ValidationFailed(f"{file_name}: this is not a text (CSV) file. Save the spreadsheet as CSV or XLSX and "
                               "upload that file.")
    return text


def _delimiter(text: str) -> str:
    """The separator that splits the header into the most known columns (comma when none does better)."""
    first = next((line for line in io.StringIO(text) if line.strip()), "")
    best, best_score = ",", (-1, -1)
    for delimiter in (",", ";", "\t"):
        cells = next(csv.reader([first], delimiter=delimiter), [])
        score = (sum(normalise_header(cell) in _ALIASES for cell in cells), len(cells))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _unguard(text: str) -> _Cell:
    """A CSV cell's value: the export's leading ' removed; a cell starting with = is a formula."""
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_START:
        return _Cell(text[1:].strip())
    text = text.strip()
    return _Cell(text, formula=text.startswith("="))


def _csv_records(file_name: str, data: bytes) -> Iterator[Record]:
    text = decode_text(file_name, data)
    total = max(1, len(text))
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=_delimiter(text))
    for number, cells in enumerate(reader, start=1):
        yield number, [_unguard(cell) for cell in cells], lines.tell() / total


# ---------------------------------------------------------------------------
# XLSX and XLS
# ---------------------------------------------------------------------------

def cell_text(value) -> str:
    """Text of a typed spreadsheet value: numbers as plain decimals, dates in ISO form, booleans as TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime):
        if value.time() == time(0, 0):  # a date cell without a time: that day
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip()


def _xlsx_records(data: bytes, sheet: str | None) -> Iterator[Record]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        total = worksheet.max_row or 0
        worksheet.reset_dimensions()  # some writers store wrong dimensions; read every row there is
        for number, cells in enumerate(worksheet.iter_rows(), start=1):
            yield number, [_Cell(cell_text(cell.value), formula=getattr(cell, "data_type", None) == "f")
                           for cell in cells], min(1.0, number / total) if total else 0.0
    finally:
        workbook.close()


def _xls_records(data: bytes, sheet: str | None) -> Iterator[Record]:
    import xlrd

    book = xlrd.open_workbook(file_contents=data, on_demand=True)
    worksheet = book.sheet_by_name(sheet) if sheet else book.sheet_by_index(0)
    for index in range(worksheet.nrows):
        yield index + 1, [_Cell(_xls_text(book, cell)) for cell in worksheet.row(index)], (index + 1) / worksheet.nrows


def _xls_text(book, cell) -> str:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        return cell_text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return cell_text(bool(cell.value))
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return "#ERROR"
    return cell_text(cell.value)


def headers_in_order(keys: Iterable[str]) -> list[str]:
    """Column keys in the template's order."""
    wanted = set(keys)
    return [column.key for column in COLUMNS if column.key in wanted]


def file_records(file_name: str, data: bytes, sheet: str | None = None, *, limits: Limits = DEFAULT_LIMITS
                 ) -> Iterator[tuple[int, list[str], tuple[int, ...]]]:
    """Another importer's way in (the price sheet, lib.costing.sheets; AI import): each row of the file as
    (row number, cell texts, indexes of cells holding a formula), read with this module's rules for
    encodings, separators, guarded cells and typed XLSX cells. File-level problems raise ValidationFailed."""
    ext = check_file(file_name, data, limits)
    try:
        records = {"csv": lambda: _csv_records(file_name, data), "xlsx": lambda: _xlsx_records(data, sheet),
                   "xls": lambda: _xls_records(data, sheet)}[ext]()
        for number, cells, _done in records:
            yield number, [cell.text for cell in cells], tuple(i for i, cell in enumerate(cells) if cell.formula)
    except ValidationFailed:
        raise
    except Exception as error:  # any parser failure means "not a readable file of this type"
        raise ValidationFailed(f"{file_name}: could not be read as {ext.upper()} ({_short(error)}).") from None
