"""Import using AI (reference 3.2.4 / 3.8.3; issue 17, item 4): a messy stock sheet mapped by the model, converted
locally, then checked, previewed and committed by the ordinary importer (`lib.inventory.importer`).

Steps (no transaction is open while the model thinks):

1. `read_table` reads the chosen sheet of a CSV/XLS/XLSX file as it is, within the import limits; empty or
   duplicated headers are refused with a message naming the column.
2. `prepare_request` checks the gate (admins with the import right, `ai_import_enabled` on, an endpoint
   configured) and renders `prompts/import_mapping.md` with **the headers and at most 20 sample rows** (cells
   cut at 80 characters). Nothing else leaves the server: not the rest of the sheet, not the catalog, not stock.
3. `request_mapping` is the one metered call (`lib.llm.metering.metered_call`: credits reserved, refused when
   none is left, settled when answered).
4. `parse_mapping` reads the answer: one JSON object (a single code fence is tolerated) valid against
   `MAPPING_SCHEMA`, every header it names present in the sheet, every target a known importer column used at
   most once, Product and Weight mapped, units and kinds known. Anything else is refused with a message and
   nothing is imported. The person reviews and edits the mapping (`validate_mapping` checks the edit the same way).
5. `convert` applies the mapping and the value rules to **every row locally**: units inside weight cells
   ("2.5ct", "3,1 cts", "1.2 g"), decimal commas, thousands separators, kind words, a fixed kind, a default
   unit. A lone separator not followed by exactly three digits is the decimal mark whatever the rule says
   ("2.5" and "1,5" are 2.5 and 1.5); "1.234" and "1,234" follow the decimal-comma rule. A cell it cannot
   read is passed on unchanged, so the importer flags that row.
6. `lib.inventory.importer.preview` / `commit` do the usual checks, flagged rows and all-or-nothing write.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import jsonschema
from sqlalchemy.orm import Session

from lib.access import Actor, Right
from lib.config import Settings
from lib.errors import ConfigurationError, PermissionDenied, ValidationFailed
from lib.inventory import sheets
from lib.inventory.sheets import BY_KEY, COLUMNS, DEFAULT_LIMITS, REQUIRED, Limits, Sheet
from lib.llm import metering
from lib.llm.client import Completion, LlmClient, missing_settings, not_configured_message
from lib.llm.prompts import load as load_prompt
from lib.models import InventoryKind
from lib.units import WEIGHT_UNITS
from lib.workspace.settings import get_workspace

FEATURE = "inventory_import"
FEATURE_LABEL = "Import using AI"
PROMPT_NAME = "import_mapping"
MAX_SAMPLE_ROWS = 20
MAX_SAMPLE_CELL = 80
MAX_HEADERS = 100
FENCE = re.compile(r"\A```(?:json)?\s*(.*?)\s*```\Z", re.DOTALL | re.IGNORECASE)
TARGET_HELP = {
    "tag_id": "the item's own tag ID (usually leave unmapped)", "product": "the product or stone name (required)",
    "type": "the inventory kind (Rough, Finished, Materials & Supplies)", "finished_type": "the finished type",
    "ms_type": "the materials & supplies type", "shape": "the shape", "size": "the size", "colour": "the colour",
    "quality": "the quality or grade", "quantity": "the number of pieces", "weight": "the weight (required)",
    "weight_unit": "the weight unit of the row", "location": "the location", "status": "the status",
    "created": "the date the stock was added", "notes": "free notes",
}
KIND_LABELS = {kind.label.lower(): kind.label for kind in InventoryKind} | {
    kind.value: kind.label for kind in InventoryKind}
UNIT_WORDS = {**{u.symbol.lower(): u.symbol for u in WEIGHT_UNITS},
              **{u.name.lower(): u.symbol for u in WEIGHT_UNITS},
              **{u.name.lower() + "s": u.symbol for u in WEIGHT_UNITS},
              "cts": "ct", "carat": "ct", "carats": "ct", "grams": "g", "gram": "g", "gm": "g", "gms": "g",
              "grs": "g", "dwts": "dwt", "pennyweights": "dwt", "ozs": "oz", "tolas": "tola"}

MAPPING_SCHEMA = {
    "type": "object",
    "required": ["columns"],
    "additionalProperties": False,
    "properties": {
        "columns": {"type": "object", "maxProperties": MAX_HEADERS,
                    "additionalProperties": {"type": ["string", "null"], "maxLength": 40}},
        "weight_unit": {"type": ["string", "null"], "maxLength": 20},
        "decimal_comma": {"type": "boolean"},
        "kind": {"type": ["string", "null"], "maxLength": 40},
        "kind_words": {"type": "object", "maxProperties": 50,
                       "additionalProperties": {"type": "string", "maxLength": 40}},
    },
}
"""What an answer must look like (JSON Schema): no other keys, no numbers anywhere."""


# ---------------------------------------------------------------- reading the sheet as it is

@dataclass(frozen=True)
class RawTable:
    """One sheet as written: its headers and every non-empty row (spreadsheet row numbers)."""

    file_name: str
    sheet_name: str | None
    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    formulas: dict[int, tuple[int, ...]] = field(default_factory=dict)  # row -> column indexes holding formulas

    @property
    def where(self) -> str:
        return f"sheet {self.sheet_name!r} of {self.file_name}" if self.sheet_name else self.file_name

    def samples(self) -> list[dict[str, str]]:
        """At most 20 rows, header -> cell (cut at 80 characters): all the model sees of the data."""
        return [{header: (cells[index] if index < len(cells) else "")[:MAX_SAMPLE_CELL]
                 for index, header in enumerate(self.headers) if header}
                for _number, cells in self.rows[:MAX_SAMPLE_ROWS]]


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_table(file_name: str, data: bytes, sheet: str | None = None, *, limits: Limits = DEFAULT_LIMITS) -> RawTable:
    """The sheet's headers and rows as text; ValidationFailed for a file, header or size problem."""
    where = f"sheet {sheet!r} of {file_name}" if sheet else file_name
    headers, rows, formulas = None, [], {}
    for number, texts, marked in sheets.file_records(file_name, data, sheet, limits=limits):
        if headers is None:
            if any(texts):
                headers = tuple(" ".join(text.split()) for text in texts)
            continue
        if not any(texts):
            continue
        if len(rows) == limits.max_rows:
            raise ValidationFailed(f"{where} has more than {limits.max_rows:,} rows; at most {limits.max_rows:,} "
                                   "rows can be imported at once. Split it into smaller files.")
        rows.append((number, tuple(texts)))
        if marked:
            formulas[number] = marked
    if headers is None:
        raise ValidationFailed(f"{where}: the sheet is empty (no header row).")
    if not rows:
        raise ValidationFailed(f"{where}: there are no data rows under the header.")
    _check_headers(where, headers, rows)
    return RawTable(file_name, sheet, headers, tuple(rows), formulas)


