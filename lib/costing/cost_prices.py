"""The price each cost component's profile had when its item was created, stored on the component.

Value at cost (lib.costing.valuation) is Σ quantity × that price, so the value cards read one column instead
of looking every component's price up in its profile's history (at the large demo the lookup was a fifth of
the Product Details value card on PostgreSQL, and one index seek per component on SQLite).

The rule (docs/costing.md, "Value held"; `_in_force` in Python, `_rule` in SQL): the version of the
component's profile in force at the item's creation, i.e. the latest whose moment is not after it; an item
older than the profile's first price takes that first price; NULL for a manual amount, a job's own component
and a profile without any price.

Kept in the writer's transaction, like the ledger's summaries (hooks on every ORM flush):
- a component added, or its item or profile changed: its price is set before the flush writes the row
  (`_price_flushing_components`, from `prices_at_creation`), so the row is written once;
- a price recorded (a new RateVersion; versions are never edited or deleted): right after the flush, the
  components of its profile whose items were created at or after its moment get the rule again in one UPDATE
  (all of the profile's when it is the profile's new first price, which items older than it take too), in
  `_reprice_after_flush`. A morning price at "now" touches nothing; a price backdated a week reprices that
  week's items.
A component's price is read under a shared lock on its profile's row and a new price reprices under an
exclusive one (PostgreSQL; SQLite runs one writer at a time), so a component written while a backdated price is
recorded cannot keep the price from before it (`_lock_profiles`, a threaded test shows the race without it).
A writer that inserts with Core statements (the valuation benchmark's bulk components) sets `cost_price`
from `prices_at_creation` itself. `verify` lists every component whose stored price differs from the rule.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, event, func, inspect, select, update
from sqlalchemy.orm import Session

from lib.models import CostComponent, InventoryItem, RateProfile, RateVersion

_VERSIONS = "loupe_cost_price_versions"  # session.info: profile id -> earliest new price moment


def _rule():
    """SQL for the rule, correlated to the cost_components row being read or updated."""
    created = (select(InventoryItem.created_at).where(InventoryItem.id == CostComponent.item_id)
               .correlate(CostComponent).scalar_subquery())  # two levels down: SQLAlchemy correlates one only
    in_force = (select(RateVersion.price)
                .where(RateVersion.profile_id == CostComponent.profile_id, RateVersion.effective_at <= created)
                .order_by(RateVersion.effective_at.desc()).limit(1).scalar_subquery())
    first = (select(RateVersion.price).where(RateVersion.profile_id == CostComponent.profile_id)
             .order_by(RateVersion.effective_at).limit(1).scalar_subquery())
    return case((CostComponent.item_id.is_(None), None), else_=func.coalesce(in_force, first))


_UPDATE = update(CostComponent).values(cost_price=_rule(), updated_at=CostComponent.updated_at)
"""(updated_at kept: it says when a user last changed the component, and a price recorded is not that)"""


def prices_at_creation(session: Session, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Decimal | None]:
    """(item id, profile id) -> the rule's price for a component of that profile on that item, from the items
    and prices in the database (two queries, whatever the number of pairs)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    created = dict(session.execute(select(InventoryItem.id, InventoryItem.created_at).where(
        InventoryItem.id.in_(sorted({item_id for item_id, _ in pairs})))).all())
    history = _history(session, {profile_id for _, profile_id in pairs})
    return {(item_id, profile_id): _in_force(history[profile_id], created[item_id])
            if history.get(profile_id) and created.get(item_id) is not None else None
            for item_id, profile_id in pairs}


def _history(session: Session, profile_ids: Iterable[int] | None = None) -> dict[int, list[tuple[datetime, Decimal]]]:
    """Profile id -> its (moment, price) versions in time order (every profile's when `profile_ids` is None)."""
    stmt = (select(RateVersion.profile_id, RateVersion.effective_at, RateVersion.price)
            .order_by(RateVersion.profile_id, RateVersion.effective_at))
    if profile_ids is not None:
        stmt = stmt.where(RateVersion.profile_id.in_(sorted(profile_ids)))
    history: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for profile_id, moment, price in session.execute(stmt):
        history[profile_id].append((moment, price))
    return history


