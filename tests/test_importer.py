"""lib.importer: good and bad files; every problem reported at once; nothing written unless all rows are good."""
from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from lib import ledger
from lib.errors import PermissionDenied, ValidationFailed
from lib.inventory import importer
from lib.models import (
    AuditEntry,
    CatalogEntry,
    CatalogKind,
    InventoryItem,
    InventoryKind,
    ItemStatus,
    MovementKind,
    Product,
    Role,
    StockMovement,
)
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
    ("dup.csv", b"Color,Colour,Product,Weight\nr,r,Ruby,1\n", "columns 'Color' and 'Colour' both mean Colour"),
    ("twice.csv", b"Product,Weight,Weight\nRuby,1,2\n", "columns 'Weight' and 'Weight' both mean Weight"),
    ("big.csv", b"Product,Weight\n" + b"x" * (10 * 1024 * 1024),
     r"big.csv is 10.0 MB; at most 10 MB can be imported at once. Split it into smaller files"),
    ("garbage.csv", bytes(range(256)) * 40, "not a text \\(CSV\\) file"),
    ("png.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00\x10" * 100, "not a text \\(CSV\\) file"),
])
def test_bad_files_get_a_clear_message(name, data, words):
    with pytest.raises(ValidationFailed, match=words):
        importer.read_sheet(name, data)


def test_rows_over_the_limit_are_refused_while_reading_with_how_to_split():
    header = ["Product", "Weight"]
    over = xlsx_bytes({"Big": [header] + [["Ruby", 1]] * 5001})
    with pytest.raises(ValidationFailed, match="sheet 'Big' of big.xlsx has more than 5,000 rows; at most 5,000 "
                                               "rows can be imported at once. Split it into files of at most 5,000"):
        importer.read_sheet("big.xlsx", over, "Big")
    lines = ["Product,Weight"] + ["Ruby,1"] * 5000
    assert len(importer.read_sheet("ok.csv", csv_bytes(*lines)).rows) == 5000
    assert len(importer.read_sheet("ok.csv", csv_bytes(*lines, "", ",", ""))
               .rows) == 5000  # empty rows are not counted
    with pytest.raises(ValidationFailed, match="more than 5,000 rows"):
        importer.read_sheet("over.csv", csv_bytes(*lines, "Ruby,1"))


def test_limits_are_configurable_and_reading_stops_at_the_first_row_over():
    with pytest.raises(ValidationFailed, match="at most 0.001 MB"):
        importer.read_sheet("a.csv", b"Product,Weight\n" + b"R,1\n" * 300, limits=importer.Limits(max_mb=0.001))
    tiny = importer.Limits(max_rows=3)
    data = b"Product,Weight\n" + b"R,1\n" * 200
    with pytest.raises(ValidationFailed, match="more than 3 rows"):
        importer.read_sheet("a.csv", data, limits=importer.Limits(max_rows=3))
    assert len(importer.read_sheet("a.csv", data, limits=importer.Limits(max_rows=200)).rows) == 200
    unreadable_later = b"Product,Weight\n" + b"R,1\n" * 4 + b"R," + b"9" * 200_000 + b"\n"
    with pytest.raises(ValidationFailed, match="could not be read as CSV"):
        importer.read_sheet("a.csv", unreadable_later)  # the csv module refuses a 200,000-character cell
    with pytest.raises(ValidationFailed, match="more than 3 rows"):
        importer.read_sheet("a.csv", unreadable_later, limits=tiny)  # ... which is never reached


def test_semicolon_csv_in_windows_encoding(session, books):
    name = books["ruby"].name
    data = f"Product;Weight;Notes\n{name};1,5;café\n".encode("cp1252")
    sheet = importer.read_sheet("excel.csv", data)
    assert sheet.rows[0][1]["notes"] == "café"
    preview = importer.preview(session, actor=books["admin"], sheet=sheet)
    assert preview.rows[0].problems == ["Weight must be a plain number: digits 0-9 and at most one decimal point, "
                                        "such as 12.5 (no commas, spaces, letters or exponents); got '1,5'"]


