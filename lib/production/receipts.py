"""Receiving a production job (reference 3.13.4): good output, rejects, scrap and waste, any number of times.

Each receipt locks the job row first, so two people receiving the same job at
once are served one after the other: receipt numbers never repeat, and the
second sees the first's figures (a closed job, the new totals) before it
writes. The new items are created by `lib.inventory.stock.receive` (a
PRODUCTION_RECEIPT movement whose reference is the job ID) with tags derived
from a source item of the job: `<source tag>-RCV<n>`, `-REJ<n>`, `-SCRAP<n>`
(n counted per source tag and suffix; a chain past 50 characters keeps its root
tag and shortens the middle, unique: lib.tags.derived_tag). `JobOutput` rows record every item and
every waste weight with its grams.

Decisions where the reference is silent (section 5.8, Q51, Q56; also in docs/production.md):

- A receipt has a date (not in the future, not before the job's issued date),
  a quality (given to the good output), a location for the new items (any
  active location the receiver works with; default the job's) and notes (on
  every new item). Each output row names its kind, product, finished or M&S
  type, shape, size, colour, pieces, weight + unit and wasted weight, and
  optionally a rejected and a scrapped portion with their own attributes and
  unit. A row records at least one weight > 0; a received weight of 0 means the
  row only records rejects, scrap or waste. Waste is in the row's unit.
- Which source tag the outputs carry: the row's `source_item_id` (an item
  issued into this job), by default the job's first issued item.
- Rejected items start On hold (kept apart until someone releases them);
  received and scrapped items are Available.
- Recording more than was issued: the job then shows over-recovery. When the
  recorded total (received + rejected + scrapped + waste) would exceed the
  net issued weight (issued - bench returns) by more than 5 % (`CONFIRM_ABOVE_ISSUED`), the receipt is
  refused until the user confirms the amounts (`confirm=True`); the check runs
  again under the job's lock, so a receipt by someone else meanwhile counts.
- Receipts on a completed or cancelled job, or on a job with nothing issued,
  are refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.production import costs
from lib.errors import ValidationFailed
from lib.inventory import stock
from lib.inventory.forms import MAX_NOTES, NewItem, check_catalog_id, check_new_item, clean_text
from lib.models import (
    InventoryKind,
    ItemStatus,
    JobIssue,
    JobOutput,
    JobReceipt,
    Location,
    MovementKind,
    OutputBucket,
    ProductionJob,
    utcnow,
)
from lib.production import links
from lib.production.jobs import get_job_in_scope, lock_items, lock_job, require_open
from lib.production.totals import Figures, job_figures
from lib.units import format_weight, from_grams, is_unit, parse_weight, to_grams, unit
from lib.workspace.settings import get_workspace

CONFIRM_ABOVE_ISSUED = Decimal("1.05")
"""Recorded output above issued weight x this factor needs the user's confirmation."""
MAX_ROWS = 20


class ConfirmationNeeded(ValidationFailed):
    """The amounts are far above what was issued: nothing was written; repeat with `confirm=True` to save."""


@dataclass
class Portion:
    """A rejected or scrapped part of an output row. Kind, product and unit default to the row's."""

    weight: object
    pieces: object = None
    weight_unit: str | None = None
    kind: InventoryKind | str | None = None
    product_id: int | None = None
    finished_type_id: int | None = None
    ms_type_id: int | None = None
    shape_id: int | None = None
    size_id: int | None = None
    colour_id: int | None = None


@dataclass
class OutputRow:
    """One output row of the Receive form (weights in `weight_unit`, None: the workspace default unit)."""

    product_id: int | None
    kind: InventoryKind | str = InventoryKind.FINISHED
    weight: object = None  # good output; empty or 0: nothing received in this row
    pieces: object = None
    weight_unit: str | None = None
    finished_type_id: int | None = None
    ms_type_id: int | None = None
    shape_id: int | None = None
    size_id: int | None = None
    colour_id: int | None = None
    waste: object = None
    rejected: Portion | None = None
    scrapped: Portion | None = None
    source_item_id: int | None = None


@dataclass
class ReceiptDraft:
    rows: tuple[OutputRow, ...]
    received_on: date | None = None  # None: today
    quality_id: int | None = None
    location_id: int | None = None  # None: the job's location
    notes: str = ""


