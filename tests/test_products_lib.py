"""The product catalog: visibility by role and location, admin writes, catalogs, the image chooser."""
from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select

from lib.errors import NotFound, PermissionDenied, ValidationFailed
from lib.inventory.query import ItemFilters
from lib.models import AuditEntry, CatalogEntry, CatalogKind, Image, InventoryKind, Plan, Product, Role
from lib.products import catalog as products
from lib.products import catalog_entries as catalogs
from tests import factories as f


def _png(colour) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def make_image(session, colour=(200, 30, 30)) -> Image:
    data = _png(colour)
    image = Image(sha256=f.unique("sha"), mime_type="image/png", width=8, height=8, data=data, thumbnail=data)
    session.add(image)
    session.flush()
    return image


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def shop(session):
    """North and South; Ruby in both (plus a consumed item in North), Jade only in South, Opal with no stock."""
    f.make_workspace(session, default_weight_unit="g", plan=Plan.PROFESSIONAL, managers_all_locations=False)
    north, south = f.make_location(session), f.make_location(session)
    users = {"admin": f.make_user(session, Role.ADMIN), "manager": f.make_user(session, Role.MANAGER, north),
             "member": f.make_user(session, Role.MEMBER, north), "south": f.make_user(session, Role.MEMBER, south)}
    ruby, jade, opal = f.make_product(session), f.make_product(session), f.make_product(session)
    gone = f.make_product(session)
    items = {
        "ruby_n": f.make_item(session, ruby, north, quantity=2, weight="10", unit="ct"),
        "ruby_s": f.make_item(session, ruby, south, quantity=1, weight="1.5", unit="g"),
        "jade_s": f.make_item(session, jade, south, quantity=1, weight="7", unit="g"),
    }
    empty = f.make_item(session, jade, north, quantity=0, weight="0.0001", unit="g")
    from lib import ledger
    from lib.models import MovementKind
    ledger.apply_change(session, item_id=empty.id, user_id=None, movement_kind=MovementKind.ISSUE,
                        weight_delta=Decimal("-0.0001"))
    items["jade_n_consumed"] = empty
    gone_id = gone.id
    session.delete(gone)
    session.flush()
    actors = {name: f.actor(session, user) for name, user in users.items()}
    return dict(north=north, south=south, ruby=ruby, jade=jade, opal=opal, gone_id=gone_id, items=items,
                actors=actors, users=users)


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "1.5", "", None, "99999999999", "3; DROP TABLE products",
                                 "1e3", True, 0, -4, 2**40])
def test_malformed_ids_are_not_found(raw):
    with pytest.raises(NotFound):
        products.parse_product_id(raw)


def test_well_formed_ids_parse():
    assert products.parse_product_id(" 42 ") == 42
    assert products.parse_product_id(7) == 7


def test_unknown_and_deleted_products_are_not_found(session, shop):
    admin = shop["actors"]["admin"]
    for product_id in (shop["gone_id"], 987654321):
        with pytest.raises(NotFound) as raised:
            products.get_product_in_scope(session, actor=admin, product_id=product_id)
        assert str(raised.value) == products.NOT_FOUND


def test_visibility_by_role(session, shop):
    member, south, admin = shop["actors"]["member"], shop["actors"]["south"], shop["actors"]["admin"]
    # Opal has no stock anywhere: admins see it, nobody else.
    assert products.get_product_in_scope(session, actor=admin, product_id=shop["opal"].id).id == shop["opal"].id
    with pytest.raises(NotFound):
        products.get_product_in_scope(session, actor=member, product_id=shop["opal"].id)
    # Jade's only North record is consumed: still a record in scope, so the member may open it.
    assert products.get_product_in_scope(session, actor=member, product_id=shop["jade"].id).id == shop["jade"].id
    assert products.get_product_in_scope(session, actor=south, product_id=str(shop["jade"].id)).id == shop["jade"].id


def test_member_with_no_inventory_in_their_location_gets_not_found(session, shop):
    lonely = f.make_location(session)
    stranger = f.actor(session, f.make_user(session, Role.MEMBER, lonely))
    with pytest.raises(NotFound):
        products.get_product_in_scope(session, actor=stranger, product_id=shop["ruby"].id)
    assert products.list_products(session, actor=stranger) == []


def _listing(session, actor, search=""):
    return {row.name: (row.items, row.weight) for row in products.list_products(session, actor=actor, search=search)}


