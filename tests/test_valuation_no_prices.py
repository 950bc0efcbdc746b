"""A workspace whose rate profiles have no price yet (or that has none) still values its stock: manual
amounts count, priced components are "no price" (regression: on PostgreSQL the untyped NULL price made
`numeric * text` fail, so every Product Details page of such a workspace failed for admins and managers)."""
from __future__ import annotations

from decimal import Decimal

from lib.costing import components, valuation
from lib.costing.components import ComponentInput
from lib.inventory.query import ItemFilters
from lib.models import Role
from tests import factories as f


def test_value_held_without_any_priced_profile(session):
    f.make_workspace(session)
    north = f.make_location(session, "North")
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None))
    ruby = f.make_product(session, "Ruby", "RUB")
    item = f.make_item(session, ruby, north, quantity=2, weight="1", unit="g", tag_id="TRUB0001")
    empty = valuation.value_held(session, actor=admin, filters=ItemFilters(product_ids=(ruby.id,)))
    assert empty.values == ()
    components.add_component(session, actor=admin, item_id=item.id, data=ComponentInput(
        quantity="1", unit="g", component_type="metal", manual_amount="12.50", manual_currency="USD"))
    for filters in (ItemFilters(product_ids=(ruby.id,)), ItemFilters()):
        (value,) = valuation.value_held(session, actor=admin, filters=filters).values
        assert (value.currency, value.at_cost, value.at_current_rates) == ("USD", Decimal("12.50"), Decimal("12.50"))
