"""The demo workspace: a small build is complete, consistent with the ledger rules and repeatable.

One small demo (seed 7, a fixed `now`) is built per module and inspected by most
tests; the determinism test builds the same demo again into a second database.
The large scale is never built here (minutes); `python -m lib.demo --scale large`
is timed by hand and by `make bench`.
"""
from __future__ import annotations

import hashlib
import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lib import ledger, tags
from lib.demo import build as demo
from lib.demo import history, plan
from lib.models import (
    AuditEntry,
    CatalogEntry,
    CatalogKind,
    Image,
    InventoryItem,
    InventoryKind,
    ItemStatus,
    Location,
    MovementKind,
    Plan,
    Product,
    Role,
    StockMovement,
    TagSequence,
    User,
    Workspace,
)
from lib.units import to_grams
from lib.workspace.users import password_matches

NOW = datetime(2026, 6, 30, 12, 0, 0, tzinfo=timezone.utc)
TINY = plan.Scale(products=8, items=150, movements=900, images=12)


@pytest.fixture(scope="module")
def built(databases):
    """The small demo, built once: (engine, summary, progress messages)."""
    from lib import db

    engine = db.make_engine(databases.new("demo"))
    assert demo.is_empty(engine)
    messages: list[str] = []
    summary = demo.build_demo(engine, scale="small", seed=7, progress=messages.append, now=NOW)
    yield engine, summary, messages
    engine.dispose()


@pytest.fixture
def s(built):
    with Session(built[0]) as session:
        yield session
        session.rollback()


def _count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_small_demo_counts(built, s):
    _engine, summary, messages = built
    assert not demo.is_empty(built[0])
    assert (summary.products, summary.users, summary.locations, summary.images) == (40, 6, 3, 60)
    assert 2_500 <= summary.items <= 3_500
    assert 25_000 <= summary.movements <= 35_000
    assert summary.seconds > 0 and summary.scale == "small"
    assert (_count(s, Product), _count(s, InventoryItem), _count(s, StockMovement), _count(s, User),
            _count(s, Location), _count(s, Image)) == (
        summary.products, summary.items + summary.order_items + summary.job_items,
        summary.movements + summary.order_movements + summary.job_movements, 6, 3, 60)
    assert summary.orders == 13 and f"{summary.orders} orders" in summary.line()
    assert any(m.startswith("items ") for m in messages) and messages[-2].startswith("movements ")
    assert "loaded" in summary.line() and f"{summary.items:,} items" in summary.line()

    largest = s.execute(select(InventoryItem.product_id, func.count()).group_by(InventoryItem.product_id)
                        .order_by(func.count().desc())).all()
    assert largest[0][1] >= 10 * largest[-1][1] and largest[-1][1] >= 1  # skewed, every product stocked
    with_image = s.scalar(select(func.count()).where(InventoryItem.image_id.is_not(None)))
    assert 0.2 * summary.items <= with_image <= 0.4 * summary.items


def test_workspace_locations_and_audit(s):
    workspace = s.scalars(select(Workspace)).one()
    assert (workspace.name, workspace.industry, workspace.plan, workspace.default_weight_unit,
            workspace.tag_prefix, workspace.ai_summaries_enabled, workspace.managers_all_locations) == (
        "Demo Jewelry Workshop", "jewelry", Plan.PROFESSIONAL, "g", "LF", False, False)
    assert s.scalars(select(Location.name).order_by(Location.id)).all() == [
        "Main Workshop", "Downtown Store", "Cutting Studio"]
    entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "workspace")).one()
    assert entry.action == "load demo" and entry.entity == "workspace" and '"scale": "small"' in entry.new_values


def test_the_six_users_and_their_shared_password(s):
    users = {u.username: u for u in s.scalars(select(User))}
    assert {name: (u.role, u.location_id) for name, u in users.items()} == {
        "admin": (Role.ADMIN, None), "manager": (Role.MANAGER, 1), "member": (Role.MEMBER, 1),
        "manager2": (Role.MANAGER, 2), "member2": (Role.MEMBER, 2), "member3": (Role.MEMBER, 3)}
    assert len({u.password_hash for u in users.values()}) == 1  # hashed once
    assert password_matches("loupe-demo", users["member3"].password_hash)
    assert not password_matches("wrong-password", users["admin"].password_hash)
    assert all(u.active and "@" in u.email for u in users.values())


