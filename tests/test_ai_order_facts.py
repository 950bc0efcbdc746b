"""Security follow-up to issue 19: members must not read order figures in a shared AI summary.

Admins and managers (`Right.VIEW_ORDERS`) get the product's open sales demand and incoming purchases in a separate
`orders` section, sent with the `value` section in <manager_facts>; the model writes them in the managers-only
part ("Orders: ..." then "Value: ..."). Members of the same locations read the main part and the main facts of
that same stored summary, never an order figure; a main part that speaks of orders is not shown to them at all.

Requests go over real HTTP to `FakeLLM` on 127.0.0.1 (tests/fake_llm.py).
"""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lib.ai import grounding
from lib.ai import summaries as ai_summary
from lib.errors import PermissionDenied
from lib.inventory.query import ItemFilters
from lib.models import AiSummary, OrderKind, PartyKind
from lib.orders import orders
from lib.orders.orders import LineInput, OrderInput
from tests import factories as f
from tests.fake_llm import fake_llm  # noqa: F401  (fixture)
from tests.test_ai_summary import Shop, llm_settings
from tests.test_ai_value_facts import MONEY, valued_shop

MAIN = "The product holds 12.5 g in total.\n- North holds 12.5 g.\n- In the last 30 days 2.5 g was deducted."
ORDERS_LINE = ("Orders: open sales demand is 4 pieces (9.6 g) on 1 sales order; "
               "incoming purchases are 6 pieces (41.7 g).")
VALUE = "Value: the value held at cost is USD 120 and USD 132 at current rates."
# anything a member must never read about orders: the section's keys, its figures, the orders line's marker
ORDERS = re.compile(r"open_sales_demand|incoming_purchases|\b(?:9\.6|41\.7)\b|\bOrders:|demand|purchases",
                    re.IGNORECASE)
EXPECTED = {"open_sales_demand": {"lines": 1, "orders": 1, "pieces": 4, "weight": 9.6},
            "incoming_purchases": {"lines": 1, "orders": 1, "pieces": 6, "weight": 41.7}}


def ordered_shop(session) -> Shop:
    """The valued AI summary shop (tests/test_ai_value_facts.py) with one open sales order for 4 pieces, 9.6 g of
    the product and one open purchase order for 6 pieces, 41.7 g: figures no main fact of North's manager has."""
    shop, _gold = valued_shop(session)
    customer, supplier = f.make_party(session, PartyKind.CUSTOMER), f.make_party(session, PartyKind.SUPPLIER)
    for kind, party, quantity, weight in ((OrderKind.SALES, customer, 4, "9.6"),
                                          (OrderKind.PURCHASE, supplier, 6, "41.7")):
        orders.create_order(session, actor=shop.admin, data=OrderInput(
            kind=kind, party_id=party.id, lead_id=shop.admin.user_id,
            lines=[LineInput(product_id=shop.product.id, quantity=quantity, weight=weight, weight_unit="g")]))
    session.flush()
    return shop


def facts_of(session, shop: Shop, actor) -> dict:
    return ai_summary.build_facts(session, actor=actor, product_id=shop.product.id, filters=ItemFilters())


def generate(session, fake_llm, shop: Shop, reply: str):  # noqa: F811
    fake_llm.reply = reply
    return ai_summary.generate_summary(session, actor=shop.manager, settings=llm_settings(fake_llm.url),
                                       product_id=shop.product.id, filters=ItemFilters())


def latest(session, shop: Shop, actor):
    return ai_summary.latest_summary(session, actor=actor, product_id=shop.product.id, filters=ItemFilters())


def readable(view) -> str:
    """Everything a viewer of the panel can read of a summary."""
    return "\n".join([view.text, view.marked_text, *view.notes, view.facts_json, json.dumps(view.facts)])


# ---------------------------------------------------------------- facts and prompts

def test_a_manager_facts_carry_the_orders_apart_from_the_main_facts(session):
    shop = ordered_shop(session)
    facts = facts_of(session, shop, shop.manager)
    assert facts["orders"] == EXPECTED and facts["not_tracked"] == []
    main = ai_summary.main_facts(facts)
    assert "orders" not in main and "value" not in main
    assert not ORDERS.search(ai_summary.facts_json(main)) and not MONEY.search(ai_summary.facts_json(main))
    assert ai_summary.manager_facts(facts) == {"orders": EXPECTED, "value": facts["value"]}


