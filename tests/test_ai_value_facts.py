"""Issue 19: one summary request, two audiences. Admins and managers get a separate `value` section in their facts
and a separately marked "Value:" part in their summary; members of the same locations keep reading the main part
and the value-free facts of that same stored summary, never an amount of money.

Requests go over real HTTP to `FakeLLM` on 127.0.0.1 (tests/fake_llm.py).
"""
from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lib.ai import grounding
from lib.ai import summaries as ai_summary
from lib.costing import components, rates
from lib.costing.components import ComponentInput
from lib.costing.rates import ProfileInput
from lib.enums import ComponentType, RateBasis
from lib.errors import PermissionDenied
from lib.inventory.query import ItemFilters
from lib.models import AiSummary, AiUsage, InventoryItem, InventoryKind, utcnow
from tests.fake_llm import fake_llm  # noqa: F401  (fixture)
from tests.test_ai_summary import Shop, llm_settings, make_shop

MAIN = "The product holds 12.5 g in total.\n- North holds 12.5 g.\n- In the last 30 days 2.5 g was deducted."
VALUE = "Value: the value held at cost is USD 120 and USD 132 at current rates."
# anything a member must never read: a currency, the value section's keys, the amounts, the value part's marker
MONEY = re.compile(r"USD|\$|value_at|metal_value|\bValue:|\b(?:120|132|180|198)\b")


def valued_shop(session) -> tuple[Shop, int]:
    """The AI summary shop (North: 7.5 g finished and a rough 5 g; South: 7.3 g), with gold components: 2 g on the
    North finished item, 1 g on the South item. Gold was USD 60.00/g from 200 days ago and is USD 66.00/g since
    yesterday, so North is worth USD 120 at cost and USD 132 at current rates, all locations 180 and 198."""
    shop = make_shop(session)
    gold = rates.add_profile(session, actor=shop.admin, data=ProfileInput(
        name="Gold 18K (750)", component_type=ComponentType.METAL, basis=RateBasis.GRAM),
        price="60.00", effective_at=utcnow() - timedelta(days=200)).id
    rates.record_price(session, actor=shop.admin, profile_id=gold, price="66.00",
                       effective_at=utcnow() - timedelta(days=1))
    items = session.scalars(select(InventoryItem).where(InventoryItem.product_id == shop.product.id)
                            .order_by(InventoryItem.id)).all()
    north_finished, south = items[0], items[2]
    assert south.tag_id == shop.south_tag
    for item, grams in ((north_finished, "2"), (south, "1")):
        components.add_component(session, actor=shop.admin, item_id=item.id,
                                 data=ComponentInput(quantity=grams, unit="g", profile_id=gold))
    session.flush()
    return shop, gold


def generate(session, fake_llm, shop: Shop, actor, reply: str):  # noqa: F811
    fake_llm.reply = reply
    return ai_summary.generate_summary(session, actor=actor, settings=llm_settings(fake_llm.url),
                                       product_id=shop.product.id, filters=ItemFilters())


def latest(session, shop: Shop, actor):
    return ai_summary.latest_summary(session, actor=actor, product_id=shop.product.id, filters=ItemFilters())


# ---------------------------------------------------------------- facts and prompts

def test_a_manager_facts_carry_a_separate_value_section_of_their_locations(session):
    shop, _gold = valued_shop(session)
    facts = ai_summary.build_facts(session, actor=shop.manager, product_id=shop.product.id, filters=ItemFilters())
    assert facts["value"] == {"currencies": [{"currency": "USD", "value_at_cost": 120,
                                              "value_at_current_rates": 132,
                                              "metal_value_at_current_rates": 132}],
                              "components_without_a_price_today": 0}
    assert not MONEY.search(ai_summary.facts_json(ai_summary.main_facts(facts)))
    admin = ai_summary.build_facts(session, actor=shop.admin, product_id=shop.product.id, filters=ItemFilters())
    assert admin["value"]["currencies"][0]["value_at_cost"] == 180
    rough = ai_summary.build_facts(session, actor=shop.admin, product_id=shop.product.id,
                                   filters=ItemFilters(kinds=(InventoryKind.ROUGH,)))
    assert rough["value"]["currencies"] == []  # the kind switch applies, as on the page's value card


