"""The sales and purchase order lists: filters, sort, server-side paging, and the CSV / XLSX export.

Both read people who may see orders (admins, managers). The database
filters, sorts and pages; only one page of rows is loaded, and the export
streams the whole filtered set in the same sort.

Customer details are hidden in the lib, not on the page, so no path (list,
search, sort, filter, export) shows them to someone without the right to see
customer details: a sales order's customer reads "Customer (SO-0012)"; search
matches only the number, line descriptions and product names (never the
customer or the notes); the customer filter and sort are ignored. Suppliers
are shown in full. The internal budget is shown to admins only.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Iterator

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from lib.access import Actor, Right
from lib.models import Fulfilment, Order, OrderKind, OrderLine, Party, PaymentTerms, Product, User
from lib.orders.parties import display_name
from lib.spreadsheet import ExportFile, write_export
from lib.text import contains_pattern

PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class OrderFilters:
    """What the list shows. Empty tuples mean "any"; dates are the order date, both inclusive."""

    search: str = ""
    statuses: tuple[Fulfilment, ...] = ()
    party_ids: tuple[int, ...] = ()
    lead_ids: tuple[int, ...] = ()
    ordered_from: date | None = None
    ordered_to: date | None = None

    def with_(self, **changes) -> "OrderFilters":
        return replace(self, **changes)


SORT_LABELS = {"ordered_on": "Order date", "number": "Number", "date_required": "Date required",
               "deadline": "Deadline", "party": "Customer / supplier", "lead": "Order lead",
               "fulfilment": "Fulfilment"}
"""Sort keys and what they read as."""


@dataclass(frozen=True)
class OrderPage:
    number: int = 1  # 1-based
    size: int = 25
    sort: str = "ordered_on"
    descending: bool = True

    @property
    def offset(self) -> int:
        return (max(self.number, 1) - 1) * self.size


@dataclass(frozen=True)
class OrderRow:
    id: int
    number: str
    kind: OrderKind
    party: str  # "Customer (SO-0012)" when hidden
    party_id: int | None  # None when hidden
    lead: str
    ordered_on: date
    date_required: date | None
    deadline: date | None
    lines: int
    fulfilment: Fulfilment
    on_hold: bool
    currency: str
    payment_terms: PaymentTerms
    budget: Decimal | None  # None for people who may not see it


@dataclass(frozen=True)
class OrderList:
    rows: list[OrderRow]
    total: int
    page: OrderPage

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page.size))


def hides_customer(actor: Actor, kind: OrderKind) -> bool:
    """True when `actor` may not see who the customer of a sales order is."""
    return kind is OrderKind.SALES and not actor.can(Right.VIEW_CUSTOMER_DETAILS)


def hidden_customer(number: str) -> str:
    """How a customer reads to people who may not see customer details."""
    return f"Customer ({number})"


def sees_budget(actor: Actor) -> bool:
    """The internal budget is commercial: only people who change orders (admins) see it."""
    return actor.can(Right.EDIT_ORDERS)


_PARTY_NAME = func.coalesce(func.nullif(Party.company, ""), Party.contact_name)
_LINES = (select(func.count(OrderLine.id)).where(OrderLine.order_id == Order.id).correlate(Order)
          .scalar_subquery())


def _line_matches(pattern: str):
    product_match = select(Product.id).where(func.lower(Product.name).like(pattern, escape="\\"))
    return exists(select(OrderLine.id).where(
        OrderLine.order_id == Order.id,
        or_(func.lower(OrderLine.description).like(pattern, escape="\\"), OrderLine.product_id.in_(product_match))))


def _statement(actor: Actor, kind: OrderKind, filters: OrderFilters, *columns) -> Select:
    """SELECT `columns` FROM orders (with party and lead joined), of one kind, filtered."""
    actor.require(Right.VIEW_ORDERS)
    kind = OrderKind(kind)
    hidden = hides_customer(actor, kind)
    stmt = (select(*columns).select_from(Order).join(Party, Party.id == Order.party_id)
            .join(User, User.id == Order.lead_id).where(Order.kind == kind))
    conditions = []
    if filters.statuses:
        conditions.append(Order.fulfilment.in_(filters.statuses))
    if filters.party_ids and not hidden:
        conditions.append(Order.party_id.in_(sorted(filters.party_ids)))
    if filters.lead_ids:
        conditions.append(Order.lead_id.in_(sorted(filters.lead_ids)))
    if filters.ordered_from:
        conditions.append(Order.ordered_on >= filters.ordered_from)
    if filters.ordered_to:
        conditions.append(Order.ordered_on <= filters.ordered_to)
    pattern = contains_pattern(filters.search)
    if pattern:
        matches = [func.lower(Order.number).like(pattern, escape="\\"), _line_matches(pattern)]
        if not hidden:
            matches += [func.lower(Party.company).like(pattern, escape="\\"),
                        func.lower(Party.contact_name).like(pattern, escape="\\"),
                        func.lower(Order.notes).like(pattern, escape="\\")]
        conditions.append(or_(*matches))
    return stmt.where(and_(*conditions)) if conditions else stmt


def _order_by(actor: Actor, kind: OrderKind, sort: str, descending: bool) -> list:
    if sort not in SORT_LABELS:
        raise ValueError(f"Cannot sort orders by {sort!r}")
    if sort == "party" and hides_customer(actor, kind):
        sort = "number"
    expression = {"ordered_on": Order.ordered_on, "number": Order.number, "date_required": Order.date_required,
                  "deadline": Order.deadline, "party": func.lower(_PARTY_NAME), "lead": User.name,
                  "fulfilment": Order.fulfilment}[sort]
    if descending:
        return [expression.desc(), Order.id.desc()]
    return [expression.asc(), Order.id.asc()]


_ROW_COLUMNS = (Order.id, Order.number, Order.kind, Party.company, Party.contact_name, Order.party_id,
                User.name.label("lead"), Order.ordered_on, Order.date_required, Order.deadline, _LINES.label("lines"),
                Order.fulfilment, Order.on_hold, Order.currency, Order.payment_terms, Order.budget)


def _row(actor: Actor, values) -> OrderRow:
    hidden = hides_customer(actor, values.kind)
    return OrderRow(id=values.id, number=values.number, kind=values.kind,
                    party=hidden_customer(values.number) if hidden else display_name(values.company,
                                                                                     values.contact_name),
                    party_id=None if hidden else values.party_id, lead=values.lead, ordered_on=values.ordered_on,
                    date_required=values.date_required, deadline=values.deadline, lines=int(values.lines or 0),
                    fulfilment=values.fulfilment, on_hold=values.on_hold, currency=values.currency,
                    payment_terms=values.payment_terms, budget=values.budget if sees_budget(actor) else None)


def list_orders(session: Session, *, actor: Actor, kind: OrderKind, filters: OrderFilters,
                page: OrderPage) -> OrderList:
    """One page of orders of `kind` and how many match (admins and managers). A page past the end shows the last."""
    total = int(session.scalar(_statement(actor, kind, filters, func.count(Order.id))) or 0)
    last = max(1, -(-total // page.size))
    if page.number > last:
        page = replace(page, number=last)
    stmt = (_statement(actor, kind, filters, *_ROW_COLUMNS).order_by(*_order_by(actor, kind, page.sort,
                                                                                 page.descending))
            .limit(page.size).offset(page.offset))
    return OrderList([_row(actor, values) for values in session.execute(stmt)], total, page)


def iter_orders(session: Session, *, actor: Actor, kind: OrderKind, filters: OrderFilters,
                sort: str = "ordered_on", descending: bool = True, chunk_size: int = 1000) -> Iterator[OrderRow]:
    """Every order of the filtered set, in the given sort, streamed in chunks (for exports)."""
    stmt = (_statement(actor, kind, filters, *_ROW_COLUMNS).order_by(*_order_by(actor, kind, sort, descending))
            .execution_options(yield_per=chunk_size))
    for partition in session.execute(stmt).partitions(chunk_size):
        for values in partition:
            yield _row(actor, values)


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------

def export_headers(actor: Actor, kind: OrderKind) -> list[str]:
    """The export's columns; the budget only for people who may see it."""
    headers = ["Number", OrderKind(kind).party_kind.label, "Order lead", "Order date", "Date required",
               "Internal deadline", "Lines", "Fulfilment", "On hold", "Currency", "Payment terms"]
    return headers + ["Internal budget"] if sees_budget(actor) else headers


