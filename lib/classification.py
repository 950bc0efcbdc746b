"""How stock is classified: the one definition of the catalog attributes of an item.

An inventory item (and every ledger movement, which copies it) is classified
by its product, its kind (Rough, Finished, Materials & Supplies) and the six
catalog attributes below. Everything that lists, filters, validates, imports,
exports or restamps these attributes reads them from `ATTRIBUTES`, so adding
one attribute is one entry here plus its columns and migration:

- `lib.models.inventory` builds the attribute columns of items and movements from it;
- `lib.ledger` restamps `STAMPED_FIELDS` onto movements when an item is edited;
- `lib.inventory.query` turns the `ItemFilters` fields named here into SQL;
- forms, the importer, the export and the pages take labels and catalogs from it.

Orders and production use the same attributes for requested and received stock.
"""
from __future__ import annotations

from dataclasses import dataclass

from lib.enums import CatalogKind, InventoryKind


@dataclass(frozen=True)
class Attribute:
    """One catalog attribute of an item: its column, vocabulary, label and where it applies."""

    key: str  # short name, e.g. "shape"; url key and widget suffix
    field: str  # column on items and movements, e.g. "shape_id"
    catalog: CatalogKind
    label: str  # what users read: "Shape"
    kinds: tuple[InventoryKind, ...] = tuple(InventoryKind)  # the item kinds it applies to

    @property
    def filter_field(self) -> str:
        """The `ItemFilters` field holding the chosen ids, e.g. "shape_ids"."""
        return f"{self.field}s"

    def applies_to(self, kind: InventoryKind) -> bool:
        return kind in self.kinds


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("finished_type", "finished_type_id", CatalogKind.FINISHED_TYPE, "Finished type",
              (InventoryKind.FINISHED,)),
    Attribute("ms_type", "ms_type_id", CatalogKind.MS_TYPE, "M&S type", (InventoryKind.MATERIALS,)),
    Attribute("shape", "shape_id", CatalogKind.SHAPE, "Shape"),
    Attribute("size", "size_id", CatalogKind.SIZE, "Size"),
    Attribute("colour", "colour_id", CatalogKind.COLOUR, "Colour"),
    Attribute("quality", "quality_id", CatalogKind.QUALITY, "Quality"),
)
"""The catalog attributes in display order."""

BY_FIELD: dict[str, Attribute] = {attribute.field: attribute for attribute in ATTRIBUTES}
BY_KEY: dict[str, Attribute] = {attribute.key: attribute for attribute in ATTRIBUTES}

STAMPED_FIELDS: tuple[str, ...] = ("product_id", "kind", *(attribute.field for attribute in ATTRIBUTES))
"""Item columns every ledger movement copies (locations are history and are never restamped)."""


def attribute(field_or_key: str) -> Attribute:
    """The attribute named by its column ("shape_id") or key ("shape")."""
    found = BY_FIELD.get(field_or_key) or BY_KEY.get(field_or_key)
    if found is None:
        raise KeyError(f"No catalog attribute {field_or_key!r}")
    return found


def fit_to_kind(kind: InventoryKind, values: dict) -> dict:
    """Clear the attributes that do not apply to `kind` (finished type only on Finished items, ...)."""
    for item in ATTRIBUTES:
        if not item.applies_to(kind):
            values[item.field] = None
    return values
