"""Weight units and conversions through grams (reference section 2.7).

Every factor is a Decimal copied from the reference table; conversion always
goes unit -> grams -> unit so that two records in different units add up.
"""
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class WeightUnit:
    symbol: str
    name: str
    category: str
    grams: Decimal
    display_places: int  # decimals shown (the stored precision is 4); small values show more, see format_weight


WEIGHT_UNITS: tuple[WeightUnit, ...] = (
    WeightUnit("mg", "Milligram", "Metric", Decimal("0.001"), 0),
    WeightUnit("cg", "Centigram", "Metric", Decimal("0.01"), 1),
    WeightUnit("dg", "Decigram", "Metric", Decimal("0.1"), 2),
    WeightUnit("g", "Gram", "Metric", Decimal("1"), 3),
    WeightUnit("dag", "Decagram", "Metric", Decimal("10"), 3),
    WeightUnit("hg", "Hectogram", "Metric", Decimal("100"), 3),
    WeightUnit("kg", "Kilogram", "Metric", Decimal("1000"), 3),
    WeightUnit("tonne", "Tonne", "Metric", Decimal("1000000"), 3),
    WeightUnit("ct", "Carat", "Gemstone & jewelry", Decimal("0.2"), 3),
    WeightUnit("dwt", "Pennyweight", "Gemstone & jewelry", Decimal("1.555"), 3),
    WeightUnit("gr", "Grain", "Gemstone & jewelry", Decimal("0.0648"), 2),
    WeightUnit("oz", "Ounce", "Imperial/US", Decimal("28.3495"), 3),
    WeightUnit("lb", "Pound", "Imperial/US", Decimal("453.592"), 3),
    WeightUnit("st", "Stone", "Imperial/US", Decimal("6350.29"), 3),
    WeightUnit("ozt", "Troy ounce", "Troy", Decimal("31.1035"), 3),
    WeightUnit("lbt", "Troy pound", "Troy", Decimal("373.242"), 3),
    WeightUnit("tola", "Tola", "Traditional/regional", Decimal("11.664"), 3),
    WeightUnit("masha", "Masha", "Traditional/regional", Decimal("0.972"), 3),
    WeightUnit("ratti", "Ratti", "Traditional/regional", Decimal("0.1215"), 2),
)

UNITS_BY_SYMBOL: dict[str, WeightUnit] = {unit.symbol: unit for unit in WEIGHT_UNITS}
UNIT_SYMBOLS: tuple[str, ...] = tuple(UNITS_BY_SYMBOL)

# Weights are kept to 4 decimals in their own unit and 10 in grams, so any
# 4-decimal weight in any unit converts to grams without rounding.
WEIGHT_QUANTUM = Decimal("0.0001")
GRAMS_QUANTUM = Decimal("0.0000000001")


def unit(symbol: str) -> WeightUnit:
    """The unit for `symbol` (case-insensitive); ValueError names unknown units."""
    found = UNITS_BY_SYMBOL.get(str(symbol).strip().lower()) if symbol is not None else None
    if found is None:
        raise ValueError(f"Unknown weight unit {symbol!r}; use one of: {', '.join(UNIT_SYMBOLS)}")
    return found


def is_unit(symbol: str) -> bool:
    """True when `symbol` names a known weight unit."""
    return symbol is not None and str(symbol).strip().lower() in UNITS_BY_SYMBOL


def to_grams(weight: Decimal, symbol: str) -> Decimal:
    """`weight` in unit `symbol` expressed in grams (exact for 4-decimal inputs)."""
    return (Decimal(weight) * unit(symbol).grams).quantize(GRAMS_QUANTUM)


def from_grams(grams: Decimal, symbol: str, places: Decimal = WEIGHT_QUANTUM) -> Decimal:
    """`grams` expressed in unit `symbol`, rounded to `places`."""
    return (Decimal(grams) / unit(symbol).grams).quantize(places)


def grams_converter(symbol: str, places: Decimal = WEIGHT_QUANTUM) -> Callable[[Decimal], Decimal]:
    """`from_grams` for many values in one unit, the unit looked up once (a chart's hundreds of buckets)."""
    grams_per_unit = unit(symbol).grams
    return lambda grams: (Decimal(grams) / grams_per_unit).quantize(places)


