"""Exports that spreadsheets understand: typed XLSX cells, CSV text that never becomes a formula, the on-screen sort.

Story: a workshop's records carry typed tag IDs such as `-1-1` and notes like `=HYPERLINK(...)`.
"""
from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from lib import spreadsheet
from lib.inventory import export
from lib.inventory.query import ItemFilters
from lib.models import InventoryKind, Role
from tests import factories as f

HOSTILE = "=HYPERLINK(\"http://evil.example\",\"click\")"


@pytest.fixture
def shop(session):
    f.make_workspace(session)
    north = f.make_location(session)
    admin = f.actor(session, f.make_user(session, Role.ADMIN))
    product = f.make_product(session, name=f.unique("+Ring "), short_name=f.unique("RNG"))
    first = f.make_item(session, product, north, quantity=3, weight="1.2345", unit="ct", tag_id="-1-1")
    first.notes = HOSTILE
    second = f.make_item(session, product, north, quantity=1, weight="10.5", unit="g", tag_id="@A1",
                         kind=InventoryKind.ROUGH)
    session.flush()
    return dict(admin=admin, product=product, first=first, second=second)


def _export(session, shop, fmt, **kwargs):
    exported = export.export_items(session, actor=shop["admin"], fmt=fmt, unit="g",
                                   filters=ItemFilters(product_ids=(shop["product"].id,)), **kwargs)
    return exported.path


def test_csv_text_cells_never_start_like_a_formula(session, shop):
    path = _export(session, shop, "csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    path.unlink()
    header, lines = rows[0], rows[1:]
    by_tag = {line[0]: dict(zip(header, line)) for line in lines}
    assert set(by_tag) == {"'-1-1", "'@A1"}
    assert by_tag["'-1-1"]["Notes"] == "'" + HOSTILE
    assert by_tag["'-1-1"]["Product"] == "'" + shop["product"].name
    assert by_tag["'-1-1"]["Weight"] == "1.2345" and by_tag["'-1-1"]["Weight (g)"] == "0.2469"
    assert datetime.strptime(by_tag["'@A1"]["Created"], "%Y-%m-%d %H:%M")


def test_xlsx_cells_are_typed_and_text_stays_text(session, shop):
    path = _export(session, shop, "xlsx")
    sheet = load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2)]
    path.unlink()
    by_tag = {row["Tag ID"].value: row for row in rows}
    assert set(by_tag) == {"-1-1", "@A1"}
    first = by_tag["-1-1"]
    assert first["Notes"].data_type == "s" and first["Notes"].value == HOSTILE
    assert first["Tag ID"].data_type == "s"
    assert first["Quantity"].data_type == "n" and first["Quantity"].value == 3
    assert first["Weight"].data_type == "n" and Decimal(str(first["Weight"].value)) == Decimal("1.2345")
    assert isinstance(first["Created"].value, datetime) and first["Created"].number_format == spreadsheet.DATE_FORMAT
    assert by_tag["@A1"]["Kind"].value == "Rough"


def test_exports_follow_the_sort_on_screen(session, shop):
    for fmt in ("csv", "xlsx"):
        path = _export(session, shop, fmt, sort="weight", descending=True)
        if fmt == "csv":
            with open(path, newline="", encoding="utf-8") as handle:
                tags = [line[0] for line in list(csv.reader(handle))[1:]]
            assert tags == ["'@A1", "'-1-1"]  # 10.5 g before 1.2345 ct
        else:
            tags = [row[0] for row in load_workbook(path).active.iter_rows(min_row=2, values_only=True)]
            assert tags == ["@A1", "-1-1"]
        path.unlink()