def _in_force(versions: list[tuple[datetime, Decimal]], moment: datetime) -> Decimal:
    """The price of the latest version not after `moment`, or the first one's for an earlier moment."""
    index = bisect_right(versions, moment, key=lambda version: version[0]) - 1
    return versions[max(index, 0)][1]


def _reprice_profile(session: Session, profile_id: int, since: datetime) -> None:
    """The rule again for `profile_id`'s components whose items were created at or after `since`, or for all
    of them when `since` is the profile's first price moment."""
    first = session.connection().execute(select(func.min(RateVersion.effective_at))
                                         .where(RateVersion.profile_id == profile_id)).scalar()
    stmt = _UPDATE.where(CostComponent.profile_id == profile_id)
    if first is not None and since > first:
        stmt = stmt.where(CostComponent.item_id.in_(select(InventoryItem.id)
                                                    .where(InventoryItem.created_at >= since)))
    session.connection().execute(stmt)
    for instance in list(session.identity_map.values()):  # loaded ones read their new price on next access
        if isinstance(instance, CostComponent) and instance.profile_id == profile_id:
            session.expire(instance, ["cost_price"])


@event.listens_for(Session, "before_flush")
def _price_flushing_components(session: Session, _context, _instances) -> None:
    """Set the price of the components this flush writes anew or moves, and note the prices it records."""
    components = [c for c in session.new if isinstance(c, CostComponent)]
    components += [c for c in session.dirty if isinstance(c, CostComponent) and _moved(c)]
    pairs = [(c.item_id, c.profile_id) for c in components if c.item_id is not None and c.profile_id is not None]
    if components:
        with session.no_autoflush:
            _lock_profiles(session, {profile_id for _item, profile_id in pairs}, shared=True)
            prices = prices_at_creation(session, pairs)
        for component in components:  # an unlinked pair (a manual amount, a job's component) has no price
            component.cost_price = prices.get((component.item_id, component.profile_id))
    for version in session.new:
        if isinstance(version, RateVersion):
            earliest = session.info.setdefault(_VERSIONS, {})
            if version.profile_id not in earliest or version.effective_at < earliest[version.profile_id]:
                earliest[version.profile_id] = version.effective_at


def _moved(component: CostComponent) -> bool:
    state = inspect(component)
    return any(state.attrs[name].history.has_changes() for name in ("item_id", "profile_id"))


@event.listens_for(Session, "after_flush_postexec")
def _reprice_after_flush(session: Session, _context) -> None:
    """The components the flush's new prices govern get the rule again, in the same transaction."""
    versions = session.info.pop(_VERSIONS, {})
    _lock_profiles(session, versions, shared=False)
    for profile_id in sorted(versions):
        _reprice_profile(session, profile_id, versions[profile_id])


def _lock_profiles(session: Session, profile_ids: Iterable[int], *, shared: bool) -> None:
    """Row locks on the profiles (PostgreSQL; SQLite runs one writer at a time), in id order.

    A component's price is read under a shared lock and a new price reprices under an exclusive one, so the two
    wait for each other: otherwise a repricing could miss a component written meanwhile by another transaction,
    which would keep the price it had read before the new one was committed."""
    ids = sorted(set(profile_ids))
    if ids:
        session.execute(select(RateProfile.id).where(RateProfile.id.in_(ids)).order_by(RateProfile.id)
                        .with_for_update(read=shared))


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous) -> None:
    session.info.pop(_VERSIONS, None)


@dataclass(frozen=True)
class CostPriceDiscrepancy:
    component_id: int
    stored: Decimal | None
    expected: Decimal | None


def verify(session: Session) -> list[CostPriceDiscrepancy]:
    """Every component whose stored price differs from the rule (empty when all agree), worked out in Python
    from the versions (`_rule`'s SQL, which reprices after a new price and filled migration 0019, is checked
    against it this way)."""
    history = _history(session)
    found = []
    for component_id, profile_id, stored, created in session.execute(
            select(CostComponent.id, CostComponent.profile_id, CostComponent.cost_price, InventoryItem.created_at)
            .outerjoin(InventoryItem, InventoryItem.id == CostComponent.item_id).order_by(CostComponent.id)):
        versions = history.get(profile_id)
        expected = _in_force(versions, created) if versions and created is not None else None
        if _exact(stored) != _exact(expected):
            found.append(CostPriceDiscrepancy(component_id, _exact(stored), _exact(expected)))
    return found


def _exact(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))