def test_list_products_counts_and_weights_in_scope(session, shop):
    names = {key: shop[key].name for key in ("ruby", "jade", "opal")}
    assert _listing(session, shop["actors"]["admin"]) == {
        names["ruby"]: (2, Decimal("3.5000")), names["jade"]: (1, Decimal("7.0000")), names["opal"]: (0, Decimal("0.0000"))}
    # The member sees Jade (a consumed record in North) with nothing held.
    assert _listing(session, shop["actors"]["member"]) == {
        names["ruby"]: (1, Decimal("2.0000")), names["jade"]: (0, Decimal("0.0000"))}
    assert _listing(session, shop["actors"]["south"]) == {
        names["ruby"]: (1, Decimal("1.5000")), names["jade"]: (1, Decimal("7.0000"))}
    f.make_workspace(session, default_weight_unit="ct")
    assert _listing(session, shop["actors"]["south"])[names["jade"]] == (1, Decimal("35.0000"))


def test_managers_across_locations_follow_setting_and_plan(session, shop):
    manager_user = shop["users"]["manager"]
    assert set(_listing(session, f.actor(session, manager_user))) == {shop["ruby"].name, shop["jade"].name}
    f.make_workspace(session, managers_all_locations=True)
    across = _listing(session, f.actor(session, manager_user))
    # Every stocked product in every location, but not the product with no stock at all.
    assert across == {shop["ruby"].name: (2, Decimal("3.5000")), shop["jade"].name: (1, Decimal("7.0000"))}
    f.make_workspace(session, plan=Plan.STARTER)
    assert _listing(session, f.actor(session, manager_user))[shop["ruby"].name] == (1, Decimal("2.0000"))


def test_search_matches_name_short_name_and_type_ignoring_case(session, shop):
    admin = shop["actors"]["admin"]
    ptype = f.make_catalog(session, CatalogKind.PRODUCT_TYPE, "Loose Gemstones")
    shop["opal"].product_type_id = ptype.id
    shop["ruby"].short_name = "RBY-X"
    session.flush()
    assert set(_listing(session, admin, "gemSTONES")) == {shop["opal"].name}
    assert set(_listing(session, admin, "rby-x")) == {shop["ruby"].name}
    assert set(_listing(session, admin, shop["jade"].name.upper())) == {shop["jade"].name}
    assert _listing(session, admin, "%") == {}


def test_add_product_validates_and_audits(session, shop):
    admin = shop["actors"]["admin"]
    ptype = f.make_catalog(session, CatalogKind.PRODUCT_TYPE)
    info = products.add_product(session, actor=admin, name="  <b>Star</b> Sapphire  ", short_name="ssa-1",
                                product_type_id=ptype.id)
    assert (info.name, info.short_name, info.product_type) == ("<b>Star</b> Sapphire", "SSA-1", ptype.name)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "product",
                                                     AuditEntry.entity_id == str(info.id))).one()
    assert entry.action == "add product" and json.loads(entry.new_values)["name"] == "<b>Star</b> Sapphire"

    before = (_count(session, Product), _count(session, AuditEntry))
    for kwargs, message in [
        (dict(name="<B>STAR</B> sapphire", short_name="OTHER"), "already exists"),
        (dict(name="Brand new", short_name="SSA-1"), "already used"),
        (dict(name="Brand new", short_name="ss a"), "letters A-Z"),
        (dict(name="", short_name="OK"), "Product name is required"),
        (dict(name="Two\nlines", short_name="OK"), "line break"),
        (dict(name="x" * 121, short_name="OK"), "at most 120"),
        (dict(name="Brand new", short_name="OK", product_type_id=shop["ruby"].id + 10_000), "product type"),
    ]:
        with pytest.raises(ValidationFailed, match=message):
            products.add_product(session, actor=admin, **kwargs)
    assert (_count(session, Product), _count(session, AuditEntry)) == before


def test_only_admins_write_products(session, shop):
    for who in ("manager", "member"):
        with pytest.raises(PermissionDenied):
            products.add_product(session, actor=shop["actors"][who], name="Nope", short_name="NOPE")
        with pytest.raises(PermissionDenied):
            catalogs.add_entry(session, actor=shop["actors"][who], catalog=CatalogKind.SHAPE, name="Nope")


