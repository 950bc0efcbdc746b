"""lib.inventory and lib.images: adding, merging, editing, adjusting, moving, archiving, reading, the url query."""
from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select

from lib import db, images, ledger
from lib.errors import InsufficientStock, NotFound, PermissionDenied, ValidationFailed
from lib.inventory import export, forms, items, query, stock
from lib.inventory.query import SORTABLE, ItemFilters, Page
from lib.models import (
    AuditEntry,
    CatalogKind,
    Image,
    InventoryItem,
    InventoryKind,
    ItemStatus,
    MovementKind,
    Role,
    StockMovement,
)
from tests import factories as f
from ui import inventory_view as display


def png_bytes(size=(40, 30), colour=(200, 30, 30), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


@dataclass
class Shop:
    north: object
    south: object
    admin: object
    manager: object
    member: object
    south_member: object
    ruby: object
    round: object
    oval: object
    aaa: object
    ring: object

    def actor(self, session, user):
        return f.actor(session, user)


@pytest.fixture
def shop(session):
    """A workshop with North and South; admin, a North manager, a North member and a South member;
    product Ruby (short name RUB) and a few catalog entries; tag prefix T."""
    f.make_workspace(session, tag_prefix="T", default_weight_unit="ct")
    north, south = f.make_location(session), f.make_location(session)
    return Shop(
        north=north, south=south,
        admin=f.make_user(session, Role.ADMIN), manager=f.make_user(session, Role.MANAGER, north),
        member=f.make_user(session, Role.MEMBER, north), south_member=f.make_user(session, Role.MEMBER, south),
        ruby=f.make_product(session, short_name=f.unique("RUB")),
        round=f.make_catalog(session, CatalogKind.SHAPE), oval=f.make_catalog(session, CatalogKind.SHAPE),
        aaa=f.make_catalog(session, CatalogKind.QUALITY), ring=f.make_catalog(session, CatalogKind.FINISHED_TYPE),
    )


def new(shop, **changes) -> forms.NewItem:
    values = dict(product_id=shop.ruby.id, weight="2.5", weight_unit="ct", quantity=2, location_id=shop.north.id,
                  shape_id=shop.round.id, quality_id=shop.aaa.id, finished_type_id=shop.ring.id)
    values.update(changes)
    return forms.NewItem(**values)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- the url query -------------------------------------------------------------------------------------------

def test_filters_round_trip_through_the_url_query():
    filters = ItemFilters(search="ring <b>", product_ids=(3, 1), kinds=(InventoryKind.FINISHED,),
                          location_ids=(2,), statuses=(ItemStatus.ON_HOLD,), created_from=date(2025, 1, 2),
                          created_to=date(2025, 2, 3), in_stock_only=True, shape_ids=(7,))
    query = display.filters_to_query(filters)
    assert query["product"] == "1,3" and query["kind"] == "finished" and query["from"] == "2025-01-02"
    assert all(isinstance(v, str) for v in query.values())
    assert display.filters_from_query(query) == filters.with_(product_ids=(1, 3))
    assert display.filters_to_query(ItemFilters(in_stock_only=True)) == {}  # held stock: the page's default
    everything = display.filters_to_query(ItemFilters())
    assert everything == {"in_stock": "0"} and not display.filters_from_query(everything).in_stock_only
    assert display.filters_from_query({"in_stock": "1"}).in_stock_only  # links written before keep working


def test_malformed_query_values_are_ignored():
    filters = display.filters_from_query({"product": "x,5,;drop", "kind": "gold,rough", "from": "yesterday",
                                            "status": ["available", "nope"]})
    assert filters == ItemFilters(product_ids=(5,), kinds=(InventoryKind.ROUGH,), statuses=(ItemStatus.AVAILABLE,),
                                  in_stock_only=True)
    page = display.page_from_query({"sort": "tag_id; drop", "per_page": "7", "page": "-3"})
    assert page == Page()
    page = Page(number=3, size=100, sort="weight", descending=False)
    assert display.page_from_query(display.page_to_query(page)) == page


# --- adding ---------------------------------------------------------------------------------------------------

def test_add_item_issues_the_next_tag_and_a_receipt_movement(session, shop):
    actor = shop.actor(session, shop.member)
    first = stock.add_item(session, actor=actor, data=new(shop))
    second = stock.add_item(session, actor=actor, data=new(shop, notes="<b>bold</b> **md**"))
    prefix = "T" + shop.ruby.short_name
    assert (first.tag_id, second.tag_id) == (f"{prefix}0001", f"{prefix}0002")
    item = session.get(InventoryItem, second.item_id)
    assert (item.quantity, item.weight, item.weight_unit, item.weight_g) == (2, Decimal("2.5"), "ct", Decimal("0.5"))
    assert item.notes == "<b>bold</b> **md**"  # stored as typed; pages show it as plain text
    movement = session.get(StockMovement, second.movement_id)
    assert movement.movement_kind is MovementKind.RECEIPT and movement.user_id == shop.member.id
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.entity_id == str(item.id))) == "add item"
    assert ledger.verify(session) == []


