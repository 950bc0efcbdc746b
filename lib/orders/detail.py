"""One order as its page shows it: header, line-status summary, lines with their amounts, selections,
receipts, shipments and the activity timeline (from the audit log).

Read by admins and managers. What managers do not see (reference 3.6.1,
"customer information hidden"), decided here and never on the page:

- On a sales order, the customer reads "Customer (SO-0012)": no name, e-mail,
  phone or address. Free text typed on a sales order (its notes, reasons for
  cancelling a line or holding the order, shipment notes) may name the
  customer, so it is hidden too. Line descriptions are the product's
  specification and stay visible. Suppliers are shown in full.
- The internal budget is shown to admins only.

Stock is located: a selected or received item outside the viewer's locations
is shown with its amounts (they belong to the order) but not its tag or
location ("an item in another location"), in the lines and in the timeline.
So are production jobs: the timeline names a linked job only when the viewer
may see it (its location), as the order's Production section does ("a
production job in another location").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from lib.access import Actor, Right
from lib.classification import BY_KEY
from lib.errors import NotFound
from lib.models import (
    LINE_ATTRIBUTE_KEYS,
    AuditEntry,
    CatalogEntry,
    Fulfilment,
    InventoryItem,
    LineStatus,
    Location,
    Order,
    OrderKind,
    OrderLine,
    OrderSelection,
    Party,
    PaymentTerms,
    Product,
    ProductionJob,
    PurchaseReceipt,
    Shipment,
    ShipmentItem,
    ShipmentLine,
    User,
)
from lib.orders.fulfilment import Amount, outstanding, status_summary
from lib.orders.lines import ORDER_NOT_FOUND, amount_text, amounts, line_reference, ordered, tolerance
from lib.orders.listing import hidden_customer, hides_customer, sees_budget
from lib.orders.parties import display_name
from lib.orders.selection import Matching, matching_stock
from lib.orders.shipments import Held, held
from lib.text import text_problem
from lib.units import from_grams

ELSEWHERE = "an item in another location"
HIDDEN_TEXT = "(hidden: may name the customer)"
JOB_ELSEWHERE = "a production job in another location"


@dataclass(frozen=True)
class PartyDetails:
    name: str
    contact_name: str
    email: str
    phone: str
    address: str
    country: str
    active: bool


@dataclass(frozen=True)
class StockLink:
    """A selection or receipt: which item (None when outside the viewer's locations), how much, when, by whom."""

    id: int
    line_id: int
    item_id: int | None
    tag: str
    location: str
    quantity: int
    weight: Decimal
    weight_unit: str
    at: datetime
    by: str
    active: bool = True  # selections: False once removed
    note: str = ""  # selections: why released; receipts: "more than ordered"
    # selections: what of it shipped and came back, and what is left to ship / to return (the item's unit)
    shipped_quantity: int = 0
    shipped_weight: Decimal = Decimal(0)
    unshipped_quantity: int = 0
    unshipped_weight: Decimal = Decimal(0)
    returnable_quantity: int = 0
    returnable_weight: Decimal = Decimal(0)
    can_ship: bool = False  # something is left to ship on the measure that decides the line


@dataclass(frozen=True)
class ShipmentView:
    id: int
    carrier: str
    tracking_number: str
    shipped_on: date
    notes: str
    lines: tuple[tuple[int, str], ...]  # (line position, amount text)
    by: str
    items: tuple[tuple[int, str, str], ...] = ()  # (line position, item tag, amount text in the item's unit)


@dataclass(frozen=True)
class LineView:
    id: int
    position: int
    reference: str
    product_id: int
    product: str
    product_active: bool
    description: str
    attribute_ids: dict[str, int | None]  # line attribute key -> entry id
    attributes: dict[str, str | None]  # line attribute key -> entry name
    quantity: int
    weight: Decimal
    weight_unit: str
    status: LineStatus
    ready: bool
    cancelled: bool
    cancel_reason: str
    selected: Amount
    shipped: Amount
    received: Amount
    outstanding: Amount  # sales: still to select; purchases: still to receive
    matching: Matching | None  # sales lines that are not cancelled
    returned: Amount = Amount()
    closed_short: bool = False
    close_reason: str = ""

    def in_unit(self, amount: Amount) -> str:
        """An amount of this line as text in the line's unit, e.g. "2 pcs, 5.10 g"."""
        return amount_text(amount.pieces, from_grams(amount.grams, self.weight_unit), self.weight_unit)

    @property
    def ordered_text(self) -> str:
        return amount_text(self.quantity, self.weight, self.weight_unit)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str
    what: str


@dataclass(frozen=True)
class OrderDetail:
    id: int
    number: str
    kind: OrderKind
    party: str
    party_details: PartyDetails | None  # None when hidden
    lead_id: int
    lead: str
    notes: str
    notes_hidden: bool
    ordered_on: date
    date_required: date | None
    deadline: date | None
    currency: str
    payment_terms: PaymentTerms
    budget: Decimal | None  # None: none set, or not for this viewer
    on_hold: bool
    fulfilment: Fulfilment
    summary: list[tuple[LineStatus, int]]
    lines: list[LineView]
    selections: list[StockLink]
    receipts: list[StockLink]
    shipments: list[ShipmentView]
    timeline: list[TimelineEntry]
    created_at: datetime
    created_by: str


def _user_names(session: Session, ids) -> dict[int, str]:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


class _Items:
    """Tags and locations of items, for a viewer: items outside their locations stay anonymous."""

    def __init__(self, session: Session, actor: Actor, item_ids):
        ids = sorted({i for i in item_ids if i is not None})
        rows = session.execute(select(InventoryItem.id, InventoryItem.tag_id, InventoryItem.location_id,
                                      Location.name).join(Location, Location.id == InventoryItem.location_id)
                               .where(InventoryItem.id.in_(ids))).all() if ids else []
        self.visible = {item_id: (tag, location) for item_id, tag, location_id, location in rows
                        if actor.can_see_location(location_id)}

    def tag(self, item_id: int | None) -> str:
        return self.visible[item_id][0] if item_id in self.visible else ELSEWHERE

    def location(self, item_id: int | None) -> str:
        return self.visible[item_id][1] if item_id in self.visible else ""

    def item_id(self, item_id: int | None) -> int | None:
        return item_id if item_id in self.visible else None


def _attribute_names(session: Session, lines: list[OrderLine]) -> dict[int, str]:
    ids = {getattr(line, BY_KEY[key].field) for line in lines for key in LINE_ATTRIBUTE_KEYS}
    ids.discard(None)
    if not ids:
        return {}
    return dict(session.execute(select(CatalogEntry.id, CatalogEntry.name).where(CatalogEntry.id.in_(ids))).all())


def _line_views(session: Session, actor: Actor, order: Order, lines: list[OrderLine], text_hidden: bool
                ) -> list[LineView]:
    done = amounts(session, [line.id for line in lines])
    products = {pid: (name, active) for pid, name, active in session.execute(
        select(Product.id, Product.name, Product.active).where(Product.id.in_({line.product_id for line in lines})))}
    names = _attribute_names(session, lines)
    views = []
    for line in lines:
        got = done[line.id]
        cancelled = line.cancelled_at is not None
        covered = got.selected if order.kind is OrderKind.SALES else got.received
        matching = (matching_stock(session, actor=actor, line_id=line.id)
                    if order.kind is OrderKind.SALES and not cancelled else None)
        ids = {key: getattr(line, BY_KEY[key].field) for key in LINE_ATTRIBUTE_KEYS}
        views.append(LineView(
            id=line.id, position=line.position, reference=line_reference(order, line), product_id=line.product_id,
            product=products[line.product_id][0], product_active=products[line.product_id][1],
            description=line.description, attribute_ids=ids,
            attributes={key: names.get(value) for key, value in ids.items()}, quantity=line.quantity,
            weight=line.weight, weight_unit=line.weight_unit, status=line.status, ready=line.ready,
            cancelled=cancelled,
            cancel_reason=HIDDEN_TEXT if text_hidden and line.cancel_reason else line.cancel_reason,
            selected=got.selected, shipped=got.shipped, received=got.received, returned=got.returned,
            closed_short=line.closed_short_at is not None,
            close_reason=HIDDEN_TEXT if text_hidden and line.close_reason else line.close_reason,
            outstanding=(Amount() if cancelled or line.closed_short_at is not None
                         else outstanding(ordered(line), covered, tolerance(line))), matching=matching))
    return views


def _selection_note(row: OrderSelection, hold: Held | None) -> str:
    if row.released_at is not None:
        return f"returned to stock ({row.release_reason})"
    notes = []
    if hold is not None and (hold.shipped_pieces or hold.shipped_weight):
        notes.append(f"shipped {hold.text(hold.shipped_pieces, hold.shipped_weight)}")
    if hold is not None and (hold.returned_pieces or hold.returned_weight):
        notes.append(f"came back {hold.text(hold.returned_pieces, hold.returned_weight)}")
    if row.short_quantity or row.short_weight:
        notes.append(f"closed short: {amount_text(row.short_quantity, row.short_weight, row.weight_unit)} "
                     "back in stock")
    return "; ".join(notes)


def _selections(session: Session, line_ids: list[int], items: "_Items", users: dict[int, str]) -> list[StockLink]:
    rows = session.scalars(select(OrderSelection).where(OrderSelection.line_id.in_(line_ids))
                           .order_by(OrderSelection.id)).all() if line_ids else []
    holds = {hold.id: hold for hold in held(session, line_ids)}
    links = []
    for row in rows:
        hold = holds.get(row.id)
        unshipped = hold.unshipped if hold else (0, Decimal(0))
        returnable = hold.returnable if hold else (0, Decimal(0))
        links.append(StockLink(
            id=row.id, line_id=row.line_id, item_id=items.item_id(row.item_id), tag=items.tag(row.item_id),
            location=items.location(row.item_id), quantity=row.quantity, weight=row.weight,
            weight_unit=row.weight_unit, at=row.selected_at, by=users.get(row.selected_by_id, "—"),
            active=row.released_at is None, note=_selection_note(row, hold),
            shipped_quantity=hold.shipped_pieces if hold else 0,
            shipped_weight=hold.shipped_weight if hold else Decimal(0),
            unshipped_quantity=unshipped[0], unshipped_weight=unshipped[1],
            returnable_quantity=returnable[0], returnable_weight=returnable[1],
            can_ship=bool(hold and hold.can_ship)))
    return links


def _receipts(session: Session, line_ids: list[int], items: "_Items", users: dict[int, str]) -> list[StockLink]:
    rows = session.scalars(select(PurchaseReceipt).where(PurchaseReceipt.line_id.in_(line_ids))
                           .order_by(PurchaseReceipt.id)).all() if line_ids else []
    return [StockLink(id=row.id, line_id=row.line_id, item_id=items.item_id(row.item_id), tag=items.tag(row.item_id),
                      location=items.location(row.item_id), quantity=row.quantity, weight=row.weight,
                      weight_unit=row.weight_unit, at=row.received_at, by=users.get(row.received_by_id, "—"),
                      note="more than ordered (confirmed)" if row.over_receipt else "")
            for row in rows]


def _shipments(session: Session, order: Order, positions: dict[int, int], users: dict[int, str],
               text_hidden: bool, items: "_Items") -> list[ShipmentView]:
    shipments = session.scalars(select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)).all()
    lines: dict[int, list[tuple[int, str]]] = {}
    shipped_items: dict[int, list[tuple[int, str, str]]] = {}
    if shipments:
        for row, item_id in session.execute(
                select(ShipmentItem, OrderSelection.item_id).join(OrderSelection,
                                                                  OrderSelection.id == ShipmentItem.selection_id)
                .where(ShipmentItem.shipment_id.in_([s.id for s in shipments])).order_by(ShipmentItem.id)):
            shipped_items.setdefault(row.shipment_id, []).append(
                (positions.get(row.line_id, 0), items.tag(item_id), amount_text(row.quantity, row.weight,
                                                                                 row.weight_unit)))
        for row in session.scalars(select(ShipmentLine).where(ShipmentLine.shipment_id.in_([s.id for s in shipments]))
                                   .order_by(ShipmentLine.id)):
            lines.setdefault(row.shipment_id, []).append(
                (positions.get(row.line_id, 0), amount_text(row.quantity, row.weight, row.weight_unit)))
    return [ShipmentView(id=s.id, carrier=s.carrier, tracking_number=s.tracking_number, shipped_on=s.shipped_on,
                         notes=HIDDEN_TEXT if text_hidden and s.notes else s.notes,
                         lines=tuple(sorted(lines.get(s.id, []))), by=users.get(s.created_by_id, "—"),
                         items=tuple(shipped_items.get(s.id, [])))
            for s in shipments]


