"""The valuation report (issue 19 item 4): stock held at the end of a day, valued at cost and at the rate versions
in force that day, by product, kind, location and currency. Definitions in lib.costing.valuation and
docs/costing.md ("Value held"); each costed item's state at the end of the day from its last movement before it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, or_, select

from sqlalchemy.orm import Session, aliased

from lib.access import Actor, Right
from lib.costing.valuation import valued
from lib.enums import InventoryKind
from lib.errors import ValidationFailed
from lib.inventory.query import start_of_day
from lib.models import CostComponent, InventoryItem, Location, Product, StockMovement, utcnow
from lib.reports.common import ReportFilters, check_location
from lib.reports.stock import _narrow  # the reports' one scope-and-filter step (private to lib.reports)


@dataclass(frozen=True)
class ValuationRow:
    product_id: int
    product: str
    kind: InventoryKind
    location_id: int
    location: str
    currency: str
    value_at_cost: Decimal
    value_at_current_rates: Decimal
    metal_value_at_current_rates: Decimal


# ---------------------------------------------------------------------------
# As of a day: the valuation report (ledger balances and the rate versions then in force)
# ---------------------------------------------------------------------------

def valuation_moment(as_of: date) -> tuple[datetime, datetime]:
    """(the end of `as_of` as the ledger counts it (exclusive), the moment its prices are read at)."""
    today = utcnow().date()
    if as_of > today:
        raise ValidationFailed(f"The valuation day {as_of.isoformat()} is after today ({today.isoformat()}): "
                               "stock can only be valued up to today.")
    cutoff = start_of_day(as_of + timedelta(days=1))
    return cutoff, (utcnow() if as_of == today else cutoff - timedelta(microseconds=1))


def _held_on(session: Session, actor: Actor, filters: ReportFilters, cutoff: datetime) -> Select:
    """Items with components that held stock at `cutoff`, with the product, kind and location they were at and
    their creation time (the viewer's locations and the filters).

    When no movement is recorded since `cutoff` (as of today), that is the items' own state (the ledger keeps
    their pieces, weight and location). Otherwise each costed item's last movement before `cutoff` (by time, then
    id: one seek in ix_moves_item_time) gives its state then: held when its pieces or weight after it are above
    zero, at its location (a whole transfer's transfer-in comes after its transfer-out)."""
    costed = select(CostComponent.item_id)
    everywhere = select(Location.id)  # lets the database use ix_moves_location_time for the time range
    moved_since = select(StockMovement.id).where(StockMovement.location_id.in_(everywhere),
                                                 StockMovement.moved_at >= cutoff).limit(1)
    if session.scalar(moved_since) is None:
        model = InventoryItem
        stmt = (select(InventoryItem.id.label("item_id"), InventoryItem.product_id, InventoryItem.kind,
                       InventoryItem.location_id)
                .where(InventoryItem.id.in_(costed), or_(InventoryItem.quantity > 0, InventoryItem.weight_g > 0)))
    else:
        model = StockMovement
        earlier = aliased(StockMovement, name="earlier")
        last = (select(earlier.id).where(earlier.item_id == InventoryItem.id, earlier.moved_at < cutoff)
                .order_by(earlier.moved_at.desc(), earlier.id.desc()).limit(1).scalar_subquery())
        stmt = (select(InventoryItem.id.label("item_id"), StockMovement.product_id, StockMovement.kind,
                       StockMovement.location_id)
                .select_from(InventoryItem).join(StockMovement, StockMovement.id == last)
                .where(InventoryItem.id.in_(costed),
                       or_(StockMovement.quantity_after > 0, StockMovement.weight_after > 0)))
    return _narrow(stmt, model, actor, filters)


def valuation(session: Session, *, actor: Actor, as_of: date | None = None,
              filters: ReportFilters = ReportFilters()) -> list[ValuationRow]:
    """Stock held at the end of `as_of` (today) valued at cost and at the rates then in force, by product, kind,
    location and currency (admins and managers, their locations)."""
    actor.require(Right.VIEW_RATES)
    check_location(actor, filters)
    cutoff, moment = valuation_moment(as_of or utcnow().date())
    keys = ("product_id", "kind", "location_id")
    values = valued(session, _held_on(session, actor, filters, cutoff), keys, moment)
    product_ids = {key[0] for key in values}
    products = dict(session.execute(select(Product.id, Product.name).where(Product.id.in_(product_ids))).all()) \
        if product_ids else {}
    locations = dict(session.execute(select(Location.id, Location.name)).all())
    rows = [ValuationRow(product_id=product_id, product=products.get(product_id, "?"), kind=InventoryKind(kind),
                         location_id=location_id, location=locations.get(location_id, "?"), currency=value.currency,
                         value_at_cost=value.at_cost, value_at_current_rates=value.at_current_rates,
                         metal_value_at_current_rates=value.metal_at_current_rates)
            for (product_id, kind, location_id, _currency), value in values.items()]
    kinds = list(InventoryKind)
    return sorted(rows, key=lambda r: (r.product.lower(), kinds.index(r.kind), r.location.lower(), r.currency))