def test_defaults_unit_quantity_location_and_type_rules(session, shop):
    actor = shop.actor(session, shop.member)
    rough = stock.add_item(session, actor=actor, data=forms.NewItem(
        product_id=shop.ruby.id, weight="3", kind="rough", finished_type_id=shop.ring.id))
    item = session.get(InventoryItem, rough.item_id)
    assert (item.weight_unit, item.quantity, item.location_id, item.finished_type_id) == ("ct", 0, shop.north.id, None)
    finished = stock.add_item(session, actor=actor, data=forms.NewItem(product_id=shop.ruby.id, weight="3"))
    assert session.get(InventoryItem, finished.item_id).quantity == 1


@pytest.mark.parametrize("changes, field, words", [
    ({"weight": "0"}, "weight", "greater than zero"),
    ({"weight": "-1"}, "weight", "negative"),
    ({"weight": "NaN"}, "weight", "must be a plain number"),
    ({"weight": "inf"}, "weight", "must be a plain number"),
    ({"weight": "12 grams"}, "weight", "must be a plain number"),
    ({"weight": "1.00001"}, "weight", "4 decimals"),
    ({"weight": "1,5"}, "weight", "must be a plain number"),
    ({"weight": "1e24"}, "weight", "must be a plain number"),
    ({"weight": "1" + "0" * 24}, "weight", "too large"),
    ({"weight": "1_5"}, "weight", "must be a plain number"),
    ({"weight": "٣"}, "weight", "must be a plain number"),
    ({"quantity": "1.5"}, "quantity", "whole number"),
    ({"quantity": "two"}, "quantity", "must be a plain number"),
    ({"quantity": "1,000"}, "quantity", "must be a plain number"),
    ({"quantity": "2e1"}, "quantity", "must be a plain number"),
    ({"quantity": -1}, "quantity", "negative"),
    ({"weight_unit": "stone"}, "weight_unit", "unknown unit"),
    ({"tag_id": "A" * 51}, "tag_id", "at most 50"),
    ({"tag_id": "ab c!"}, "tag_id", "letters A-Z"),
    ({"notes": "x" * 2001}, "notes", "at most 2000"),
    ({"product_id": None}, "product_id", "required"),
    ({"shape_id": -5}, "shape_id", "no such entry"),
    ({"created_on": date.today() + timedelta(days=2)}, "created_on", "future"),
])
def test_bad_input_is_named_and_nothing_is_written(session, shop, changes, field, words):
    actor = shop.actor(session, shop.admin)
    before = (count(session, InventoryItem), count(session, StockMovement), count(session, AuditEntry))
    assert words in forms.validate_new_item(session, actor=actor, data=new(shop, **changes))[field]
    with pytest.raises(ValidationFailed, match=words):
        stock.add_item(session, actor=actor, data=new(shop, **changes))
    assert (count(session, InventoryItem), count(session, StockMovement), count(session, AuditEntry)) == before


def test_every_problem_is_reported_at_once(session, shop):
    actor = shop.actor(session, shop.admin)
    with pytest.raises(ValidationFailed) as caught:
        stock.add_item(session, actor=actor, data=new(shop, weight="abc", quantity="1.5", weight_unit="zz"),
                           image=b"not a picture")
    assert len(caught.value.problems) == 4
    assert [p.split()[0] for p in caught.value.problems] == ["Weight", "Weight", "Quantity", "Image:"]