# ---------------------------------------------------------------------------
# The timeline: audit entries of the order, told as sentences for this viewer
# ---------------------------------------------------------------------------

_FIELD_LABELS = {"lead_id": "order lead", "notes": "notes", "date_required": "date required",
                 "deadline": "internal deadline", "currency": "currency", "payment_terms": "payment terms",
                 "budget": "internal budget"}


def _amount(values: dict) -> str:
    return amount_text(int(values.get("quantity") or 0), Decimal(str(values.get("weight") or 0)),
                       values.get("unit") or "g")


def _reason(values: dict, text_hidden: bool) -> str:
    reason = values.get("reason") or ""
    if not reason:
        return ""
    return f" ({HIDDEN_TEXT})" if text_hidden else f": {reason}"


def _visible_jobs(session: Session, actor: Actor, numbers) -> set[str]:
    """Of these job numbers, those of jobs in the viewer's locations (the order's Production section rule)."""
    numbers = sorted({str(n) for n in numbers if n})
    if not numbers:
        return set()
    return {number for number, location_id in session.execute(
        select(ProductionJob.number, ProductionJob.location_id).where(ProductionJob.number.in_(numbers)))
        if actor.can_see_location(location_id)}


def _describe(action: str, old: dict, new: dict, items: _Items, users: dict[int, str], text_hidden: bool,
              budget_visible: bool, jobs: set[str] = frozenset()) -> str:
    line = f"line {new.get('line')}"
    if action == "create order":
        count = len(new.get("lines") or [])
        return f"Created {new.get('number')} with {count} line{'s' if count != 1 else ''}"
    if action == "update order":
        changes = []
        for name in new:
            label = _FIELD_LABELS.get(name, name)
            if name == "notes":
                changes.append("notes changed" if text_hidden else f"notes: {new[name]}")
            elif name == "budget" and not budget_visible:
                continue
            elif name == "lead_id":
                changes.append(f"order lead: {users.get(new[name], '—')}")
            elif name == "payment_terms":
                changes.append(f"payment terms: {PaymentTerms(new[name]).label}")
            else:
                changes.append(f"{label}: {new[name] if new[name] not in (None, '') else '—'}")
        return "Changed " + "; ".join(changes) if changes else "Changed the order"
    if action == "add line":
        return f"Added {line}: {new.get('product')}, {_amount(new)}"
    if action == "cancel line":
        return f"Cancelled {line}{_reason(new, text_hidden)}"
    if action == "close line short":
        return f"Closed {line} short{_reason(new, text_hidden)}"
    if action == "receive return":
        return f"Received {_amount(new)} back into {items.tag(new.get('item_id'))} from {line}" + \
            _reason(new, text_hidden)
    if action == "select stock":
        return f"Selected {_amount(new)} from {items.tag(new.get('item_id'))} for {line}"
    if action == "remove selection":
        return f"Returned {_amount(new)} to {items.tag(new.get('item_id'))} from {line} ({new.get('reason')})"
    if action in ("mark line ready", "clear line ready"):
        return f"Marked {line} ready" if action == "mark line ready" else f"Took the ready mark off {line}"
    if action == "receive stock":
        where = items.location(new.get("item_id"))
        into = f"{items.tag(new.get('item_id'))}{f' at {where}' if where else ''}"
        over = " — more than ordered, confirmed" if new.get("over_receipt") else ""
        return f"Received {_amount(new)} for {line} into {into}{over}"
    if action == "ship":
        parts = ", ".join(f"line {part['line']}: {_amount(part)}" for part in new.get("lines") or [])
        tracking = f", tracking {new['tracking_number']}" if new.get("tracking_number") else ""
        shipped = "; ".join(f"{items.tag(part.get('item_id'))} {_amount(part)}" for part in new.get("items") or [])
        return f"Shipped via {new.get('carrier')}{tracking} on {new.get('shipped_on')} ({parts})" + \
            (f": {shipped}" if shipped else "")
    if action in ("put on hold", "release hold"):
        return ("Put the order on hold" if action == "put on hold" else "Released the hold") + \
            _reason(new, text_hidden)
    if action in ("link production job", "unlink production job"):
        verb = "Linked" if action == "link production job" else "Unlinked"
        job = f"production job {new.get('job')}" if new.get("job") in jobs else JOB_ELSEWHERE
        return f"{verb} {job} {'to' if verb == 'Linked' else 'from'} {line}"
    if action == "fulfilment changed":
        return f"Fulfilment: {Fulfilment(old['fulfilment']).label} → {Fulfilment(new['fulfilment']).label}"
    return action.capitalize()


