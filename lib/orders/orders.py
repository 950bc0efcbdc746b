"""Creating and changing orders (admins): the guided form's checks, lines, hold, ready and cancel.

Reference 3.9.1: party, order lead (a user) and notes; requested lines
(product, description, pieces, weight and unit, shape, size); date required,
internal deadline, currency, payment terms (workspace default) and an
internal budget. Every write locks the order, is audited on the order (its
timeline) and ends with the status refresh (`lib.orders.lines.refresh`).

Decisions where the reference is silent (also in docs/orders.md):

- Every problem with a new order is listed at once and nothing is written.
  A line asks for pieces, a weight, or both (never neither, never negative);
  its weight has a unit (default: the workspace unit). The product must be
  active; shape and size must be entries of their catalogs.
- The order date is today unless given (never in the future); the date
  required and the internal deadline, when given, may not lie before it.
- The party must be an active customer (sales) or supplier (purchase); the
  order lead an active user. The party of an existing order never changes.
- Currency: a three-letter code (default: the workspace's); budget: an
  optional amount >= 0 with at most 2 decimals, shown to admins only.
- Lines are never edited or deleted once saved: a wrong line is cancelled and
  a new one added, so selections, receipts and shipments always refer to
  what was asked. Cancelling a sales line returns its selected stock through
  the ledger (restoring a source item archived meanwhile); a sales line with
  shipments cannot be cancelled (close it short, `lib.orders.returns`), nor a
  line with open linked production jobs (unlink them first). Cancelling a
  purchase line closes what is still outstanding; stock already received
  stays in inventory (the line reads "Received (short)"). A cancelled or
  completed order takes no new line (it would silently reopen).
- On hold: an order can be put on hold (and released) unless it is completed
  or cancelled; while on hold it takes no stock actions (select, ready,
  receive, ship), while removing selections and cancelling lines stay possible.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.classification import BY_KEY
from lib.errors import ValidationFailed
from lib.costing.prices import check_line_price
from lib.text import check_currency
from lib.inventory.forms import as_validation, check_catalog_id, clean_text, parse_quantity
from lib.models import (
    LINE_ATTRIBUTE_KEYS,
    CatalogEntry,
    Fulfilment,
    Order,
    OrderKind,
    OrderLine,
    Party,
    PaymentTerms,
    Product,
    ProductionJob,
    User,
    utcnow,
)
from lib.orders import selection
from lib.orders.lines import (
    amounts,
    line_for_write,
    line_reference,
    order_for_write,
    refresh,
    require_active_line,
    require_not_on_hold,
)
from lib.orders.numbering import next_number, prefix_for
from lib.orders.parties import display_name, party_choices
from lib.units import UNIT_SYMBOLS, is_unit, parse_weight, to_grams, unit
from lib.workspace.settings import carrier_list, default_weight_unit, get_workspace

MAX_LINES = 200
MAX_DESCRIPTION = 500
MAX_NOTES = 4000
MAX_REASON = 500
MAX_BUDGET = Decimal("1e11")
LINE_FIELDS = tuple(BY_KEY[key].field for key in LINE_ATTRIBUTE_KEYS)
CLOSED = (Fulfilment.CANCELLED, Fulfilment.COMPLETED, Fulfilment.PARTIALLY_RETURNED, Fulfilment.ALL_RETURNED)


@dataclass
class LineInput:
    """One requested line as typed (raw values are checked by `check_line`)."""

    product_id: int | None
    quantity: object = 0
    weight: object = 0
    weight_unit: str | None = None  # None: the workspace default unit
    description: str = ""
    shape_id: int | None = None
    size_id: int | None = None
    # An optional price (lib.costing.prices): per "g", "ct" or "piece", in a currency (None: the order's), and
    # for purchase lines the component type the received items get (None: from the basis).
    unit_price: object = None
    price_basis: str | None = None
    price_currency: str | None = None
    cost_type: str | None = None


@dataclass
class HeaderInput:
    """The order's header fields people may change after saving (everything but party and order date)."""

    lead_id: int | None
    notes: str = ""
    date_required: date | None = None
    deadline: date | None = None
    currency: str | None = None  # None: the workspace default
    payment_terms: PaymentTerms | str | None = None  # None: the workspace default
    budget: object = None


