"""What the stock is worth (issue 19 item 4; definitions also in docs/costing.md, "Value held").

- **Value at cost**: each cost component of a held item at the price version in force when the item was created
  (its receipt into stock); an item older than its profile's first price takes that first price. A manual
  component counts its amount. This is what the stock cost when it came in, whatever the rates did since.
- **Value at current rates**: the same components re-valued at the versions in force at the moment asked (now,
  or the end of the valuation day). Manual amounts have no rate and count as they are.
- **Metal value at current rates**: the part of the value at current rates that comes from Metal components
  linked to a rate profile (a manual metal amount has no rate to follow, so it is not in this figure).
- A percent (overhead) component costs its percent of the item's other components in its currency: at cost
  with its own price at the item's creation on the other components at cost, at current rates with today's.
- Per currency, never converted. A component whose profile had no price at the moment asked counts as
  "unpriced" (nothing added).

Held stock: now, the held items (`IN_STOCK`) that the filters match; as of a past day (the valuation report,
lib.reports.valuation), each costed item's state at the end of that day from the ledger. Components describe the
whole item record (docs/costing.md), so a held item counts all its components.

Aggregated in SQL: the value at cost is linear in the components, so one statement sums quantity × the price in
force at the item's creation per group (product, kind, location when asked), profile, unit and currency, and the
quantities for today's prices (read once per profile, not per component); Python multiplies by the unit's factor
and rounds each group half-up to cents once (a total can differ from the sum of the item pages' per-component
costs by a few cents). The price at the item's creation is stored on each component (`cost_price`, kept by
lib.costing.cost_prices); the statement's shape differs per database (`_statement`, `_sqlite_statement`: where
the time went is in docs/costing.md, "Speed"). Only admins and managers (`Right.VIEW_RATES`) receive a value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, Numeric, Select, and_, cast, func, literal, null, or_, select, text, union_all
from sqlalchemy.orm import Session, aliased

from lib.access import Actor, Right
from lib.costing.components import basis_quantity, money
from lib.costing.rates import versions_as_of
from lib.enums import ComponentType, RateBasis
from lib.inventory.query import ItemFilters, items_statement
from lib.models import CostComponent, InventoryItem, RateProfile, RateVersion, utcnow

ZERO = Decimal(0)
_QUANTITY = Decimal("0.00000001")  # sums of quantity × price (× percent) as the database returns them
FACTOR_SCALE = Decimal(1_000_000)


@dataclass
class Value:
    """Value of some stock in one currency."""

    currency: str
    at_cost: Decimal = ZERO
    at_current_rates: Decimal = ZERO
    metal_at_current_rates: Decimal = ZERO
    unpriced_at_cost: int = 0  # components whose profile had no price at all
    unpriced_now: int = 0  # components whose profile had no price at the moment asked


def money_text(values: list[Value], attribute: str) -> str:
    """ "USD 1,234.56" (one currency), "USD 10.00 + EUR 5.00" (several), "—" (no value)."""
    return " + ".join(f"{v.currency} {getattr(v, attribute):,.2f}" for v in values) or "—"


@dataclass(frozen=True)
class ValueHeld:
    """The value of held stock, per currency (Home, Inventory totals, the Product Details card)."""

    as_of: datetime
    values: tuple[Value, ...] = ()

    @property
    def at_cost_text(self) -> str:
        return money_text(list(self.values), "at_cost")

    @property
    def at_current_rates_text(self) -> str:
        return money_text(list(self.values), "at_current_rates")

    @property
    def metal_text(self) -> str:
        return money_text(list(self.values), "metal_at_current_rates")

    @property
    def unpriced(self) -> int:
        return sum(v.unpriced_now for v in self.values)


# ---------------------------------------------------------------------------
# The SQL: components of held items, summed per group, profile, unit and price at the item's creation
# ---------------------------------------------------------------------------

def _lines(held, keys: tuple[str, ...]):
    """One row per component of a held item: its group keys, profile, unit, quantity, currency, price at cost
    (a CTE: the percent rows read it more than once)."""
    stmt = (select(*(held.c[key] for key in keys), CostComponent.item_id, CostComponent.profile_id,
                   CostComponent.component_type, CostComponent.unit, CostComponent.quantity,
                   CostComponent.manual_amount,
                   func.coalesce(RateProfile.currency, CostComponent.manual_currency).label("currency"),
                   RateProfile.basis.label("basis"), CostComponent.cost_price)
            .join(held, held.c.item_id == CostComponent.item_id)
            .outerjoin(RateProfile, RateProfile.id == CostComponent.profile_id))
    return stmt.cte("cost_lines").prefix_with("MATERIALIZED")


def _not_percent(lines):
    return or_(lines.c.basis.is_(None), lines.c.basis != RateBasis.PERCENT)


def _pairing(base, share, dialect: str):
    """A percent component's row (`share`) and the other rows of its item in its currency (`base`).

    SQLite has no hash join: it looped over the percent rows and looked each item's others up in an automatic
    index it built over all the other rows on every call. With the base side written as expressions (`+ 0`,
    `|| ''`) no index can be built on it, so SQLite scans the others once and looks the percent rows up in a
    small automatic index instead (a product's card: 40 ms against 50 ms with `_indexed_pairs`, whose
    seeks SQLite prepares with a Bloom filter built from every component)."""
    if dialect == "sqlite":
        return share.c.item_id == base.c.item_id + 0, share.c.currency == base.c.currency.concat("")
    return base.c.item_id == share.c.item_id, base.c.currency == share.c.currency


def _decimal(value) -> Decimal:
    if value is None:
        return ZERO
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(_QUANTITY)


@dataclass
class _Profiles:
    by_id: dict[int, RateProfile] = field(default_factory=dict)
    now: dict[int, Decimal] = field(default_factory=dict)  # price in force at the moment asked


def _factor(profile: RateProfile, unit: str) -> Decimal:
    """How many of the rate's basis units one `unit` is (1 ct on a per-gram rate: 0.2)."""
    return basis_quantity(FACTOR_SCALE, unit, profile.basis) / FACTOR_SCALE


