"""The one text rule (lib/text.py) and its last line of defence in lib/db.py.

Story: someone pastes `invoice\u202etxt.exe` (which reads as "invoiceexe.txt"), a NUL
byte from a broken export, or 100,000 characters into a note, a reason, a party's
address, a location or stage name. Each is refused with a message naming the field
and nothing is written, on SQLite and PostgreSQL alike (PostgreSQL itself refuses
a NUL with a raw DataError, which no user should see).
"""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import String, func, select
from sqlalchemy.orm import Session

from lib import db
from lib.errors import ValidationFailed
from lib.inventory import stock
from lib.models import AuditEntry, Base, InventoryItem, Location, Party, PartyKind, ProductionStage, Role
from lib.orders import parties
from lib.production import stages
from lib.text import BIDI_CONTROLS, check_currency, clean_text, currency_codes
from lib.workspace import locations, settings as workspace_settings
from tests import factories as f

BAD_TEXTS = {
    "NUL": "before\x00after",
    "escape": "bell\x07",
    "right-to-left override": "invoice\u202etxt.exe",
    "isolate": "name\u2066x\u2069",
}


@pytest.mark.parametrize("text", ["plain", "tab\there", "two\nlines", "रत्न हीरा", "خاتم \u200fذهب", "钻石"])
def test_ordinary_text_is_kept(text):
    assert clean_text(f"  {text}  ", "Notes", 100) == text


def test_windows_line_ends_become_newlines():
    assert clean_text("a\r\nb\rc", "Notes", 100) == "a\nb\nc"


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x7f", "\x85", *BIDI_CONTROLS])
def test_control_and_direction_characters_are_refused_naming_the_field(character):
    with pytest.raises(ValueError, match="^Tracking number contains"):
        clean_text(f"AB{character}CD", "Tracking number", 80)


def test_single_line_fields_refuse_line_breaks_and_tabs():
    for text in ("a\nb", "a\tb"):
        with pytest.raises(ValueError, match="one line"):
            clean_text(text, "Reference", 120, multiline=False)


def test_length_limit_names_field_and_sizes():
    with pytest.raises(ValueError, match=r"^Notes may be at most 2000 characters \(got 100000\)$"):
        clean_text("x" * 100_000, "Notes", 2000)


def test_currencies_are_iso_4217():
    assert check_currency(" eur ") == "EUR" and check_currency("XAU") == "XAU"
    assert len(currency_codes()) > 150 and "USD" in currency_codes()
    for bad in ("ABC", "US", "USDX", "", None, "XXX", "E\x00R"):
        with pytest.raises(ValueError, match="not an ISO 4217 currency code"):
            check_currency(bad)


def _text_columns():
    for mapper in Base.registry.mappers:
        for attribute in mapper.column_attrs:
            column = attribute.columns[0]
            if isinstance(column.type, String) and not hasattr(column.type, "enums"):
                yield mapper.class_, attribute.key


@pytest.mark.parametrize("model, key", list(_text_columns()), ids=lambda v: getattr(v, "__name__", v))
def test_every_text_column_refuses_nul_and_direction_controls(model, key):
    """The flush check covers every text column of every table, including ones added later."""
    for bad in (BAD_TEXTS["NUL"], BAD_TEXTS["right-to-left override"]):
        problem = db._unstorable_text(model(**{key: bad}))
        assert problem and problem.startswith(key.replace("_", " ").capitalize()), (model, key, problem)


def test_a_flush_with_bad_text_raises_a_message_and_writes_nothing(fresh_engine):
    with db.session_scope(fresh_engine, write=True) as session:
        f.make_workspace(session)
        f.make_location(session, "North")
    with pytest.raises(ValidationFailed, match="Name contains a NUL character"):
        with db.session_scope(fresh_engine, write=True) as session:
            session.add(Location(name="Bad\x00name", short_name="BAD", kind="Workshop", active=True))
    with db.session_scope(fresh_engine) as session:
        assert session.scalar(select(func.count()).select_from(Location)) == 1