def test_typed_tag_is_upper_cased_and_must_be_unique(session, shop):
    actor = shop.actor(session, shop.admin)
    result = stock.add_item(session, actor=actor, data=new(shop, tag_id="  my-tag-1 "))
    assert result.tag_id == "MY-TAG-1"
    with pytest.raises(ValidationFailed, match="already in use"):
        stock.add_item(session, actor=actor, data=new(shop, tag_id="MY-TAG-1"))


def test_member_adds_only_in_own_location(session, shop):
    actor = shop.actor(session, shop.member)
    with pytest.raises(PermissionDenied, match="outside the locations"):
        stock.add_item(session, actor=actor, data=new(shop, location_id=shop.south.id))


# --- photos ---------------------------------------------------------------------------------------------------

def test_photo_is_stored_in_the_database_with_a_thumbnail(session, shop):
    actor = shop.actor(session, shop.member)
    picture = png_bytes((400, 300))
    result = stock.add_item(session, actor=actor, data=new(shop), image=picture)
    image = session.get(Image, session.get(InventoryItem, result.item_id).image_id)
    assert image.data == picture and (image.width, image.height, image.mime_type) == (400, 300, "image/png")
    assert max(PILImage.open(io.BytesIO(image.thumbnail)).size) == images.THUMBNAIL_SIZE
    assert images.data_uri(image.thumbnail).startswith("data:image/jpeg;base64,")
    detail = items.item_detail(session, actor=actor, item_id=result.item_id)
    assert detail.image == picture


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"GIF89a" + b"\0" * 100, "not a readable"),
    (png_bytes()[:60], "not a readable"),  # truncated
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024), "over the 5 MB"),
])
def test_corrupt_oversized_or_wrong_images_are_refused(data, words):
    with pytest.raises(ValidationFailed, match=words):
        images.check_image(data)


def test_gif_is_refused_even_when_valid():
    buffer = io.BytesIO()
    PILImage.new("RGB", (5, 5)).save(buffer, format="GIF")
    with pytest.raises(ValidationFailed, match="GIF files are not accepted"):
        images.check_image(buffer.getvalue())


def test_webp_and_jpeg_are_accepted():
    assert images.check_image(png_bytes(fmt="WEBP")).mime_type == "image/webp"
    assert images.check_image(png_bytes(fmt="JPEG")).mime_type == "image/jpeg"


# --- auto-merge -------------------------------------------------------------------------------------------------

def test_auto_merge_adds_to_the_matching_record_as_a_merge_movement(session, shop):
    actor = shop.actor(session, shop.member)
    first = stock.add_item(session, actor=actor, data=new(shop))
    merged = stock.add_item(session, actor=actor, data=new(shop, auto_merge=True, weight="0.2", weight_unit="g",
                                                                 quantity=1, notes="second lot"))
    assert merged.merged and merged.item_id == first.item_id and merged.tag_id == first.tag_id
    item = session.get(InventoryItem, first.item_id)
    assert (item.quantity, item.weight) == (3, Decimal("3.5"))  # 0.2 g is exactly 1 ct
    movement = session.get(StockMovement, merged.movement_id)
    assert movement.movement_kind is MovementKind.MERGE and "second lot" in movement.note
    assert ledger.verify(session) == []


@pytest.mark.parametrize("changes", [{"shape_id": "oval"}, {"location_id": "south"}, {"kind": "rough"},
                                     {"quality_id": None}, {"auto_merge": False}])
def test_no_merge_when_any_key_part_differs(session, shop, changes):
    actor = shop.actor(session, shop.admin)
    first = stock.add_item(session, actor=actor, data=new(shop))
    values = {"auto_merge": True}
    for key, value in changes.items():
        values[key] = {"oval": shop.oval.id, "south": shop.south.id}.get(value, value)
    second = stock.add_item(session, actor=actor, data=new(shop, **values))
    assert not second.merged and second.item_id != first.item_id


def test_merge_skips_on_hold_and_revives_consumed(session, shop):
    actor = shop.actor(session, shop.admin)
    held = stock.add_item(session, actor=actor, data=new(shop))
    stock.set_status(session, actor=actor, item_id=held.item_id, status=ItemStatus.ON_HOLD)
    emptied = stock.add_item(session, actor=actor, data=new(shop))
    stock.adjust(session, actor=actor, item_id=emptied.item_id, quantity_delta=-2, weight_delta="-2.5",
                     reason="sold at the fair")
    assert session.get(InventoryItem, emptied.item_id).status is ItemStatus.CONSUMED
    merged = stock.add_item(session, actor=actor, data=new(shop, auto_merge=True))
    assert merged.item_id == emptied.item_id
    assert session.get(InventoryItem, emptied.item_id).status is ItemStatus.AVAILABLE


