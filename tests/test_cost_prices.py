"""lib.costing.cost_prices: each component stores its profile's price at its item's creation, kept through every
component and price written, and migration 0019 fills it for existing components.

Story (`shop`): "Gold 18K" per gram was 60.00 from 60 days ago and 65.00 from 20 days ago; "Setting" per piece
25.00 from 60 days ago; "Unpriced" per gram has no price yet. Rings were received 45 and 10 days ago.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from lib import db
from lib.access import Actor
from lib.costing import components, cost_prices, rates
from lib.costing.components import ComponentInput
from lib.costing.rates import ProfileInput
from lib.enums import ComponentType, RateBasis
from lib.models import CostComponent, RateProfile, Role, utcnow
from tests import factories as f


@dataclass
class Shop:
    admin: Actor
    gold: int
    setting: int
    unpriced: int
    old_ring: int
    new_ring: int


def _profile(session, admin, name, kind, basis, price=None, days_ago=60) -> int:
    data = ProfileInput(name=name, component_type=kind, basis=basis)
    if price is None:  # the Rate Center always asks for a first price; a profile without one came from elsewhere
        profile = RateProfile(name=name, name_key=name.lower(), component_type=kind, currency="USD", basis=basis)
        session.add(profile)
        session.flush()
        return profile.id
    return rates.add_profile(session, actor=admin, data=data, price=price,
                             effective_at=utcnow() - timedelta(days=days_ago)).id


def _ring(session, days_ago: int) -> int:
    product = session.scalar(select(f.Product).limit(1)) or f.make_product(session, "Ring")
    location = session.scalar(select(f.Location).limit(1)) or f.make_location(session, "North")
    return f.make_item(session, product, location, weight="5", moved_at=utcnow() - timedelta(days=days_ago)).id


@pytest.fixture
def shop(session) -> Shop:
    f.make_workspace(session)
    admin = f.actor(session, f.make_user(session, Role.ADMIN))
    gold = _profile(session, admin, "Gold 18K", ComponentType.METAL, RateBasis.GRAM, "60.00")
    rates.record_price(session, actor=admin, profile_id=gold, price="65.00", effective_at=utcnow() - timedelta(days=20))
    setting = _profile(session, admin, "Setting", ComponentType.LABOR, RateBasis.PIECE, "25")
    unpriced = _profile(session, admin, "Unpriced", ComponentType.METAL, RateBasis.GRAM)
    return Shop(admin, gold, setting, unpriced, _ring(session, 45), _ring(session, 10))


def _add(session, shop, item_id, profile_id, quantity="1", unit="g") -> CostComponent:
    return components.add_component(session, actor=shop.admin, item_id=item_id,
                                    data=ComponentInput(quantity=quantity, unit=unit, profile_id=profile_id))


def _stored(session, component: CostComponent) -> Decimal | None:
    return session.scalar(select(CostComponent.cost_price).where(CostComponent.id == component.id))


def test_a_component_takes_the_price_in_force_when_its_item_was_created(session, shop):
    old, new = _add(session, shop, shop.old_ring, shop.gold), _add(session, shop, shop.new_ring, shop.gold)
    assert (_stored(session, old), _stored(session, new)) == (Decimal("60"), Decimal("65"))
    assert old.cost_price == Decimal("60")  # the loaded object reads it too
    assert cost_prices.verify(session) == []


def test_a_backdated_price_reprices_only_the_items_created_since_and_leaves_updated_at(session, shop):
    old, new = _add(session, shop, shop.old_ring, shop.gold), _add(session, shop, shop.new_ring, shop.gold)
    edited_at = session.scalar(select(CostComponent.updated_at).where(CostComponent.id == new.id))
    rates.record_price(session, actor=shop.admin, profile_id=shop.gold, price="70.00",
                       effective_at=utcnow() - timedelta(days=15))
    assert (_stored(session, old), _stored(session, new)) == (Decimal("60"), Decimal("70"))
    assert new.cost_price == Decimal("70")
    assert session.scalar(select(CostComponent.updated_at).where(CostComponent.id == new.id)) == edited_at
    rates.record_price(session, actor=shop.admin, profile_id=shop.gold, price="99.00")  # this morning: no item since
    assert (_stored(session, old), _stored(session, new)) == (Decimal("60"), Decimal("70"))
    assert cost_prices.verify(session) == []


def test_a_profiles_first_price_prices_every_item_even_older_ones(session, shop):
    old = _add(session, shop, shop.old_ring, shop.unpriced)
    assert _stored(session, old) is None
    rates.record_price(session, actor=shop.admin, profile_id=shop.unpriced, price="3.50",
                       effective_at=utcnow() - timedelta(days=1))
    assert _stored(session, old) == Decimal("3.50")
    rates.record_price(session, actor=shop.admin, profile_id=shop.unpriced, price="3.00",
                       effective_at=utcnow() - timedelta(days=90))  # an earlier first price takes over
    assert _stored(session, old) == Decimal("3.00")
    assert cost_prices.verify(session) == []


def test_moving_a_component_to_another_profile_reprices_it_and_manual_or_job_components_have_none(session, shop):
    component = _add(session, shop, shop.old_ring, shop.gold)
    components.update_component(session, actor=shop.admin, component_id=component.id,
                                data=ComponentInput(quantity="1", unit="pcs", profile_id=shop.setting))
    assert _stored(session, component) == Decimal("25")
    manual = components.add_component(session, actor=shop.admin, item_id=shop.old_ring, data=ComponentInput(
        quantity="1", unit="pcs", component_type=ComponentType.PACKAGING, manual_amount="4.00"))
    assert _stored(session, manual) is None
    assert cost_prices.verify(session) == []


def test_verify_names_a_component_whose_stored_price_is_wrong(session, shop):
    component = _add(session, shop, shop.new_ring, shop.gold)
    session.execute(update(CostComponent).where(CostComponent.id == component.id).values(cost_price=1))
    assert cost_prices.verify(session) == [cost_prices.CostPriceDiscrepancy(component.id, Decimal(1), Decimal(65))]


_STEP = st.one_of(
    st.tuples(st.just("item"), st.integers(0, 100)),
    st.tuples(st.just("component"), st.integers(0, 9), st.integers(0, 2)),
    st.tuples(st.just("price"), st.integers(0, 2), st.integers(0, 100), st.integers(1, 99999)),
    st.tuples(st.just("move"), st.integers(0, 9), st.integers(0, 2)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_STEP, max_size=14))
def test_stored_prices_follow_the_rule_after_any_sequence_of_writes(session, shop, steps):
    """Items received on random days, components on them, prices recorded at random moments (backdated, earlier
    than a profile's first, on a profile without any), components moved between profiles: after every step each
    stored price is what the rule computed independently in Python gives."""
    savepoint = session.begin_nested()
    try:
        profiles = (shop.gold, shop.setting, shop.unpriced)
        items, parts, now = [shop.old_ring, shop.new_ring], [], utcnow().replace(microsecond=0)
        for step in steps:
            if step[0] == "item":
                items.append(_ring(session, step[1]))
            elif step[0] == "component":
                profile = profiles[step[2]]
                parts.append(_add(session, shop, items[step[1] % len(items)], profile,
                                  unit="pcs" if profile == shop.setting else "g"))
            elif step[0] == "price":
                moment = now - timedelta(days=step[2], minutes=len(parts))
                if rates._version_at(session, profiles[step[1]], moment) is None:
                    rates.record_price(session, actor=shop.admin, profile_id=profiles[step[1]],
                                       price=Decimal(step[3]) / 100, effective_at=moment)
            elif parts:
                profile = profiles[step[2]]
                components.update_component(session, actor=shop.admin, component_id=parts[step[1] % len(parts)].id,
                                            data=ComponentInput(quantity="1", profile_id=profile,
                                                                unit="pcs" if profile == shop.setting else "g"))
            session.flush()
            assert cost_prices.verify(session) == [], step
    finally:
        savepoint.rollback()


def test_migration_0019_fills_the_price_of_existing_components(fresh_url):
    """Components written at head, their prices wiped and the column dropped (down to 0018): the way up fills
    every price by the rule."""
    engine = db.make_engine(fresh_url)
    with Session(engine) as session:
        f.make_workspace(session)
        admin = f.actor(session, f.make_user(session, Role.ADMIN))
        gold = _profile(session, admin, "Gold 18K", ComponentType.METAL, RateBasis.GRAM, "60.00")
        rates.record_price(session, actor=admin, profile_id=gold, price="65.00",
                           effective_at=utcnow() - timedelta(days=20))
        shop = Shop(admin, gold, 0, 0, _ring(session, 45), _ring(session, 10))
        _add(session, shop, shop.old_ring, gold)
        _add(session, shop, shop.new_ring, gold)
        session.execute(update(CostComponent).values(cost_price=None))
        session.commit()
    engine.dispose()
    config = db.alembic_config(fresh_url)
    command.downgrade(config, "0018")
    command.upgrade(config, "head")
    engine = db.make_engine(fresh_url)
    try:
        with engine.connect() as connection:
            prices = connection.execute(text("SELECT cost_price FROM cost_components ORDER BY id")).scalars().all()
        assert [Decimal(str(price)) for price in prices] == [Decimal("60"), Decimal("65")]
        with Session(engine) as session:
            assert cost_prices.verify(session) == []
    finally:
        engine.dispose()


def test_a_component_added_while_a_backdated_price_is_recorded_gets_that_price(fresh_engine):
    """Two people at once: one adds a gold component to a ring received 2 days ago, the other records a gold
    price backdated 5 days. Whichever commits first, the component ends at the backdated price: without a lock
    the price's repricing misses the uncommitted component, and the component keeps the older price it read.

    The component's transaction waits a moment after writing, so the price's transaction runs meanwhile."""
    with db.session_scope(fresh_engine, write=True) as session:
        f.make_workspace(session)
        admin = f.actor(session, f.make_user(session, Role.ADMIN))
        gold = _profile(session, admin, "Gold 18K", ComponentType.METAL, RateBasis.GRAM, "60.00")
        ring = _ring(session, 2)
    written, errors = threading.Event(), []

    def add_component():
        try:
            with db.session_scope(fresh_engine, write=True) as session:
                components.add_component(session, actor=admin, item_id=ring,
                                         data=ComponentInput(quantity="1", unit="g", profile_id=gold))
                written.set()
                time.sleep(1.0)  # sequencing only: the other transaction records its price meanwhile
        except Exception as error:  # any failure fails the test
            written.set()
            errors.append(repr(error))

    def record_price():
        try:
            if not written.wait(timeout=120):
                raise TimeoutError("the component was never written")
            with db.session_scope(fresh_engine, write=True) as session:
                rates.record_price(session, actor=admin, profile_id=gold, price="70.00",
                                   effective_at=utcnow() - timedelta(days=5))
        except Exception as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=add_component), threading.Thread(target=record_price)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(fresh_engine) as session:
        assert cost_prices.verify(session) == []
        assert session.scalar(select(CostComponent.cost_price)) == Decimal("70")