@dataclass(frozen=True)
class PlannedOutput:
    row_number: int
    bucket: OutputBucket
    data: NewItem | None  # None for waste
    quantity: int
    weight: Decimal
    weight_unit: str
    grams: Decimal
    source_item_id: int


@dataclass
class ReceiptPreview:
    """A checked receipt: its outputs, every problem, the job's figures after it, and what needs confirming."""

    job_number: str = ""
    outputs: list[PlannedOutput] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    confirmation: str = ""  # non-empty: why the amounts need the user's confirmation
    recorded_after_g: Decimal = Decimal(0)
    issued_g: Decimal = Decimal(0)
    unit: str = "g"
    received_on: date | None = None
    location_id: int | None = None
    quality_id: int | None = None
    notes: str = ""


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _weight(preview: ReceiptPreview, key: str, raw, label: str, allow_zero: bool) -> Decimal | None:
    try:
        return Decimal(0) if allow_zero and _blank(raw) else parse_weight(raw, label, allow_zero=allow_zero)
    except ValueError as error:
        preview.problems[key] = str(error)
        return None


def _unit(preview: ReceiptPreview, key: str, symbol: str | None, fallback: str, label: str) -> str | None:
    symbol = symbol or fallback
    if not is_unit(symbol):
        preview.problems[key] = f"{label}: unknown weight unit {symbol!r}"
        return None
    return unit(symbol).symbol


def _item_data(attributes, weight: Decimal, unit_symbol: str, pieces, preview: ReceiptPreview,
               quality_id: int | None, notes: str, kind=None, product_id=None) -> NewItem:
    return NewItem(product_id=product_id if product_id is not None else attributes.product_id,
                   kind=kind if kind is not None else attributes.kind, weight=weight, weight_unit=unit_symbol,
                   quantity=pieces, location_id=preview.location_id, finished_type_id=attributes.finished_type_id,
                   ms_type_id=attributes.ms_type_id, shape_id=attributes.shape_id, size_id=attributes.size_id,
                   colour_id=attributes.colour_id, quality_id=quality_id, notes=notes,
                   created_on=preview.received_on)


def _check_item(session: Session, actor: Actor, preview: ReceiptPreview, key: str, label: str,
                data: NewItem) -> int:
    """Record the new item's problems under `key`; its pieces (0 when it has problems)."""
    checked, problems = check_new_item(session, actor, data)
    for name, message in problems.items():
        preview.problems[f"{key}_{name}"] = f"{label}: {message}"
    return checked.quantity if checked is not None else 0


def _plan_row(session: Session, actor: Actor, preview: ReceiptPreview, number: int, row: OutputRow,
              sources: list[int], default_unit: str) -> None:
    label = f"Row {number}"
    key = f"row_{number}"
    source = row.source_item_id if row.source_item_id is not None else (sources[0] if sources else None)
    if source not in sources:
        preview.problems[f"{key}_source"] = f"{label}: the tag source must be an item issued into this job"
        return
    row_unit = _unit(preview, f"{key}_unit", row.weight_unit, default_unit, label)
    if row_unit is None:
        return
    planned = []
    received = _weight(preview, f"{key}_weight", row.weight, f"{label} received weight", allow_zero=True)
    if received:
        data = _item_data(row, received, row_unit, row.pieces, preview, preview.quality_id, preview.notes)
        pieces = _check_item(session, actor, preview, key, f"{label} received", data)
        planned.append((OutputBucket.RECEIVED, data, pieces, received, row_unit))
    elif not _blank(row.pieces) and str(row.pieces).strip() not in ("0",):
        preview.problems[f"{key}_pieces"] = f"{label}: received pieces need a received weight"
    for bucket, portion in ((OutputBucket.REJECTED, row.rejected), (OutputBucket.SCRAPPED, row.scrapped)):
        if portion is None:
            continue
        part_label = f"{label} {bucket.label.lower()}"
        part_unit = _unit(preview, f"{key}_{bucket.value}_unit", portion.weight_unit, row_unit, part_label)
        part_weight = _weight(preview, f"{key}_{bucket.value}_weight", portion.weight, f"{part_label} weight",
                              allow_zero=False)
        if part_unit is None or part_weight is None:
            continue
        data = _item_data(portion, part_weight, part_unit, portion.pieces, preview, None, preview.notes,
                          kind=portion.kind if portion.kind is not None else row.kind,
                          product_id=portion.product_id if portion.product_id is not None else row.product_id)
        pieces = _check_item(session, actor, preview, f"{key}_{bucket.value}", part_label, data)
        planned.append((bucket, data, pieces, part_weight, part_unit))
    waste = _weight(preview, f"{key}_waste", row.waste, f"{label} wasted weight", allow_zero=True)
    if waste:
        planned.append((OutputBucket.WASTE, None, 0, waste, row_unit))
    if not planned and not any(name.startswith(key) for name in preview.problems):
        preview.problems[key] = f"{label}: enter a received, rejected, scrapped or wasted weight"
    preview.outputs.extend(PlannedOutput(number, bucket, data, pieces, weight, symbol, to_grams(weight, symbol), source)
                           for bucket, data, pieces, weight, symbol in planned)


