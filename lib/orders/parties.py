"""Customers and suppliers (reference 3.12): one `parties` table with a kind; admins only.

Reading the directory needs the right to see customer details and changing it
the right to change orders; both are admins' (reference 3.6.1: customers are
admin-only; managers see suppliers in full only on purchase orders).

Decisions where the reference is silent (also in docs/orders.md):

- A company that is both customer and supplier is two records, as the
  reference says (no merged party).
- A company name or a contact name is required (the company wins as the
  display name); e-mail and phone are optional, but checked when given.
  E-mail: one address of the form name@domain.tld. Phone: digits with
  spaces, dashes, dots, parentheses and an optional leading +; 6 to 20 digits.
- Deactivate instead of delete: an inactive party keeps its orders and is not
  offered for new ones. Deleting is only possible for a party without orders.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.errors import NotFound, ValidationFailed
from lib.inventory.forms import clean_text, collect
from lib.models import Order, Party, PartyKind
from lib.products.catalog_entries import clean_name
from lib.workspace.users import EMAIL_PATTERN
from lib.text import search_text

PHONE_PATTERN = re.compile(r"^\+?[0-9 ().\-/]+$")
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 6, 20
NOT_FOUND = "No such customer or supplier."


@dataclass
class PartyInput:
    """What an admin types for a customer or supplier."""

    company: str = ""
    contact_name: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    country: str = ""
    notes: str = ""


@dataclass(frozen=True)
class PartyView:
    id: int
    kind: PartyKind
    company: str
    contact_name: str
    email: str
    phone: str
    address: str
    country: str
    notes: str
    active: bool
    created_at: datetime
    orders: int

    @property
    def name(self) -> str:
        return display_name(self.company, self.contact_name)


def display_name(company: str, contact_name: str) -> str:
    """How a party is named in lists: the company, else the contact."""
    return company or contact_name


def _optional_name(raw, field: str) -> str:
    text = "" if raw is None else str(raw).strip()
    return clean_name(text, field) if text else ""


def check_email(raw) -> str:
    """An e-mail address or ""; ValueError with a sentence otherwise."""
    text = "" if raw is None else str(raw).strip()
    if text and (len(text) > 200 or not EMAIL_PATTERN.match(text)):
        raise ValueError(f"E-mail {text[:60]!r} does not look like an e-mail address (name@example.com)")
    return text


def check_phone(raw) -> str:
    """A phone number or ""; ValueError with a sentence otherwise."""
    text = " ".join(("" if raw is None else str(raw)).split())
    if not text:
        return ""
    digits = sum(ch.isdigit() for ch in text)
    if len(text) > 40 or not PHONE_PATTERN.match(text) or not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        raise ValueError(f"Phone {text[:40]!r}: {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits, with spaces, "
                         "dashes, dots, parentheses and an optional leading +")
    return text


def _as_value_error(function, *args):
    try:
        return function(*args)
    except ValidationFailed as error:
        raise ValueError(str(error)) from None


def check_party(data: PartyInput) -> tuple[dict, dict[str, str]]:
    """The cleaned values, and every problem keyed by field. Writes nothing."""
    problems: dict[str, str] = {}
    values = {
        "company": collect(problems, "company", _as_value_error, _optional_name, data.company, "Company"),
        "contact_name": collect(problems, "contact_name", _as_value_error, _optional_name, data.contact_name,
                                "Contact name"),
        "email": collect(problems, "email", check_email, data.email),
        "phone": collect(problems, "phone", check_phone, data.phone),
        "address": collect(problems, "address", clean_text, data.address, "Address", 500),
        "country": collect(problems, "country", clean_text, data.country, "Country", 80),
        "notes": collect(problems, "notes", clean_text, data.notes, "Notes", 2000),
    }
    if not problems and not (values["company"] or values["contact_name"]):
        problems["company"] = "Enter a company or a contact name"
    return values, problems

def _view(party: Party, orders: int) -> PartyView:
    return PartyView(**{spec.name: getattr(party, spec.name) for spec in fields(PartyView) if spec.name != "orders"},
                     orders=orders)


def _order_counts():
    return select(Order.party_id, func.count(Order.id).label("orders")).group_by(Order.party_id).subquery()


def list_parties(session: Session, *, actor: Actor, kind: PartyKind | None = None, search: str = "",
                 include_inactive: bool = True) -> list[PartyView]:
    """The directory (admins), by name: search matches company, contact, e-mail, phone and country."""
    actor.require(Right.VIEW_CUSTOMER_DETAILS)
    counts = _order_counts()
    stmt = (select(Party, func.coalesce(counts.c.orders, 0)).outerjoin(counts, counts.c.party_id == Party.id)
            .order_by(func.lower(func.coalesce(func.nullif(Party.company, ""), Party.contact_name)), Party.id))
    if kind is not None:
        stmt = stmt.where(Party.kind == PartyKind(kind))
    if not include_inactive:
        stmt = stmt.where(Party.active.is_(True))
    text = search_text(search).lower()
    if text:
        stmt = stmt.where(or_(*(func.lower(column).contains(text, autoescape=True) for column in
                                (Party.company, Party.contact_name, Party.email, Party.phone, Party.country))))
    return [_view(party, int(orders)) for party, orders in session.execute(stmt)]


def get_party(session: Session, *, actor: Actor, party_id: int) -> PartyView:
    """One customer or supplier with every field (admins)."""
    actor.require(Right.VIEW_CUSTOMER_DETAILS)
    party = session.get(Party, int(party_id))
    if party is None:
        raise NotFound(NOT_FOUND)
    orders = session.scalar(select(func.count(Order.id)).where(Order.party_id == party.id)) or 0
    return _view(party, int(orders))


def add_party(session: Session, *, actor: Actor, kind: PartyKind, data: PartyInput) -> PartyView:
    """Add an active customer or supplier (admins); every problem is listed, nothing written on any."""
    actor.require(Right.EDIT_ORDERS)
    kind = PartyKind(kind)
    values, problems = check_party(data)
    if problems:
        raise ValidationFailed.listing(f"The {kind.label.lower()} was not added:", problems)
    party = Party(kind=kind, active=True, created_by_id=actor.user_id, **values)
    session.add(party)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action=f"add {kind.value}", entity="party", entity_id=party.id,
                 new={"kind": kind, **values})
    return _view(party, 0)


def update_party(session: Session, *, actor: Actor, party_id: int, data: PartyInput) -> PartyView:
    """Change a customer's or supplier's details (admins); audited with old and new values."""
    actor.require(Right.EDIT_ORDERS)
    party = session.get(Party, int(party_id))
    if party is None:
        raise NotFound(NOT_FOUND)
    values, problems = check_party(data)
    if problems:
        raise ValidationFailed.listing(f"The {party.kind.label.lower()} was not changed:", problems)
    old, new = audit.changed_fields(party, values)
    if new:
        audit.record(session, actor_id=actor.user_id, action=f"update {party.kind.value}", entity="party",
                     entity_id=party.id, old=old, new=new)
    session.flush()
    return get_party(session, actor=actor, party_id=party.id)


def set_active(session: Session, *, actor: Actor, party_id: int, active: bool) -> PartyView:
    """Deactivate (or reactivate) a customer or supplier: inactive ones keep their orders, get no new ones."""
    actor.require(Right.EDIT_ORDERS)
    party = session.get(Party, int(party_id))
    if party is None:
        raise NotFound(NOT_FOUND)
    old, new = audit.changed_fields(party, {"active": bool(active)})
    if new:
        audit.record(session, actor_id=actor.user_id, action=f"{'reactivate' if active else 'deactivate'} "
                     f"{party.kind.value}", entity="party", entity_id=party.id, old=old, new=new)
    session.flush()
    return get_party(session, actor=actor, party_id=party.id)


def delete_party(session: Session, *, actor: Actor, party_id: int) -> None:
    """Delete a customer or supplier that has no orders (admins); one with orders can only be deactivated."""
    actor.require(Right.EDIT_ORDERS)
    party = session.get(Party, int(party_id))
    if party is None:
        raise NotFound(NOT_FOUND)
    orders = session.scalar(select(func.count(Order.id)).where(Order.party_id == party.id)) or 0
    if orders:
        raise ValidationFailed(f"{display_name(party.company, party.contact_name)} has {orders} order"
                               f"{'s' if orders != 1 else ''} and cannot be deleted; deactivate it instead.")
    audit.record(session, actor_id=actor.user_id, action=f"delete {party.kind.value}", entity="party",
                 entity_id=party.id, old={"company": party.company, "contact_name": party.contact_name})
    session.delete(party)
    session.flush()


def party_choices(session: Session, *, actor: Actor, kind: PartyKind) -> list[tuple[int, str]]:
    """Active customers (or suppliers) for a new order, as (id, name) by name (people who change orders)."""
    actor.require(Right.EDIT_ORDERS)
    stmt = (select(Party.id, Party.company, Party.contact_name)
            .where(Party.kind == PartyKind(kind), Party.active.is_(True)))
    rows = [(party_id, display_name(company, contact)) for party_id, company, contact in session.execute(stmt)]
    return sorted(rows, key=lambda row: (row[1].lower(), row[0]))