def test_update_product_records_what_changed(session, shop):
    admin = shop["actors"]["admin"]
    opal = shop["opal"]
    info = products.update_product(session, actor=admin, product_id=opal.id, name="Fire Opal",
                                   short_name=opal.short_name, active=False)
    assert (info.name, info.active) == ("Fire Opal", False)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "update product")).one()
    assert json.loads(entry.new_values) == {"name": "Fire Opal", "active": False}
    assert set(json.loads(entry.old_values)) == {"name", "active"}
    # Saving unchanged values writes no audit entry; renaming to another product's name (other case) is refused.
    products.update_product(session, actor=admin, product_id=opal.id, name="Fire Opal", short_name=opal.short_name,
                            active=False)
    assert session.scalar(select(func.count()).where(AuditEntry.action == "update product")) == 1
    with pytest.raises(ValidationFailed, match="already exists"):
        products.update_product(session, actor=admin, product_id=opal.id, name=shop["ruby"].name.upper(),
                                short_name=opal.short_name)
    with pytest.raises(NotFound):
        products.update_product(session, actor=admin, product_id=shop["gone_id"], name="X", short_name="X")


def test_inactive_product_type_cannot_be_newly_chosen_but_stays(session, shop):
    admin = shop["actors"]["admin"]
    ptype = f.make_catalog(session, CatalogKind.PRODUCT_TYPE)
    products.update_product(session, actor=admin, product_id=shop["opal"].id, name=shop["opal"].name,
                            short_name=shop["opal"].short_name, product_type_id=ptype.id)
    catalogs.set_active(session, actor=admin, entry_id=ptype.id, active=False)
    products.update_product(session, actor=admin, product_id=shop["opal"].id, name="Opal kept",
                            short_name=shop["opal"].short_name, product_type_id=ptype.id)
    with pytest.raises(ValidationFailed, match="switched off"):
        products.add_product(session, actor=admin, name="New one", short_name="NEW1", product_type_id=ptype.id)


def test_catalog_entries_crud_and_toggles_are_audited(session, shop):
    admin = shop["actors"]["admin"]
    entry = catalogs.add_entry(session, actor=admin, catalog=CatalogKind.SIZE, name=" 6.5 mm ", group_name="Round")
    assert (entry.name, entry.group_name, entry.active) == ("6.5 mm", "Round", True)
    with pytest.raises(ValidationFailed, match="already has"):
        catalogs.add_entry(session, actor=admin, catalog=CatalogKind.SIZE, name="6.5 MM")
    # The same name in another catalog is fine.
    catalogs.add_entry(session, actor=admin, catalog=CatalogKind.QUALITY, name="6.5 mm")
    off = catalogs.set_active(session, actor=admin, entry_id=entry.id, active=False)
    assert off.active is False
    assert [e.id for e in catalogs.list_entries(session, catalog=CatalogKind.SIZE, include_inactive=False)
            if e.id == entry.id] == []
    renamed = catalogs.update_entry(session, actor=admin, entry_id=entry.id, name="6.6 mm", group_name="", active=True)
    assert (renamed.name, renamed.group_name, renamed.active) == ("6.6 mm", None, True)
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "catalog_entry",
                                                              AuditEntry.entity_id == str(entry.id))
                              .order_by(AuditEntry.id)).all()
    assert actions == ["add catalog entry", "update catalog entry", "update catalog entry"]
    with pytest.raises(NotFound):
        catalogs.update_entry(session, actor=admin, entry_id=10**8, name="x")
    assert session.get(CatalogEntry, entry.id).name_key == "6.6 mm"


def test_filter_options_only_offer_values_in_scope(session, shop):
    round_ = f.make_catalog(session, CatalogKind.SHAPE, f.unique("Round "))
    oval = f.make_catalog(session, CatalogKind.SHAPE, f.unique("Oval "))
    f.make_catalog(session, CatalogKind.SHAPE, f.unique("Unused "))
    f.make_item(session, shop["ruby"], shop["north"], kind=InventoryKind.ROUGH, shape_id=round_.id)
    f.make_item(session, shop["ruby"], shop["south"], kind=InventoryKind.FINISHED, shape_id=oval.id)
    admin_options = catalogs.product_filter_options(session, actor=shop["actors"]["admin"],
                                                    product_id=shop["ruby"].id)
    assert {name for _id, name in admin_options.for_field("shape_ids")} == {round_.name, oval.name}
    assert {i for i, _n in admin_options.for_field("location_ids")} == {shop["north"].id, shop["south"].id}
    member_options = catalogs.product_filter_options(session, actor=shop["actors"]["member"],
                                                     product_id=shop["ruby"].id)
    assert member_options.for_field("shape_ids") == ((round_.id, round_.name),)
    assert member_options.for_field("location_ids") == ((shop["north"].id, shop["north"].name),)
    rough_only = catalogs.product_filter_options(session, actor=shop["actors"]["admin"], product_id=shop["ruby"].id,
                                                 filters=ItemFilters(kinds=(InventoryKind.FINISHED,)))
    assert rough_only.for_field("shape_ids") == ((oval.id, oval.name),)


