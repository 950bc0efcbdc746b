"""Weight units: the reference's gram factors, exact conversions, strict parsing."""
from decimal import Decimal

import pytest

from lib.units import UNITS_BY_SYMBOL, convert, format_weight, parse_weight, to_grams


@pytest.mark.parametrize("symbol, grams", [
    ("mg", "0.001"), ("cg", "0.01"), ("dg", "0.1"), ("g", "1"), ("dag", "10"), ("hg", "100"), ("kg", "1000"),
    ("tonne", "1000000"), ("ct", "0.2"), ("dwt", "1.555"), ("gr", "0.0648"), ("oz", "28.3495"), ("lb", "453.592"),
    ("st", "6350.29"), ("ozt", "31.1035"), ("lbt", "373.242"), ("tola", "11.664"), ("masha", "0.972"),
    ("ratti", "0.1215"),
])
def test_gram_factors_match_the_reference(symbol, grams):
    assert UNITS_BY_SYMBOL[symbol].grams == Decimal(grams)


def test_conversions_go_through_grams_exactly():
    assert to_grams(Decimal("12.3456"), "ct") == Decimal("2.46912")
    assert convert(Decimal("5"), "ct", "g") == Decimal("1.0000")
    assert convert(Decimal("1"), "ozt", "g") == Decimal("31.1035")
    assert format_weight(Decimal("1234.5"), "ct") == "1,234.500 ct"


PLAIN = "must be a plain number: digits 0-9 and at most one decimal point"


@pytest.mark.parametrize("raw, message", [
    ("abc", PLAIN), ("NaN", PLAIN), ("nan", PLAIN), ("inf", PLAIN), ("-Infinity", PLAIN), ("", PLAIN), ("  ", PLAIN),
    (None, PLAIN), (True, PLAIN), (float("nan"), PLAIN), (float("inf"), PLAIN), (Decimal("NaN"), PLAIN),
    ("1,5", PLAIN), ("1,500", PLAIN), ("1_5", PLAIN), ("1 5", PLAIN), ("2e1", PLAIN), ("1e24", PLAIN),
    ("1e308", PLAIN), ("1E+3", PLAIN), ("0x10", PLAIN), ("١٢", PLAIN), ("１２", PLAIN), ("1.2.3", PLAIN),
    ("12g", PLAIN), ("+1", PLAIN), (".", PLAIN), ("--1", PLAIN),
    ("0", "greater than zero"), ("0.00", "greater than zero"), ("-1", "cannot be negative"),
    ("1.23456", "at most 4 decimals"), ("1000000.0001", "too large"), ("9" * 30, "too large"),
    ("9" * 5000, "too large"), (1e24, "too large"), (Decimal("1E+24"), "too large"), (1e308, "too large"),
])
def test_bad_weights_are_refused_with_the_field_named(raw, message):
    with pytest.raises(ValueError, match=message) as error:
        parse_weight(raw, "Weight")
    assert str(error.value).startswith("Weight ")


def test_every_malformed_weight_gets_the_same_message():
    messages = set()
    for raw in ("1,5", "1_5", "2e1", "١٢", "NaN", "abc"):
        with pytest.raises(ValueError) as error:
            parse_weight(raw, "Weight")
        messages.add(str(error.value).rsplit("; got", 1)[0])
    assert messages == {"Weight must be a plain number: digits 0-9 and at most one decimal point, such as 12.5 "
                        "(no commas, spaces, letters or exponents)"}


def test_good_weights_parse():
    assert parse_weight(" 2.5 ") == Decimal("2.5000")
    assert parse_weight("-1.25", allow_negative=True) == Decimal("-1.2500")


@pytest.mark.parametrize("value, symbol, shown", [
    ("0.1596", "g", "0.160 g"),      # an average: three significant figures, not "0.16 g"
    ("0.0312", "g", "0.0312 g"),     # a small average never reads as "0.03 g"
    ("0.014", "g", "0.0140 g"),      # 0.07 ct of losses in grams, not "0.01 g"
    ("2.124", "ct", "2.124 ct"),     # carats to 3 decimals, so a table never shows 2.124 beside 2.00
    ("2", "ct", "2.000 ct"),
    ("270410.17", "g", "270,410.170 g"),
    ("1500", "mg", "1,500 mg"),      # milligrams without decimals
    ("0", "g", "0.000 g"),
    ("-0.0005", "g", "-0.000500 g"),
])
def test_every_weight_is_written_one_way(value, symbol, shown):
    assert format_weight(Decimal(value), symbol) == shown


def test_changes_carry_their_sign_and_none_is_a_dash():
    assert format_weight(Decimal("7.2"), "g", signed=True) == "+7.200 g"
    assert format_weight(Decimal("-7.2"), "g", signed=True) == "-7.200 g"
    assert format_weight(None, "g") == "—"


def test_every_unit_has_display_decimals():
    assert all(0 <= u.display_places <= 4 for u in UNITS_BY_SYMBOL.values())
    assert parse_weight("+1.25", allow_negative=True) == Decimal("1.2500")
    assert parse_weight(".5") == parse_weight("0.5") == parse_weight("0.50000") == Decimal("0.5")
    assert parse_weight("7.") == Decimal("7")
    assert parse_weight("1000000") == Decimal("1000000")
    assert parse_weight(3) == Decimal("3") and parse_weight(1.1) == Decimal("1.1")
    assert parse_weight(Decimal("2.25")) == Decimal("2.25")
    assert parse_weight("0", allow_zero=True) == 0 and str(parse_weight("-0", allow_zero=True,
                                                                         allow_negative=True)) == "0.0000"
    assert parse_weight("-1000000", allow_negative=True) == Decimal("-1000000")
    with pytest.raises(ValueError, match="too large"):
        parse_weight("-1000000.5", allow_negative=True)


@pytest.mark.parametrize("value", ["-0.0000", "-0", "0.0000"])
def test_a_zero_never_prints_with_a_minus_sign(value):
    """Product Details' "Held 30 days ago" is total − change: exactly zero may come back as -0.0000."""
    assert format_weight(Decimal(value), "g") == "0.000 g"
    assert format_weight(Decimal(value), "mg") == "0 mg"