@pytest.mark.parametrize("member", ["member_north", "member_south"])
def test_a_member_facts_and_prompt_hold_no_order_figure(session, fake_llm, member):
    shop = ordered_shop(session)
    actor = getattr(shop, member)
    facts = facts_of(session, shop, actor)
    assert "orders" not in facts and ai_summary.manager_facts(facts) is None
    assert facts["not_tracked"] == [ai_summary.ORDERS_NOT_VISIBLE]  # the model is told orders are not tracked
    prompt = ai_summary.render_prompt(ai_summary.facts_json(facts), None, facts["unit"])
    data = prompt.user.split("<facts>")[1]
    assert "<manager_facts>\nnull\n</manager_facts>" in data and not ORDERS.search(data.replace(
        ai_summary.ORDERS_NOT_VISIBLE, ""))
    with pytest.raises(PermissionDenied):
        ai_summary.prepare_summary(session, actor=actor, settings=llm_settings(fake_llm.url),
                                   product_id=shop.product.id, filters=ItemFilters())
    assert fake_llm.requests == []


def test_a_manager_prompt_carries_the_orders_in_the_manager_block_only(session, fake_llm):
    shop = ordered_shop(session)
    generate(session, fake_llm, shop, f"{MAIN}\n{ORDERS_LINE}\n{VALUE}")
    (request,) = fake_llm.requests
    system, user = (message["content"] for message in request.body["messages"])
    facts_block = user.split("<facts>")[1].split("</facts>")[0]
    manager_block = user.split("<manager_facts>")[1].split("</manager_facts>")[0]
    assert not ORDERS.search(facts_block) and not MONEY.search(facts_block)
    assert json.loads(manager_block)["orders"] == EXPECTED and '"value_at_cost": 120' in manager_block
    assert "say nothing in them about orders" in system and 'starts with "Orders: "' in user


# ---------------------------------------------------------------- one summary, two audiences

def test_the_manager_sees_the_orders_line_and_a_member_of_the_same_location_no_orders(session, fake_llm):
    shop = ordered_shop(session)
    view = generate(session, fake_llm, shop, f"{MAIN}\n{ORDERS_LINE}\n{VALUE}")
    assert view.text == f"{MAIN}\n\n{ORDERS_LINE}\n{VALUE}" and view.has_manager_part and view.shared_with_members
    assert view.unsupported_figures == 0 and view.misattributed_figures == 0, view.notes
    row = session.get(AiSummary, view.id)
    assert row.text == MAIN and row.value_text == f"{ORDERS_LINE}\n{VALUE}"
    assert json.loads(row.value_json)["orders"] == EXPECTED and not ORDERS.search(row.facts_json)

    manager = latest(session, shop, shop.manager)
    assert manager.id == view.id and ORDERS_LINE in manager.text and manager.facts["orders"] == EXPECTED

    member = latest(session, shop, shop.member_north)
    assert member is not None and member.id == view.id and member.text == MAIN and not member.has_manager_part
    assert "orders" not in member.facts and "value" not in member.facts
    assert not ORDERS.search(readable(member)) and not MONEY.search(readable(member))
    assert latest(session, shop, shop.member_south) is None  # another location: nothing, as before


@pytest.mark.parametrize("leak", [
    "Open demand is 4 pieces (9.6 g) across 1 sales order.",  # the orders' own words
    "North holds 12.5 g; 9.6 g of it is spoken for.",  # a figure only the orders facts have
    "- 6 pieces are expected from the supplier.",
    "Incoming purchases will add 41.7 g.",
    "There are no open orders for this product.",  # no figure, still order information
    "Customers want 4 pieces.",
])
def test_orders_in_the_main_part_keep_the_whole_summary_from_members(session, fake_llm, leak):
    shop = ordered_shop(session)
    older = generate(session, fake_llm, shop, MAIN)  # an earlier, clean summary of the same view
    view = generate(session, fake_llm, shop, f"{leak}\n- In the last 30 days 2.5 g was deducted.\n{VALUE}")
    assert not view.shared_with_members and not session.get(AiSummary, view.id).shared_with_members
    assert grounding.restricted_figures(leak, facts_of(session, shop, shop.manager))
    assert latest(session, shop, shop.manager).id == view.id != older.id
    assert latest(session, shop, shop.member_north) is None  # not even the older summary
    state = ai_summary.panel_state(session, actor=shop.member_north, settings=llm_settings(fake_llm.url),
                                   product_id=shop.product.id, filters=ItemFilters())
    assert state.summary is None


@pytest.mark.parametrize("text", [
    MAIN,
    "The product holds 12.5 g in 2 items (3 pieces), as of the facts' date.",
    "- The largest movement in the last 90 days was a Purchase receipt of 5 g.",
    "- In order to avoid slow movers, watch the 100-day-old stock.",
    "North holds 12.5 g, ordered by weight: 7.5 g finished and 5 g rough.",
])
def test_a_main_part_without_orders_is_not_taken_for_one(session, text):
    shop = ordered_shop(session)
    assert grounding.order_figures(text, facts_of(session, shop, shop.manager)) == [], text


