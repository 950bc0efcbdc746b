"""lib.costing.valuation: the value of held stock at cost and at current rates, and the valuation report.

Story (`shop`): an admin, a manager and a member of North; South exists too. "Gold 18K (750)" (metal, per gram,
USD) was 60.00 from 60 days ago, 65.00 from 20 days ago. "Setting labour" (per piece) 25.00 from 60 days ago,
"Workshop overhead" 10 % from 60 days ago. A North ring received 45 days ago carries 2 g of that gold and one
setting; a South ring received 45 days ago carries 1 g of gold.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lib import cli, db, ledger
from lib.access import Actor
from lib.costing import components, rates, valuation
from lib.costing.components import ComponentInput, basis_quantity, money
from lib.costing.rates import ProfileInput
from lib.enums import ComponentType, MovementKind, RateBasis
from lib.errors import PermissionDenied, ValidationFailed
from lib.inventory.query import ItemFilters
from lib.models import (IN_STOCK, CostComponent, InventoryItem, InventoryKind, Location, RateProfile, RateVersion,
                        Role, utcnow)
from lib.reports import catalog, dates
from lib.reports import valuation as report
from lib.reports.common import ReportFilters
from tests import factories as f


@dataclass
class Shop:
    admin: Actor
    manager: Actor
    member: Actor
    gold: int
    setting: int
    overhead: int
    product: int
    ring: int
    south_ring: int
    north: int
    south: int


def _profile(session, admin, name, kind, basis, price, days_ago):
    return rates.add_profile(session, actor=admin, data=ProfileInput(name=name, component_type=kind, basis=basis),
                             price=price, effective_at=utcnow() - timedelta(days=days_ago)).id


@pytest.fixture
def shop(session) -> Shop:
    f.make_workspace(session)
    north, south = f.make_location(session, "North"), f.make_location(session, "South")
    admin = f.actor(session, f.make_user(session, Role.ADMIN))
    manager = f.actor(session, f.make_user(session, Role.MANAGER, north))
    member = f.actor(session, f.make_user(session, Role.MEMBER, north))
    gold = _profile(session, admin, "Gold 18K (750)", ComponentType.METAL, RateBasis.GRAM, "60.00", 60)
    rates.record_price(session, actor=admin, profile_id=gold, price="65.00",
                       effective_at=utcnow() - timedelta(days=20))
    setting = _profile(session, admin, "Setting labour", ComponentType.LABOR, RateBasis.PIECE, "25", 60)
    overhead = _profile(session, admin, "Workshop overhead", ComponentType.OVERHEAD, RateBasis.PERCENT, "10", 60)
    product = f.make_product(session, "Ring")
    received = utcnow() - timedelta(days=45)
    ring = f.make_item(session, product, north, weight="5", moved_at=received).id
    south_ring = f.make_item(session, product, south, weight="5", moved_at=received).id
    components.add_component(session, actor=admin, item_id=ring, data=ComponentInput(quantity="2", unit="g",
                                                                                     profile_id=gold))
    components.add_component(session, actor=admin, item_id=ring, data=ComponentInput(quantity="1", unit="pcs",
                                                                                     profile_id=setting))
    components.add_component(session, actor=admin, item_id=south_ring, data=ComponentInput(quantity="1", unit="g",
                                                                                           profile_id=gold))
    return Shop(admin, manager, member, gold, setting, overhead, product.id, ring, south_ring, north.id, south.id)


def _usd(held: valuation.ValueHeld) -> valuation.Value:
    (value,) = held.values
    assert value.currency == "USD"
    return value


def test_value_held_at_cost_uses_the_price_at_receipt_and_current_rates_todays(session, shop):
    value = _usd(valuation.value_held(session, actor=shop.admin))
    # at cost: gold at 60 (in force 45 days ago): 3 g × 60 + 25 = 205; now: 3 g × 65 + 25 = 220
    assert (value.at_cost, value.at_current_rates, value.metal_at_current_rates) == (
        Decimal("205.00"), Decimal("220.00"), Decimal("195.00"))
    manager = _usd(valuation.value_held(session, actor=shop.manager))  # North only
    assert (manager.at_cost, manager.at_current_rates) == (Decimal("145.00"), Decimal("155.00"))
    filtered = valuation.value_held(session, actor=shop.admin, filters=ItemFilters(location_ids=(shop.south,)))
    assert _usd(filtered).at_cost == Decimal("60.00")
    assert valuation.value_held(session, actor=shop.admin, filters=ItemFilters(product_ids=(-1,))).values == ()


def test_members_never_receive_a_value(session, shop):
    with pytest.raises(PermissionDenied):
        valuation.value_held(session, actor=shop.member)
    with pytest.raises(PermissionDenied):
        report.valuation(session, actor=shop.member)
    assert "valuation" not in [report.name for report in catalog.reports_for(shop.member)]
    with pytest.raises(PermissionDenied):
        catalog.export_report(session, actor=shop.member, name="valuation",
                              period=dates.DateRange(utcnow().date(), utcnow().date()))


def test_overhead_is_its_percent_of_the_other_costs_at_both_moments(session, shop):
    components.add_component(session, actor=shop.admin, item_id=shop.ring,
                             data=ComponentInput(profile_id=shop.overhead))
    value = _usd(valuation.value_held(session, actor=shop.manager))
    assert (value.at_cost, value.at_current_rates) == (Decimal("159.50"), Decimal("170.50"))
    # the item page agrees today
    assert components.costs_of_items(session, [shop.ring])[shop.ring].totals == {"USD": Decimal("170.50")}


def test_a_value_as_of_last_month_uses_last_months_prices_and_balances(session, shop):
    today = utcnow().date()
    month_ago = today - timedelta(days=30)
    rows = report.valuation(session, actor=shop.admin, as_of=month_ago)
    north = next(row for row in rows if row.location == "North")
    assert (north.value_at_cost, north.value_at_current_rates, north.metal_value_at_current_rates) == (
        Decimal("145.00"), Decimal("145.00"), Decimal("120.00"))
    now = next(row for row in report.valuation(session, actor=shop.admin) if row.location == "North")
    assert (now.value_at_cost, now.value_at_current_rates) == (Decimal("145.00"), Decimal("155.00"))
    # before the rings came in, nothing was held
    assert report.valuation(session, actor=shop.admin, as_of=today - timedelta(days=50)) == []
    # the South ring is used up today: it still counts a month ago, not today
    ledger.apply_change(session, item_id=shop.south_ring, user_id=None, movement_kind=MovementKind.ADJUSTMENT,
                        quantity_delta=-1, weight_delta=Decimal("-5"))
    assert [row.location for row in report.valuation(session, actor=shop.admin)] == ["North"]
    assert [row.location for row in report.valuation(session, actor=shop.admin, as_of=month_ago)] == [
        "North", "South"]
    # the manager sees North only; South by filter is refused
    assert [row.location for row in report.valuation(session, actor=shop.manager, as_of=month_ago)] == ["North"]
    with pytest.raises(PermissionDenied):
        report.valuation(session, actor=shop.manager, filters=ReportFilters(location_id=shop.south))


def test_a_day_after_today_is_refused(session, shop):
    with pytest.raises(ValidationFailed, match="after today"):
        report.valuation(session, actor=shop.admin, as_of=utcnow().date() + timedelta(days=1))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(price=st.integers(1, 5000), grams=st.lists(st.integers(1, 500), min_size=1, max_size=3),
       tenths=st.integers(0, 9))
def test_a_ten_percent_rise_of_every_metal_rate_raises_metal_value_by_ten_percent(session, shop, price, grams,
                                                                                  tenths):
    """Whole prices and quantities in tenths of a gram: every re-valued cost is a whole number of cents."""
    savepoint = session.begin_nested()
    try:
        platinum = _profile(session, shop.admin, "Platinum 950", ComponentType.METAL, RateBasis.GRAM, str(price), 5)
        for amount in grams:
            item = f.make_item(session, session.get(f.Product, shop.product), session.get(f.Location, shop.north),
                               weight="9", moved_at=utcnow() - timedelta(days=3))
            components.add_component(session, actor=shop.admin, item_id=item.id, data=ComponentInput(
                quantity=f"{amount}.{tenths}", unit="g", profile_id=platinum))
        before = _usd(valuation.value_held(session, actor=shop.admin))
        report_before = report.valuation(session, actor=shop.admin)
        moment = utcnow() - timedelta(seconds=1)
        for profile_id, old in ((shop.gold, Decimal("65")), (platinum, Decimal(price))):
            rates.record_price(session, actor=shop.admin, profile_id=profile_id, price=str(old * Decimal("1.1")),
                               effective_at=moment)
        after = _usd(valuation.value_held(session, actor=shop.admin))
        assert after.metal_at_current_rates == before.metal_at_current_rates * Decimal("1.1")
        assert after.at_cost == before.at_cost
        report_after = report.valuation(session, actor=shop.admin)
        for old, new in zip(report_before, report_after, strict=True):
            assert new.metal_value_at_current_rates == old.metal_value_at_current_rates * Decimal("1.1")
            assert new.value_at_cost == old.value_at_cost
    finally:
        savepoint.rollback()


def test_the_cli_writes_the_valuation_as_of_a_day_and_refuses_a_member(fresh_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOUPE_DATABASE_URL", fresh_url)
    monkeypatch.setenv("LOUPE_DATA_DIR", str(tmp_path))
    engine = db.make_engine(fresh_url)
    with db.session_scope(engine, write=True) as session:
        f.make_workspace(session)
        north = f.make_location(session, "North")
        admin_user = f.make_user(session, Role.ADMIN)
        member_user = f.make_user(session, Role.MEMBER, north)
        admin = f.actor(session, admin_user)
        gold = _profile(session, admin, "Gold", ComponentType.METAL, RateBasis.GRAM, "50", 10)
        item = f.make_item(session, f.make_product(session, "Chain"), north, weight="4",
                           moved_at=utcnow() - timedelta(days=5))
        components.add_component(session, actor=admin, item_id=item.id,
                                 data=ComponentInput(quantity="4", unit="g", profile_id=gold))
        admin_name, member_name = admin_user.username, member_user.username
    engine.dispose()
    day = (utcnow().date() - timedelta(days=1)).isoformat()
    assert cli.main(["report", "valuation", "--as-of", day, "--format", "csv",
                     "--as", admin_name]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["product"], r["location"], r["currency"], r["value_at_cost"], r["value_at_current_rates"],
             r["metal_value_at_current_rates"]) for r in rows] == [("Chain", "North", "USD", "200.00", "200.00",
                                                                     "200.00")]
    assert cli.main(["report", "valuation", "--as-of", day, "--format", "csv",
                     "--as", member_name]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "may not" in captured.err


def test_an_item_older_than_its_rates_first_price_is_at_cost_at_that_first_price(session, shop):
    old = f.make_item(session, session.get(f.Product, shop.product), session.get(f.Location, shop.north),
                      weight="3", moved_at=utcnow() - timedelta(days=100))
    components.add_component(session, actor=shop.admin, item_id=old.id,
                             data=ComponentInput(quantity="1", unit="g", profile_id=shop.gold))
    value = _usd(valuation.value_held(session, actor=shop.manager))
    assert (value.at_cost, value.at_current_rates) == (Decimal("205.00"), Decimal("220.00"))  # + 60 and + 65
    rows = report.valuation(session, actor=shop.admin, as_of=utcnow().date() - timedelta(days=70))
    assert [(r.location, r.value_at_cost, r.value_at_current_rates) for r in rows] == [
        ("North", Decimal("60.00"), Decimal("0.00"))]  # gold had no price yet 70 days ago: unpriced then


def test_an_item_moved_to_another_location_counts_where_it_was_on_each_day(session, shop):
    """A whole transfer ten days ago (transfer-out, then transfer-in), then a sale today: five days ago the ring was
    in South, held; today it is gone; a month ago it was in North."""
    out, into = ledger.move_location(session, item_id=shop.ring, to_location_id=shop.south, user_id=None)
    for movement in (out, into):
        movement.moved_at = utcnow() - timedelta(days=10)
    session.flush()
    ledger.apply_change(session, item_id=shop.ring, user_id=None, movement_kind=MovementKind.ADJUSTMENT,
                        quantity_delta=-1, weight_delta=Decimal("-5"))
    today = utcnow().date()

    def held(days_ago):
        return sorted((r.location, r.value_at_cost) for r in report.valuation(
            session, actor=shop.admin, as_of=today - timedelta(days=days_ago)))

    assert held(30) == [("North", Decimal("145.00")), ("South", Decimal("60.00"))]
    assert held(5) == [("South", Decimal("205.00"))]  # both rings in South, one row per product, kind, location
    assert held(0) == [("South", Decimal("60.00"))]
    assert [r.location for r in report.valuation(session, actor=shop.manager, as_of=today - timedelta(days=5))] == []


def test_the_product_card_reads_the_same_value_through_its_index_only_candidates(session, shop):
    """value_held with a product filter first reads the product's costed item ids from indexes
    (valuation._costed_ids): the same figures as without it, in scope, with the kind switch and other filters."""
    other = f.make_product(session, "Pendant")
    f.make_item(session, other, session.get(Location, shop.north), weight="1")  # no components: adds nothing
    everything = _usd(valuation.value_held(session, actor=shop.admin))
    card = _usd(valuation.value_held(session, actor=shop.admin, filters=ItemFilters(product_ids=(shop.product,))))
    assert (card.at_cost, card.at_current_rates) == (everything.at_cost, everything.at_current_rates)
    manager = _usd(valuation.value_held(session, actor=shop.manager, filters=ItemFilters(
        product_ids=(shop.product,), kinds=(InventoryKind.FINISHED,))))
    assert (manager.at_cost, manager.at_current_rates) == (Decimal("145.00"), Decimal("155.00"))
    assert valuation.value_held(session, actor=shop.admin, filters=ItemFilters(
        product_ids=(shop.product,), kinds=(InventoryKind.ROUGH,))).values == ()
    assert valuation.value_held(session, actor=shop.admin, filters=ItemFilters(product_ids=(other.id,))).values == ()


# ---------------------------------------------------------------------------
# The aggregated SQL (a different statement per database) against a straightforward computation in Python
# ---------------------------------------------------------------------------

def _straightforward(session, keyed) -> dict[tuple, tuple]:
    """(key..., currency) -> (at cost, at current rates, metal at current rates, unpriced at cost, unpriced now)
    computed component by component from the ORM rows: the price at cost is the last version at or before the
    item's creation (the first version for an older item), groups rounded once as the definition says."""
    now = utcnow()
    history = defaultdict(list)
    for version in session.scalars(select(RateVersion).order_by(RateVersion.effective_at)):
        history[version.profile_id].append(version)
    profiles = {p.id: p for p in session.scalars(select(RateProfile))}

    def price(profile_id, moment):
        versions = history.get(profile_id)
        if not versions:
            return None
        return [v for v in versions if v.effective_at <= moment][-1].price if versions[0].effective_at <= moment \
            else versions[0].price

    def current(profile_id):
        versions = history.get(profile_id)
        return price(profile_id, now) if versions and versions[0].effective_at <= now else None

    def factor(profile, unit):
        return basis_quantity(Decimal(1_000_000), unit, profile.basis) / 1_000_000

    def currency(component):
        profile = profiles.get(component.profile_id)
        return profile.currency if profile is not None else component.manual_currency

    own = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0), 0, 0])  # Σq, Σq×p, Σmanual, count, unpriced
    pairs = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0), Decimal(0)])  # Σq, Σq×p×s, Σm×s, Σm
    for item in session.scalars(select(InventoryItem).where(IN_STOCK)):
        parts = list(session.scalars(select(CostComponent).where(CostComponent.item_id == item.id)))
        for part in parts:
            profile = profiles.get(part.profile_id)
            if profile is not None and profile.basis is RateBasis.PERCENT:
                share = price(profile.id, item.created_at)
                for other in parts:
                    other_profile = profiles.get(other.profile_id)
                    if other is part or currency(other) != profile.currency or (
                            other_profile is not None and other_profile.basis is RateBasis.PERCENT):
                        continue
                    row = pairs[(*keyed(item), other.profile_id, other.component_type, other.unit, profile.currency,
                                 profile.id)]
                    row[0] += other.quantity
                    if other_profile is not None and share is not None:
                        row[1] += other.quantity * (price(other.profile_id, item.created_at) or 0) * share
                    if other.manual_amount is not None:
                        row[2] += other.manual_amount * (share or 0)
                        row[3] += other.manual_amount
                continue
            row = own[(*keyed(item), part.profile_id, part.component_type, part.unit, currency(part))]
            row[0] += part.quantity
            cost = price(part.profile_id, item.created_at)
            row[1] += part.quantity * (cost or 0)
            row[2] += part.manual_amount or 0
            row[3] += 1
            row[4] += 1 if profile is not None and cost is None else 0
    values = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0), 0, 0])
    for (*key, profile_id, component_type, unit, money_in), (q, priced, manual, count, unpriced) in own.items():
        target = values[(*key, money_in)]
        profile = profiles.get(profile_id)
        if profile is None:
            target[0] += money(manual)
            target[1] += money(manual)
            continue
        target[3] += unpriced
        target[0] += money(priced * factor(profile, unit))
        today = current(profile_id)
        if today is None:
            target[4] += count
            continue
        at_rates = money(basis_quantity(q, unit, profile.basis) * today)
        target[1] += at_rates
        if component_type is ComponentType.METAL:
            target[2] += at_rates
    for (*key, profile_id, _type, unit, money_in, share_id), (q, priced, weighted, manual) in pairs.items():
        target = values[(*key, money_in)]
        profile = profiles.get(profile_id)
        today_share = current(share_id)
        if profile is None:
            target[0] += money(weighted / 100)
            base_now = manual
        else:
            target[0] += money(priced * factor(profile, unit) / 100)
            today = current(profile_id)
            base_now = basis_quantity(q, unit, profile.basis) * today if today is not None else Decimal(0)
        if today_share is not None:
            target[1] += money(base_now * today_share / 100)
    return {key: tuple(value) for key, value in values.items()}


