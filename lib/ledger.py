"""The stock ledger: the only code that changes an item's quantity or weight.

Every change locks the item row (SELECT … FOR UPDATE on PostgreSQL; the
caller's BEGIN IMMEDIATE write transaction on SQLite), refuses a result below
zero, appends one movement with the balance after it, and updates the cached
balance, all in the caller's transaction. Corrections are new rows, never
edits. `open_items` creates many new items at once (an import) under the same
rules, each with its opening movement, in bulk inserts (`lib.bulk`); nobody
else can hold a lock on a row that does not exist yet. `verify()` proves
cached balance == sum of movements for every item, and that the summaries
equal what they summarise.

The summaries (`lib.models.summary`): `stock_daily` rolls movements up per UTC
day, product, location, kind and movement kind; `stock_held` counts held items
(`models.IN_STOCK`) per product, location and kind. Every change here records
its effect on them in the session (`_pending`); the effects of the whole
transaction are merged per row and written just before it commits (a
`before_commit` hook), as upserts (INSERT … ON CONFLICT DO UPDATE: no
read-modify-write, so no lost update) in one sorted order (all daily rows, then
all held rows, each by key), so two writers of one product and location can
never wait on each other in a cycle, and the shared rows are locked only for the
last moments of the transaction. A savepoint rolled back takes its effects with
it. Code that reads the summaries in a session that has changed stock and not
committed yet calls `write_summaries(session)` first (`verify` does).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import Connection, delete, event, func, inspect, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from lib import bulk
from lib.classification import STAMPED_FIELDS
from lib.errors import InsufficientStock, NotFound, ValidationFailed
from lib.models import (
                        InventoryItem,
                        InventoryKind,
                        ItemStatus,
                        MovementKind,
                        StockDaily,
                        StockHeld,
                        StockMovement,
                        utcnow,
)
from lib.units import WEIGHT_QUANTUM, to_grams


def lock_item(session: Session, item_id: int) -> InventoryItem:
    """Load `item_id` with a row lock, refreshing any stale copy in the session."""
    stmt = (select(InventoryItem).where(InventoryItem.id == item_id)
            .with_for_update().execution_options(populate_existing=True))
    item = session.scalars(stmt).one_or_none()
    if item is None:
        raise NotFound(f"Inventory item {item_id} does not exist.")
    return item


def apply_change(session: Session, *, item_id: int, user_id: int | None, movement_kind: MovementKind,
                 quantity_delta: int = 0, weight_delta: Decimal = Decimal(0), reference: str = "",
                 note: str = "", moved_at: datetime | None = None, counterpart_location_id: int | None = None,
                 counterpart_tag: str | None = None) -> StockMovement:
    """Change one item's stock by signed deltas (weight in the item's own unit).

    A transfer names its counterpart: the location on the other side and the
    tag of the item there (the same tag when a whole item moves).

    Raises InsufficientStock when quantity or weight would go below zero, and
    ValidationFailed for a change that changes nothing or a fractional weight
    beyond 4 decimals. Nothing is written when it raises.
    """
    if not isinstance(quantity_delta, int) or isinstance(quantity_delta, bool):
        raise ValidationFailed("Quantity must be a whole number of pieces.")
    weight_delta = Decimal(weight_delta)
    if weight_delta != weight_delta.quantize(WEIGHT_QUANTUM):
        raise ValidationFailed("Weight may have at most 4 decimals.")
    if quantity_delta == 0 and weight_delta == 0:
        raise ValidationFailed("The change must alter the quantity or the weight.")
    item = lock_item(session, item_id)
    new_quantity = item.quantity + quantity_delta
    new_weight = (Decimal(item.weight) + weight_delta).quantize(WEIGHT_QUANTUM)
    if new_quantity < 0:
        raise InsufficientStock(f"{item.tag_id} holds {item.quantity} pcs; cannot take {-quantity_delta}.")
    if new_weight < 0:
        raise InsufficientStock(
            f"{item.tag_id} holds {item.weight} {item.weight_unit}; cannot take {-weight_delta} {item.weight_unit}.")
    movement = StockMovement(
        item_id=item.id, location_id=item.location_id, movement_kind=movement_kind,
        quantity_delta=quantity_delta, weight_delta=weight_delta,
        weight_delta_g=to_grams(weight_delta, item.weight_unit),
        quantity_after=new_quantity, weight_after=new_weight, user_id=user_id,
        moved_at=moved_at or utcnow(), reference=reference[:120], note=note,
        counterpart_location_id=counterpart_location_id, counterpart_tag=counterpart_tag,
        **{field: getattr(item, field) for field in STAMPED_FIELDS},
    )
    item.quantity = new_quantity
    item.weight = new_weight
    item.weight_g = to_grams(new_weight, item.weight_unit)
    item.status = _status_after(item.status, new_quantity, new_weight)
    session.add(movement)
    session.flush()
    _count_movements(session, [(movement.moved_at, item.product_id, item.location_id, item.kind, movement_kind,
                                quantity_delta, movement.weight_delta_g)])
    return movement


ITEMS, MOVEMENTS = InventoryItem.__table__, StockMovement.__table__


@dataclass(frozen=True)
class Opening:
    """One new item and the stock it opens with, for `open_items` (weight in `weight_unit`)."""

    tag_id: str
    product_id: int
    kind: InventoryKind
    weight_unit: str
    location_id: int
    quantity: int
    weight: Decimal
    classification: Mapping[str, int | None]  # catalog attribute field -> entry id (lib.classification)
    status: ItemStatus = ItemStatus.AVAILABLE
    notes: str = ""
    created_at: datetime | None = None  # None: now
    reference: str = ""


def open_items(session: Session, openings: Sequence[Opening], *, user_id: int | None,
               movement_kind: MovementKind) -> list[int]:
    """Insert new items with their opening movements in bulk, in the caller's transaction; their ids, in order.

    The rules of `apply_change` for many new items at once: whole pieces, at
    most 4 decimals, nothing below zero; each item's first movement carries its
    opening balance (delta = balance after) and its classification, and the
    item's cached balance equals it. An item that opens empty gets no movement
    (nothing changed) and is Consumed, or Archived when asked; On hold needs
    stock, and Consumed or Archived items hold none (archiving writes stock off).
    A tag that exists already raises ValidationFailed. The caller checks rights
    and scope; on any error the caller's transaction must be rolled back.
    """
    for opening in openings:
        _check_opening(opening)
    now = utcnow()
    attribute_fields = [field for field in STAMPED_FIELDS if field not in ("product_id", "kind")]
    items = [{
        "tag_id": o.tag_id, "product_id": o.product_id, "kind": o.kind, "quantity": o.quantity,
        "weight": o.weight, "weight_unit": o.weight_unit, "weight_g": to_grams(o.weight, o.weight_unit),
        "location_id": o.location_id, "image_id": None, "status": _opening_status(o), "notes": o.notes,
        "created_at": o.created_at or now, "created_by_id": user_id, "updated_at": now,
        **{field: o.classification.get(field) for field in attribute_fields},
    } for o in openings]
    if not items:
        return []
    try:
        ids = bulk.insert_returning_ids(session, ITEMS, items)
    except IntegrityError:
        raise ValidationFailed("A tag ID of these items was just taken by someone else; nothing was written, "
                               "please try again.") from None
    movements = [{
        "item_id": item_id, "location_id": o.location_id, "movement_kind": movement_kind,
        "quantity_delta": o.quantity, "weight_delta": o.weight, "weight_delta_g": row["weight_g"],
        "quantity_after": o.quantity, "weight_after": o.weight, "user_id": user_id, "moved_at": now,
        "reference": o.reference[:120], "note": o.notes, "counterpart_location_id": None, "counterpart_tag": None,
        **{field: row[field] for field in STAMPED_FIELDS},
    } for item_id, o, row in zip(ids, openings, items) if o.quantity or o.weight]
    if movements:
        bulk.insert_rows(session, MOVEMENTS, movements)
        _count_movements(session, [(m["moved_at"], m["product_id"], m["location_id"], m["kind"], m["movement_kind"],
                                    m["quantity_delta"], m["weight_delta_g"]) for m in movements])
    _count_held(session, [((row["product_id"], row["location_id"], row["kind"], 1, row["quantity"], row["weight_g"]), 1)
                          for row in items if _holds(row["status"], row["quantity"], row["weight_g"])])
    return ids


def _check_opening(opening: Opening) -> None:
    quantity, weight = opening.quantity, Decimal(opening.weight)
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise ValidationFailed(f"{opening.tag_id}: quantity must be a whole number of pieces.")
    if weight != weight.quantize(WEIGHT_QUANTUM):
        raise ValidationFailed(f"{opening.tag_id}: weight may have at most 4 decimals.")
    if quantity < 0 or weight < 0:
        raise InsufficientStock(f"{opening.tag_id}: a new item cannot open with less than nothing.")
    empty = quantity == 0 and weight == 0
    if opening.status is ItemStatus.ON_HOLD and empty:
        raise ValidationFailed(f"{opening.tag_id}: only an item holding stock can be on hold.")
    if opening.status in (ItemStatus.CONSUMED, ItemStatus.ARCHIVED) and not empty:
        raise ValidationFailed(f"{opening.tag_id}: a {opening.status.label.lower()} item holds no stock.")


def _opening_status(opening: Opening) -> ItemStatus:
    return _status_after(opening.status, opening.quantity, Decimal(opening.weight))


def _status_after(status: ItemStatus, quantity: int, weight: Decimal) -> ItemStatus:
    """Empty available items become Consumed; a consumed item that gets stock back is Available."""
    empty = quantity == 0 and weight == 0
    if empty and status is ItemStatus.AVAILABLE:
        return ItemStatus.CONSUMED
    if not empty and status is ItemStatus.CONSUMED:
        return ItemStatus.AVAILABLE
    return status


def move_location(session: Session, *, item_id: int, to_location_id: int, user_id: int | None,
                  reference: str = "", note: str = "") -> tuple[StockMovement, StockMovement]:
    """Move a whole item to another location: a transfer-out at the old location,
    then a transfer-in at the new one, so each location's history stays true."""
    item = lock_item(session, item_id)
    if item.location_id == to_location_id:
        raise ValidationFailed("The item is already at that location.")
    quantity, weight = item.quantity, Decimal(item.weight)
    if quantity == 0 and weight == 0:
        raise InsufficientStock(f"{item.tag_id} holds no stock to transfer.")
    from_location_id = item.location_id
    out = apply_change(session, item_id=item.id, user_id=user_id, movement_kind=MovementKind.TRANSFER_OUT,
                       quantity_delta=-quantity, weight_delta=-weight, reference=reference, note=note,
                       counterpart_location_id=to_location_id, counterpart_tag=item.tag_id)
    item.location_id = to_location_id
    item.status = ItemStatus.AVAILABLE if item.status is ItemStatus.CONSUMED else item.status
    session.flush()
    into = apply_change(session, item_id=item.id, user_id=user_id, movement_kind=MovementKind.TRANSFER_IN,
                        quantity_delta=quantity, weight_delta=weight, reference=reference, note=note,
                        counterpart_location_id=from_location_id, counterpart_tag=item.tag_id)
    return out, into