def test_weight_that_does_not_convert_exactly_is_added_as_a_new_record(session, shop):
    actor = shop.actor(session, shop.admin)
    first = stock.add_item(session, actor=actor, data=new(shop, weight_unit="g", weight="1"))
    second = stock.add_item(session, actor=actor, data=new(shop, auto_merge=True, weight_unit="mg",
                                                                weight="0.1234"))
    assert not second.merged and second.item_id != first.item_id and first.tag_id in second.note


# --- edit, adjust, transfer, status, archive ---------------------------------------------------------------------

@pytest.fixture
def item(session, shop):
    actor = shop.actor(session, shop.admin)
    return session.get(InventoryItem, stock.add_item(session, actor=actor, data=new(shop, quantity=10,
                                                                                       weight="20")).item_id)


def test_edit_restamps_the_movements_and_is_audited(session, shop, item):
    actor = shop.actor(session, shop.manager)
    stock.adjust(session, actor=actor, item_id=item.id, weight_delta="-1", reason="recut")
    stock.edit_attributes(session, actor=actor, item_id=item.id,
                              changes={"shape_id": shop.oval.id, "notes": "recut to oval", "kind": "rough"})
    assert (item.shape_id, item.kind, item.finished_type_id) == (shop.oval.id, InventoryKind.ROUGH, None)
    stamped = session.execute(select(StockMovement.shape_id, StockMovement.kind, StockMovement.finished_type_id)
                              .where(StockMovement.item_id == item.id)).all()
    assert set(stamped) == {(shop.oval.id, InventoryKind.ROUGH, None)} and len(stamped) == 2
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "edit item")).one()
    assert json.loads(entry.new_values)["shape_id"] == shop.oval.id


def test_edit_rejects_unknown_fields_and_members(session, shop, item):
    with pytest.raises(ValidationFailed, match="weight"):
        stock.edit_attributes(session, actor=shop.actor(session, shop.admin), item_id=item.id,
                                  changes={"weight": 3})
    with pytest.raises(PermissionDenied, match=r"Member.*edit inventory"):
        stock.edit_attributes(session, actor=shop.actor(session, shop.member), item_id=item.id,
                                  changes={"notes": "x"})


def test_adjust_needs_a_reason_and_never_goes_negative(session, shop, item):
    actor = shop.actor(session, shop.member)
    with pytest.raises(ValidationFailed, match="Reason is required"):
        stock.adjust(session, actor=actor, item_id=item.id, quantity_delta=-1, reason="  ")
    with pytest.raises(InsufficientStock):
        stock.adjust(session, actor=actor, item_id=item.id, quantity_delta=-11, reason="count")
    with pytest.raises(ValidationFailed, match="whole number"):
        stock.adjust(session, actor=actor, item_id=item.id, quantity_delta="0.5", reason="count")
    with pytest.raises(ValidationFailed, match="must change"):
        stock.adjust(session, actor=actor, item_id=item.id, quantity_delta=0, weight_delta="0", reason="count")
    movement = stock.adjust(session, actor=actor, item_id=item.id, quantity_delta=-1, weight_delta="-2.25",
                                reason="stock count", reference="COUNT-7")
    assert (movement.movement_kind, movement.note, movement.reference) == (MovementKind.ADJUSTMENT, "stock count",
                                                                           "COUNT-7")
    assert (item.quantity, item.weight) == (9, Decimal("17.75"))
    assert ledger.verify(session) == []


def test_adjust_outside_scope_is_not_found(session, shop, item):
    with pytest.raises(NotFound):
        stock.adjust(session, actor=shop.actor(session, shop.south_member), item_id=item.id,
                         quantity_delta=1, reason="x")


