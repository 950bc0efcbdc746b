"""The one font of labels and documents, and the rules for fitting text into a box.

Labels and documents print with Bitstream Vera Sans (shipped inside reportlab, licence
`reportlab/fonts/bitstream-vera-license.txt`): Western European Latin script (Basic Latin, Latin-1
and part of Latin Extended-A), no shaping engine needed. Scripts that need shaping or very large fonts
(Devanagari, Arabic, Chinese...) are refused with a message naming the text, never printed as
empty boxes or wrongly joined letters (docs/documents.md says why).
"""
from __future__ import annotations

import functools
import os
import unicodedata

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from lib.errors import ValidationFailed

REGULAR = "LoupeSans"
BOLD = "LoupeSans-Bold"
_FONT_DIR = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
ELLIPSIS = "…"


def register() -> None:
    """Register the two faces with reportlab (idempotent: reportlab's registry is keyed by name)."""
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, os.path.join(_FONT_DIR, "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, os.path.join(_FONT_DIR, "VeraBd.ttf")))


@functools.cache
def _covered() -> frozenset[int]:
    register()
    return frozenset(pdfmetrics.getFont(REGULAR).face.charToGlyph)


def unprintable(text: str) -> str:
    """The characters of `text` the label font has no glyph for (spaces and line breaks are fine), in order."""
    covered = _covered()
    missing = []
    for char in text or "":
        if char in "\n\t" or ord(char) in covered or char in missing:
            continue
        missing.append(char)
    return "".join(missing)


def _script(char: str) -> str:
    """The script a character belongs to, as people name it ("Devanagari", "Chinese", "Arabic", "Latin")."""
    name = unicodedata.name(char, "")
    if name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL")):
        return {"CJK": "Chinese"}.get(name.split()[0], name.split()[0].title())
    return name.split()[0].title() if name else "control"


def check_printable(text: str, what: str) -> str:
    """`text` unchanged when the font prints all of it; ValidationFailed naming `what`, the characters and
    their script otherwise."""
    missing = unprintable(text)
    if missing:
        shown = text if len(text) <= 40 else text[:39] + ELLIPSIS
        scripts = ", ".join(dict.fromkeys(_script(char) for char in missing))
        raise ValidationFailed(
            f"{what} {shown!r} cannot be printed: labels and documents print Western European Latin letters "
            f"only, and the font has no glyph for {missing[:5]!r} ({scripts}). Give it a spelling without "
            "them to print it.")
    return text


def fit(text: str, font: str, size: float, width: float) -> str:
    """`text` on one line, shortened with an ellipsis so it is at most `width` points wide."""
    register()
    text = " ".join(str(text or "").split())
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if pdfmetrics.stringWidth(text[:middle].rstrip() + ELLIPSIS, font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS if low else ELLIPSIS


def shrink(text: str, font: str, size: float, width: float, smallest: float = 0.55) -> float:
    """The font size (at most `size`, at least `smallest` × size) at which `text` fits in `width` points."""
    register()
    natural = pdfmetrics.stringWidth(text, font, size)
    return size if natural <= width else max(size * smallest, size * width / natural)


def wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """`text` broken at spaces into at most `max_lines` lines of `width` points; the last one ellipsised."""
    register()
    words = " ".join(str(text or "").split()).split(" ")
    lines: list[str] = []
    current = ""
    for index, word in enumerate(words):
        candidate = f"{current} {word}".strip()
        if pdfmetrics.stringWidth(candidate, font, size) <= width or not current:
            current = candidate
            continue
        lines.append(current)
        current = word
        if len(lines) == max_lines - 1:
            current = " ".join(words[index:])
            break
    lines.append(current)
    return [fit(line, font, size, width) for line in lines[:max_lines]]
