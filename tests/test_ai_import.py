"""Import using AI (issue 17, item 4): three messy sheets written here (a jeweler's stone list with "Wt (ct)" and
"2.5ct" cells, a gold stock sheet in dwt with decimal commas, an XLSX with two sheets) import through an AI
mapping to the same items as a hand-cleaned import; bad answers and bad sheets are refused with a message.
The model is the real HTTP server of tests/fake_llm.py."""
from __future__ import annotations

import io
import json
from contextlib import nullcontext
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from lib.errors import ConfigurationError, PermissionDenied, ValidationFailed
from lib.inventory import import_ai, importer
from lib.llm import metering
from lib.models import AiUsage, InventoryItem, Product, Role
from tests import factories as f
from tests.fake_llm import Behaviour, fake_llm  # noqa: F401  (fixture)
from tests.test_ai_summary import llm_settings


@pytest.fixture
def shop(session):
    f.make_workspace(session, ai_import_enabled=True, default_weight_unit="g")
    location = f.make_location(session, f.unique("Vault "))
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None))
    manager = f.actor(session, f.make_user(session, Role.MANAGER, location))
    names = {key: f.make_product(session, f.unique(f"{key} ")).name for key in ("Ruby", "Sapphire", "Emerald", "Gold")}
    return {"admin": admin, "manager": manager, "location": location.name, "names": names}


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def stone_list(shop) -> bytes:
    n, where = shop["names"], shop["location"]
    return csv_bytes("Stone,Wt (ct),Pcs,Colour grade,Kind,Where\n"
                     f"{n['Ruby']},2.5ct,3,AAA,loose,{where}\n"
                     f"{n['Sapphire']},4.10 cts,1,AA,parcel,{where}\n"
                     f"{n['Emerald']},0.75,2,A,Loose,{where}\n")


STONE_MAPPING = {"columns": {"Stone": "product", "Wt (ct)": "weight", "Pcs": "quantity", "Colour grade": None,
                             "Kind": "type", "Where": "location"},
                 "weight_unit": "ct", "decimal_comma": False, "kind": None,
                 "kind_words": {"loose": "Finished", "parcel": "Rough"}}


def gold_sheet(shop) -> bytes:
    n, where = shop["names"], shop["location"]
    return csv_bytes("Artikel;Gewicht (dwt);Stück;Lager\n"
                     f"{n['Gold']};12,5;1;{where}\n"
                     f"{n['Gold']};1.234,75;2;{where}\n"
                     f"{n['Gold']};0,05 dwt;1;{where}\n")


GOLD_MAPPING = {"columns": {"Artikel": "product", "Gewicht (dwt)": "weight", "Stück": "quantity", "Lager": "location"},
                "weight_unit": "dwt", "decimal_comma": True, "kind": "Rough", "kind_words": {}}


def two_sheets(shop) -> bytes:
    n, where = shop["names"], shop["location"]
    return xlsx_bytes({"Read me": [["This workbook lists our stock on the next sheet."]],
                       "Stock": [["Item", "Weight", "Unit", "Qty", "Site"],
                                 [n["Ruby"], "1.2 g", None, 4, where],
                                 [n["Sapphire"], 3, "ct", "2 pcs", where],
                                 [n["Emerald"], "1,250.5", "mg", 1, where]]})


SHEET_MAPPING = {"columns": {"Item": "product", "Weight": "weight", "Unit": "weight_unit", "Qty": "quantity",
                             "Site": "location"},
                 "weight_unit": None, "decimal_comma": False, "kind": "Finished", "kind_words": {}}


def clean_csv(rows: list[tuple]) -> bytes:
    lines = ["Product,Kind,Quantity,Weight,Weight unit,Location"]
    lines += [",".join(str(value) for value in row) for row in rows]
    return csv_bytes("\n".join(lines) + "\n")