def _check_header(session: Session, actor: Actor, job: ProductionJob, preview: ReceiptPreview,
                  draft: ReceiptDraft) -> None:
    today = utcnow().date()
    preview.received_on = draft.received_on or today
    if preview.received_on > today:
        preview.problems["received_on"] = "Received date cannot be in the future"
    elif preview.received_on < job.issued_on:
        preview.problems["received_on"] = f"Received date cannot be before the job's issued date ({job.issued_on})"
    preview.location_id = draft.location_id if draft.location_id is not None else job.location_id
    location = session.get(Location, int(preview.location_id))
    if location is None or not location.active or not actor.can_see_location(location.id):
        preview.problems["location_id"] = "Location for new inventory: choose an active location you work with"
    try:
        preview.quality_id = check_catalog_id(session, "quality_id", draft.quality_id)
    except ValueError as error:
        preview.problems["quality_id"] = str(error)
    try:
        preview.notes = clean_text(draft.notes, "Notes", MAX_NOTES)
    except ValueError as error:
        preview.problems["notes"] = str(error)


def _active_sources(session: Session, job: ProductionJob) -> list[int]:
    return list(session.scalars(select(JobIssue.item_id).where(JobIssue.job_id == job.id,
                                                               JobIssue.returned_movement_id.is_(None))
                                .order_by(JobIssue.id)))


def _check(session: Session, actor: Actor, job: ProductionJob, draft: ReceiptDraft) -> ReceiptPreview:
    workspace = get_workspace(session)
    preview = ReceiptPreview(job_number=job.number, unit=workspace.default_weight_unit)
    if job.closed_as is not None:
        preview.problems["job"] = f"{job.number} is {job.closed_as.label.lower()}: it takes no more receipts"
        return preview
    sources = _active_sources(session, job)
    if not sources:
        preview.problems["job"] = f"Nothing is issued into {job.number} yet: issue stock before receiving"
        return preview
    _check_header(session, actor, job, preview, draft)
    rows = list(draft.rows or ())
    if not rows:
        preview.problems["rows"] = "Add at least one output row"
    if len(rows) > MAX_ROWS:
        preview.problems["rows"] = f"At most {MAX_ROWS} output rows per receipt"
        rows = rows[:MAX_ROWS]
    for number, row in enumerate(rows, start=1):
        _plan_row(session, actor, preview, number, row, sources, workspace.default_weight_unit)
    figures: Figures = job_figures(session, [job.id])[job.id]
    preview.issued_g = figures.net_issued_g  # what is at the bench: issued minus bench returns
    preview.recorded_after_g = figures.recorded_g + sum((output.grams for output in preview.outputs), Decimal(0))
    _judge_amounts(preview, figures)
    return preview


def _judge_amounts(preview: ReceiptPreview, figures: Figures) -> None:
    unit_symbol = preview.unit
    after, issued = preview.recorded_after_g, figures.net_issued_g
    after_text = format_weight(from_grams(after, unit_symbol), unit_symbol)
    issued_text = format_weight(from_grams(issued, unit_symbol), unit_symbol)
    if after > issued * CONFIRM_ABOVE_ISSUED:
        share = (after * 100 / issued).quantize(Decimal("1")) if issued else None
        preview.confirmation = (f"With this receipt, {preview.job_number} would have recorded {after_text} "
                                f"(received + rejected + scrapped + waste): "
                                + (f"{share}% of the {issued_text} issued" if share is not None else "nothing was "
                                   "issued by weight")
                                + ". Check the weights and units; if they are right, confirm them to save.")
        return
    base = figures.requested_g if figures.requested_g else issued
    if base and after > base:
        preview.warnings.append(f"{preview.job_number} would record {after_text}, more than its progress base of "
                                f"{format_weight(from_grams(base, unit_symbol), unit_symbol)}: it will show "
                                "over-recovery.")