@dataclass
class OrderInput(HeaderInput):
    """A new order from the guided form."""

    kind: OrderKind = OrderKind.SALES
    party_id: int | None = None
    ordered_on: date | None = None  # None: today
    lines: list[LineInput] = field(default_factory=list)


@dataclass(frozen=True)
class OrderRef:
    id: int
    number: str
    kind: OrderKind


def _problem(problems: list[str], function, *args):
    try:
        return function(*args)
    except (ValueError, ValidationFailed) as error:
        problems.append(str(error).rstrip("."))
        return None


# ---------------------------------------------------------------------------
# Checks (write nothing)
# ---------------------------------------------------------------------------

def _product(session: Session, product_id) -> Product:
    product = session.get(Product, int(product_id)) if product_id not in (None, "") else None
    if product is None:
        raise ValueError("choose a product" if product_id in (None, "") else "no such product")
    if not product.active:
        raise ValueError(f"product {product.name!r} is inactive; choose another product")
    return product


def check_line(session: Session, data: LineInput, default_unit: str, label: str, *,
               kind: OrderKind = OrderKind.SALES, currency: str | None = None) -> tuple[dict, list[str]]:
    """The cleaned values of one line and its problems, each starting with `label` ("Line 2").

    `kind` and `currency` (the order's) are for the line's optional price (lib.costing.prices)."""
    problems: list[str] = []
    product = _problem(problems, _product, session, data.product_id)
    pieces = _problem(problems, lambda raw: parse_quantity(raw, "pieces"),
                      0 if data.quantity in (None, "") else data.quantity)
    weight = _problem(problems, lambda raw: parse_weight(raw, "weight", allow_zero=True),
                      0 if data.weight in (None, "") else data.weight)
    symbol = data.weight_unit or default_unit
    if not is_unit(symbol):
        problems.append(f"unknown weight unit {symbol!r}; use one of {', '.join(UNIT_SYMBOLS)}")
    if pieces == 0 and weight == 0:
        problems.append("enter pieces and/or a weight greater than zero")
    description = _problem(problems, clean_text, data.description, "description", MAX_DESCRIPTION)
    attributes = {name: _problem(problems, check_catalog_id, session, name, getattr(data, name))
                  for name in LINE_FIELDS}
    price, price_problems = check_line_price(
        OrderKind(kind), unit_price=data.unit_price, price_basis=data.price_basis, price_currency=data.price_currency,
        cost_type=data.cost_type, has_weight=bool(weight), order_currency=currency)
    problems += price_problems
    if problems:
        return {}, [f"{label}: {problem}" for problem in problems]
    symbol = unit(symbol).symbol
    return {"product_id": product.id, "quantity": pieces, "weight": weight, "weight_unit": symbol,
            "weight_g": to_grams(weight, symbol), "description": description, **attributes, **price}, []


def _party(session: Session, kind: OrderKind, party_id) -> Party:
    party = session.get(Party, int(party_id)) if party_id not in (None, "") else None
    who = kind.party_kind.label.lower()
    if party is None or party.kind is not kind.party_kind:
        raise ValueError(f"Choose a {who}" if party_id in (None, "") else f"No such {who}")
    if not party.active:
        raise ValueError(f"The {who} {display_name(party.company, party.contact_name)!r} is deactivated; "
                         "reactivate it or choose another")
    return party


def _lead(session: Session, lead_id) -> int:
    user = session.get(User, int(lead_id)) if lead_id not in (None, "") else None
    if user is None or not user.active:
        raise ValueError("Choose an order lead (an active user)" if lead_id in (None, "") else
                         "The order lead must be an active user")
    return user.id


def _currency(raw, default: str) -> str:
    return check_currency(raw if raw not in (None, "") else default)


