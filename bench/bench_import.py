"""Inventory import benchmarks (issue 10), on the large demo (200,000 items), as its first admin.

- import_2000_rows_s: what the Import view does for one 2,000-row CSV sheet: read it, check every row
  (preview, in a read transaction) and commit it (`importer.commit`, in its own write transaction, checking
  again); median of 3 runs.
- import_write_lock_s: of that, the time inside the write transaction (from BEGIN IMMEDIATE on SQLite, the
  first statement on PostgreSQL, to COMMIT), which is how long other writers wait.
- import_floor_s: the same rows (items, opening movements, one audit entry each) inserted with plain DB-API
  `executemany` in one transaction, every value computed beforehand: what the database itself costs.
- import_vs_floor: import_write_lock_s / import_floor_s.
- import_create_missing_s: the same as import_2000_rows_s for a sheet whose rows use a new product and four
  new colours, imported with "Create missing products and catalog values".

The sheet (`demo_sheet`) is drawn with a fixed seed from the demo's own products, catalog values and
locations: every kind, weights of up to 4 decimals in ct and g, no two rows alike (no auto-merge).
Every run's rows are deleted again afterwards (`_clean_up`), so the demo stays as it was built.
"""
from __future__ import annotations

import csv
import io
import statistics
import time
from dataclasses import dataclass
from random import Random

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.engine import Engine

from bench.run import BenchContext, Result
from lib import db, ledger
from lib.access import Actor, actor_for_user
from lib.classification import ATTRIBUTES
from lib.inventory import importer
from lib.models import (AuditEntry, CatalogEntry, CatalogKind, InventoryItem, InventoryKind, ItemStatus, Location,
                        MovementKind, Product, Role, StockDaily, StockHeld, StockMovement, TagSequence, User,
                        utcnow)
from lib.units import to_grams

ROWS = 2000
REPEAT = 3
IMPORT_TARGET_S = 1.5
LOCK_TARGET_S = 1.0
HEADERS = ["Product", "Type", *(attribute.label for attribute in ATTRIBUTES), "Quantity", "Weight", "Weight unit",
           "Location", "Notes"]


def demo_sheet(engine: Engine, rows: int = ROWS, seed: int = 10, new_product: str | None = None,
               new_colours: tuple[str, ...] = ()) -> bytes:
    """A CSV of `rows` distinct rows drawn from the workspace's own names; optionally some new names."""
    rng = Random(seed)
    with db.session_scope(engine) as session:
        products = session.scalars(select(Product.name).where(Product.active.is_(True)).order_by(Product.id)).all()
        names = {kind: session.scalars(select(CatalogEntry.name).where(CatalogEntry.catalog == kind,
                                                                        CatalogEntry.active.is_(True))
                                       .order_by(CatalogEntry.id)).all() for kind in CatalogKind}
        locations = session.scalars(select(Location.name).where(Location.active.is_(True))
                                    .order_by(Location.id)).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for number in range(rows):
        kind = rng.choice(list(InventoryKind))
        values = {"Product": rng.choice(products), "Type": kind.label}
        for attribute in ATTRIBUTES:
            choices = names[attribute.catalog]
            values[attribute.label] = rng.choice(choices) if attribute.applies_to(kind) and choices else ""
        if new_product and number % 2:
            values["Product"] = new_product
        if new_colours and number % 3 == 0:
            values["Colour"] = new_colours[number % len(new_colours)]
        unit = rng.choice(("ct", "g"))
        values.update({"Quantity": rng.randint(1, 20) if kind is InventoryKind.FINISHED else 0,
                       "Weight": f"{rng.randint(1, 2_000_000) / 10_000:.4f}", "Weight unit": unit,
                       "Location": rng.choice(locations), "Notes": f"bench row {number + 2}"})
        writer.writerow([values[header] for header in HEADERS])
    return buffer.getvalue().encode()


@dataclass
class Marks:
    """Where the database stood before a run, so the run's rows can be deleted again."""

    item_id: int
    movement_id: int
    audit_id: int
    product_id: int
    entry_id: int
    sequences: dict[str, int]


