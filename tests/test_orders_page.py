"""/orders through the real app (AppTest) against a committed database: what each role sees, the new-order
form, selecting, shipping and receiving from the order page, AI lines, and the Product Details line.

Story (`shop`): the two-location workshop of tests/scenarios.py (boss admin, nina manager of North, mo member
of North; Ruby TRUB0001 in North, 3 pcs), plus customer "Acme <b>Jewels</b>" (e-mail, phone, address),
supplier "Gem Supply", and SO-0001 for 1 Ruby whose notes hold HTML.
"""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lib import db, ledger
from lib.access import actor_for_user
from lib.models import (
    AiUsage,
    CatalogKind,
    Fulfilment,
    InventoryItem,
    Order,
    OrderKind,
    Party,
    PartyKind,
    User,
    Workspace,
)
from lib.orders import detail, orders, parties, selection, shipments
from lib.orders.orders import LineInput, OrderInput
from tests import factories as f
from tests.apptest import point_app_at, signed_in, texts
from tests.fake_llm import fake_llm  # noqa: F401  (fixture)
from tests.scenarios import two_location_workshop
from ui import context

NOTES = "Ann wants <script>alert('x')</script> **bold** by Friday"
SECRETS = ("Acme", "acme@example.com", "+44 20 7946 0958", "12 Hidden Lane", "Ann wants")