# --- bad input: every problem with its row number and column, nothing written ----------------------------------------

def problems_by_row(session, books, data: bytes, name="s.csv", **options):
    sheet = importer.read_sheet(name, data)
    checked = importer.preview(session, actor=books["admin"], sheet=sheet, **options)
    return {row.number: row.problems for row in checked.rows}, checked


def test_the_issues_bad_values_are_each_named_with_row_and_column(session, books):
    ruby, existing = books["ruby"].name, f.make_item(session, books["ruby"], books["north"], tag_id=f.unique("TAKEN"))
    before = counts(session)
    data = csv_bytes(
        "Product,Weight,Quantity,Weight unit,Location,Tag ID",
        f"{ruby},-1,,,,", f"{ruby},0,,,,", f"{ruby},NaN,,,,", f"{ruby},1e308,,,,", f'{ruby},"1,5",,,,',
        f"{ruby},1,2.5,,,", f"{ruby},1,,,,{existing.tag_id}", f"{ruby},1,,,,NEW-1", f"{ruby},1,,,,new-1",
        f"{ruby},1,,furlong,,", f"{ruby},1,,,Moon,", f"{ruby},1_5,,,,", f"{ruby},2e1,,,,", f"{ruby},١,,,,")
    by_row, checked = problems_by_row(session, books, data)
    plain = "must be a plain number: digits 0-9 and at most one decimal point"
    assert by_row[2] == ["Weight cannot be negative"]
    assert by_row[3] == ["Weight must be greater than zero"]
    assert all(len(by_row[n]) == 1 and by_row[n][0].startswith(f"Weight {plain}") for n in (4, 5, 13, 14, 15))
    assert by_row[6] == [f"Weight {plain}, such as 12.5 (no commas, spaces, letters or exponents); got '1,5'"]
    assert by_row[7] == ["Quantity must be a whole number of pieces (no fractions), got '2.5'"]
    assert by_row[8] == [f"Tag ID {existing.tag_id} is already in use; an import never changes existing records; "
                         "leave it empty to get a new tag"]
    assert by_row[9] == [] and by_row[10] == ["Tag ID NEW-1 is also in row 9; each tag once"]
    assert by_row[11][0].startswith("Weight unit 'furlong' is unknown; use one of mg, cg")
    assert by_row[12] == ["Location 'Moon' is unknown or inactive"]
    assert checked.bad_rows == 13
    with pytest.raises(ValidationFailed, match="Nothing was imported: 13 problem"):
        importer.commit(session, actor=books["admin"], sheet=checked.sheet)
    assert counts(session) == before


def test_a_decimal_comma_in_a_semicolon_file_is_refused(session, books):
    by_row, _ = problems_by_row(session, books, f"Product;Weight\n{books['ruby'].name};1,5\n".encode())
    assert by_row[2] == ["Weight must be a plain number: digits 0-9 and at most one decimal point, such as 12.5 "
                         "(no commas, spaces, letters or exponents); got '1,5'"]


def test_messages_name_the_files_own_header(session, books):
    ruby = books["ruby"].name
    by_row, checked = problems_by_row(session, books, csv_bytes("product name,Color,GEWICHT,weight", f"{ruby},Z,x,abc"))
    assert by_row[2][0] == "Color 'Z' is not in the colour catalog"
    assert by_row[2][1].startswith("weight must be a plain number")
    assert checked.sheet.ignored_columns == ("GEWICHT",)
    by_row, _ = problems_by_row(session, books, csv_bytes("Product,Weight,Colour,M&S Type,Kind",
                                                          f"{ruby},1,Z,Y,Rough"))
    assert by_row[2] == ["M&S Type is only for items of kind Materials & Supplies",
                         "Colour 'Z' is not in the colour catalog"]