@pytest.mark.parametrize("member", ["member_north", "member_south"])
def test_a_member_facts_and_prompt_hold_no_value_or_currency_amount(session, fake_llm, member):
    shop, _gold = valued_shop(session)
    actor = getattr(shop, member)
    facts = ai_summary.build_facts(session, actor=actor, product_id=shop.product.id, filters=ItemFilters())
    assert "value" not in facts and ai_summary.main_facts(facts) == facts
    prompt = ai_summary.render_prompt(ai_summary.facts_json(facts), None, facts["unit"])
    assert "<manager_facts>\nnull\n</manager_facts>" in prompt.user
    assert not MONEY.search(prompt.user.split("<facts>")[1])  # the instructions name "Value:"; the data never
    with pytest.raises(PermissionDenied):  # and a member never sends a prompt at all
        ai_summary.prepare_summary(session, actor=actor, settings=llm_settings(fake_llm.url),
                                   product_id=shop.product.id, filters=ItemFilters())
    assert fake_llm.requests == []


def test_a_manager_prompt_carries_the_value_section_apart_from_the_money_free_facts(session, fake_llm):
    shop, _gold = valued_shop(session)
    generate(session, fake_llm, shop, shop.manager, f"{MAIN}\n{VALUE}")
    (request,) = fake_llm.requests
    system, user = (message["content"] for message in request.body["messages"])
    facts_block = user.split("<facts>")[1].split("</facts>")[0]
    value_block = user.split("<manager_facts>")[1].split("</manager_facts>")[0]
    assert not MONEY.search(facts_block)
    assert '"currency": "USD"' in value_block and '"value_at_cost": 120' in value_block
    assert '"value_at_current_rates": 132' in value_block
    assert "never write an amount of money" in system and 'starts with "Value: "' in user


# ---------------------------------------------------------------- one request, two audiences

def test_the_manager_sees_the_value_part_and_a_member_of_the_same_location_the_main_part_only(session, fake_llm):
    shop, _gold = valued_shop(session)
    view = generate(session, fake_llm, shop, shop.manager, f"{MAIN}\n{VALUE}")
    assert view.text == f"{MAIN}\n\n{VALUE}" and view.has_manager_part and view.shared_with_members
    assert view.unsupported_figures == 0 and view.misattributed_figures == 0, view.notes
    row = session.get(AiSummary, view.id)
    assert row.text == MAIN and row.value_text == VALUE  # the managers-only part, its label kept
    assert json.loads(row.value_json)["value"]["currencies"][0]["value_at_current_rates"] == 132
    assert not MONEY.search(row.facts_json) and row.scope_key == shop.manager.scope_key
    # one press, one request, one usage row (one credit charge)
    assert len(fake_llm.requests) == 1
    assert session.scalar(select(func.count(AiUsage.id)).where(AiUsage.pending.is_(False))) == 1

    manager = latest(session, shop, shop.manager)
    assert manager.id == view.id and "USD 132" in manager.text and manager.facts["value"]["currencies"]
    assert '"value_at_cost": 120' in manager.facts_json

    member = latest(session, shop, shop.member_north)
    assert member is not None and member.id == view.id
    assert member.text == MAIN and member.marked_text == MAIN and not member.has_manager_part
    assert "value" not in member.facts and not MONEY.search(member.facts_json)
    assert not MONEY.search(" ".join([member.text, member.marked_text, *member.notes]))
    state = ai_summary.panel_state(session, actor=shop.member_north, settings=llm_settings(fake_llm.url),
                                   product_id=shop.product.id, filters=ItemFilters())
    assert state.summary is not None and state.summary.text == MAIN and not state.can_generate
    assert latest(session, shop, shop.member_south) is None  # another location: nothing, as before


@pytest.mark.parametrize("leak", [
    "North holds 12.5 g worth USD 132 at current rates.",
    "North holds 12.5 g, valued at $120.",
    "The stock at cost comes to 120.",
    "Gold content is about 132 dollars today.",
    "North holds 12.5 g; 132 at today's rates.",
])
def test_money_in_the_main_part_keeps_the_whole_summary_from_members(session, fake_llm, leak):
    shop, _gold = valued_shop(session)
    older = generate(session, fake_llm, shop, shop.manager, MAIN)  # an earlier, clean summary of the same view
    view = generate(session, fake_llm, shop, shop.manager,
                    f"{leak}\n- In the last 30 days 2.5 g was deducted.\n{VALUE}")
    assert not view.shared_with_members and not session.get(AiSummary, view.id).shared_with_members
    assert grounding.money_figures(leak, ai_summary.build_facts(
        session, actor=shop.manager, product_id=shop.product.id, filters=ItemFilters()))
    # the manager still reads it (marked) and may refresh; a member is shown nothing, not even the older one
    assert latest(session, shop, shop.manager).id == view.id != older.id
    assert latest(session, shop, shop.member_north) is None
    state = ai_summary.panel_state(session, actor=shop.member_north, settings=llm_settings(fake_llm.url),
                                   product_id=shop.product.id, filters=ItemFilters())
    assert state.summary is None