def preview_receipt(session: Session, *, actor: Actor, job_id: int, draft: ReceiptDraft) -> ReceiptPreview:
    """Check a receipt without writing anything: problems, warnings, and whether the amounts need confirming."""
    actor.require(Right.EDIT_PRODUCTION)
    job = get_job_in_scope(session, actor=actor, job_id=job_id)
    return _check(session, actor, job, draft)


@dataclass(frozen=True)
class ReceivedOutput:
    bucket: OutputBucket
    tag_id: str | None  # None for waste
    quantity: int
    weight: Decimal
    weight_unit: str


@dataclass(frozen=True)
class ReceiptResult:
    receipt_id: int
    number: int
    outputs: list[ReceivedOutput]
    warnings: list[str]


def receive_job(session: Session, *, actor: Actor, job_id: int, draft: ReceiptDraft, confirm: bool = False,
                recorded_at: datetime | None = None) -> ReceiptResult:
    """Record one receipt of a job: new -RCV / -REJ / -SCRAP items and waste, all or nothing.

    Raises ValidationFailed listing every problem, and ConfirmationNeeded (nothing
    written) when the recorded total would be far above the issued weight and
    `confirm` is False.
    """
    job = lock_job(session, actor=actor, job_id=job_id)
    require_open(job, "receipts")
    preview = _check(session, actor, job, draft)
    if preview.problems:
        raise ValidationFailed.listing("Nothing was received:", preview.problems)
    if preview.confirmation and not confirm:
        raise ConfirmationNeeded(preview.confirmation)
    linked = links.lock_orders(session, [job.order_id])  # job, order, the source items in id order, new items
    lock_items(session, [output.source_item_id for output in preview.outputs])
    number = (session.scalar(select(func.max(JobReceipt.number)).where(JobReceipt.job_id == job.id)) or 0) + 1
    receipt = JobReceipt(job_id=job.id, number=number, received_on=preview.received_on, quality_id=preview.quality_id,
                         location_id=preview.location_id, notes=preview.notes, recorded_at=recorded_at or utcnow(),
                         recorded_by_id=actor.user_id)
    session.add(receipt)
    session.flush()
    results = [_write_output(session, actor, job, receipt, output, recorded_at) for output in preview.outputs]
    session.flush()
    costs.cost_receipt(session, actor.user_id, job, receipt.id, recorded_at)  # the outputs' cost (lib.production.costs)
    audit.record(session, actor_id=actor.user_id, action="receive production job", entity="production_job",
                 entity_id=job.id, new={"number": job.number, "receipt": number, "confirmed": bool(confirm),
                                        "outputs": [(r.bucket.value, r.tag_id, r.weight, r.weight_unit)
                                                    for r in results]})
    session.flush()
    links.refresh_orders(session, linked, actor.user_id)
    return ReceiptResult(receipt.id, number, results, preview.warnings)


def _write_output(session: Session, actor: Actor, job: ProductionJob, receipt: JobReceipt, output: PlannedOutput,
                  recorded_at: datetime | None) -> ReceivedOutput:
    item_id = movement_id = None
    tag = None
    if output.data is not None:
        added = stock.receive(session, actor=actor, right=Right.EDIT_PRODUCTION, data=output.data,
                              movement_kind=MovementKind.PRODUCTION_RECEIPT, reference=job.number,
                              derived_from_item_id=output.source_item_id, suffix=output.bucket.tag_suffix,
                              status=ItemStatus.ON_HOLD if output.bucket is OutputBucket.REJECTED
                              else ItemStatus.AVAILABLE, moved_at=recorded_at)
        item_id, movement_id, tag = added.item_id, added.movement_id, added.tag_id
    session.add(JobOutput(receipt_id=receipt.id, job_id=job.id, row_number=output.row_number, bucket=output.bucket,
                          item_id=item_id, movement_id=movement_id, source_item_id=output.source_item_id,
                          quantity=output.quantity, weight=output.weight, weight_unit=output.weight_unit,
                          weight_g=output.grams))
    return ReceivedOutput(output.bucket, tag, output.quantity, output.weight, output.weight_unit)