@pytest.fixture
def shop(fresh_url, tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LOUPE_LLM_MODEL", "LOUPE_LLM_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    point_app_at(fresh_url, tmp_path)
    workshop = two_location_workshop(fresh_url)
    engine = db.make_engine(fresh_url)
    with db.session_scope(engine, write=True) as session:
        boss = actor_for_user(session, session.scalar(select(User.id).where(User.username == "boss")))
        customer = parties.add_party(session, actor=boss, kind=PartyKind.CUSTOMER, data=parties.PartyInput(
            company="Acme <b>Jewels</b>", email="acme@example.com", phone="+44 20 7946 0958",
            address="12 Hidden Lane"))
        supplier = parties.add_party(session, actor=boss, kind=PartyKind.SUPPLIER,
                                     data=parties.PartyInput(company="Gem Supply", email="sales@gems.example"))
        order = orders.create_order(session, actor=boss, data=OrderInput(
            kind=OrderKind.SALES, party_id=customer.id, lead_id=boss.user_id, notes=NOTES,
            lines=[LineInput(product_id=workshop.product_id, quantity=1, weight="2", weight_unit="ct")]))
        ruby_north = session.scalar(select(InventoryItem.id).where(InventoryItem.tag_id == "TRUB0001"))
    engine.dispose()
    yield {"url": fresh_url, "workshop": workshop, "customer": customer.id, "supplier": supplier.id,
           "order": order.id, "ruby_north": ruby_north}
    context.settings.clear()


def everything(at) -> str:
    """What a person could read on the page: texts, tables, widget labels and options."""
    parts = [texts(at)]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    for widget in (*at.selectbox, *at.multiselect):
        parts.append(widget.label)
        parts += [str(option) for option in widget.options]
    parts += [element.label for element in at.text_input]
    return "\n".join(parts)


def said(elements) -> list[str]:
    """Messages as people read them (`ui.feedback.plain` escapes Markdown with backslashes)."""
    return [element.value.replace("\\", "") for element in elements]


def run(at):
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def fulfilment(url: str, order_id: int) -> Fulfilment:
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        found = session.get(Order, order_id).fulfilment
    engine.dispose()
    return found


# ---------------------------------------------------------------------------
# Who sees what
# ---------------------------------------------------------------------------

def test_admin_sees_the_lists_and_the_order_with_its_customer(shop):
    at = run(signed_in(shop["url"], "boss", page="orders.py"))
    assert "Orders" in [link.label for link in at.sidebar.get("page_link")]
    table = at.dataframe(key="ol_sales_table").value
    assert list(table["Number"]) == ["SO-0001"] and list(table["Customer"]) == ["Acme <b>Jewels</b>"]
    at = run(signed_in(shop["url"], "boss", page="orders.py", query={"order": str(shop["order"])}))
    shown = everything(at)
    assert "acme@example.com" in shown and "Fulfilment: Not Started" in shown
    notes = [element.value for element in at.text if "Ann wants" in element.value]
    assert notes == [NOTES]  # shown as plain text, exactly as typed
    assert not [m.value for m in at.markdown if "<script>" in m.value or "Ann wants" in m.value]
    assert any("Line 1: 2 available items · 11.000 ct" in link.label for link in at.page_link)  # both locations


def test_a_manager_reads_orders_without_any_customer_detail(shop):
    engine = db.make_engine(shop["url"])
    with db.session_scope(engine, write=True) as session:
        boss = actor_for_user(session, session.scalar(select(User.id).where(User.username == "boss")))
        orders.create_order(session, actor=boss, data=OrderInput(
            kind=OrderKind.PURCHASE, party_id=shop["supplier"], lead_id=boss.user_id,
            lines=[LineInput(product_id=shop["workshop"].product_id, quantity=2)]))
    engine.dispose()
    at = run(signed_in(shop["url"], "nina", page="orders.py"))
    assert "Orders" in [link.label for link in at.sidebar.get("page_link")]
    assert at.segmented_control(key="orders_view").options == ["Sales orders", "Purchase orders"]
    assert list(at.dataframe(key="ol_sales_table").value["Customer"]) == ["Customer (SO-0001)"]
    list_text = everything(at)
    at = run(signed_in(shop["url"], "nina", page="orders.py", query={"order": str(shop["order"])}))
    page_text = everything(at)
    for secret in SECRETS:
        assert secret not in list_text and secret not in page_text, secret
    assert "Customer (SO-0001)" in page_text and "Hidden: the notes of a sales order may name the customer" in \
        page_text
    assert "op_action" not in [control.key for control in at.segmented_control]  # read only: no actions
    purchase_list = signed_in(shop["url"], "nina", page="orders.py")
    purchase_list.run()
    purchase_list.segmented_control(key="orders_view").set_value("purchase")
    run(purchase_list)
    assert list(purchase_list.dataframe(key="ol_purchase_table").value["Supplier"]) == ["Gem Supply"]


def test_a_member_is_told_orders_are_for_admins_and_managers(shop):
    for query in ({}, {"order": str(shop["order"])}):
        at = run(signed_in(shop["url"], "mo", page="orders.py", query=query))
        assert [element.value for element in at.warning] == ["Orders are for admins and managers."]
        assert "Orders" not in [link.label for link in at.sidebar.get("page_link")]
        assert not at.dataframe and "SO-0001" not in everything(at) and "Acme" not in everything(at)


def test_an_order_opens_by_its_printed_number_too(shop):
    at = run(signed_in(shop["url"], "boss", page="orders.py", query={"order": "SO-0001"}))
    assert [element.value.replace("\\", "") for element in at.title] == ["SO-0001"]  # the title is escaped text
    assert not at.error


def test_an_unknown_or_malformed_order_id_says_so(shop):
    for raw in ("999", "abc", "-1", "SO-9999", "SO-0001\x00", "S" * 41):
        at = run(signed_in(shop["url"], "boss", page="orders.py", query={"order": raw}))
        assert [element.value for element in at.title] == ["Order not found"]
        assert said(at.error) == ["No such order."]


# ---------------------------------------------------------------------------
# The new-order form
# ---------------------------------------------------------------------------

def test_the_new_order_form_saves_an_order_and_opens_it(shop):
    at = run(signed_in(shop["url"], "boss", page="orders.py"))
    at.segmented_control(key="orders_view").set_value("new")
    run(at)
    assert "wiz_ai" not in [button.key for button in at.button]  # AI order lines are off
    at.selectbox(key="wiz_party_sales").set_value(shop["customer"])
    at.text_area(key="wiz_notes").input("Two rubies, <i>rush</i>")
    at.button(key="wiz_next_1").click()
    run(at)
    at.selectbox(key="wiz_add_product").set_value(shop["workshop"].product_id)
    at.text_input(key="wiz_add_pieces").input("2")
    at.text_input(key="wiz_add_weight").input("4.5")
    at.button(key="wiz_add_line").click()
    run(at)
    rows = at.data_editor[0].value
    assert list(rows["Product"]) == ["Ruby"] and list(rows["Pieces"]) == [2]
    at.button(key="wiz_next_2").click()
    run(at)
    at.text_input(key="wiz_budget").input("12,5")  # refused on save with the other problems
    at.button(key="wiz_next_3").click()
    run(at)
    at.button(key="wiz_save").click()
    run(at)
    assert any("Budget: write numbers without commas" in message for message in said(at.error))
    at.button(key="wiz_back_4").click()
    run(at)
    at.text_input(key="wiz_budget").input("12.50")
    at.button(key="wiz_next_3").click()
    run(at)
    at.button(key="wiz_save").click()
    run(at)
    assert "SO-0002 saved." in said(at.success)
    assert [t.value for t in at.title] == ["SO\\-0002"]
    engine = db.make_engine(shop["url"])
    with db.session_scope(engine) as session:
        order = session.scalars(select(Order).where(Order.number == "SO-0002")).one()
        assert order.notes == "Two rubies, <i>rush</i>" and str(order.budget) == "12.50"
    engine.dispose()


def test_a_new_order_with_problems_lists_them_all_and_saves_nothing(shop):
    at = run(signed_in(shop["url"], "boss", page="orders.py"))
    at.segmented_control(key="orders_view").set_value("new")
    run(at)
    at.button(key="wiz_next_1").click()
    run(at)
    at.button(key="wiz_next_2").click()
    run(at)
    at.button(key="wiz_next_3").click()
    run(at)
    at.button(key="wiz_save").click()
    run(at)
    shown = texts(at)
    assert "Choose a customer" in shown and "Add at least one line" in shown
    engine = db.make_engine(shop["url"])
    with db.session_scope(engine) as session:
        assert session.scalar(select(func.count(Order.id))) == 1
    engine.dispose()


# ---------------------------------------------------------------------------
# The order page actions
# ---------------------------------------------------------------------------

def test_select_mark_ready_and_ship_from_the_order_page(shop):
    query = {"order": str(shop["order"])}
    at = run(signed_in(shop["url"], "boss", page="orders.py", query=query))
    at.segmented_control(key="op_action").set_value("select")
    run(at)
    line_id = at.selectbox(key="op_select_line").value
    at.multiselect(key=f"op_items_{line_id}_0").set_value([shop["ruby_north"]])
    run(at)
    at.toggle(key=f"op_full_{line_id}_{shop['ruby_north']}_0").set_value(False)
    run(at)
    at.text_input(key=f"op_pcs_{line_id}_{shop['ruby_north']}_0").input("1")
    at.text_input(key=f"op_wt_{line_id}_{shop['ruby_north']}_0").input("2")
    at.checkbox(key=f"op_ready_{line_id}_0").check()
    at.button(key=f"op_select_{line_id}").click()
    run(at)
    assert "Stock selected for line 1." in said(at.success)
    assert "Fulfilment: Ready to Ship" in texts(at)
    at.segmented_control(key="op_action").set_value("ship")
    run(at)
    (pieces,) = [widget for widget in at.text_input if widget.key.startswith("op_ship_pcs_")]  # one per item
    assert pieces.value == "1"
    at.text_input(key="op_ship_tracking_0").input("1Z<b>99</b>")
    at.button(key="op_ship_submit").click()
    run(at)
    assert "Fulfilment: Completed" in texts(at)
    assert fulfilment(shop["url"], shop["order"]) is Fulfilment.COMPLETED
    (shipped,) = [frame.value for frame in at.dataframe if "Tracking number" in frame.value.columns]
    assert list(shipped["Tracking number"]) == ["1Z<b>99</b>"] and list(shipped["Carrier"]) == ["Canada Post"]
    engine = db.make_engine(shop["url"])
    with db.session_scope(engine) as session:
        assert session.get(InventoryItem, shop["ruby_north"]).quantity == 2 and ledger.verify(session) == []
    engine.dispose()


def _partly_shipped_order(shop) -> tuple[int, int, int]:
    """SO for 3 Ruby pieces: TRUB0001's 3 pcs selected, 1 pc shipped. (order id, line id, selection id)"""
    engine = db.make_engine(shop["url"])
    with db.session_scope(engine, write=True) as session:
        boss = actor_for_user(session, session.scalar(select(User.id).where(User.username == "boss")))
        ref = orders.create_order(session, actor=boss, data=OrderInput(
            kind=OrderKind.SALES, party_id=shop["customer"], lead_id=boss.user_id,
            lines=[LineInput(product_id=shop["workshop"].product_id, quantity=3)]))
        line_id = detail.order_detail(session, actor=boss, order_id=ref.id).lines[0].id
        (picked,) = selection.select_items(session, actor=boss, line_id=line_id,
                                           picks=[selection.Pick(shop["ruby_north"])])
        link = detail.order_detail(session, actor=boss, order_id=ref.id).selections[0]
        shipments.create_shipment(session, actor=boss, order_id=ref.id, carrier="UPS", items=[
            shipments.ShipItem(picked, 1, (link.weight / 3).quantize(Decimal("0.0001")))])
    engine.dispose()
    return ref.id, line_id, picked


def test_close_a_line_short_and_receive_a_return_from_the_order_page(shop):
    order_id, line_id, picked = _partly_shipped_order(shop)
    at = run(signed_in(shop["url"], "boss", page="orders.py", query={"order": str(order_id)}))
    assert "Partially Shipped" in everything(at)
    at.segmented_control(key="op_action").set_value("line")
    run(at)
    at.text_input(key=f"op_short_reason_{line_id}").input("   ")
    at.button(key=f"op_short_submit_{line_id}").click()
    run(at)
    assert any("Give a reason" in message for message in said(at.error))
    assert fulfilment(shop["url"], order_id) is Fulfilment.PARTIALLY_SHIPPED  # nothing written
    at.text_input(key=f"op_short_reason_{line_id}").input("customer wants only one")
    at.button(key=f"op_short_submit_{line_id}").click()
    run(at)
    assert "Line 1 closed short." in said(at.success)
    assert fulfilment(shop["url"], order_id) is Fulfilment.COMPLETED
    assert "Closed Short — customer wants only one" in everything(at)
    engine = db.make_engine(shop["url"])
    with db.session_scope(engine) as session:
        assert session.get(InventoryItem, shop["ruby_north"]).quantity == 2  # the unshipped two are back
    engine.dispose()
    run(at)
    assert at.selectbox(key=f"op_return_pick_{line_id}").value == picked
    (reason,) = [widget for widget in at.text_input if widget.key.startswith("op_return_reason_")]
    reason.input("clasp broken")
    at.button(key=f"op_return_submit_{line_id}").click()
    run(at)
    assert "Return received into inventory." in said(at.success)
    assert fulfilment(shop["url"], order_id) is Fulfilment.ALL_RETURNED
    assert "Returned" in everything(at) and "clasp broken" in everything(at)
    with db.session_scope(engine) as session:
        assert session.get(InventoryItem, shop["ruby_north"]).quantity == 3 and ledger.verify(session) == []
    engine.dispose()


def test_receive_a_purchase_line_into_inventory(shop):
    engine = db.make_engine(shop["url"])
    with db.session_scope(engine, write=True) as session:
        boss = actor_for_user(session, session.scalar(select(User.id).where(User.username == "boss")))
        ref = orders.create_order(session, actor=boss, data=OrderInput(
            kind=OrderKind.PURCHASE, party_id=shop["supplier"], lead_id=boss.user_id,
            lines=[LineInput(product_id=shop["workshop"].product_id, quantity=2, weight="5", weight_unit="g")]))
    at = run(signed_in(shop["url"], "boss", page="orders.py", query={"order": str(ref.id)}))
    at.segmented_control(key="op_action").set_value("receive")
    run(at)
    line_id = at.selectbox(key="op_receive_line").value
    at.selectbox(key=f"op_rcv_location_{line_id}").set_value(shop["workshop"].north_id)
    at.text_input(key=f"op_rcv_pcs_{line_id}_0").input("3")
    at.button(key=f"op_rcv_submit_{line_id}").click()
    run(at)
    assert any("more than ordered" in message for message in said(at.error))  # 3 of 2 pieces needs the confirmation
    at.checkbox(key=f"op_rcv_over_{line_id}_0").check()
    at.button(key=f"op_rcv_submit_{line_id}").click()
    run(at)
    assert "Received into TRUB0003. Recorded as more than ordered." in said(at.success)
    assert "Fulfilment: Completed" in texts(at)
    with db.session_scope(engine) as session:
        item = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == "TRUB0003")).one()
        assert (item.quantity, str(item.weight), item.location_id) == (3, "5.0000", shop["workshop"].north_id)
        assert detail.order_detail(session, actor=boss, order_id=ref.id).receipts[0].note == \
            "more than ordered (confirmed)"
    engine.dispose()