def _marks(engine: Engine) -> Marks:
    with db.session_scope(engine) as session:
        def top(column):
            return session.scalar(select(func.coalesce(func.max(column), 0)))

        return Marks(top(InventoryItem.id), top(StockMovement.id), top(AuditEntry.id), top(Product.id),
                     top(CatalogEntry.id), dict(session.execute(select(TagSequence.prefix, TagSequence.last_number))
                                                .tuples().all()))


def _clean_up(engine: Engine, marks: Marks, counted: bool = True) -> None:
    """Delete what a run wrote (bench bookkeeping on the bench database, not an app action), with its share
    of the ledger's summaries when the run went through the ledger (`counted`; the floor's raw rows never did)."""
    with db.session_scope(engine, write=True) as session:
        if counted:
            ledger.uncount(session, StockMovement.id > marks.movement_id, InventoryItem.id > marks.item_id)
        session.execute(delete(StockDaily).where(StockDaily.product_id > marks.product_id))
        session.execute(delete(StockHeld).where(StockHeld.product_id > marks.product_id))
        session.execute(delete(StockMovement).where(StockMovement.id > marks.movement_id))
        session.execute(delete(InventoryItem).where(InventoryItem.id > marks.item_id))
        session.execute(delete(AuditEntry).where(AuditEntry.id > marks.audit_id))
        session.execute(delete(Product).where(Product.id > marks.product_id))
        session.execute(delete(CatalogEntry).where(CatalogEntry.id > marks.entry_id))
        session.execute(delete(TagSequence).where(TagSequence.prefix.not_in(list(marks.sequences) or [""])))
        for prefix, number in marks.sequences.items():
            session.execute(update(TagSequence).where(TagSequence.prefix == prefix, TagSequence.last_number != number)
                            .values(last_number=number))


class LockTimer:
    """Time inside write transactions of `engine`: from BEGIN to COMMIT or ROLLBACK."""

    def __init__(self, engine: Engine):
        self.engine, self.seconds, self._started = engine, 0.0, None
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _begin(self, connection) -> None:
        if connection.get_execution_options().get("loupe_immediate"):
            self._started = time.perf_counter()

    def _end(self, _connection) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None

    def close(self) -> None:
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine, "commit", self._end)
        event.remove(self.engine, "rollback", self._end)


def _admin(engine: Engine) -> Actor:
    with db.session_scope(engine) as session:
        admin_id = session.scalars(select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))
                                   .order_by(User.id)).first()
        return actor_for_user(session, admin_id)


def import_once(engine: Engine, actor: Actor, data: bytes, create_missing: bool = False) -> tuple[float, float, int]:
    """(wall seconds, seconds inside the write transaction, rows written) of one read + preview + commit."""
    marks = _marks(engine)
    timer = LockTimer(engine)
    try:
        started = time.perf_counter()
        sheet = importer.read_sheet("bench.csv", data)
        with db.session_scope(engine) as session:
            checked = importer.preview(session, actor=actor, sheet=sheet, create_missing=create_missing)
        if not checked.ok:
            raise RuntimeError(f"The bench sheet has problems: {checked.problems[:3]}")
        with db.session_scope(engine, write=True) as session:
            result = importer.commit(session, actor=actor, sheet=sheet, create_missing=create_missing)
        wall = time.perf_counter() - started
    finally:
        timer.close()
    _clean_up(engine, marks)
    return wall, timer.seconds, result.added + result.merged


# ---------------------------------------------------------------------------
# The floor: the same rows with plain executemany
# ---------------------------------------------------------------------------

def floor_once(engine: Engine, actor: Actor, data: bytes) -> float:
    """Seconds to insert the rows of `data` as items, opening movements and audit entries with plain executemany.

    Values are resolved and converted before the clock starts; the clock covers BEGIN to COMMIT.
    """
    marks = _marks(engine)
    items, movements, audits = _floor_rows(engine, actor, data, marks)
    postgres = engine.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"

    def sql(table: str, columns: list[str]) -> str:
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"

    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        if not postgres:
            cursor.execute("BEGIN IMMEDIATE")
        cursor.executemany(sql("inventory_items", list(items[0])), [tuple(row.values()) for row in items])
        cursor.executemany(sql("stock_movements", list(movements[0])), [tuple(row.values()) for row in movements])
        cursor.executemany(sql("audit_log", list(audits[0])), [tuple(row.values()) for row in audits])
        connection.commit()
        seconds = time.perf_counter() - started
        cursor.close()
    finally:
        connection.close()
    _clean_up(engine, marks, counted=False)
    return seconds