def _statement(held, keys: tuple[str, ...], dialect: str, percent_ids: list[int]):
    """The one statement (PostgreSQL always; SQLite for a product's card and the report): the components of the
    held items with their prices at cost (a CTE), grouped per group keys, profile, type, unit and currency
    (tag 0), and the pairs (percent component, another of its item in its currency) grouped per the other's
    group and the percent profile (tag 1)."""
    lines = _lines(held, keys)
    group = (*(lines.c[key] for key in keys), lines.c.profile_id, lines.c.component_type, lines.c.unit,
             lines.c.currency)
    # (no weighted manual sum for tag 0, and the unpriced count is the group's count for a profile without any
    # price, in `_merged`: two sums fewer per row)
    stmt = (select(literal(0, Integer()), *group, literal(None, Integer()), func.sum(lines.c.quantity),
                   func.sum(lines.c.quantity * lines.c.cost_price), cast(null(), Numeric()),
                   func.sum(lines.c.manual_amount), func.count(), literal(0, Integer()))
            .where(_not_percent(lines)).group_by(*group))
    if not percent_ids:
        return stmt
    return union_all(stmt, _pairs(lines, keys, dialect))


def _pairs(lines, keys: tuple[str, ...], dialect: str):
    """Tag 1 rows from the component rows `lines`: each percent component with the other components of its
    item in its currency, grouped per the other's profile, type, unit, currency and the percent profile."""
    share, base = lines.alias("share"), lines.alias("base")
    pgroup = (*(share.c[key] for key in keys), base.c.profile_id, base.c.component_type, base.c.unit,
              base.c.currency, share.c.profile_id)
    return (select(literal(1, Integer()), *pgroup, func.sum(base.c.quantity),
                   func.sum(base.c.quantity * base.c.cost_price * share.c.cost_price),
                   func.sum(base.c.manual_amount * share.c.cost_price), func.sum(base.c.manual_amount), func.count(),
                   literal(0, Integer()))
            .join(base, and_(*_pairing(base, share, dialect), _not_percent(base)))
            .where(share.c.basis == RateBasis.PERCENT).group_by(*pgroup))


