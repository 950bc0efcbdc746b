"""The Inventory page in the real app (AppTest): url filters, pagination, add wizard, adjust, transfer, import,
refusals that say why, and user text shown as plain text, for each role."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lib import db
from lib.inventory import forms, stock
from lib.models import InventoryItem, InventoryKind, Location, Product, User
from tests import factories as f
from tests.apptest import ok, point_app_at, signed_in, texts
from tests.scenarios import two_location_workshop

ROLES = {"admin": "boss", "manager": "nina", "member": "mo"}


@pytest.fixture(scope="module")
def shop(databases, tmp_path_factory):
    """two_location_workshop plus product Bead: 30 items in North and 1 in South (for paging and scope)."""
    url = databases.new("inventory-page")
    point_app_at(url, tmp_path_factory.mktemp("inventory-page-data"))
    workshop = two_location_workshop(url)
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        north, south = workshop.north_id, workshop.south_id
        bead = f.make_product(session, "Bead", "BEA")
        for index in range(30):
            f.make_item(session, bead, session.get(Location, north), quantity=index + 1, weight="1.0000",
                        tag_id=f"TBEA{index + 1:04d}")
        f.make_item(session, bead, session.get(Location, south), tag_id="TBEA0031")
        workshop.bead_id = bead.id
    engine.dispose()
    return workshop


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", str(text))


def alerts(at, kind: str) -> list[str]:
    return [unescape(element.value) for element in getattr(at, kind)]


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def table(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def run(shop, username, query=None):
    """The Inventory page opened by `username` at /inventory?<query>."""
    at = signed_in(shop.url, username, page="inventory.py", query=query or {})
    return ok(at.run())


def make_item(shop, username, location="north", **changes) -> InventoryItem:
    """A committed item of Ruby made through the lib as `username` (each test gets its own)."""
    engine = db.make_engine(shop.url)
    with db.session_scope(engine, write=True) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        actor = f.actor(session, user)
        values = dict(product_id=shop.product_id, weight="10", weight_unit="ct", quantity=5,
                      location_id=shop.north_id if location == "north" else shop.south_id)
        values.update(changes)
        result = stock.add_item(session, actor=actor, data=forms.NewItem(**values))
        item = session.get(InventoryItem, result.item_id)
    engine.dispose()
    return item


def read_item(shop, item_id) -> InventoryItem:
    engine = db.make_engine(shop.url)
    with db.session_scope(engine) as session:
        item = session.get(InventoryItem, item_id)
    engine.dispose()
    return item


def count_items(shop) -> int:
    engine = db.make_engine(shop.url)
    with db.session_scope(engine) as session:
        number = session.scalar(select(func.count()).select_from(InventoryItem))
    engine.dispose()
    return number


# --- the list ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("username, items, pieces", [("boss", 31, 466), ("nina", 30, 465), ("mo", 30, 465),
                                                     ("sam", 1, 1)])
def test_url_filters_open_the_same_view_in_each_scope(shop, username, items, pieces):
    at = run(shop, username, {"product": str(shop.bead_id), "kind": "finished"})
    assert metric(at, "Items held") == str(items) and metric(at, "Pieces held") == str(pieces)
    assert metric(at, "Weight held") == f"{items}.000 g"
    assert at.multiselect(key="inv_f_product").value == [shop.bead_id]
    assert at.pills(key="inv_f_kind").value == [InventoryKind.FINISHED]
    assert at.query_params["product"] == [str(shop.bead_id)] or at.query_params["product"] == str(shop.bead_id)
    rows = table(at, "Tag ID")
    assert len(rows) == min(items, 50) and set(rows["Product"]) == {"Bead"}


def test_search_and_filters_update_the_url(shop):
    at = run(shop, "boss", {"product": str(shop.bead_id)})
    at.text_input(key="inv_q").input("tbea0031").run()
    assert list(table(ok(at), "Tag ID")["Tag ID"]) == ["TBEA0031"]
    assert "tbea0031" in str(at.query_params["q"])
    at.pills(key="inv_f_kind").set_value([InventoryKind.ROUGH]).run()
    assert "No items match these filters." in alerts(ok(at), "info")
    assert "rough" in str(at.query_params["kind"])
    member = run(shop, "mo", {"product": str(shop.bead_id), "q": "TBEA0031"})
    assert "No items match these filters." in alerts(member, "info")  # South's bead is outside mo's scope


def test_the_view_survives_a_visit_to_the_add_wizard(shop):
    at = run(shop, "nina", {"product": str(shop.bead_id), "sort": "weight", "order": "asc", "per_page": "100"})
    at.text_input(key="inv_q").input("TBEA002").run()
    wizard(at).segmented_control(key="inv_view").set_value("Stock").run()
    assert (at.text_input(key="inv_q").value, at.selectbox(key="inv_sort").value) == ("TBEA002", "weight")
    assert (at.toggle(key="inv_desc").value, at.selectbox(key="inv_per_page").value) == (False, 100)
    assert metric(ok(at), "Items held") == "10"


@pytest.mark.parametrize("username", ["boss", "mo"])
def test_pagination_and_sorting(shop, username):
    at = run(shop, username, {"product": str(shop.bead_id), "per_page": "25", "sort": "quantity", "order": "desc"})
    first = table(at, "Tag ID")
    assert len(first) == 25 and list(first["Pieces"])[:2] == [30, 29]
    at.pagination[0].set_value(2).run()
    second = table(ok(at), "Tag ID")
    assert len(second) == (6 if username == "boss" else 5) and "Page 2 of 2" in texts(at)
    assert str(at.query_params["page"]).strip("[]'") == "2"
    at.text_input(key="inv_q").input("TBEA00").run()  # a new search starts again at page 1
    assert "Page 1 of" in texts(ok(at))


# --- add wizard -----------------------------------------------------------------------------------------------------

def wizard(at):
    at.segmented_control(key="inv_view").set_value("Add item").run()
    return ok(at)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_adds_an_item_through_the_wizard(shop, role):
    at = wizard(run(shop, ROLES[role]))
    at.selectbox(key="inv_add_product").set_value(shop.product_id).run()
    at.button(key="inv_add_next_0").click().run()
    at.text_input(key="inv_add_qty").input("2")
    at.text_input(key="inv_add_weight").input("1.75")
    at.selectbox(key="inv_add_unit").set_value("ct")
    at.button(key="inv_add_next_1").click().run()
    assert at.selectbox(key="inv_add_location").options == (["North", "South"] if role == "admin" else ["North"])
    at.text_area(key="inv_add_notes").input(f"added by {role}")
    at.button(key="inv_add_save").click().run()
    done = alerts(ok(at), "success")
    tag = re.search(r"Added (TRUB\d{4})", done[0]).group(1)
    engine = db.make_engine(shop.url)
    with db.session_scope(engine) as session:
        item = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == tag)).one()
        creator = session.get(User, item.created_by_id).username
    engine.dispose()
    assert (item.quantity, item.weight, item.weight_unit, item.notes, creator) == (2, 1.75, "ct", f"added by {role}",
                                                                                  ROLES[role])
    at.button(key="inv_add_open").click().run()
    assert ok(at).query_params["item"] in (str(item.id), [str(item.id)])


@pytest.mark.parametrize("weight, quantity, message", [
    ("0", "1", "Weight must be greater than zero"), ("-2", "1", "Weight cannot be negative"),
    ("NaN", "1", "Weight must be a plain number"), ("lots", "1", "Weight must be a plain number"),
    ("1e24", "1", "Weight must be a plain number"), ("1" + "0" * 24, "1", "Weight is too large"),
    ("1", "1.5", "Quantity must be a whole number of pieces (no fractions)"),
])
def test_wizard_names_the_bad_field_and_writes_nothing(shop, weight, quantity, message):
    before = count_items(shop)
    at = wizard(run(shop, "mo"))
    at.button(key="inv_add_next_0").click().run()
    assert "Product is required" in alerts(ok(at), "error")
    at.selectbox(key="inv_add_product").set_value(shop.product_id).run()
    at.button(key="inv_add_next_0").click().run()
    at.text_input(key="inv_add_qty").input(quantity)
    at.text_input(key="inv_add_weight").input(weight)
    at.button(key="inv_add_next_1").click().run()
    assert any(message in text for text in alerts(ok(at), "error"))
    assert at.text_input(key="inv_add_weight").value == weight  # still on step 2, value kept
    assert count_items(shop) == before


def test_wizard_refuses_a_corrupt_photo_and_a_long_tag(shop):
    before = count_items(shop)
    at = wizard(run(shop, "boss"))
    at.selectbox(key="inv_add_product").set_value(shop.product_id).run()
    at.button(key="inv_add_next_0").click().run()
    at.text_input(key="inv_add_weight").input("1")
    at.button(key="inv_add_next_1").click().run()
    at.text_input(key="inv_add_tag").input("X" * 51)
    at.file_uploader(key="inv_add_photo").set_value(("photo.png", b"\x89PNG\r\n\x1a\nbroken", "image/png"))
    at.button(key="inv_add_save").click().run()
    errors = " ".join(alerts(ok(at), "error"))
    assert "Tag ID may be at most 50 characters (got 51)" in errors and "Image: the file is not a readable" in errors
    assert count_items(shop) == before


# --- item detail and actions -------------------------------------------------------------------------------------------

def open_action(shop, username, item_id, action):
    at = run(shop, username, {"item": str(item_id)})
    at.segmented_control(key="inv_action").set_value(action).run()
    return ok(at)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_adjusts_with_a_reason(shop, role):
    item = make_item(shop, "boss")
    at = open_action(shop, ROLES[role], item.id, "adjust")
    at.text_input(key="inv_adj_qty").input("-2")
    at.text_input(key="inv_adj_weight").input("-0.5")
    at.button(key="inv_adj_save").click().run()
    assert any("Reason is required" in text for text in alerts(ok(at), "error"))
    at.text_input(key="inv_adj_qty").input("-2")
    at.text_input(key="inv_adj_weight").input("-0.5")
    at.text_input(key="inv_adj_reason").input("recount")
    at.button(key="inv_adj_save").click().run()
    assert alerts(ok(at), "success") == [f"{item.tag_id} adjusted."]
    after = read_item(shop, item.id)
    assert (after.quantity, after.weight) == (3, 9.5)
    history = table(at, "Movement")
    assert list(history["Movement"])[:2] == ["Adjustment", "Receipt"] and history["Reason / note"][0] == "recount"


def test_a_member_of_another_location_cannot_open_the_item(shop):
    item = make_item(shop, "boss")
    at = run(shop, "sam", {"item": str(item.id)})
    assert "No such inventory item in your locations." in alerts(at, "error")


@pytest.mark.parametrize("role", ROLES)
def test_transfer_for_each_role(shop, role):
    item = make_item(shop, "boss")
    if role == "member":  # members are not offered a transfer at all
        assert "transfer" not in run(shop, "mo", {"item": str(item.id)}).segmented_control(key="inv_action").options
        return
    at = open_action(shop, ROLES[role], item.id, "transfer")
    if role == "manager":  # nina works only in North: there is nowhere in her scope to move to
        assert "There is no other location in your scope to transfer to." in alerts(at, "info")
        return
    at.toggle(key="inv_tr_whole").set_value(False)
    at.text_input(key="inv_tr_qty").input("2")
    at.text_input(key="inv_tr_weight").input("4")
    at.button(key="inv_tr_save").click().run()
    assert alerts(ok(at), "success") == [f"Moved part of {item.tag_id} to South as new item {item.tag_id}-T1."]
    assert (read_item(shop, item.id).quantity, read_item(shop, item.id).weight) == (3, 6)


@pytest.mark.parametrize("username, offered", [("mo", ["Adjust"]),
                                               ("nina", ["Edit", "Adjust", "Transfer", "Status", "Archive", "Photo"])])
def test_each_role_is_offered_only_the_actions_it_may_take(shop, username, offered):
    item = make_item(shop, "boss")
    at = run(shop, username, {"item": str(item.id)})
    assert at.segmented_control(key="inv_action").options == offered


def test_manager_archives_with_a_reason_and_history_is_kept(shop):
    item = make_item(shop, "boss")
    at = open_action(shop, "nina", item.id, "archive")
    at.text_input(key="inv_arch_reason").input("damaged beyond repair")
    at.button(key="inv_arch_save").click().run()
    assert alerts(ok(at), "success") == [f"{item.tag_id} archived."]
    assert metric(at, "Status") == "Archived"
    assert list(table(at, "Movement")["Movement"])[:1] == ["Write off"]


def test_user_text_is_shown_as_plain_text(shop):
    notes = "<b>bold?</b> **not bold** :red[no colour] <script>alert(1)</script>"
    item = make_item(shop, "boss", notes=notes)
    at = run(shop, "boss", {"item": str(item.id)})
    fields = table(at, "Field")
    assert fields.set_index("Field").loc["Notes", "Value"] == notes
    assert all("<b>" not in m.value and "not bold" not in m.value for m in at.markdown)


def test_open_item_from_the_page_picker(shop):
    at = run(shop, "mo", {"product": str(shop.bead_id), "per_page": "25"})
    tag = list(table(at, "Tag ID")["Tag ID"])[0]
    engine = db.make_engine(shop.url)
    with db.session_scope(engine) as session:
        item_id = session.scalar(select(InventoryItem.id).where(InventoryItem.tag_id == tag))
    engine.dispose()
    at.selectbox(key="inv_pick").set_value(item_id).run()
    assert tag in [h.value for h in ok(at).subheader]
    assert at.query_params["item"] in (str(item_id), [str(item_id)])
    at.button(key="inv_close").click().run()
    assert "item" not in ok(at).query_params


# --- import -----------------------------------------------------------------------------------------------------------

def test_import_preview_lists_problems_then_a_clean_file_is_written(shop):
    before = count_items(shop)
    at = run(shop, "boss")
    at.segmented_control(key="inv_view").set_value("Import").run()
    assert [b.label for b in at.download_button] == ["Template CSV", "Template XLSX"]
    bad = b"Product,Weight,Location\nRuby,abc,Moon\nNope,1,North\n"
    at.file_uploader(key="inv_import_file_0").set_value(("bad.csv", bad, "text/csv")).run()
    assert alerts(ok(at), "error")[0].startswith("2 of 2 rows have problems")
    preview = table(at, "Problems")
    assert list(preview.columns)[:2] == ["Problems", "Row"]
    problems = list(preview["Problems"])
    assert "Weight must be a plain number" in problems[0] and "Location 'Moon' is unknown" in problems[0]
    assert "Product 'Nope' is not in the catalog" in problems[1]
    assert "Create missing products and catalog values" in alerts(at, "info")[0]
    assert at.button(key="inv_import_confirm").disabled
    good = b"product , WEIGHT,weight unit,Location\nRuby,1.5,ct,North\nJade,2,g,South\n"
    at.file_uploader(key="inv_import_file_0").set_value(("good.csv", good, "text/csv")).run()
    assert alerts(ok(at), "success") == ["All 2 rows are ready to import."]
    at.button(key="inv_import_confirm").click().run()
    assert alerts(ok(at), "success") == ["Imported 2 rows: 2 new items, 0 merged."]
    assert count_items(shop) == before + 2


@pytest.mark.parametrize("username", ["nina", "mo"])
def test_import_is_offered_to_admins_only(shop, username):
    assert run(shop, username).segmented_control(key="inv_view").options == ["Stock", "Add item"]
    assert run(shop, "boss").segmented_control(key="inv_view").options == ["Stock", "Add item", "Import"]


def test_an_item_leads_to_its_product_page(shop):
    item = make_item(shop, "mo")
    at = run(shop, "mo", {"item": str(item.id)})
    (link,) = [p for p in at.page_link if p.proto.label == "Product details"]
    assert link.proto.query_string == f"id={shop.product_id}"
def test_import_creates_missing_products_and_values_when_asked(shop):
    at = run(shop, "boss")
    at.segmented_control(key="inv_view").set_value("Import").run()
    data = (b"Product,Weight,Colour,Location\nStar Sapphire,1.5,Cornflower,North\nStar Sapphire,2,Cornflower,North\n"
            b"Ruby,1,Pigeon Blood,North\n")
    at.file_uploader(key="inv_import_file_0").set_value(("new.csv", data, "text/csv")).run()
    assert alerts(ok(at), "error")[0].startswith("3 of 3 rows have problems")
    at.toggle(key="inv_import_create").set_value(True).run()
    assert alerts(ok(at), "success") == ["All 3 rows are ready to import."]
    assert "create 1 product and 2 catalog values" in alerts(at, "warning")[0]
    creations = table(at, "Creates")
    assert creations.values.tolist() == [["Product", "Star Sapphire", "S-SAPP", 2], ["Colour", "Cornflower", "", 2],
                                         ["Colour", "Pigeon Blood", "", 1]]
    at.button(key="inv_import_confirm").click().run()
    assert alerts(ok(at), "success") == ["Imported 3 rows: 3 new items, 0 merged. Created 1 product and 2 catalog "
                                         "values."]
    engine = db.make_engine(shop.url)
    with db.session_scope(engine) as session:
        tags = session.scalars(select(InventoryItem.tag_id).join(Product, Product.id == InventoryItem.product_id)
                               .where(Product.name == "Star Sapphire")).all()
    engine.dispose()
    assert sorted(tags) == ["TS-SAPP0001", "TS-SAPP0002"]


def test_an_uploaded_file_is_parsed_once_for_all_reruns(shop, monkeypatch):
    from lib.inventory import importer

    calls = []
    real = importer.read_sheet
    monkeypatch.setattr(importer, "read_sheet", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    at = run(shop, "boss")
    at.segmented_control(key="inv_view").set_value("Import").run()
    at.file_uploader(key="inv_import_file_0").set_value(("s.csv", b"Product,Weight\nRuby,x\n", "text/csv")).run()
    at.toggle(key="inv_import_merge").set_value(True).run()
    at.toggle(key="inv_import_only_bad").set_value(True).run()
    assert alerts(ok(at), "error")[0].startswith("1 of 1 row has problems") and len(calls) == 1
    at.file_uploader(key="inv_import_file_0").set_value(("s.csv", b"Product,Weight\nRuby,2\n", "text/csv")).run()
    assert len(calls) == 2  # new content, parsed again


def test_a_file_over_the_row_limit_says_how_to_split_it(shop, monkeypatch):
    from ui import context

    monkeypatch.setenv("LOUPE_IMPORT_MAX_ROWS", "3")
    context.settings.clear()
    try:
        at = run(shop, "boss")
        at.segmented_control(key="inv_view").set_value("Import").run()
        assert "up to 10 MB and 3 rows per import" in texts(at)
        data = b"Product,Weight\n" + b"Ruby,1\n" * 4
        at.file_uploader(key="inv_import_file_0").set_value(("big.csv", data, "text/csv")).run()
        assert alerts(ok(at), "error") == ["big.csv has more than 3 rows; at most 3 rows can be imported at once. "
                                           "Split it into files of at most 3 rows, each with the header row at the "
                                           "top, and import them one after another."]
    finally:
        monkeypatch.delenv("LOUPE_IMPORT_MAX_ROWS")
        context.settings.clear()