def test_order_figures_are_read_however_they_are_written(session):
    shop = ordered_shop(session)
    facts = facts_of(session, shop, shop.manager)
    assert grounding.order_figures("North holds 12.5 g and about 10 g more is spoken for.", facts) == ["10 g"]
    assert grounding.order_figures("Expect 41.7 g soon.", facts) == ["41.7 g"]
    assert grounding.order_figures("Expect 0.0417 kg soon.", facts) == ["0.0417 kg"]
    assert grounding.order_figures("Backorders: none.", facts) == ["Backorders"]
    # a figure a main fact also has is not taken for an order figure (12.5 g is held)
    assert grounding.order_figures("North holds 12.5 g.", facts) == []


@settings(max_examples=50, deadline=None)
@given(label=st.sampled_from(["Orders", "ORDERS", "Open demand", "Sales orders", "Incoming purchases", "Value",
                              "value held"]),
       bullet=st.sampled_from(["", "- ", "* ", "• ", "  - "]), bold=st.booleans(),
       tail=st.text(alphabet="abcdefgh 0123456789.,;:-\n", max_size=60))
def test_everything_from_the_first_orders_or_value_line_on_stays_with_managers(label, bullet, bold, tail):
    mark = "**" if bold else ""
    main, part = ai_summary.split_reply(f"{MAIN}\n{bullet}{mark}{label}:{mark} 4 pieces (9.6 g).{tail}")
    assert main == MAIN
    assert part.startswith(f"{label[0].upper()}{label[1:].lower()}: 4 pieces (9.6 g).")


def test_names_in_the_facts_are_names_not_order_words():
    facts = {"product": {"name": "Custom Order Ring"}, "unit": "g", "stock": {"items": 2, "total_weight": 12.5},
             "by_location": [{"location": "Customer Returns", "items": 2, "weight": 12.5, "share_pct": 100.0}],
             "orders": {"open_sales_demand": {"lines": 1, "orders": 1, "pieces": 4, "weight": 9.6}}}
    assert grounding.order_figures("Custom Order Ring: Customer Returns holds 12.5 g.", facts) == []
    assert grounding.order_figures("Custom Order Ring has open orders.", facts) == ["open orders"]


# ---------------------------------------------------------------- summaries stored before this change

def _as_before(session, view_id: int, facts: dict, text: str) -> AiSummary:
    """Rewrite a stored row the way prompt version 3 stored it: the orders in the main facts, the value section
    alone in value_json and the value part without its label."""
    row = session.get(AiSummary, view_id)
    row.text, row.prompt_version = text, "3"
    row.facts_json = ai_summary.facts_json({**ai_summary.main_facts(facts), "orders": facts["orders"]})
    row.value_json = ai_summary.facts_json(facts["value"])
    row.value_text, row.value_grounding_json = "the value held at cost is USD 120.", None
    row.grounding_json = grounding.check_claims(text, json.loads(row.facts_json)).to_json()  # made with the orders
    session.flush()
    return row


def test_an_older_summary_with_orders_in_its_facts_shows_a_member_none_of_them(session, fake_llm):
    shop = ordered_shop(session)
    facts = facts_of(session, shop, shop.manager)
    view = generate(session, fake_llm, shop, MAIN)
    _as_before(session, view.id, facts, f"{MAIN}\n- North holds 9.7 g.")  # 9.7 g: no order figure, flagged
    member = latest(session, shop, shop.member_north)
    assert member.text == f"{MAIN}\n- North holds 9.7 g." and "orders" not in member.facts
    assert member.unsupported_figures == 1 and member.notes[0].startswith("¹ 9.7 g matches no figure")
    assert not ORDERS.search(readable(member).replace("9.7", "")) and not MONEY.search(readable(member))
    manager = latest(session, shop, shop.manager)
    assert manager.facts["orders"] == EXPECTED and manager.facts["value"] == facts["value"]
    assert manager.text.endswith("\n\nValue: the value held at cost is USD 120.") and manager.has_manager_part


def test_an_older_summary_whose_text_names_orders_is_not_shown_to_members(session, fake_llm):
    shop = ordered_shop(session)
    facts = facts_of(session, shop, shop.manager)
    view = generate(session, fake_llm, shop, MAIN)
    _as_before(session, view.id, facts, f"{MAIN}\n- Open sales demand is 4 pieces.")
    assert session.get(AiSummary, view.id).shared_with_members  # stored as shared, yet checked again now
    assert latest(session, shop, shop.member_north) is None
    manager = latest(session, shop, shop.manager)
    assert manager is not None and not manager.shared_with_members  # the author is told, and may refresh
    assert session.scalars(select(AiSummary.id)).all() == [view.id]
