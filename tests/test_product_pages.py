"""AppTests of /products and /product?id=<id> for each role, bad links, freshness and plain-text rendering."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from lib import audit, db, ledger
from lib.access import actor_for_user
from lib.models import CatalogKind, InventoryItem, InventoryKind, Location, MovementKind, Product, User
from lib.workspace import settings as workspace
from tests import factories as f
from tests.apptest import point_app_at, signed_in, texts
from tests.scenarios import two_location_workshop
from tests.test_products_lib import make_image

NASTY = '<b>Bold</b> & <script>alert(1)</script> **stars** :red[x]'


@dataclass
class Shop:
    url: str
    ruby: int
    jade: int
    opal: int
    nasty: int
    north: int
    south: int
    oval: int
    pictured_item: int
    data_dir: Path | None = None


def _app(shop: Shop, username: str, page: str, query: dict | None = None):
    """An AppTest signed in as `username` on this shop's database (the app reads its URL from the
    environment, which another test's shop may have changed)."""
    point_app_at(shop.url, shop.data_dir)
    return signed_in(shop.url, username, page=page, query=query)


def build_shop(url: str) -> Shop:
    """two_location_workshop (Ruby: 6 ct = 1.2 g x3 in North, 1 g x2 in South; Jade 10 g in South), plus:
    a rough Oval Ruby of 5 g in North with a photo, Opal with no inventory at all, and a product whose
    name and notes are HTML/markdown in North."""
    workshop = two_location_workshop(url)
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        ruby = session.get(Product, workshop.product_id)
        north, south = session.get(Location, workshop.north_id), session.get(Location, workshop.south_id)
        oval = f.make_catalog(session, CatalogKind.SHAPE, "Oval")
        rough = f.make_item(session, ruby, north, quantity=1, weight="5", unit="g", kind=InventoryKind.ROUGH,
                            shape_id=oval.id, tag_id="TRUB0003")
        rough.image_id = make_image(session).id
        opal = f.make_product(session, "Opal", "OPA")
        nasty = f.make_product(session, NASTY, "NASTY")
        odd = f.make_item(session, nasty, north, quantity=1, weight="2", unit="g", tag_id="TNAS0001")
        odd.notes = '<img src=x onerror="alert(1)"> _under_'
        shop = Shop(url, ruby.id, workshop.south_only_product_id, opal.id, nasty.id, north.id, south.id, oval.id,
                    rough.id)
    engine.dispose()
    return shop


@pytest.fixture(scope="module")
def shop(databases, tmp_path_factory) -> Shop:
    url = databases.new("product_pages")
    built = build_shop(url)
    built.data_dir = tmp_path_factory.mktemp("product_pages")
    return built


@pytest.fixture
def own_shop(fresh_url, tmp_path) -> Shop:
    """A shop of the test's own, for tests that write."""
    built = build_shop(fresh_url)
    built.data_dir = tmp_path
    return built


