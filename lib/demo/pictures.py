"""The demo's generated gem pictures (Pillow): one small PNG per product family colour."""
from __future__ import annotations

import hashlib
import io
import math
from datetime import datetime
from random import Random

from lib.demo.plan import COLOURS, NEUTRAL_RGB

IMAGE_SIZE = 96
THUMB_SIZE = 48


# ---------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------

def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _shade(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    if factor >= 1:
        return tuple(min(255, int(c + (255 - c) * (factor - 1))) for c in rgb)
    return tuple(int(c * factor) for c in rgb)


def _gem_picture(rgb: tuple[int, int, int], variant: int, rng: Random):
    """A 96x96 picture on a soft background: a faceted stone, or a band for metals."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    size = IMAGE_SIZE
    top, bottom = _shade(rgb, 1.85), _shade(rgb, 1.55)
    mask = PILImage.linear_gradient("L").resize((size, size))
    picture = PILImage.composite(PILImage.new("RGB", (size, size), bottom),
                                 PILImage.new("RGB", (size, size), top), mask)
    draw = ImageDraw.Draw(picture)
    cx, cy = size / 2 + rng.uniform(-4, 4), size / 2 + rng.uniform(-4, 4)
    r = rng.uniform(26, 34)
    form = variant % 6
    if form == 5:  # a band: rings, wire and findings
        draw.ellipse((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), fill=_shade(rgb, 0.7))
        draw.ellipse((cx - r * 0.72, cy - r * 0.55, cx + r * 0.72, cy + r * 0.55), fill=top)
        draw.arc((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), 200, 300, fill=_shade(rgb, 1.5), width=3)
        return picture
    sides = {0: 16, 1: 16, 2: 8, 3: 12, 4: 12}[form]
    stretch_x, stretch_y = {0: (1.0, 1.0), 1: (0.75, 1.0), 2: (0.8, 1.05), 3: (0.72, 0.9), 4: (1.0, 0.9)}[form]
    rotation = rng.uniform(0, math.pi / sides)
    outline = []
    for k in range(sides):
        angle = rotation + 2 * math.pi * k / sides
        radius = r
        if form == 3:  # pear: drawn out to a point at the top
            radius = r * (1.0 + 0.45 * max(0.0, -math.sin(angle)) ** 3)
        if form == 2 and k % 2:  # emerald cut: clipped corners
            radius = r * 0.86
        outline.append((cx + radius * stretch_x * math.cos(angle), cy + radius * stretch_y * math.sin(angle)))
    for k in range(sides):  # facets: triangles from the centre, alternating light and dark
        a, b = outline[k], outline[(k + 1) % sides]
        draw.polygon([(cx, cy), a, b], fill=_shade(rgb, 0.75 + 0.5 * ((k * 7 + variant) % 5) / 4))
    table = [(cx + (x - cx) * 0.5, cy + (y - cy) * 0.5) for x, y in outline]
    draw.polygon(table, fill=_shade(rgb, 1.12), outline=_shade(rgb, 0.6))
    draw.polygon(outline, outline=_shade(rgb, 0.5))
    hx, hy = cx - r * 0.35, cy - r * 0.4
    draw.ellipse((hx - 4, hy - 3, hx + 4, hy + 3), fill=(255, 255, 255))
    return picture


def make_images(rng: Random, count: int, created_at: datetime) -> tuple[list[dict], dict[str | None, list[int]]]:
    """`count` distinct pictures spread over the colours (None = supplies, a neutral tone)."""
    from PIL import Image as PILImage

    keys: list[str | None] = list(COLOURS) + [None]
    metals = {"Yellow Gold", "White Gold", "Rose Gold", "Silver", "Platinum"}
    rows, pool = [], {}
    for index in range(count):
        key = keys[index % len(keys)]
        rank = index // len(keys)
        form = 5 if key in metals and rank % 2 == 0 else (rank + rng.randint(0, 4)) % 5
        picture = _gem_picture(COLOURS.get(key, NEUTRAL_RGB) if key else NEUTRAL_RGB,
                               form + 6 * rng.randint(0, 4), rng)
        data = _png(picture)
        thumbnail = _png(picture.resize((THUMB_SIZE, THUMB_SIZE), PILImage.LANCZOS))
        image_id = index + 1
        rows.append({"id": image_id, "sha256": hashlib.sha256(data).hexdigest(), "mime_type": "image/png",
                     "width": IMAGE_SIZE, "height": IMAGE_SIZE, "data": data, "thumbnail": thumbnail,
                     "created_at": created_at, "created_by_id": 1})
        pool.setdefault(key, []).append(image_id)
    pool.setdefault(None, [1])
    return rows, pool