def test_a_clean_main_part_is_shared_even_with_weights_counts_and_dates(session, fake_llm):
    shop, _gold = valued_shop(session)
    facts = ai_summary.build_facts(session, actor=shop.manager, product_id=shop.product.id, filters=ItemFilters())
    north = facts["by_location"][0]
    text = (f"The product holds 12.5 g in {facts['stock']['items']} items; North holds {north['weight']} g "
            f"({north['share_pct']}% of the product's weight), as of {facts['as_of']}.\n"
            "- In the last 90 days 2.5 g was deducted.")
    assert grounding.money_figures(text, facts) == []
    assert generate(session, fake_llm, shop, shop.manager, text).shared_with_members


def test_a_summary_without_a_value_part_is_stored_and_shared(session, fake_llm):
    shop, _gold = valued_shop(session)
    view = generate(session, fake_llm, shop, shop.manager, MAIN)
    assert view.text == MAIN and not view.has_manager_part and view.shared_with_members
    assert session.get(AiSummary, view.id).value_text is None
    assert latest(session, shop, shop.member_north).text == MAIN


@pytest.mark.parametrize("reply, main, value", [
    (f"{MAIN}\n{VALUE}", MAIN, VALUE),
    (f"{MAIN}\n- Value: USD 120 at cost.", MAIN, "Value: USD 120 at cost."),
    (f"{MAIN}\n\n**Value:** USD 120 at cost.", MAIN, "Value: USD 120 at cost."),
    (f"{MAIN}\nVALUE: USD 120 at cost.\n- One more bullet.", MAIN, "Value: USD 120 at cost.\n- One more bullet."),
    (f"{MAIN}\nValue held: USD 120 at cost.", MAIN, "Value held: USD 120 at cost."),
    (f"{MAIN}\nOrders: 2 open sales lines.\nValue: USD 120 at cost.", MAIN,
     "Orders: 2 open sales lines.\nValue: USD 120 at cost."),
    (f"{MAIN}\n- **Open demand:** 4 pieces.\n- Incoming purchases: 6 pieces.", MAIN,
     "Open demand: 4 pieces.\nIncoming purchases: 6 pieces."),
    (MAIN, MAIN, None),
    ("The value of the stock is not in the facts.", "The value of the stock is not in the facts.", None),
])
def test_the_reply_is_split_at_the_first_orders_or_value_line(reply, main, value):
    assert ai_summary.split_reply(reply) == (main, value)


def test_a_new_price_makes_the_value_part_stale_for_the_manager_only(session, fake_llm):
    shop, gold_id = valued_shop(session)
    generate(session, fake_llm, shop, shop.manager, f"{MAIN}\n{VALUE}")
    assert not latest(session, shop, shop.manager).stale and not latest(session, shop, shop.member_north).stale
    rates.record_price(session, actor=shop.admin, profile_id=gold_id, price="70.00", effective_at=utcnow())
    session.flush()
    assert latest(session, shop, shop.manager).stale
    assert not latest(session, shop, shop.member_north).stale  # the member's part holds no value


# ---------------------------------------------------------------- grounding of money

@pytest.mark.parametrize("text", [
    "The value held at cost is USD 120.",
    "At current rates the stock is worth USD 132.",
    "Metal value at current rates is USD 132.00.",
    "The product's value at cost is $120 and 132 USD at current rates.",
    "The stock is worth about USD 125 at cost.",
    "Value at cost: 120.",
])
def test_money_the_value_facts_hold_is_supported(session, text):
    shop, _gold = valued_shop(session)
    facts = ai_summary.build_facts(session, actor=shop.manager, product_id=shop.product.id, filters=ItemFilters())
    check = grounding.check_claims(text, facts)
    assert check.claims and not check.flagged, check.notes()