def _open(shop: Shop, username: str, product_id, filters_open: bool = False, gallery_open: bool = False):
    """Open the page; the filters and gallery panels render their contents only when open."""
    at = _app(shop, username, "product.py", {"id": str(product_id)})
    if filters_open:
        at.session_state["product_filters_panel"] = True
    if gallery_open:
        at.session_state["product_gallery_panel"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _tags(at) -> list[str]:
    return list(at.dataframe[0].value["Tag ID"]) if at.dataframe else []


def _header_image(at) -> str:
    return at.image[0].proto.imgs[0].alt


def _header(at) -> str:
    return "\n".join(h.proto.body for h in at.html)


def test_admin_sees_all_locations(shop):
    at = _open(shop, "boss", shop.ruby, filters_open=True, gallery_open=True)
    assert _metrics(at) == {"Items held": "3", "Weight held": "7.200 g", "Average per item": "2.400 g",
                            "30-day change": "+7.200 g", "In production": "0.000 g"}
    assert [m.delta for m in at.metric][3] == "—"  # nothing was held 30 days ago
    assert sorted(_tags(at)) == ["TRUB0001", "TRUB0002", "TRUB0003"]
    assert "Ruby" in _header(at) and "RUB" in _header(at)
    assert at.get_by_key("product_image_pick_%d" % shop.pictured_item) is not None
    link = [p for p in at.page_link if p.proto.label == "Open in Inventory"][0]
    assert parse_qs(link.proto.query_string) == {"product": [str(shop.ruby)]}  # held stock is the default
    at.segmented_control(key="product_kind").set_value("rough").run()
    at.multiselect(key="product_filter_shape_ids").set_value([shop.oval]).run()
    link = [p for p in at.page_link if p.proto.label == "Open in Inventory"][0]
    assert parse_qs(link.proto.query_string) == {"product": [str(shop.ruby)], "kind": ["rough"],
                                                 "shape": [str(shop.oval)]}


def test_kind_switch_and_filters_rescope_everything(shop):
    at = _open(shop, "boss", shop.ruby, filters_open=True)
    at.segmented_control(key="product_kind").set_value("rough").run()
    assert _metrics(at)["Items held"] == "1" and _metrics(at)["Weight held"] == "5.000 g"
    assert _tags(at) == ["TRUB0003"]
    at.segmented_control(key="product_kind").set_value("finished").run()
    assert _metrics(at)["Weight held"] == "2.200 g" and sorted(_tags(at)) == ["TRUB0001", "TRUB0002"]
    at.multiselect(key="product_filter_location_ids").set_value([shop.south]).run()
    assert _metrics(at) == {"Items held": "1", "Weight held": "1.000 g", "Average per item": "1.000 g",
                            "30-day change": "+1.000 g", "In production": "0.000 g"}
    assert _tags(at) == ["TRUB0002"]
    at.segmented_control(key="product_kind").set_value("all").run()
    at.multiselect(key="product_filter_location_ids").set_value([]).run()
    at.multiselect(key="product_filter_shape_ids").set_value([shop.oval]).run()
    assert _tags(at) == ["TRUB0003"] and _metrics(at)["Items held"] == "1"
    at.multiselect(key="product_filter_shape_ids").set_value([]).run()
    at.text_input(key="product_search").set_value("trub0002").run()
    assert _tags(at) == ["TRUB0002"]
    at.segmented_control(key="product_kind").set_value("materials").run()
    assert _metrics(at)["Average per item"] == "—"
    assert any("No inventory records" in i.value for i in at.info)
    assert any("No stock movements" in i.value for i in at.info)


def test_member_sees_only_their_location_and_cannot_choose(shop):
    at = _open(shop, "mo", shop.ruby, filters_open=True, gallery_open=True)
    assert _metrics(at) == {"Items held": "2", "Weight held": "6.200 g", "Average per item": "3.100 g",
                            "30-day change": "+6.200 g", "In production": "0.000 g"}
    assert sorted(_tags(at)) == ["TRUB0001", "TRUB0003"]
    assert not [b for b in at.button if b.key and b.key.startswith("product_image_pick_")]
    assert "Choose the product image" not in [e.label for e in at.expander]
    options = at.multiselect(key="product_filter_location_ids").options
    assert options == ["North"]


def test_manager_sees_own_location_and_may_choose(shop):
    at = _open(shop, "nina", shop.ruby, gallery_open=True)
    assert _metrics(at)["Items held"] == "2"
    assert at.button(key="product_image_pick_%d" % shop.pictured_item).label == "Use this"


def test_south_member_sees_south_only(shop):
    at = _open(shop, "sam", shop.ruby)
    assert _metrics(at)["Items held"] == "1" and _tags(at) == ["TRUB0002"]
    jade = _open(shop, "sam", shop.jade)
    assert _metrics(jade)["Weight held"] == "10.000 g"


@pytest.mark.parametrize("username, product", [
    ("mo", "jade"),             # exists, but no inventory in North
    ("mo", "opal"),             # no inventory anywhere
    ("boss", "999999"),         # unknown
    ("boss", "abc"),            # malformed
    ("boss", "-3"),
    ("boss", ""),
    ("boss", "1 OR 1=1"),
])
def test_not_found_shows_a_clear_message_and_no_data(shop, username, product):
    product_id = getattr(shop, product) if product in ("jade", "opal") else product
    at = _open(shop, username, product_id)
    assert "Product not found" in texts(at)
    assert not at.metric and not at.dataframe and not at.html
    assert not at.get("arrow_vega_lite_chart")


def test_missing_id_is_not_found(shop):
    at = _app(shop, "boss", "product.py")
    at.run()
    assert "Product not found" in texts(at) and not at.metric


def test_product_without_inventory_is_an_empty_friendly_page_for_admins(shop):
    at = _open(shop, "boss", shop.opal, gallery_open=True)
    assert _metrics(at) == {"Items held": "0", "Weight held": "0.000 g", "Average per item": "—",
                            "30-day change": "+0.000 g", "In production": "0.000 g"}
    assert not at.dataframe and not at.exception
    info = " ".join(i.value for i in at.info)
    assert "No stock movements" in info and "No inventory records" in info and "has a photo" in info
    assert all(b.disabled for b in at.download_button)


def test_html_and_markdown_in_names_and_notes_stay_plain_text(shop):
    at = _open(shop, "boss", shop.nasty)
    header = _header(at)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in header and "<script>" not in header
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp;" in header and "**stars** :red[x]" in header
    assert at.dataframe[0].value["Notes"][0] == '<img src=x onerror="alert(1)"> _under_'
    # No markdown element ever carries the user's text.
    assert not any("stars" in m.value or "onerror" in m.value for m in [*at.markdown, *at.caption, *at.title])


def test_products_page_for_each_role(shop):
    def names(username, search=None):
        at = _app(shop, username, "products.py")
        at.run()
        if search is not None:
            at.text_input(key="products_search").set_value(search).run()
        assert not at.exception
        if not at.dataframe:
            return {}
        frame = at.dataframe[0].value
        return dict(zip(frame["Product"], zip(frame["Items"], frame[[c for c in frame.columns
                                                                      if c.startswith("Total weight")][0]])))

    admin = names("boss")
    assert admin["Ruby"] == (3, pytest.approx(7.2)) and admin["Opal"] == (0, 0) and NASTY in admin
    assert set(admin) == {"Ruby", "Jade", "Opal", NASTY}
    assert names("mo") == {"Ruby": (2, pytest.approx(6.2)), NASTY: (1, pytest.approx(2.0))}
    assert names("nina") == names("mo")
    assert names("sam") == {"Ruby": (1, pytest.approx(1.0)), "Jade": (1, pytest.approx(10.0))}
    assert set(names("boss", "RUB")) == {"Ruby"}
    assert names("mo", "jade") == {}


def test_manager_picks_the_image_and_members_see_it(own_shop):
    at = _open(own_shop, "nina", own_shop.ruby, gallery_open=True)
    at.button(key="product_image_pick_%d" % own_shop.pictured_item).click().run()
    assert not at.exception and not at.error
    engine = db.make_engine(own_shop.url)
    with db.session_scope(engine) as session:
        assert session.get(Product, own_shop.ruby).image_item_id == own_shop.pictured_item
    engine.dispose()
    assert at.button(key="product_image_pick_%d" % own_shop.pictured_item).label == "Chosen"
    member = _open(own_shop, "mo", own_shop.ruby)
    assert _header_image(member) == "Product image (photo of TRUB0003)"
    # South cannot see the chosen North record: it gets the placeholder (no South photo exists).
    south = _open(own_shop, "sam", own_shop.ruby)
    assert _header_image(south) == "No product image yet"


def test_an_adjustment_and_a_unit_change_show_on_the_next_rerun(own_shop):
    at = _open(own_shop, "boss", own_shop.ruby)
    assert _metrics(at)["Weight held"] == "7.200 g"
    engine = db.make_engine(own_shop.url)
    with db.session_scope(engine, write=True) as session:
        item = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == "TRUB0003")).one()
        ledger.apply_change(session, item_id=item.id, user_id=None, movement_kind=MovementKind.ADJUSTMENT,
                            weight_delta=Decimal("-1.5"))
    at.run()
    assert _metrics(at)["Weight held"] == "5.700 g" and _metrics(at)["30-day change"] == "+5.700 g"
    with db.session_scope(engine, write=True) as session:
        boss = session.scalars(select(User).where(User.username == "boss")).one()
        workspace.update_settings(session, actor=actor_for_user(session, boss.id), default_weight_unit="ct")
    engine.dispose()
    at.run()
    assert _metrics(at)["Weight held"] == "28.500 ct" and _metrics(at)["Average per item"] == "9.500 ct"
    assert any(c.startswith("Weight (ct)") for c in at.dataframe[0].value.columns)