def test_catalogs_come_from_the_presets(s):
    by_kind: dict[CatalogKind, list[CatalogEntry]] = {}
    for entry in s.scalars(select(CatalogEntry).order_by(CatalogEntry.id)):
        by_kind.setdefault(entry.catalog, []).append(entry)
        assert entry.name_key == entry.name.lower() and entry.active
    assert set(by_kind) == set(CatalogKind)
    names = {kind: {e.name for e in entries} for kind, entries in by_kind.items()}
    presets = demo.load_presets()
    assert set(presets.jewelry_finished_types + presets.gem_finished_types) <= names[CatalogKind.FINISHED_TYPE]
    assert set(presets.ms_types) == names[CatalogKind.MS_TYPE]
    assert set(presets.jewelry_shapes) | set(presets.gem_shapes) == names[CatalogKind.SHAPE]
    assert all(e.group_name for e in by_kind[CatalogKind.SIZE])
    assert {"Rings", "Faceted", "Cabochons"} <= names[CatalogKind.FINISHED_TYPE]
    assert {"Precious Metals", "Packaging & Shipping"} <= names[CatalogKind.MS_TYPE]
    assert "Ring Mounts" in names[CatalogKind.PRODUCT_TYPE]


def test_products_have_unique_names_and_valid_short_names(s):
    products = s.scalars(select(Product)).all()
    assert len({p.name_key for p in products}) == len(products)
    assert len({p.short_name for p in products}) == len(products)
    for product in products:
        assert product.name_key == product.name.lower()
        assert tags.validate_short_name(product.short_name) == product.short_name
        assert product.product_type_id is not None and product.active
    names = {p.name for p in products}
    assert "Round Diamond" in names and {"Ruby", "Sapphire", "Emerald"} <= names
    pictures = s.execute(select(Product.image_item_id, InventoryItem.product_id, InventoryItem.image_id, Product.id)
                         .join(InventoryItem, InventoryItem.id == Product.image_item_id)).all()
    assert pictures and all(item_product == pid and image_id for _i, item_product, image_id, pid in pictures)


def test_items_are_classified_by_kind_with_sensible_units(s):
    items = s.scalars(select(InventoryItem)).all()
    kinds = {i.kind for i in items}
    assert kinds == set(InventoryKind)
    units: dict[str, int] = {}
    for item in items:
        units[item.weight_unit] = units.get(item.weight_unit, 0) + 1
        assert (item.finished_type_id is not None) == (item.kind is InventoryKind.FINISHED)
        assert (item.ms_type_id is not None) == (item.kind is InventoryKind.MATERIALS)
        if item.kind is InventoryKind.ROUGH:
            assert item.weight_unit == "ct"
        if item.kind is InventoryKind.MATERIALS:
            assert item.weight_unit in ("g", "ozt")
        assert item.weight == item.weight.quantize(Decimal("0.0001"))
        assert item.quantity >= 0 and item.weight >= 0
        assert abs(item.weight_g - to_grams(item.weight, item.weight_unit)) < Decimal("1e-9")
        empty = item.quantity == 0 and item.weight == 0
        if item.status is ItemStatus.ARCHIVED:
            assert empty  # archiving writes off what is held
        else:
            assert (item.status is ItemStatus.CONSUMED) == empty
    assert units["ct"] > len(items) / 3 and units["g"] > len(items) / 5
    statuses = s.execute(select(InventoryItem.status, func.count()).group_by(InventoryItem.status)).all()
    counts = dict(statuses)
    assert counts[ItemStatus.AVAILABLE] > len(items) / 2


def test_ledger_verifies_and_balances_run_without_going_negative(s):
    assert ledger.verify(s) == []
    assert s.scalar(select(func.count()).where(
        (StockMovement.quantity_after < 0) | (StockMovement.weight_after < 0))) == 0
    running = text("""
        SELECT COUNT(*) FROM (
          SELECT quantity_after, weight_after,
                 SUM(quantity_delta) OVER (PARTITION BY item_id ORDER BY id) AS q,
                 SUM(weight_delta) OVER (PARTITION BY item_id ORDER BY id) AS w
          FROM stock_movements) m
        WHERE m.q <> m.quantity_after OR ABS(m.w - m.weight_after) > 0.00005""")
    assert s.scalar(running) == 0
    grams = text("""
        SELECT COUNT(*) FROM inventory_items i
        JOIN (SELECT item_id, SUM(weight_delta_g) AS g FROM stock_movements GROUP BY item_id) m ON m.item_id = i.id
        WHERE ABS(m.g - i.weight_g) > 0.000001""")
    assert s.scalar(grams) == 0


