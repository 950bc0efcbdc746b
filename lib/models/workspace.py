"""The workspace, its locations and users, and the server-side record of each sign-in.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lib.enums import PaymentTerms, Plan, Role
from lib.models.base import Base, UtcDateTime, enum_column, utcnow

DEFAULT_CARRIERS: tuple[str, ...] = ("Canada Post", "DHL eCommerce", "DHL Express", "FedEx", "UPS", "USA Export",
                                     "USPS")
"""The carrier profiles of reference 3.11, all enabled in a new workspace."""
DEFAULT_CARRIERS_TEXT = "\n".join(DEFAULT_CARRIERS)


class Workspace(Base):
    __tablename__ = "workspace"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    industry: Mapped[str] = mapped_column(String(40), default="jewelry")
    plan: Mapped[Plan] = mapped_column(enum_column(Plan), default=Plan.PROFESSIONAL)
    default_weight_unit: Mapped[str] = mapped_column(String(8), default="g")
    tag_prefix: Mapped[str] = mapped_column(String(20), default="")
    ai_summaries_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    managers_all_locations: Mapped[bool] = mapped_column(Boolean, default=False)
    # Production defaults (lib.production): job ID prefix, the stage new jobs start at, days to the deadline.
    job_id_prefix: Mapped[str] = mapped_column(String(12), default="JOB-", server_default="JOB-")
    default_start_stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("production_stages.id", name="fk_workspace_default_start_stage"))
    due_date_offset_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    # Orders (reference 3.5.5): numbering, defaults for new orders, carriers, the AI line preparation switch.
    sales_order_prefix: Mapped[str] = mapped_column(String(20), default="SO-")
    purchase_order_prefix: Mapped[str] = mapped_column(String(20), default="PO-")
    default_payment_terms: Mapped[PaymentTerms] = mapped_column(enum_column(PaymentTerms),
                                                                default=PaymentTerms.NET_30)
    default_currency: Mapped[str] = mapped_column(String(3), default="USD")
    carriers: Mapped[str] = mapped_column(Text, default=DEFAULT_CARRIERS_TEXT)  # one carrier per line
    ai_order_lines_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # AI credits (reference 3.8.1, lib.llm.metering): included each calendar month, 0 = unlimited.
    ai_monthly_credits: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ai_import_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Paper (lib.documents): the address QR labels point at, and the letterhead of printed documents.
    public_base_url: Mapped[str] = mapped_column(String(200), default="", server_default="")
    org_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    document_footer: Mapped[str] = mapped_column(Text, default="", server_default="")
    logo_image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id", name="fk_workspace_logo_image"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    short_name: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40), default="Workshop")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)  # always lower case
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    location: Mapped[Location | None] = relationship(lazy="joined")


class LoginSession(Base):
    """Server-side record of a sign-in; the cookie is only valid while this is open."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))