def restamp_classification(session: Session, item: InventoryItem) -> None:
    """Copy an item's edited classification onto its movements (they carry it so
    charts need no join). Locations are history and are never restamped.

    When the product or kind changed, the item's movements move to the new
    stock_daily rows (the old product and kind are the ones its movements still
    carry); its held stock moves with the item's own flush (`_items_flushing`)."""
    moves = session.execute(select(StockMovement.moved_at, StockMovement.product_id, StockMovement.location_id,
                                   StockMovement.kind, StockMovement.movement_kind, StockMovement.quantity_delta,
                                   StockMovement.weight_delta_g).where(StockMovement.item_id == item.id)).all()
    if moves and (moves[0].product_id, moves[0].kind) != (item.product_id, item.kind):
        old_product, old_kind = moves[0].product_id, moves[0].kind
        _count_movements(session, [(m.moved_at, old_product, m.location_id, old_kind, m.movement_kind,
                                    m.quantity_delta, m.weight_delta_g) for m in moves], sign=-1)
        _count_movements(session, [(m.moved_at, item.product_id, m.location_id, item.kind, m.movement_kind,
                                    m.quantity_delta, m.weight_delta_g) for m in moves])
    session.execute(
        update(StockMovement).where(StockMovement.item_id == item.id)
        .values(**{field: getattr(item, field) for field in STAMPED_FIELDS})
    )


