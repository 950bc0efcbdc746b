"""Claim-level grounding (issue 17, items 1 and 2): the test set written from the small demo's fact sheets, and
the reading of subject, measure, window and unit on hand-written sentences."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import db
from lib.access import actor_for_user
from lib.ai import grounding, summaries
from lib.demo import build as demo
from lib.inventory.query import ItemFilters
from lib.models import Product, User
from tests.grounding_cases import PRODUCTS, cases, summary_of

NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def demo_facts(databases) -> dict[str, dict]:
    """The fact sheets of several small-demo products as the admin sees them (all kinds, no filters)."""
    engine = db.make_engine(databases.new("grounding"))
    demo.build_demo(engine, scale="small", seed=7, progress=None, now=NOW)
    with Session(engine) as session:
        admin = actor_for_user(session, session.scalar(select(User.id).where(User.username == "admin")))
        ids = dict(session.execute(select(Product.name, Product.id).where(Product.name.in_(PRODUCTS))).all())
        facts = {name: summaries.build_facts(session, actor=admin, product_id=ids[name], filters=ItemFilters(),
                                             now=NOW) for name in PRODUCTS}
    engine.dispose()
    return facts


@pytest.fixture(scope="module")
def test_set(demo_facts):
    return [(case, demo_facts[case.product]) for name in PRODUCTS for case in cases(demo_facts[name])]


def test_the_set_has_at_least_60_sentences_half_true_half_misattributed(test_set):
    true = [case for case, _facts in test_set if case.true]
    wrong = [case for case, _facts in test_set if not case.true]
    assert len(test_set) >= 60 and len(true) >= 30 and len(wrong) >= 30
    assert {case.kind for case in wrong} >= {
        "location weight as the product's total", "90-day added as 30-day", "deducted as added",
        "one location's share given to another", "one kind's weight given to another"}
    assert {case.kind for case in true} >= {"about, rounded", "location and share", "spelled kilograms"}


def test_every_misattribution_is_flagged_and_no_true_statement_is(test_set):
    results = [(case, bool(grounding.check_claims(case.text, facts).flagged)) for case, facts in test_set]
    missed = [case.text for case, flagged in results if not case.true and not flagged]
    false_alarms = [case.text for case, flagged in results if case.true and flagged]
    assert missed == [] and false_alarms == []
    assert summary_of(results) == (100, 0)


def test_a_misattribution_is_classed_as_such_and_names_the_fact_it_matches(test_set):
    for case, facts in test_set:
        if not case.true:
            flagged = grounding.check_claims(case.text, facts).flagged
            assert [claim.status for claim in flagged] == [grounding.MISATTRIBUTED], case.text
            assert flagged[0].note.startswith(f"{flagged[0].text} is ") and ", not " in flagged[0].note


def test_the_issue_example_names_the_location_the_figure_belongs_to(demo_facts):
    facts = demo_facts["Round Diamond"]
    place = max(facts["by_location"], key=lambda row: row["weight"])
    figure = f"{place['weight']:,.2f} g"
    text = f"The product holds {figure} in total."
    check = grounding.check_claims(text, facts)
    (claim,) = check.flagged
    assert claim.status == grounding.MISATTRIBUTED
    assert claim.note.startswith(f"{figure} is {place['location']}'s weight held")
    assert "not the product's weight held" in claim.note
    assert check.marked(text) == f"The product holds ⚠️[{figure}]¹ in total."
    assert check.notes() == [f"¹ {claim.note}"]


FACTS = {"unit": "g", "as_of": "2026-05-10", "product": {"name": "Ruby 18K"},
         "stock": {"items": 3, "pieces": 5, "total_weight": 1980.5, "average_weight": 660.2,
                   "oldest_stock_age_days": 100, "days_since_last_movement": 4},
         "by_kind": [{"kind": "Rough", "items": 2, "weight": 1500, "share_pct": 75.7},
                     {"kind": "Finished", "items": 1, "weight": 480.5, "share_pct": 24.3}],
         "by_location": [{"location": "North", "items": 2, "weight": 1234.5, "share_pct": 62.3},
                         {"location": "South Vault", "items": 1, "weight": 746, "share_pct": 37.7}],
         "by_quality": [{"quality": "A", "items": 3, "weight": 1980.5, "share_pct": 100.0}],
         "movement": {"last_30_days": {"days": 30, "added_weight": 50, "deducted_weight": 25.5, "net_weight": 24.5,
                                       "net_change_pct": 1.3},
                      "last_90_days": {"days": 90, "added_weight": 300, "deducted_weight": 120, "net_weight": 180,
                                       "net_change_pct": 10}},
         "largest_recent_movements": [{"date": "2026-05-05", "movement": "Issue", "weight": -120}],
         "in_production": {"open_jobs": 2, "issued_weight": 40}}


@pytest.mark.parametrize("text", [
    "Ruby 18K holds roughly two kilograms.",
    "About 1,980 g are held across 2 locations.",
    "North holds 62.3% of the product's weight; South Vault the other 37.7%.",
    "Over the last 90 days 300 g was added and 120 g deducted.",
    "In the last 30 days additions were 50 g. Deductions were 25.5 g.",
    "The largest movement was an issue of 120 g on 2026-05-05.",
    "Two open jobs hold 40 g in production (2 jobs).",
    "Quality A covers all 3 items.",
    "The oldest stock is 100 days old and the last movement was 4 days ago.",
    "Stock rose 10% over the last quarter.",
    "Rough stock weighs 1.5 kg, finished stock 480.5 g.",
    "North: 1,234.5 g (2 items).",
    "In the last 90 days 0.3 kg was added against 0.12 kg of deductions.",  # the tolerance is in the unit written
    "Quality A is the largest grade at 1,980.5 g.",
    "The largest movement was a 120 g Rough issue on 2026-05-05.",  # a movement is the product's
])
def test_true_claims_in_varied_phrasing_are_supported(text):
    assert grounding.check_claims(text, FACTS).flagged == []


@pytest.mark.parametrize("text, status", [
    ("Ruby 18K holds 1,234.5 g in total.", grounding.MISATTRIBUTED),  # North's weight as the total
    ("In the last 30 days 300 g was added.", grounding.MISATTRIBUTED),  # the 90-day figure
    ("Over the last 90 days 120 g was added.", grounding.MISATTRIBUTED),  # deducted as added
    ("South Vault holds 62.3% of the stock.", grounding.MISATTRIBUTED),  # North's share
    ("Finished stock weighs 1,500 g.", grounding.MISATTRIBUTED),  # Rough's weight
    ("Over the last 12 months 300 g was added.", grounding.MISATTRIBUTED),  # no 12-month window in the facts
    ("North holds 746 g.", grounding.MISATTRIBUTED),  # South Vault's weight
    ("The average item weighs 1,980.5 g.", grounding.MISATTRIBUTED),  # the total as the average
    ("Demand is 42.7 g next month.", grounding.UNSUPPORTED),
    ("Received on 2026-01-01.", grounding.UNSUPPORTED),
])
def test_wrong_claims_are_flagged_with_their_class(text, status):
    (claim,) = grounding.check_claims(text, FACTS).flagged
    assert claim.status == status


def test_numbers_inside_names_and_window_numbers_are_not_claims():
    check = grounding.check_claims("Ruby 18K: over the last 30 days, 50 g was added.", FACTS)
    assert [claim.text for claim in check.claims] == ["50 g"] and check.flagged == []


def test_the_check_round_trips_through_json_and_marks_as_plain_text():
    text = "<b>North</b> holds **746 g** and [x](javascript:alert) 9.9 g."
    check = grounding.check_claims(text, FACTS)
    again = grounding.ClaimCheck.from_json(check.to_json())
    assert again == check
    assert again.marked(text) == "<b>North</b> holds **⚠️[746 g]¹** and [x](javascript:alert) ⚠️[9.9 g]²."
    assert json.loads(check.to_json())[0]["status"] == grounding.MISATTRIBUTED
