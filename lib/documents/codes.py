"""QR codes (segno) and Code 128 barcodes (reportlab) drawn as vector shapes on a reportlab canvas.

Both are drawn as filled rectangles, so they stay sharp at any printer resolution. The Code 128
bars are scaled to the width they are given; reportlab's encoder switches to code set C for runs
of digits, which keeps numbered tags short.
"""
from __future__ import annotations

import segno
from reportlab.graphics.barcode.code128 import Code128

from lib.errors import ValidationFailed

QUIET_MODULES = 10  # Code 128 needs 10 narrow bars of white space each side
MASK = 2
"""The QR mask pattern, fixed (any of the 8 is valid and read by every decoder): searching the best one costs
~25 ms a code in pure Python, 12 s for a 500-label run."""


def check_code128(value: str) -> str:
    """`value` when Code 128 can encode it (printable ASCII); ValidationFailed naming it otherwise."""
    bad = [char for char in value if not 32 <= ord(char) < 127]
    if not value or bad:
        raise ValidationFailed(f"Tag {value[:60]!r} cannot be printed as a Code 128 barcode: it may only use "
                               f"printable ASCII characters (found {''.join(bad[:5])!r}).")
    return value


def code128_modules(value: str) -> int:
    """How many narrow-bar widths the barcode of `value` takes, quiet zones excluded."""
    return int(Code128(value, barWidth=1, quiet=0).width)


def draw_code128(canvas, value: str, x: float, y: float, width: float, height: float) -> float:
    """Draw the barcode of `value` centred in the box (quiet zones inside it); return the narrow-bar width."""
    modules = code128_modules(value)
    bar = width / (modules + 2 * QUIET_MODULES)
    barcode = Code128(value, barWidth=bar, barHeight=height, quiet=0)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    barcode.drawOn(canvas, x + (width - modules * bar) / 2, y)
    canvas.restoreState()
    return bar


def draw_qr(canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of `text` (error correction M, 4-module quiet zone) in a `size`-point square at (x, y)."""
    qr = segno.make_qr(text, error="m", mask=MASK)
    rows = list(qr.matrix_iter(border=4))
    module = size / len(rows)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for row_index, row in enumerate(rows):
        top = y + size - (row_index + 1) * module
        column = 0
        while column < len(row):
            if row[column]:
                start = column
                while column < len(row) and row[column]:
                    column += 1
                path.rect(x + start * module, top, (column - start) * module, module)
            else:
                column += 1
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
