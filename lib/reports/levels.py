"""Reorder levels for the low-stock report: per product, optionally per inventory kind and location.

Decisions (docs/reports.md):
- Admins and managers set them (the "edit inventory" right); every change is audited.
- A level names a minimum weight (typed in a unit, kept in grams), a minimum piece count, or both: stock is
  low when it is below either. Negative, non-numeric or empty-both values are refused; nothing is written.
- A level for one location needs that location to be one the person works with; a level for every location
  (no location) needs someone who sees every location, since it is compared with all of them.
- One level per product, kind and location: setting it again changes it.
- Who sees a level: everyone whose locations include its location; a level for every location is compared
  with the stock at the locations the viewer sees.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.enums import InventoryKind
from lib.errors import NotFound, PermissionDenied, ValidationFailed
from lib.models import Location, Product, ReorderLevel
from lib.reports.common import in_scope
from lib.units import is_unit, parse_weight, plain_decimal, to_grams

MAX_PIECES = 10_000_000


@dataclass(frozen=True)
class LevelRow:
    level_id: int
    kind: InventoryKind | None
    location_id: int | None
    location: str
    min_pieces: int | None
    min_weight_g: Decimal | None


def list_levels(session: Session, *, actor: Actor, product_id: int) -> list[LevelRow]:
    """The product's reorder levels the viewer may see (their locations, and levels for every location)."""
    actor.require(Right.VIEW_INVENTORY)
    stmt = (select(ReorderLevel, Location.name).outerjoin(Location, Location.id == ReorderLevel.location_id)
            .where(ReorderLevel.product_id == product_id,
                   or_(ReorderLevel.location_id.is_(None), in_scope(ReorderLevel.location_id, actor)))
            .order_by(ReorderLevel.location_id.is_not(None), Location.name, ReorderLevel.kind.is_not(None),
                      ReorderLevel.kind))  # every location and any kind first, on both databases
    return [LevelRow(level.id, level.kind, level.location_id, name or "All locations", level.min_pieces,
                     level.min_weight_g) for level, name in session.execute(stmt)]


def _parse(min_weight, weight_unit: str, min_pieces) -> tuple[Decimal | None, int | None]:
    problems = []
    weight_g = pieces = None
    if min_weight not in (None, ""):
        if not is_unit(weight_unit):
            problems.append(f"Unknown weight unit {weight_unit!r}")
        else:
            try:
                weight_g = to_grams(parse_weight(min_weight, "Minimum weight", allow_zero=True), weight_unit)
            except ValueError as error:
                problems.append(str(error))
    if min_pieces not in (None, ""):
        try:
            value = plain_decimal(min_pieces, "Minimum pieces", maximum=Decimal(MAX_PIECES))
            if value != value.to_integral_value():
                raise ValueError("Minimum pieces must be a whole number")
            pieces = int(value)
        except ValueError as error:
            problems.append(str(error))
    if not problems and weight_g is None and pieces is None:
        problems.append("Give a minimum weight, a minimum number of pieces, or both")
    if problems:
        raise ValidationFailed("The reorder level was not saved: " + "; ".join(problems) + ".", problems)
    return weight_g, pieces


def _check_place(actor: Actor, location_id: int | None) -> None:
    if location_id is None:
        if not actor.sees_all_locations:
            raise PermissionDenied("A reorder level for every location needs someone who sees every location: "
                                   "choose one of your locations.")
    else:
        actor.require_location(location_id)


def set_level(session: Session, *, actor: Actor, product_id: int, kind: InventoryKind | None = None,
              location_id: int | None = None, min_weight=None, weight_unit: str = "g",
              min_pieces=None) -> ReorderLevel:
    """Set the product's reorder level for a kind and location (None: any), creating or changing it; audited."""
    actor.require(Right.EDIT_INVENTORY)
    _check_place(actor, location_id)
    if session.get(Product, product_id) is None:
        raise NotFound("No such product.")
    if location_id is not None and session.get(Location, location_id) is None:
        raise NotFound("No such location.")
    kind = InventoryKind(kind) if kind is not None else None
    weight_g, pieces = _parse(min_weight, weight_unit, min_pieces)
    stmt = select(ReorderLevel).where(
        ReorderLevel.product_id == product_id,
        ReorderLevel.kind.is_(None) if kind is None else ReorderLevel.kind == kind,
        ReorderLevel.location_id.is_(None) if location_id is None else ReorderLevel.location_id == location_id)
    level = session.scalars(stmt.with_for_update()).first()
    values = {"min_weight_g": weight_g, "min_pieces": pieces}
    if level is None:
        level = ReorderLevel(product_id=product_id, kind=kind, location_id=location_id, updated_by_id=actor.user_id,
                             **values)
        session.add(level)
        session.flush()
        audit.record(session, actor_id=actor.user_id, action="set reorder level", entity="reorder_level",
                     entity_id=level.id, new={"product_id": product_id, "kind": kind, "location_id": location_id,
                                              **values})
        return level
    old, new = audit.changed_fields(level, values)
    if new:
        level.updated_by_id = actor.user_id
        audit.record(session, actor_id=actor.user_id, action="change reorder level", entity="reorder_level",
                     entity_id=level.id, old=old, new=new)
    session.flush()
    return level


def remove_level(session: Session, *, actor: Actor, level_id: int) -> None:
    """Remove a reorder level (admins and managers, for a place they may set it); audited."""
    actor.require(Right.EDIT_INVENTORY)
    level = session.get(ReorderLevel, level_id)
    if level is None or not (level.location_id is None or actor.can_see_location(level.location_id)):
        raise NotFound("No such reorder level.")
    _check_place(actor, level.location_id)
    audit.record(session, actor_id=actor.user_id, action="remove reorder level", entity="reorder_level",
                 entity_id=level.id, old={"product_id": level.product_id, "kind": level.kind,
                                          "location_id": level.location_id, "min_weight_g": level.min_weight_g,
                                          "min_pieces": level.min_pieces})
    session.delete(level)
    session.flush()