def _cells(actor: Actor, row: OrderRow) -> list:
    """One order as typed values (`lib.spreadsheet` keeps its text from running as a formula)."""
    cells = [row.number, row.party, row.lead, row.ordered_on, row.date_required, row.deadline, row.lines,
             row.fulfilment.label, "yes" if row.on_hold else "no", row.currency, row.payment_terms.label]
    return cells + [row.budget if row.budget is not None else ""] if sees_budget(actor) else cells


def export_orders(session: Session, *, actor: Actor, kind: OrderKind, filters: OrderFilters, fmt: str,
                  sort: str = "ordered_on", descending: bool = True) -> ExportFile:
    """Write every filtered order of `kind`, in the given sort, to a temporary CSV or XLSX file."""
    kind = OrderKind(kind)
    rows = iter_orders(session, actor=actor, kind=kind, filters=filters, sort=sort, descending=descending)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    basename = f"{kind.value}-orders-{stamp}"
    return write_export(export_headers(actor, kind), (_cells(actor, row) for row in rows), fmt, basename,
                        sheet_title=f"{kind.label}s")


# ---------------------------------------------------------------------------
# Filter choices
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FilterChoices:
    parties: tuple[tuple[int, str], ...]  # empty when the viewer may not see customers
    leads: tuple[tuple[int, str], ...]


def filter_choices(session: Session, *, actor: Actor, kind: OrderKind) -> FilterChoices:
    """The parties and leads that occur on orders of `kind` (no customers for people who may not see them)."""
    actor.require(Right.VIEW_ORDERS)
    kind = OrderKind(kind)
    parties: tuple = ()
    if not hides_customer(actor, kind):
        rows = session.execute(select(Party.id, Party.company, Party.contact_name)
                               .where(Party.id.in_(select(Order.party_id).where(Order.kind == kind))))
        parties = tuple(sorted(((pid, display_name(company, contact)) for pid, company, contact in rows),
                               key=lambda row: (row[1].lower(), row[0])))
    leads = tuple((uid, name) for uid, name in session.execute(
        select(User.id, User.name).where(User.id.in_(select(Order.lead_id).where(Order.kind == kind)))
        .order_by(User.name)))
    return FilterChoices(parties, leads)
