"""lib.importer: good and bad files; every problem reported at once; nothing written unless all rows are good."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lib import ledger
from lib.errors import PermissionDenied, ValidationFailed
from lib.inventory import importer
from lib.models import CatalogKind, InventoryItem, InventoryKind, MovementKind, Role, StockMovement
from tests import factories as f


@pytest.fixture
def books(session):
    """Admin, North (own location of the manager) and South; products Ruby (RUB) and Jade; a few catalog names."""
    f.make_workspace(session, tag_prefix="I", default_weight_unit="g")
    north, south = f.make_location(session), f.make_location(session)
    admin = f.make_user(session, Role.ADMIN, north)
    manager = f.make_user(session, Role.MANAGER, north)
    ruby = f.make_product(session, f.unique("Ruby "), f.unique("RB"))
    jade = f.make_product(session, f.unique("Jade "), f.unique("JD"))
    names = {kind: f.make_catalog(session, kind) for kind in (CatalogKind.SHAPE, CatalogKind.QUALITY,
                                                                CatalogKind.COLOUR, CatalogKind.SIZE,
                                                                CatalogKind.FINISHED_TYPE)}
    return dict(admin=f.actor(session, admin), manager=f.actor(session, manager), north=north, south=south,
                ruby=ruby, jade=jade, names=names)


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def counts(session):
    return (session.scalar(select(func.count()).select_from(InventoryItem)),
            session.scalar(select(func.count()).select_from(StockMovement)))


def test_headers_match_ignoring_case_and_spacing():
    assert importer.normalise_header(" Weight_Unit ") == importer.normalise_header("weight unit") == "weightunit"
    sheet = importer.read_sheet("stock.csv", csv_bytes("PRODUCT,  weight ,Weight-Unit,Colour,Finished type,extra",
                                                         "Ruby,1,g,Red,Rings,zzz"))
    assert set(sheet.columns) == {"product", "weight", "weight_unit", "colour", "finished_type"}
    assert sheet.ignored_columns == ("extra",)


def test_good_csv_imports_every_row_in_one_go(session, books):
    names = books["names"]
    data = csv_bytes(
        "Product,Type,Finished Type,Quantity,Weight,Weight Unit,Quality,Location,Color,Shape,Size,Notes",
        f"{books['ruby'].name},Finished,{names[CatalogKind.FINISHED_TYPE].name},2,1.5,ct,"
        f"{names[CatalogKind.QUALITY].name},{books['south'].name},{names[CatalogKind.COLOUR].name},"
        f"{names[CatalogKind.SHAPE].name},{names[CatalogKind.SIZE].name},<script>x</script>",
        f"{books['jade'].name.upper()},rough,,,12.25,,,,,,,",
        ",,,,,,,,,,,",  # empty rows are skipped
        f"{books['jade'].short_name},Materials & Supplies,,3,2,Grams,,,,,,")
    sheet = importer.read_sheet("stock.csv", data)
    preview = importer.preview(session, actor=books["admin"], sheet=sheet)
    assert preview.ok, preview.problems
    assert [row.number for row in preview.rows] == [2, 3, 5]
    result = importer.commit(session, actor=books["admin"], sheet=sheet)
    assert (result.added, result.merged) == (3, 0)
    items = session.scalars(select(InventoryItem).where(InventoryItem.tag_id.in_(result.tags))
                            .order_by(InventoryItem.id)).all()
    first, rough, supplies = items
    assert (first.quantity, first.weight, first.weight_unit, first.location_id) == (2, Decimal("1.5"), "ct",
                                                                                    books["south"].id)
    assert first.notes == "<script>x</script>" and first.shape_id == names[CatalogKind.SHAPE].id
    assert (rough.kind, rough.quantity, rough.weight_unit, rough.location_id) == (InventoryKind.ROUGH, 0, "g",
                                                                                  books["north"].id)
    assert (supplies.kind, supplies.quantity) == (InventoryKind.MATERIALS, 3)
    kinds = session.scalars(select(StockMovement.movement_kind).where(StockMovement.item_id.in_(
        [i.id for i in items]))).all()
    assert set(kinds) == {MovementKind.IMPORT}
    assert ledger.verify(session) == []


def test_every_problem_of_every_row_is_reported_and_nothing_written(session, books):
    data = csv_bytes(
        "Product,Weight,Quantity,Weight Unit,Location,Type,Shape",
        "Unobtainium,abc,1.5,furlong,Atlantis,Preform,Blob",  # 7 problems in one row
        f"{books['ruby'].name},0,,,,,",
        f"{books['ruby'].name},NaN,two,,,,",
        f"{books['ruby'].name},inf,-1,,,,",
        f"{books['ruby'].name},,,,,,",
        f"{books['ruby'].name},1,,,,,")  # the one good row
    before = counts(session)
    sheet = importer.read_sheet("bad.csv", data)
    preview = importer.preview(session, actor=books["admin"], sheet=sheet)
    assert not preview.ok
    by_row = {row.number: row.problems for row in preview.rows}
    assert len(by_row[2]) == 7 and by_row[7] == []
    assert any("Unobtainium" in p for p in by_row[2]) and any("furlong" in p for p in by_row[2])
    assert any("Atlantis" in p for p in by_row[2]) and any("whole number" in p for p in by_row[2])
    assert "greater than zero" in by_row[3][0] and len(by_row[4]) == 2 and len(by_row[5]) == 2
    assert by_row[6] == ["Weight is required"]
    assert preview.frame()["Problems"].iloc[-1] == "OK"
    with pytest.raises(ValidationFailed) as caught:
        importer.commit(session, actor=books["admin"], sheet=sheet)
    assert len(caught.value.problems) == len(preview.problems) == 7 + 1 + 2 + 2 + 1
    assert caught.value.problems[0].startswith("Row 2: ")
    assert counts(session) == before


def test_location_outside_the_importers_scope_is_a_row_problem(session, books):
    sheet = importer.read_sheet("s.csv", csv_bytes("Product,Weight,Location",
                                                   f"{books['ruby'].name},1,{books['south'].name}"))
    narrow = books["admin"].__class__(**{**books["admin"].__dict__, "location_ids": frozenset({books["north"].id})})
    preview = importer.preview(session, actor=narrow, sheet=sheet)
    assert preview.rows[0].problems == [f"Location {books['south'].name!r} is outside the locations you work with"]


def test_import_is_admin_only(session, books):
    sheet = importer.read_sheet("s.csv", csv_bytes("Product,Weight", f"{books['ruby'].name},1"))
    with pytest.raises(PermissionDenied, match="import inventory"):
        importer.preview(session, actor=books["manager"], sheet=sheet)


def test_workbook_sheets_are_listed_and_chosen(session, books):
    data = xlsx_bytes({"Notes": [["hello"]], "Stock": [["Product", "Weight", "Quantity"],
                                                       [books["ruby"].name, 1.25, 2], [books["jade"].name, 3, 1.0]]})
    assert importer.sheet_names("book.xlsx", data) == ["Notes", "Stock"]
    with pytest.raises(ValidationFailed, match="required column.*Product, Weight"):
        importer.read_sheet("book.xlsx", data, "Notes")
    sheet = importer.read_sheet("book.xlsx", data, "Stock")
    result = importer.commit(session, actor=books["admin"], sheet=sheet)
    weights = session.scalars(select(InventoryItem.weight).where(InventoryItem.tag_id.in_(result.tags))
                              .order_by(InventoryItem.id)).all()
    assert result.added == 2 and weights == [Decimal("1.25"), Decimal("3")]


def test_auto_merge_rows_into_existing_records_and_each_other(session, books):
    ruby = books["ruby"].name
    first = importer.commit(session, actor=books["admin"], sheet=importer.read_sheet(
        "a.csv", csv_bytes("Product,Weight,Weight Unit,Quantity", f"{ruby},1,g,1")))
    sheet = importer.read_sheet("b.csv", csv_bytes("Product,Weight,Weight Unit,Quantity", f"{ruby},5,ct,1",
                                                   f"{ruby},2,g,2", f"{books['jade'].name},1,g,1",
                                                   f"{books['jade'].name},1,g,1"))
    result = importer.commit(session, actor=books["admin"], sheet=sheet, auto_merge=True)
    assert (result.added, result.merged) == (1, 3)
    merged = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == first.tags[0])).one()
    assert (merged.quantity, merged.weight) == (4, Decimal("4"))  # 1 g + 5 ct (1 g) + 2 g
    assert ledger.verify(session) == []


@pytest.mark.parametrize("name, data, words", [
    ("empty.csv", b"", "empty"),
    ("notes.txt", b"Product,Weight\nRuby,1\n", "use a CSV, XLS or XLSX"),
    ("fake.xlsx", b"Product,Weight\nRuby,1\n", "could not be read as XLSX"),
    ("fake.xls", b"\x00\x01garbage" * 20, "could not be read as XLS"),
    ("header.csv", b"Product,Weight\n", "no data rows"),
    ("blank.csv", b"\n\n", "no header row"),
    ("cols.csv", b"Name,Grams\nRuby,1\n", "required columns missing: Product, Weight"),
    ("dup.csv", b"Color,Colour,Product,Weight\nr,r,Ruby,1\n", "both mean Color"),
    ("big.csv", b"Product,Weight\n" + b"x" * (10 * 1024 * 1024), "over the 10 MB limit"),
])
def test_bad_files_get_a_clear_message(name, data, words):
    with pytest.raises(ValidationFailed, match=words):
        importer.read_sheet(name, data)


def test_2001_rows_are_refused_2000_accepted():
    header = ["Product", "Weight"]
    over = xlsx_bytes({"Big": [header] + [["Ruby", 1]] * 2001})
    with pytest.raises(ValidationFailed, match="sheet 'Big' of big.xlsx: 2,001 rows; at most 2,000"):
        importer.read_sheet("big.xlsx", over, "Big")
    lines = ["Product,Weight"] + ["Ruby,1"] * 2000
    assert len(importer.read_sheet("ok.csv", csv_bytes(*lines)).rows) == 2000


def test_semicolon_csv_in_windows_encoding(session, books):
    name = books["ruby"].name
    data = f"Product;Weight;Notes\n{name};1,5;café\n".encode("cp1252")
    sheet = importer.read_sheet("excel.csv", data)
    assert sheet.rows[0][1]["notes"] == "café"
    preview = importer.preview(session, actor=books["admin"], sheet=sheet)
    assert preview.rows[0].problems == ["Weight '1,5': write numbers without commas, with a dot for decimals (1.5)"]