# ---------------------------------------------------------------------------
# AI lines in the form
# ---------------------------------------------------------------------------

def _ai(url: str, enabled: bool) -> None:
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        session.scalars(select(Workspace)).one().ai_order_lines_enabled = enabled
    engine.dispose()


def _configure(monkeypatch, fake) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("LOUPE_LLM_MODEL", "fake-model")
    monkeypatch.setenv("LOUPE_LLM_TIMEOUT", "2")
    context.settings.clear()


def _new_order_form(shop):
    at = run(signed_in(shop["url"], "boss", page="orders.py"))
    at.segmented_control(key="orders_view").set_value("new")
    return run(at)


def test_with_ai_off_the_button_is_absent_and_nothing_is_sent(shop, fake_llm, monkeypatch):
    _configure(monkeypatch, fake_llm)
    at = _new_order_form(shop)
    assert not [button for button in at.button if button.key == "wiz_ai"]
    _ai(shop["url"], True)
    at = _new_order_form(shop)
    assert [button for button in at.button if button.key == "wiz_ai"]
    assert fake_llm.requests == []  # drawing the button sends nothing


def test_ai_lines_fill_the_table_for_review_or_leave_it_empty_with_a_message(shop, fake_llm, monkeypatch):
    _configure(monkeypatch, fake_llm)
    _ai(shop["url"], True)
    at = _new_order_form(shop)
    at.text_area(key="wiz_notes").input("Need 2 rubies, 3 g each, and some jade")
    fake_llm.reply = "not json at all"
    at.button(key="wiz_ai").click()
    run(at)
    assert any("not valid JSON" in message for message in said(at.error))
    at.button(key="wiz_next_1").click()
    run(at)
    assert at.data_editor[0].value.empty  # the table stays empty for manual entry
    at.button(key="wiz_back_2").click()
    run(at)
    fake_llm.reply = json.dumps({"lines": [{"product": "ruby", "pieces": 2, "weight": 6, "unit": "g"},
                                           {"product": "Jaade", "weight": 3, "unit": "grams"}]})
    at.button(key="wiz_ai").click()
    run(at)
    table = at.data_editor[0].value
    assert list(table["Product"])[0] == "Ruby" and list(table["Pieces"])[0] == 2
    assert table["Product"].isna().tolist()[1] and list(table["AI wrote"]) == ["ruby", "Jaade"]
    pick = [box for box in at.selectbox if box.key and box.key.startswith("wiz_pick_")][0]
    assert pick.options == ["Jade"]
    pick.set_value("Jade")
    run(at)
    assert list(at.data_editor[0].value["Product"]) == ["Ruby", "Jade"]
    assert len(fake_llm.requests) == 2 and "Acme" not in fake_llm.requests[1].prompt
    engine = db.make_engine(shop["url"])
    with db.session_scope(engine) as session:
        assert session.scalar(select(func.count(AiUsage.id))) == 2
    engine.dispose()