def _timeline(session: Session, actor: Actor, order: Order, text_hidden: bool) -> list[TimelineEntry]:
    stmt = (select(AuditEntry, User.name).outerjoin(User, User.id == AuditEntry.user_id)
            .where(AuditEntry.entity == "order", AuditEntry.entity_id == str(order.id))
            .order_by(AuditEntry.id))
    entries = [(entry, name, json.loads(entry.old_values or "{}"), json.loads(entry.new_values or "{}"))
               for entry, name in session.execute(stmt)]
    items = _Items(session, actor, [new.get("item_id") for _e, _n, _o, new in entries] +
                   [part.get("item_id") for _e, _n, _o, new in entries for part in new.get("items") or []])
    users = _user_names(session, [new.get("lead_id") for _e, _n, _o, new in entries])
    budget_visible = sees_budget(actor)
    jobs = _visible_jobs(session, actor, [new.get("job") for entry, _n, _o, new in entries
                                          if entry.action in ("link production job", "unlink production job")])
    return [TimelineEntry(entry.at, name or "system",
                          _describe(entry.action, old, new, items, users, text_hidden, budget_visible, jobs))
            for entry, name, old, new in entries]


# ---------------------------------------------------------------------------
# The order
# ---------------------------------------------------------------------------

def order_condition(raw):
    """Which order a url parameter names: its id (`?order=12`, the app's own links) or its number as it is
    printed (`?order=SO-0012`, as people paste it from an e-mail); NotFound for anything else."""
    text = str(raw or "").strip()
    if text.isdigit():
        if not 0 < int(text) < 2**31:
            raise NotFound(ORDER_NOT_FOUND)
        return Order.id == int(text)
    if not text or len(text) > 40 or text_problem(text, "Order number", 40, multiline=False):
        raise NotFound(ORDER_NOT_FOUND)
    return Order.number == text


