"""Item labels as PDF: a QR code of the item's address, a Code 128 barcode of its tag, name, weight, location.

Layouts (docs/documents.md): `barbell` (a jewelry barbell tag, 2.2 × 0.5 in, one per page: the
default), `thermal` (a 2 × 1 in thermal label, one per page), `a4` and `letter` (sheets of 3 × 8
labels). One label per item, or one per piece (`per_piece`). At most MAX_LABELS labels at once.

The QR code encodes `<public address>/inventory?item=<tag>` (the workspace setting
`public_base_url`), or the tag alone while no address is set; the barcode encodes the tag alone.
Every label is read through the actor's scope: a tag outside it reads as unknown.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import inch, mm
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.access import Actor, Right, scope_items
from lib.documents import codes, fonts
from lib.errors import NotFound, ValidationFailed
from lib.inventory.query import items_statement
from lib.models import InventoryItem, Location, Product
from lib.tags import MAX_TAG_LENGTH
from lib.units import format_weight
from lib.workspace.settings import get_workspace

MAX_LABELS = 500
"""The most labels one PDF holds (a print run; the Inventory selection, the CLI and every receipt)."""
MAX_TAG_ARGUMENTS = 5000
"""Beyond this many tags the request is refused before reading anything."""


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    width: float  # one label, points
    height: float
    page: tuple[float, float] | None = None  # a sheet; None: one label per page of the label's size
    columns: int = 1
    rows: int = 1
    margin_x: float = 0
    margin_y: float = 0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


LAYOUTS: dict[str, Layout] = {
    "barbell": Layout("barbell", "Barbell jewelry tag, 2.2 × 0.5 in", 2.2 * inch, 0.5 * inch),
    "thermal": Layout("thermal", "Thermal label, 2 × 1 in", 2 * inch, 1 * inch),
    "a4": Layout("a4", "A4 sheet, 3 × 8 labels of 70 × 37 mm", 70 * mm, 37 * mm, A4, 3, 8, 0,
                 (297 - 8 * 37) / 2 * mm),
    "letter": Layout("letter", "Letter sheet, 3 × 8 labels of 2.67 × 1.31 in", 8 / 3 * inch, 10.5 / 8 * inch,
                     LETTER, 3, 8, 0.25 * inch, 0.25 * inch),
}
DEFAULT_LAYOUT = "barbell"


@dataclass(frozen=True)
class Label:
    tag: str
    name: str
    weight: str  # with its unit
    location: str
    code: str  # what the QR code encodes
    piece: str = ""  # "2/5" when printing one label per piece


@dataclass(frozen=True)
class LabelFile:
    filename: str
    data: bytes
    count: int  # labels printed
    items: int


def layout(name: str) -> Layout:
    try:
        return LAYOUTS[(name or DEFAULT_LAYOUT).strip().lower()]
    except KeyError:
        raise ValidationFailed(f"Unknown label layout {name!r}: choose {', '.join(LAYOUTS)}.") from None


def item_address(base_url: str, tag: str) -> str:
    """What a label's QR code encodes: the item's Inventory address, or the tag alone without a public address."""
    return f"{base_url}/inventory?item={quote(tag)}" if base_url else tag


# ---------------------------------------------------------------------------------------------------------------
# Which items: scoped reads
# ---------------------------------------------------------------------------------------------------------------

def _rows(session: Session, actor: Actor, condition) -> list:
    stmt = (select(InventoryItem, Product.name, Location.name)
            .join(Product, Product.id == InventoryItem.product_id)
            .join(Location, Location.id == InventoryItem.location_id)
            .where(condition).order_by(InventoryItem.tag_id))
    return list(session.execute(scope_items(stmt, actor)))


def _check_count(count: int) -> None:
    if count == 0:
        raise ValidationFailed("Nothing to print: select at least one item.")
    if count > MAX_LABELS:
        raise ValidationFailed(f"{count:,} labels is more than the {MAX_LABELS} one print run may hold: "
                               "print them in smaller batches.")


def labels_for(session: Session, *, actor: Actor, item_ids: Sequence[int] = (), tags: Sequence[str] = (),
               product: str | None = None, per_piece: bool = False) -> list[Label]:
    """The labels of the chosen items, in tag order, read in the actor's scope.

    Items are named by id (pages), by tag (the CLI, a scanner) or by product name (every held... item of the
    product in scope). A tag or id outside the scope reads like an unknown one; an empty choice, more than
    MAX_LABELS labels, a tag Code 128 cannot encode or a name the font cannot print are refused.
    """
    actor.require(Right.VIEW_INVENTORY)
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    wanted = list(dict.fromkeys(str(t).strip().upper() for t in tags if str(t).strip()))
    if len(ids) + len(wanted) > MAX_TAG_ARGUMENTS:
        raise ValidationFailed(f"{len(ids) + len(wanted):,} items is more than the {MAX_LABELS} one print run "
                               "may hold: print them in smaller batches.")
    for tag in wanted:
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationFailed(f"Tag {tag[:60]!r}…: a tag has at most {MAX_TAG_LENGTH} characters.")
        codes.check_code128(tag)
    rows = []
    if product is not None:
        key = " ".join(str(product).split()).lower()
        if not key:
            raise ValidationFailed("Name a product.")
        product_id = session.scalar(select(Product.id).where(func.lower(Product.name) == key))
        if product_id is None:
            raise NotFound(f"No product named {product!r}.")
        rows = _rows(session, actor, (InventoryItem.product_id == product_id)
                     & ((InventoryItem.quantity > 0) | (InventoryItem.weight_g > 0)))
        if not rows:
            raise ValidationFailed(f"No held item of {product!r} in your locations to print.")
    else:
        _check_count(len(ids) + len(wanted))
        if ids:
            rows += _rows(session, actor, InventoryItem.id.in_(ids))
            if len(rows) < len(ids):
                raise NotFound(f"{len(ids) - len(rows)} of the selected items are not in your locations.")
        if wanted:
            found = _rows(session, actor, InventoryItem.tag_id.in_(wanted))
            missing = sorted(set(wanted) - {row[0].tag_id for row in found})
            if missing:
                raise NotFound(f"No item with tag {', '.join(missing[:5])}{'…' if len(missing) > 5 else ''} "
                               "in your locations.")
            rows += found
    base = get_workspace(session).public_base_url or ""
    _check_count(sum(max(item.quantity, 1) if per_piece else 1 for item, _name, _location in rows))
    labels: list[Label] = []
    for item, product_name, location_name in rows:
        fonts.check_printable(product_name, f"{item.tag_id}: product name")
        fonts.check_printable(location_name, f"{item.tag_id}: location")
        codes.check_code128(item.tag_id)
        common = dict(tag=item.tag_id, name=product_name, weight=format_weight(item.weight, item.weight_unit),
                      location=location_name, code=item_address(base, item.tag_id))
        copies = max(item.quantity, 1) if per_piece else 1
        if per_piece and copies > 1:
            labels += [Label(**common, piece=f"{n}/{copies}") for n in range(1, copies + 1)]
        else:
            labels.append(Label(**common, piece=f"{item.quantity} pcs" if item.quantity > 1 else ""))
    return labels


# ---------------------------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------------------------

def _text(canvas: Canvas, text: str, font: str, size: float, x: float, y: float, width: float) -> None:
    canvas.setFont(font, size)
    canvas.drawString(x, y, fonts.fit(text, font, size, width))


def draw_label(canvas: Canvas, label: Label, x: float, y: float, width: float, height: float) -> None:
    """One label in the box (x, y, width, height): QR at the left, text lines, the barcode at the bottom.

    A long, flat label (the barbell tag) keeps the QR the full height and puts the text and the barcode
    beside it; the others put the QR and the text side by side over a barcode across the whole width.
    """
    pad = max(2.0, min(width, height) * 0.06)
    detail = " · ".join(part for part in (label.weight, label.piece, label.location) if part)
    if width >= 3 * height:
        qr = height - 2 * pad
        codes.draw_qr(canvas, label.code, x + pad, y + pad, qr)
        left = x + 2 * pad + qr
        room = x + width - pad - left
        size = height * 0.14
        top = y + height - pad - size
        _text(canvas, label.name, fonts.BOLD, size, left, top, room)
        line = f"{label.tag}  {detail}"
        _text(canvas, line, fonts.REGULAR, fonts.shrink(line, fonts.REGULAR, size * 0.9, room, 0.7), left,
              top - size * 1.1, room)
        bar_height = top - size * 1.4 - (y + pad)
        codes.draw_code128(canvas, label.tag, left - pad, y + pad, room + 2 * pad, bar_height)
        return
    qr = height * 0.56
    codes.draw_qr(canvas, label.code, x + pad, y + height - pad - qr, qr)
    left = x + 2 * pad + qr
    room = x + width - pad - left
    size = min(height * 0.1, 9)
    top = y + height - pad - size
    lines = fonts.wrap(label.name, fonts.BOLD, size, room, 2)
    canvas.setFont(fonts.BOLD, size)
    for line in lines:
        canvas.drawString(left, top, line)
        top -= size * 1.15
    tag_size = fonts.shrink(label.tag, fonts.REGULAR, size * 0.9, room)
    _text(canvas, label.tag, fonts.REGULAR, tag_size, left, top, room)  # the tag, whole when it can be
    top -= size * 1.05
    for text in (label.weight + (f" · {label.piece}" if label.piece else ""), label.location):
        _text(canvas, text, fonts.REGULAR, size * 0.9, left, top, room)
        top -= size * 1.05
    bar_top = y + height - pad - qr - pad / 2
    codes.draw_code128(canvas, label.tag, x, y + pad, width, bar_top - (y + pad))


def render(labels: Sequence[Label], layout_name: str = DEFAULT_LAYOUT,
           progress: Callable[[int, int], None] | None = None) -> bytes:
    """The PDF of `labels` in the layout; `progress(done, total)` is called as labels are drawn."""
    chosen = layout(layout_name)
    fonts.register()
    out = io.BytesIO()
    page = chosen.page or (chosen.width, chosen.height)
    canvas = Canvas(out, pagesize=page, pageCompression=1)
    canvas.setTitle(f"Labels ({chosen.title})")
    canvas.setCreator("Loupe Factory")
    for index, label in enumerate(labels):
        slot = index % chosen.per_page
        if index and slot == 0:
            canvas.showPage()
        column, row = slot % chosen.columns, slot // chosen.columns
        x = chosen.margin_x + column * chosen.width
        y = page[1] - chosen.margin_y - (row + 1) * chosen.height
        draw_label(canvas, label, x, y, chosen.width, chosen.height)
        if progress and (index % 25 == 24 or index == len(labels) - 1):
            progress(index + 1, len(labels))
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def label_pdf(session: Session, *, actor: Actor, layout_name: str = DEFAULT_LAYOUT, item_ids: Sequence[int] = (),
              tags: Sequence[str] = (), product: str | None = None, per_piece: bool = False,
              progress: Callable[[int, int], None] | None = None) -> LabelFile:
    """Read the chosen items in the actor's scope and draw their labels: the one path of pages and the CLI."""
    chosen = layout(layout_name)
    labels = labels_for(session, actor=actor, item_ids=item_ids, tags=tags, product=product, per_piece=per_piece)
    data = render(labels, chosen.name, progress)
    first = labels[0].tag
    items = len({label.tag for label in labels})
    more = "" if items == 1 else f"-and-{items - 1}-more"
    name = f"labels-{first}{more}-{chosen.name}.pdf"
    return LabelFile(filename=name, data=data, count=len(labels), items=items)


def items_for_filters(session: Session, *, actor: Actor, filters) -> dict[int, str]:
    """Id -> tag of the items an Inventory view's filters match in the actor's scope, in tag order: at most
    MAX_LABELS + 1 (one more than may print, so a caller can say the selection is too large)."""
    actor.require(Right.VIEW_INVENTORY)
    stmt = (items_statement(actor, filters, InventoryItem.id, InventoryItem.tag_id).order_by(InventoryItem.tag_id)
            .limit(MAX_LABELS + 1))
    return dict(session.execute(stmt).tuples().all())
