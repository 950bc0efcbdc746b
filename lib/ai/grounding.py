"""Claim-level grounding of an AI summary against its fact sheet (issue 17, item 1).

The reply is split into clauses (sentences, bullets, semicolons, ", while"/", but"). Each figure in a clause
is read with

- its **subject**: the product (its name, "the product", "in total", "overall", or no subject named), a
  location, an inventory kind or a quality named in the clause: the nearest mention before the figure, else
  the nearest after it; a product mention right after "% of" is the share's base, not a subject;
- its **measure**: weight held, item or piece count, average, share, added, deducted, net change, a largest
  movement, in production, open sales demand, incoming purchases, stock age, days since the last movement,
  from the nearest keyword (one before the figure preferred);
- its **window**: 30 or 90 days (or 12 months, which the facts do not have), from the clause, else the
  nearest earlier mention in the same paragraph or bullet; the window's own number is not a claim;
- its **unit**: a weight unit (converted), a percentage, a count word, days, money (a currency code or symbol
  before or after it: "USD 1,234.56", "$1,234", "1,234 EUR"; or a bare number in a clause about value or cost);
  spelled numbers followed by a unit ("roughly two kilograms") are read too.

Money (the value held, in the facts of admins and managers only) is matched as a measure like any other: value
at cost, at current rates or metal value at current rates, in its currency; a money figure is never compared
with a weight or a count, nor a bare number with a money fact, and a sum or conversion of currencies is
unsupported.

Every fact of the sheet carries the same four fields (`facts_of`). A figure is

- **supported** when a fact with a compatible subject, measure and window has its value at the precision
  written (half a unit of the last digit; "1,200 g" may round 1,234 g within 5 %; hedged figures "about",
  "roughly", "nearly"... within 10 %, "over"/"under" as bounds; percentages in points);
- **misattributed** when it is not supported but another fact has that value: the note names that fact
  ("1,180.41 g is Cutting Studio's weight held, not the product's weight held (3,920.404 g)");
- **unsupported** when no fact has that value.

Dates must appear in the facts. What the checker cannot catch is written in docs/ai-summaries.md.

`restricted_figures` finds what only admins and managers may read (money, and the `orders` section's figures and
words) in the main part of a summary, which members read (issue 19 and its orders follow-up).
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from lib.units import UNITS_BY_SYMBOL
from lib.units import unit as weight_unit

MARK_OPEN, MARK_CLOSE = "⚠️[", "]"
SUPPORTED, MISATTRIBUTED, UNSUPPORTED = "supported", "misattributed", "unsupported"
HEDGE_SHARE = Decimal("0.10")
HEDGE_POINTS = Decimal(2)
GENERIC_PENALTY = 24  # "holds"/"stock"/"weight" lose to a specific measure word unless clearly nearer
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

WEIGHT, COUNT, PERCENT, DAYS, MONEY = "weight", "count", "percent", "days", "money"
PRODUCT = "product"
MEASURE_LABELS = {
    "held": "weight held", "items": "item count", "pieces": "piece count", "average": "average weight per item",
    "share": "share of the weight held", "added": "weight added", "deducted": "weight deducted",
    "change": "net change", "change_pct": "net change", "movement": "largest recent movement",
    "production_weight": "weight issued to open production jobs", "production_jobs": "open production jobs",
    "demand": "open sales demand", "incoming": "incoming purchases", "age": "age of the oldest stock",
    "idle": "days since the last movement", "groups": "number of groups",
    "value_cost": "value held at cost", "value_current": "value held at current rates",
    "value_metal": "metal value at current rates", "unpriced": "components without a price today",
}


# ---------------------------------------------------------------- facts

@dataclass(frozen=True)
class Fact:
    subject: tuple[str, str]  # ("product", name) / ("location" | "kind" | "quality", name)
    measure: str
    window: int | None
    quantity: str  # weight / count / percent / days
    value: Decimal  # absolute value; weights in the facts' unit
    detail: str = ""  # e.g. "pieces" for demand, the date of a movement

    def label(self, unit: str) -> str:
        kind, name = self.subject
        owner = "the product's" if kind == PRODUCT else (f"{name}'s" if kind == "location" else
                                                         f"{kind} {name}'s" if kind == "quality" else
                                                         f"the {name} kind's")
        what = MEASURE_LABELS.get(self.measure, self.measure)
        if self.detail and self.quantity != MONEY:
            what += f" ({self.detail})"
        if self.window:
            what += f" in the last {self.window} days"
        shown = f"{self.value:,}" if self.quantity != PERCENT else f"{self.value}%"
        if self.quantity == MONEY:
            shown = f"{self.detail} {self.value:,}"
        if self.quantity == WEIGHT:
            shown += f" {unit}"
        return f"{owner} {what} ({shown})"


def _dec(value) -> Decimal:
    return abs(Decimal(str(value)))


def facts_of(facts: dict) -> list[Fact]:
    """Every figure of a fact sheet (lib.ai.summaries.build_facts) with its subject, measure, window and unit."""
    out: list[Fact] = []
    product = (PRODUCT, str((facts.get("product") or {}).get("name", "")))

    def add(subject, measure, window, quantity, value, detail=""):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append(Fact(subject, measure, window, quantity, _dec(value), detail))

    stock = facts.get("stock") or {}
    add(product, "held", None, WEIGHT, stock.get("total_weight"))
    add(product, "items", None, COUNT, stock.get("items"))
    add(product, "pieces", None, COUNT, stock.get("pieces"))
    add(product, "average", None, WEIGHT, stock.get("average_weight"))
    add(product, "age", None, DAYS, stock.get("oldest_stock_age_days"))
    add(product, "idle", None, DAYS, stock.get("days_since_last_movement"))
    for group, key in (("by_kind", "kind"), ("by_location", "location"), ("by_quality", "quality")):
        rows = facts.get(group) or []
        add(product, "groups", None, COUNT, len(rows), f"{key}s")
        for row in rows:
            subject = (key, str(row.get(key, "")))
            add(subject, "held", None, WEIGHT, row.get("weight"))
            add(subject, "items", None, COUNT, row.get("items"))
            add(subject, "share", None, PERCENT, row.get("share_pct"))
    for window in (facts.get("movement") or {}).values():
        days = window.get("days")
        add(product, "added", days, WEIGHT, window.get("added_weight"))
        add(product, "deducted", days, WEIGHT, window.get("deducted_weight"))
        add(product, "change", days, WEIGHT, window.get("net_weight"))
        add(product, "change_pct", days, PERCENT, window.get("net_change_pct"))
    for row in facts.get("largest_recent_movements") or []:
        add(product, "movement", 90, WEIGHT, row.get("weight"), f"{row.get('movement', '')} on {row.get('date', '')}")
    production = facts.get("in_production") or {}
    add(product, "production_jobs", None, COUNT, production.get("open_jobs"))
    add(product, "production_weight", None, WEIGHT, production.get("issued_weight"))
    orders = facts.get("orders") or {}
    for key, measure in (("open_sales_demand", "demand"), ("incoming_purchases", "incoming")):
        figures = orders.get(key) or {}
        for field in ("lines", "orders", "pieces"):
            add(product, measure, None, COUNT, figures.get(field), field)
        add(product, measure, None, WEIGHT, figures.get("weight"), "weight")
    value = facts.get("value") or {}
    for row in value.get("currencies") or []:
        for key, measure in (("value_at_cost", "value_cost"), ("value_at_current_rates", "value_current"),
                             ("metal_value_at_current_rates", "value_metal")):
            add(product, measure, None, MONEY, row.get(key), str(row.get("currency", "")))
    add(product, "unpriced", None, COUNT, value.get("components_without_a_price_today"))
    return out


def _currencies(facts: dict) -> set[str]:
    return {str(row.get("currency", "")) for row in (facts.get("value") or {}).get("currencies") or []}


def _dates(facts: dict) -> set[str]:
    return set(re.findall(r"\d{4}-\d{2}-\d{2}", json.dumps(facts)))


# ---------------------------------------------------------------- reading the text

_NUM = r"[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+|,\d{1,2}(?!\d))?"
_FIGURE = re.compile(
    r"(?P<date>(?<![\w.])\d{4}-\d{2}-\d{2}(?!\d))"
    rf"|(?P<num>(?<![\w.,]){_NUM})(?P<space>[ \u00a0]?)(?P<word>%|[^\W\d_]+)?")
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
                 "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
                 "a hundred": 100, "hundred": 100, "a thousand": 1000, "half a": Decimal("0.5"),
                 "one and a half": Decimal("1.5"), "two and a half": Decimal("2.5")}
_UNIT_WORDS = {"gram": "g", "grams": "g", "gm": "g", "gms": "g", "carat": "ct", "carats": "ct", "cts": "ct",
               "kilogram": "kg", "kilograms": "kg", "kilo": "kg", "kilos": "kg", "milligram": "mg",
               "milligrams": "mg", "ounce": "oz", "ounces": "oz", "pennyweight": "dwt", "pennyweights": "dwt",
               "grain": "gr", "grains": "gr", "tolas": "tola", "pound": "lb", "pounds": "lb", "lbs": "lb"}
_SPELLED = re.compile(r"(?<![\w-])(?P<num>" + "|".join(sorted((re.escape(w) for w in _WORD_NUMBERS), key=len,
                                                             reverse=True))
                      + r")[ \u00a0](?P<word>(?:percent|per cent|" + "|".join(_UNIT_WORDS) + r"|kg|g|ct)\b)",
                      re.IGNORECASE)
_ORDINALS = {"st", "nd", "rd", "th"}
_COUNT_MEASURES = {"item": "items", "items": "items", "record": "items", "records": "items", "piece": "pieces",
                   "pieces": "pieces", "pcs": "pieces", "job": "production_jobs", "jobs": "production_jobs",
                   "location": "groups", "locations": "groups", "kind": "groups", "kinds": "groups",
                   "quality": "groups", "qualities": "groups", "grade": "groups", "grades": "groups",
                   "order": None, "orders": None, "line": None, "lines": None,
                   "component": "unpriced", "components": "unpriced"}
_DAY_WORDS = {"day", "days"}
_CURRENCY_CODES = {"USD", "EUR", "GBP", "CHF", "JPY", "INR", "AUD", "CAD", "HKD", "SGD", "THB", "AED", "CNY", "ILS",
                   "ZAR", "SEK", "NOK", "DKK", "NZD", "MXN", "BRL", "TRY", "LKR"}  # and the facts' own currencies
_CURRENCY_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}
_MONEY_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?P<code>[A-Z]{3})|(?P<symbol>US\$|[$€£¥₹]))[ \u00a0]?$")
_MONEY_CLAUSE = re.compile(r"\b(?:worth|valued?|values?|costs?|at cost|current rates?|price[ds]?)\b", re.IGNORECASE)
_MONEY_MEASURES = [  # first match wins a span; "metal value at current rates" is metal, not current rates
    ("value_metal", re.compile(r"\bmetals?(?: content)?(?: value)?(?: (?:at|on) (?:current|today'?s) "
                               r"(?:rates?|prices?))?", re.IGNORECASE)),
    ("value_cost", re.compile(r"\b(?:at cost|cost(?:s|ed)?|book value|paid|purchase value)\b", re.IGNORECASE)),
    ("value_current", re.compile(r"\b(?:(?:at |on )?(?:current|today'?s|market) (?:rates?|prices?|value)|"
                                 r"re-?valued|market)\b", re.IGNORECASE)),
]
_HEDGE = re.compile(r"(?:about|around|roughly|approximately|approx\.?|nearly|almost|some|close to|~|c\.|circa|"
                    r"an estimated|just over|just under)\s*$", re.IGNORECASE)
_ABOVE = re.compile(r"(?:over|more than|above|at least|upwards of)\s*$", re.IGNORECASE)
_BELOW = re.compile(r"(?:under|less than|below|at most|fewer than)\s*$", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"(?<!\d)[.!?](?=\s|$)|[.!?](?=\s+[A-Z])|\n|;|,\s+(?:but|while|whereas|although)\s+"
                           r"|\s+(?:while|whereas)\s+")
_WINDOWS = [
    (30, re.compile(r"\b(?:(?P<n>30)|thirty)[- ](?:days?|días|dias|jours|tage)\b"
                    r"|\b(?:last|past|previous) month\b|\bthis month\b", re.IGNORECASE)),
    (90, re.compile(r"\b(?:(?P<n>90)|ninety)[- ](?:days?|días|dias|jours|tage)\b"
                    r"|\b(?:(?P<m>3)|three)[- ]months?\b|\bquarter\b", re.IGNORECASE)),
    (365, re.compile(r"\b(?:(?P<n>12)|twelve)[- ]months?\b|\b(?:last|past) year\b"
                     r"|\b(?P<y>365)[- ](?:days?|días|dias|jours|tage)\b", re.IGNORECASE)),
]
_MEASURE_WORDS = [
    ("movement", r"receipts?|transfers?|transferred|movements?|single (?:receipt|issue|transfer)"),
    ("average", r"average|avg|per item|on average|mean"),
    ("share", r"share|accounts? for|makes? up|of the (?:product'?s? )?(?:total|weight|stock|holding)|"
              r"of (?:all|its|total) (?:stock|weight)|of the product"),
    ("added", r"added|adds|additions?|received|receipts|came in|brought in|inflows?|in(?:coming)? stock rose"),
    ("deducted", r"deducted|deductions?|removed|went out|taken out|used|consumed|sold|shipped|outflows?|"
                 r"issued|written off"),
    ("change", r"net|change[sd]?|fell|falls?|dropp?ed|drops?|declined?|decreased?|shr[ua]nk|grew|rose|"
               r"increased?|lost|gained|down|up by|up"),
    ("production", r"production|in work|work in progress|jobs?"),
    ("demand", r"demand|sales orders?|ordered|customers? want|open orders?|to ship"),
    ("incoming", r"incoming|purchases?|purchase orders?|on order|expected in|arriving"),
    ("age", r"old|oldest|aged?"),
    ("idle", r"since the last|last movement|days ago|moved"),
    ("held", r"holds?|held|holding|in stock|on hand|sits?|stocked|weighs?|weight|stock(?:s)?|total|has|have|"
             r"carries|contains?|amounts? to"),
]
_MEASURE_RE = [(name, re.compile(rf"\b(?:{words})\b", re.IGNORECASE)) for name, words in _MEASURE_WORDS]
_PRODUCT_WORDS = re.compile(r"\b(?:the product|this product|in total|overall|altogether|all locations|"
                            r"across (?:all )?(?:the )?locations|total stock|total|whole stock)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    start: int
    end: int
    text: str
    status: str
    note: str = ""


@dataclass(frozen=True)
class _Reading:
    value: Decimal
    quantity: str  # weight / count / percent / days / number
    subject: tuple[str, str] | None
    measure: str | None
    window: int | None
    hedge: str  # "", "about", "above", "below"
    written: str  # the digits as written, for the rounding tolerance
    scale: Decimal = Decimal(1)  # the written unit in the facts' unit (a tolerance of 0.05 kg is 50 g)
    currency: str | None = None  # money: the currency written with it (None: any of the facts')


@dataclass(frozen=True)
class ClaimCheck:
    """Every checked figure of a text, in order."""

    claims: tuple[Claim, ...]

    @property
    def flagged(self) -> list[Claim]:
        return [claim for claim in self.claims if claim.status != SUPPORTED]

    @property
    def misattributed(self) -> list[Claim]:
        return [claim for claim in self.claims if claim.status == MISATTRIBUTED]

    @property
    def unsupported(self) -> list[Claim]:
        return [claim for claim in self.claims if claim.status == UNSUPPORTED]

    def marked(self, text: str) -> str:
        """`text` with each flagged figure wrapped as ⚠️[1,180.41 g]¹ (plain text; the number points to a note)."""
        out, position = [], 0
        for number, claim in enumerate(self.flagged, start=1):
            out += [text[position:claim.start], MARK_OPEN, claim.text, MARK_CLOSE, str(number).translate(SUPERSCRIPT)]
            position = claim.end
        return "".join(out) + text[position:]

    def notes(self) -> list[str]:
        """One line per flagged figure, numbered as in `marked`."""
        return [f"{str(number).translate(SUPERSCRIPT)} {claim.note}" for number, claim in enumerate(self.flagged, 1)]

    def to_json(self) -> str:
        return json.dumps([asdict(claim) for claim in self.claims], ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ClaimCheck:
        return cls(tuple(Claim(**row) for row in json.loads(text)))


def _parse_number(text: str) -> Decimal:
    text = text.lstrip("+-−")
    if re.fullmatch(r"\d+,\d{1,2}", text):
        text = text.replace(",", ".")
    return abs(Decimal(text.replace(",", "")))


def _tolerance(written: str, value: Decimal) -> Decimal:
    """Half a unit of the last digit written; "1,200" may round 1,234 (at most 5 %)."""
    digits = written.lstrip("+-−")
    digits = digits.replace(",", ".") if re.fullmatch(r"\d+,\d{1,2}", digits) else digits.replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    tolerance = Decimal(5) / Decimal(10) ** (decimals + 1)
    zeros = len(digits) - len(digits.rstrip("0")) if decimals == 0 else 0
    if zeros and value >= 100:
        tolerance = max(tolerance, min(Decimal(5) * Decimal(10) ** (zeros - 1), value * Decimal("0.05")))
    return tolerance + Decimal("1e-9")


def _unit_symbol(word: str | None) -> str | None:
    if not word:
        return None
    lowered = word.lower()
    return _UNIT_WORDS.get(lowered) or (lowered if lowered in UNITS_BY_SYMBOL else None)


def _clauses(text: str) -> list[tuple[int, int, int]]:
    """(start, end, paragraph number) of each clause."""
    out, start, paragraph = [], 0, 0
    for match in _CLAUSE_BREAK.finditer(text):
        out.append((start, match.start(), paragraph))
        if "\n" in match.group(0):
            paragraph += 1
        start = match.end()
    out.append((start, len(text), paragraph))
    return [(s, e, p) for s, e, p in out if text[s:e].strip()]


def _mentions(text: str, facts: dict) -> list[tuple[int, int, tuple[str, str]]]:
    """Spans naming a subject: locations, kinds, qualities, the product."""
    found: list[tuple[int, int, tuple[str, str]]] = []
    names = [("location", row.get("location")) for row in facts.get("by_location") or []]
    names += [("kind", row.get("kind")) for row in facts.get("by_kind") or []]
    names += [("quality", row.get("quality")) for row in facts.get("by_quality") or []]
    product_name = str((facts.get("product") or {}).get("name", ""))
    for kind, name in sorted(names, key=lambda pair: -len(str(pair[1] or ""))):
        name = str(name or "").strip()
        if not name or name.startswith("("):
            continue
        if kind == "quality" and len(name) <= 3:
            pattern = rf"(?:(?i:quality|grade)\s+{re.escape(name)}|{re.escape(name)}[- ](?i:quality|grade))(?![\w])"
            flags = 0
        elif kind == "quality" and name.isupper():
            pattern, flags = rf"(?<![\w]){re.escape(name)}(?![\w])", 0
        else:
            pattern, flags = rf"(?<![\w]){re.escape(name)}(?![\w])", re.IGNORECASE
        for match in re.finditer(pattern, text, flags):
            if not any(s <= match.start() < e for s, e, _ in found):
                found.append((match.start(), match.end(), (kind, name)))
    if product_name:
        for match in re.finditer(rf"(?<![\w]){re.escape(product_name)}(?![\w])", text, re.IGNORECASE):
            if not any(s <= match.start() < e for s, e, _ in found):
                found.append((match.start(), match.end(), (PRODUCT, product_name)))
    for match in _PRODUCT_WORDS.finditer(text):
        if not any(s <= match.start() < e for s, e, _ in found):
            found.append((match.start(), match.end(), (PRODUCT, product_name)))
    return found


def _distance(span, start: int, end: int) -> int:
    """How far a span is from [start, end), in half characters: one after the figure counts 1.5 times its distance."""
    s, e = span[0], span[1]
    return 2 * (start - e) if e <= start else (3 * (s - end) + 1 if s >= end else 0)


def _nearest(spans, start: int, end: int):
    """The span closest to [start, end) by `_distance`."""
    return min(spans, key=lambda span: _distance(span, start, end), default=None)


def _windows(text: str) -> tuple[list[tuple[int, int, int]], list[tuple[int, int]]]:
    """Window mentions (start, end, days) and the spans of their own numbers (not claims)."""
    mentions, numbers = [], []
    for days, pattern in _WINDOWS:
        for match in pattern.finditer(text):
            mentions.append((match.start(), match.end(), days))
            for group in ("n", "m", "y"):
                if group in pattern.groupindex and match.group(group):
                    numbers.append((match.start(group), match.end(group)))
    return sorted(mentions), numbers


def _money_measure(clause: str, offset: int, start: int, end: int) -> str | None:
    """value_cost / value_current / value_metal from the nearest money measure words, or None (any value)."""
    spans: list[tuple[int, int, str]] = []
    for name, pattern in _MONEY_MEASURES:
        for match in pattern.finditer(clause):
            s, e = offset + match.start(), offset + match.end()
            if not any(s < e2 and s2 < e for s2, e2, _ in spans):
                spans.append((s, e, name))
    found = _nearest(spans, start, end)
    return found[2] if found else None


def _currency(text: str, clause_start: int, start: int, word: str | None, facts: dict) -> str | None:
    """The currency written with the figure ("USD 12", "$12", "12 EUR"), or None."""
    codes = _CURRENCY_CODES | _currencies(facts)
    if word and word in codes:
        return word
    before = _MONEY_BEFORE.search(text[clause_start:start])
    if before and before.group("code") in codes:
        return before.group("code")
    if before and before.group("symbol"):
        return _CURRENCY_SYMBOLS[before.group("symbol")]
    return None


def _measure(clause: str, offset: int, start: int, end: int, quantity: str, word: str | None) -> str | None:
    spans = []
    for name, pattern in _MEASURE_RE:
        for match in pattern.finditer(clause):
            if offset + match.start() <= start < offset + match.end():
                continue
            spans.append((offset + match.start(), offset + match.end(), name))
    if quantity == COUNT and word and word.lower() in _COUNT_MEASURES:
        fixed = _COUNT_MEASURES[word.lower()]
        context = {name for _s, _e, name in spans}
        if fixed == "production_jobs" or (fixed is None and "production" in context):
            return "production_jobs" if fixed == "production_jobs" else "production"
        if fixed is None:
            return "demand" if "demand" in context else "incoming" if "incoming" in context else None
        if "demand" in context or "incoming" in context:
            return "demand" if "demand" in context else "incoming"
        return fixed
    if quantity == DAYS:
        found = _nearest([span for span in spans if span[2] in ("age", "idle")], start, end)
        return found[2] if found else None
    if quantity == PERCENT:
        spans = [span for span in spans if span[2] in ("share", "change", "added", "deducted")]
        found = _nearest(spans, start, end)
        if found is None:
            return None
        return "share" if found[2] == "share" else "change_pct"
    # weights: the most specific keyword in the clause wins over a generic "held"
    specific = [span for span in spans if span[2] not in ("held", "age", "idle", "share")]
    found = _nearest(specific, start, end)
    generic = _nearest([span for span in spans if span[2] == "held"], start, end)
    if generic is not None and (found is None or _distance(generic, start, end) + GENERIC_PENALTY
                                < _distance(found, start, end)):
        found = generic
    if found is None:
        return None
    return {"production": "production_weight", "age": None, "idle": None}.get(found[2], found[2])


def _read(text: str, facts: dict) -> list[tuple[int, int, str, _Reading | str]]:
    """Each figure: (start, end, shown text, reading or a date string)."""
    mentions = _mentions(text, facts)
    windows, window_numbers = _windows(text)
    clauses = _clauses(text)
    out = []
    figures = [(m.start(), m, False) for m in _FIGURE.finditer(text)]
    figures += [(m.start(), m, True) for m in _SPELLED.finditer(text)]
    taken: list[tuple[int, int]] = []
    for _position, match, spelled in sorted(figures, key=lambda item: item[0]):
        if any(s <= match.start() < e for s, e in taken):
            continue
        if not spelled and match.group("date"):
            out.append((match.start(), match.end(), match.group("date"), match.group("date")))
            taken.append((match.start(), match.end()))
            continue
        start, number_end = match.start("num"), match.end("num")
        if any(s <= start < e for s, e in window_numbers) or any(s <= start < e for s, e, _ in mentions):
            continue  # a window's own number, or a digit inside a name ("14K Yellow Gold Clasps")
        word = match.group("word")
        if not spelled and word and not match.group("space") and word.lower() in _ORDINALS:
            continue
        if not spelled and _is_list_marker(text, match):
            continue
        written = match.group("num")
        try:
            value = Decimal(_WORD_NUMBERS[written.lower()]) if spelled else _parse_number(written)
        except (KeyError, InvalidOperation):
            continue
        lowered = (word or "").lower()
        if lowered in ("percent", "per cent"):
            lowered = "%"
        symbol = _unit_symbol(word)
        quantity = (WEIGHT if symbol else PERCENT if lowered == "%" else DAYS if lowered in _DAY_WORDS
                    else COUNT if lowered in _COUNT_MEASURES else "number")
        end = match.end() if symbol or quantity == PERCENT or spelled else number_end
        clause = next(((s, e, p) for s, e, p in clauses if s <= start < e), (0, len(text), 0))
        currency = None
        if not spelled and quantity in (COUNT, "number"):
            currency = _currency(text, clause[0], start, word, facts)
            if currency is not None or (quantity == "number" and _MONEY_CLAUSE.search(text[clause[0]:clause[1]])):
                quantity = MONEY
                end = match.end() if currency is not None and word == currency else number_end
        scale = Decimal(1)
        if symbol:
            scale = weight_unit(symbol).grams / weight_unit(facts.get("unit", "g")).grams
            value = value * scale
        taken.append((start, end))
        before = text[clause[0]:start]
        if quantity == MONEY:  # "about USD 125": the hedge is before the currency
            before = _MONEY_BEFORE.sub("", before)
        hedge = "about" if _HEDGE.search(before) or spelled else "above" if _ABOVE.search(before) else \
            "below" if _BELOW.search(before) else ""
        in_clause = [m for m in mentions if clause[0] <= m[0] < clause[1]]
        if quantity == PERCENT:  # "…% of the product's weight": the product is the share's base
            base = [m for m in in_clause if m[2][0] == PRODUCT and 0 <= m[0] - end <= 25
                    and re.match(r"\s*of\b", text[end:m[0]])]
            in_clause = [m for m in in_clause if m not in base]
        subject = _nearest([m for m in in_clause if m[1] <= start], start, end) or _nearest(in_clause, start, end)
        window = _nearest([w for w in windows if clause[0] <= w[0] < clause[1]], start, end)
        if window is None:
            earlier = [w for w in windows if w[1] <= clause[0]
                       and not any(p != clause[2] for s, e, p in clauses if s <= w[0] < e)]
            window = earlier[-1] if earlier else None
        measure = (None if quantity == "number" else
                   _money_measure(text[clause[0]:clause[1]], clause[0], start, end) if quantity == MONEY else
                   _measure(text[clause[0]:clause[1]], clause[0], start, end, quantity, word))
        out.append((start, end, text[start:end], _Reading(
            value=value, quantity=quantity, subject=subject[2] if subject else None, measure=measure,
            window=window[2] if window else None, hedge=hedge, written="" if spelled else written, scale=scale,
            currency=currency)))
    return out


def _is_list_marker(text: str, match: re.Match) -> bool:
    line_start = text.rfind("\n", 0, match.start()) + 1
    return not text[line_start:match.start()].strip() and text[match.end("num"):match.end("num") + 1] in (".", ")") \
        and not match.group("word")


# ---------------------------------------------------------------- matching

def _value_matches(reading: _Reading, fact: Fact) -> bool:
    claimed, actual = reading.value, fact.value
    if reading.quantity == PERCENT:
        slack = HEDGE_POINTS if reading.hedge else Decimal(0)
    else:
        slack = actual * HEDGE_SHARE if reading.hedge else Decimal(0)
    if reading.hedge == "above":
        return claimed <= actual + Decimal("1e-9") and actual <= claimed * Decimal("1.25") + slack
    if reading.hedge == "below":
        return actual <= claimed + Decimal("1e-9") and actual >= claimed * Decimal("0.75") - slack
    tolerance = (_tolerance(reading.written, actual / reading.scale) if reading.written
                 else Decimal("0.5") + Decimal("1e-9")) * reading.scale
    return abs(claimed - actual) <= max(tolerance, slack)


def _same_quantity(reading: _Reading, fact: Fact) -> bool:
    if reading.quantity == "number":
        return fact.quantity in (COUNT, DAYS, WEIGHT)
    if reading.quantity == MONEY:
        return fact.quantity == MONEY and reading.currency in (None, fact.detail)
    return reading.quantity == fact.quantity


def _fits(reading: _Reading, fact: Fact, product: tuple[str, str]) -> bool:
    """Whether the fact is what the sentence says the figure is (subject, measure, window)."""
    subject = reading.subject or product
    if fact.measure != "movement" and fact.subject != subject and not (
            subject[0] == PRODUCT and fact.subject[0] == PRODUCT):
        return False  # a movement is the product's, whatever kind or location the sentence names with it
    if reading.measure is not None and reading.measure != fact.measure:
        held_like = reading.measure == "held" and fact.measure in ("held",)
        if not held_like:
            return False
    if reading.measure is None and reading.quantity == WEIGHT and fact.window is None \
            and reading.window is None and fact.measure not in ("held", "average"):
        return False
    if fact.window is not None and reading.window is not None and fact.window != reading.window:
        return False
    return True


def _claimed(reading: _Reading, product: tuple[str, str]) -> str:
    """What the sentence says the figure is, when the facts have no such figure."""
    kind, name = reading.subject or product
    owner = "the product's" if kind == PRODUCT else (f"{name}'s" if kind == "location" else
                                                     f"{kind} {name}'s" if kind == "quality" else
                                                     f"the {name} kind's")
    what = MEASURE_LABELS.get(reading.measure or "", "figure")
    window = f" in the last {reading.window} days" if reading.window else ""
    return f"{owner} {what}{window} (the facts have no such figure)"


def check_claims(text: str, facts: dict) -> ClaimCheck:
    """Every figure and date in `text`, classed supported / misattributed / unsupported against `facts`."""
    known, dates, unit = facts_of(facts), _dates(facts), facts.get("unit", "g")
    product = (PRODUCT, str((facts.get("product") or {}).get("name", "")))
    claims = []
    for start, end, shown, reading in _read(text, facts):
        if isinstance(reading, str):
            ok = reading in dates
            claims.append(Claim(start, end, shown, SUPPORTED if ok else UNSUPPORTED,
                                "" if ok else f"{shown}: no such date in the facts."))
            continue
        same_kind = [fact for fact in known if _same_quantity(reading, fact)]
        expected = [fact for fact in same_kind if _fits(reading, fact, product)]
        if any(_value_matches(reading, fact) for fact in expected):
            claims.append(Claim(start, end, shown, SUPPORTED))
            continue
        elsewhere = sorted((fact for fact in same_kind if _value_matches(reading, fact)),
                           key=lambda fact: abs(fact.value - reading.value))
        meant = f"not {expected[0].label(unit)}" if len(expected) == 1 else (
            f"not {_claimed(reading, product)}" if not expected else
            "not " + " or ".join(fact.label(unit) for fact in expected[:2]))
        if elsewhere:
            claims.append(Claim(start, end, shown, MISATTRIBUTED, f"{shown} is {elsewhere[0].label(unit)}, {meant}."))
        else:
            found = f" ({expected[0].label(unit)})" if len(expected) == 1 else ""
            claims.append(Claim(start, end, shown, UNSUPPORTED, f"{shown} matches no figure in the facts{found}."))
    return ClaimCheck(tuple(claims))


_MONEY_AFTER = re.compile(r"^[ \u00a0]*(?:(?P<word>dollars?|euros?|rupees?|francs?|yen|yuan|dirhams?|baht|rand)\b|"
                          r"(?P<code>(?-i:[A-Z]{3}))(?![A-Za-z]))", re.IGNORECASE)


_MONEY_ANYWHERE = re.compile(r"US\$|[$€£¥₹]|\b(?:dollars?|euros?|rupees?|yen|yuan|dirhams?)\b", re.IGNORECASE)


def money_figures(text: str, facts: dict) -> list[str]:
    """The figures of `text` that are amounts of money, as written: read as money by the claim reader (a currency
    code or symbol with it, or a bare number in a clause about value or cost), a count or bare number followed by
    a currency word ("120 dollars"), a bare number equal to one of the facts' money amounts that no other fact
    has, and any currency symbol or currency word even without digits ("one hundred dollars"). Keeps money out
    of the part of a summary members read (issue 19), so it errs towards finding money."""
    known = facts_of(facts)
    money = {fact.value for fact in known if fact.quantity == MONEY and fact.value}
    other = {fact.value for fact in known if fact.quantity != MONEY}
    codes = _CURRENCY_CODES | _currencies(facts)
    found = []
    for start, end, shown, reading in _read(text, facts):
        if isinstance(reading, str) or reading.quantity in (WEIGHT, PERCENT, DAYS):
            continue
        after = _MONEY_AFTER.match(text[end:end + 16])
        named = bool(after and (after.group("word") or after.group("code") in codes))
        if reading.quantity == MONEY or named or (reading.value in money and reading.value not in other):
            found.append(shown)
    # a currency symbol or word anywhere ("one hundred dollars", "$ value"), numbers or not
    return found + [match.group(0) for match in _MONEY_ANYWHERE.finditer(text)]


ORDER_MEASURES = ("demand", "incoming")  # the facts' `orders` section (admins and managers only)
_ORDER_WORDS = re.compile(
    r"\b(?:demand(?:s|ed)?|backorders?|(?:sales|purchase|open|customer|supplier)[ -]orders?|orders?|"
    r"incoming purchases?|(?:open|pending|outstanding|expected) purchases?|on order|customers?|suppliers?)\b",
    re.IGNORECASE)
_NOT_ORDERS = re.compile(r"\bin order (?:to|of|for)\b|\border of magnitude\b", re.IGNORECASE)


def order_figures(text: str, facts: dict) -> list[str]:
    """What in `text` speaks of orders, as written: a figure equal (at the precision written, as the claim check
    reads it) to one of the facts' `orders` figures that no other non-money fact has, and the words of orders
    ("demand", "sales order", "orders", "incoming purchases", "on order", "customers", "suppliers"; not "in order
    to", nor the movement kind "Purchase receipt", nor a word inside a name of the facts). Keeps orders out of
    the part of a summary members read, so it errs towards finding them."""
    known = facts_of(facts)
    orders = [fact for fact in known if fact.measure in ORDER_MEASURES and fact.value]
    other = [fact for fact in known if fact.measure not in ORDER_MEASURES and fact.quantity != MONEY]
    found = []
    for _start, _end, shown, reading in ([] if not orders else _read(text, facts)):
        if isinstance(reading, str) or reading.quantity in (PERCENT, MONEY):
            continue

        def matches(candidates: list[Fact], reading=reading) -> bool:
            return any(_same_quantity(reading, fact) and _value_matches(reading, fact) for fact in candidates)

        if matches(orders) and not matches(other):
            found.append(shown)
    cleaned = _NOT_ORDERS.sub(lambda match: " " * len(match.group(0)), text)
    for start, end, _subject in _mentions(text, facts):  # names from the facts ("Order Desk" location) are names
        cleaned = cleaned[:start] + " " * (end - start) + cleaned[end:]
    return found + [match.group(0) for match in _ORDER_WORDS.finditer(cleaned)]


def restricted_figures(text: str, facts: dict) -> list[str]:
    """Everything in `text` that only admins and managers may read: amounts of money (`money_figures`) and
    order figures or words (`order_figures`). A summary's main part with any of it is not shown to members."""
    return money_figures(text, facts) + order_figures(text, facts)
