"""Cost components on inventory items, and what they add up to (reference 3.4).

A component is a quantity of something in an item — 3.2 g of 18K gold, 0.45 ct
of melee, 1 setting labour — linked to a rate profile, or carrying a manual
amount. The components describe the whole item record as held (all its pieces),
not one piece. Formulas (also in docs/costing.md):

- basis quantity: the quantity converted to the rate's basis unit. Weights go
  through grams with `lib.units` (any weight unit on a per-gram or per-carat
  rate); a per-piece rate takes pieces ("pcs"), a per-hour rate hours ("h") or
  minutes ("min", /60). A unit that does not fit the basis (grams on a
  per-piece rate) is refused.
- component cost = basis quantity × the rate's price in force at the moment
  asked ("as of"; now by default), rounded half-up to 2 decimals. A manual
  component's cost is its manual amount (the whole component, whatever the
  quantity).
- a percent rate (overhead) costs price % of the sum of the item's other,
  non-percent components in the same currency; its quantity is always 1.
- item cost = Σ component costs, per currency (a workspace normally prices in
  one; components in another currency are summed apart, never converted).
- metal content = Σ grams of the item's metal components; fine weight =
  Σ grams × the profile's purity (10 g of 18K at 0.750 is 7.5 g fine). A metal
  component without a purity (a manual one, or a profile without purity)
  counts in the grams, not in the fine weight.

Who: admins and managers see and change the components of items in their
locations (`Right.VIEW_RATES`, `Right.EDIT_COSTS`); members never see a cost.
Every add, edit and removal is audited on the item.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right, get_item_in_scope
from lib.enums import ComponentType, RateBasis
from lib.costing.rates import MAX_PRICE, parse_component_type, versions_as_of
from lib.errors import NotFound, ValidationFailed
from lib.models import CostComponent, RateProfile, Workspace, utcnow
from lib.text import check_currency, clean_text
from lib.units import GRAMS_QUANTUM, UNIT_SYMBOLS, from_grams, is_unit, parse_weight, plain_decimal, to_grams

MAX_DESCRIPTION = 120
MONEY_QUANTUM = Decimal("0.01")
PIECES, HOURS, MINUTES, PERCENT = "pcs", "h", "min", "%"
COUNT_UNITS = (PIECES, HOURS, MINUTES)


def units_for(basis: RateBasis | None) -> tuple[str, ...]:
    """The units a quantity may be typed in for a rate of `basis` (None: a manual component, any unit)."""
    if basis is None:
        return ("g", "ct", PIECES, HOURS, MINUTES, *(u for u in UNIT_SYMBOLS if u not in ("g", "ct")))
    if basis.is_weight:
        return (basis.value, *(u for u in UNIT_SYMBOLS if u != basis.value))
    return {RateBasis.PIECE: (PIECES,), RateBasis.HOUR: (HOURS, MINUTES), RateBasis.PERCENT: (PERCENT,)}[basis]


def basis_quantity(quantity: Decimal, unit: str, basis: RateBasis) -> Decimal:
    """`quantity` in `unit` expressed in the unit of `basis`; ValueError when the unit does not fit the basis."""
    unit = str(unit).strip()
    if basis.is_weight:
        if not is_unit(unit):
            raise ValueError(f"A {basis.label} rate needs a weight (g, ct, mg, ...), not {unit!r}")
        return from_grams(to_grams(quantity, unit), basis.value, places=GRAMS_QUANTUM)
    if basis is RateBasis.PIECE:
        if unit != PIECES:
            raise ValueError(f"A per-piece rate counts pieces (pcs); {unit!r} does not fit it"
                             + (": record the weight on a per-gram or per-carat rate" if is_unit(unit) else ""))
        return Decimal(quantity)
    if basis is RateBasis.HOUR:
        if unit == HOURS:
            return Decimal(quantity)
        if unit == MINUTES:
            return (Decimal(quantity) / 60).quantize(GRAMS_QUANTUM)
        raise ValueError(f"A per-hour rate counts hours (h) or minutes (min); {unit!r} does not fit it")
    if unit != PERCENT:
        raise ValueError(f"A percent rate applies to the item's other costs; {unit!r} does not fit it")
    return Decimal(1)


def money(value: Decimal) -> Decimal:
    """A cost rounded half-up to 2 decimals."""
    return Decimal(value).quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP)


def grams_of(quantity: Decimal, unit: str) -> Decimal | None:
    """The grams of a weight quantity (None when `unit` is not a weight)."""
    return to_grams(quantity, unit) if is_unit(unit) else None


# ---------------------------------------------------------------------------
# Costing (plain data: callers have checked the actor)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ComponentLine:
    id: int
    item_id: int
    component_type: ComponentType
    profile_id: int | None
    profile_name: str | None
    description: str
    quantity: Decimal
    unit: str
    basis: RateBasis | None
    basis_quantity: Decimal | None
    rate: Decimal | None  # the price in force at the moment asked
    rate_effective_at: datetime | None
    currency: str
    cost: Decimal | None  # None: the profile had no price at that moment
    grams: Decimal | None
    fine_grams: Decimal | None

    @property
    def manual(self) -> bool:
        return self.profile_id is None


@dataclass(frozen=True)
class ItemCost:
    item_id: int
    as_of: datetime
    lines: tuple[ComponentLine, ...] = ()
    totals: dict[str, Decimal] = field(default_factory=dict)  # currency -> Σ component costs
    metal_grams: Decimal = Decimal(0)
    fine_grams: Decimal = Decimal(0)
    unpriced: int = 0  # components whose profile had no price in force at `as_of`

    @property
    def total_text(self) -> str:
        """ "USD 1,234.56" (one currency), "USD 10.00 + EUR 5.00" (several), "—" (no component)."""
        return " + ".join(f"{currency} {amount:,.2f}" for currency, amount in sorted(self.totals.items())) or "—"


def costs_of_items(session: Session, item_ids: Iterable[int], as_of: datetime | None = None) -> dict[int, ItemCost]:
    """Item id -> its ItemCost at `as_of` (now), for items with or without components, in three queries.

    No actor: the caller has checked that its actor may see these items' costs.
    """
    ids = sorted(set(item_ids))
    moment = as_of or utcnow()
    if not ids:
        return {}
    rows = list(session.execute(
        select(CostComponent, RateProfile).outerjoin(RateProfile, RateProfile.id == CostComponent.profile_id)
        .where(CostComponent.item_id.in_(ids)).order_by(CostComponent.item_id, CostComponent.id)))
    versions = versions_as_of(session, {profile.id for _c, profile in rows if profile is not None}, moment)
    by_item: dict[int, list] = defaultdict(list)
    for component, profile in rows:
        by_item[component.item_id].append((component, profile))
    return {item_id: _item_cost(item_id, moment, by_item.get(item_id, []), versions) for item_id in ids}


def _item_cost(item_id: int, moment: datetime, rows: list, versions: dict) -> ItemCost:
    lines: list[ComponentLine] = []
    percent: list[tuple[CostComponent, RateProfile]] = []
    for component, profile in rows:
        if profile is not None and profile.basis is RateBasis.PERCENT:
            percent.append((component, profile))
            continue
        lines.append(_line(component, profile, versions))
    base: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.cost is not None:
            base[line.currency] += line.cost
    for component, profile in percent:
        version = versions.get(profile.id)
        cost = money(base.get(profile.currency, Decimal(0)) * version.price / 100) if version else None
        lines.append(ComponentLine(component.id, item_id, component.component_type, profile.id, profile.name,
                                   component.description, component.quantity, component.unit, profile.basis,
                                   Decimal(1), version.price if version else None,
                                   version.effective_at if version else None, profile.currency, cost, None, None))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    metal = fine = Decimal(0)
    for line in lines:
        if line.cost is not None:
            totals[line.currency] += line.cost
        if line.component_type is ComponentType.METAL and line.grams is not None:
            metal += line.grams
            fine += line.fine_grams or 0
    lines.sort(key=lambda line: line.id)
    return ItemCost(item_id, moment, tuple(lines), dict(totals), metal, fine,
                    sum(1 for line in lines if line.cost is None))


def _line(component: CostComponent, profile: RateProfile | None, versions: dict) -> ComponentLine:
    grams = grams_of(component.quantity, component.unit)
    if profile is None:
        return ComponentLine(component.id, component.item_id, component.component_type, None, None,
                             component.description, component.quantity, component.unit, None, None, None, None,
                             component.manual_currency or "", money(component.manual_amount or 0), grams, None)
    version = versions.get(profile.id)
    quantity = basis_quantity(component.quantity, component.unit, profile.basis)
    fine = (grams * profile.purity).quantize(GRAMS_QUANTUM) if grams is not None and profile.purity else None
    return ComponentLine(component.id, component.item_id, component.component_type, profile.id, profile.name,
                         component.description, component.quantity, component.unit, profile.basis, quantity,
                         version.price if version else None, version.effective_at if version else None,
                         profile.currency, money(quantity * version.price) if version else None, grams, fine)


def item_costs(session: Session, *, actor: Actor, item_id: int, as_of: datetime | None = None) -> ItemCost:
    """The cost components of one item in the actor's locations, valued at `as_of` (now)."""
    actor.require(Right.VIEW_RATES)
    get_item_in_scope(session, actor=actor, item_id=item_id)
    return costs_of_items(session, [item_id], as_of)[item_id]


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ComponentInput:
    """What the item's cost form sends: a profile and a quantity, or a manual amount. Values as typed."""

    quantity: object = "1"
    unit: str = "g"
    profile_id: int | None = None
    component_type: ComponentType | str | None = None  # manual components only (a profile brings its own)
    description: str = ""
    manual_amount: object = None
    manual_currency: str | None = None  # None: the workspace's default currency


