"""Production: stages, jobs, what each job issued, and what came back (reference 3.13).

A job belongs to one stage and one location (the location of its source
stock). Stock moves only through `lib.inventory.stock`; these tables record
what each movement was for, with the amounts in the item's own unit and in
grams, so job totals add up across units without parsing references:

- `JobIssue`: one source item issued into a job (its PRODUCTION_ISSUE movement,
  and the RETURN movement when a cancelled job gave it back, or the last bench
  return when those had already brought everything back);
- `JobReturn`: unused stock given back from an open job (its PRODUCTION_RETURN movement);
- `JobReceipt`: one "Receive" entry (date, quality, location for the new items);
- `JobOutput`: one received, rejected or scrapped item of a receipt (its
  PRODUCTION_RECEIPT movement), or a waste weight (no item, no movement).

Only Completed and Cancelled are stored (`closed_as`); the other statuses
follow from the rows (see `lib.production.jobs`). `order_id` and
`order_line_id` link a job to the sales order line it works on (both or
neither; `lib.production.links` sets and checks them, migration 0007 added
their foreign keys); the line's status follows its jobs (`lib.orders.lines`).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.enums import InventoryKind, JobStatus, OutputBucket
from lib.models.base import GRAMS, WEIGHT, Base, UtcDateTime, enum_column, utcnow

_MOVEMENT_ID = BigInteger().with_variant(Integer, "sqlite")  # the type of stock_movements.id


class ProductionStage(Base):
    """A named manufacturing step (reference 3.5.6). Never deleted: switched off instead."""

    __tablename__ = "production_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), unique=True)  # lower-cased: unique ignoring case
    code: Mapped[str] = mapped_column(String(12), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # Comma-separated InventoryKind values the stage takes as input; empty: every kind.
    applicable_kinds: Mapped[str] = mapped_column(String(60), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Allowed loss % ((waste + scrap) / net issued; lib.reports.norms); None: no norm for this stage.
    loss_norm_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))

    @property
    def kinds(self) -> tuple[InventoryKind, ...]:
        """The inventory kinds the stage applies to; () means every kind."""
        return tuple(InventoryKind(value) for value in self.applicable_kinds.split(",") if value)


class JobSequence(Base):
    """The last job number issued per job ID prefix (row-locked while a number is drawn)."""

    __tablename__ = "production_job_sequences"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class ProductionJob(Base):
    __tablename__ = "production_jobs"
    __table_args__ = (
        Index("ix_jobs_location_closed", "location_id", "closed_as"),
        Index("ix_jobs_stage", "stage_id"),
        Index("ix_jobs_order", "order_id"),
        Index("ix_jobs_order_line", "order_line_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # prefix + zero-padded sequence: JOB-0007
    stage_id: Mapped[int] = mapped_column(ForeignKey("production_stages.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    requested_shape_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"))
    requested_size_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"))
    requested_pieces: Mapped[int | None] = mapped_column(Integer)
    requested_weight: Mapped[Decimal | None] = mapped_column(WEIGHT)
    requested_weight_unit: Mapped[str | None] = mapped_column(String(8))
    requested_weight_g: Mapped[Decimal | None] = mapped_column(GRAMS)
    split_mode: Mapped[str] = mapped_column(String(12), default="match")  # match | even | item
    notes: Mapped[str] = mapped_column(Text, default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    closed_as: Mapped[JobStatus | None] = mapped_column(enum_column(JobStatus))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    close_note: Mapped[str] = mapped_column(Text, default="")
    written_off_g: Mapped[Decimal] = mapped_column(GRAMS, default=Decimal(0))  # outstanding written off as waste
    gain_g: Mapped[Decimal] = mapped_column(GRAMS, default=Decimal(0))  # recovered above issued, confirmed at completion
    # Cost taken off the job without an output item (lib.production.costs): what completion wrote off, and what a
    # receipt's rejects or scrap did not absorb. In the workspace's default currency.
    cost_written_off: Mapped[Decimal] = mapped_column(Numeric(18, 4), default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class JobProduct(Base):
    """The products a job is about: those chosen to find source stock, and those issued."""

    __tablename__ = "production_job_products"

    job_id: Mapped[int] = mapped_column(ForeignKey("production_jobs.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)


class JobIssue(Base):
    """One source item issued into a job. Amounts in the item's unit and in grams."""

    __tablename__ = "production_job_issues"
    __table_args__ = (Index("ix_job_issues_job", "job_id"), Index("ix_job_issues_item", "item_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("production_jobs.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("inventory_items.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))  # the item's, when issued
    kind: Mapped[InventoryKind] = mapped_column(enum_column(InventoryKind))  # the item's, when issued
    movement_id: Mapped[int] = mapped_column(_MOVEMENT_ID, ForeignKey("stock_movements.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    weight: Mapped[Decimal] = mapped_column(WEIGHT)
    weight_unit: Mapped[str] = mapped_column(String(8))
    weight_g: Mapped[Decimal] = mapped_column(GRAMS)
    # What this item should yield (split mode "even" or "item"; None: as issued), in the job's requested unit.
    requested_quantity: Mapped[int | None] = mapped_column(Integer)
    requested_weight: Mapped[Decimal | None] = mapped_column(WEIGHT)
    # The issued share of the source item's cost (lib.production.costs; workspace currency; None: not costed) and
    # the metal rate profile of the source's largest metal component, which rejects and scrap are valued at.
    cost: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    cancel_cost: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))  # what cancelling the job gave back
    metal_profile_id: Mapped[int | None] = mapped_column(ForeignKey("rate_profiles.id"))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    returned_movement_id: Mapped[int | None] = mapped_column(_MOVEMENT_ID, ForeignKey("stock_movements.id"))
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class JobReturn(Base):
    """Unused stock given back from an open job (a bench return): to its source item, or to a new -RET item.

    Amounts in the source item's unit and in grams; `item_id` is the item the stock went into, `issue_id`
    the issue it came from (a cancelled issue takes its returns off the books with it).
    """

    __tablename__ = "production_returns"
    __table_args__ = (Index("ix_returns_job", "job_id"), Index("ix_returns_issue", "issue_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("production_jobs.id"))
    issue_id: Mapped[int] = mapped_column(ForeignKey("production_job_issues.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("inventory_items.id"))
    movement_id: Mapped[int] = mapped_column(_MOVEMENT_ID, ForeignKey("stock_movements.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[Decimal] = mapped_column(WEIGHT)
    weight_unit: Mapped[str] = mapped_column(String(8))
    weight_g: Mapped[Decimal] = mapped_column(GRAMS)
    note: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))  # the issue's cost going back (lib.production.costs)
    returned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class JobReceipt(Base):
    """One "Receive" entry of a job (numbered 1, 2, ... per job)."""

    __tablename__ = "production_receipts"
    __table_args__ = (UniqueConstraint("job_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("production_jobs.id"))
    number: Mapped[int] = mapped_column(Integer)
    received_on: Mapped[date] = mapped_column(Date)
    quality_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))  # where the new items were put
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class JobOutput(Base):
    """One bucket of one output row of a receipt: a new item (received, rejected, scrapped) or a waste weight."""

    __tablename__ = "production_outputs"
    __table_args__ = (Index("ix_outputs_job", "job_id", "bucket"), Index("ix_outputs_receipt", "receipt_id"),
                      # Output by item, and every foreign key check when an item row is deleted (migration 0010).
                      Index("ix_outputs_item", "item_id"), Index("ix_outputs_source_item", "source_item_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("production_receipts.id"))
    job_id: Mapped[int] = mapped_column(ForeignKey("production_jobs.id"))
    row_number: Mapped[int] = mapped_column(Integer)  # the output row of the receipt form, from 1
    bucket: Mapped[OutputBucket] = mapped_column(enum_column(OutputBucket))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("inventory_items.id"))  # None for waste
    movement_id: Mapped[int | None] = mapped_column(_MOVEMENT_ID, ForeignKey("stock_movements.id"))
    source_item_id: Mapped[int | None] = mapped_column(ForeignKey("inventory_items.id"))  # the tag's source
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[Decimal] = mapped_column(WEIGHT)
    weight_unit: Mapped[str] = mapped_column(String(8))
    weight_g: Mapped[Decimal] = mapped_column(GRAMS)
    # What this output carried off the job's cost (lib.production.costs; workspace currency): the item's production
    # cost for received, rejected and scrapped items, the loss for waste; None: recorded before costing.
    cost: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
