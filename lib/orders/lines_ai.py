"""AI-prepared order lines (reference 3.8.2): the notes of a new order become lines for the person to review.

Three steps, so no database transaction stays open while the model thinks:
`prepare_request` (checks and renders the prompt; sends nothing) ->
`request_lines` (the one metered call, `lib.llm.metering.metered_call`: a
credit reserved and the usage row settled in short writes of their own,
credits as for summaries, reference 3.8.1) and `parse_reply` (pure: JSON,
schema, matching).

What leaves the server: the fixed instructions of `prompts/order_lines.md`,
the list of unit symbols, the names of the active products of the catalog
and the notes text the person typed. Nothing else: not the customer or
supplier, the order lead, stock, prices or other orders.

Decisions where the reference is silent (section 5, Q38 and Q40; also in docs/orders.md):

- It is offered only when the workspace switch `ai_order_lines_enabled` is on
  (per-module switch, reference 3.5.8) and an endpoint is configured; it is
  for people who create orders (admins). Otherwise nothing is sent.
- The reply must be one JSON object (a single Markdown code fence around it is
  tolerated) valid against `LINES_SCHEMA`: pieces whole and >= 0, weights
  >= 0, at most 200 lines. Units must be known symbols or unit names
  (grams, carats, ...). Anything else (invalid JSON, an unknown unit, a
  negative number, a timeout) prepares no lines: the person gets a message
  and enters the lines by hand.
- Products: the name as written is matched exactly, ignoring case and extra
  spaces; otherwise up to three closest catalog names are offered for the
  person to choose (difflib similarity, or one name containing the other),
  and the line keeps no product until they do. Shapes and sizes are matched
  exactly (ignoring case) against active catalog entries; an unknown one is
  left empty with a note. A product is never created.
- Usage is metered once the model has answered, usable or not (the tokens
  were spent); a request that gets no answer is not recorded.
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from decimal import Decimal

import jsonschema
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.access import Actor, Right
from lib.llm import metering
from lib.llm.client import Completion, LlmClient, missing_settings, not_configured_message
from lib.llm.prompts import load as load_prompt
from lib.classification import BY_KEY
from lib.config import Settings
from lib.errors import ConfigurationError, PermissionDenied, ValidationFailed
from lib.models import LINE_ATTRIBUTE_KEYS, CatalogEntry, Product
from lib.orders.orders import MAX_DESCRIPTION, MAX_LINES, MAX_NOTES
from lib.units import UNIT_SYMBOLS, WEIGHT_QUANTUM, WEIGHT_UNITS, unit
from lib.workspace.settings import default_weight_unit, get_workspace

FEATURE = "order_lines"
FEATURE_LABEL = "Order lines"
PROMPT_NAME = "order_lines"
MAX_PRODUCT_NAMES = 500
MAX_CANDIDATES = 3
FENCE = re.compile(r"\A```(?:json)?\s*(.*?)\s*```\Z", re.DOTALL | re.IGNORECASE)

_OPTIONAL_TEXT = {"type": ["string", "null"], "maxLength": 200}
LINES_SCHEMA = {
    "type": "object",
    "required": ["lines"],
    "properties": {
        "lines": {
            "type": "array",
            "maxItems": MAX_LINES,
            "items": {
                "type": "object",
                "required": ["product"],
                "properties": {
                    "product": {"type": "string", "minLength": 1, "maxLength": 200},
                    "description": {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION},
                    "pieces": {"type": ["integer", "null"], "minimum": 0, "maximum": 1_000_000_000},
                    "weight": {"type": ["number", "null"], "minimum": 0, "maximum": 1e11},
                    "unit": _OPTIONAL_TEXT,
                    "shape": _OPTIONAL_TEXT,
                    "size": _OPTIONAL_TEXT,
                },
            },
        },
    },
}
"""What a reply must look like (JSON Schema); extra keys are ignored."""

_UNIT_WORDS = {**{u.symbol.lower(): u.symbol for u in WEIGHT_UNITS},
               **{u.name.lower(): u.symbol for u in WEIGHT_UNITS},
               **{u.name.lower() + "s": u.symbol for u in WEIGHT_UNITS}}


@dataclass(frozen=True)
class LinesRequest:
    """Everything needed to call the model and read its answer (built in a read transaction)."""

    system: str
    user: str
    prompt_version: str
    products: tuple[tuple[int, str], ...]  # active catalog products sent by name
    attributes: dict[str, tuple[tuple[int, str], ...]]  # line attribute field -> active (id, name)
    default_unit: str


@dataclass(frozen=True)
class PreparedLine:
    """One line for the person to review: a matched product, or candidates to choose from."""

    product_text: str  # the product as the model wrote it
    product_id: int | None
    candidates: tuple[tuple[int, str], ...]  # closest catalog products when not matched
    description: str
    quantity: int
    weight: Decimal
    weight_unit: str
    attribute_ids: dict[str, int | None]  # line attribute field -> entry id
    notes: tuple[str, ...]  # what could not be matched


def check_can_prepare(session: Session, *, actor: Actor, settings: Settings) -> None:
    """Raise unless this actor may send notes to the model now (role, workspace switch, endpoint)."""
    actor.require(Right.EDIT_ORDERS)
    if not get_workspace(session).ai_order_lines_enabled:
        raise PermissionDenied("AI order lines are turned off for this workspace (/settings → Orders).")
    message = not_configured_message(settings)
    if message:
        raise ConfigurationError(message)


def is_available(session: Session, *, actor: Actor, settings: Settings) -> bool:
    """Whether the "Prepare lines from notes" button is offered to this actor."""
    return (actor.can(Right.EDIT_ORDERS) and get_workspace(session).ai_order_lines_enabled
            and not missing_settings(settings))


def _json_text(value) -> str:
    """JSON for the prompt with <, > and backticks escaped, so no value can close a block or a fence."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("`", "\\u0060")


def prepare_request(session: Session, *, actor: Actor, settings: Settings, notes: str) -> LinesRequest:
    """Check the gate and the notes, and render the prompt with the notes and the product names. Sends nothing."""
    check_can_prepare(session, actor=actor, settings=settings)
    text = (notes or "").strip()
    if not text:
        raise ValidationFailed("Write the order's notes first: the lines are prepared from them.")
    if len(text) > MAX_NOTES:
        raise ValidationFailed(f"Notes may be at most {MAX_NOTES} characters (got {len(text)}).")
    products = tuple((pid, name) for pid, name in session.execute(
        select(Product.id, Product.name).where(Product.active.is_(True)).order_by(Product.name)
        .limit(MAX_PRODUCT_NAMES)))
    attributes = {}
    for key in LINE_ATTRIBUTE_KEYS:
        attribute = BY_KEY[key]
        attributes[attribute.field] = tuple((eid, name) for eid, name in session.execute(
            select(CatalogEntry.id, CatalogEntry.name)
            .where(CatalogEntry.catalog == attribute.catalog, CatalogEntry.active.is_(True))))
    prompt = load_prompt(PROMPT_NAME).render(product_names=_json_text([name for _pid, name in products]),
                                              notes=_json_text(text), units=", ".join(UNIT_SYMBOLS))
    return LinesRequest(prompt.system, prompt.user, prompt.version, products, attributes,
                        default_weight_unit(session))


def request_lines(request: LinesRequest, *, actor: Actor, settings: Settings, sessions: metering.WriteSessions,
                  client: LlmClient | None = None) -> Completion:
    """Call the model through the metered path (lib.llm.metering: a credit reserved, then the usage row
    settled, audited, credits as reference 3.8.1). Raises LlmError / ConfigurationError / CreditsExhausted."""
    actor.require(Right.EDIT_ORDERS)
    return metering.metered_call(sessions, actor=actor, settings=settings, feature=FEATURE, action="prepare lines",
                                 system=request.system, user=request.user, client=client)


# ---------------------------------------------------------------- reading the answer (pure)

def _refused(detail: str) -> ValidationFailed:
    return ValidationFailed(f"The AI answer could not be used: {detail}. No lines were prepared; enter them by "
                            "hand or try again.")


def _decode(text: str) -> dict:
    body = text.strip()
    fenced = FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    try:
        data = json.loads(body, parse_float=Decimal)
    except ValueError:
        raise _refused("it is not valid JSON") from None
    validator = jsonschema.Draft202012Validator(LINES_SCHEMA)
    error = jsonschema.exceptions.best_match(validator.iter_errors(_plain(data)))
    if error is not None:
        where = " → ".join(str(part + 1) if isinstance(part, int) else str(part) for part in error.absolute_path)
        raise _refused(f"{where or 'the answer'}: {error.message}")
    return data


def _plain(value):
    """Decimals as floats, for the schema validator (the values themselves stay Decimal)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return float(value) if isinstance(value, Decimal) else value


def _key(text: str) -> str:
    return " ".join(str(text).split()).lower()


def match_product(text: str, products: tuple[tuple[int, str], ...]) -> tuple[int | None, tuple[tuple[int, str], ...]]:
    """(product id on an exact match ignoring case and spaces, else None; closest candidates otherwise)."""
    wanted = _key(text)
    by_key = {_key(name): (pid, name) for pid, name in products}
    if wanted in by_key:
        return by_key[wanted][0], ()
    close = difflib.get_close_matches(wanted, list(by_key), n=MAX_CANDIDATES, cutoff=0.6)
    containing = [key for key in by_key if wanted and (wanted in key or key in wanted) and key not in close]
    return None, tuple(by_key[key] for key in (close + containing)[:MAX_CANDIDATES])


def _unit(raw, position: int, default: str) -> str:
    if raw in (None, ""):
        return default
    symbol = _UNIT_WORDS.get(_key(raw))
    if symbol is None:
        raise _refused(f"line {position} has the unknown weight unit {str(raw)[:40]!r} "
                       f"(known: {', '.join(UNIT_SYMBOLS)})")
    return unit(symbol).symbol


def _weight(raw, position: int) -> Decimal:
    value = Decimal(str(raw)) if raw is not None else Decimal(0)
    if value != value.quantize(WEIGHT_QUANTUM):
        raise _refused(f"line {position} has a weight with more than 4 decimals")
    return value.quantize(WEIGHT_QUANTUM)


def parse_reply(text: str, request: LinesRequest) -> list[PreparedLine]:
    """The model's answer as lines for review; ValidationFailed (a message for the person) when unusable."""
    data = _decode(text)
    entries = {field: {_key(name): eid for eid, name in values} for field, values in request.attributes.items()}
    lines = []
    for position, raw in enumerate(data["lines"], start=1):
        product_id, candidates = match_product(raw["product"], request.products)
        notes = [] if product_id else [f"product {raw['product'][:80]!r} is not in the catalog; choose one"]
        attribute_ids = {}
        for key in LINE_ATTRIBUTE_KEYS:
            field, label = BY_KEY[key].field, BY_KEY[key].label
            written = raw.get(key)
            attribute_ids[field] = entries[field].get(_key(written)) if written else None
            if written and attribute_ids[field] is None:
                notes.append(f"{label.lower()} {written[:40]!r} is not in the catalog")
        lines.append(PreparedLine(
            product_text=raw["product"][:200], product_id=product_id, candidates=candidates,
            description=(raw.get("description") or "").strip()[:MAX_DESCRIPTION],
            quantity=int(raw.get("pieces") or 0), weight=_weight(raw.get("weight"), position),
            weight_unit=_unit(raw.get("unit"), position, request.default_unit), attribute_ids=attribute_ids,
            notes=tuple(notes)))
    if not lines:
        raise _refused("it lists no lines")
    return lines