def test_whole_transfer_keeps_the_tag(session, shop, item):
    actor = shop.actor(session, shop.admin)
    result = stock.transfer(session, actor=actor, item_id=item.id, to_location_id=shop.south.id)
    assert result.whole and result.tag_id == item.tag_id and item.location_id == shop.south.id
    kinds = session.scalars(select(StockMovement.movement_kind).where(StockMovement.item_id == item.id)
                            .order_by(StockMovement.id)).all()
    assert kinds[-2:] == [MovementKind.TRANSFER_OUT, MovementKind.TRANSFER_IN]
    same = stock.transfer(session, actor=actor, item_id=item.id, to_location_id=shop.north.id, quantity=10,
                              weight="20")
    assert same.whole and item.location_id == shop.north.id


def test_partial_transfer_splits_into_derived_tags(session, shop, item):
    actor = shop.actor(session, shop.admin)
    first = stock.transfer(session, actor=actor, item_id=item.id, to_location_id=shop.south.id, quantity=3,
                               weight="6", reference="TRUCK-1")
    second = stock.transfer(session, actor=actor, item_id=item.id, to_location_id=shop.south.id, quantity=0,
                                weight="0.5")
    assert (first.tag_id, second.tag_id) == (f"{item.tag_id}-T1", f"{item.tag_id}-T2") and not first.whole
    part = session.get(InventoryItem, first.item_id)
    assert (part.quantity, part.weight, part.location_id, part.shape_id) == (3, Decimal("6"), shop.south.id,
                                                                            item.shape_id)
    assert (item.quantity, item.weight, item.location_id) == (7, Decimal("13.5"), shop.north.id)
    into = session.scalars(select(StockMovement).where(StockMovement.item_id == part.id)).one()
    assert into.movement_kind is MovementKind.TRANSFER_IN and into.reference == "TRUCK-1"
    assert ledger.verify(session) == []


def test_transfer_refusals(session, shop, item):
    admin = shop.actor(session, shop.admin)
    before = count(session, InventoryItem)
    with pytest.raises(InsufficientStock):
        stock.transfer(session, actor=admin, item_id=item.id, to_location_id=shop.south.id, quantity=11,
                           weight="1")
    with pytest.raises(ValidationFailed, match="already at"):
        stock.transfer(session, actor=admin, item_id=item.id, to_location_id=shop.north.id)
    with pytest.raises(ValidationFailed, match="enter the pieces"):
        stock.transfer(session, actor=admin, item_id=item.id, to_location_id=shop.south.id, quantity=0,
                           weight="0")
    with pytest.raises(PermissionDenied, match="outside the locations"):
        stock.transfer(session, actor=shop.actor(session, shop.manager), item_id=item.id,
                           to_location_id=shop.south.id)
    with pytest.raises(PermissionDenied, match=r"Member.*transfer"):
        stock.transfer(session, actor=shop.actor(session, shop.member), item_id=item.id,
                           to_location_id=shop.south.id)
    assert count(session, InventoryItem) == before


def test_status_transitions(session, shop, item):
    actor = shop.actor(session, shop.manager)
    stock.set_status(session, actor=actor, item_id=item.id, status="on_hold")
    assert item.status is ItemStatus.ON_HOLD
    stock.set_status(session, actor=actor, item_id=item.id, status=ItemStatus.AVAILABLE)
    for status, words in ((ItemStatus.CONSUMED, "reaches zero"), (ItemStatus.ARCHIVED, "use Archive")):
        with pytest.raises(ValidationFailed, match=words):
            stock.set_status(session, actor=actor, item_id=item.id, status=status)
    stock.adjust(session, actor=actor, item_id=item.id, quantity_delta=-10, weight_delta="-20", reason="used")
    with pytest.raises(ValidationFailed, match="stays Consumed"):
        stock.set_status(session, actor=actor, item_id=item.id, status=ItemStatus.ON_HOLD)


def test_archive_writes_off_held_stock_and_blocks_actions_until_restored(session, shop, item):
    with pytest.raises(PermissionDenied, match="Member"):
        stock.archive(session, actor=shop.actor(session, shop.member), item_id=item.id, reason="broken")
    actor = shop.actor(session, shop.manager)
    with pytest.raises(ValidationFailed, match="Reason is required"):
        stock.archive(session, actor=actor, item_id=item.id, reason="")
    movement = stock.archive(session, actor=actor, item_id=item.id, reason="stolen")
    assert movement.movement_kind is MovementKind.WRITE_OFF and movement.quantity_after == 0
    assert item.status is ItemStatus.ARCHIVED and session.get(InventoryItem, item.id) is not None
    with pytest.raises(ValidationFailed, match="restore it first"):
        stock.adjust(session, actor=actor, item_id=item.id, quantity_delta=1, reason="found")
    stock.restore(session, actor=actor, item_id=item.id)
    assert item.status is ItemStatus.CONSUMED
    assert ledger.verify(session) == []


