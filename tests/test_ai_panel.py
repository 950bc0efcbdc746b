"""The AI summary panel and the AI usage tab, run headless (AppTest) against a real database
and a real chat-completions server on 127.0.0.1."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from lib import db, ledger
from lib.costing import components, rates
from lib.costing.components import ComponentInput
from lib.costing.rates import ProfileInput
from lib.enums import ComponentType, RateBasis
from lib.models import AiSummary, AiUsage, InventoryItem, MovementKind, User, Workspace, utcnow
from tests import factories
from tests.apptest import point_app_at, readable, signed_in, texts
from tests.fake_llm import Behaviour, fake_llm  # noqa: F401  (fixture)
from tests.scenarios import two_location_workshop
from ui import ai_panel, context

RUN_TIMEOUT = 60


def _panel_page(user_id: int, product_id: int):
    """The panel alone, as pages/product.py calls it (no filters, all kinds)."""
    from lib import db as lib_db
    from lib.access import actor_for_user
    from lib.inventory.query import ItemFilters
    from ui import ai_panel, context

    with lib_db.session_scope(context.engine()) as session:
        viewer = actor_for_user(session, user_id)
    ai_panel.render(viewer, product_id, ItemFilters())


@pytest.fixture
def shop(fresh_url, tmp_path, monkeypatch):
    """Ruby has stock in North (nina, mo) and South (sam); AI summaries on; endpoint unset."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LOUPE_LLM_MODEL", "LOUPE_LLM_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    point_app_at(fresh_url, tmp_path)
    workshop = two_location_workshop(fresh_url)
    set_ai(fresh_url, True)
    yield workshop
    context.settings.clear()


def configure(monkeypatch, url: str, timeout: str = "2") -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("LOUPE_LLM_MODEL", "fake-model")
    monkeypatch.setenv("LOUPE_LLM_TIMEOUT", timeout)
    context.settings.clear()


def set_ai(url: str, enabled: bool) -> None:
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        session.scalars(select(Workspace)).one().ai_summaries_enabled = enabled
    engine.dispose()


def user_id(url: str, username: str) -> int:
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        found = session.scalar(select(User.id).where(User.username == username))
    engine.dispose()
    return found


def stored(url: str) -> tuple[int, int]:
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        result = (session.scalar(select(func.count(AiSummary.id))), session.scalar(select(func.count(AiUsage.id))))
    engine.dispose()
    return result