def _settings(shop: Shop):
    at = _app(shop, "boss", "settings.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _submit(at, label: str):
    [button for button in at.button if button.label == label][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _frame_with(at, column: str, not_column: str | None = None):
    return [d.value for d in at.dataframe if column in d.value.columns and not_column not in d.value.columns][0]


def _count_products(url: str) -> int:
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        count = len(session.scalars(select(Product.id)).all())
    engine.dispose()
    return count


def test_settings_products_tab_adds_edits_and_refuses_duplicates(own_shop):
    at = _settings(own_shop)
    before = _count_products(own_shop.url)
    at.text_input(key="prod_new_name").input("RUBY")
    at.text_input(key="prod_new_short").input("RB2")
    _submit(at, "Add product")
    assert any("already exists" in e.value for e in at.error)
    assert _count_products(own_shop.url) == before

    at.text_input(key="prod_new_name").input("Star <i>Sapphire</i>")
    _submit(at, "Add product")
    assert not at.error and any("Product added" in s.value for s in at.success)
    assert _count_products(own_shop.url) == before + 1
    assert "Star <i>Sapphire</i>" in list(_frame_with(at, "Product type")["Name"])

    at.selectbox(key="catalog_kind").set_value(CatalogKind.SHAPE).run()
    at.text_input(key="catalog_new_name_shape").input("oval")
    _submit(at, "Add entry")
    assert any("already has" in e.value for e in at.error)
    at.text_input(key="catalog_new_name_shape").input("Pear")
    _submit(at, "Add entry")
    assert "Pear" in list(_frame_with(at, "Active", not_column="Short name")["Name"])
    at.selectbox(key="catalog_edit_pick_shape").select_index(
        list(at.selectbox(key="catalog_edit_pick_shape").options).index("Pear")).run()
    pear_key = [t.key for t in at.toggle if t.key and t.key.startswith("catalog_edit_active_")][0]
    at.toggle(key=pear_key).set_value(False)
    _submit(at, "Save entry")
    frame = _frame_with(at, "Active", not_column="Short name")
    assert dict(zip(frame["Name"], frame["Active"]))["Pear"] == False  # noqa: E712 (numpy bool)

    at.selectbox(key="prod_unit").set_value("ct")
    _submit(at, "Save unit")
    engine = db.make_engine(own_shop.url)
    with db.session_scope(engine) as session:
        assert workspace.get_workspace(session).default_weight_unit == "ct"
        actions = [row["action"] for row in audit.recent_entries(session)]
    engine.dispose()
    assert {"add product", "add catalog entry", "update catalog entry", "update settings"} <= set(actions)


def test_filters_keep_applying_while_the_panel_is_closed_and_clear(shop):
    at = _open(shop, "boss", shop.ruby, filters_open=True)
    at.multiselect(key="product_filter_location_ids").set_value([shop.south]).run()
    at.session_state["product_filters_panel"] = False
    at.run()
    assert not at.multiselect and _metrics(at)["Items held"] == "1" and _tags(at) == ["TRUB0002"]
    assert any("1 filter active" in c.value for c in at.caption)
    at.session_state["product_filters_panel"] = True
    at.run()
    at.button(key="product_filters_clear").click().run()
    assert _metrics(at)["Items held"] == "3" and at.multiselect(key="product_filter_location_ids").value == []


def test_back_to_inventory_returns_to_the_view_the_user_left(shop):
    at = _app(shop, "nina", "product.py", {"id": str(shop.ruby)})
    at.session_state["inv_url"] = {"q": "ring", "sort": "weight", "order": "asc", "page": "2"}
    at.run()
    (back,) = [p for p in at.page_link if p.proto.label == "Back to Inventory"]
    assert parse_qs(back.proto.query_string) == {"q": ["ring"], "sort": ["weight"], "order": ["asc"], "page": ["2"]}
    assert [p.proto.label for p in at.page_link][:2] == ["All products", "Back to Inventory"]
    fresh = _open(shop, "nina", shop.ruby)  # never on Inventory in this session: the default view
    (back,) = [p for p in fresh.page_link if p.proto.label == "Back to Inventory"]
    assert back.proto.query_string == ""