@pytest.mark.parametrize("text, status", [
    ("The value held at cost is USD 132.", grounding.MISATTRIBUTED),  # the value at current rates
    ("At current rates the stock is worth USD 120.", grounding.MISATTRIBUTED),
    ("The stock is worth EUR 120 at cost.", grounding.UNSUPPORTED),  # no EUR value
    ("The value at cost is USD 252.", grounding.UNSUPPORTED),  # a sum of two values
    ("The value at cost is USD 12.5.", grounding.UNSUPPORTED),  # the weight held, not an amount of money
])
def test_money_the_value_facts_do_not_hold_is_flagged(session, text, status):
    shop, _gold = valued_shop(session)
    facts = ai_summary.build_facts(session, actor=shop.manager, product_id=shop.product.id, filters=ItemFilters())
    (claim,) = grounding.check_claims(text, facts).claims
    assert claim.status == status, claim.note


def test_a_wrong_amount_in_the_stored_value_part_is_flagged_and_a_right_one_is_not(session, fake_llm):
    shop, _gold = valued_shop(session)
    right = generate(session, fake_llm, shop, shop.manager, f"{MAIN}\n{VALUE}")
    assert right.unsupported_figures == right.misattributed_figures == 0 and "⚠️" not in right.marked_text
    wrong = generate(session, fake_llm, shop, shop.manager,
                     f"{MAIN}\n- North holds 99 g.\nValue: the value held at cost is USD 150.")
    assert wrong.unsupported_figures == 2  # one in the main part, one in the value part: numbered on
    assert "North holds ⚠️[99 g]¹." in wrong.marked_text
    assert wrong.marked_text.endswith("Value: the value held at cost is USD ⚠️[150]².")
    assert wrong.notes[1].startswith("²") and "150" in wrong.notes[1]
    row = session.get(AiSummary, wrong.id)
    assert (row.unsupported_figures, row.misattributed_figures) == (2, 0)
    # the member reads the main part with its own flag only
    member = latest(session, shop, shop.member_north)
    assert member.unsupported_figures == 1 and len(member.notes) == 1 and not MONEY.search(member.marked_text)


def test_a_money_figure_with_member_facts_is_unsupported(session):
    shop, _gold = valued_shop(session)
    facts = ai_summary.build_facts(session, actor=shop.member_north, product_id=shop.product.id,
                                   filters=ItemFilters())
    (claim,) = grounding.check_claims("The stock is worth USD 12.5 at cost.", facts).claims
    assert claim.status == grounding.UNSUPPORTED
    assert not grounding.check_claims("North holds 12.5 g.", facts).flagged  # a weight is still a weight


# ---------------------------------------------------------------- what counts as money in the main part

@pytest.mark.parametrize("text", [
    "North holds 12.5 g worth USD 132.",
    "At cost: USD 1,320.50.",
    "North's 12.5 g are valued at €120.",
    "The gold in it comes to 132 USD.",
    "It is worth about one hundred dollars.",
    "The stock at current rates is 198.",
    "North: 12.5 g; 132 at today's prices.",
    "The value held is 120.",
])
def test_money_figures_finds_amounts_however_they_are_written(session, text):
    shop, _gold = valued_shop(session)
    facts = ai_summary.build_facts(session, actor=shop.admin, product_id=shop.product.id, filters=ItemFilters())
    assert grounding.money_figures(text, facts), text


@pytest.mark.parametrize("text", [
    "The product holds 19.8 g in 4 items.",
    "North holds 12.5 g (63.1% of the product's weight) and was last moved 5 days ago.",
    "In the last 30 days 2.5 g was deducted; the oldest stock is 100 days old.",
    "Quality AAA holds 7.5 g, as of 2026-01-01.",
])
def test_money_figures_leaves_weights_counts_shares_and_dates_alone(session, text):
    shop, _gold = valued_shop(session)
    facts = ai_summary.build_facts(session, actor=shop.admin, product_id=shop.product.id, filters=ItemFilters())
    assert grounding.money_figures(text, facts) == [], text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999"), places=2),
       form=st.sampled_from(["USD {a}", "{a} USD", "${a}", "US${a}", "€{a}", "{a} dollars", "EUR {a}"]),
       sentence=st.sampled_from(["North holds 12.5 g, {m}.", "- {m} is what it holds.", "Stock: {m}"]))
def test_any_written_amount_with_a_currency_is_money(amount, form, sentence):
    facts = {"product": {"name": "Ruby"}, "unit": "g", "stock": {"items": 2, "total_weight": 12.5}}
    written = form.format(a=f"{amount:,}")
    assert grounding.money_figures(sentence.format(m=written), facts), written