# ---------------------------------------------------------------------------
# The summaries: stock_daily and stock_held, kept in the writer's transaction
# ---------------------------------------------------------------------------

_PENDING = "ledger.summaries"  # session.info key: {"daily": {key: [5 sums]}, "held": {key: [3 sums]}}
_SAVED = "ledger.summaries.saved"  # session.info key: {savepoint: copy of the pending effects when it began}
DAILY, HELD = StockDaily.__table__, StockHeld.__table__


def utc_day(moment: datetime) -> date:
    """The UTC calendar day of a timestamp (naive means UTC, like the UtcDateTime columns)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(timezone.utc).date()


def _holds(status: ItemStatus, quantity: int, weight_g) -> bool:
    """`models.IN_STOCK` for one item's values (None: a new item's column default, Available and empty)."""
    return (status is None or ItemStatus(status) is not ItemStatus.ARCHIVED) \
        and ((quantity or 0) > 0 or Decimal(str(weight_g or 0)) > 0)


def _held_share(item: InventoryItem) -> tuple | None:
    """What the item adds to its stock_held row: (product, location, kind, items, pieces, grams); None: nothing."""
    if not _holds(item.status, item.quantity, item.weight_g):
        return None
    return (item.product_id, item.location_id, InventoryKind(item.kind), 1, item.quantity or 0,
            Decimal(str(item.weight_g or 0)))


def _pending(session: Session) -> dict:
    return session.info.setdefault(_PENDING, {"daily": {}, "held": {}})


def _count_movements(session: Session, moves: Iterable[tuple], sign: int = 1) -> None:
    """Add movements (moved_at, product, location, kind, movement kind, pieces delta, grams delta) to the
    transaction's pending daily effects (`sign` -1 takes them away)."""
    daily = _pending(session)["daily"]
    for moved_at, product_id, location_id, kind, movement_kind, pieces, grams in moves:
        key = (utc_day(moved_at), product_id, location_id, InventoryKind(kind), MovementKind(movement_kind))
        grams = Decimal(str(grams))
        sums = daily.setdefault(key, [Decimal(0), Decimal(0), 0, 0, 0])
        sums[0] += sign * max(grams, Decimal(0))
        sums[1] += sign * max(-grams, Decimal(0))
        sums[2] += sign * max(pieces, 0)
        sums[3] += sign * max(-pieces, 0)
        sums[4] += sign