def _checked(session: Session, data: ComponentInput, current_profile_id: int | None = None) -> dict:
    """The column values of a valid component; ValidationFailed listing every problem otherwise.

    An inactive profile is refused unless the component already links it (`current_profile_id`): editing an
    old component's quantity keeps its rate."""
    problems: list[str] = []

    def collect(function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ValueError as error:
            problems.append(str(error))
            return None

    description = collect(clean_text, data.description, "Description", MAX_DESCRIPTION, multiline=False)
    values: dict = {"description": description, "profile_id": None, "manual_amount": None, "manual_currency": None}
    unit = str(data.unit or "").strip()
    if data.profile_id is not None:
        profile = session.get(RateProfile, data.profile_id) if isinstance(data.profile_id, int) else None
        if profile is None:
            raise NotFound("No such rate profile.")
        if not profile.active and profile.id != current_profile_id:
            problems.append(f"The rate profile {profile.name} is inactive; choose an active one")
        if profile.basis is RateBasis.PERCENT:
            quantity, unit = Decimal(1), PERCENT
        else:
            quantity = collect(parse_weight, data.quantity, "Quantity")
            if quantity is not None:
                collect(basis_quantity, quantity, unit, profile.basis)
        values.update(profile_id=profile.id, component_type=profile.component_type)
    else:
        values["component_type"] = collect(parse_component_type, data.component_type or "")
        quantity = collect(parse_weight, data.quantity, "Quantity")
        if unit not in units_for(None):
            problems.append(f"Unit {unit!r} is not a weight unit, pcs, h or min")
        amount = collect(plain_decimal, data.manual_amount, "Amount", maximum=MAX_PRICE)
        if amount is not None and amount == 0:
            problems.append("Amount must be greater than zero")
        elif amount is not None and amount != amount.quantize(Decimal("0.0001")):
            problems.append("Amount may have at most 4 decimals")
        default = session.scalars(select(Workspace.default_currency)).first() or "USD"
        values.update(manual_amount=amount,
                      manual_currency=collect(check_currency, data.manual_currency or default))
    values.update(quantity=quantity, unit=unit)
    if problems:
        raise ValidationFailed.listing("The cost component was not saved.", problems)
    return values


def add_component(session: Session, *, actor: Actor, item_id: int, data: ComponentInput) -> CostComponent:
    """A new cost component on an item in the actor's locations; audited on the item."""
    actor.require(Right.EDIT_COSTS)
    item = get_item_in_scope(session, actor=actor, item_id=item_id)
    values = _checked(session, data)
    component = CostComponent(item_id=item.id, created_by_id=actor.user_id, **values)
    session.add(component)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="add cost component", entity="inventory_item",
                 entity_id=item.id, new={"component_id": component.id, **values})
    return component