def test_movements_carry_the_item_classification_and_history(built, s):
    mismatched = text("""
        SELECT COUNT(*) FROM stock_movements m JOIN inventory_items i ON i.id = m.item_id
        WHERE m.product_id <> i.product_id OR m.kind <> i.kind
           OR COALESCE(m.finished_type_id, 0) <> COALESCE(i.finished_type_id, 0)
           OR COALESCE(m.ms_type_id, 0) <> COALESCE(i.ms_type_id, 0)
           OR COALESCE(m.shape_id, 0) <> COALESCE(i.shape_id, 0)
           OR COALESCE(m.size_id, 0) <> COALESCE(i.size_id, 0)
           OR COALESCE(m.colour_id, 0) <> COALESCE(i.colour_id, 0)
           OR COALESCE(m.quality_id, 0) <> COALESCE(i.quality_id, 0)
           OR m.user_id IS NULL""")
    assert s.scalar(mismatched) == 0

    # The bulk-loaded year (production, added after it through the lib, has its own test below).
    bulk = built[1]
    movements = s.execute(select(StockMovement.id, StockMovement.item_id, StockMovement.movement_kind,
                                 StockMovement.quantity_delta, StockMovement.weight_delta,
                                 StockMovement.location_id, StockMovement.moved_at)
                          .where(StockMovement.id <= bulk.movements).order_by(StockMovement.id)).all()
    items = {i.id: i for i in s.scalars(select(InventoryItem).where(InventoryItem.id <= bulk.items))}
    kinds = {m.movement_kind for m in movements}
    assert {MovementKind.RECEIPT, MovementKind.ADJUSTMENT, MovementKind.ISSUE, MovementKind.TRANSFER_OUT,
            MovementKind.TRANSFER_IN} <= kinds
    first: dict[int, tuple] = {}
    last_location: dict[int, int] = {}
    previous_time = NOW - timedelta(days=366)
    for index, m in enumerate(movements):
        assert m.id == index + 1
        assert NOW - timedelta(days=365) <= m.moved_at <= NOW and m.moved_at >= previous_time
        previous_time = m.moved_at
        if m.item_id not in first:
            first[m.item_id] = m
            assert m.movement_kind in (MovementKind.RECEIPT, MovementKind.IMPORT, MovementKind.PURCHASE_RECEIPT)
            assert m.quantity_delta > 0
        else:
            assert m.movement_kind not in (MovementKind.RECEIPT, MovementKind.IMPORT, MovementKind.PURCHASE_RECEIPT)
        if m.movement_kind is MovementKind.TRANSFER_OUT:
            pair = movements[index + 1]
            assert (pair.item_id, pair.movement_kind, pair.moved_at) == (m.item_id, MovementKind.TRANSFER_IN, m.moved_at)
            assert (pair.quantity_delta, pair.weight_delta) == (-m.quantity_delta, -m.weight_delta)
            assert pair.location_id != m.location_id
        elif m.movement_kind is not MovementKind.TRANSFER_IN and m.item_id in last_location:
            assert m.location_id == last_location[m.item_id]  # stock stays where it was moved to
        last_location[m.item_id] = m.location_id
    assert set(first) == set(items)
    for item_id, item in items.items():
        assert item.created_at == first[item_id].moved_at
        assert item.location_id == last_location[item_id]


def test_tag_ids_follow_the_tag_rules_and_sequences_continue(built, s):
    every_tag = s.scalars(select(InventoryItem.tag_id)).all()
    assert len(set(every_tag)) == len(every_tag) and all(tags.TAG_PATTERN.match(tag) for tag in every_tag)
    rows = s.execute(select(InventoryItem.tag_id, Product.short_name, Product.name, InventoryItem.id)
                     .join(Product, Product.id == InventoryItem.product_id)).all()
    numbers: dict[str, list[int]] = {}
    for tag, short, name, item_id in rows:
        prefix = tags.tag_prefix("LF", short, name)
        if item_id > built[1].items and not tag[len(prefix):].isdigit():
            continue  # a derived tag of production output (<source>-RCV1, ...): tested with production
        assert tag.startswith(prefix) and tag[len(prefix):].isdigit() and len(tag[len(prefix):]) >= 4
        numbers.setdefault(prefix, []).append(int(tag[len(prefix):]))  # the bulk load and purchase receipts
    sequences = {seq.prefix: seq.last_number for seq in s.scalars(select(TagSequence))}
    assert sequences == {prefix: max(found) for prefix, found in numbers.items()}
    assert all(sorted(found) == list(range(1, len(found) + 1)) for found in numbers.values())

    busiest = max(numbers, key=lambda prefix: len(numbers[prefix]))
    tag = tags.next_tag(s, busiest)  # rolled back by the fixture
    assert tag == f"{busiest}{max(numbers[busiest]) + 1:04d}"