def test_the_preview_puts_problems_first(session, books):
    _rows, checked = problems_by_row(session, books, csv_bytes("Weight,Product,Shape",
                                                                 f"1,{books['ruby'].name},", "x,Nope,Blob"))
    frame = checked.frame()
    assert list(frame.columns) == ["Problems", "Row", "Product", "Shape", "Weight"]
    assert frame["Problems"].iloc[0] == "OK" and "Shape 'Blob' is not in the shape catalog" in frame["Problems"].iloc[1]
    assert checked.bad_rows == 1


def test_formula_cells_are_row_problems_and_guarded_text_is_kept(session, books):
    ruby = books["ruby"].name
    book = xlsx_bytes({"Stock": [["Product", "Weight", "Notes"], [ruby, 1, '=HYPERLINK("http://x","click")'],
                                 [ruby, "=1+1", "fine"]]})
    by_row, _ = problems_by_row(session, books, book, "f.xlsx")
    assert by_row == {2: ["Notes is a formula; put the value itself in the cell"],
                      3: ["Weight is a formula; put the value itself in the cell"]}
    text = csv_bytes("Product,Weight,Notes,Tag ID", f'{ruby},1,=HYPERLINK("x"),', f"{ruby},1,'=SUM(A1),'-1-1")
    by_row, checked = problems_by_row(session, books, text)
    assert by_row == {2: ["Notes is a formula; put the value itself in the cell"], 3: []}
    assert (checked.rows[1].draft.notes, checked.rows[1].draft.tag_id) == ("=SUM(A1)", "-1-1")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252",
                                      "latin-1"])
def test_csv_in_any_common_encoding(session, books, encoding):
    separator = "\t" if encoding.startswith("utf-16") else ","  # Excel's "Unicode text" is tab-separated UTF-16
    text = separator.join(["Product", "Weight", "Notes"]) + "\n" + separator.join([books["ruby"].name, "1",
                                                                                   "café Ø"]) + "\n"
    by_row, checked = problems_by_row(session, books, text.encode(encoding))
    assert by_row == {2: []} and checked.rows[0].draft.notes == "café Ø"


def test_a_sheet_with_only_a_header_and_duplicate_headers_are_file_problems():
    with pytest.raises(ValidationFailed, match="no data rows"):
        importer.read_sheet("h.xlsx", xlsx_bytes({"S": [["Product", "Weight"], [None, None]]}))
    with pytest.raises(ValidationFailed, match="both mean Product"):
        importer.read_sheet("h.csv", b"Product,product name,Weight\nA,A,1\n")


# --- the export's columns: round trip rules -------------------------------------------------------------------------

def test_export_headers_are_read_and_derived_columns_noted():
    sheet = importer.read_sheet("export.csv", csv_bytes(
        "Tag ID,Product,Kind,Finished type,M&S type,Shape,Size,Colour,Quality,Quantity,Weight,Weight unit,"
        "Weight (g),Location,Status,Created,Notes", "A1,Ruby,Rough,,,,,,,0,1,ct,0.2,North,Available,2024-01-02 10:00,"))
    assert set(sheet.columns) == {"tag_id", "product", "type", "finished_type", "ms_type", "shape", "size", "colour",
                                  "quality", "quantity", "weight", "weight_unit", "location", "status", "created",
                                  "notes"}
    assert sheet.ignored_columns == ("Weight (g)",)
    assert sheet.notes == ("Weight (g) is worked out from Weight and Weight unit, so it is ignored.",)


