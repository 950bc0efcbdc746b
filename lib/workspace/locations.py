"""Locations: warehouses, stores, workshops. Admins add and edit them.

A location that holds stock can be deactivated but never deleted (its history stays).
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.errors import NotFound, ValidationFailed
from lib.models import Location
from lib.text import text_problem

LOCATION_KINDS = ("Workshop", "Warehouse", "Store", "Office", "Production facility")


def list_locations(session: Session) -> list[Location]:
    """Every location, active first, by name (admin screens)."""
    return list(session.scalars(select(Location).order_by(Location.active.desc(), Location.name)))


def _validate(session: Session, name: str, short_name: str, kind: str, location_id: int | None) -> tuple[str, str]:
    name, short_name = (name or "").strip(), (short_name or "").strip().upper()
    problems = []
    problem = text_problem(name, "Name", None, multiline=False) or text_problem(short_name, "Short name", None,
                                                                                   multiline=False)
    if problem:
        problems.append(f"{problem}.")
    elif not name or len(name) > 120:
        problems.append("Name must be 1 to 120 characters.")
    elif session.scalar(select(Location.id).where(func.lower(Location.name) == name.lower(),
                                                  Location.id != (location_id or 0))) is not None:
        problems.append(f"A location named {name!r} already exists.")
    if not short_name or len(short_name) > 20:
        problems.append("Short name must be 1 to 20 characters.")
    if kind not in LOCATION_KINDS:
        problems.append(f"Type must be one of: {', '.join(LOCATION_KINDS)}.")
    if problems:
        raise ValidationFailed(" ".join(problems), problems)
    return name, short_name


def add_location(session: Session, *, actor: Actor, name: str, short_name: str, kind: str = "Workshop") -> Location:
    """Add an active location (admins only); audited."""
    actor.require(Right.MANAGE_SETTINGS)
    name, short_name = _validate(session, name, short_name, kind, None)
    location = Location(name=name, short_name=short_name, kind=kind, active=True)
    session.add(location)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="add location", entity="location",
                 entity_id=location.id, new={"name": name, "short_name": short_name, "kind": kind})
    return location


def update_location(session: Session, *, actor: Actor, location_id: int, name: str, short_name: str,
                    kind: str, active: bool) -> Location:
    """Rename, retype or (de)activate a location (admins only); audited."""
    actor.require(Right.MANAGE_SETTINGS)
    location = session.get(Location, location_id)
    if location is None:
        raise NotFound("No such location.")
    name, short_name = _validate(session, name, short_name, kind, location_id)
    old, new = audit.changed_fields(location, {"name": name, "short_name": short_name, "kind": kind,
                                                "active": bool(active)})
    if new:
        audit.record(session, actor_id=actor.user_id, action="update location", entity="location",
                     entity_id=location.id, old=old, new=new)
    session.flush()
    return location