def _check_headers(where: str, headers: tuple[str, ...], rows: list) -> None:
    problems, seen = [], {}
    if len(headers) > MAX_HEADERS:
        problems.append(f"it has {len(headers)} columns; at most {MAX_HEADERS} can be mapped")
    for index, header in enumerate(headers):
        if not header:
            if any(index < len(cells) and cells[index] for _number, cells in rows):
                problems.append(f"column {_column_letter(index)} has values but no header: give it one or delete it")
            continue
        key = header.lower()
        if key in seen:
            problems.append(f"columns {_column_letter(seen[key])} and {_column_letter(index)} are both headed "
                            f"{header!r}: rename one")
        else:
            seen[key] = index
    if not seen:
        problems.append("the header row is empty")
    if problems:
        raise ValidationFailed(f"{where}: " + "; ".join(problems) + ".", [f"{where}: {p}" for p in problems])


# ---------------------------------------------------------------- the gate and the request

def check_can_import(session: Session, *, actor: Actor, settings: Settings) -> None:
    """Raise unless this actor may send a sheet's headers to the model now (right, switches, endpoint)."""
    actor.require(Right.IMPORT_INVENTORY)
    if not get_workspace(session).ai_import_enabled:
        raise PermissionDenied("Import using AI is turned off for this workspace (Settings → AI usage).")
    message = not_configured_message(settings)
    if message:
        raise ConfigurationError(message)


def is_available(session: Session, *, actor: Actor, settings: Settings) -> bool:
    """Whether "Import using AI" is offered to this actor (no button, and so no request, otherwise)."""
    return (actor.can(Right.IMPORT_INVENTORY) and get_workspace(session).ai_import_enabled
            and not missing_settings(settings))


@dataclass(frozen=True)
class MappingRequest:
    system: str
    user: str
    prompt_version: str
    headers: tuple[str, ...]


