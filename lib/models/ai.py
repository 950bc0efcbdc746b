"""Stored AI summaries, the AI usage history and credit top-ups (the balance is derived from these two).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column

from lib.models.base import Base, UtcDateTime, utcnow


class AiSummary(Base):
    """A stored AI summary of a product's activity for one scope, kind and filter set."""

    __tablename__ = "ai_summaries"
    __table_args__ = (Index("ix_ai_summaries_lookup", "product_id", "scope_key", "kind_key", "filters_key", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    scope_key: Mapped[str] = mapped_column(String(400))  # "all" or sorted location ids
    kind_key: Mapped[str] = mapped_column(String(20))
    filters_key: Mapped[str] = mapped_column(Text, info={"max_length": None})
    data_version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    prompt_version: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(120))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    total_tokens: Mapped[int] = mapped_column(Integer, default=0)
    credits: Mapped[int] = mapped_column(Integer, default=0)
    unsupported_figures: Mapped[int] = mapped_column(Integer, default=0)
    # Claim-level grounding (lib.ai.grounding): misattributed figures and every checked claim as JSON.
    misattributed_figures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    grounding_json: Mapped[str | None] = mapped_column(Text, info={"max_length": None})  # built by lib.ai.grounding
    text: Mapped[str] = mapped_column(Text, info={"max_length": None})  # the model's reply, length capped by lib.ai
    facts_json: Mapped[str] = mapped_column(Text, info={"max_length": None})  # no money, no orders (members read it)
    # The reply's managers-only part ("Orders:" / "Value:" lines), the manager facts {"orders", "value"} and its
    # claim check, for admins and managers only (the names are from when it held the value alone);
    # shared_with_members is false when the main text named money or orders.
    value_text: Mapped[str | None] = mapped_column(Text, info={"max_length": None})
    value_json: Mapped[str | None] = mapped_column(Text, info={"max_length": None})
    value_grounding_json: Mapped[str | None] = mapped_column(Text, info={"max_length": None})
    shared_with_members: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AiUsage(Base):
    """AI usage history (reference 3.8.1): credits = max(1, ceil(tokens / 1000))."""

    __tablename__ = "ai_usage"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    feature: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(120))
    tokens: Mapped[int] = mapped_column(Integer)
    credits: Mapped[int] = mapped_column(Integer)
    # A request in flight holds one credit (lib.llm.metering.reserve) until it is settled or released.
    pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AiCreditTopUp(Base):
    """Credits an admin added (reference 3.8.1 "purchased credits"): they persist across months until used."""

    __tablename__ = "ai_credit_topups"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    credits: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