def _count_held(session: Session, shares: Iterable[tuple]) -> None:
    """Add held shares ((product, location, kind, items, pieces, grams) or None, sign) to the pending effects."""
    held = _pending(session)["held"]
    for share, sign in shares:
        if share is None:
            continue
        product_id, location_id, kind, items, pieces, grams = share
        sums = held.setdefault((product_id, location_id, InventoryKind(kind)), [0, 0, Decimal(0)])
        sums[0] += sign * items
        sums[1] += sign * pieces
        sums[2] += sign * Decimal(str(grams))


def _upsert(session: Session, table, keys: tuple[str, ...], sums: tuple[str, ...], rows: list[dict]) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={name: table.c[name] + stmt.excluded[name] for name in sums})
    session.execute(stmt, rows)


DAILY_KEY = ("day", "product_id", "location_id", "kind", "movement_kind")
DAILY_SUMS = ("added_g", "deducted_g", "added_pieces", "deducted_pieces", "movements")
HELD_KEY = ("product_id", "location_id", "kind")
HELD_SUMS = ("items", "pieces", "weight_g")


def write_summaries(session: Session) -> None:
    """Write the transaction's pending summary effects now: merged per row, daily rows then held rows, each in
    key order, as upserts. Runs by itself before every commit; readers of the summaries call it first."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    daily = [dict(zip(DAILY_KEY + DAILY_SUMS, (*key, *sums)))
             for key, sums in sorted(pending["daily"].items()) if any(sums)]
    held = [dict(zip(HELD_KEY + HELD_SUMS, (*key, *sums)))
            for key, sums in sorted(pending["held"].items()) if any(sums)]
    if daily:
        _upsert(session, DAILY, DAILY_KEY, DAILY_SUMS, daily)
    if held:
        _upsert(session, HELD, HELD_KEY, HELD_SUMS, held)


HELD_FIELDS = ("product_id", "location_id", "kind", "status", "quantity", "weight_g")

for _field in HELD_FIELDS:  # the old value is loaded when one is set, so a flush always knows both sides
    event.listen(getattr(InventoryItem, _field), "set", lambda *args: None, active_history=True)


def _old_share(item: InventoryItem) -> tuple | None:
    state = inspect(item)
    old = {}
    for field in HELD_FIELDS:
        history = state.attrs[field].history
        old[field] = history.deleted[0] if history.deleted else getattr(item, field)
    if not _holds(old["status"], old["quantity"], old["weight_g"]):
        return None
    return (old["product_id"], old["location_id"], InventoryKind(old["kind"]), 1, old["quantity"] or 0,
            Decimal(str(old["weight_g"] or 0)))


@event.listens_for(Session, "before_flush")
def _items_flushing(session: Session, _context, _instances) -> None:
    """Every ORM write of an item (the ledger's own, a status, product, kind or location change by any code)
    moves its held share from the old stock_held row to the new one."""
    shares = []
    for item in session.new:
        if isinstance(item, InventoryItem):
            shares.append((_held_share(item), 1))
    for item in session.dirty:
        if isinstance(item, InventoryItem) and session.is_modified(item):
            shares += [(_old_share(item), -1), (_held_share(item), 1)]
    for item in session.deleted:
        if isinstance(item, InventoryItem):
            shares.append((_old_share(item), -1))
    if shares:
        _count_held(session, shares)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's effects wait for the real commit
        write_summaries(session)


@event.listens_for(Session, "after_transaction_create")
def _savepoint_began(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested and _PENDING in session.info:
        pending = session.info[_PENDING]
        session.info.setdefault(_SAVED, {})[transaction] = {
            "daily": {key: list(sums) for key, sums in pending["daily"].items()},
            "held": {key: list(sums) for key, sums in pending["held"].items()}}


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back savepoint restores the effects pending when it began; a full rollback drops them all."""
    if previous.nested:
        saved = session.info.get(_SAVED, {}).pop(previous, None)
        if saved is not None:
            session.info[_PENDING] = saved
        else:
            session.info.pop(_PENDING, None)
    elif previous.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_SAVED, None)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_SAVED, None)