def panel(shop, username: str) -> AppTest:
    at = AppTest.from_function(_panel_page, args=(user_id(shop.url, username), shop.product_id),
                               default_timeout=RUN_TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button_keys(at: AppTest) -> set[str]:
    return {button.key for button in at.button}


def generate(at: AppTest) -> AppTest:
    at.button(key="ai_generate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_when_off_the_panel_says_so_and_tells_admins_where_to_turn_it_on(shop, monkeypatch, fake_llm):
    configure(monkeypatch, fake_llm.url)
    set_ai(shop.url, False)
    admin = panel(shop, "boss")
    assert "Workspace settings → AI summaries" in texts(admin) and not button_keys(admin)
    manager = panel(shop, "nina")
    assert "AI summaries are off for this workspace." in texts(manager) and not button_keys(manager)
    assert fake_llm.requests == []


def test_when_not_configured_admins_read_the_settings_and_managers_a_plain_sentence(shop, fake_llm):
    admin = panel(shop, "boss")
    assert "LOUPE_LLM_MODEL" in texts(admin) and "OPENAI_BASE_URL" in texts(admin)
    manager = panel(shop, "nina")
    assert "AI summaries are not available in this workspace yet." in texts(manager)
    assert "LOUPE_LLM_MODEL" not in texts(manager) and "OPENAI" not in texts(manager)
    assert "ai_generate" not in button_keys(manager) | button_keys(admin) and fake_llm.requests == []


def test_a_manager_summarises_on_demand_and_reruns_send_nothing(shop, monkeypatch, fake_llm):
    configure(monkeypatch, fake_llm.url)
    fake_llm.reply = "Ruby: 1.2 g held in North.\n- Nothing moved recently."
    at = panel(shop, "nina")
    assert "ai_generate" in button_keys(at) and fake_llm.requests == []
    generate(at)
    assert len(fake_llm.requests) == 1
    shown = [element.value for element in at.text]
    assert "Ruby: 1.2 g held in North.\n- Nothing moved recently." in shown
    assert any(value.startswith("Generated at ") and "by model fake-model for nina" in value for value in shown)
    assert '"total_weight": 1.2' in at.get("code")[0].value  # the facts expander: 6 ct = 1.2 g, North only
    assert '"TRUB' not in at.get("code")[0].value
    at.run()
    assert len(fake_llm.requests) == 1 and "ai_generate" not in button_keys(at)
    assert stored(shop.url) == (1, 1)


def test_markup_in_a_reply_is_shown_literally_and_invented_figures_are_marked(shop, monkeypatch, fake_llm):
    configure(monkeypatch, fake_llm.url)
    reply = "<b>Stock</b> is **1.2 g** <script>alert('x')</script> [click](javascript:x) and 9.9 g on order."
    fake_llm.reply = reply
    at = generate(panel(shop, "nina"))
    shown = [element.value for element in at.text]
    assert reply.replace("9.9 g", "⚠️[9.9 g]¹") in shown
    markdown = " ".join(element.value for element in at.markdown)
    assert "<b>" not in markdown and "<script>" not in markdown and "javascript:" not in markdown
    assert "1 figure in this summary could not be confirmed (1 not found in the facts)" in texts(at)
    assert "¹ 9.9 g matches no figure in the facts" in shown[-1]


@pytest.mark.parametrize("behaviour, words", [
    (Behaviour(status=500), "server error (HTTP 500)"),
    (Behaviour(status=429), "HTTP 429"),
    (Behaviour(delay=5), "did not answer within 1 s"),
    (Behaviour(body="not json"), "not a valid chat completion"),
    (Behaviour(choices=False), "empty reply"),
], ids=["500", "429", "timeout", "malformed", "empty"])
def test_failures_keep_the_page_working_and_store_nothing(shop, monkeypatch, fake_llm, behaviour, words):
    configure(monkeypatch, fake_llm.url, timeout="1")
    fake_llm.default = behaviour
    at = generate(panel(shop, "nina"))
    assert any(words in element.value for element in at.error), [e.value for e in at.error]
    assert "ai_generate" in button_keys(at) and stored(shop.url) == (0, 0)


def test_members_see_a_summary_only_from_their_own_scope(shop, monkeypatch, fake_llm):
    configure(monkeypatch, fake_llm.url)
    fake_llm.reply = "North summary."
    generate(panel(shop, "nina"))
    member_north = panel(shop, "mo")
    assert "North summary." in [element.value for element in member_north.text]
    assert not button_keys(member_north)
    member_south = panel(shop, "sam")
    assert "North summary." not in texts(member_south) + " ".join(e.value for e in member_south.text)
    assert not button_keys(member_south) and not member_south.get("code")
    admin = panel(shop, "boss")  # sees every location: a different scope, so not nina's summary
    assert "ai_generate" in button_keys(admin)


def test_refresh_is_offered_when_stock_in_scope_changed(shop, monkeypatch, fake_llm):
    configure(monkeypatch, fake_llm.url)
    generate(panel(shop, "nina"))
    engine = db.make_engine(shop.url)
    with db.session_scope(engine, write=True) as session:
        item = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == "TRUB0001")).one()
        ledger.apply_change(session, item_id=item.id, user_id=None, movement_kind=MovementKind.ADJUSTMENT,
                            weight_delta=Decimal("1"))
    engine.dispose()
    at = panel(shop, "nina")
    assert "ai_refresh" in button_keys(at) and "Stock has changed" in texts(at)
    at.button(key="ai_refresh").click().run()
    assert len(fake_llm.requests) == 2 and "ai_refresh" not in button_keys(at)
    assert stored(shop.url) == (2, 2)


