"""Scope: a member never reads a row of another location; rights follow the role matrix."""
import pytest

from lib.access import Right, get_item_in_scope, visible_location_ids, visible_locations
from lib.errors import NotFound, PermissionDenied
from lib.inventory import overview as dashboard
from lib.inventory import query
from lib.inventory.query import ItemFilters, Page
from lib.models import Plan, Role
from tests import factories as f


@pytest.fixture
def world(session):
    """North and South each hold one ruby; a member and a manager work in North."""
    north, south = f.make_location(session, f.unique("North")), f.make_location(session, f.unique("South"))
    ruby = f.make_product(session)
    north_item = f.make_item(session, ruby, north, quantity=2, weight="3.0000", unit="ct", tag_id=f.unique("NORTH"))
    south_item = f.make_item(session, ruby, south, quantity=5, weight="7.0000", unit="g", tag_id=f.unique("SOUTH"))
    member = f.make_user(session, Role.MEMBER, north)
    manager = f.make_user(session, Role.MANAGER, north)
    admin = f.make_user(session, Role.ADMIN)
    return dict(north=north, south=south, north_item=north_item, south_item=south_item,
                member=f.actor(session, member), manager=f.actor(session, manager), admin=f.actor(session, admin),
                manager_user=manager)


def _reads(session, actor):
    """Every scoped read of the foundation, flattened to the tag IDs / location names it returns."""
    filters = ItemFilters()
    return {
        "items": [row["tag_id"] for row in query.page_rows(session, actor=actor, filters=filters, page=Page(size=500))],
        "export": [row["tag_id"] for row in query.iter_rows(session, actor=actor, filters=filters)],
        "activity": [a.tag_id for a in dashboard.recent_activity(session, actor=actor, limit=500)],
        "overview": [row.location for row in dashboard.stock_overview(session, actor=actor).by_location],
        "locations": [loc.name for loc in visible_locations(session, actor=actor)],
    }


def test_member_reads_only_their_location(session, world):
    reads = _reads(session, world["member"])
    south_tag, south_name = world["south_item"].tag_id, world["south"].name
    for name, values in reads.items():
        assert south_tag not in values and south_name not in values, name
    assert world["north_item"].tag_id in reads["items"]
    totals = query.totals(session, actor=world["member"], filters=ItemFilters(product_ids=(world["north_item"].product_id,)))
    assert (totals.items, totals.pieces) == (1, 2)


def test_admin_reads_everything(session, world):
    reads = _reads(session, world["admin"])
    assert {world["north_item"].tag_id, world["south_item"].tag_id} <= set(reads["items"])


def test_member_cannot_open_an_item_of_another_location(session, world):
    with pytest.raises(NotFound):
        get_item_in_scope(session, actor=world["member"], item_id=world["south_item"].id)
    assert get_item_in_scope(session, actor=world["member"], item_id=world["north_item"].id).id == world["north_item"].id


@pytest.mark.parametrize("plan, setting, sees_all", [
    (Plan.PROFESSIONAL, False, False), (Plan.PROFESSIONAL, True, True),
    (Plan.BUSINESS, True, True), (Plan.ENTERPRISE, True, True), (Plan.STARTER, True, False),
])
def test_manager_cross_location_needs_setting_and_eligible_plan(session, world, plan, setting, sees_all):
    workspace = f.make_workspace(session, plan=plan, managers_all_locations=setting)
    ids = visible_location_ids(world["manager_user"], workspace)
    assert (ids is None) is sees_all
    if not sees_all:
        assert ids == frozenset({world["north"].id})


def test_role_rights_follow_the_matrix(world):
    member, manager, admin = world["member"], world["manager"], world["admin"]
    assert member.can(Right.ADD_INVENTORY) and member.can(Right.ADJUST_INVENTORY)
    for right in (Right.ARCHIVE_INVENTORY, Right.TRANSFER_INVENTORY, Right.VIEW_ORDERS, Right.MANAGE_USERS,
                  Right.GENERATE_AI_SUMMARY, Right.DELETE_PRODUCTION):
        assert not member.can(right), right
    assert manager.can(Right.ARCHIVE_INVENTORY) and manager.can(Right.VIEW_ORDERS)
    assert not manager.can(Right.VIEW_CUSTOMER_DETAILS) and not manager.can(Right.MANAGE_SETTINGS)
    assert all(admin.can(right) for right in Right)
    with pytest.raises(PermissionDenied, match="Member"):
        member.require(Right.ARCHIVE_INVENTORY)
