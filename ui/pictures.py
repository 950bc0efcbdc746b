"""The one "no picture" image, and thumbnails as data URIs for table picture columns."""
from __future__ import annotations

import base64

from lib import images

PLACEHOLDER_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="160" height="160" viewBox="0 0 160 160">'
                   '<rect width="160" height="160" rx="14" fill="#f1f3f6"/>'
                   '<path d="M52 62h56l14 16-42 44-42-44z" fill="none" stroke="#9aa3b2" stroke-width="4" '
                   'stroke-linejoin="round"/><path d="M38 78h84M66 62l-8 16 22 44 22-44-8-16" fill="none" '
                   'stroke="#9aa3b2" stroke-width="3" stroke-linejoin="round"/></svg>')
"""A neutral gem outline, drawn for a product or item without a picture (scales to any size)."""

PLACEHOLDER_URI = "data:image/svg+xml;base64," + base64.b64encode(PLACEHOLDER_SVG.encode()).decode()
"""The same picture as a data: URL, for st.column_config.ImageColumn cells."""


def thumbnail_uri(data: bytes | None) -> str:
    """A table cell's picture: the thumbnail as a data: URL, or the placeholder."""
    return images.data_uri(data) or PLACEHOLDER_URI