def test_images_are_small_pngs_with_thumbnails(s):
    images = s.scalars(select(Image)).all()
    assert len({i.sha256 for i in images}) == len(images) == 60
    for image in images:
        assert image.mime_type == "image/png" and (image.width, image.height) == (96, 96)
        assert image.data.startswith(b"\x89PNG") and hashlib.sha256(image.data).hexdigest() == image.sha256
        assert PILImage.open(io.BytesIO(image.data)).size == (96, 96)
        assert PILImage.open(io.BytesIO(image.thumbnail)).size == (48, 48)
        assert len(image.data) < 20_000


def test_foreign_keys_hold_and_the_connection_settings_are_restored(built, s):
    if built[0].dialect.name != "sqlite":
        pytest.skip("SQLite-only pragmas")
    assert s.execute(text("PRAGMA foreign_key_check")).all() == []
    with built[0].connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_new_rows_get_ids_after_the_demo_ones(s):
    """On PostgreSQL the id sequences were moved past the explicit ids."""
    location = Location(name="Pop-up Stand", short_name="POP")
    catalog_entry = CatalogEntry(catalog=CatalogKind.COLOUR, name="Teal", name_key="teal")
    s.add_all([location, catalog_entry])
    s.flush()
    assert location.id == 4
    assert catalog_entry.id == s.scalar(select(func.max(CatalogEntry.id)))
    product = Product(name="Demo Extra", name_key="demo extra", short_name="DX")
    s.add(product)
    s.flush()
    assert product.id == 41


def test_building_twice_is_refused_and_changes_nothing(built, s):
    before = (_count(s, InventoryItem), _count(s, StockMovement), _count(s, User))
    with pytest.raises(ValueError, match="already has a workspace"):
        demo.build_demo(built[0], progress=None, now=NOW)
    assert (_count(s, InventoryItem), _count(s, StockMovement), _count(s, User)) == before
    with pytest.raises(ValueError, match="Unknown demo scale"):
        demo.build_demo(built[0], scale="huge", progress=None)


def _fingerprint(engine) -> tuple:
    with Session(engine) as session:
        items = session.execute(select(InventoryItem.tag_id, InventoryItem.quantity, InventoryItem.weight,
                                       InventoryItem.weight_unit, InventoryItem.location_id, InventoryItem.status,
                                       InventoryItem.created_at).order_by(InventoryItem.id)).all()
        movements = session.execute(select(StockMovement.item_id, StockMovement.movement_kind,
                                           StockMovement.quantity_delta, StockMovement.weight_delta,
                                           StockMovement.location_id, StockMovement.user_id, StockMovement.moved_at,
                                           StockMovement.reference).order_by(StockMovement.id)).all()
        products = session.execute(select(Product.name, Product.short_name).order_by(Product.id)).all()
        images = session.scalars(select(Image.sha256).order_by(Image.id)).all()
    return [tuple(r) for r in items], [tuple(r) for r in movements], [tuple(r) for r in products], images


def test_same_seed_and_now_give_the_same_data(built, databases):
    from lib import db

    engine = db.make_engine(databases.new("demo-again"))
    try:
        demo.build_demo(engine, scale="small", seed=7, progress=None, now=NOW)
        assert _fingerprint(engine) == _fingerprint(built[0])
    finally:
        engine.dispose()


def test_another_seed_gives_other_data_from_the_shipped_presets(databases, monkeypatch, capsys):
    """A tiny scale (patched in): the same rules hold, the catalog comes from the shipped presets."""
    from lib import db

    monkeypatch.setitem(demo.SCALES, "tiny", TINY)
    engine = db.make_engine(databases.new("demo-tiny"))
    try:
        summary = demo.build_demo(engine, scale="tiny", seed=11, progress=None, now=NOW)
        assert "WARNING" not in capsys.readouterr().err
        assert (summary.products, summary.items, summary.movements, summary.images) == (8, 150, 900, 12)
        with Session(engine) as session:
            assert ledger.verify(session) == []
            assert "lib/presets/industry-presets.yaml" in session.scalars(
                select(AuditEntry.new_values).where(AuditEntry.action == "load demo")).one()
            tags_found = session.scalars(select(InventoryItem.tag_id)).all()
            assert all(tags.TAG_PATTERN.match(tag) for tag in tags_found)
    finally:
        engine.dispose()


