"""The audit log: who changed what, when.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lib.models.base import Base, UtcDateTime, utcnow


class AuditEntry(Base):
    """Who changed what, when, with old and new values (JSON text)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    old_values: Mapped[str | None] = mapped_column(Text, info={"max_length": None})  # JSON written by lib.audit
    new_values: Mapped[str | None] = mapped_column(Text, info={"max_length": None})
