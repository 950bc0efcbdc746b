"""Importing checked spreadsheet rows in bulk: the import part of the stock actions (moved out of
`lib.inventory.stock` to keep both modules readable; the rules are the same and stock still changes only
through `lib.ledger`, here and in `lib.inventory.stock`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import audit, ledger, tags
from lib.access import Actor, Right
from lib.inventory.forms import CheckedItem
from lib.inventory.stock import _exact_conversion, _merge, _merge_candidates, _not_merged
from lib.models import ItemStatus, MovementKind, Product
from lib.workspace.settings import get_workspace


@dataclass(frozen=True)
class ImportRow:
    """One checked spreadsheet row for `import_rows` (see lib.inventory.importer)."""

    clean: CheckedItem
    status: ItemStatus = ItemStatus.AVAILABLE
    reference: str = ""


@dataclass(frozen=True)
class Imported:
    """What became of one import row: a new item, or a merge into `item_id`."""

    item_id: int
    tag_id: str
    merged: bool
    note: str = ""  # e.g. why an auto-merge did not happen


@dataclass(frozen=True)
class _Target:
    item_id: int | None = None  # an existing record
    row: int | None = None  # or a row of the same import that creates one
    weight_unit: str = ""
    tag_id: str = ""


def import_rows(session: Session, *, actor: Actor, rows: Sequence[ImportRow],
                progress: Callable[[float, str], object] | None = None) -> list[Imported]:
    """Write checked import rows in the caller's transaction; what became of each row, in order.

    The bulk path of `add_checked`, under the same rules: the rows' products
    are locked in one statement (simultaneous adds of them wait), typed tags are
    kept and the others reserved as one block per prefix, and the new items and
    their opening IMPORT movements are inserted in bulk by `ledger.open_items`,
    with one audit entry per item. Rows asking for auto-merge (Available rows
    without a typed tag) then become MERGE movements on their target, in file
    order, through the same merge as a single add: an existing Available record,
    else the first new record of the same key in this import, else an existing
    Consumed record; a weight that does not convert exactly into the target's
    unit makes a new record instead, with a note.
    """
    actor.require(Right.IMPORT_INVENTORY)
    for location_id in sorted({row.clean.location_id for row in rows}):
        actor.require_location(location_id)
    report = progress or (lambda _done, _text: None)
    product_ids = sorted({row.clean.product.id for row in rows})
    if product_ids:
        session.execute(select(Product.id).where(Product.id.in_(product_ids)).order_by(Product.id).with_for_update())
    targets, inexact = _merge_plan(session, rows)
    new_rows = [index for index, target in enumerate(targets) if target is None]
    tags_of = _import_tags(session, rows, new_rows)
    report(0.2, f"Writing {len(new_rows):,} new items")
    ids = ledger.open_items(session, [_opening(rows[index], tags_of[index]) for index in new_rows],
                            user_id=actor.user_id, movement_kind=MovementKind.IMPORT)
    created = dict(zip(new_rows, ids))
    audit.record_many(session, actor_id=actor.user_id, entries=(_import_audit(rows[index], created[index],
                                                                              tags_of[index]) for index in new_rows))
    report(0.8, "Merging")
    results: list[Imported] = []
    for index, (row, target) in enumerate(zip(rows, targets)):
        if target is None:
            results.append(Imported(created[index], tags_of[index], False,
                                    _unmerged_note(row.clean, inexact.get(index), tags_of)))
            continue
        item = ledger.lock_item(session, target.item_id if target.item_id is not None else created[target.row])
        merged = _merge(session, actor, row.clean, item, None, MovementKind.MERGE, row.reference)
        results.append(Imported(merged.item_id, merged.tag_id, True))
    session.flush()
    report(1.0, f"Wrote {len(rows):,} rows")
    return results


def _merge_key(clean: CheckedItem) -> tuple:
    return (clean.product.id, clean.kind, clean.location_id, *sorted(clean.classification.items()))


def _merge_plan(session: Session, rows: Sequence[ImportRow]) -> tuple[list[_Target | None], dict[int, _Target]]:
    """For each row the record it merges into (None: it creates a new record), and the rows that found a target
    whose unit their weight does not convert into exactly (they create a new record, with a note)."""
    best: dict[tuple, object] = {}
    first_new: dict[tuple, int] = {}
    targets: list[_Target | None] = []
    inexact: dict[int, _Target] = {}
    for index, row in enumerate(rows):
        clean = row.clean
        if not clean.auto_merge:
            targets.append(None)
            continue
        key = _merge_key(clean)
        if key not in best:
            best[key] = session.execute(_merge_candidates(clean)).first()
        existing = best[key]
        target = None
        if existing is not None and existing.status is ItemStatus.AVAILABLE:
            target = _Target(item_id=existing.id, weight_unit=existing.weight_unit, tag_id=existing.tag_id)
        elif key in first_new:
            target = _Target(row=first_new[key], weight_unit=rows[first_new[key]].clean.weight_unit)
        elif existing is not None:
            target = _Target(item_id=existing.id, weight_unit=existing.weight_unit, tag_id=existing.tag_id)
        if target is not None and _exact_conversion(clean.weight, clean.weight_unit, target.weight_unit):
            targets.append(target)
            continue
        if target is not None:
            inexact[index] = target
        targets.append(None)
        first_new.setdefault(key, index)
    return targets, inexact


def _unmerged_note(clean: CheckedItem, target: _Target | None, tags_of: dict[int, str]) -> str:
    return "" if target is None else _not_merged(clean, target.tag_id or tags_of[target.row], target.weight_unit)


def _import_tags(session: Session, rows: Sequence[ImportRow], new_rows: list[int]) -> dict[int, str]:
    """Each new row's tag: its typed tag, else the next regular tag of its product's prefix (one block per prefix)."""
    typed = {row.clean.tag_id for row in rows if row.clean.tag_id}
    workspace_prefix = get_workspace(session).tag_prefix
    wanting: dict[str, list[int]] = {}
    tags_of: dict[int, str] = {}
    for index in new_rows:
        clean = rows[index].clean
        if clean.tag_id:
            tags_of[index] = clean.tag_id
        else:
            prefix = tags.tag_prefix(workspace_prefix, clean.product.short_name, clean.product.name)
            wanting.setdefault(prefix, []).append(index)
    blocks = tags.reserve_tag_blocks(session, {prefix: len(indexes) for prefix, indexes in wanting.items()}, typed)
    for prefix, indexes in wanting.items():
        tags_of.update(zip(indexes, blocks[prefix]))
    return tags_of


def _opening(row: ImportRow, tag: str) -> ledger.Opening:
    clean = row.clean
    return ledger.Opening(tag_id=tag, product_id=clean.product.id, kind=clean.kind, weight_unit=clean.weight_unit,
                          location_id=clean.location_id, quantity=clean.quantity, weight=clean.weight,
                          classification=clean.classification, status=row.status, notes=clean.notes,
                          created_at=clean.created_at, reference=row.reference)


def _import_audit(row: ImportRow, item_id: int, tag: str) -> dict:
    clean = row.clean
    return {"action": "import item", "entity": "inventory_item", "entity_id": item_id, "new": {
        "tag_id": tag, "product_id": clean.product.id, "kind": clean.kind, "quantity": clean.quantity,
        "weight": clean.weight, "weight_unit": clean.weight_unit, "location_id": clean.location_id,
        "status": row.status, "created_at": clean.created_at, "reference": row.reference, **clean.classification}}