def _sqlite_statement(held: Select, keys: tuple[str, ...], percent_ids: list[int]):
    """SQLite's statement, the same rows as `_statement` (tag 0 with the manual currency in the currency column:
    a profile's currency is its profile's, set in Python).

    SQLite has no hash aggregate: grouping the materialised component rows sorted all of them (130,000 at the
    large demo: 70 ms of Home's 350 ms), and materialising them cost about 100 ms over reading them. So tag 0
    is grouped straight from the join, in the order of ix_cost_components_value_groups (profile, type, unit,
    manual currency, then item, quantity, amount: migration 0018), which SQLite reads in group order, without a
    sort, looking each row's item up by its key. Only the pairs keep the materialised rows, and only for the
    items that carry a percent component."""
    items = held.subquery("held")
    group = (*(items.c[key] for key in keys), CostComponent.profile_id, CostComponent.component_type,
             CostComponent.unit, CostComponent.manual_currency)
    stmt = (select(literal(0, Integer()), *group, literal(None, Integer()), func.sum(CostComponent.quantity),
                   func.sum(CostComponent.quantity * CostComponent.cost_price), cast(null(), Numeric()),
                   func.sum(CostComponent.manual_amount), func.count(), literal(0, Integer()))
            .select_from(CostComponent).join(items, items.c.item_id == CostComponent.item_id)
            .group_by(*group))
    if not percent_ids:
        return stmt
    stmt = stmt.where(or_(CostComponent.profile_id.is_(None), CostComponent.profile_id.not_in(percent_ids)))
    return union_all(stmt, _indexed_pairs(_held_shares(items, keys, percent_ids), keys, percent_ids))


def _held_shares(items, keys: tuple[str, ...], percent_ids: list[int]):
    """The held items' percent components with their group keys, price at cost and currency, found through the
    profile (`_indexed_pairs`' shares when no component rows are materialised: the Home card)."""
    share_rate = aliased(RateProfile, name="share_rate")
    return (select(*(items.c[key] for key in keys), CostComponent.item_id, CostComponent.profile_id,
                   CostComponent.cost_price, share_rate.currency)
            .join(items, items.c.item_id == CostComponent.item_id)
            .join(share_rate, share_rate.id == CostComponent.profile_id)
            .where(CostComponent.profile_id.in_(percent_ids))
            .cte("shares").prefix_with("MATERIALIZED"))


def _indexed_pairs(shares, keys: tuple[str, ...], percent_ids: list[int]):
    """`_pairs`' rows for SQLite: each percent component in `shares` (columns: the group keys, item_id,
    profile_id, cost_price, currency) with the other components of its item in its currency (`base`), each
    found by a seek in ix_cost_components_value_items. SQLite has no hash join: pairing two materialised row
    sets needs an automatic index that its planner builds only when its row estimates favour it (the Home card
    took 21 s once they did not); a seek by item is always on offer."""
    base, base_rate = aliased(CostComponent, name="base"), aliased(RateProfile, name="base_rate")
    currency = func.coalesce(base_rate.currency, base.manual_currency)
    group = (*(shares.c[key] for key in keys), base.profile_id, base.component_type, base.unit, currency,
             shares.c.profile_id)
    return (select(literal(1, Integer()), *group, func.sum(base.quantity),
                   func.sum(base.quantity * base.cost_price * shares.c.cost_price),
                   func.sum(base.manual_amount * shares.c.cost_price), func.sum(base.manual_amount), func.count(),
                   literal(0, Integer()))
            .select_from(shares)
            .join(base, and_(base.item_id == shares.c.item_id,
                             or_(base.profile_id.is_(None), base.profile_id.not_in(percent_ids))))
            .outerjoin(base_rate, base_rate.id == base.profile_id)
            .where(currency == shares.c.currency)
            .group_by(*group))