def order_detail(session: Session, *, actor: Actor, order_id) -> OrderDetail:
    """Everything the order page shows, for this viewer (admins and managers)."""
    actor.require(Right.VIEW_ORDERS)
    lead_user = aliased(User)
    row = session.execute(select(Order, Party, lead_user.name).join(Party, Party.id == Order.party_id)
                          .join(lead_user, lead_user.id == Order.lead_id)
                          .where(order_condition(order_id))).one_or_none()
    if row is None:
        raise NotFound(ORDER_NOT_FOUND)
    order, party, lead = row
    hidden = hides_customer(actor, order.kind)
    lines = list(session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)))
    line_ids = [line.id for line in lines]
    views = _line_views(session, actor, order, lines, hidden)
    link_items = list(session.scalars(select(OrderSelection.item_id).where(OrderSelection.line_id.in_(line_ids)))) + \
        list(session.scalars(select(PurchaseReceipt.item_id).where(PurchaseReceipt.line_id.in_(line_ids))))
    items = _Items(session, actor, link_items)
    users = _user_names(session, [order.created_by_id, *session.scalars(
        select(OrderSelection.selected_by_id).where(OrderSelection.line_id.in_(line_ids))), *session.scalars(
        select(PurchaseReceipt.received_by_id).where(PurchaseReceipt.line_id.in_(line_ids))), *session.scalars(
        select(Shipment.created_by_id).where(Shipment.order_id == order.id))])
    name = display_name(party.company, party.contact_name)
    return OrderDetail(
        id=order.id, number=order.number, kind=order.kind,
        party=hidden_customer(order.number) if hidden else name,
        party_details=None if hidden else PartyDetails(name, party.contact_name, party.email, party.phone,
                                                        party.address, party.country, party.active),
        lead_id=order.lead_id, lead=lead, notes="" if hidden else order.notes,
        notes_hidden=hidden and bool(order.notes),
        ordered_on=order.ordered_on, date_required=order.date_required, deadline=order.deadline,
        currency=order.currency, payment_terms=order.payment_terms,
        budget=order.budget if sees_budget(actor) else None, on_hold=order.on_hold, fulfilment=order.fulfilment,
        summary=status_summary(line.status for line in lines), lines=views,
        selections=_selections(session, line_ids, items, users), receipts=_receipts(session, line_ids, items, users),
        shipments=_shipments(session, order, {line.id: line.position for line in lines}, users, hidden, items),
        timeline=_timeline(session, actor, order, hidden), created_at=order.created_at,
        created_by=users.get(order.created_by_id, "system"))
