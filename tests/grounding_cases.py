"""The grounding test set (issue 17, item 2): sentences written from the small demo's fact sheets.

`cases(facts)` writes, for one product's fact sheet (lib.ai.summaries.build_facts on the small demo), true
statements phrased in varied ways (exact, rounded, "about", percentages, kilograms and carats, spelled
numbers such as "roughly two kilograms") and misattributions of every kind the issue lists: a location's
weight stated as the product's total, the 90-day figure stated as the 30-day one, deducted stated as added,
one location's share given to another, one kind's (or quality's) weight given to another, a location's
item count given as the product's, the product's total given to a location, a 30-day percentage given as the
90-day one. The figures come from the facts, so the set follows the demo; a misattribution whose wrong figure
happens to equal the right one within rounding is left out (it would be true).

Used by tests/test_ai_grounding.py and bench/bench_ai_grounding.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

PRODUCTS = ("Round Diamond", "Heart Diamond", "Oval Aquamarine", "Heart African Amethyst", "14K Yellow Gold Clasps")
WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


@dataclass(frozen=True)
class Case:
    product: str
    text: str
    true: bool
    kind: str  # what the sentence tests


def _g(value, places: int = 2) -> str:
    return f"{abs(float(value)):,.{places}f} g"


def _close(a, b, share: float = 0.02) -> bool:
    a, b = abs(float(a)), abs(float(b))
    return abs(a - b) <= max(a, b) * share


def cases(facts: dict) -> list[Case]:
    name = facts["product"]["name"]
    stock, move = facts["stock"], facts["movement"]
    d30, d90 = move["last_30_days"], move["last_90_days"]
    places = sorted(facts["by_location"], key=lambda row: -row["weight"])
    kinds = sorted(facts["by_kind"], key=lambda row: -row["weight"])
    qualities = sorted((row for row in facts["by_quality"] if not row["quality"].startswith(("(", "not set"))),
                       key=lambda row: -row["weight"])
    total = stock["total_weight"]
    out: list[Case] = []

    def true(kind: str, text: str) -> None:
        out.append(Case(name, text, True, kind))

    def false(kind: str, text: str, wrong, right) -> None:
        if not _close(wrong, right):
            out.append(Case(name, text, False, kind))

    first, second = places[0], places[1]
    # ---- true statements
    true("exact total", f"{name} holds {_g(total)} in total across {len(places)} locations.")
    true("about, rounded", f"About {round(total):,} g of {name} is in stock.")
    true("location and share", f"{first['location']} holds {_g(first['weight'], 1)}, {first['share_pct']}% of the "
                               "product's weight.")
    true("30-day movement", f"In the last 30 days, {_g(d30['added_weight'])} was added and "
                            f"{_g(d30['deducted_weight'])} deducted.")
    verb = "fell" if d90["net_weight"] < 0 else "rose"
    if d90["net_change_pct"] is not None:
        true("90-day change with percentage", f"Over the last 90 days stock {verb} by {_g(d90['net_weight'], 1)} "
                                              f"({abs(d90['net_change_pct'])}%).")
    true("kind share", f"{kinds[0]['kind']} stock accounts for {kinds[0]['share_pct']}% of the weight held.")
    if stock["average_weight"]:
        true("average, about", f"The average item weighs about {float(stock['average_weight']):.1f} g.")
    kilograms = round(total / 1000)
    if kilograms in WORDS and _close(kilograms * 1000, total, 0.09):
        true("spelled kilograms", f"Roughly {WORDS[kilograms]} kilograms are held overall.")
    else:
        true("kilograms", f"That is roughly {total / 1000:.1f} kg overall.")
    true("location items", f"{second['location']} has {second['items']} items.")
    true("carats", f"In carats that is about {round(total * 5):,} ct in total.")
    # ---- misattributions
    false("location weight as the product's total", f"{name} holds {_g(first['weight'])} in total.",
          first["weight"], total)
    false("90-day added as 30-day", f"In the last 30 days {_g(d90['added_weight'])} was added.",
          d90["added_weight"], d30["added_weight"])
    false("deducted as added", f"Over the last 90 days {_g(d90['deducted_weight'])} was added.",
          d90["deducted_weight"], d90["added_weight"])
    false("one location's share given to another", f"{second['location']} holds {first['share_pct']}% of the stock.",
          first["share_pct"], second["share_pct"])
    if len(kinds) > 1:
        false("one kind's weight given to another", f"{kinds[1]['kind']} stock weighs {_g(kinds[0]['weight'], 1)}.",
              kinds[0]["weight"], kinds[1]["weight"])
    elif len(qualities) > 1:
        false("one quality's weight given to another",
              f"Quality {qualities[1]['quality']} weighs {_g(qualities[0]['weight'], 1)}.",
              qualities[0]["weight"], qualities[1]["weight"])
    false("a location's items as the product's", f"The product has {first['items']} items in stock.",
          first["items"], stock["items"])
    false("the product's total given to a location", f"{second['location']} holds {_g(total)}.",
          total, second["weight"])
    if d30["net_change_pct"] is not None and d90["net_change_pct"] is not None:
        false("30-day percentage as 90-day", f"Over the last 90 days the weight changed by "
                                             f"{abs(d30['net_change_pct'])}%.",
              d30["net_change_pct"], d90["net_change_pct"])
    false("30-day deducted as 90-day", f"Deductions over the last 90 days came to {_g(d30['deducted_weight'])}.",
          d30["deducted_weight"], d90["deducted_weight"])
    if len(qualities) > 1:
        false("one quality's weight given to another (kilograms)",
              f"Quality {qualities[-1]['quality']} holds about {float(qualities[0]['weight']) / 1000:.2f} kg.",
              qualities[0]["weight"], qualities[-1]["weight"])
    return out


def summary_of(results: list[tuple[Case, bool]]) -> tuple[Decimal, Decimal]:
    """(percentage of misattributions flagged, percentage of true statements flagged) from (case, flagged)."""
    wrong = [flagged for case, flagged in results if not case.true]
    right = [flagged for case, flagged in results if case.true]
    flagged_pct = Decimal(100 * sum(wrong)) / len(wrong) if wrong else Decimal(0)
    false_alarm_pct = Decimal(100 * sum(right)) / len(right) if right else Decimal(0)
    return flagged_pct.quantize(Decimal("0.1")), false_alarm_pct.quantize(Decimal("0.1"))