# --- reading ----------------------------------------------------------------------------------------------------

def test_item_detail_has_every_field_and_the_history(session, shop, item):
    admin = shop.actor(session, shop.admin)
    stock.adjust(session, actor=admin, item_id=item.id, quantity_delta=-1, weight_delta="-2", reason="chipped")
    detail = items.item_detail(session, actor=admin, item_id=item.id)
    assert detail.names["shape_id"] == shop.round.name and detail.location == shop.north.name
    assert [row.kind for row in detail.history] == [MovementKind.ADJUSTMENT, MovementKind.RECEIPT]
    assert detail.history[0].user == shop.admin.name and detail.history[0].note == "chipped"
    frame = display.history_frame(detail)
    assert list(frame["Weight"]) == ["-2.000 ct", "+20.000 ct"] and list(frame["Weight after"])[0] == "18.000 ct"
    with pytest.raises(NotFound):
        items.item_detail(session, actor=shop.actor(session, shop.south_member), item_id=item.id)


def test_list_totals_and_scope(session, shop):
    admin = shop.actor(session, shop.admin)
    for location, weight in ((shop.north, "1"), (shop.north, "2"), (shop.south, "5")):
        stock.add_item(session, actor=admin, data=new(shop, location_id=location.id, weight=weight, quantity=1))
    mine = ItemFilters(product_ids=(shop.ruby.id,))
    view = items.list_items(session, actor=admin, filters=mine, page=Page(size=25))
    assert (view.totals.items, view.totals.pieces, view.total_weight_text) == (3, 3, "8.000 ct")
    manager_view = items.list_items(session, actor=shop.actor(session, shop.manager), filters=mine, page=Page())
    assert {row["location_id"] for row in manager_view.rows} == {shop.north.id}
    assert manager_view.totals.items == 2
    frame = display.list_frame(view.rows)
    assert list(frame.columns) == list(display.LIST_COLUMNS) and set(frame["Weight"]) == {"1.000 ct", "2.000 ct",
                                                                                            "5.000 ct"}


@pytest.mark.parametrize("sort", SORTABLE)
def test_a_page_is_its_slice_of_the_export_stream_for_every_sort(session, shop, sort):
    admin = shop.actor(session, shop.admin)
    for index in range(7):
        stock.add_item(session, actor=admin, data=new(shop, weight=str(index + 1), quantity=index % 3,
                                                          shape_id=[shop.round.id, shop.oval.id, None][index % 3]))
    filters = ItemFilters(product_ids=(shop.ruby.id,))
    for descending in (True, False):
        page = Page(number=2, size=3, sort=sort, descending=descending)
        ours = query.page_rows(session, actor=admin, filters=filters, page=page, with_thumbnail=False)
        stream = list(query.iter_rows(session, actor=admin, filters=filters, sort=sort, descending=descending))
        assert [row["id"] for row in ours] == [row["id"] for row in stream[3:6]]
        assert ours == [{key: row[key] for key in ours[0]} for row in stream[3:6]]


def test_export_row_count_equals_the_filtered_count(session, shop):
    admin = shop.actor(session, shop.admin)
    for weight in ("1", "2", "3"):
        stock.add_item(session, actor=admin, data=new(shop, weight=weight))
    stock.add_item(session, actor=admin, data=new(shop, location_id=shop.south.id))
    filters = ItemFilters(product_ids=(shop.ruby.id,), location_ids=(shop.north.id,))
    expected = items.list_items(session, actor=admin, filters=filters, page=Page()).totals.items
    for fmt in ("csv", "xlsx"):
        exported = export.export_items(session, actor=admin, filters=filters, fmt=fmt, unit="g")
        assert exported.rows == expected == 3
        exported.path.unlink()


