"""Workspace settings: stored in the database, audited, read on every rerun.

`SETTINGS` lists each admin setting with its default and help text; the
README documents every one (a test keeps them in step).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import audit, db, images
from lib.access import Actor, Right
from lib.errors import ValidationFailed
from lib.llm.metering import parse_credits
from lib.models import DEFAULT_CARRIERS, PaymentTerms, Plan, ProductionStage, Workspace
from lib.tags import sanitise
from lib.text import check_currency, clean_text, text_problem
from lib.units import is_unit, unit

ORDER_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,11}$")
MAX_CARRIER = 60
MAX_CARRIERS = 30


@dataclass(frozen=True)
class SettingSpec:
    field: str
    label: str
    default: object
    help: str


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("ai_summaries_enabled", "AI summaries", False,
                "Lets admins and managers generate an AI summary of a product's inventory activity. "
                "When off, no request ever leaves the server."),
    SettingSpec("managers_all_locations", "Managers can use inventory from all locations", False,
                "Managers see and use stock in every location instead of only their own. "
                "Available on the Professional, Business and Enterprise plans."),
    SettingSpec("plan", "Plan", Plan.PROFESSIONAL,
                "The workspace plan. Starter does not allow cross-location managers."),
    SettingSpec("default_weight_unit", "Default weight unit", "g",
                "Totals, averages and charts are shown in this unit; new items start with it."),
    SettingSpec("tag_prefix", "Inventory tag prefix", "",
                "First part of every new tag ID (letters, digits and dashes)."),
    SettingSpec("job_id_prefix", "Production job ID prefix", "JOB-",
                "First part of every new production job ID (letters, digits and dashes, at most 12), followed by "
                "a zero-padded number counted per prefix: JOB-0001. Existing jobs keep their IDs."),
    SettingSpec("default_start_stage_id", "Default start stage", None,
                "The production stage a new job starts at (an active stage; empty: the first active stage)."),
    SettingSpec("due_date_offset_days", "Job due-date offset (days)", 7,
                "A new job's deadline starts at its issued date plus this many days (0 to 365)."),
    SettingSpec("sales_order_prefix", "Sales order number prefix", "SO-",
                "Starts every new sales order number (SO-0001). A change applies to new numbers only."),
    SettingSpec("purchase_order_prefix", "Purchase order number prefix", "PO-",
                "Starts every new purchase order number (PO-0001). Must differ from the sales prefix."),
    SettingSpec("default_payment_terms", "Default payment terms", PaymentTerms.NET_30,
                "Pre-selected on new orders: Due on Receipt, Prepaid, Net 15, 30, 45 or 60."),
    SettingSpec("default_currency", "Default currency", "USD",
                "Pre-selected currency of new orders (a three-letter ISO 4217 code)."),
    SettingSpec("carriers", "Shipment carriers", "\n".join(DEFAULT_CARRIERS),
                "The carriers people choose from when they record a shipment."),
    SettingSpec("ai_order_lines_enabled", "AI order lines", False,
                "Lets admins prepare an order's lines from its notes with the AI endpoint. "
                "When off, the button is absent and no request ever leaves the server."),
    SettingSpec("ai_import_enabled", "Import using AI", False,
                "Offers admins \"Import using AI\" on Inventory → Import: the model sees a sheet's headers and at "
                "most 20 sample rows and proposes a column mapping. When off, there is no button and no request."),
    SettingSpec("ai_monthly_credits", "Monthly included AI credits", 0,
                "AI credits included each calendar month, shared by everyone (0 = unlimited); top-ups added on "
                "Settings → AI usage are used after them and persist. A request is refused before it is sent "
                "when no credit is left."),
    SettingSpec("public_base_url", "Public address", "",
                "The address people open the workspace at (https://loupe.example.com). Label QR codes point at "
                "<address>/inventory?item=<tag>; empty: the QR code carries the tag alone."),
    SettingSpec("org_address", "Organisation address", "",
                "Printed under the organisation's name at the top of every document (up to 6 lines)."),
    SettingSpec("document_footer", "Document footer note", "",
                "A note printed at the foot of every document (e.g. registration number, terms)."),
    SettingSpec("logo_image_id", "Logo", None,
                "A PNG, JPEG or WebP picture printed at the top of every document."),
)

MAX_PUBLIC_URL = 200
MAX_ADDRESS = 400
MAX_ADDRESS_LINES = 6
MAX_FOOTER = 300


def get_workspace(session: Session) -> Workspace:
    """The single workspace row."""
    return session.scalars(select(Workspace)).one()


_DEFAULT_UNIT = select(Workspace.default_weight_unit)


def default_weight_unit(session: Session) -> str:
    """The workspace's default weight unit symbol (one column: every product page view reads it)."""
    return db.read(session, _DEFAULT_UNIT).scalar_one()