def _component_in_scope(session: Session, actor: Actor, component_id) -> CostComponent:
    component = session.get(CostComponent, component_id) if isinstance(component_id, int) else None
    if component is None:
        raise NotFound("No such cost component in your locations.")
    try:
        get_item_in_scope(session, actor=actor, item_id=component.item_id)
    except NotFound:
        raise NotFound("No such cost component in your locations.") from None
    return component


def update_component(session: Session, *, actor: Actor, component_id: int, data: ComponentInput) -> CostComponent:
    """Change a cost component (its profile, quantity, unit, description or manual amount); audited."""
    actor.require(Right.EDIT_COSTS)
    component = _component_in_scope(session, actor, component_id)
    values = _checked(session, data, current_profile_id=component.profile_id)
    old, new = audit.changed_fields(component, values)
    if new:
        audit.record(session, actor_id=actor.user_id, action="change cost component", entity="inventory_item",
                     entity_id=component.item_id, old={"component_id": component.id, **old}, new=new)
    session.flush()
    return component


def remove_component(session: Session, *, actor: Actor, component_id: int) -> None:
    """Remove a cost component from its item; audited with what it was."""
    actor.require(Right.EDIT_COSTS)
    component = _component_in_scope(session, actor, component_id)
    old = {"component_id": component.id, "component_type": component.component_type,
           "profile_id": component.profile_id, "description": component.description, "quantity": component.quantity,
           "unit": component.unit, "manual_amount": component.manual_amount,
           "manual_currency": component.manual_currency}
    session.delete(component)
    audit.record(session, actor_id=actor.user_id, action="remove cost component", entity="inventory_item",
                 entity_id=component.item_id, old=old)
    session.flush()
