"""The one classification definition and everything that must agree with it.

Adding a catalog attribute is one entry in lib.classification.ATTRIBUTES plus its migration; these checks
fail until the typed value objects (ItemFilters, NewItem) name it too.
"""
from dataclasses import fields

from lib.classification import ATTRIBUTES, STAMPED_FIELDS, attribute, fit_to_kind
from lib.enums import CatalogKind, InventoryKind
from lib.inventory.forms import FIELD_LABELS, NewItem
from lib.inventory.query import ID_FILTERS, SORTABLE, ItemFilters
from lib.models import InventoryItem, StockMovement
from lib.products.catalog_entries import FILTER_FIELDS
from ui.inventory_view import ID_QUERY_KEYS, SORT_LABELS


def test_every_vocabulary_but_product_types_is_an_item_attribute():
    assert {a.catalog for a in ATTRIBUTES} == set(CatalogKind) - {CatalogKind.PRODUCT_TYPE}


def test_items_and_movements_carry_every_attribute():
    for a in ATTRIBUTES:
        item_column = InventoryItem.__table__.c[a.field]
        assert [fk.target_fullname for fk in item_column.foreign_keys] == ["catalog_entries.id"]
        assert StockMovement.__table__.c[a.field].nullable
    assert set(STAMPED_FIELDS) <= set(InventoryItem.__table__.c.keys()) & set(StockMovement.__table__.c.keys())


def test_the_value_objects_name_every_attribute():
    filter_names = {f.name for f in fields(ItemFilters)}
    new_item_names = {f.name for f in fields(NewItem)}
    for a in ATTRIBUTES:
        assert a.filter_field in filter_names and ID_FILTERS[a.filter_field] == a.field
        assert a.field in new_item_names and FIELD_LABELS[a.field] == a.label
        assert ID_QUERY_KEYS[a.key] == a.filter_field and a.key in SORTABLE and SORT_LABELS[a.key] == a.label


def test_types_follow_the_kind():
    values = {a.field: 7 for a in ATTRIBUTES}
    assert fit_to_kind(InventoryKind.ROUGH, dict(values)) == {**values, "finished_type_id": None, "ms_type_id": None}
    assert fit_to_kind(InventoryKind.FINISHED, dict(values))["finished_type_id"] == 7
    assert fit_to_kind(InventoryKind.MATERIALS, dict(values))["ms_type_id"] == 7
    assert attribute("shape") is attribute("shape_id")


def test_the_product_page_filters_are_attributes_and_location():
    assert [field for field, _column, _label in FILTER_FIELDS] == [
        "finished_type_ids", "ms_type_ids", "shape_ids", "size_ids", "colour_ids", "location_ids"]