# ---------------------------------------------------------------------------
# Product Details
# ---------------------------------------------------------------------------

def test_product_details_show_open_demand_to_admins_and_managers_only(shop):
    query = {"id": str(shop["workshop"].product_id)}
    for username, shown in (("boss", True), ("nina", True), ("mo", False)):
        at = run(signed_in(shop["url"], username, page="product.py", query=query))
        captions = [c.value for c in at.caption if "Open sales demand" in c.value]
        if shown:
            assert captions and "1 line on 1 order · 1 pcs · 0.400 g" in captions[0], captions
            assert "Incoming purchases (not yet received): none" in captions[0]
        else:
            assert captions == []


def test_a_matching_stock_link_opens_product_details_with_the_line_filters(shop):
    engine = db.make_engine(shop["url"])
    with db.session_scope(engine, write=True) as session:
        oval = f.make_catalog(session, CatalogKind.SHAPE, "Oval")
        session.get(InventoryItem, shop["ruby_north"]).shape_id = oval.id
        oval_id = oval.id
    engine.dispose()
    query = {"id": str(shop["workshop"].product_id), "shape": str(oval_id)}
    at = run(signed_in(shop["url"], "nina", page="product.py", query=query))
    assert at.session_state["product_filter_shape_ids"] == [oval_id]
    assert any("1 filter active" in c.value for c in at.caption)
    assert at.metric[0].value == "1"