def test_kind_status_created_and_tag_are_honoured(session, books):
    ruby, south = books["ruby"].name, books["south"].name
    tag = f.unique("KEEP")
    sheet = importer.read_sheet("s.csv", csv_bytes(
        "Tag ID,Product,Kind,M&S type,Quantity,Weight,Weight unit,Location,Status,Created",
        f"{tag},{ruby},Rough,,0,2.5,ct,{south},On hold,2024-02-03 04:05",
        f",{ruby},Materials & Supplies,,3,1,g,,Consumed,",
        f",{ruby},Finished,,0,0,g,,Consumed,2023-12-31",
        f",{ruby},Finished,,0,0,g,,archived,",
        f",{ruby},Finished,,1,1,g,,,2999-01-01"))
    checked = importer.preview(session, actor=books["admin"], sheet=sheet)
    assert checked.rows[1].problems == ["Status Consumed: such a record holds no stock, so Quantity and Weight must "
                                        "be 0 (leave Status empty to import stock)"]
    assert checked.rows[4].problems == ["Created '2999-01-01' cannot be in the future"]
    good = importer.Sheet(sheet.file_name, None, sheet.columns, (), (sheet.rows[0], sheet.rows[2], sheet.rows[3]))
    result = importer.commit(session, actor=books["admin"], sheet=good)
    held, consumed, archived = (session.scalars(select(InventoryItem).where(InventoryItem.tag_id == t)).one()
                                for t in result.tags)
    assert (held.tag_id, held.kind, held.status, held.weight, held.weight_unit, held.location_id) == (
        tag, InventoryKind.ROUGH, ItemStatus.ON_HOLD, Decimal("2.5"), "ct", books["south"].id)
    assert held.created_at.replace(tzinfo=None) == datetime(2024, 2, 3, 4, 5)
    assert (consumed.status, consumed.quantity, consumed.weight) == (ItemStatus.CONSUMED, 0, 0)
    assert consumed.created_at.replace(tzinfo=None) == datetime(2023, 12, 31, 12, 0)
    assert archived.status is ItemStatus.ARCHIVED
    assert session.scalar(select(func.count()).where(StockMovement.item_id.in_([consumed.id, archived.id]))) == 0
    assert ledger.verify(session) == []


def test_generated_tags_skip_the_tags_typed_in_the_same_file(session, books):
    ruby = books["ruby"]
    prefix = "I" + ruby.short_name
    sheet = importer.read_sheet("s.csv", csv_bytes("Tag ID,Product,Weight", f"{prefix}0002,{ruby.name},1",
                                                   f",{ruby.name},1", f",{ruby.name},1"))
    result = importer.commit(session, actor=books["admin"], sheet=sheet)
    assert result.tags == (f"{prefix}0002", f"{prefix}0001", f"{prefix}0003")


# --- writing in bulk, inside the ledger's rules ---------------------------------------------------------------------

def test_bulk_import_writes_opening_movements_audit_and_reports_progress(session, books):
    ruby, jade = books["ruby"].name, books["jade"].name
    lines = ["Product,Weight,Weight unit,Quantity"] + [f"{(ruby, jade)[n % 2]},{n + 1}.25,ct,{n % 3}"
                                                       for n in range(300)]
    sheet = importer.read_sheet("bulk.csv", csv_bytes(*lines))
    seen = []
    result = importer.commit(session, actor=books["admin"], sheet=sheet,
                             progress=lambda done, text: seen.append(done))
    assert (result.added, result.merged, len(set(result.tags))) == (300, 0, 300)
    assert seen == sorted(seen) and seen[-1] == 1.0
    items = session.scalars(select(InventoryItem).where(InventoryItem.tag_id.in_(result.tags))).all()
    moves = {m.item_id: m for m in session.scalars(select(StockMovement).where(
        StockMovement.item_id.in_([i.id for i in items])))}
    assert len(moves) == 300
    for item in items:
        move = moves[item.id]
        assert (move.movement_kind, move.quantity_delta, move.weight_delta, move.quantity_after, move.weight_after,
                move.product_id, move.kind) == (MovementKind.IMPORT, item.quantity, item.weight, item.quantity,
                                                item.weight, item.product_id, item.kind)
        assert move.reference == f"import bulk.csv row {int(item.weight) + 1}"
    entries = session.scalars(select(AuditEntry.action).where(AuditEntry.user_id == books["admin"].user_id)).all()
    assert entries.count("import item") == 300 and entries.count("import file") == 1
    assert ledger.verify(session) == []