@pytest.fixture
def workshop(session):
    f.make_workspace(session, tag_prefix="T")
    north = f.make_location(session, f.unique("North "))
    admin = f.actor(session, f.make_user(session, Role.ADMIN))
    product = f.make_product(session, short_name=f.unique("GLD"))
    item = f.make_item(session, product, north, quantity=2, weight="10.0000", unit="g", tag_id=f.unique("GLD"))
    return dict(north=north, admin=admin, item=item)


def _entry_points(w):
    """Each free-text field a person fills in, as the lib call its form makes."""
    admin, item = w["admin"], w["item"]
    return {
        "adjust reason": lambda s, t: stock.adjust(s, actor=admin, item_id=item.id, weight_delta="1", reason=t),
        "adjust reference": lambda s, t: stock.adjust(s, actor=admin, item_id=item.id, weight_delta="1",
                                                      reason="count", reference=t),
        "item notes": lambda s, t: stock.edit_attributes(s, actor=admin, item_id=item.id, changes={"notes": t}),
        "party address": lambda s, t: parties.add_party(s, actor=admin, kind=PartyKind.CUSTOMER,
                                                        data=parties.PartyInput(company="Acme", address=t)),
        "party company": lambda s, t: parties.add_party(s, actor=admin, kind=PartyKind.CUSTOMER,
                                                        data=parties.PartyInput(company=t)),
        "location name": lambda s, t: locations.add_location(s, actor=admin, name=t, short_name="LOC"),
        "stage name": lambda s, t: stages.add_stage(s, actor=admin, name=t, code="ZZ"),
        "stage description": lambda s, t: stages.add_stage(s, actor=admin, name="Enamel", code="EN", description=t),
        "carriers": lambda s, t: workspace_settings.update_settings(s, actor=admin, carriers=t),
    }


ENTRY_POINTS = ["adjust reason", "adjust reference", "item notes", "party address", "party company",
                "location name", "stage name", "stage description", "carriers"]


def _counts(session: Session) -> tuple:
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (AuditEntry, Party, Location, ProductionStage))


@pytest.mark.parametrize("what", ENTRY_POINTS)
@pytest.mark.parametrize("bad", ["NUL", "right-to-left override", "too long"])
def test_every_form_field_refuses_bad_text_and_writes_nothing(session, workshop, what, bad):
    call = _entry_points(workshop)[what]
    text = "x" * 100_000 if bad == "too long" else BAD_TEXTS[bad]
    before, weight = _counts(session), workshop["item"].weight
    with pytest.raises(ValidationFailed) as refused:
        with session.begin_nested():
            call(session, text)
    message = str(refused.value)
    expected = r"at most|1 to \d+ characters" if bad == "too long" else "contains"
    assert re.search(expected, message), message
    session.expire_all()
    assert _counts(session) == before
    assert session.get(InventoryItem, workshop["item"].id).weight == Decimal(weight)


def test_searches_with_refused_characters_find_nothing_instead_of_failing(session, workshop):
    """A `q=` link can carry a NUL: PostgreSQL refuses it in a query parameter, so searches drop such characters."""
    from lib.inventory.query import ItemFilters, Page, page_rows
    from lib.orders.listing import OrderFilters, OrderPage, list_orders
    from lib.models import CatalogKind, OrderKind
    from lib.products.catalog_entries import list_entries

    admin, tag = workshop["admin"], workshop["item"].tag_id
    for search in ("\x00", f"{tag}\x00", "\u202e"):
        rows = page_rows(session, actor=admin, filters=ItemFilters(search=search), page=Page())
        assert tag in [row["tag_id"] for row in rows]  # the refused characters are dropped from the search
        list_orders(session, actor=admin, kind=OrderKind.SALES, filters=OrderFilters(search=search), page=OrderPage())
        parties.list_parties(session, actor=admin, search=search)
        list_entries(session, catalog=CatalogKind.SHAPE, search=search)