def test_admins_see_ai_usage_on_settings(shop, monkeypatch, fake_llm):
    configure(monkeypatch, fake_llm.url)
    generate(panel(shop, "nina"))
    at = signed_in(shop.url, "boss", page="settings.py")
    at.run(timeout=RUN_TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert "AI usage" in [tab.label for tab in at.tabs]
    (table,) = [frame.value for frame in at.dataframe if "Action" in frame.value.columns]
    assert list(table.columns) == ["Date", "User", "Feature", "Action", "Model", "Tokens", "Credits"]
    assert table.iloc[0][["User", "Feature", "Tokens", "Credits"]].tolist() == ["nina", "Product summary", 1150, 2]
    assert "fake-model" in " ".join(e.value for e in at.text)
    (monthly,) = [frame.value for frame in at.dataframe if "Month" in frame.value.columns]
    assert monthly.iloc[0][["User", "Feature", "Requests", "Credits"]].tolist() == ["nina", "Product summary", 1, 2]
    assert "Unlimited" in [metric.value for metric in at.metric]


def test_an_admin_sets_the_monthly_credits_and_a_manager_sees_the_balance(shop, monkeypatch, fake_llm):
    configure(monkeypatch, fake_llm.url)
    at = signed_in(shop.url, "boss", page="settings.py")
    at.run(timeout=RUN_TIMEOUT)
    at.text_input(key="ai_monthly_credits").set_value("-5")
    at.button(key="ai_monthly_save").click().run(timeout=RUN_TIMEOUT)
    assert any("whole number of credits" in element.value for element in at.error)
    at.text_input(key="ai_monthly_credits").set_value("1")
    at.button(key="ai_monthly_save").click().run(timeout=RUN_TIMEOUT)
    assert not at.exception and not at.error
    generate(panel(shop, "nina"))  # one credit left: it starts, and costs 2
    assert len(fake_llm.requests) == 1
    home = signed_in(shop.url, "nina")
    home.run(timeout=RUN_TIMEOUT)
    assert "AI credits: -1 credits" in [element.value for element in home.sidebar.text]
    assert any("No AI credits left" in element.value for element in home.sidebar.error)
    admin = generate(panel(shop, "boss"))  # another scope: no stored summary, so the button is there
    assert len(fake_llm.requests) == 1
    assert any("No AI credits left" in element.value and "An admin can add" in element.value
               for element in admin.error)
    at.run(timeout=RUN_TIMEOUT)  # the admin tops up: a bad amount is refused, a good one counts at once
    at.text_input(key="ai_topup_credits").set_value("-3")
    at.button(key="ai_topup_add").click().run(timeout=RUN_TIMEOUT)
    assert any("whole number of credits" in element.value for element in at.error)
    at.text_input(key="ai_topup_credits").set_value("5")
    at.text_input(key="ai_topup_note").set_value("invoice 7")
    at.button(key="ai_topup_add").click().run(timeout=RUN_TIMEOUT)
    assert not at.exception and "4 credits" in [metric.value for metric in at.metric]
    (topups,) = [frame.value for frame in at.dataframe if "Added by" in frame.value.columns]
    assert topups.iloc[0][["Added by", "Credits", "Note"]].tolist() == ["boss", 5, "invoice 7"]


def test_an_empty_product_sends_nothing_and_says_why(shop, monkeypatch, fake_llm):
    configure(monkeypatch, fake_llm.url)
    engine = db.make_engine(shop.url)
    with db.session_scope(engine, write=True) as session:
        empty_id = factories.make_product(session, "Empty Opal", "EOP").id
    engine.dispose()
    at = AppTest.from_function(_panel_page, args=(user_id(shop.url, "boss"), empty_id), default_timeout=RUN_TIMEOUT)
    at.run()
    generate(at)
    assert any("nothing to summarise" in element.value for element in at.error)
    assert fake_llm.requests == [] and stored(shop.url) == (0, 0)


# ---------------------------------------------------------------- issue 19: the value part and members

VALUE_MAIN = "Ruby: 1.2 g held in North.\n- Nothing moved recently."
VALUE_LINE = "Value: the value held at cost is USD 120 and USD 132 at current rates."
MONEY = re.compile(r"USD|\$|value_at|metal_value|\bValue:|\b(?:120|132)(?:\.00)?\b")


def add_gold(url: str) -> None:
    """2 g of gold on North's ruby item (made two days ago): USD 60/g then, USD 66/g since an hour ago, so North
    is worth USD 120 at cost and USD 132 at current rates (the Product Details value card's figures)."""
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        boss = factories.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        gold = rates.add_profile(session, actor=boss, data=ProfileInput(
            name="Gold 18K (750)", component_type=ComponentType.METAL, basis=RateBasis.GRAM),
            price="60", effective_at=utcnow() - timedelta(days=40))
        item = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == "TRUB0001")).one()
        item.created_at = utcnow() - timedelta(days=2)
        components.add_component(session, actor=boss, item_id=item.id,
                                 data=ComponentInput(quantity="2", unit="g", profile_id=gold.id))
        rates.record_price(session, actor=boss, profile_id=gold.id, price="66",
                           effective_at=utcnow() - timedelta(hours=1))
    engine.dispose()