def test_command_line_loads_once_then_refuses(databases, monkeypatch, capsys):
    monkeypatch.setitem(demo.SCALES, "tiny", TINY)
    url = databases.new("demo-cli")
    assert demo.main(["--scale", "tiny", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "movements 900/900" in out and "Demo workspace (tiny) loaded: 8 products, 150 items, 900 movements" in out
    assert demo.main(["--scale", "tiny", "--database-url", url]) == 1
    assert "already has a workspace" in capsys.readouterr().err


def test_large_scale_gives_the_biggest_product_enough_items():
    """The large plan's share for its biggest product (20,000+ items, so ~200,000+ movements)."""
    large = demo.SCALES["large"]
    counts = plan._allocate(large.items, [1.0 / (rank + 1) for rank in range(large.products)])
    assert sum(counts) == large.items and min(counts) >= 100
    assert counts[0] >= 20_000 and counts[0] * large.movements / large.items >= 200_000


def test_the_demo_holds_only_states_the_stock_actions_can_make(built, s):
    """Archiving writes off what is held, Consumed means empty, and the ledger explains every balance."""
    held = (InventoryItem.quantity > 0) | (InventoryItem.weight > 0)
    archived = s.scalars(select(InventoryItem).where(InventoryItem.status == ItemStatus.ARCHIVED)).all()
    assert archived, "the demo has archived items to check"
    assert s.scalar(select(func.count()).select_from(InventoryItem)
                    .where(InventoryItem.status == ItemStatus.ARCHIVED, held)) == 0
    assert s.scalar(select(func.count()).select_from(InventoryItem)
                    .where(InventoryItem.status == ItemStatus.CONSUMED, held)) == 0
    assert s.scalar(select(func.count()).select_from(InventoryItem)
                    .where(InventoryItem.status.in_([ItemStatus.AVAILABLE, ItemStatus.ON_HOLD]), ~held)) == 0
    write_offs = s.execute(select(StockMovement.item_id, StockMovement.reference, StockMovement.note)
                           .where(StockMovement.movement_kind == MovementKind.WRITE_OFF,
                                  StockMovement.reference == "archive")).all()
    assert {item_id for item_id, _r, _n in write_offs} <= {item.id for item in archived}
    assert all(note == history.ARCHIVE_REASON for _i, _r, note in write_offs)
    assert ledger.verify(s) == []


def test_production_jobs_in_every_status_made_through_the_lib(built, s):
    """The demo's jobs (lib.demo.production): every status, chains of stages, ledger in time order, audited."""
    from collections import Counter

    from lib.access import actor_for_user
    from lib.models import JobIssue, JobStatus, ProductionJob, ProductionStage
    from lib.production import overview

    summary = built[1]
    assert 25 <= summary.jobs <= 40 and summary.job_items > 20 and summary.job_movements > summary.job_items
    assert f"{summary.jobs} production jobs" in summary.line()
    stage_names = s.scalars(select(ProductionStage.name).order_by(ProductionStage.sort_order)).all()
    assert len(stage_names) == 20 and stage_names[0] == "Design Sign-off & BOM"
    admin = actor_for_user(s, s.scalar(select(User.id).where(User.username == "admin")))
    rows = overview.list_jobs(s, actor=admin, filters=overview.JobFilters(), page=overview.JobPage(size=100),
                              today=NOW.date()).rows
    assert len(rows) == summary.jobs == _count(s, ProductionJob)
    assert set(Counter(row.status for row in rows)) == set(JobStatus)
    assert overview.summary(s, actor=admin, now=NOW).completed_recently >= 2
    assert any(row.overdue for row in rows) and {row.location for row in rows} == {
        "Main Workshop", "Downtown Store", "Cutting Studio"}
    for row in rows:
        if row.status is JobStatus.COMPLETED:
            assert row.progress.pending <= 0
        assert row.received + row.rejected + row.scrapped + row.waste <= row.issued + Decimal("0.0001")
    assert s.scalar(select(func.count()).where(ProductionJob.written_off_g > 0)) >= 1
    chained = s.scalars(select(InventoryItem.tag_id).join(JobIssue, JobIssue.item_id == InventoryItem.id)
                        .where(InventoryItem.tag_id.like("%-RCV%"))).all()
    assert len(chained) >= 3 and any(tag.count("-RCV") == 2 for tag in chained)  # three stages in a row

    numbers = set(s.scalars(select(ProductionJob.number)))
    production = s.execute(select(StockMovement.item_id, StockMovement.movement_kind, StockMovement.reference,
                                  StockMovement.moved_at).where(StockMovement.reference.in_(numbers))
                           .order_by(StockMovement.id)).all()
    assert {kind for _, kind, _, _ in production} == {MovementKind.PRODUCTION_ISSUE, MovementKind.PRODUCTION_RECEIPT,
                                                      MovementKind.RETURN}
    assert all(reference in numbers and moved_at <= NOW for _, _, reference, moved_at in production)
    touched = {item_id for item_id, _, _, _ in production}
    for item_id in touched:  # each item's ledger stays in time order
        times = s.scalars(select(StockMovement.moved_at).where(StockMovement.item_id == item_id)
                          .order_by(StockMovement.id)).all()
        assert times == sorted(times)
    assert s.scalar(select(func.count()).where(AuditEntry.action == "create production job")) == summary.jobs
    assert ledger.verify(s) == []


def test_demo_orders_cover_every_fulfilment_status_through_the_ledger(s):
    """lib.demo.orders: customers and suppliers with e-mails, and orders made by the same lib calls as the app."""
    from lib.models import Fulfilment, Order, OrderKind, OrderLine, OrderSelection, Party, PartyKind, PurchaseReceipt
    from lib.orders.fulfilment import order_fulfilment

    parties = s.scalars(select(Party)).all()
    assert {p.kind for p in parties} == set(PartyKind) and all("@" in p.email for p in parties)
    found = {(order.kind, order.fulfilment) for order in s.scalars(select(Order))}
    assert {f for kind, f in found if kind is OrderKind.SALES} == {
        Fulfilment.NOT_STARTED, Fulfilment.IN_PRODUCTION, Fulfilment.READY_TO_SHIP, Fulfilment.PARTIALLY_SHIPPED,
        Fulfilment.COMPLETED, Fulfilment.ON_HOLD, Fulfilment.CANCELLED}
    assert {f for kind, f in found if kind is OrderKind.PURCHASE} == {
        Fulfilment.NOT_STARTED, Fulfilment.PARTIALLY_RECEIVED, Fulfilment.COMPLETED, Fulfilment.CANCELLED}
    for order in s.scalars(select(Order)):  # the cached statuses are the derivation's
        lines = [line.status for line in s.scalars(select(OrderLine).where(OrderLine.order_id == order.id))]
        assert order.fulfilment is order_fulfilment(lines, on_hold=order.on_hold)
    selected = s.scalars(select(OrderSelection)).all()
    issues = {m.id: m for m in s.scalars(select(StockMovement).where(StockMovement.movement_kind.in_(
        [MovementKind.ISSUE, MovementKind.RETURN, MovementKind.PURCHASE_RECEIPT])))}
    assert selected and all(issues[row.issue_movement_id].item_id == row.item_id for row in selected)
    assert any(row.release_movement_id for row in selected)  # the cancelled order gave its stock back
    assert all(issues[row.movement_id].item_id == row.item_id for row in s.scalars(select(PurchaseReceipt)))
    assert ledger.verify(s) == []



def test_demo_jobs_work_on_sales_order_lines(s):
    """lib.demo.production links an ongoing job and a completed one to demo sales lines, through the lib."""
    from lib.access import actor_for_user
    from lib.models import Fulfilment, LineStatus, Order, OrderLine, ProductionJob
    from lib.production import links

    linked = s.scalars(select(ProductionJob).where(ProductionJob.order_line_id.is_not(None))
                       .order_by(ProductionJob.id)).all()
    lines = [s.get(OrderLine, job.order_line_id) for job in linked]
    assert [line.status for line in lines] == [LineStatus.IN_PROGRESS, LineStatus.PRODUCTION_COMPLETED]
    assert [s.get(Order, line.order_id).fulfilment for line in lines] == [Fulfilment.IN_PRODUCTION,
                                                                         Fulfilment.READY_TO_SHIP]
    assert all(job.order_id == line.order_id for job, line in zip(linked, lines))
    assert s.scalar(select(func.count()).where(AuditEntry.action == "link production job")) == 2
    manager = actor_for_user(s, s.scalar(select(User.id).where(User.username == "manager")))
    for line in lines:
        found = links.order_production(s, actor=manager, order_id=line.order_id)
        assert found is not None and found.efficiency.output_pct is not None