def items_of(session, tags) -> list[tuple]:
    rows = session.execute(select(Product.name, InventoryItem.kind, InventoryItem.quantity, InventoryItem.weight,
                                  InventoryItem.weight_unit, InventoryItem.location_id)
                           .join(Product, Product.id == InventoryItem.product_id)
                           .where(InventoryItem.tag_id.in_(tags))).all()
    return sorted((name, kind, qty, Decimal(weight).normalize(), unit, loc)
                  for name, kind, qty, weight, unit, loc in rows)


def ai_import(session, shop, fake, name: str, data: bytes, mapping: dict, sheet: str | None = None):
    """As the page does: read, ask, parse, convert, preview, commit. Returns the items written."""
    fake.reply = json.dumps(mapping)
    settings = llm_settings(fake.url)
    table = import_ai.read_table(name, data, sheet)
    request = import_ai.prepare_request(session, actor=shop["admin"], settings=settings, table=table)
    completion = import_ai.request_mapping(request, actor=shop["admin"], settings=settings,
                                           sessions=lambda: nullcontext(session))
    converted = import_ai.convert(table, import_ai.parse_mapping(completion.text, request.headers))
    preview = importer.preview(session, actor=shop["admin"], sheet=converted)
    assert preview.ok, preview.problems
    return items_of(session, importer.commit(session, actor=shop["admin"], sheet=converted).tags)


def clean_import(session, shop, rows) -> list[tuple]:
    sheet = importer.read_sheet("clean.csv", clean_csv(rows))
    return items_of(session, importer.commit(session, actor=shop["admin"], sheet=sheet).tags)


def test_a_jewelers_stone_list_imports_like_the_hand_cleaned_one(session, shop, fake_llm):
    n, where = shop["names"], shop["location"]
    messy = ai_import(session, shop, fake_llm, "stones.csv", stone_list(shop), STONE_MAPPING)
    clean = clean_import(session, shop, [(n["Ruby"], "Finished", 3, "2.5", "ct", where),
                                         (n["Sapphire"], "Rough", 1, "4.10", "ct", where),
                                         (n["Emerald"], "Finished", 2, "0.75", "ct", where)])
    assert messy == clean and len(messy) == 3
    (request,) = fake_llm.requests
    assert "Wt (ct)" in request.prompt and "2.5ct" in request.prompt
    assert session.scalar(select(func.count(AiUsage.id)).where(AiUsage.feature == import_ai.FEATURE)) == 1


def test_a_gold_sheet_in_dwt_with_decimal_commas_imports_like_the_clean_one(session, shop, fake_llm):
    n, where = shop["names"], shop["location"]
    messy = ai_import(session, shop, fake_llm, "gold.csv", gold_sheet(shop), GOLD_MAPPING)
    clean = clean_import(session, shop, [(n["Gold"], "Rough", 1, "12.5", "dwt", where),
                                         (n["Gold"], "Rough", 2, "1234.75", "dwt", where),
                                         (n["Gold"], "Rough", 1, "0.05", "dwt", where)])
    assert messy == clean and len(messy) == 3


def test_the_chosen_sheet_of_a_two_sheet_workbook_imports_like_the_clean_one(session, shop, fake_llm):
    n, where = shop["names"], shop["location"]
    data = two_sheets(shop)
    assert importer.sheet_names("stock.xlsx", data) == ["Read me", "Stock"]
    messy = ai_import(session, shop, fake_llm, "stock.xlsx", data, SHEET_MAPPING, sheet="Stock")
    clean = clean_import(session, shop, [(n["Ruby"], "Finished", 4, "1.2", "g", where),
                                         (n["Sapphire"], "Finished", 2, "3", "ct", where),
                                         (n["Emerald"], "Finished", 1, "1250.5", "mg", where)])
    assert messy == clean and len(messy) == 3


