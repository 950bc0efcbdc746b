"""Factories for tests: real rows with unique names, stock only through the ledger."""
from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import ledger
from lib.access import Actor, actor_for_user
from lib.models import (
    CatalogEntry,
    CatalogKind,
    InventoryItem,
    InventoryKind,
    Location,
    MovementKind,
    Party,
    PartyKind,
    Plan,
    Product,
    Role,
    User,
    Workspace,
)
from lib.units import to_grams
from lib.workspace.users import hash_password

_counter = itertools.count(1)
TEST_PASSWORD = "test-pass-1"


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


@lru_cache(maxsize=1)
def test_password_hash() -> str:
    """One cheap bcrypt hash shared by every test user (rounds=4 keeps tests fast)."""
    return hash_password(TEST_PASSWORD, rounds=4)


def make_workspace(session: Session, **overrides) -> Workspace:
    existing = session.scalars(select(Workspace)).one_or_none()
    if existing is not None:
        for key, value in overrides.items():
            setattr(existing, key, value)
        session.flush()
        return existing
    values = dict(name="Test Workshop", plan=Plan.PROFESSIONAL, default_weight_unit="g", tag_prefix="T",
                  ai_summaries_enabled=False, managers_all_locations=False)
    values.update(overrides)
    workspace = Workspace(**values)
    session.add(workspace)
    session.flush()
    return workspace


def make_location(session: Session, name: str | None = None) -> Location:
    name = name or unique("Location ")
    location = Location(name=name, short_name=name[:3].upper(), kind="Workshop")
    session.add(location)
    session.flush()
    return location


def make_user(session: Session, role: Role = Role.MEMBER, location: Location | None = None,
              username: str | None = None, active: bool = True) -> User:
    make_workspace(session)
    username = username or unique(f"{role.value}")
    user = User(username=username, name=username.title(), email=f"{username}@example.com",
                password_hash=test_password_hash(), role=role,
                location_id=location.id if location else None, active=active)
    session.add(user)
    session.flush()
    return user


def actor(session: Session, user: User) -> Actor:
    return actor_for_user(session, user.id)


def make_catalog(session: Session, catalog: CatalogKind, name: str | None = None) -> CatalogEntry:
    name = name or unique(f"{catalog.value} ")
    entry = CatalogEntry(catalog=catalog, name=name, name_key=name.lower())
    session.add(entry)
    session.flush()
    return entry


def make_product(session: Session, name: str | None = None, short_name: str | None = None) -> Product:
    name = name or unique("Product ")
    short = short_name or unique("P")
    product = Product(name=name, name_key=name.lower(), short_name=short.upper())
    session.add(product)
    session.flush()
    return product


def make_item(session: Session, product: Product, location: Location, *, quantity: int = 1,
              weight: str | Decimal = "1.0000", unit: str = "g", kind: InventoryKind = InventoryKind.FINISHED,
              user: User | None = None, moved_at: datetime | None = None, tag_id: str | None = None,
              **classification) -> InventoryItem:
    """An item whose opening stock is a receipt movement on the ledger."""
    item = InventoryItem(tag_id=tag_id or unique("TAG"), product_id=product.id, kind=kind, quantity=0,
                         weight=Decimal(0), weight_unit=unit, weight_g=Decimal(0), location_id=location.id,
                         notes="", **classification)
    if moved_at is not None:
        item.created_at = moved_at
    session.add(item)
    session.flush()
    ledger.apply_change(session, item_id=item.id, user_id=user.id if user else None,
                        movement_kind=MovementKind.RECEIPT, quantity_delta=quantity,
                        weight_delta=Decimal(weight), moved_at=moved_at)
    assert item.weight_g == to_grams(Decimal(weight), unit)
    return item


def make_party(session: Session, kind: PartyKind = PartyKind.CUSTOMER, company: str | None = None,
               email: str = "", phone: str = "", active: bool = True) -> Party:
    """A customer or supplier row (the directory's own checks are tested in test_orders_lib)."""
    party = Party(kind=kind, company=company or unique(f"{kind.label} "), contact_name="", email=email, phone=phone,
                  address="", country="", notes="", active=active)
    session.add(party)
    session.flush()
    return party