# ---------------------------------------------------------------------------
# Settings and the directory
# ---------------------------------------------------------------------------

def test_orders_settings_are_saved_checked_and_used_for_new_numbers(shop):
    at = run(signed_in(shop["url"], "boss", page="settings.py"))
    at.text_input(key="os_sales_prefix").input("PO-")
    at.button(key="os_submit").click()
    run(at)
    assert any("must differ" in message for message in said(at.error))
    at.text_input(key="os_sales_prefix").input("S-26/")
    at.multiselect(key="os_carriers").set_value(["UPS", "Hand delivery"])
    at.toggle(key="os_ai_lines").set_value(True)
    at.button(key="os_submit").click()
    run(at)
    assert "Orders settings saved." in said(at.success)
    engine = db.make_engine(shop["url"])
    with db.session_scope(engine, write=True) as session:
        workspace = session.scalars(select(Workspace)).one()
        assert (workspace.sales_order_prefix, workspace.carriers, workspace.ai_order_lines_enabled) == (
            "S-26/", "UPS\nHand delivery", True)
        boss = actor_for_user(session, session.scalar(select(User.id).where(User.username == "boss")))
        new = orders.create_order(session, actor=boss, data=OrderInput(
            kind=OrderKind.SALES, party_id=shop["customer"], lead_id=boss.user_id,
            lines=[LineInput(product_id=shop["workshop"].product_id, quantity=1)]))
        assert new.number == "S-26/0001" and session.get(Order, shop["order"]).number == "SO-0001"
    engine.dispose()


