"""Costing: rate profiles, their effective-dated price versions, and cost components on inventory items.

A new price is a new `RateVersion` row; a version is never edited, so any past
moment is valued at the price then in force (`lib.costing.rates.price_as_of`).
A `CostComponent` stores what the user typed (quantity and its unit) and either
links a profile or carries a manual amount; its cost is worked out when read,
except the price its profile had when its item was created (`cost_price`), which
`lib.costing.cost_prices` keeps with every component and price written.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.enums import ComponentType, RateBasis, RateSource
from lib.models.base import WEIGHT, Base, UtcDateTime, enum_column, utcnow

PRICE = Numeric(18, 4)
"""A rate price or a money amount (Decimal, 4 decimals)."""
PURITY = Numeric(6, 4)


class RateProfile(Base):
    """A reusable rate (reference 3.4), e.g. "Gold 18K (750)" per gram in USD."""

    __tablename__ = "rate_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), unique=True)  # lower-case name: unique ignoring case
    component_type: Mapped[ComponentType] = mapped_column(enum_column(ComponentType))
    source: Mapped[RateSource] = mapped_column(enum_column(RateSource), default=RateSource.MANUAL)
    currency: Mapped[str] = mapped_column(String(3))
    basis: Mapped[RateBasis] = mapped_column(enum_column(RateBasis))
    purity: Mapped[Decimal | None] = mapped_column(PURITY)  # metals: 0.7500 for 18K
    source_details: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RateVersion(Base):
    """One price of a profile from `effective_at` on (until the next version's moment)."""

    __tablename__ = "rate_versions"
    __table_args__ = (UniqueConstraint("profile_id", "effective_at", name="uq_rate_versions_profile_moment"),
                      # the price at a moment from the index alone (lib.costing.cost_prices' repricing)
                      Index("ix_rate_versions_price", "profile_id", "effective_at", "price"))

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("rate_profiles.id"))
    price: Mapped[Decimal] = mapped_column(PRICE)
    effective_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CostComponent(Base):
    """One input of an item's cost: a quantity in `unit` at a profile's rate, or a manual amount.

    A component belongs to an item (`item_id`) or, for a production job's own labour, to a job (`job_id`,
    lib.production.costs): exactly one of the two is set.
    """

    __tablename__ = "cost_components"
    __table_args__ = (Index("ix_cost_components_item", "item_id"), Index("ix_cost_components_profile", "profile_id"),
                      Index("ix_cost_components_job", "job_id"),
                      # value held (lib.costing.valuation, migrations 0018 and 0019): read in group order / by
                      # item from the index alone
                      Index("ix_cost_components_value_groups", "profile_id", "component_type", "unit",
                            "manual_currency", "item_id", "quantity", "manual_amount", "cost_price"),
                      Index("ix_cost_components_value_items", "item_id", "profile_id", "component_type", "unit",
                            "manual_currency", "quantity", "manual_amount", "cost_price"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("inventory_items.id"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("production_jobs.id"))
    component_type: Mapped[ComponentType] = mapped_column(enum_column(ComponentType))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("rate_profiles.id"))
    description: Mapped[str] = mapped_column(String(120), default="")
    quantity: Mapped[Decimal] = mapped_column(WEIGHT)
    unit: Mapped[str] = mapped_column(String(8))  # a weight unit symbol, "pcs", "h", "min" or "%"
    manual_amount: Mapped[Decimal | None] = mapped_column(PRICE)
    manual_currency: Mapped[str | None] = mapped_column(String(3))
    # The profile's price in force when the item was created (its first price for an item older than that);
    # None for a manual amount, a job's component or a profile without any price. Written by
    # lib.costing.cost_prices, never by hand: value at cost is Σ quantity × cost_price.
    cost_price: Mapped[Decimal | None] = mapped_column(PRICE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