def _day_sql(dialect: str) -> str:
    """The UTC day of stock_movements.moved_at in SQL (SQLite stores UTC text)."""
    return "CAST(moved_at AT TIME ZONE 'UTC' AS DATE)" if dialect == "postgresql" else "date(moved_at)"


DAILY_FROM_MOVEMENTS = """
SELECT {day} AS day, product_id, location_id, kind, movement_kind,
       COALESCE(SUM(CASE WHEN weight_delta_g > 0 THEN weight_delta_g ELSE 0 END), 0) AS added_g,
       COALESCE(SUM(CASE WHEN weight_delta_g < 0 THEN -weight_delta_g ELSE 0 END), 0) AS deducted_g,
       COALESCE(SUM(CASE WHEN quantity_delta > 0 THEN quantity_delta ELSE 0 END), 0) AS added_pieces,
       COALESCE(SUM(CASE WHEN quantity_delta < 0 THEN -quantity_delta ELSE 0 END), 0) AS deducted_pieces,
       COUNT(*) AS movements
FROM stock_movements
GROUP BY {day}, product_id, location_id, kind, movement_kind
"""
HELD_FROM_ITEMS = """
SELECT product_id, location_id, kind, COUNT(*) AS items, COALESCE(SUM(quantity), 0) AS pieces,
       COALESCE(SUM(weight_g), 0) AS weight_g
FROM inventory_items
WHERE status <> 'archived' AND (quantity > 0 OR weight_g > 0)
GROUP BY product_id, location_id, kind
"""


def rebuild_summaries(connection: Connection | Session) -> None:
    """Recompute both summaries from the movements and items, in the caller's transaction (bulk loaders that
    write rows directly, like the demo and the import benchmark, call it once at the end)."""
    dialect = connection.get_bind().dialect.name if isinstance(connection, Session) else connection.dialect.name
    connection.execute(delete(DAILY))
    connection.execute(delete(HELD))
    columns = ", ".join(DAILY_KEY + DAILY_SUMS)
    connection.execute(text(f"INSERT INTO stock_daily ({columns}) "
                            + DAILY_FROM_MOVEMENTS.format(day=_day_sql(dialect))))
    columns = ", ".join(HELD_KEY + HELD_SUMS)
    connection.execute(text(f"INSERT INTO stock_held ({columns}) " + HELD_FROM_ITEMS))


@dataclass(frozen=True)
class SummaryDiscrepancy:
    """A summary row that differs from what it summarises (`recorded` vs `expected`, in key order of sums)."""

    table: str
    key: tuple
    recorded: tuple
    expected: tuple


def _close(recorded: tuple, expected: tuple, tolerance: Decimal) -> bool:
    return all(abs(Decimal(str(a)) - Decimal(str(b))) <= tolerance for a, b in zip(recorded, expected))