# --- create missing products and catalog values -----------------------------------------------------------------------

def test_unknown_names_stay_row_problems_without_create_missing(session, books):
    by_row, checked = problems_by_row(session, books, csv_bytes("Product,Weight,Colour", "Padparadscha,1,Sunset"))
    assert by_row[2] == ["Product 'Padparadscha' is not in the catalog",
                         "Colour 'Sunset' is not in the colour catalog"]
    assert checked.new_products == () and checked.new_values == ()


def test_create_missing_lists_then_creates_products_and_values_audited(session, books):
    name = f.unique("Padparadscha Sapphire ")
    colour, other = f.unique("Sunset "), f.unique("Lotus ")
    shape = books["names"][CatalogKind.SHAPE].name
    data = csv_bytes("Product,Weight,Colour,Shape,Kind,M&S type", f"{name},1,{colour},{shape},,",
                     f"{name.upper()},2,{colour.lower()},,,", f"{books['ruby'].name},3,{other},,,",
                     f"{name},4,,,Materials & Supplies,{f.unique('Wire ')}")
    _rows, checked = problems_by_row(session, books, data, create_missing=True)
    assert checked.ok, checked.problems
    short = checked.new_products[0].short_name
    assert [(p.name, p.rows) for p in checked.new_products] == [(name, 3)] and short.startswith("PS-")
    assert [(v.attribute, v.name, v.rows) for v in checked.new_values] == [
        ("colour", colour, 2), ("colour", other, 1), ("ms_type", checked.new_values[2].name, 1)]
    frame = checked.creations_frame()
    assert list(frame.columns) == ["Creates", "Name", "Short name", "Rows"]
    assert frame.iloc[0].tolist() == ["Product", name, short, 3] and frame.iloc[1].tolist()[0] == "Colour"
    result = importer.commit(session, actor=books["admin"], sheet=checked.sheet, create_missing=True)
    assert (result.added, result.created_products, result.created_values) == (4, 1, 3)
    product = session.scalars(select(Product).where(Product.name == name)).one()
    assert product.short_name == short and product.active
    new_colour = session.scalars(select(CatalogEntry).where(CatalogEntry.name == colour)).one()
    colours = session.scalars(select(InventoryItem.colour_id).where(InventoryItem.tag_id.in_(result.tags))).all()
    assert colours.count(new_colour.id) == 2
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.user_id == books["admin"].user_id)).all()
    assert actions.count("add product") == 1 and actions.count("add catalog entry") == 3
    assert all(tag.startswith("I" + short) for tag in result.tags[:2])
    assert ledger.verify(session) == []


def test_create_missing_is_for_admins_and_checks_new_names(session, books):
    sheet = importer.read_sheet("s.csv", csv_bytes("Product,Weight,Size", f"{'x' * 121},1,ok",
                                                   f"{books['ruby'].name},1,{'y' * 121}"))
    checked = importer.preview(session, actor=books["admin"], sheet=sheet, create_missing=True)
    assert checked.rows[0].problems == ["Product may be at most 120 characters (got 121)"]
    assert checked.rows[1].problems == ["Size may be at most 120 characters (got 121)"]
    with pytest.raises(PermissionDenied):
        importer.preview(session, actor=books["manager"], sheet=sheet, create_missing=True)


# --- the template ---------------------------------------------------------------------------------------------------------

