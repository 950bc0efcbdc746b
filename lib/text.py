"""The one rule for free text, at the lib boundary: every form, import and API uses it.

`clean_text` takes what a person typed (or a sheet cell) and returns it
stripped, or raises ValueError naming the field when the text:

- holds a control character other than tab and newline (NUL, the other C0
  controls, DEL and the C1 controls). Windows line ends (CR LF) and a lone CR
  become a newline first, so pasted text is kept; a single-line field
  (`multiline=False`: names, references, tracking numbers) refuses the newline
  and the tab too;
- holds a bidirectional override or isolate character (U+202A–U+202E,
  U+2066–U+2069), which make `invoice\u202etxt.exe` read as `invoiceexe.txt`.
  The plain direction marks (U+200E, U+200F) stay: Arabic and Hebrew text
  needs them;
- is longer than the field's limit.

`check_stored_text` is the last line of defence: `lib.db` runs it on every
text column of every row the ORM is about to write, so nothing reaches the
database that PostgreSQL would refuse (a NUL ends there in a raw DataError)
even where a form forgot the rule. Bulk writers that bypass the ORM (the
import) clean every cell with `clean_text`.

`check_currency` accepts the active ISO 4217 codes shipped in
`lib/presets/iso4217.txt`.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_FORBIDDEN_MULTILINE = re.compile(f"[{_CONTROL}{BIDI_CONTROLS}]")
_FORBIDDEN_SINGLE_LINE = re.compile(f"[\t\n{_CONTROL}{BIDI_CONTROLS}]")
_CURRENCY_FILE = Path(__file__).resolve().parent / "presets" / "iso4217.txt"


def _describe(character: str) -> str:
    if character in BIDI_CONTROLS:
        return f"a text-direction control character (U+{ord(character):04X})"
    if character == "\x00":
        return "a NUL character"
    if character in "\t\n":
        return "a line break or tab (this field is one line)"
    return f"a control character (U+{ord(character):04X})"


def text_problem(text: str, field: str, limit: int | None, *, multiline: bool = True) -> str | None:
    """What is wrong with already-stripped `text` for `field`, or None when it may be stored."""
    forbidden = (_FORBIDDEN_MULTILINE if multiline else _FORBIDDEN_SINGLE_LINE).search(text)
    if forbidden:
        return f"{field} contains {_describe(forbidden.group())}: remove it and try again"
    if limit is not None and len(text) > limit:
        return f"{field} may be at most {limit} characters (got {len(text)})"
    return None


def clean_text(raw, field: str, limit: int, *, multiline: bool = True) -> str:
    """`raw` as stripped text of at most `limit` characters; ValueError naming `field` otherwise.

    None becomes "". Line ends are normalised to a newline. The result is shown
    as plain text everywhere, so any printable character is kept.
    """
    text = "" if raw is None else str(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    problem = text_problem(text, field, limit, multiline=multiline)
    if problem:
        raise ValueError(problem)
    return text


def without_refused(text: str) -> str:
    """`text` with line ends normalised and every character the rule refuses removed (for text no person
    typed, such as a model's reply, which is cleaned rather than refused)."""
    return _FORBIDDEN_MULTILINE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def check_stored_text(value: str, field: str, limit: int | None) -> None:
    """ValueError naming `field` when `value` may not be written to a text column of `limit` characters."""
    problem = text_problem(value, field, limit)
    if problem:
        raise ValueError(problem)


@lru_cache(maxsize=1)
def currency_codes() -> frozenset[str]:
    """The active ISO 4217 currency codes (and precious-metal codes XAU, XAG, XPT, XPD)."""
    lines = _CURRENCY_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.split()[0] for line in lines if line.strip() and not line.startswith("#"))


def check_currency(raw, field: str = "Currency") -> str:
    """An ISO 4217 code in capitals ("usd" -> "USD"); ValueError naming `field` otherwise."""
    code = "" if raw is None else str(raw).strip().upper()
    if code not in currency_codes():
        shown = code[:20].encode("unicode_escape").decode("ascii")
        raise ValueError(f"{field}: {shown!r} is not an ISO 4217 currency code (such as USD, EUR, INR)")
    return code


SEARCH_LIMIT = 200


def search_text(raw) -> str:
    """What a search box or a `q=` link asks for: stripped, at most 200 characters, without the
    characters the text rule refuses (a search never fails for them: they simply cannot match)."""
    text = "" if raw is None else str(raw)
    return _FORBIDDEN_SINGLE_LINE.sub(" ", text).strip()[:SEARCH_LIMIT]


def contains_pattern(raw) -> str | None:
    """A lower-case LIKE pattern matching `raw` anywhere (escape character backslash), or None for no search."""
    text = search_text(raw)
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"