def _merged(found: list[tuple], profiles: _Profiles, priced_ids: list[int]) -> list[tuple]:
    """The rows with each tag-0 row's currency its profile's (SQLite's rows carry the manual currency), rows of
    the same group summed (exactly, before any rounding), and a profile without any price counted unpriced."""
    merged: dict[tuple, list] = {}
    rows = []
    priced = set(priced_ids)
    for row in found:
        if row[0] != 0:
            rows.append(row)
            continue
        tag, key, profile_id, component_type, unit, currency, share_id, quantity, priced_sum, _w, manual, count, \
            _u = row
        profile = profiles.by_id.get(profile_id)
        if profile is not None:
            currency = profile.currency
        unpriced = count if profile is not None and profile_id not in priced else 0
        group = (key, profile_id, component_type, unit, currency)
        if group not in merged:
            merged[group] = [tag, key, profile_id, component_type, unit, currency, share_id, quantity, priced_sum,
                             manual, manual, count, unpriced]
            continue
        total = merged[group]
        for index, value in ((7, quantity), (8, priced_sum), (9, manual), (10, manual)):
            if value is not None:
                total[index] = value if total[index] is None else _exact(total[index]) + _exact(value)
        total[11] += count
        total[12] += unpriced
    return [tuple(row) for row in merged.values()] + rows


