"""Production at volume for the large demo: tens of thousands of jobs with their issues, receipts and output,
written in bulk so the reports are measured on a realistic workshop (issue 18).

`build_production` (lib.demo.production) makes the demo's few dozen hand-picked jobs through the lib; this
adds `count` more in a few bulk statements (`lib.bulk`), with the same rows the lib would write:

- each job issues one available source item (all of it, or half of its pieces and weight) at its location,
  a PRODUCTION_ISSUE movement dated after the item's last change, and records a JobIssue;
- about 72 % are completed: one receipt (or two, the first a partial one) whose received, rejected,
  scrapped and waste weights add up to what was issued, then closed a day later; about 20 % are ongoing
  with a partial receipt; the rest are ongoing with nothing received yet;
- received, rejected (On hold) and scrapped output are new items `<source>-RCV1`, `-REJ1`, `-SCRAP1` at the
  job's location, each with its PRODUCTION_RECEIPT movement; waste is a weight only;
- stages are the workspace's active stages, staff the people of the job's location (as in the lib demo),
  job numbers continue the workspace's sequence in issue order.

Like the bulk stock history, these rows have no audit entries of their own (the demo's one "load demo"
entry covers them). Balances stay ledger-true (every change is a movement with its balance after), and
the summaries are rebuilt once at the end (`ledger.rebuild_summaries`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from random import Random

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Engine

from lib import bulk, db, ledger
from lib.classification import ATTRIBUTES
from lib.enums import ItemStatus, JobStatus, MovementKind, OutputBucket, Role
from lib.models import (
    InventoryItem,
    JobIssue,
    JobOutput,
    JobProduct,
    JobReceipt,
    JobSequence,
    ProductionJob,
    ProductionStage,
    StockMovement,
    User,
)
from lib.production.jobs import NUMBER_DIGITS
from lib.units import WEIGHT_QUANTUM, to_grams
from lib.workspace.settings import get_workspace

MIN_SOURCE_GRAMS = Decimal("0.5")
QUIET_DAYS = 12  # a source item's last change is at least this old, so its ledger stays in time order
ITEMS, MOVEMENTS = InventoryItem.__table__, StockMovement.__table__
ATTRIBUTE_FIELDS = [attribute.field for attribute in ATTRIBUTES]


@dataclass(frozen=True)
class BulkProduction:
    jobs: int
    items: int  # output items created
    movements: int  # issue and receipt movements


def _units(weight: Decimal) -> int:
    return int(Decimal(weight) / WEIGHT_QUANTUM)


def _weight(units: int) -> Decimal:
    return (units * WEIGHT_QUANTUM).quantize(WEIGHT_QUANTUM)


def add_bulk_production(engine: Engine, *, now: datetime, seed: int, count: int) -> BulkProduction:
    """Add `count` jobs (fewer when the demo runs out of quiet source stock) in one write transaction."""
    rng = Random(f"bulk-production-{seed}")
    with db.session_scope(engine, write=True) as session:
        workspace = get_workspace(session)
        prefix, offset = workspace.job_id_prefix, workspace.due_date_offset_days
        stage_ids = list(session.scalars(select(ProductionStage.id).where(ProductionStage.active.is_(True))
                                         .order_by(ProductionStage.sort_order, ProductionStage.id)))
        people = session.execute(select(User.id, User.location_id, User.role).where(User.active.is_(True))
                                 .order_by(User.id)).all()
        admin = next(user_id for user_id, _location, role in people if role is Role.ADMIN)
        staff: dict[int, list[int]] = {}
        for user_id, location_id, role in people:
            if location_id is not None:
                staff.setdefault(location_id, []).append(user_id)
        issued_before = select(JobIssue.item_id)
        columns = [ITEMS.c[name] for name in ("id", "tag_id", "product_id", "kind", "weight_unit", "quantity", "weight",
                                               "location_id", "updated_at", *ATTRIBUTE_FIELDS)]
        quiet_since = now - timedelta(days=QUIET_DAYS)
        candidates = [dict(row._mapping) for row in session.execute(
            select(*columns).where(ITEMS.c.status == ItemStatus.AVAILABLE, ITEMS.c.weight_g >= MIN_SOURCE_GRAMS,
                                   ITEMS.c.updated_at < quiet_since, ITEMS.c.id.not_in(issued_before))
            .order_by(ITEMS.c.id))]
        taken_tags = set(session.scalars(select(InventoryItem.tag_id).where(
            InventoryItem.tag_id.like("%-RCV%") | InventoryItem.tag_id.like("%-REJ%")
            | InventoryItem.tag_id.like("%-SCRAP%"))))
        sources = rng.sample(candidates, min(count, len(candidates)))
        earliest = now - timedelta(days=360)
        for item in sources:
            low = max(item["updated_at"], earliest) + timedelta(hours=1)
            span = max(0.0, (now - timedelta(days=1) - low).total_seconds())
            item["issue_at"] = (low + timedelta(seconds=rng.uniform(0, span))).replace(microsecond=0)
        sources.sort(key=lambda item: (item["issue_at"], item["id"]))
        last = session.scalar(select(JobSequence.last_number).where(JobSequence.prefix == prefix)) or 0
        existing = set(session.scalars(select(ProductionJob.number)))

        jobs, issue_moves, issues, job_products = [], [], [], []
        receipts, outputs, new_items, receipt_moves, item_updates = [], [], [], [], []
        for item in sources:
            last += 1
            while f"{prefix}{last:0{NUMBER_DIGITS}d}" in existing:
                last += 1
            number = f"{prefix}{last:0{NUMBER_DIGITS}d}"
            location = item["location_id"]
            person = rng.choice(staff.get(location) or [admin])
            at = item["issue_at"]
            have_pieces, have_units = item["quantity"], _units(item["weight"])
            half = rng.random() < 0.4 and have_pieces >= 2
            pieces = have_pieces // 2 if half else have_pieces
            units = have_units // 2 if half else have_units
            if units <= 0:
                continue
            job = len(jobs)
            fate = rng.random()
            # Receipts: (days after issue, pieces, received, rejected, scrapped, waste) in weight units.
            plan: list[tuple[float, int, int, int, int, int]] = []
            if fate < 0.72:
                received = int(units * rng.uniform(0.80, 0.95))
                rejected = int(units * rng.uniform(0.0, 0.04)) if pieces >= 3 and rng.random() < 0.3 else 0
                scrapped = max(1, int(units * rng.uniform(0.01, 0.06))) if units > 20 else 0
                waste = units - received - rejected - scrapped
                if waste < 0:
                    received, waste = received + waste, 0
                good_pieces = pieces - (1 if rejected else 0)
                if rng.random() < 0.3 and received > 2:
                    first = received // 2
                    plan.append((rng.uniform(1, 4), good_pieces // 2, first, 0, 0, 0))
                    plan.append((rng.uniform(4, 9), good_pieces - good_pieces // 2, received - first, rejected,
                                 scrapped, waste))
                else:
                    plan.append((rng.uniform(2, 9), good_pieces, received, rejected, scrapped, waste))
            elif fate < 0.92:
                plan.append((rng.uniform(1, 5), pieces // 2, max(1, int(units * rng.uniform(0.2, 0.6))), 0, 0,
                             max(1, units // 100)))
            room = (now - timedelta(minutes=5) - at).total_seconds() / 86400  # days until now
            if plan and plan[-1][0] > room:  # a recent job: its receipts come sooner, or not yet
                scale = room / plan[-1][0]
                plan = [(days * scale, *rest) for days, *rest in plan] if room > 0.2 else []
            times = [at + timedelta(days=days) for days, *_rest in plan]
            completed = fate < 0.72 and bool(plan)
            closed_at = times[-1] + timedelta(days=1) if completed else None
            if closed_at is not None and closed_at > now:
                closed_at = now
            jobs.append({"number": number, "stage_id": rng.choice(stage_ids), "location_id": location,
                         "staff_id": person, "issued_on": at.date(), "deadline": at.date() + timedelta(days=offset),
                         "requested_shape_id": None, "requested_size_id": None, "requested_pieces": None,
                         "requested_weight": None, "requested_weight_unit": None, "requested_weight_g": None,
                         "split_mode": "match", "notes": "", "order_id": None, "order_line_id": None,
                         "closed_as": JobStatus.COMPLETED if completed else None, "closed_at": closed_at,
                         "closed_by_id": person if completed else None, "close_note": "",
                         "written_off_g": Decimal(0), "created_at": at, "created_by_id": person,
                         "updated_at": closed_at or (times[-1] if times else at)})
            job_products.append((job, item["product_id"]))
            left_pieces, left_units = have_pieces - pieces, have_units - units
            issue_moves.append({"item_id": item["id"], "product_id": item["product_id"], "location_id": location,
                                "kind": item["kind"], **{field: item[field] for field in ATTRIBUTE_FIELDS},
                                "movement_kind": MovementKind.PRODUCTION_ISSUE, "quantity_delta": -pieces,
                                "weight_delta": -_weight(units),
                                "weight_delta_g": -to_grams(_weight(units), item["weight_unit"]),
                                "quantity_after": left_pieces, "weight_after": _weight(left_units),
                                "user_id": person, "moved_at": at, "reference": number, "note": "issued into production",
                                "counterpart_location_id": None, "counterpart_tag": None})
            issues.append({"job": job, "item_id": item["id"], "product_id": item["product_id"], "kind": item["kind"],
                           "quantity": pieces, "weight": _weight(units), "weight_unit": item["weight_unit"],
                           "weight_g": to_grams(_weight(units), item["weight_unit"]), "requested_quantity": None,
                           "requested_weight": None, "issued_at": at, "issued_by_id": person,
                           "returned_movement_id": None, "returned_at": None})
            empty = left_pieces == 0 and left_units == 0
            item_updates.append({"item_id": item["id"], "quantity": left_pieces, "weight": _weight(left_units),
                                 "weight_g": to_grams(_weight(left_units), item["weight_unit"]),
                                 "status": ItemStatus.CONSUMED if empty else ItemStatus.AVAILABLE, "updated_at": at})
            for receipt_number, (when, (_days, good, received, rejected, scrapped, waste)) in enumerate(
                    zip(times, plan), start=1):
                receipts.append({"job": job, "number": receipt_number, "received_on": when.date(),
                                 "quality_id": item["quality_id"], "location_id": location, "notes": "",
                                 "recorded_at": when, "recorded_by_id": person})
                receipt = len(receipts) - 1
                for bucket, amount, count in ((OutputBucket.RECEIVED, received, good),
                                              (OutputBucket.REJECTED, rejected, 1 if rejected else 0),
                                              (OutputBucket.SCRAPPED, scrapped, 0), (OutputBucket.WASTE, waste, 0)):
                    if amount <= 0:
                        continue
                    new_item = None
                    if bucket is not OutputBucket.WASTE:
                        serial = 1
                        while f"{item['tag_id']}-{bucket.tag_suffix}{serial}" in taken_tags:
                            serial += 1
                        tag = f"{item['tag_id']}-{bucket.tag_suffix}{serial}"[-50:]
                        taken_tags.add(tag)
                        grams = to_grams(_weight(amount), item["weight_unit"])
                        new_items.append({
                            "tag_id": tag, "product_id": item["product_id"], "kind": item["kind"], "quantity": count,
                            "weight": _weight(amount), "weight_unit": item["weight_unit"], "weight_g": grams,
                            "location_id": location, "image_id": None,
                            "status": ItemStatus.ON_HOLD if bucket is OutputBucket.REJECTED else ItemStatus.AVAILABLE,
                            "notes": "", "created_at": when, "created_by_id": person, "updated_at": when,
                            **{field: item[field] for field in ATTRIBUTE_FIELDS}})
                        new_item = len(new_items) - 1
                        receipt_moves.append({
                            "product_id": item["product_id"], "location_id": location, "kind": item["kind"],
                            **{field: item[field] for field in ATTRIBUTE_FIELDS},
                            "movement_kind": MovementKind.PRODUCTION_RECEIPT, "quantity_delta": count,
                            "weight_delta": _weight(amount), "weight_delta_g": grams, "quantity_after": count,
                            "weight_after": _weight(amount), "user_id": person, "moved_at": when, "reference": number,
                            "note": "", "counterpart_location_id": None, "counterpart_tag": None})
                    outputs.append({"receipt": receipt, "job": job, "row_number": 1, "bucket": bucket,
                                    "new_item": new_item, "source_item_id": item["id"], "quantity": count,
                                    "weight": _weight(amount), "weight_unit": item["weight_unit"],
                                    "weight_g": to_grams(_weight(amount), item["weight_unit"])})

        job_ids = bulk.insert_returning_ids(session, ProductionJob.__table__, jobs)
        bulk.insert_rows(session, JobProduct.__table__, [{"job_id": job_ids[job], "product_id": product_id}
                                                         for job, product_id in job_products])
        issue_move_ids = bulk.insert_returning_ids(session, MOVEMENTS, issue_moves)
        bulk.insert_rows(session, JobIssue.__table__, [
            {"job_id": job_ids[row.pop("job")], "movement_id": move_id, **row}
            for row, move_id in zip(issues, issue_move_ids)])
        if item_updates:
            session.execute(update(ITEMS).where(ITEMS.c.id == bindparam("item_id"))
                            .values(quantity=bindparam("quantity"), weight=bindparam("weight"),
                                    weight_g=bindparam("weight_g"), status=bindparam("status"),
                                    updated_at=bindparam("updated_at")), item_updates)
        new_ids = bulk.insert_returning_ids(session, ITEMS, new_items)
        for move, item_id in zip(receipt_moves, new_ids):
            move["item_id"] = item_id
        receipt_move_ids = bulk.insert_returning_ids(session, MOVEMENTS, [
            {"item_id": move.pop("item_id"), **move} for move in receipt_moves])
        receipt_ids = bulk.insert_returning_ids(session, JobReceipt.__table__, [
            {"job_id": job_ids[row.pop("job")], **row} for row in receipts])
        bulk.insert_rows(session, JobOutput.__table__, [{
            "receipt_id": receipt_ids[row.pop("receipt")], "job_id": job_ids[row.pop("job")],
            "item_id": new_ids[row["new_item"]] if row["new_item"] is not None else None,
            "movement_id": receipt_move_ids[row["new_item"]] if row["new_item"] is not None else None,
            **{key: value for key, value in row.items() if key != "new_item"}} for row in outputs])
        if jobs:
            if session.scalar(select(func.count()).select_from(JobSequence).where(JobSequence.prefix == prefix)):
                session.execute(update(JobSequence).where(JobSequence.prefix == prefix).values(last_number=last))
            else:
                session.add(JobSequence(prefix=prefix, last_number=last))
        session.flush()
        ledger.rebuild_summaries(session)
    return BulkProduction(len(jobs), len(new_items), len(issue_moves) + len(receipt_moves))