def _summary_problems(session: Session, tolerance: Decimal) -> list[SummaryDiscrepancy]:
    dialect = session.get_bind().dialect.name
    problems = []
    for table, keys, sums, source in (
            ("stock_daily", DAILY_KEY, DAILY_SUMS, DAILY_FROM_MOVEMENTS.format(day=_day_sql(dialect))),
            ("stock_held", HELD_KEY, HELD_SUMS, HELD_FROM_ITEMS)):
        width = len(keys)

        def normal(row, width=width):
            key = tuple(str(value) if index == 0 and table == "stock_daily" else value
                        for index, value in enumerate(row[:width]))
            return key, tuple(row[width:])
        recorded = dict(normal(row) for row in session.execute(
            text(f"SELECT {', '.join(keys + sums)} FROM {table}")))
        expected = dict(normal(row) for row in session.execute(text(source)))
        zero = (0,) * len(sums)
        for key in sorted(set(recorded) | set(expected), key=repr):
            got, want = recorded.get(key, zero), expected.get(key, zero)
            if not _close(got, want, tolerance):
                problems.append(SummaryDiscrepancy(table, key, got, want))
    return problems


def redate_movements(session: Session, condition, moved_at: datetime) -> None:
    """Set `moved_at` of the movements matching `condition` (the demo loader dates what it made through the
    lib at its own clock), moving their effects to the new day's summary rows."""
    columns = (StockMovement.moved_at, StockMovement.product_id, StockMovement.location_id, StockMovement.kind,
               StockMovement.movement_kind, StockMovement.quantity_delta, StockMovement.weight_delta_g)
    session.flush()
    moves = session.execute(select(*columns).where(condition)).all()
    _count_movements(session, moves, sign=-1)
    _count_movements(session, [(moved_at, *move[1:]) for move in moves])
    session.execute(update(StockMovement).where(condition).values(moved_at=moved_at))


def uncount(session: Session, movements_where, items_where) -> None:
    """Take movements and items that are about to be deleted out of the summaries (bookkeeping of benchmarks
    and tests that undo their own rows; the app never deletes ledger rows)."""
    session.flush()
    moves = session.execute(select(StockMovement.moved_at, StockMovement.product_id, StockMovement.location_id,
                                   StockMovement.kind, StockMovement.movement_kind, StockMovement.quantity_delta,
                                   StockMovement.weight_delta_g).where(movements_where)).all()
    _count_movements(session, moves, sign=-1)
    items = session.scalars(select(InventoryItem).where(items_where)).all()
    _count_held(session, [(_held_share(item), -1) for item in items])
    write_summaries(session)


@dataclass(frozen=True)
class Discrepancy:
    item_id: int
    tag_id: str
    cached_quantity: int
    ledger_quantity: int
    cached_weight: Decimal
    ledger_weight: Decimal


def verify(session: Session, tolerance: Decimal = Decimal("0.00005")) -> list[Discrepancy | SummaryDiscrepancy]:
    """Every item whose cached balance differs from the sum of its movements, then every summary row that
    differs from the movements (stock_daily) or the held items (stock_held) it sums (rows of zeros count as
    absent).

    The tolerance only absorbs SQLite's floating-point sums; PostgreSQL sums exactly.
    """
    write_summaries(session)
    sums = (select(StockMovement.item_id,
                   func.coalesce(func.sum(StockMovement.quantity_delta), 0).label("quantity"),
                   func.coalesce(func.sum(StockMovement.weight_delta), 0).label("weight"))
            .group_by(StockMovement.item_id).subquery())
    stmt = (select(InventoryItem.id, InventoryItem.tag_id, InventoryItem.quantity, InventoryItem.weight,
                   func.coalesce(sums.c.quantity, 0), func.coalesce(sums.c.weight, 0))
            .outerjoin(sums, sums.c.item_id == InventoryItem.id))
    problems = []
    for item_id, tag_id, quantity, weight, ledger_quantity, ledger_weight in session.execute(stmt):
        ledger_weight = Decimal(str(ledger_weight))
        if int(ledger_quantity) != quantity or abs(Decimal(str(weight)) - ledger_weight) > tolerance \
                or quantity < 0 or Decimal(str(weight)) < 0:
            problems.append(Discrepancy(item_id, tag_id, quantity, int(ledger_quantity),
                                        Decimal(str(weight)), ledger_weight))
    return problems + _summary_problems(session, tolerance)