def test_the_template_reads_back_as_an_empty_sheet_with_every_column(session, books):
    csv_file = importer.template(session, actor=books["admin"], fmt="csv")
    assert csv_file.data.decode().strip() == ("Tag ID,Product,Kind,Finished type,M&S type,Shape,Size,Colour,Quality,"
                                              "Quantity,Weight,Weight unit,Location,Status,Created,Notes")
    with pytest.raises(ValidationFailed, match="no data rows"):
        importer.read_sheet(csv_file.filename, csv_file.data)
    xlsx = importer.template(session, actor=books["admin"], fmt="xlsx")
    assert importer.sheet_names(xlsx.filename, xlsx.data) == ["Inventory", "Allowed values", "Columns"]
    workbook = load_workbook(io.BytesIO(xlsx.data))
    allowed = {column[0].value: [cell.value for cell in column[1:] if cell.value is not None]
               for column in workbook["Allowed values"].iter_cols()}
    assert books["names"][CatalogKind.SHAPE].name in allowed["Shape"]
    assert books["ruby"].name in allowed["Product"] and allowed["Kind"] == ["Rough", "Finished",
                                                                            "Materials & Supplies"]
    assert books["south"].name in allowed["Location"] and "ct" in allowed["Weight unit"]
    filled = xlsx_bytes({"Inventory": [[c.value for c in workbook["Inventory"][1]],
                                       [None, books["ruby"].name, "Finished", None, None,
                                        books["names"][CatalogKind.SHAPE].name, None, None, None, 2, 1.5, "ct"]]})
    result = importer.commit(session, actor=books["admin"], sheet=importer.read_sheet("t.xlsx", filled))
    assert result.added == 1


def test_xlsx_dates_and_numbers_are_read_by_type():
    book = xlsx_bytes({"S": [["Product", "Weight", "Created", "Quantity"],
                             ["Ruby", 1.23456, datetime(2024, 3, 4), 2.0],
                             ["Ruby", 1e24, datetime(2024, 3, 4, 5, 6, 7), 3]]})
    rows = [values for _number, values in importer.read_sheet("d.xlsx", book).rows]
    assert [(r["weight"], r["created"], r["quantity"]) for r in rows] == [
        ("1.23456", "2024-03-04", "2"), ("1000000000000000000000000", "2024-03-04 05:06:07", "3")]


def test_auto_merge_that_would_not_be_exact_adds_a_record_with_a_note(session, books):
    ruby = books["ruby"].name
    first = importer.commit(session, actor=books["admin"], sheet=importer.read_sheet(
        "a.csv", csv_bytes("Product,Weight,Weight unit", f"{ruby},1,ozt")))
    sheet = importer.read_sheet("b.csv", csv_bytes("Product,Weight,Weight unit", f"{ruby},0.0001,g",
                                                   f"{ruby},31.1035,g", f"{ruby},1,g,"))
    result = importer.commit(session, actor=books["admin"], sheet=sheet, auto_merge=True)
    assert (result.added, result.merged) == (2, 1)
    assert result.notes == (f"Row 2: Not merged into {first.tags[0]}: 0.000100 g does not convert exactly to ozt, "
                            "so a new record was added.", f"Row 4: Not merged into {first.tags[0]}: 1.000 g does not "
                            "convert exactly to ozt, so a new record was added.")
    assert result.tags[1] == first.tags[0] and result.tags[0] != first.tags[0]
    assert ledger.verify(session) == []


def test_text_cells_follow_the_one_text_rule(session, books):
    """A sheet cell is typed text too: direction controls are row problems and nothing is written.

    (A CSV holding NUL or other control bytes is refused whole as "not a text file"; XLSX cannot hold them.)
    """
    ruby, location = books["ruby"].name, books["north"].name
    before = counts(session)
    data = csv_bytes("Product,Weight,Location,Notes", f"{ruby},1,{location},invoice\u202etxt.exe",
                     f"{ruby}\u202e,1,{location},")
    problems, _checked = problems_by_row(session, books, data, create_missing=True)
    assert [problem for row in problems.values() for problem in row] == [
        "Notes contains a text-direction control character (U+202E): remove it and try again",
        "Product contains a text-direction control character (U+202E): remove it and try again"]
    with pytest.raises(ValidationFailed):
        importer.commit(session, actor=books["admin"], sheet=importer.read_sheet("s.csv", data), create_missing=True)
    assert counts(session) == before