def test_the_directory_adds_checks_and_deactivates_showing_names_as_text(shop):
    at = run(signed_in(shop["url"], "boss", page="orders.py"))
    at.segmented_control(key="orders_view").set_value("people")
    run(at)
    table = at.dataframe[0].value
    assert "Acme <b>Jewels</b>" in list(table["Name"]) and list(table["Orders"])[0] == 1
    at.text_input(key="people_add_company").input("<i>Opal</i> House")
    at.text_input(key="people_add_email").input("not an e-mail")
    at.button(key="people_add_submit").click()
    run(at)
    assert any("does not look like an e-mail address" in message for message in said(at.error))
    at.text_input(key="people_add_company").input("<i>Opal</i> House")
    at.text_input(key="people_add_email").input("opal@house.example")
    at.button(key="people_add_submit").click()
    run(at)
    assert "Customer <i>Opal</i> House added." in said(at.success)
    at.selectbox(key="people_edit_pick").set_value(shop["customer"])
    run(at)
    assert at.button(key=f"people_delete_{shop['customer']}").disabled  # it has an order
    at.button(key=f"people_deactivate_{shop['customer']}").click()
    run(at)
    engine = db.make_engine(shop["url"])
    with db.session_scope(engine) as session:
        assert session.get(Party, shop["customer"]).active is False
    engine.dispose()
    nina = run(signed_in(shop["url"], "nina", page="orders.py"))
    assert "Customers & suppliers" not in nina.segmented_control(key="orders_view").options