def test_the_model_sees_the_headers_and_at_most_20_sample_rows(session, shop, fake_llm):
    rows = "".join(f"{shop['names']['Ruby']},{i}.5ct,1,loose,MARKER{i:02d}\n" for i in range(1, 31))
    table = import_ai.read_table("big.csv", csv_bytes("Stone,Wt (ct),Pcs,Kind,Note\n" + rows))
    request = import_ai.prepare_request(session, actor=shop["admin"], settings=llm_settings(fake_llm.url),
                                        table=table)
    assert "MARKER20" in request.user and "MARKER21" not in request.user and len(table.rows) == 30
    assert fake_llm.requests == []  # preparing sends nothing


@pytest.mark.parametrize("reply, words", [
    ("Here is the mapping:\n**Stone** → product", "not valid JSON"),
    ("<b>columns</b>", "not valid JSON"),
    ("<script>alert(1)</script>", "not valid JSON"),
    (json.dumps({**STONE_MAPPING, "decimal_comma": 1e0}), "decimal_comma"),
    ('{"columns": {"Stone": "product", "Wt (ct)": "weight"}, "decimal_comma": false, "weight_unit": 2.5E+1}',
     "weight_unit"),
    (json.dumps({**STONE_MAPPING, "min_weight": -2.5}), "Additional properties"),
    ("{" + "x" * 100_000, "not valid JSON"),
    (json.dumps({**STONE_MAPPING, "columns": {"Stone": "product", "Wt (ct)": "weight", "Pcs": "weight"}}),
     "maps both 'Wt (ct)' and 'Pcs' to Weight"),
    (json.dumps({**STONE_MAPPING, "columns": {"Stone": "product", "Weight": "weight"}}),
     "names column 'Weight' that the sheet does not have"),
    (json.dumps({**STONE_MAPPING, "columns": {"Stone": "product", "Wt (ct)": "carats"}}),
     "'carats', which is not an importer column"),
    (json.dumps({**STONE_MAPPING, "weight_unit": "bananas"}), "'bananas' is not a weight unit"),
    (json.dumps({**STONE_MAPPING, "columns": {"Stone": "product"}}), "no column is mapped to Weight"),
], ids=["markdown", "html", "script", "bool-as-number", "scientific", "extra-key", "100k", "twice", "invented",
        "unknown-target", "unit", "no-weight"])
def test_an_unusable_answer_is_refused_with_a_message_and_nothing_is_imported(session, shop, fake_llm, reply,
                                                                                words):
    fake_llm.reply = reply
    settings = llm_settings(fake_llm.url)
    table = import_ai.read_table("stones.csv", stone_list(shop))
    request = import_ai.prepare_request(session, actor=shop["admin"], settings=settings, table=table)
    completion = import_ai.request_mapping(request, actor=shop["admin"], settings=settings,
                                           sessions=lambda: nullcontext(session))
    before = session.scalar(select(func.count(InventoryItem.id)))
    with pytest.raises(ValidationFailed, match="The AI mapping could not be used") as refused:
        import_ai.parse_mapping(completion.text, request.headers)
    assert words in str(refused.value)
    assert session.scalar(select(func.count(InventoryItem.id))) == before
    assert session.scalar(select(func.count(AiUsage.id)).where(AiUsage.feature == import_ai.FEATURE)) == 1


def test_a_negative_weight_in_the_sheet_is_a_flagged_row_and_nothing_is_written(session, shop, fake_llm):
    data = csv_bytes(f"Stone,Wt (ct),Pcs,Kind,Where\n{shop['names']['Ruby']},-2.5ct,1,loose,{shop['location']}\n"
                     f"{shop['names']['Emerald']},1.5e3,1,loose,{shop['location']}\n")
    table = import_ai.read_table("bad.csv", data)
    mapping = import_ai.validate_mapping({"Stone": "product", "Wt (ct)": "weight", "Pcs": "quantity",
                                          "Kind": "type", "Where": "location"}, table.headers, weight_unit="ct",
                                         kind_words={"loose": "Finished"})
    preview = importer.preview(session, actor=shop["admin"], sheet=import_ai.convert(table, mapping))
    assert preview.bad_rows == 2
    with pytest.raises(ValidationFailed, match="Nothing was imported"):
        importer.commit(session, actor=shop["admin"], sheet=import_ai.convert(table, mapping))