MAX_DUE_DATE_OFFSET = 365


def carrier_list(workspace: Workspace) -> list[str]:
    """The enabled carriers, in the admin's order."""
    return [line for line in (workspace.carriers or "").splitlines() if line.strip()]


def _order_prefix(value, label: str) -> str:
    text = str(value or "").strip()
    if not ORDER_PREFIX_PATTERN.match(text):
        raise ValidationFailed(f"{label}: 1 to 12 characters, letters, digits, dash, slash, dot or underscore, "
                               "starting with a letter or digit.")
    return text


def _carriers(value) -> str:
    names = value.splitlines() if isinstance(value, str) else list(value or [])
    cleaned, seen = [], set()
    for raw in names:
        try:
            name = " ".join(clean_text(raw, "Carrier name", MAX_CARRIER, multiline=False).split())
        except ValueError as error:
            raise ValidationFailed(f"{error}.") from None
        if not name:
            continue
        if name.lower() not in seen:
            seen.add(name.lower())
            cleaned.append(name)
    if not cleaned:
        raise ValidationFailed("Enable at least one shipment carrier.")
    if len(cleaned) > MAX_CARRIERS:
        raise ValidationFailed(f"At most {MAX_CARRIERS} carriers.")
    return "\n".join(cleaned)


def _validated(session: Session, field: str, value, plan: Plan):
    if field == "default_weight_unit":
        if not is_unit(value):
            raise ValidationFailed(f"Unknown weight unit {value!r}.")
        return unit(value).symbol
    if field == "plan":
        try:
            return Plan(value)
        except ValueError:
            raise ValidationFailed(f"Unknown plan {value!r}.") from None
    if field == "tag_prefix":
        cleaned = sanitise(value)
        if len(cleaned) > 20:
            raise ValidationFailed("The tag prefix may be at most 20 characters.")
        return cleaned
    if field == "managers_all_locations":
        if value and not plan.allows_cross_location_managers:
            raise ValidationFailed("Managers can use inventory from all locations only on the "
                                   "Professional, Business or Enterprise plan.")
        return bool(value)
    if field in ("ai_summaries_enabled", "ai_order_lines_enabled", "ai_import_enabled"):
        return bool(value)
    if field == "ai_monthly_credits":
        return parse_credits(value, "Monthly included credits")
    if field == "job_id_prefix":
        cleaned = sanitise(value)
        if len(cleaned) > 12:
            raise ValidationFailed("The job ID prefix may be at most 12 characters.")
        return cleaned
    if field == "default_start_stage_id":
        if value is None:
            return None
        stage = session.get(ProductionStage, int(value))
        if stage is None or not stage.active:
            raise ValidationFailed("The default start stage must be an active production stage.")
        return stage.id
    if field == "due_date_offset_days":
        try:
            days = int(str(value).strip())
        except ValueError:
            raise ValidationFailed(f"The due-date offset must be a whole number of days, got {value!r}.") from None
        if not 0 <= days <= MAX_DUE_DATE_OFFSET:
            raise ValidationFailed(f"The due-date offset must be between 0 and {MAX_DUE_DATE_OFFSET} days.")
        return days
    if field == "sales_order_prefix":
        return _order_prefix(value, "Sales order number prefix")
    if field == "purchase_order_prefix":
        return _order_prefix(value, "Purchase order number prefix")
    if field == "default_payment_terms":
        try:
            return PaymentTerms(value)
        except ValueError:
            raise ValidationFailed(f"Unknown payment terms {value!r}.") from None
    if field == "default_currency":
        try:
            return check_currency(value, "Default currency")
        except ValueError as error:
            raise ValidationFailed(str(error)) from None
    if field == "carriers":
        return _carriers(value)
    if field == "public_base_url":
        return public_base_url(value)
    if field in ("org_address", "document_footer"):
        return _document_text(field, value)
    if field == "name":
        text = str(value).strip()
        if not text or len(text) > 120:
            raise ValidationFailed("The workspace name must be 1 to 120 characters.")
        return text
    raise ValidationFailed(f"Unknown workspace setting {field!r}.")


