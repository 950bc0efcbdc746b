"""AI grounding benchmark (issue 17, item 2), on the small demo, as the demo admin.

The test set of tests/grounding_cases.py is written from the fact sheets (`lib.ai.summaries.build_facts`,
all kinds, no filters, today) of several small-demo products: true statements in varied phrasing and
misattributions of every kind the issue lists. Each sentence goes through `lib.ai.grounding.check_claims`.

- ai_grounding_flagged_pct: misattributed sentences with a flagged figure, in percent of all of them (the
  higher the better; the tests require 100);
- ai_grounding_false_alarm_pct: true sentences with a flagged figure, in percent (target: under 1, i.e. none).
"""
from __future__ import annotations

from sqlalchemy import select

from bench.run import BenchContext, Result
from lib import db
from lib.access import actor_for_user
from lib.ai import grounding, summaries
from lib.inventory.query import ItemFilters
from lib.models import Product, User
from tests.grounding_cases import PRODUCTS, cases, summary_of


def run(context: BenchContext) -> list[Result]:
    results = []
    with db.session_scope(context.small) as session:
        admin = actor_for_user(session, session.scalar(select(User.id).where(User.username == "admin")))
        ids = dict(session.execute(select(Product.name, Product.id).where(Product.name.in_(PRODUCTS))).all())
        for name in PRODUCTS:
            if name not in ids:
                continue
            facts = summaries.build_facts(session, actor=admin, product_id=ids[name], filters=ItemFilters())
            if not facts["stock"]["items"] or len(facts["by_location"]) < 2:
                continue
            results += [(case, bool(grounding.check_claims(case.text, facts).flagged)) for case in cases(facts)]
    flagged, false_alarms = summary_of(results)
    sentences = len(results)
    wrong = sum(1 for case, _flagged in results if not case.true)
    return [Result("ai_grounding_flagged_pct", float(flagged), "%",
                   note=f"{wrong} misattributed of {sentences} sentences"),
            Result("ai_grounding_false_alarm_pct", float(false_alarms), "%", target=1.0,
                   note=f"{sentences - wrong} true sentences")]