def convert(weight: Decimal, from_symbol: str, to_symbol: str) -> Decimal:
    """Convert `weight` between two units through grams."""
    return from_grams(to_grams(weight, from_symbol), to_symbol)


MAX_WEIGHT = Decimal("1000000")
"""The largest weight (or weight change) anyone may type, in its own unit."""

PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
"""A plain decimal as people type it: ASCII digits 0-9, at most one point, an optional leading sign."""

_MAX_TEXT = 40  # longer than any number within a maximum: "too large" before Decimal reads it


def plain_decimal(raw, field: str, *, maximum: Decimal, allow_negative: bool = False) -> Decimal:
    """The Decimal of a plain decimal typed by a person, or ValueError with the one message for every bad value.

    Allowed: ASCII digits, at most one decimal point, and a leading sign only when
    `allow_negative` (a signed change). Refused with the same message: commas
    ("1,5" may be a decimal comma or a thousands separator, so we never guess),
    spaces or underscores inside the number ("1_5"), exponents ("2e1"), other
    digit scripts, NaN and infinity, empty values and booleans. Numbers given as
    int or Decimal by code are read by value; floats by their shortest text.
    A minus sign where no sign is allowed says "cannot be negative"; a value
    beyond `maximum` either way says "too large".
    """
    text = _number_text(raw)
    if text is None or not PLAIN_NUMBER.fullmatch(text) or (text[0] == "+" and not allow_negative):
        shown = raw.strip() if isinstance(raw, str) else raw
        raise ValueError(f"{field} must be a plain number: digits 0-9 and at most one decimal point, "
                         f"such as 12.5 (no commas, spaces, letters or exponents); got {shown!r}")
    if text[0] == "-" and not allow_negative:
        raise ValueError(f"{field} cannot be negative")
    if len(text) > _MAX_TEXT or abs(Decimal(text)) > maximum:
        raise ValueError(f"{field} is too large: at most {maximum:,}")
    return Decimal(text)


def _number_text(raw) -> str | None:
    """The text of a number-like value (None for booleans, None and non-finite numbers)."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        raw = Decimal(repr(raw)) if raw == raw and abs(raw) != float("inf") else None
    if isinstance(raw, Decimal):
        return format(raw, "f") if raw.is_finite() else None
    return raw.strip() if isinstance(raw, str) else None


def parse_weight(raw, field: str = "Weight", allow_zero: bool = False, allow_negative: bool = False) -> Decimal:
    """Parse user input into a 4-decimal Decimal weight: the one weight parser of every form and sheet.

    Accepts plain decimals only (`plain_decimal`), at most 4 decimals and at
    most `MAX_WEIGHT` of the unit either way; zero and negative values only when
    allowed. Every ValueError names `field`.
    """
    value = plain_decimal(raw, field, maximum=MAX_WEIGHT, allow_negative=allow_negative)
    if value != value.quantize(WEIGHT_QUANTUM):
        raise ValueError(f"{field} may have at most 4 decimals, got {raw!r}")
    if value == 0 and not allow_zero:
        raise ValueError(f"{field} must be greater than zero")
    return value.quantize(WEIGHT_QUANTUM) + 0  # + 0 turns -0 into 0


MIN_SIGNIFICANT_DIGITS = 3
MAX_DISPLAY_PLACES = 10


def weight_number(weight, symbol: str, signed: bool = False) -> str:
    """A weight as text without its unit, the one way every page shows it.

    The unit's `display_places` decimals (grams 3, carats 3, milligrams 0, ...),
    with thousands separators; a non-zero value below one shows at least three
    significant figures, so it never reads as zero ("0.160", "0.0312"), and a
    zero never carries a minus sign. `signed` puts + before positive changes.
    """
    value = Decimal(str(weight))
    places = unit(symbol).display_places
    if value != 0:
        places = max(places, MIN_SIGNIFICANT_DIGITS - 1 - value.adjusted())
    places = min(places, MAX_DISPLAY_PLACES)
    # "z": a value that rounds to zero never prints with a minus sign ("-0.000 g")
    return f"{value:{'+' if signed else ''}z,.{places}f}"


def format_weight(weight, symbol: str, signed: bool = False) -> str:
    """A weight with its unit ("12.500 ct", "+0.160 g"); "—" for None. See `weight_number`."""
    if weight is None:
        return "—"
    return f"{weight_number(weight, symbol, signed)} {symbol}"
