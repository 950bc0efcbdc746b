"""lib.names: the one rule for names and short names, used by the catalog screens and the importer."""
import pytest

from lib.errors import ValidationFailed
from lib.names import clean_name, derive_short_name
from lib.tags import validate_short_name


@pytest.mark.parametrize("name, short", [
    ("Emerald", "EMER"), ("Round Brilliant Diamond", "RB-DIAM"), ("gold chain 18k", "GC-18K"),
    ("Émeraude taillée", "E-TAIL"), ("Chain 18", "C-18X"), ("!!!", "ITEM"), ("日本", "ITEM"),
    ("a " * 40 + "Zircon", "AAAAAAAAAAAA-ZIRC"), ("x" + "1" * 30, "X" + "1" * 16 + "X"),
])
def test_short_names_are_derived_as_documented(name, short):
    derived = derive_short_name(name, ())
    assert derived == short and validate_short_name(derived) == derived and len(derived) <= 20


def test_a_taken_short_name_gets_the_next_free_suffix():
    assert derive_short_name("Emerald", {"emer"}) == "EMER-B"
    assert derive_short_name("Emerald", {"EMER", "EMER-B"}) == "EMER-C"
    taken = {"EMER"} | {f"EMER-{letter}" for letter in "BCDEFGHIJKLMNOPQRSTUVWXYZ"}
    assert derive_short_name("Emerald", taken) == "EMER-2X"


@pytest.mark.parametrize("raw, words", [("", "required"), ("  ", "required"), (None, "required"),
                                        ("x" * 121, "at most 120"), ("a\nb", "line break"),
                                        ("a\u200bb", "control characters")])
def test_bad_names_are_refused(raw, words):
    with pytest.raises(ValidationFailed, match=words):
        clean_name(raw, "Colour")


def test_names_are_trimmed_plain_text():
    assert clean_name("  <b>Ruby</b> ") == "<b>Ruby</b>"