def _terms(raw, default: PaymentTerms) -> PaymentTerms:
    try:
        return PaymentTerms(raw) if raw not in (None, "") else default
    except ValueError:
        raise ValueError(f"Unknown payment terms {raw!r}") from None


def _budget(raw) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str) and "," in raw:
        raise ValueError("Budget: write numbers without commas, with a dot for decimals")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f"Budget must be a number, got {raw!r}") from None
    if not value.is_finite() or value < 0 or value >= MAX_BUDGET:
        raise ValueError("Budget must be a number of at least 0")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("Budget may have at most 2 decimals")
    return value.quantize(Decimal("0.01"))


def _not_before(day: date | None, ordered_on: date, label: str) -> date | None:
    if day is not None and day < ordered_on:
        raise ValueError(f"{label} ({day.isoformat()}) is before the order date ({ordered_on.isoformat()})")
    return day


def _check_header(session: Session, data: HeaderInput, ordered_on: date) -> tuple[dict, list[str]]:
    workspace = get_workspace(session)
    problems: list[str] = []
    values = {
        "lead_id": _problem(problems, _lead, session, data.lead_id),
        "notes": _problem(problems, clean_text, data.notes, "Notes", MAX_NOTES),
        "date_required": _problem(problems, _not_before, data.date_required, ordered_on, "Date required"),
        "deadline": _problem(problems, _not_before, data.deadline, ordered_on, "Internal deadline"),
        "currency": _problem(problems, _currency, data.currency, workspace.default_currency),
        "payment_terms": _problem(problems, _terms, data.payment_terms, workspace.default_payment_terms),
        "budget": _problem(problems, _budget, data.budget),
    }
    return values, problems


def _ordered_on(day: date | None) -> date:
    today = utcnow().date()
    if day is not None and day > today:
        raise ValueError("The order date cannot be in the future")
    return day or today


def check_order(session: Session, data: OrderInput) -> tuple[dict, list[dict], list[str]]:
    """(header values, line values, every problem). Writes nothing."""
    kind = OrderKind(data.kind)
    problems: list[str] = []
    party = _problem(problems, _party, session, kind, data.party_id)
    ordered_on = _problem(problems, _ordered_on, data.ordered_on) or utcnow().date()
    header, header_problems = _check_header(session, data, ordered_on)
    problems += header_problems
    if not data.lines:
        problems.append("Add at least one line")
    elif len(data.lines) > MAX_LINES:
        problems.append(f"An order may have at most {MAX_LINES} lines")
    default_unit = default_weight_unit(session)
    lines = []
    for position, line in enumerate(data.lines[:MAX_LINES], start=1):
        values, line_problems = check_line(session, line, default_unit, f"Line {position}", kind=kind,
                                           currency=header.get("currency"))
        problems += line_problems
        lines.append(values)
    header.update(kind=kind, party_id=party.id if party else None, ordered_on=ordered_on)
    return header, lines, problems

# ---------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------

def _add_lines(session: Session, order: Order, lines: list[dict], first_position: int) -> list[OrderLine]:
    rows = [OrderLine(order_id=order.id, position=first_position + index, **values)
            for index, values in enumerate(lines)]
    session.add_all(rows)
    session.flush()
    return rows


def _line_summary(session: Session, line: OrderLine) -> dict:
    product = session.get(Product, line.product_id)
    return {"line": line.position, "product_id": line.product_id, "product": product.name,
            "quantity": line.quantity, "weight": line.weight, "unit": line.weight_unit,
            **({"unit_price": line.unit_price, "price_basis": line.price_basis, "price_currency": line.price_currency,
                "cost_type": line.cost_type} if line.unit_price is not None else {})}


