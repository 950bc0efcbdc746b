"""Demo costing: rate profiles with 90 days of price history, and cost components on a few dozen items.

`add_demo_costing(engine, now=..., seed=...)` runs after the orders and jobs,
as the demo admin, through lib.costing (rates.add_profile, rates.record_price,
components.add_component), in one write transaction.

Profiles (USD): gold 24K/22K/18K/14K, platinum 950 and silver 925 per gram
(with purity), round diamonds, diamond melee and coloured stones per carat,
setting and polishing labour per piece, bench work per hour, a gift box per
piece, and a 12 % workshop overhead. Metals get a price every morning (09:00
UTC) for 90 days from one seeded random walk of fine gold (karats follow their
fineness, platinum and silver walk on their own); stones are re-priced every
15 days; labour got one raise 30 days ago. Components go on 24 finished pieces
of 1 g to 60 g (their metal, named by the product when it says 18K, silver,
..., at 70-92 % of the piece's weight; melee, setting, a box, overhead) and 12 loose stones of at most 20 ct
(their own weight at the matching stone rate; rough at the rough rate). Items that already carry a cost (the
demo's priced purchase receipts, lib/demo/orders.py) are left as they are. Then one costed production job
(`_costed_job`): a costed finished piece polished with half a bench hour, 98 % received and 2 % waste,
completed, so the job page's cost card and the output's cost are alive. Last, the stock selected for the
demo's sales orders gets its cost (`_sold_stock`: a piece weighed in grams its metal at 80 % of its weight and
its polishing, a stone its own weight at the matching stone rate), so those orders show a margin.

Determinism: only `Random(f"costing-{seed}")` chooses; every row made is
stamped with times derived from the demo's `now`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from random import Random

from sqlalchemy import exists, func, select, update
from sqlalchemy.engine import Engine

from lib import db
from lib.access import actor_for_user
from lib.costing import components, rates
from lib.costing.components import ComponentInput
from lib.costing.rates import ProfileInput
from lib.enums import ComponentType, InventoryKind, ItemStatus, RateBasis, RateSource
from lib.models import (
    AuditEntry,
    CostComponent,
    InventoryItem,
    OrderSelection,
    Product,
    ProductionStage,
    RateProfile,
    RateVersion,
    StockMovement,
    User,
)
from lib.units import is_unit

HISTORY_DAYS = 90
LOOSE_MAX_GRAMS = 4  # loose stones costed: at most 20 ct
MORNING = timedelta(hours=9)
GOLD_24K_NOW = 128.0  # USD per gram of fine gold, roughly where the walk ends

METALS = (  # name, purity, share of the fine gold price (None: walks on its own from this USD per gram)
    ("Gold 24K (999)", "0.999", 1.0, None),
    ("Gold 22K (916)", "0.916", 0.916, None),
    ("Gold 18K (750)", "0.750", 0.750, None),
    ("Gold 14K (585)", "0.585", 0.585, None),
    ("Platinum 950", "0.950", None, 49.0),
    ("Silver 925", "0.925", None, 1.45),
)
STONES = (  # name, USD per carat
    ("Diamond melee VS", 650.0),
    ("Round diamond VS1 G", 5200.0),
    ("Ruby (heated)", 1200.0),
    ("Sapphire (blue)", 900.0),
    ("Emerald (minor oil)", 1000.0),
    ("Coloured stones, mixed", 180.0),
    ("Rough gemstone, mixed", 40.0),
)
LABOUR = (  # name, type, basis, price 90 days ago, after the raise 30 days ago
    ("Setting labour", ComponentType.LABOR, RateBasis.PIECE, "18.00", "19.50"),
    ("Polishing", ComponentType.LABOR, RateBasis.PIECE, "6.00", "6.50"),
    ("Bench hour", ComponentType.LABOR, RateBasis.HOUR, "45.00", "48.00"),
    ("Gift box", ComponentType.PACKAGING, RateBasis.PIECE, "4.50", "4.50"),
    ("Workshop overhead", ComponentType.OVERHEAD, RateBasis.PERCENT, "12", "12"),
)
METAL_WORDS = (("24k", "Gold 24K (999)"), ("22k", "Gold 22K (916)"), ("18k", "Gold 18K (750)"),
               ("14k", "Gold 14K (585)"), ("platinum", "Platinum 950"), ("silver", "Silver 925"))
PIECE_GRAMS = (Decimal(1), Decimal(60))  # finished pieces costed: 1 g to 60 g
STONE_WORDS = (("ruby", "Ruby (heated)"), ("sapphire", "Sapphire (blue)"), ("emerald", "Emerald (minor oil)"),
               ("diamond", "Round diamond VS1 G"))


@dataclass(frozen=True)
class CostingDemo:
    profiles: int
    versions: int
    components: int
    jobs: int = 0  # the costed job (0 or 1), with the items and movements it made
    job_items: int = 0
    job_movements: int = 0


def _walk(rng: Random, end: float, days: int, daily: float) -> list[float]:
    """`days` + 1 prices ending near `end`: a multiplicative random walk run backwards from today."""
    prices = [end]
    for _ in range(days):
        prices.append(prices[-1] / (1 + rng.gauss(0.0004, daily)))
    return list(reversed(prices))


def _price(value: float, places: str = "0.01") -> str:
    return str(Decimal(repr(value)).quantize(Decimal(places)))


def add_demo_costing(engine: Engine, *, now: datetime, seed: int) -> CostingDemo:
    """Add the demo's rate profiles, their price history and components on items (see the module docstring)."""
    rng = Random(f"costing-{seed}")
    start = (now - timedelta(days=HISTORY_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0) + MORNING
    with db.session_scope(engine, write=True) as session:
        audit_mark = session.scalar(select(func.max(AuditEntry.id))) or 0
        admin = actor_for_user(session, session.scalar(select(User.id).where(User.username == "admin")))
        ids: dict[str, int] = {}

        def profile(name, kind, basis, price, purity=None, source=RateSource.MANUAL, details=""):
            made = rates.add_profile(session, actor=admin, data=ProfileInput(
                name=name, component_type=kind, basis=basis, currency="USD", purity=purity, source=source,
                source_details=details), price=price, effective_at=start)
            ids[name] = made.id

        def days():
            return [start + timedelta(days=day) for day in range(1, HISTORY_DAYS + 1)
                    if start + timedelta(days=day) <= now]

        gold = _walk(rng, GOLD_24K_NOW, HISTORY_DAYS, 0.009)
        for name, purity, share, own in METALS:
            walk = [price * share for price in gold] if share else _walk(rng, own, HISTORY_DAYS, 0.012)
            places = "0.0001" if walk[-1] < 10 else "0.01"
            profile(name, ComponentType.METAL, RateBasis.GRAM, _price(walk[0], places), purity,
                    RateSource.MARKET_FEED_FILE, "Morning fix, per gram of alloy")
            for day, moment in enumerate(days(), start=1):
                rates.record_price(session, actor=admin, profile_id=ids[name], price=_price(walk[day], places),
                                   effective_at=moment)
        for name, per_carat in STONES:
            walk = _walk(rng, per_carat, HISTORY_DAYS // 15, 0.03)
            profile(name, ComponentType.GEMSTONE, RateBasis.CARAT, _price(walk[0]), None,
                    RateSource.SUPPLIER_PRICE_LIST, "Gem Supply price list")
            for step, moment in enumerate(days()[14::15], start=1):
                rates.record_price(session, actor=admin, profile_id=ids[name], price=_price(walk[step]),
                                   effective_at=moment)
        raise_day = start + timedelta(days=HISTORY_DAYS - 30)
        for name, kind, basis, before, after in LABOUR:
            profile(name, kind, basis, before, None, RateSource.INTERNAL_PRICE_SHEET)
            if after != before and raise_day <= now:
                rates.record_price(session, actor=admin, profile_id=ids[name], price=after, effective_at=raise_day)
        made = _components(session, admin, rng, ids)
        job_mark = (session.scalar(select(func.count()).select_from(InventoryItem)),
                    session.scalar(select(func.count()).select_from(StockMovement)))
        job = _costed_job(session, admin, rng, ids, now)
        made += _sold_stock(session, admin, ids)
        job_items = session.scalar(select(func.count()).select_from(InventoryItem)) - job_mark[0]
        job_movements = session.scalar(select(func.count()).select_from(StockMovement)) - job_mark[1]
        session.execute(update(RateProfile).values(created_at=start))
        session.execute(update(RateVersion).values(recorded_at=RateVersion.effective_at))
        session.execute(update(CostComponent).values(created_at=now, updated_at=now))
        session.execute(update(AuditEntry).where(AuditEntry.id > audit_mark).values(at=now))
        versions = session.scalar(select(func.count()).select_from(RateVersion))
    return CostingDemo(len(ids), int(versions or 0), made, int(job is not None), job_items, job_movements)


def _components(session, admin, rng: Random, ids: dict[str, int]) -> int:
    """Components on 24 finished pieces and 12 loose stones in stock, chosen by the seeded Random."""
    held = (select(InventoryItem.id, InventoryItem.kind, InventoryItem.weight, InventoryItem.weight_unit,
                   InventoryItem.weight_g, Product.name)
            .join(Product, Product.id == InventoryItem.product_id)
            .where(InventoryItem.status == ItemStatus.AVAILABLE, InventoryItem.quantity > 0,
                   ~exists().where(CostComponent.item_id == InventoryItem.id))
            .order_by(InventoryItem.id))
    finished = list(session.execute(held.where(InventoryItem.kind == InventoryKind.FINISHED)))
    loose = [row for row in session.execute(held.where(InventoryItem.kind != InventoryKind.FINISHED))
             if is_unit(row.weight_unit) and 0 < row.weight_g <= LOOSE_MAX_GRAMS]
    made = 0

    def add(item_id, **values):
        nonlocal made
        components.add_component(session, actor=admin, item_id=item_id, data=ComponentInput(**values))
        made += 1

    metals = [name for name, *_rest in METALS]
    pieces = [row for row in finished if is_unit(row.weight_unit) and PIECE_GRAMS[0] <= row.weight_g <= PIECE_GRAMS[1]]
    for row in rng.sample(pieces, min(24, len(pieces))):
        name = row.name.lower()
        metal = next((profile for word, profile in METAL_WORDS if word in name), None) or rng.choices(
            metals, weights=(1, 2, 6, 4, 2, 3))[0]
        grams = row.weight_g * Decimal(_price(rng.uniform(0.7, 0.92)))  # the rest is stones and findings
        add(row.id, profile_id=ids[metal], quantity=str(grams.quantize(Decimal("0.001"))), unit="g")
        if rng.random() < 0.7:
            add(row.id, profile_id=ids["Diamond melee VS"], quantity=_price(rng.uniform(0.04, 0.6), "0.01"),
                unit="ct")
            add(row.id, profile_id=ids["Setting labour"], quantity=str(rng.randint(1, 4)), unit="pcs")
        add(row.id, profile_id=ids["Polishing"], quantity="1", unit="pcs")
        if rng.random() < 0.4:
            add(row.id, profile_id=ids["Bench hour"], quantity=str(rng.choice((30, 45, 60, 90))), unit="min")
        add(row.id, profile_id=ids["Gift box"], quantity="1", unit="pcs")
        add(row.id, profile_id=ids["Workshop overhead"], unit="%")
    for row in rng.sample(loose, min(12, len(loose))):
        name = row.name.lower()
        stone = next((profile for word, profile in STONE_WORDS if word in name), "Coloured stones, mixed")
        if row.kind is InventoryKind.ROUGH:
            stone = "Rough gemstone, mixed"
        add(row.id, profile_id=ids[stone], quantity=str(row.weight), unit=row.weight_unit)
    return made


def _sold_stock(session, admin, ids: dict[str, int]) -> int:
    """Components on the uncosted items selected for sales orders (no random choice: the demo's other draws
    stay as they were). Returns the number of components made."""
    # the weight an item had before its selections took their share: what its components describe
    rows = session.execute(
        select(InventoryItem.id, InventoryItem.weight_unit, Product.name,
               InventoryItem.weight + func.sum(OrderSelection.weight),
               InventoryItem.weight_g + func.sum(OrderSelection.weight_g))
        .join(OrderSelection, OrderSelection.item_id == InventoryItem.id)
        .join(Product, Product.id == InventoryItem.product_id)
        .where(OrderSelection.released_at.is_(None), ~exists().where(CostComponent.item_id == InventoryItem.id))
        .group_by(InventoryItem.id, InventoryItem.weight_unit, Product.name, InventoryItem.weight,
                  InventoryItem.weight_g)
        .order_by(InventoryItem.id)).all()
    made = 0
    for item_id, unit, product, weight, grams in rows:
        name = product.lower()
        if unit == "g" and grams > 0:
            metal = next((profile for word, profile in METAL_WORDS if word in name), "Gold 14K (585)")
            metal_grams = (Decimal(str(grams)) * Decimal("0.8")).quantize(Decimal("0.001"))
            for values in ({"profile_id": ids[metal], "quantity": str(metal_grams), "unit": "g"},
                           {"profile_id": ids["Polishing"], "quantity": "1", "unit": "pcs"}):
                components.add_component(session, actor=admin, item_id=item_id, data=ComponentInput(**values))
                made += 1
        elif unit == "ct" and weight > 0:
            stone = next((profile for word, profile in STONE_WORDS if word in name), "Coloured stones, mixed")
            carats = Decimal(str(weight)).quantize(Decimal("0.0001"))
            components.add_component(session, actor=admin, item_id=item_id, data=ComponentInput(
                profile_id=ids[stone], quantity=str(carats), unit="ct"))
            made += 1
    return made


def _costed_job(session, admin, rng: Random, ids: dict[str, int], now: datetime) -> int | None:
    """One completed job on a costed finished piece (see the module docstring); its id, or None when the demo has
    no such piece or no stage for finished stock."""
    from lib.production import costs
    from lib.production import jobs
    from lib.production import receipts as job_receipts
    from lib.production.receipts import OutputRow, ReceiptDraft

    pieces = list(session.execute(
        select(InventoryItem.id, InventoryItem.product_id, InventoryItem.weight, InventoryItem.weight_unit,
               InventoryItem.quantity, InventoryItem.finished_type_id, InventoryItem.shape_id, InventoryItem.size_id,
               InventoryItem.colour_id)
        .where(InventoryItem.kind == InventoryKind.FINISHED, InventoryItem.status == ItemStatus.AVAILABLE,
               exists().where(CostComponent.item_id == InventoryItem.id,
                              CostComponent.component_type == ComponentType.METAL,
                              CostComponent.profile_id.is_not(None)))
        .order_by(InventoryItem.id)))
    stage = session.scalar(select(ProductionStage.id).where(
        ProductionStage.active.is_(True), ProductionStage.applicable_kinds.in_(("", InventoryKind.FINISHED.value)))
        .order_by(ProductionStage.sort_order.desc(), ProductionStage.id))
    if not pieces or stage is None:
        return None
    piece = rng.choice(pieces)
    day = now.date()
    created = jobs.create_job(session, actor=admin, data=jobs.NewJob(
        stage_id=stage, sources=(jobs.SourceLine(piece.id),), issued_on=day, notes="Final polish (costed demo job)"),
        recorded_at=now)
    costs.add_job_labour(session, actor=admin, job_id=created.job_id,
                        data=ComponentInput(quantity="30", unit="min", profile_id=ids["Bench hour"]))
    weight = Decimal(piece.weight)
    good = (weight * Decimal("0.98")).quantize(Decimal("0.0001"))
    job_receipts.receive_job(session, actor=admin, job_id=created.job_id, draft=ReceiptDraft(rows=(OutputRow(
        product_id=piece.product_id, kind=InventoryKind.FINISHED, weight=str(good), pieces=piece.quantity,
        weight_unit=piece.weight_unit, waste=str(weight - good), finished_type_id=piece.finished_type_id,
        shape_id=piece.shape_id, size_id=piece.size_id, colour_id=piece.colour_id),), received_on=day),
        recorded_at=now)
    jobs.close_job(session, actor=admin, job_id=created.job_id, recorded_at=now)
    return created.job_id