def test_gallery_and_choice_respect_scope(session, shop):
    red, blue, green = make_image(session, (200, 0, 0)), make_image(session, (0, 0, 200)), make_image(session, (0, 200, 0))
    items = shop["items"]
    items["ruby_n"].image_id = red.id
    items["ruby_s"].image_id = blue.id
    twin = f.make_item(session, shop["ruby"], shop["north"])
    twin.image_id = red.id  # the same picture on a newer item appears once, as the newer item
    items["jade_s"].image_id = green.id
    session.flush()
    admin, manager, member, south = (shop["actors"][k] for k in ("admin", "manager", "member", "south"))
    ruby = shop["ruby"].id

    assert [(g.item_id, g.image_id) for g in products.gallery_images(session, actor=admin, product_id=ruby)] == \
        [(twin.id, red.id), (items["ruby_s"].id, blue.id)]
    assert [g.image_id for g in products.gallery_images(session, actor=member, product_id=ruby)] == [red.id]

    # Nothing chosen: the newest in-scope picture stands in.
    assert products.product_image(session, actor=admin, product_id=ruby).item_id == twin.id
    assert products.product_image(session, actor=south, product_id=ruby).image_id == blue.id

    with pytest.raises(PermissionDenied):
        products.choose_image(session, actor=member, product_id=ruby, item_id=items["ruby_n"].id)
    with pytest.raises(NotFound):  # South's item is outside the North manager's scope
        products.choose_image(session, actor=manager, product_id=ruby, item_id=items["ruby_s"].id)
    with pytest.raises(ValidationFailed, match="another product"):
        products.choose_image(session, actor=admin, product_id=ruby, item_id=items["jade_s"].id)
    plain = f.make_item(session, shop["ruby"], shop["north"])
    with pytest.raises(ValidationFailed, match="no picture"):
        products.choose_image(session, actor=manager, product_id=ruby, item_id=plain.id)

    products.choose_image(session, actor=manager, product_id=ruby, item_id=items["ruby_n"].id)
    chosen = products.product_image(session, actor=member, product_id=ruby)
    assert (chosen.item_id, chosen.image_id, chosen.chosen) == (items["ruby_n"].id, red.id, True)
    assert chosen.data == red.data and chosen.mime_type == "image/png"
    # South cannot see North's chosen item: South's own picture stands in.
    stand_in = products.product_image(session, actor=south, product_id=ruby)
    assert (stand_in.image_id, stand_in.chosen) == (blue.id, False)
    assert products.product_thumbnails(session, actor=south, product_ids=[ruby]) == {ruby: blue.thumbnail}

    # The chosen item loses its picture: fall back again (for everyone).
    items["ruby_n"].image_id = None
    session.flush()
    assert products.product_image(session, actor=admin, product_id=ruby).item_id == twin.id
    twin.image_id = None
    session.flush()
    assert products.product_image(session, actor=member, product_id=ruby) is None
    assert products.product_thumbnails(session, actor=member, product_ids=[ruby]) == {}

    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "choose product image")).one()
    assert json.loads(entry.new_values) == {"image_item_id": items["ruby_n"].id}
    products.choose_image(session, actor=admin, product_id=ruby, item_id=None)
    assert session.get(Product, ruby).image_item_id is None


def test_member_cannot_choose_or_browse_a_product_they_do_not_see(session, shop):
    lonely = f.make_location(session)
    manager = f.actor(session, f.make_user(session, Role.MANAGER, lonely))
    with pytest.raises(NotFound):
        products.gallery_images(session, actor=manager, product_id=shop["ruby"].id)
    with pytest.raises(NotFound):
        products.choose_image(session, actor=manager, product_id=shop["ruby"].id, item_id=shop["items"]["ruby_n"].id)
