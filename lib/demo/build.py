"""A deterministic demo workspace: catalogs, products, stock and a year of ledger.

`build_demo(engine)` fills an empty, migrated database with a jewelry workshop:
three locations, six users (password ``loupe-demo``), the catalogs of the
`jewelry` and `gemstones` industry presets, products, inventory items with
small generated pictures, and a year of stock movements ending now; then
`lib.demo.production` adds the production stages and jobs through the lib.

How it stays fast and consistent:
- Everything is planned in Python with explicit integer ids, then written in
  chunks of 10,000 rows in one transaction; no UPDATE ever touches a balance.
- Each item's history is simulated as discrete events in global time order (so
  movement ids grow with `moved_at`) and recorded compactly; items are written
  with their final balance, location and status, then their movements.
- Weights are integers of 0.0001 in the item's unit while simulating, so every
  running balance is exact: `quantity_after`/`weight_after` are never negative
  and each item's quantity, weight and weight_g equal the sums of its movements.
- Only `random.Random(seed)` (and generators seeded from it) decides anything:
  the same seed and the same `now` give the same data.
- The catalogs come from the shipped industry presets (`lib.presets`).

The parts: `lib.demo.plan` (presets, vocabulary, products and items), `lib.demo.history`
(the simulated year of movements), `lib.demo.pictures` (the gem pictures); this module
writes them. Command line: ``python -m lib.demo --scale small|large [--database-url URL]``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from operator import itemgetter
from random import Random
from typing import Callable

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection, Engine

from lib import ledger
from lib.demo.bulk_production import add_bulk_production
from lib.demo.costing import add_demo_costing
from lib.demo.history import MOVEMENT_NOTES, RECORD, History, reference_text, simulate
from lib.demo.orders import add_demo_orders
from lib.demo.pictures import make_images
from lib.demo.plan import (
    HISTORY_DAYS,
    LOCATIONS,
    MOVE_IN,
    MOVE_KINDS,
    MOVE_OUT,
    SCALES,
    TAG_PREFIX,
    USERS,
    CatalogPlan,
    ItemsPlan,
    Presets,
    ProductPlan,
    load_presets,
    plan_catalog,
    plan_items,
    plan_products,
)
from lib.demo.production import ProductionDemo, build_production
from lib.models import (
    AuditEntry,
    CatalogEntry,
    CatalogKind,
    Image,
    InventoryItem,
    InventoryKind,
    ItemStatus,
    Location,
    Plan,
    Product,
    StockMovement,
    TagSequence,
    User,
    Workspace,
)
from lib.tags import tag_prefix
from lib.units import UNITS_BY_SYMBOL, to_grams
from lib.workspace.users import DEMO_PASSWORD, hash_password


@dataclass(frozen=True)
class DemoSummary:
    products: int
    items: int
    movements: int
    users: int
    locations: int
    images: int
    seconds: float
    scale: str = "small"
    jobs: int = 0  # production jobs (lib.demo.production), with the items and movements they made
    job_items: int = 0
    job_movements: int = 0
    orders: int = 0  # lib.demo.orders: orders made, and the items and movements they added (not in the above)
    order_items: int = 0
    order_movements: int = 0

    def line(self) -> str:
        return (f"Demo workspace ({self.scale}) loaded: {self.products:,} products, {self.items:,} items, "
                f"{self.movements:,} movements, {self.users} users, {self.locations} locations, "
                f"{self.images} images, {self.orders} orders, {self.jobs} production jobs (+{self.job_items:,} "
                f"items, +{self.job_movements:,} movements) in {self.seconds:.1f} s")


WORKSPACE_NAME = "Demo Jewelry Workshop"
CHUNK_ROWS = 10_000


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def is_empty(engine: Engine) -> bool:
    """True when the database has no workspace row yet (a demo may be loaded)."""
    with engine.connect() as connection:
        return connection.execute(select(Workspace.id).limit(1)).first() is None


def _insert(connection: Connection, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK_ROWS):
        connection.execute(insert(model.__table__), rows[start:start + CHUNK_ROWS])


def _same(value):
    return value


class _BulkInsert:
    """Many-row INSERT for the two big tables.

    SQLAlchemy compiles the statement once for this dialect and its own bind
    processors convert the values (so storage formats stay SQLAlchemy's), but the
    rows go to the driver's executemany as plain tuples: SQLAlchemy's per-row
    bookkeeping would otherwise cost more than the database itself. On
    PostgreSQL with psycopg the rows are streamed with COPY instead, in the same
    transaction (row-by-row INSERTs there are several times slower).
    """

    def __init__(self, connection: Connection, model, columns: list[str]):
        table = model.__table__
        dialect = connection.dialect
        compiled = insert(table).compile(dialect=dialect, column_keys=columns)
        self.connection, self.columns, self.sql = connection, columns, compiled.string
        self.positional = dialect.positional
        self.reorder = None
        if self.positional and list(compiled.positiontup) != columns:
            self.reorder = itemgetter(*[columns.index(name) for name in compiled.positiontup])
        self.processors = {name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) or _same
                           for name in columns}
        self.copy_sql = None
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            quote = dialect.identifier_preparer
            self.copy_sql = (f"COPY {quote.format_table(table)} ({', '.join(quote.quote(c) for c in columns)}) "
                             "FROM STDIN")

    def convert(self, column: str) -> Callable:
        return self.processors[column]

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.copy_sql is not None:
            with self.connection.connection.driver_connection.cursor() as cursor:
                with cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            return
        if not self.positional:
            params = [dict(zip(self.columns, row)) for row in rows]
        elif self.reorder is not None:
            params = [self.reorder(row) for row in rows]
        else:
            params = rows
        self.connection.exec_driver_sql(self.sql, params)


class _Progress:
    """Reports "label done/total" about ten times per phase."""

    def __init__(self, report: Callable[[str], object], label: str, total: int):
        self.report, self.label, self.total = report, label, total
        self.step = max(CHUNK_ROWS, -(-total // 10 // CHUNK_ROWS) * CHUNK_ROWS)
        self.next = min(self.step, total)

    def update(self, done: int) -> None:
        if done >= self.next:
            self.report(f"{self.label} {done:,}/{self.total:,}")
            self.next = min(self.next + self.step, self.total) if done < self.total else self.total + 1


def build_demo(engine: Engine, *, scale: str = "small", seed: int = 7, progress=print,
               now: datetime | None = None) -> DemoSummary:
    """Fill an empty, migrated database with the demo workspace; return what was made.

    Raises ValueError when the database already has a workspace or `scale` is unknown.
    `now` (default: the current time; naive means UTC) ends the year of generated
    history; the same seed and `now` always give the same data. `progress` gets
    short lines such as "items 40,000/200,000" (None: silent).
    """
    started = time.perf_counter()
    if scale not in SCALES:
        raise ValueError(f"Unknown demo scale {scale!r}; use one of: {', '.join(SCALES)}.")
    if not is_empty(engine):
        raise ValueError("The database already has a workspace; the demo can only be loaded into an "
                         "empty database. Use a new database file (or an empty PostgreSQL database).")
    size = SCALES[scale]
    report = progress or (lambda _message: None)
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:  # like the UtcDateTime columns: a naive time is UTC
        now = now.replace(tzinfo=timezone.utc)
    now = now.astimezone(timezone.utc).replace(microsecond=0)
    start = now - timedelta(days=HISTORY_DAYS)
    horizon = int((now - start).total_seconds())
    rng = Random(seed)

    presets = load_presets()
    products, product_types = plan_products(rng, presets, size.products)
    catalog = plan_catalog(presets, product_types)
    image_rows, image_pool = make_images(Random(rng.getrandbits(64)), size.images, start - timedelta(days=30))
    report(f"catalog from {presets.source}: {len(catalog.rows):,} entries, {len(products):,} products, "
           f"{len(image_rows)} images")
    items = plan_items(rng, size, products, catalog, presets, image_pool, horizon)
    report(f"simulating a year of stock history for {len(items.q0):,} items")
    history = simulate(items, rng.getrandbits(64), horizon)
    password_hash = _hash_password()

    from lib.db import writer

    with writer(engine).connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection if sqlite else None
        if sqlite:
            # This connection only, outside any transaction, restored below: a big page
            # cache, and no per-row foreign key lookups (every id here is assigned by us).
            raw.execute("PRAGMA cache_size=-262144")
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if connection.execute(select(Workspace.id).limit(1)).first() is not None:
                    raise ValueError("The database already has a workspace; the demo can only be loaded "
                                     "into an empty database.")
                _write_everything(connection, report, now, start, presets, products, catalog, image_rows,
                                  items, history, password_hash, scale, seed)
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")
                raw.execute("PRAGMA cache_size=-2000")
        report("refreshing planner statistics")
        _after_bulk_load(connection)

    ordered = add_demo_orders(engine, now=now, seed=seed)
    made = build_production(engine, now=now, seed=seed)
    costed = add_demo_costing(engine, now=now, seed=seed)  # rate profiles, 90 days of prices, components, a costed job
    made = ProductionDemo(made.jobs + costed.jobs, made.items + costed.job_items, made.movements + costed.job_movements)
    if size.jobs:
        report(f"adding {size.jobs:,} production jobs in bulk")
        grown = add_bulk_production(engine, now=now, seed=seed, count=size.jobs)
        made = ProductionDemo(made.jobs + grown.jobs, made.items + grown.items, made.movements + grown.movements)
    return DemoSummary(products=len(products), items=len(items.q0), movements=history.movements,
                       users=len(USERS), locations=len(LOCATIONS), images=len(image_rows),
                       seconds=round(time.perf_counter() - started, 2), scale=scale, orders=ordered.orders,
                       order_items=ordered.items, order_movements=ordered.movements, jobs=made.jobs,
                       job_items=made.items, job_movements=made.movements)


def _hash_password() -> str:
    return hash_password(DEMO_PASSWORD)  # bcrypt is slow: hashed once, shared by all demo users


def _write_everything(connection: Connection, report, now: datetime, start: datetime, presets: Presets,
                      products: list[ProductPlan], catalog: CatalogPlan, image_rows: list[dict],
                      items: ItemsPlan, history: History, password_hash: str, scale: str, seed: int) -> None:
    _insert(connection, Workspace, [{
        "id": 1, "name": WORKSPACE_NAME, "industry": "jewelry", "plan": Plan.PROFESSIONAL,
        "default_weight_unit": "g", "tag_prefix": TAG_PREFIX, "ai_summaries_enabled": False,
        "managers_all_locations": False, "updated_at": now}])
    _insert(connection, Location, [{"id": n, "name": name, "short_name": short, "kind": kind, "active": True}
                                   for n, (name, short, kind) in enumerate(LOCATIONS, start=1)])
    _insert(connection, User, [{
        "id": n, "username": username, "name": name, "email": f"{username}@demo.loupe.example",
        "password_hash": password_hash, "role": role, "location_id": location, "active": True,
        "last_login_at": None, "created_at": start - timedelta(days=150)}
        for n, (username, name, role, location) in enumerate(USERS, start=1)])
    _insert(connection, CatalogEntry, catalog.rows)
    _insert(connection, Image, image_rows)
    _insert(connection, Product, [{
        "id": p.id, "name": p.name, "name_key": p.name.lower(), "short_name": p.short_name,
        "product_type_id": catalog.id(CatalogKind.PRODUCT_TYPE, p.product_type), "image_item_id": None,
        "active": True, "created_at": start - timedelta(days=p.created_offset_days)} for p in products])

    _write_items(connection, report, items, history, start)

    # Each product's picture: its first item that has one.
    first_picture: dict[int, int] = {}
    for i, image_id in enumerate(items.image_id):
        if image_id is not None:
            first_picture.setdefault(items.cls[i][0], i + 1)
    if first_picture:
        products_table = Product.__table__
        connection.execute(
            update(products_table).where(products_table.c.id == bindparam("pid"))
            .values(image_item_id=bindparam("iid")),
            [{"pid": pid, "iid": iid} for pid, iid in sorted(first_picture.items())])

    _write_movements(connection, report, items, history, start)
    ledger.rebuild_summaries(connection)

    _insert(connection, TagSequence, [
        {"prefix": tag_prefix(TAG_PREFIX, p.short_name, p.name), "last_number": items.product_items[p.id]}
        for p in products if items.product_items.get(p.id)])
    connection.execute(insert(AuditEntry.__table__).values(
        at=now, user_id=None, action="load demo", entity="workspace", entity_id="1", old_values=None,
        new_values=json.dumps({"scale": scale, "seed": seed, "products": len(products), "items": len(items.q0),
                               "movements": history.movements, "presets": presets.source}, sort_keys=True)))


ITEM_COLUMNS = ["id", "tag_id", "product_id", "kind", "finished_type_id", "ms_type_id", "shape_id", "size_id",
                "colour_id", "quality_id", "quantity", "weight", "weight_unit", "weight_g", "location_id",
                "image_id", "status", "notes", "created_at", "created_by_id", "updated_at"]
MOVEMENT_COLUMNS = ["id", "item_id", "product_id", "location_id", "kind", "finished_type_id", "ms_type_id",
                    "shape_id", "size_id", "colour_id", "quality_id", "movement_kind", "quantity_delta",
                    "weight_delta", "weight_delta_g", "quantity_after", "weight_after", "user_id", "moved_at",
                    "reference", "note", "counterpart_location_id", "counterpart_tag"]


class _Values:
    """Column values converted exactly as SQLAlchemy's bind processors would, but fast.

    Weights are integers of 0.0001 and times whole seconds after `start`. When the
    dialect stores numbers as floats (SQLite) the float is computed directly from
    the integer (correctly rounded, so equal to float(Decimal)); times use a cached
    text form once it is proven equal to SQLAlchemy's own. Otherwise (PostgreSQL)
    exact Decimals and datetimes go through SQLAlchemy's processors.
    """

    def __init__(self, writer: _BulkInsert, weight_column: str, time_column: str, start: datetime):
        self.number = writer.convert(weight_column)
        self.at = writer.convert(time_column)
        self.start = start
        self.floats = isinstance(self.number(Decimal("1.2345")), float)
        self.factors = {}  # unit -> grams per unit * 10,000, when that is a whole number
        for symbol in UNITS_BY_SYMBOL:
            factor = UNITS_BY_SYMBOL[symbol].grams * 10_000
            if factor == factor.to_integral_value():
                self.factors[symbol] = int(factor)
        midnight = start.replace(hour=0, minute=0, second=0)
        self.offset = int((start - midnight).total_seconds())
        self.days = [(midnight.date() + timedelta(days=d)).isoformat() + " " for d in range(HISTORY_DAYS + 2)]
        self.clock: dict[int, str] = {}
        samples = (0, 1, 86_399, 86_400, 3_000_017, 31_535_999)
        self.texts = all(self.at(start + timedelta(seconds=t)) == self._text(t) for t in samples)

    def weight(self, units: int):
        if self.floats:
            return units / 10_000
        return self.number(Decimal(units).scaleb(-4))

    def grams(self, units: int, unit: str):
        factor = self.factors.get(unit)
        if factor is None:
            return self.number(to_grams(Decimal(units).scaleb(-4), unit))
        if self.floats:
            return units * factor / 100_000_000
        return self.number(Decimal(units * factor).scaleb(-8))

    def _text(self, seconds: int) -> str:
        day, second = divmod(self.offset + seconds, 86_400)
        clock = self.clock.get(second)
        if clock is None:
            hours, rest = divmod(second, 3_600)
            clock = self.clock[second] = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}.000000"
        return self.days[day] + clock

    def time(self, seconds: int):
        if self.texts:
            return self._text(seconds)
        return self.at(self.start + timedelta(seconds=seconds))


def _write_items(connection: Connection, report, items: ItemsPlan, history: History, start: datetime) -> None:
    writer = _BulkInsert(connection, InventoryItem, ITEM_COLUMNS)
    values = _Values(writer, "weight", "created_at", start)
    kind_value = {k: writer.convert("kind")(k) for k in InventoryKind}
    status_value = {s: writer.convert("status")(s) for s in ItemStatus}
    weight_of, grams_of, time_of = values.weight, values.grams, values.time
    total = len(items.q0)
    meter = _Progress(report, "items", total)
    rows: list[tuple] = []
    for i in range(total):
        product_id, kind, ft, ms, shape, size, colour, quality = items.cls[i]
        quantity, weight, unit = history.quantity[i], history.weight[i], items.unit[i]
        if items.hold[i] is ItemStatus.ARCHIVED:
            status = ItemStatus.ARCHIVED
        else:
            status = ItemStatus.CONSUMED if quantity == 0 and weight == 0 else items.hold[i] or ItemStatus.AVAILABLE
        rows.append((i + 1, items.tag[i], product_id, kind_value[kind], ft, ms, shape, size, colour, quality,
                     quantity, weight_of(weight), unit, grams_of(weight, unit), history.location[i],
                     items.image_id[i], status_value[status], items.notes[i], time_of(items.t0[i]),
                     history.receipt_user[i], time_of(history.last_t[i])))
        if len(rows) == CHUNK_ROWS:
            writer.write(rows)
            rows = []
            meter.update(i + 1)
    writer.write(rows)
    meter.update(total)


def _write_movements(connection: Connection, report, items: ItemsPlan, history: History, start: datetime) -> None:
    writer = _BulkInsert(connection, StockMovement, MOVEMENT_COLUMNS)
    values = _Values(writer, "weight_delta", "moved_at", start)
    kind_value = {k: writer.convert("kind")(k) for k in InventoryKind}
    move_value = [writer.convert("movement_kind")(k) for k in MOVE_KINDS]
    weight_of, grams_of, time_of = values.weight, values.grams, values.time
    classification = [(c[0], kind_value[c[1]]) + c[2:] for c in items.cls]
    units = items.unit
    records = history.records
    total = history.movements
    meter = _Progress(report, "movements", total)
    rows: list[tuple] = []
    for movement in range(total):
        i, t, dq, dw, qa, wa, packed, number = records[movement * RECORD:(movement + 1) * RECORD]
        product_id, kind, ft, ms, shape, size, colour, quality = classification[i]
        reference = packed >> 8 & 7
        code = packed & 7
        counterpart_location = counterpart_tag = None
        if code in (MOVE_OUT, MOVE_IN):  # a whole-item transfer: the out and in records are adjacent
            other = movement + 1 if code == MOVE_OUT else movement - 1
            counterpart_location, counterpart_tag = records[other * RECORD + 6] >> 3 & 3, items.tag[i]
        rows.append((movement + 1, i + 1, product_id, packed >> 3 & 3, kind, ft, ms, shape, size, colour, quality,
                     move_value[code], dq, weight_of(dw), grams_of(dw, units[i]), qa, weight_of(wa),
                     packed >> 5 & 7, time_of(t), reference_text(reference, number),
                     MOVEMENT_NOTES[packed >> 11], counterpart_location, counterpart_tag))
        if len(rows) == CHUNK_ROWS:
            writer.write(rows)
            rows = []
            meter.update(movement + 1)
    writer.write(rows)
    meter.update(total)


def _after_bulk_load(connection: Connection) -> None:
    """PostgreSQL: move the id sequences past our explicit ids. Both: refresh planner statistics."""
    if connection.dialect.name == "postgresql":
        with connection.begin():
            for table in ("workspace", "locations", "users", "catalog_entries", "images", "products",
                          "inventory_items", "stock_movements", "audit_log"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
            connection.exec_driver_sql("ANALYZE")
    elif connection.dialect.name == "sqlite":
        with connection.begin():
            # A full ANALYZE (about 2 s on the large demo): sampled statistics made every
            # index look alike and led SQLite to poor plans for product pages.
            connection.exec_driver_sql("ANALYZE")


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.demo", description="Load the Loupe Factory demo workspace "
                                     f"into an empty database (users' password: {DEMO_PASSWORD}).")
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--database-url", help="default: LOUPE_DATABASE_URL, else the data folder's SQLite file")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    from lib import db

    url = args.database_url
    if not url:
        from lib.config import load_settings

        url = load_settings().database_url
    db.migrate(url)
    engine = db.make_engine(url)
    began = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f}s] {message}", flush=True)

    try:
        summary = build_demo(engine, scale=args.scale, seed=args.seed, progress=progress)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(summary.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