def _json_text(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("`", "\\u0060")


def prepare_request(session: Session, *, actor: Actor, settings: Settings, table: RawTable) -> MappingRequest:
    """Check the gate and render the prompt with the headers and at most 20 sample rows. Sends nothing."""
    check_can_import(session, actor=actor, settings=settings)
    targets = "; ".join(f"{key}: {TARGET_HELP[column.key]}" for column in COLUMNS for key in (column.key,))
    prompt = load_prompt(PROMPT_NAME).render(
        targets=targets, units=", ".join(u.symbol for u in WEIGHT_UNITS),
        kinds=", ".join(kind.label for kind in InventoryKind),
        headers=_json_text([header for header in table.headers if header]), samples=_json_text(table.samples()))
    return MappingRequest(prompt.system, prompt.user, prompt.version, tuple(h for h in table.headers if h))


def request_mapping(request: MappingRequest, *, actor: Actor, settings: Settings, sessions: metering.WriteSessions,
                    client: LlmClient | None = None) -> Completion:
    """The one metered call. Raises LlmError / ConfigurationError / CreditsExhausted (nothing sent)."""
    actor.require(Right.IMPORT_INVENTORY)
    return metering.metered_call(sessions, actor=actor, settings=settings, feature=FEATURE, action="map columns",
                                 system=request.system, user=request.user, client=client)


# ---------------------------------------------------------------- the mapping

@dataclass(frozen=True)
class Mapping:
    """Sheet header -> importer column key, and the value rules applied locally."""

    columns: dict[str, str]
    weight_unit: str | None = None
    decimal_comma: bool = False
    kind: str | None = None  # an InventoryKind label for every row
    kind_words: dict[str, str] = field(default_factory=dict)  # lower-cased word -> InventoryKind label


def _refused(detail: str) -> ValidationFailed:
    return ValidationFailed(f"The AI mapping could not be used: {detail}. Nothing was imported; map the columns "
                            "by hand or try again.")


def _unit(raw, what: str) -> str | None:
    if raw in (None, ""):
        return None
    symbol = UNIT_WORDS.get(str(raw).strip().lower())
    if symbol is None:
        raise _refused(f"{what} {str(raw)[:40]!r} is not a weight unit")
    return symbol


def _kind(raw, what: str) -> str | None:
    if raw in (None, ""):
        return None
    label = KIND_LABELS.get(str(raw).strip().lower())
    if label is None:
        raise _refused(f"{what} {str(raw)[:40]!r} is not an inventory kind "
                       f"({', '.join(kind.label for kind in InventoryKind)})")
    return label


def validate_mapping(columns: dict[str, str | None], headers: tuple[str, ...], *, weight_unit=None,
                     decimal_comma: bool = False, kind=None, kind_words: dict | None = None) -> Mapping:
    """A mapping checked against the sheet: known headers, known targets used once, Product and Weight mapped."""
    known = set(headers)
    invented = [header for header in columns if header not in known]
    if invented:
        raise _refused("it names column" + ("s " if len(invented) > 1 else " ")
                       + ", ".join(repr(h[:60]) for h in invented[:5]) + " that the sheet does not have")
    chosen: dict[str, str] = {}
    used: dict[str, str] = {}
    for header, target in columns.items():
        if target in (None, ""):
            continue
        if target not in BY_KEY:
            raise _refused(f"it maps {header!r} to {str(target)[:40]!r}, which is not an importer column")
        if target in used:
            raise _refused(f"it maps both {used[target]!r} and {header!r} to {BY_KEY[target].header}")
        used[target] = header
        chosen[header] = target
    missing = [BY_KEY[key].header for key in REQUIRED if key not in used]
    if missing:
        raise _refused(f"no column is mapped to {' and '.join(missing)}")
    words = {str(word).strip().lower(): _kind(label, f"kind word {word!r} maps to")
             for word, label in (kind_words or {}).items() if str(word).strip()}
    return Mapping(chosen, _unit(weight_unit, "the weight unit"), bool(decimal_comma), _kind(kind, "the kind"), words)


def parse_mapping(text: str, headers: tuple[str, ...]) -> Mapping:
    """The model's answer as a Mapping; ValidationFailed (a message for the person) when it is unusable."""
    body = text.strip()
    fenced = FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    try:
        data = json.loads(body)
    except ValueError:
        raise _refused("it is not valid JSON") from None
    validator = jsonschema.Draft202012Validator(MAPPING_SCHEMA)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = " → ".join(str(part) for part in error.absolute_path)
        raise _refused(f"{where or 'the answer'}: {error.message[:200]}")
    return validate_mapping(data["columns"], headers, weight_unit=data.get("weight_unit"),
                            decimal_comma=data.get("decimal_comma", False), kind=data.get("kind"),
                            kind_words=data.get("kind_words"))


# ---------------------------------------------------------------- converting locally

_AMOUNT = re.compile(r"^(?P<num>[-+−]?\d[\d.,'\u00a0 ]*?)\s*(?P<unit>[^\d\s.,][^\d]*)?$")


def _plain_number(text: str, decimal_comma: bool) -> str:
    digits = text.replace("\u00a0", "").replace(" ", "").replace("'", "").replace("−", "-")
    # one separator that cannot be a thousands separator (not followed by exactly 3 digits) is the decimal mark
    if "," not in digits and re.fullmatch(r"[-+]?\d+\.(?:\d{1,2}|\d{4,})", digits):
        return digits
    if "." not in digits and re.fullmatch(r"[-+]?\d+,(?:\d{1,2}|\d{4,})", digits):
        return digits.replace(",", ".")
    if decimal_comma:
        return digits.replace(".", "").replace(",", ".")
    return digits.replace(",", "")


def _amount(raw: str, decimal_comma: bool) -> tuple[str, str | None] | None:
    """("2.5", "ct") for "2.5ct"; (number, None) without a unit; None when the cell is not a number (and unit)."""
    match = _AMOUNT.match(raw.strip())
    if not match:
        return None
    unit_text = (match.group("unit") or "").strip().rstrip(".")
    symbol = UNIT_WORDS.get(unit_text.lower()) if unit_text else None
    if unit_text and symbol is None:
        return None
    number = _plain_number(match.group("num"), decimal_comma)
    if not re.fullmatch(r"[-+]?\d+(?:\.\d+)?", number):
        return None
    return number, symbol


def convert(table: RawTable, mapping: Mapping) -> Sheet:
    """Every row of the sheet converted by the mapping and its rules, as the importer's Sheet."""
    index = {header: position for position, header in enumerate(table.headers) if header}
    columns = {target: header for header, target in mapping.columns.items()}
    if "weight_unit" not in columns and (mapping.weight_unit or "weight" in columns):
        columns["weight_unit"] = "Weight unit (AI rules)"
    if "type" not in columns and mapping.kind:
        columns["type"] = "Kind (AI rules)"
    rows, formulas = [], {}
    for number, cells in table.rows:
        def cell(target: str) -> str:
            header = columns.get(target)
            position = index.get(header) if header else None
            return cells[position].strip() if position is not None and position < len(cells) else ""
        values = {target: cell(target) for target in columns}
        unit_cell = values.get("weight_unit", "")
        weight = _amount(values.get("weight", ""), mapping.decimal_comma) if values.get("weight") else None
        if weight is not None:
            amount, symbol = weight
            if symbol and unit_cell and UNIT_WORDS.get(unit_cell.lower()) not in (symbol, None):
                pass  # the cell's unit contradicts the unit column: left as written, so the importer flags it
            else:
                values["weight"] = amount
                values["weight_unit"] = symbol or unit_cell or mapping.weight_unit or ""
        elif not unit_cell and mapping.weight_unit:
            values["weight_unit"] = mapping.weight_unit
        if values.get("quantity"):
            quantity = _amount(re.sub(r"(?i)\s*(pcs|pieces|pc|stones)\.?$", "", values["quantity"]),
                               mapping.decimal_comma)
            if quantity is not None and quantity[1] is None:
                values["quantity"] = quantity[0]
        if "type" in values:
            kind_text = values["type"]
            values["type"] = (mapping.kind_words.get(kind_text.lower()) or KIND_LABELS.get(kind_text.lower())
                              or kind_text or mapping.kind or "")
        rows.append((number, values))
        held = table.formulas.get(number, ())
        marked = tuple(target for target, header in columns.items() if index.get(header) in held)
        if marked:
            formulas[number] = marked
    ignored = tuple(header for header in table.headers if header and header not in mapping.columns)
    return Sheet(table.file_name, table.sheet_name, columns, ignored, tuple(rows), formulas,
                 (f"Columns mapped with AI and converted here, row by row: {describe(mapping)}.",))


def describe(mapping: Mapping) -> str:
    """The mapping in one line, for the preview and the audit."""
    parts = [f"{header} → {BY_KEY[target].header}" for header, target in mapping.columns.items()]
    if mapping.weight_unit:
        parts.append(f"weights without a unit in {mapping.weight_unit}")
    if mapping.decimal_comma:
        parts.append("decimal commas")
    if mapping.kind:
        parts.append(f"kind {mapping.kind}")
    return "; ".join(parts)