def create_order(session: Session, *, actor: Actor, data: OrderInput) -> OrderRef:
    """Check everything, draw the next number and save the order with its lines (admins).

    A ValidationFailed lists every problem; nothing is written then.
    """
    actor.require(Right.EDIT_ORDERS)
    header, lines, problems = check_order(session, data)
    if problems:
        raise ValidationFailed.listing("The order was not saved:", problems)
    number = next_number(session, prefix_for(get_workspace(session), header["kind"]))
    order = Order(number=number, created_by_id=actor.user_id, on_hold=False, fulfilment=Fulfilment.NOT_STARTED,
                  **header)
    try:
        with session.begin_nested():
            session.add(order)
            session.flush()
    except IntegrityError:
        raise ValidationFailed(f"Order number {number} was just taken; please save again.") from None
    rows = _add_lines(session, order, lines, 1)
    audit.record(session, actor_id=actor.user_id, action="create order", entity="order", entity_id=order.id,
                 new={**header, "number": number, "lines": [_line_summary(session, row) for row in rows]})
    refresh(session, order, actor.user_id)
    return OrderRef(order.id, order.number, order.kind)


def update_order(session: Session, *, actor: Actor, order_id: int, data: HeaderInput) -> OrderRef:
    """Change the order lead, notes, dates, currency, payment terms or budget (admins); audited."""
    order = order_for_write(session, actor, order_id)
    values, problems = _check_header(session, data, order.ordered_on)
    if problems:
        raise ValidationFailed.listing(f"{order.number} was not changed:", problems)
    old, new = audit.changed_fields(order, values)
    if new:
        audit.record(session, actor_id=actor.user_id, action="update order", entity="order", entity_id=order.id,
                     old=old, new=new)
    session.flush()
    return OrderRef(order.id, order.number, order.kind)


def add_line(session: Session, *, actor: Actor, order_id: int, data: LineInput) -> int:
    """Add a requested line at the end of the order (admins); returns its id."""
    order = order_for_write(session, actor, order_id)
    if order.fulfilment in CLOSED:
        raise ValidationFailed(f"{order.number} is {order.fulfilment.label.lower()}; a new line cannot be added to "
                               "it. Create a new order instead.")
    count, last = session.execute(select(func.count(OrderLine.id), func.max(OrderLine.position))
                                  .where(OrderLine.order_id == order.id)).one()
    if count >= MAX_LINES:
        raise ValidationFailed(f"An order may have at most {MAX_LINES} lines.")
    values, problems = check_line(session, data, default_weight_unit(session), "New line",
                                  kind=order.kind, currency=order.currency)
    if problems:
        raise ValidationFailed.listing("The line was not added:", problems)
    (line,) = _add_lines(session, order, [values], (last or 0) + 1)
    audit.record(session, actor_id=actor.user_id, action="add line", entity="order", entity_id=order.id,
                 new=_line_summary(session, line))
    refresh(session, order, actor.user_id)
    return line.id


def cancel_line(session: Session, *, actor: Actor, line_id: int, reason: str = "") -> None:
    """Cancel a line (admins): a sales line's selected stock goes back through the ledger first.

    Refused for a sales line with shipments (close it short instead) and for a line with open linked
    production jobs (unlink them first). A source item archived meanwhile is restored by the return.
    """
    order, line = line_for_write(session, actor, line_id)
    require_active_line(order, line)
    why = as_validation(clean_text, reason, "Reason", MAX_REASON)
    done = amounts(session, [line.id])[line.id]
    if order.kind is OrderKind.SALES and not done.shipped.is_zero:
        raise ValidationFailed(f"{line_reference(order, line)} has shipments and cannot be cancelled; close it "
                               "short instead (and record a return for goods that came back).")
    jobs = list(session.scalars(select(ProductionJob.number).where(ProductionJob.order_line_id == line.id,
                                                                   ProductionJob.closed_as.is_(None))
                                .order_by(ProductionJob.id)))
    if jobs:
        raise ValidationFailed(f"{line_reference(order, line)} has open production job"
                               f"{'s' if len(jobs) != 1 else ''} linked to it ({', '.join(jobs)}); unlink "
                               f"{'them' if len(jobs) != 1 else 'it'} first (or complete or cancel "
                               f"{'them' if len(jobs) != 1 else 'it'}).")
    with session.begin_nested():
        returned = [selection.remove_selection(session, actor=actor, selection_id=selection_id,
                                               reason="line cancelled")
                    for selection_id in selection.active_selection_ids(session, line.id)]
        line.cancelled_at = utcnow()
        line.cancelled_by_id = actor.user_id
        line.cancel_reason = why
        audit.record(session, actor_id=actor.user_id, action="cancel line", entity="order", entity_id=order.id,
                     new={"line": line.position, "reason": why, "returned": len(returned)})
        refresh(session, order, actor.user_id)


