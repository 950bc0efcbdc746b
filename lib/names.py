"""Names people give things: catalog values, product names and the product short name.

Shared by the catalog screens (`lib.products`) and the importer
(`lib.inventory.importer`), which creates missing products and catalog values
on request, so both follow one rule:

- A name (product, catalog value) is trimmed plain text of 1-120 characters
  without line breaks or other control characters; uniqueness ignores case.
- A short name is the tag-ID infix: upper-case letters, digits and dashes, at
  most 20 characters, unique ignoring case (`lib.tags.validate_short_name`).
- A short name derived from a product name (decision where the reference is
  silent): accents dropped, the words upper-cased; one word gives its first
  four letters ("Emerald" -> EMER), several words give the initials of all but
  the last plus four letters of the last ("Round Brilliant Diamond" -> RB-DIAM).
  A word holding a digit is kept whole ("18K"). A short name never ends in a
  digit (it would run into the tag number): an X is added. A short name
  already taken gets -B, -C, ... and then -2, -3, ... until it is free.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from lib.errors import ValidationFailed
from lib.tags import validate_short_name
from lib.text import clean_text

MAX_NAME = 120
MAX_SHORT_NAME = 20


# Invisible format characters a name may keep: the joiners Indic and Persian
# spelling needs, and the direction marks of Arabic and Hebrew.
_NAME_FORMAT_CHARACTERS = "\u200c\u200d\u200e\u200f"


def clean_name(raw, field: str = "Name", max_length: int = MAX_NAME) -> str:
    """A required one-line name of 1..max_length characters under the one text rule (`lib.text`).

    Names also refuse the other invisible format characters (a zero-width space
    makes two names that look the same differ).
    """
    try:
        text = clean_text(raw, field, max_length, multiline=False)
    except ValueError as error:
        raise ValidationFailed(f"{error}.") from None
    if not text:
        raise ValidationFailed(f"{field} is required.")
    if any(unicodedata.category(ch) == "Cf" and ch not in _NAME_FORMAT_CHARACTERS for ch in text):
        raise ValidationFailed(f"{field} may not contain line breaks or other control characters.")
    return text


def _words(name: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.findall(r"[A-Z0-9]+", ascii_text.upper())


def _code(word: str) -> str:
    return word if any(ch.isdigit() for ch in word) else word[:4]


def derive_short_name(name: str, taken: Collection[str]) -> str:
    """A valid short name for a product called `name`, not in `taken` (compared upper-case); see the module rules."""
    words = _words(name)
    room = MAX_SHORT_NAME - 3  # a suffix such as -B must still fit
    code = _code(words[-1])[:room] if words else "ITEM"
    initials = "".join(word[0] for word in words[:-1])[:room - len(code) - 1]
    base = f"{initials}-{code}" if initials else code
    if base[-1].isdigit():
        base += "X"
    used = {str(short).upper() for short in taken}
    suffixes = [""] + [f"-{letter}" for letter in "BCDEFGHIJKLMNOPQRSTUVWXYZ"]
    suffixes += [f"-{number}X" for number in range(2, 1000)]
    for suffix in suffixes:
        candidate = (base[:MAX_SHORT_NAME - len(suffix)] + suffix)
        if candidate not in used:
            return validate_short_name(candidate)
    raise ValidationFailed(f"No free short name could be derived from {name!r}; create the product by hand.")
