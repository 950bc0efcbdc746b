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


@pytest.mark.parametrize("raw, message", [
    ("abc", "must be a number"), ("NaN", "must be a number"), ("inf", "must be a number"),
    ("0", "greater than zero"), ("-1", "cannot be negative"), ("1.23456", "at most 4 decimals"),
    ("1,5", "without commas"), ("1,500", "without commas"), ("", "must be a number"), (None, "must be a number"),
])
def test_bad_weights_are_refused_with_the_field_named(raw, message):
    with pytest.raises(ValueError, match=message) as error:
        parse_weight(raw, "Weight")
    assert "Weight" in str(error.value)


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