def _exact(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def valued(session: Session, held: Select, keys: tuple[str, ...], moment: datetime, *,
           everything: bool = False) -> dict[tuple, Value]:
    """(group key values..., currency) -> Value of the components of the items `held` selects (columns
    `item_id` and the `keys`), current rates at `moment`. No actor: `held` is scoped.

    One statement, grouped per group keys, profile, type, unit and currency (tag 0), plus, when the workspace has
    percent rates, the other components of the items carrying one, per percent profile (tag 1, their base).
    The value at cost is linear in the components, so SQL sums quantity × price at cost (× the percent at cost
    for a base); Python multiplies by the unit's factor and rounds each group once. Current rates: Σ quantity
    × today's price.

    `everything`: `held` is (nearly) every costed item (Home, Inventory): on SQLite the components are then read
    in the order of ix_cost_components_value_groups (`_sqlite_statement`). A product's card and the report
    start from their items instead (`_statement`: reading every component to keep a product's would cost more)."""
    dialect = session.get_bind().dialect.name
    profiles = _Profiles()
    priced_ids, percent_ids = [], []
    for profile, priced in session.execute(select(RateProfile, select(RateVersion.id).where(
            RateVersion.profile_id == RateProfile.id).exists()).order_by(RateProfile.id)):
        profiles.by_id[profile.id] = profile
        if priced:
            priced_ids.append(profile.id)
        if profile.basis is RateBasis.PERCENT:
            percent_ids.append(profile.id)
    n = len(keys)
    if dialect == "sqlite" and everything:
        stmt = _sqlite_statement(held, keys, percent_ids)
    else:
        stmt = _statement(held.cte("held"), keys, dialect, percent_ids)
    if dialect == "postgresql":
        # The planner's estimate for this one statement trips JIT compilation (about 130 ms at the large demo,
        # more than it saves); off for this transaction only.
        session.execute(text("SET LOCAL jit = off"))
    found = [(row[0], tuple(row[1:n + 1]), *row[n + 1:]) for row in session.execute(stmt)]
    ids = {row[2] for row in found if row[2] is not None} | {row[6] for row in found if row[6] is not None}
    if ids:
        profiles.now = {pid: v.price for pid, v in versions_as_of(session, ids, moment).items()}
    values: dict[tuple, Value] = {}
    for (tag, key, profile_id, component_type, unit, currency, share_id, quantity, priced, weighted_manual,
         manual, count, unpriced_count) in _merged(found, profiles, priced_ids):
        target = values.setdefault((*key, currency), Value(currency))
        profile = profiles.by_id.get(profile_id)
        if tag == 0:
            target.unpriced_at_cost += unpriced_count
            if profile is None:  # manual amounts: as typed at both moments
                target.at_cost += money(_decimal(manual))
                target.at_current_rates += money(_decimal(manual))
                continue
            target.at_cost += money(_decimal(priced) * _factor(profile, unit))
            price = profiles.now.get(profile_id)
            if price is None:
                target.unpriced_now += count
                continue
            now = money(basis_quantity(_decimal(quantity), unit, profile.basis) * price)
            target.at_current_rates += now
            if component_type is ComponentType.METAL:
                target.metal_at_current_rates += now
            continue
        # tag 1: the base of a percent profile: percent at cost × base at cost, today's × today's
        if profile is None:
            target.at_cost += money(_decimal(weighted_manual) / 100)
            base_now = _decimal(manual)
        else:
            target.at_cost += money(_decimal(priced) * _factor(profile, unit) / 100)
            price = profiles.now.get(profile_id)
            base_now = basis_quantity(_decimal(quantity), unit, profile.basis) * price if price is not None else ZERO
        share_now = profiles.now.get(share_id)
        if share_now is not None:
            target.at_current_rates += money(base_now * share_now / 100)
    return values


# ---------------------------------------------------------------------------
# Now: the held items matching the item filters (Home, Inventory totals, Product Details)
# ---------------------------------------------------------------------------

def _costed_ids(filters: ItemFilters, dialect: str):
    """Ids of the items that carry cost components, as a subquery for `InventoryItem.id IN (...)`, or None when
    the plain join to the components is faster.

    SQLite with a product filter (the Product Details card): the candidates are first read from indexes alone:
    the product's items from ix_items_product_kind_location (kind too when the switch is set) that have a row in
    ix_cost_components_item, materialised, so only those items are read from the table for the held / scope /
    filter checks. Without it the planner drove the card from every component's item and then read each item
    (at the large demo with components on 1 in 3 held items, 19,578 held items of the largest product and 14,635
    components: the held-items part was 20 ms of the card's ~84 ms on SQLite; 66 ms this way, bench_valuation).
    With few components (1 in 50 held items) the plain plan is a little faster (12 ms against 14 ms), both far
    inside the target. Home and Inventory (no product filter) keep the plain subquery: there the index scan would
    be the whole table. SQLite without a product filter: None (Home and Inventory read every component in the
    order of ix_cost_components_value_groups and look its item up, `_sqlite_statement`; the subquery made SQLite
    start from the 58,000 costed items instead and sort their components).
    PostgreSQL with a product filter: None. The subquery became a hashed semi-join over every component's item id
    (130,000 at the large demo) before the product's items were joined to their components anyway: 51 against
    63 ms for the card (the index-only candidates were slower still, 94 ms: components written since the last
    vacuum are read from the table). Without a product filter PostgreSQL keeps the semi-join (181 against 226 ms
    for Home: it narrows 173,000 held items to the 58,000 costed ones before the join).
    """
    if filters.product_ids and dialect == "postgresql":
        return None
    if not filters.product_ids and dialect == "sqlite":
        return None
    if not filters.product_ids or dialect != "sqlite":
        return select(CostComponent.item_id)
    candidates = select(InventoryItem.id).where(InventoryItem.product_id.in_(filters.product_ids))
    if filters.kinds:
        candidates = candidates.where(InventoryItem.kind.in_(filters.kinds))
    costed = (candidates.where(select(CostComponent.item_id).where(CostComponent.item_id == InventoryItem.id)
                               .exists())
              .cte("costed_items").prefix_with("MATERIALIZED"))
    return select(costed.c.id)


def value_held(session: Session, *, actor: Actor, filters: ItemFilters = ItemFilters()) -> ValueHeld:
    """The value of the held items in the actor's locations that `filters` match, at cost and at current rates,
    per currency (admins and managers only)."""
    actor.require(Right.VIEW_RATES)
    moment = utcnow()
    held = items_statement(actor, filters.with_(in_stock_only=True), InventoryItem.id.label("item_id"))
    costed = _costed_ids(filters, session.get_bind().dialect.name)
    if costed is not None:
        held = held.where(InventoryItem.id.in_(costed))
    values = valued(session, held, (), moment, everything=not filters.product_ids)
    return ValueHeld(moment, tuple(sorted(values.values(), key=lambda v: v.currency)))