@pytest.mark.parametrize("text, words", [
    ("Stone,,Pcs\nRuby,2.5,1\n", "column B has values but no header"),
    ("Stone,Weight,weight\nRuby,2.5,1\n", "columns B and C are both headed 'weight'"),
    ("\n\n", "no header row"),
    ("Stone,Weight\n", "no data rows"),
])
def test_a_sheet_with_empty_or_duplicated_headers_is_refused(text, words):
    with pytest.raises(ValidationFailed, match=words):
        import_ai.read_table("bad.csv", csv_bytes(text))


def test_with_ai_import_off_there_is_no_button_and_no_request(session, shop, fake_llm):
    settings = llm_settings(fake_llm.url)
    assert import_ai.is_available(session, actor=shop["admin"], settings=settings)
    assert not import_ai.is_available(session, actor=shop["manager"], settings=settings)
    f.make_workspace(session, ai_import_enabled=False)
    assert not import_ai.is_available(session, actor=shop["admin"], settings=settings)
    table = import_ai.read_table("stones.csv", stone_list(shop))
    with pytest.raises(PermissionDenied, match="turned off"):
        import_ai.prepare_request(session, actor=shop["admin"], settings=settings, table=table)
    f.make_workspace(session, ai_import_enabled=True)
    with pytest.raises(ConfigurationError):
        import_ai.prepare_request(session, actor=shop["admin"], settings=llm_settings(fake_llm.url, llm_model=""),
                                  table=table)
    with pytest.raises(PermissionDenied):
        import_ai.prepare_request(session, actor=shop["manager"], settings=settings, table=table)
    assert fake_llm.requests == []


def test_with_no_credits_left_the_mapping_request_is_refused_before_it_is_sent(session, shop, fake_llm):
    metering.set_monthly_credits(session, actor=shop["admin"], value=1)
    settings = llm_settings(fake_llm.url)
    table = import_ai.read_table("stones.csv", stone_list(shop))
    request = import_ai.prepare_request(session, actor=shop["admin"], settings=settings, table=table)
    fake_llm.reply = json.dumps(STONE_MAPPING)
    import_ai.request_mapping(request, actor=shop["admin"], settings=settings, sessions=lambda: nullcontext(session))
    with pytest.raises(metering.CreditsExhausted):
        import_ai.request_mapping(request, actor=shop["admin"], settings=settings,
                                  sessions=lambda: nullcontext(session))
    assert len(fake_llm.requests) == 1


def test_a_slow_endpoint_gives_a_message_and_charges_nothing(session, shop, fake_llm):
    fake_llm.behaviours = [Behaviour(delay=3)]
    settings = llm_settings(fake_llm.url)
    table = import_ai.read_table("stones.csv", stone_list(shop))
    request = import_ai.prepare_request(session, actor=shop["admin"], settings=settings, table=table)
    with pytest.raises(Exception, match="did not answer within 1 s"):
        import_ai.request_mapping(request, actor=shop["admin"], settings=settings,
                                  sessions=lambda: nullcontext(session))
    assert session.scalar(select(func.count(AiUsage.id)).where(AiUsage.feature == import_ai.FEATURE)) == 0


@settings(max_examples=60, deadline=None)
@given(value=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("9999999.9999"), places=4),
       unit=st.sampled_from(["ct", "cts", "g", "dwt", "carats", ""]), comma=st.booleans(), space=st.booleans())
def test_a_weight_written_any_way_converts_to_the_same_number(value, unit, comma, space):
    """Thousands separators, a decimal comma or point, a unit in the cell: the same value and unit come out."""
    whole, _, fraction = f"{value:,.4f}".partition(".")
    written = (whole.replace(",", ".") + "," + fraction) if comma else f"{whole}.{fraction}"
    cell = written + (" " if space and unit else "") + unit
    number, symbol = import_ai._amount(cell, comma)
    assert Decimal(number) == value
    assert symbol == (import_ai.UNIT_WORDS[unit] if unit else None)
