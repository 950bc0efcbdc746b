"""Item photos: validated with Pillow, stored in the database with a thumbnail.

Pictures live in the `images` table (not on disk) so several app servers share
them. An upload is accepted only when Pillow decodes it completely as PNG,
JPEG or WebP, it is at most 5 MB and at most 40 megapixels (a decompression
bomb guard). The original bytes are kept as uploaded; the thumbnail is a
96 px PNG (JPEG for photos without transparency) for table cells.
Identical uploads (same SHA-256) share one row.
"""
from __future__ import annotations

import base64
import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.errors import ValidationFailed
from lib.models import Image

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = 96
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
UPLOAD_TYPES = ("png", "jpg", "jpeg", "webp")


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    mime_type: str
    width: int
    height: int
    sha256: str


def _decode(data: bytes) -> PILImage.Image:
    """Open and fully decode `data`; ValidationFailed for anything not a whole picture."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as probe:
                probe.verify()  # structure and checksums
            picture = PILImage.open(io.BytesIO(data))
            if picture.width * picture.height > MAX_PIXELS:
                raise ValidationFailed(
                    f"Image: {picture.width}×{picture.height} pixels is too large (at most 40 megapixels).")
            picture.load()  # decode every pixel: a truncated file fails here
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, PILImage.DecompressionBombError,
            PILImage.DecompressionBombWarning, EOFError) as error:
        raise ValidationFailed(f"Image: the file is not a readable PNG, JPEG or WebP picture ({error}).") from None
    return picture


def check_image(data: bytes | None) -> CheckedImage:
    """Validate an upload; raises ValidationFailed naming the Image field."""
    if not data:
        raise ValidationFailed("Image: the file is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationFailed(f"Image: {len(data) / 1024 / 1024:.1f} MB is over the 5 MB limit.")
    picture = _decode(data)
    if picture.format not in FORMATS:
        raise ValidationFailed(f"Image: {picture.format or 'this'} files are not accepted; use PNG, JPEG or WebP.")
    return CheckedImage(data=data, mime_type=FORMATS[picture.format], width=picture.width,
                        height=picture.height, sha256=hashlib.sha256(data).hexdigest())


def make_thumbnail(data: bytes, size: int = THUMBNAIL_SIZE) -> bytes:
    """A small PNG (with transparency) or JPEG of the picture, upright per its EXIF."""
    picture = ImageOps.exif_transpose(PILImage.open(io.BytesIO(data)))
    picture.thumbnail((size, size))
    buffer = io.BytesIO()
    if picture.mode in ("RGBA", "LA", "P"):
        picture.convert("RGBA").save(buffer, format="PNG", optimize=True)
    else:
        picture.convert("RGB").save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def store_image(session: Session, *, checked: CheckedImage, user_id: int | None) -> Image:
    """Store a checked picture (or reuse an identical stored one) and return its row."""
    existing = session.scalars(select(Image).where(Image.sha256 == checked.sha256).limit(1)).first()
    if existing is not None and existing.data == checked.data:
        return existing
    image = Image(sha256=checked.sha256, mime_type=checked.mime_type, width=checked.width,
                  height=checked.height, data=checked.data, thumbnail=make_thumbnail(checked.data),
                  created_by_id=user_id)
    session.add(image)
    session.flush()
    return image


def sniff_mime(data: bytes | None) -> str | None:
    """MIME type of PNG/JPEG/WebP bytes from their signature, or None."""
    if not data:
        return None
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def data_uri(data: bytes | None) -> str | None:
    """A data: URI for a thumbnail (st.column_config.ImageColumn shows these), or None."""
    mime = sniff_mime(data)
    if mime is None:
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