def test_find_by_tag_respects_scope(session, shop, item):
    assert items.find_by_tag(session, actor=shop.actor(session, shop.member), tag_id=item.tag_id.lower()) == item.id
    with pytest.raises(NotFound):
        items.find_by_tag(session, actor=shop.actor(session, shop.south_member), tag_id=item.tag_id)


# --- concurrency: real threads, committed data, then ledger.verify ---------------------------------------------------

def _run_threads(count_, work):
    barrier = threading.Barrier(count_, timeout=120)
    outcomes, errors = [], []

    def worker(index):
        barrier.wait()
        try:
            outcomes.append(work(index))
        except (InsufficientStock, ValidationFailed) as refused:
            outcomes.append(refused)
        except Exception as error:  # any other failure fails the test
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count_)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return outcomes


@pytest.fixture
def committed(fresh_engine):
    """A committed workspace: admin, North and South, product RUB, one item of 12 pcs / 24 ct in North."""
    with db.session_scope(fresh_engine, write=True) as session:
        f.make_workspace(session, tag_prefix="C")
        north, south = f.make_location(session, "North"), f.make_location(session, "South")
        admin = f.make_user(session, Role.ADMIN)
        ruby = f.make_product(session, "Ruby", "RUB")
        actor = f.actor(session, admin)
        result = stock.add_item(session, actor=actor, data=forms.NewItem(
            product_id=ruby.id, weight="24", weight_unit="ct", quantity=12, location_id=north.id))
    return fresh_engine, actor, result.item_id, north.id, south.id, ruby.id


def test_simultaneous_adjustments_and_partial_transfers_lose_nothing(committed):
    engine, actor, item_id, north, south, _ = committed

    def work(index):
        with db.session_scope(engine, write=True) as session:
            if index % 2:
                return stock.adjust(session, actor=actor, item_id=item_id, quantity_delta=-1,
                                        weight_delta="-2", reason=f"thread {index}").id
            return stock.transfer(session, actor=actor, item_id=item_id, to_location_id=south, quantity=1,
                                      weight="1").tag_id  # never the whole balance: always a split

    outcomes = _run_threads(16, work)
    adjusted = [o for o in outcomes if isinstance(o, int)]
    moved = [o for o in outcomes if isinstance(o, str)]
    assert len(adjusted) + len(moved) == 12  # every piece went exactly once; the rest were refused
    with db.session_scope(engine) as session:
        pieces = session.scalar(select(func.sum(InventoryItem.quantity)))
        weight = session.scalar(select(func.sum(InventoryItem.weight)))
        assert pieces == 12 - len(adjusted) and Decimal(str(weight)) == 24 - 2 * len(adjusted)
        assert session.get(InventoryItem, item_id).quantity == 0
        parts = session.scalars(select(InventoryItem.tag_id).where(InventoryItem.id != item_id)).all()
        assert len(parts) == len(set(parts)) and all(tag.startswith("CRUB0001-T") for tag in parts)
        assert session.scalar(select(func.count()).select_from(StockMovement).where(
            StockMovement.movement_kind == MovementKind.ADJUSTMENT)) == len(adjusted)
        assert ledger.verify(session) == []


def test_simultaneous_auto_merges_make_one_record(committed):
    engine, actor, item_id, north, _, ruby = committed

    def work(index):
        with db.session_scope(engine, write=True) as session:
            return stock.add_item(session, actor=actor, data=forms.NewItem(
                product_id=ruby, weight="1", weight_unit="ct", quantity=1, location_id=north, kind="rough",
                auto_merge=True)).item_id

    ids = _run_threads(8, work)
    assert len(set(ids)) == 1 and item_id not in ids  # finished item differs by kind
    with db.session_scope(engine) as session:
        merged = session.get(InventoryItem, ids[0])
        assert (merged.quantity, merged.weight) == (8, Decimal("8"))
        assert ledger.verify(session) == []


def test_simultaneous_adds_get_distinct_tags(committed):
    engine, actor, _, north, _, ruby = committed

    def work(index):
        with db.session_scope(engine, write=True) as session:
            return stock.add_item(session, actor=actor, data=forms.NewItem(
                product_id=ruby, weight="1", location_id=north)).tag_id

    tags = _run_threads(8, work)
    assert sorted(tags) == [f"CRUB{n:04d}" for n in range(2, 10)]