def _floor_rows(engine: Engine, actor: Actor, data: bytes, marks: Marks) -> tuple[list[dict], list[dict], list[dict]]:
    """The rows the import writes, as driver-ready values with explicit ids (read once through the importer's check)."""
    sheet = importer.read_sheet("bench.csv", data)
    with db.session_scope(engine) as session:
        checked = importer.preview(session, actor=actor, sheet=sheet)
    dialect = engine.dialect
    convert = {column.name: (column.type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value))
               for table in (InventoryItem.__table__, StockMovement.__table__, AuditEntry.__table__)
               for column in table.columns}
    now = utcnow()
    items, movements, audits = [], [], []
    for offset, row in enumerate(checked.rows):
        clean = row.draft
        item_id = marks.item_id + offset + 1
        grams = to_grams(clean.weight, clean.weight_unit)
        classification = {a.field: clean.classification.get(a.field) for a in ATTRIBUTES}
        item = {"id": item_id, "tag_id": f"FLOOR{item_id}", "product_id": clean.product.id, "kind": clean.kind,
                "quantity": clean.quantity, "weight": clean.weight, "weight_unit": clean.weight_unit,
                "weight_g": grams, "location_id": clean.location_id, "status": ItemStatus.AVAILABLE, "notes": clean.notes,
                "created_at": now, "created_by_id": actor.user_id, "updated_at": now, **classification}
        items.append(item)
        movements.append({"id": marks.movement_id + offset + 1, "item_id": item_id,
                          "product_id": clean.product.id, "location_id": clean.location_id, "kind": clean.kind,
                          "movement_kind": MovementKind.IMPORT, "quantity_delta": clean.quantity, "weight_delta": clean.weight,
                          "weight_delta_g": grams, "quantity_after": clean.quantity, "weight_after": clean.weight,
                          "user_id": actor.user_id, "moved_at": now, "reference": f"bench.csv row {row.number}",
                          "note": clean.notes, **classification})
        audits.append({"id": marks.audit_id + offset + 1, "at": now, "user_id": actor.user_id,
                       "action": "import item", "entity": "inventory_item", "entity_id": str(item_id),
                       "old_values": None, "new_values": f'{{"tag_id": "FLOOR{item_id}"}}'})
    return tuple([{key: convert[key](value) for key, value in row.items()} for row in rows]
                 for rows in (items, movements, audits))


def run(context: BenchContext) -> list[Result]:
    engine = context.large
    actor = _admin(engine)
    rows = 100 if context.smoke else ROWS
    repeat = context.repeats(REPEAT)
    data = demo_sheet(engine, rows)
    fresh = demo_sheet(engine, rows, seed=11, new_product="Bench Padparadscha", new_colours=(
        "Bench Sunset", "Bench Lotus", "Bench Dusk", "Bench Salmon"))
    import_once(engine, actor, data)  # warm-up: caches, statistics
    walls, locks, floors = [], [], []
    for _ in range(repeat):  # alternated, so machine load hits both alike
        wall, lock, written = import_once(engine, actor, data)
        walls.append(wall)
        locks.append(lock)
        floors.append(floor_once(engine, actor, data))
    creating = [import_once(engine, actor, fresh, create_missing=True)[0] for _ in range(repeat)]
    wall, lock, floor = statistics.median(walls), statistics.median(locks), statistics.median(floors)
    dialect = engine.dialect.name
    return [
        Result("import_2000_rows_s", wall, "s", IMPORT_TARGET_S,
               f"{dialect}: read + preview + commit of {written:,} rows, median of {repeat}"),
        Result("import_write_lock_s", lock, "s", LOCK_TARGET_S, "inside the write transaction"),
        Result("import_floor_s", floor, "s", None,
               "the same items, movements and audit rows with plain executemany, one transaction"),
        Result("import_vs_floor", lock / floor if floor else 0.0, "x", None, "import_write_lock_s / import_floor_s"),
        Result("import_create_missing_s", statistics.median(creating), "s", IMPORT_TARGET_S,
               "the same with a new product and 4 new colours created on request"),
    ]