def product_page(shop, username: str) -> AppTest:
    at = signed_in(shop.url, username, page="product.py", query={"id": str(shop.product_id)})
    at.run(timeout=RUN_TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    return at


def everything(at: AppTest) -> str:
    """Every text a user can read on the run, the facts expander's code included."""
    return "\n".join([readable(at), *(e.value for e in at.text), *(e.value for e in at.get("code"))])


def test_a_manager_sees_the_value_part_and_a_member_of_north_only_the_main_part(shop, monkeypatch, fake_llm):
    add_gold(shop.url)
    configure(monkeypatch, fake_llm.url)
    fake_llm.reply = f"{VALUE_MAIN}\n{VALUE_LINE}"
    nina = generate(panel(shop, "nina"))
    assert len(fake_llm.requests) == 1 and stored(shop.url) == (1, 1)  # one press, one request, one charge
    assert '"value_at_cost": 120' in fake_llm.requests[0].prompt
    assert f"{VALUE_MAIN}\n\n{VALUE_LINE}" in [element.value for element in nina.text]
    assert ai_panel.MANAGER_PART_NOTE in texts(nina) and '"value_at_current_rates": 132' in nina.get("code")[0].value

    mo = product_page(shop, "mo")
    assert VALUE_MAIN in [element.value for element in mo.text]
    assert not MONEY.search(everything(mo)), MONEY.search(everything(mo))
    assert '"total_weight": 1.2' in mo.get("code")[0].value and not button_keys(mo) & {"ai_generate", "ai_refresh"}


def test_money_in_the_main_part_is_never_shown_to_a_member(shop, monkeypatch, fake_llm):
    add_gold(shop.url)
    configure(monkeypatch, fake_llm.url)
    fake_llm.reply = f"Ruby: 1.2 g held in North, worth USD 132 today.\n{VALUE_LINE}"
    nina = generate(panel(shop, "nina"))
    assert ai_panel.NOT_SHARED in texts(nina) and "ai_refresh" in button_keys(nina)
    mo = product_page(shop, "mo")
    assert "Ruby: 1.2 g held in North" not in everything(mo) and not MONEY.search(everything(mo))
    assert not mo.get("code") or '"total_weight"' not in " ".join(e.value for e in mo.get("code"))
    # the manager asks again and gets a clean main part: members read it
    fake_llm.reply = f"{VALUE_MAIN}\n{VALUE_LINE}"
    nina.button(key="ai_refresh").click().run()
    assert len(fake_llm.requests) == 2 and ai_panel.NOT_SHARED not in texts(nina)
    assert VALUE_MAIN in [element.value for element in product_page(shop, "mo").text]


# ---------------------------------------------------------------- orders follow-up: members read no orders

ORDERS_LINE = "Orders: open sales demand is 4 pieces (9.6 g); incoming purchases are 6 pieces (41.7 g)."
ORDER_FIGURES = re.compile(r"open_sales_demand|incoming_purchases|\b(?:9\.6|41\.7)\b|\bOrders:|demand|purchases",
                           re.IGNORECASE)


def add_orders(url: str) -> None:
    """An open sales order for 4 pieces, 9.6 g of ruby and an open purchase order for 6 pieces, 41.7 g."""
    from lib.models import OrderKind, PartyKind
    from lib.orders import orders
    from lib.orders.orders import LineInput, OrderInput

    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        boss = factories.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        ruby = session.scalars(select(InventoryItem.product_id).where(InventoryItem.tag_id == "TRUB0001")).one()
        for kind, party, quantity, weight in ((OrderKind.SALES, PartyKind.CUSTOMER, 4, "9.6"),
                                              (OrderKind.PURCHASE, PartyKind.SUPPLIER, 6, "41.7")):
            orders.create_order(session, actor=boss, data=OrderInput(
                kind=kind, party_id=factories.make_party(session, party).id, lead_id=boss.user_id,
                lines=[LineInput(product_id=ruby, quantity=quantity, weight=weight, weight_unit="g")]))
    engine.dispose()


def test_a_member_of_north_reads_no_orders_in_the_managers_summary(shop, monkeypatch, fake_llm):
    add_orders(shop.url)
    configure(monkeypatch, fake_llm.url)
    fake_llm.reply = f"Ruby: 1.2 g held in North; open demand is 4 pieces.\n{ORDERS_LINE}"
    nina = generate(panel(shop, "nina"))
    prompt = fake_llm.requests[0].prompt
    assert '"open_sales_demand"' in prompt.split("<manager_facts>")[1]
    assert not ORDER_FIGURES.search(prompt.split("<facts>")[1].split("</facts>")[0])
    assert ai_panel.NOT_SHARED in texts(nina) and "ai_refresh" in button_keys(nina)
    mo = product_page(shop, "mo")  # the main part spoke of demand: the member is shown no summary
    assert "Ruby: 1.2 g held in North" not in everything(mo) and not ORDER_FIGURES.search(everything(mo))

    fake_llm.reply = f"{VALUE_MAIN}\n{ORDERS_LINE}"
    nina.button(key="ai_refresh").click().run()
    assert not nina.exception and len(fake_llm.requests) == 2 and ai_panel.NOT_SHARED not in texts(nina)
    assert f"{VALUE_MAIN}\n\n{ORDERS_LINE}" in [element.value for element in nina.text]
    assert ai_panel.MANAGER_PART_NOTE in texts(nina) and '"incoming_purchases"' in nina.get("code")[0].value
    mo = product_page(shop, "mo")
    assert VALUE_MAIN in [element.value for element in mo.text]
    assert not ORDER_FIGURES.search(everything(mo)), ORDER_FIGURES.search(everything(mo))
    assert '"total_weight": 1.2' in mo.get("code")[0].value