def public_base_url(value) -> str:
    """An http(s) address without query or fragment, no trailing slash; empty is allowed (no address)."""
    text = str(value or "").strip().rstrip("/")
    if not text:
        return ""
    parts = urlsplit(text)
    if (len(text) > MAX_PUBLIC_URL or parts.scheme not in ("http", "https") or not parts.hostname
            or parts.query or parts.fragment or any(ch.isspace() for ch in text)
            or text_problem(text, "Public address", MAX_PUBLIC_URL, multiline=False)):
        raise ValidationFailed("Public address: an http:// or https:// address such as https://loupe.example.com "
                               f"(at most {MAX_PUBLIC_URL} characters, no spaces, no ?query or #part).")
    return text


def _document_text(field: str, value) -> str:
    label = "Organisation address" if field == "org_address" else "Document footer note"
    limit = MAX_ADDRESS if field == "org_address" else MAX_FOOTER
    try:
        text = clean_text(value, label, limit)
    except ValueError as error:
        raise ValidationFailed(f"{error}.") from None
    text = "\n".join(line.rstrip() for line in text.splitlines())
    if field == "org_address" and len(text.splitlines()) > MAX_ADDRESS_LINES:
        raise ValidationFailed(f"{label}: at most {MAX_ADDRESS_LINES} lines.")
    return text


def update_settings(session: Session, *, actor: Actor, **changes) -> Workspace:
    """Change workspace settings (admins only); every change is audited.

    Moving to Starter also switches off cross-location managers, since the plan
    no longer allows it. The sales and purchase order prefixes must differ
    (ignoring case), so a number always tells which kind of order it is.
    """
    actor.require(Right.MANAGE_SETTINGS)
    workspace = get_workspace(session)
    plan = Plan(changes.get("plan", workspace.plan))
    cleaned = {field: _validated(session, field, value, plan) for field, value in changes.items()}
    if not plan.allows_cross_location_managers:
        cleaned["managers_all_locations"] = False
    sales = cleaned.get("sales_order_prefix", workspace.sales_order_prefix)
    purchase = cleaned.get("purchase_order_prefix", workspace.purchase_order_prefix)
    if sales.lower() == purchase.lower():
        raise ValidationFailed(f"The sales and purchase order prefixes must differ (both are {sales!r}).")
    old, new = audit.changed_fields(workspace, cleaned)
    if new:
        audit.record(session, actor_id=actor.user_id, action="update settings", entity="workspace",
                     entity_id=workspace.id, old=old, new=new)
    session.flush()
    return workspace


def set_logo(session: Session, *, actor: Actor, data: bytes | None) -> Workspace:
    """Store `data` as the documents' logo (checked by lib.images: PNG, JPEG or WebP, at most 5 MB), or
    remove the logo when `data` is None. Admins only; audited."""
    actor.require(Right.MANAGE_SETTINGS)
    workspace = get_workspace(session)
    image_id = None
    if data is not None:
        image_id = images.store_image(session, checked=images.check_image(data), user_id=actor.user_id).id
    old, new = audit.changed_fields(workspace, {"logo_image_id": image_id})
    if new:
        audit.record(session, actor_id=actor.user_id, action="update settings", entity="workspace",
                     entity_id=workspace.id, old=old, new=new)
    session.flush()
    return workspace