_PART = st.one_of(
    st.tuples(st.just("gold"), st.integers(1, 5000), st.sampled_from(["g", "ct"])),
    st.tuples(st.just("setting"), st.integers(100, 300), st.just("pcs")),
    st.tuples(st.just("overhead"), st.integers(100, 100), st.just("%")),
    st.tuples(st.just("euro"), st.integers(1, 900), st.just("g")),
    st.tuples(st.just("never"), st.integers(1, 900), st.just("g")),
    st.tuples(st.just("later"), st.integers(1, 900), st.just("pcs")),
    st.tuples(st.sampled_from(["USD", "EUR"]), st.integers(1, 99999), st.just("manual")))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gold=st.lists(st.tuples(st.integers(0, 120), st.integers(100, 9999)), min_size=1, max_size=4,
                     unique_by=lambda version: version[0]),
       items=st.lists(st.tuples(st.integers(0, 150), st.booleans(), st.lists(_PART, max_size=4)), max_size=6))
def test_the_aggregated_value_equals_a_component_by_component_computation(session, shop, gold, items):
    """Random prices (a gold history, a EUR rate, a rate without any price, one priced only from tomorrow),
    items received on random days with random components: the cards (Home, a product's card) and the report as
    of today give what a component-by-component computation in Python gives, to the cent and the count, on
    whichever database runs the suite (their statements differ: lib.costing.valuation._statement and
    _sqlite_statement)."""
    savepoint = session.begin_nested()
    try:
        now = utcnow()
        ids = {"gold": shop.gold, "setting": shop.setting, "overhead": shop.overhead}
        ids["euro"] = _profile(session, shop.admin, "Silver EUR", ComponentType.METAL, RateBasis.GRAM, "0.85", 30)
        session.get(RateProfile, ids["euro"]).currency = "EUR"
        for name, kind, basis in (("never", ComponentType.METAL, RateBasis.GRAM),
                                  ("later", ComponentType.LABOR, RateBasis.PIECE)):
            profile = RateProfile(name=name, name_key=name, component_type=kind, currency="USD", basis=basis)
            session.add(profile)
            session.flush()
            ids[name] = profile.id
        session.add(RateVersion(profile_id=ids["later"], price=Decimal("12.5"), effective_at=now + timedelta(days=1),
                                recorded_at=now))
        for days, cents in gold:
            session.add(RateVersion(profile_id=shop.gold, price=Decimal(cents) / 100,
                                      effective_at=now - timedelta(days=days, hours=1), recorded_at=now))
        other = f.make_product(session, "Pendant")
        for number, (days, pendant, parts) in enumerate(items):
            product = other if pendant else session.get(f.Product, shop.product)
            item = f.make_item(session, product, session.get(f.Location, shop.north if number % 2 else shop.south),
                               weight="3", moved_at=now - timedelta(days=days, minutes=number))
            for name, amount, unit in parts:
                if unit == "manual":
                    session.add(CostComponent(item_id=item.id, component_type=ComponentType.PACKAGING, quantity=1,
                                              unit="pcs", manual_amount=Decimal(amount) / 100,
                                              manual_currency=name))
                else:
                    profile = session.get(RateProfile, ids[name])
                    session.add(CostComponent(item_id=item.id, component_type=profile.component_type,
                                              profile_id=profile.id, quantity=Decimal(amount) / 100, unit=unit))
        session.flush()
        session.expire_all()

        def check(actual: valuation.ValueHeld, expected: dict):
            assert {(v.currency,): (v.at_cost, v.at_current_rates, v.metal_at_current_rates, v.unpriced_at_cost,
                                    v.unpriced_now) for v in actual.values} == expected

        check(valuation.value_held(session, actor=shop.admin), _straightforward(session, lambda item: ()))
        card = _straightforward(session, lambda item: (item.product_id,))
        check(valuation.value_held(session, actor=shop.admin, filters=ItemFilters(product_ids=(other.id,))),
              {key[1:]: value for key, value in card.items() if key[0] == other.id})
        expected = _straightforward(session, lambda item: (item.product_id, item.kind, item.location_id))
        rows = report.valuation(session, actor=shop.admin)
        assert {(r.product_id, r.kind, r.location_id, r.currency): (
            r.value_at_cost, r.value_at_current_rates, r.metal_value_at_current_rates) for r in rows} == {
            key: value[:3] for key, value in expected.items()}
    finally:
        savepoint.rollback()