def set_on_hold(session: Session, *, actor: Actor, order_id: int, on_hold: bool, reason: str = "") -> Fulfilment:
    """Put an order on hold or release it (admins); refused for completed or cancelled orders."""
    order = order_for_write(session, actor, order_id)
    why = as_validation(clean_text, reason, "Reason", MAX_REASON)
    if bool(on_hold) == order.on_hold:
        raise ValidationFailed(f"{order.number} is {'already' if on_hold else 'not'} on hold.")
    if on_hold and order.fulfilment in CLOSED:
        raise ValidationFailed(f"{order.number} is {order.fulfilment.label.lower()}; there is nothing to hold.")
    order.on_hold = bool(on_hold)
    audit.record(session, actor_id=actor.user_id, action="put on hold" if on_hold else "release hold",
                 entity="order", entity_id=order.id, new={"reason": why})
    return refresh(session, order, actor.user_id)


def set_line_ready(session: Session, *, actor: Actor, line_id: int, ready: bool) -> None:
    """Mark a sales line Ready (or take the mark back) (admins)."""
    order, line = line_for_write(session, actor, line_id, OrderKind.SALES)
    require_active_line(order, line)
    require_not_on_hold(order)
    if line.ready == bool(ready):
        raise ValidationFailed(f"{line_reference(order, line)} is {'already' if ready else 'not'} marked ready.")
    line.ready = bool(ready)
    audit.record(session, actor_id=actor.user_id, action="mark line ready" if ready else "clear line ready",
                 entity="order", entity_id=order.id, new={"line": line.position})
    refresh(session, order, actor.user_id)


# ---------------------------------------------------------------------------
# What the forms offer
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FormChoices:
    """Choices for the new-order form and the order actions (people who change orders)."""

    parties: tuple[tuple[int, str], ...]
    leads: tuple[tuple[int, str], ...]
    products: tuple[tuple[int, str], ...]
    attributes: dict[str, tuple[tuple[int, str], ...]]  # line attribute field -> active (id, name)
    units: tuple[str, ...]
    default_unit: str
    currency: str
    payment_terms: PaymentTerms
    carriers: tuple[str, ...]


def form_choices(session: Session, *, actor: Actor, kind: OrderKind) -> FormChoices:
    """Active parties of the kind, active users, active products and catalog entries, workspace defaults."""
    actor.require(Right.EDIT_ORDERS)
    workspace = get_workspace(session)
    leads = tuple(session.execute(select(User.id, User.name).where(User.active.is_(True)).order_by(User.name)))
    products = tuple(session.execute(select(Product.id, Product.name).where(Product.active.is_(True))
                                     .order_by(Product.name)))
    attributes = {}
    for key in LINE_ATTRIBUTE_KEYS:
        attribute = BY_KEY[key]
        attributes[attribute.field] = tuple(session.execute(
            select(CatalogEntry.id, CatalogEntry.name)
            .where(CatalogEntry.catalog == attribute.catalog, CatalogEntry.active.is_(True))
            .order_by(CatalogEntry.sort_order, CatalogEntry.name)))
    return FormChoices(parties=tuple(party_choices(session, actor=actor, kind=OrderKind(kind).party_kind)),
                       leads=tuple((row[0], row[1]) for row in leads),
                       products=tuple((row[0], row[1]) for row in products),
                       attributes={name: tuple((row[0], row[1]) for row in rows) for name, rows in attributes.items()},
                       units=UNIT_SYMBOLS, default_unit=workspace.default_weight_unit,
                       currency=workspace.default_currency, payment_terms=workspace.default_payment_terms,
                       carriers=tuple(carrier_list(workspace)))
