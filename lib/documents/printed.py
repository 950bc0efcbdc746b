"""Printable documents as PDF: sales order confirmation, pick list, packing slip (per shipment), purchase order,
production job envelope.

Every document carries the organisation's letterhead (name, logo, address: workspace settings) on each page and
the footer note with page numbers at the foot. What a document shows is read through the same functions as the
pages (`lib.orders.detail.order_detail`, `lib.production.overview.job_detail`), so a manager's documents follow
their rights: a sales order's customer reads "Customer (SO-0012)", its notes and shipment notes are left out,
and an item in a location the reader does not see is "an item in another location".

User text is escaped before it reaches reportlab's paragraphs (no markup is ever interpreted) and checked
against the font (`fonts.check_printable`): text the font cannot print refuses the document with a message
naming the field. File names are stable: `SO-0012-confirmation.pdf`, `SO-0012-pick-list.pdf`,
`SO-0012-packing-slip-2.pdf` (the order's second shipment), `PO-0003-purchase-order.pdf`,
`JOB-0007-envelope.pdf`.

Prices: the order confirmation and the purchase order add "Unit price" and "Total" columns and a total per
currency when the reader may see prices (admins, as on the order page's Prices table) and a line has a price;
other readers' copies leave prices out.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle
from sqlalchemy.orm import Session

from lib.access import Actor, Right
from lib.costing.prices import LineMargin, currency_amount, line_margins
from lib.documents import codes, fonts
from lib.errors import ValidationFailed
from lib.models import Image, OrderKind
from lib.orders.detail import OrderDetail, order_detail
from lib.production.overview import job_detail
from lib.units import format_weight
from lib.workspace.settings import get_workspace


@dataclass(frozen=True)
class Document:
    filename: str
    title: str
    data: bytes

    def __post_init__(self) -> None:  # an order prefix may hold "/" (SO/2026-): never a folder in a file name
        object.__setattr__(self, "filename", re.sub(r"[^A-Za-z0-9._-]", "-", self.filename))


@dataclass(frozen=True)
class _Letterhead:
    name: str
    address: str
    footer: str
    logo: bytes | None


def _letterhead(session: Session) -> _Letterhead:
    workspace = get_workspace(session)
    logo = session.get(Image, workspace.logo_image_id) if workspace.logo_image_id else None
    head = _Letterhead(workspace.name, workspace.org_address or "", workspace.document_footer or "",
                       bytes(logo.data) if logo else None)
    fonts.check_printable(head.name, "Organisation name")
    fonts.check_printable(head.address, "Organisation address")
    fonts.check_printable(head.footer, "Document footer note")
    return head


# ---------------------------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------------------------

_BODY = ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=9.5, leading=12)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8.5, leading=10.5)
_TITLE = ParagraphStyle("title", parent=_BODY, fontName=fonts.BOLD, fontSize=16, leading=20, spaceAfter=4)
_HEADING = ParagraphStyle("heading", parent=_BODY, fontName=fonts.BOLD, fontSize=11, leading=14, spaceBefore=8,
                          spaceAfter=3)


def _text(value: object, what: str, style: ParagraphStyle = _BODY) -> Paragraph:
    """A paragraph of user or app text: checked against the font, escaped (never markup), line breaks kept."""
    text = fonts.check_printable(str(value if value is not None else ""), what)
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _fields(rows: Sequence[tuple[str, object]]) -> Table:
    """Label / value pairs in two columns (empty values left out)."""
    data = [[_text(label, label, _SMALL), _text(value, label)] for label, value in rows if value not in (None, "")]
    table = Table(data or [["", ""]], colWidths=[38 * mm, None], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("TEXTCOLOR", (0, 0), (0, -1), colors.grey),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return table


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[float | None],
           what: str) -> Table:
    """A table with a header row repeated on every page; every cell a checked, escaped paragraph."""
    head = [Paragraph(escape(header), ParagraphStyle("th", parent=_SMALL, fontName=fonts.BOLD)) for header in headers]
    body = [[cell if isinstance(cell, Flowable) else _text(cell, f"{what}, {headers[index]}", _SMALL)
             for index, cell in enumerate(row)] for row in rows]
    if not body:
        body = [[_text("Nothing to list.", what, _SMALL)] + [""] * (len(headers) - 1)]
    table = Table([head, *body], colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                               ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
                               ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
    return table


class _QR(Flowable):
    """A QR code as a flowable (the job envelope's job ID)."""

    def __init__(self, text: str, size: float):
        super().__init__()
        self.text, self.size = text, size
        self.width = self.height = size

    def draw(self) -> None:
        codes.draw_qr(self.canv, self.text, 0, 0, self.size)


def _render(head: _Letterhead, title: str, number: str, story: list) -> bytes:
    out = io.BytesIO()
    fonts.register()
    page_width, page_height = A4
    margin = 16 * mm
    address_lines = head.address.splitlines()
    top = margin + 16 * mm + 4 * mm * len(address_lines)

    def decorate(canvas, document) -> None:
        canvas.saveState()
        x = margin
        if head.logo:
            logo = ImageReader(io.BytesIO(head.logo))
            width, height = logo.getSize()
            scale = min(40 * mm / width, 16 * mm / height)
            canvas.drawImage(logo, page_width - margin - width * scale, page_height - margin - height * scale,
                             width * scale, height * scale, mask="auto")
        canvas.setFont(fonts.BOLD, 13)
        canvas.drawString(x, page_height - margin - 5 * mm, fonts.fit(head.name, fonts.BOLD, 13, 120 * mm))
        canvas.setFont(fonts.REGULAR, 8.5)
        for index, line in enumerate(address_lines):
            canvas.drawString(x, page_height - margin - 10 * mm - index * 4 * mm,
                              fonts.fit(line, fonts.REGULAR, 8.5, 120 * mm))
        canvas.setStrokeColor(colors.grey)
        canvas.line(margin, page_height - top + 2 * mm, page_width - margin, page_height - top + 2 * mm)
        canvas.setFont(fonts.REGULAR, 7.5)
        footer = fonts.fit(head.footer.replace("\n", " · "), fonts.REGULAR, 7.5, page_width - 2 * margin - 40 * mm)
        canvas.drawString(margin, margin / 2, footer)
        canvas.drawRightString(page_width - margin, margin / 2, f"{number} · page {document.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=top,
                                 bottomMargin=margin, title=f"{title} {number}", author=head.name,
                                 creator="Loupe Factory")
    document.build([Paragraph(escape(f"{title} {number}"), _TITLE), *story], onFirstPage=decorate,
                   onLaterPages=decorate)
    return out.getvalue()


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


# ---------------------------------------------------------------------------------------------------------------
# Orders
# ---------------------------------------------------------------------------------------------------------------

def _party_rows(view: OrderDetail, role: str) -> list[tuple[str, object]]:
    details = view.party_details
    if details is None:  # a manager's sales order: no customer details
        return [(role, view.party)]
    return [(role, details.name), ("Contact", details.contact_name), ("Address", details.address),
            ("Country", details.country), ("E-mail", details.email), ("Phone", details.phone)]


def _line_rows(view: OrderDetail, priced: dict[int, LineMargin] | None) -> list[list[object]]:
    rows = []
    for line in view.lines:
        attributes = ", ".join(value for value in line.attributes.values() if value)
        description = " · ".join(part for part in (line.description, attributes) if part)
        status = "cancelled" if line.cancelled else line.status.label
        row = [str(line.position), line.product, description, str(line.quantity),
               format_weight(line.weight, line.weight_unit), status]
        if priced is not None:
            price = priced.get(line.id)
            row += [price.price or "—" if price else "—",
                    currency_amount(price.currency, price.price_total) if price and not line.cancelled else "—"]
        rows.append(row)
    return rows


def _prices(session: Session, actor: Actor, view: OrderDetail) -> dict[int, LineMargin] | None:
    """The lines' prices when the reader may see prices (admins: `lib.costing.prices.line_margins`) and a line
    has one; None leaves the price columns out."""
    if not (actor.can(Right.EDIT_ORDERS) and actor.can(Right.VIEW_RATES)):
        return None
    found = line_margins(session, actor=actor, order_id=view.id)
    return found if any(margin.price for margin in found.values()) else None


def _lines_table(view: OrderDetail, priced: dict[int, LineMargin] | None) -> list[Flowable]:
    """The lines, with "Unit price" and "Total" columns and a total per currency when `priced`."""
    rows = _line_rows(view, priced)
    if priced is None:
        return [_table(_LINE_HEADERS, rows, _LINE_WIDTHS, "Order line")]
    totals: dict[str, Decimal] = {}
    cancelled = {line.id for line in view.lines if line.cancelled}
    for line_id, margin in priced.items():
        if margin.price_total is not None and line_id not in cancelled:
            totals[margin.currency] = totals.get(margin.currency, Decimal(0)) + margin.price_total
    summary = [_text(f"Total {currency_amount(currency, amount)}", "Order total", _TOTAL)
               for currency, amount in sorted(totals.items())]
    return [_table((*_LINE_HEADERS, "Unit price", "Total"), rows, _PRICED_WIDTHS, "Order line"), *summary]


_LINE_HEADERS = ("#", "Product", "Description", "Pieces", "Weight", "Status")
_LINE_WIDTHS = (8 * mm, 42 * mm, None, 16 * mm, 26 * mm, 24 * mm)
_PRICED_WIDTHS = (7 * mm, 28 * mm, None, 13 * mm, 22 * mm, 20 * mm, 27 * mm, 26 * mm)
_TOTAL = ParagraphStyle("total", parent=_BODY, fontName=fonts.BOLD, alignment=2, spaceBefore=3)  # right-aligned


def _order(session: Session, actor: Actor, order_id, kind: OrderKind) -> OrderDetail:
    view = order_detail(session, actor=actor, order_id=order_id)
    if view.kind is not kind:
        other = "a purchase order" if kind is OrderKind.SALES else "a sales order"
        raise ValidationFailed(f"{view.number} is {other}: this document is for {kind.label.lower()} orders.")
    return view


def order_confirmation(session: Session, *, actor: Actor, order_id) -> Document:
    """The sales order confirmation: customer (as the reader may see it), dates, terms, the lines."""
    view = _order(session, actor, order_id, OrderKind.SALES)
    head = _letterhead(session)
    story = [_fields([*_party_rows(view, "Customer"), ("Order date", _day(view.ordered_on)),
                      ("Date required", _day(view.date_required)), ("Payment terms", view.payment_terms.label),
                      ("Currency", view.currency), ("Order lead", view.lead)]),
             Paragraph("Lines", _HEADING), *_lines_table(view, _prices(session, actor, view))]
    if view.notes:
        story += [Paragraph("Notes", _HEADING), _text(view.notes, "Order notes")]
    data = _render(head, "Order confirmation", view.number, story)
    return Document(f"{view.number}-confirmation.pdf", f"Order confirmation {view.number}", data)


def purchase_order(session: Session, *, actor: Actor, order_id) -> Document:
    """The purchase order for the supplier: supplier, dates, terms, the lines to deliver."""
    view = _order(session, actor, order_id, OrderKind.PURCHASE)
    head = _letterhead(session)
    story = [_fields([*_party_rows(view, "Supplier"), ("Order date", _day(view.ordered_on)),
                      ("Date required", _day(view.date_required)), ("Payment terms", view.payment_terms.label),
                      ("Currency", view.currency), ("Ordered by", view.lead)]),
             Paragraph("Please deliver", _HEADING), *_lines_table(view, _prices(session, actor, view))]
    if view.notes:
        story += [Paragraph("Notes", _HEADING), _text(view.notes, "Order notes")]
    data = _render(head, "Purchase order", view.number, story)
    return Document(f"{view.number}-purchase-order.pdf", f"Purchase order {view.number}", data)


def pick_list(session: Session, *, actor: Actor, order_id) -> Document:
    """The items selected for a sales order's lines and not shipped yet (what is left of each), with tags and
    locations, to pick."""
    view = _order(session, actor, order_id, OrderKind.SALES)
    head = _letterhead(session)
    positions = {line.id: line for line in view.lines}
    to_pick = [pick for pick in view.selections if pick.active and (pick.unshipped_quantity or pick.unshipped_weight)]
    rows = [["[  ]", str(positions[pick.line_id].position), positions[pick.line_id].product, pick.tag, pick.location,
             str(pick.unshipped_quantity), format_weight(pick.unshipped_weight, pick.weight_unit)]
            for pick in sorted(to_pick, key=lambda pick: (pick.location, pick.tag))]
    story = [_fields([("Order", view.number), ("Customer", view.party), ("Date required", _day(view.date_required))]),
             Paragraph("Items to pick", _HEADING),
             _table(("", "Line", "Product", "Tag", "Location", "Pieces", "Weight"), rows,
                    (7 * mm, 11 * mm, 38 * mm, None, 34 * mm, 15 * mm, 24 * mm), "Pick list")]
    data = _render(head, "Pick list", view.number, story)
    return Document(f"{view.number}-pick-list.pdf", f"Pick list {view.number}", data)


def packing_slip(session: Session, *, actor: Actor, order_id, shipment: int) -> Document:
    """The packing slip of the order's `shipment`-th shipment (1 = the first): ship-to, carrier, what shipped."""
    view = _order(session, actor, order_id, OrderKind.SALES)
    if not 1 <= int(shipment) <= len(view.shipments):
        raise ValidationFailed(f"{view.number} has {len(view.shipments)} shipment"
                               f"{'s' if len(view.shipments) != 1 else ''}: there is no shipment {shipment}.")
    sent = view.shipments[int(shipment) - 1]
    head = _letterhead(session)
    lines = {line.position: line for line in view.lines}
    rows = []
    for position, amount in sent.lines:
        line = lines.get(position)
        shipped = [f"{tag} ({taken})" for at, tag, taken in sent.items if at == position]
        if not shipped and line is not None:  # a shipment recorded before shipments named their items
            shipped = [pick.tag for pick in view.selections if pick.line_id == line.id and pick.active]
        rows.append([str(position), line.product if line else "", line.description if line else "", amount,
                     "\n".join(shipped)])
    story = [_fields([*_party_rows(view, "Ship to"), ("Order", view.number), ("Shipped on", _day(sent.shipped_on)),
                      ("Carrier", sent.carrier), ("Tracking number", sent.tracking_number)]),
             Paragraph("Shipped items", _HEADING),
             _table(("#", "Product", "Description", "Shipped", "Items"), rows,
                    (8 * mm, 40 * mm, None, 32 * mm, 42 * mm), "Packing slip")]
    if sent.notes and view.party_details is not None:
        story += [Paragraph("Notes", _HEADING), _text(sent.notes, "Shipment notes")]
    data = _render(head, f"Packing slip {shipment} of", view.number, story)
    return Document(f"{view.number}-packing-slip-{shipment}.pdf", f"Packing slip {shipment} of {view.number}", data)


# ---------------------------------------------------------------------------------------------------------------
# Production
# ---------------------------------------------------------------------------------------------------------------

def job_envelope(session: Session, *, actor: Actor, job_id) -> Document:
    """A job's envelope: the job ID as a QR code, stage, staff, deadline, issued items and weights, the request."""
    detail = job_detail(session, actor=actor, job_id=job_id)
    job = detail.job
    head = _letterhead(session)
    requested = ", ".join(part for part in (
        f"{job.requested_pieces} pcs" if job.requested_pieces else "",
        format_weight(job.requested_weight, job.requested_weight_unit) if job.requested_weight is not None else "",
        detail.shape if detail.shape and detail.shape != "—" else "",
        detail.size if detail.size and detail.size != "—" else "") if part)
    fields = _fields([("Stage", detail.stage), ("Staff", detail.staff), ("Location", detail.location),
                      ("Issued on", _day(job.issued_on)), ("Deadline", _day(job.deadline)),
                      ("Status", detail.status.label), ("Requested output", requested or "—"),
                      ("Notes", job.notes)])
    top = Table([[fields, _QR(job.number, 30 * mm)]], colWidths=[None, 34 * mm], hAlign="LEFT")
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    rows = [[issue.tag_id, issue.product, str(issue.quantity), format_weight(issue.weight, issue.weight_unit),
             "returned" if issue.returned_at else ""] for issue in detail.issues]
    story = [top, Paragraph("Issued stock", _HEADING),
             _table(("Tag", "Product", "Pieces", "Weight", ""), rows, (None, 48 * mm, 16 * mm, 28 * mm, 20 * mm),
                    "Issued stock")]
    data = _render(head, "Job envelope", job.number, story)
    return Document(f"{job.number}-envelope.pdf", f"Job envelope {job.number}", data)
