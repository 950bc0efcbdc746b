"""Round trip: the Inventory export of a few hundred items of every kind imports into an empty workspace unchanged.

Workspace A (the test's rolled-back session) holds 300 items made through the stock actions: Rough, Finished
and Materials & Supplies, every catalog attribute, units ct / g / ozt, typed and generated tags (one of them
`-1-1`), notes that look like formulas, past creation dates, and items on hold, consumed and archived. Its
export (CSV and XLSX) is imported into a new, empty database B that has only the same two locations and an
admin, with "Create missing products and catalog values". B's items must equal A's field by field, and B's
own export must be the same file as A's.
"""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from random import Random

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import aliased

from lib import db, ledger
from lib.classification import ATTRIBUTES
from lib.inventory import export, forms, importer, stock
from lib.inventory.query import ItemFilters
from lib.models import CatalogEntry, CatalogKind, InventoryItem, InventoryKind, ItemStatus, Location, Product, Role
from tests import factories as f

ITEMS = 300


def _fill_workspace_a(session) -> object:
    f.make_workspace(session, tag_prefix="A", default_weight_unit="g")
    north, south = f.make_location(session, "North Bench"), f.make_location(session, "South Vault")
    admin = f.actor(session, f.make_user(session, Role.ADMIN, north, username=f.unique("roundtrip")))
    names = {a.catalog: [f.make_catalog(session, a.catalog, f"{a.label} {n}").id for n in range(4)]
             for a in ATTRIBUTES}
    products = [f.make_product(session, name, short) for name, short in
                (("Round Diamond", "RD"), ("Emerald", "EM"), ("Gold Wire 18k", "GW"), ("Ruby, pigeon's blood", "RB"),
                 ("Silver Chain", "SC"))]
    rng = Random(42)
    notes = ["", "=HYPERLINK(\"http://x\")", "-1-1", "+44 stock", "@home", "café, \"quoted\"", "two\nlines"]
    for number in range(ITEMS):
        kind = list(InventoryKind)[number % 3]
        values = {a.field: rng.choice(names[a.catalog]) if a.applies_to(kind) and rng.random() < 0.8 else None
                  for a in ATTRIBUTES}
        data = forms.NewItem(product_id=rng.choice(products).id, kind=kind, weight=f"{rng.randint(1, 999_999)}.{rng.randint(0, 9999):04d}",
                             weight_unit=rng.choice(("ct", "g", "ozt")), quantity=rng.randint(0, 40),
                             location_id=(north, south)[number % 2].id, notes=notes[number % len(notes)],
                             created_on=date.today() - timedelta(days=rng.randint(0, 900)),
                             tag_id="-1-1" if number == 7 else (f"OLD-{number}" if number % 10 == 0 else ""),
                             **values)
        added = stock.add_item(session, actor=admin, data=data)
        if number % 17 == 1:
            stock.set_status(session, actor=admin, item_id=added.item_id, status=ItemStatus.ON_HOLD)
        elif number % 17 == 2:
            item = session.get(InventoryItem, added.item_id)
            stock.adjust(session, actor=admin, item_id=item.id, quantity_delta=-item.quantity,
                         weight_delta=-item.weight, reason="used up")
        elif number % 17 == 3:
            stock.archive(session, actor=admin, item_id=added.item_id, reason="lost")
    assert ledger.verify(session) == []
    return admin


def _items(session) -> dict[str, tuple]:
    """Every item by tag: product, kind, balance, unit, classification names, location, status, created, notes."""
    product, location = aliased(Product), aliased(Location)
    catalogs = {a.field: aliased(CatalogEntry) for a in ATTRIBUTES}
    stmt = (select(InventoryItem, product.name, location.name, *(c.name for c in catalogs.values()))
            .join(product, product.id == InventoryItem.product_id).join(location, location.id == InventoryItem.location_id))
    for field, entry in catalogs.items():
        stmt = stmt.outerjoin(entry, entry.id == getattr(InventoryItem, field))
    found = {}
    for item, product_name, location_name, *attribute_names in session.execute(stmt):
        found[item.tag_id] = (product_name, item.kind, item.quantity, Decimal(item.weight), item.weight_unit,
                              tuple(attribute_names), location_name, item.status,
                              item.created_at.replace(second=0, microsecond=0), item.notes)
    return found


def _export(session, actor, fmt: str) -> tuple[str, bytes]:
    exported = export.export_items(session, actor=actor, filters=ItemFilters(), fmt=fmt, unit="g")
    try:
        return exported.filename, exported.path.read_bytes()
    finally:
        exported.path.unlink(missing_ok=True)


def _rows(fmt: str, data: bytes) -> list[list]:
    if fmt == "csv":
        return list(csv.reader(io.StringIO(data.decode("utf-8"))))
    return [list(row) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_reimports_into_an_empty_workspace_unchanged(session, fresh_engine, fmt):
    admin_a = _fill_workspace_a(session)
    before = _items(session)
    assert len(before) == ITEMS and {kind for _p, kind, *_rest in before.values()} == set(InventoryKind)
    assert {status for *_x, status, _c, _n in before.values()} == set(ItemStatus)
    filename, data = _export(session, admin_a, fmt)

    with db.session_scope(fresh_engine, write=True) as b:
        f.make_workspace(b, tag_prefix="B", default_weight_unit="g")
        f.make_location(b, "North Bench"), f.make_location(b, "South Vault")
        admin_b = f.actor(b, f.make_user(b, Role.ADMIN, None, username="importer"))
    with db.session_scope(fresh_engine) as b:
        sheet = importer.read_sheet(filename, data)
        checked = importer.preview(b, actor=admin_b, sheet=sheet, create_missing=True)
    assert checked.ok, checked.problems[:5]
    assert sheet.notes == ("Weight (g) is worked out from Weight and Weight unit, so it is ignored.",)
    assert {p.name for p in checked.new_products} == {p for p, *_rest in before.values()}
    with db.session_scope(fresh_engine, write=True) as b:
        result = importer.commit(b, actor=admin_b, sheet=sheet, create_missing=True)
    assert (result.added, result.merged) == (ITEMS, 0)

    with db.session_scope(fresh_engine) as b:
        after = _items(b)
        assert ledger.verify(b) == []
        assert b.scalar(select(CatalogEntry.id).where(CatalogEntry.catalog == CatalogKind.PRODUCT_TYPE)) is None
        _again, exported_again = _export(b, admin_b, fmt)
    assert after == before
    assert _rows(fmt, exported_again) == _rows(fmt, data)
