"""AI summaries of a product's stock (reference 4, element 12; 3.8.1 metering).

The model never sees rows: `build_facts` computes a compact fact sheet in SQL
with the page's definitions (same scope, kind switch and filters as the KPIs),
and the only user-typed text in it is the product's own name, as JSON data.
Location and quality names are admin-managed labels of the viewer's own scope.

Generating is split in three steps so no database transaction stays open while
the model thinks (a SQLite write lock held for 20 s would stall the team):
`prepare_summary` (read) -> `request_completion` (no session) ->
`store_summary` (short write). `generate_summary` runs all three on one
session, for scripts and tests. Nothing is stored unless the model answered.

Grounding: every figure in the reply is read as a claim (subject, measure,
window, unit) and checked against the exact fact it names (`lib.ai.grounding`);
misattributed and unsupported figures are counted, stored with the summary,
and marked in the text shown to users with a note naming the fact they match.

One request, two audiences (issue 19 and its orders follow-up): an admin's or
manager's facts carry the sections only they may read, `orders` (open sales
demand and incoming purchases) and `value` (the Product Details value card),
sent apart from the main facts in <manager_facts>; the prompt asks for the
summary without money or orders, then a managers-only part ("Orders: ..." and
"Value: ..." lines). `split_reply` stores the two parts on the one row (the
columns `value_text`, `value_json` and `value_grounding_json` keep their issue
19 names but hold the whole managers-only part: its text, its sections as
{"orders": ..., "value": ...} and its claim check); members of the same scope
read only the main part and the main facts, and nothing when the main part
named money or an order figure (`grounding.restricted_figures`;
docs/ai-summaries.md).
"""
from __future__ import annotations

import json
import re
from contextlib import nullcontext
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.ai import grounding
from lib.config import Settings
from lib.costing import valuation
from lib.errors import ConfigurationError, PermissionDenied, ValidationFailed
from lib.inventory import import_ai
from lib.inventory.query import ItemFilters, items_statement, movements_statement, start_of_day, totals
from lib.llm import client as llm
from lib.llm import metering, prompts
from lib.llm.client import credits_for
from lib.models import (
    AiSummary,
    AiUsage,
    CatalogEntry,
    CostComponent,
    InventoryItem,
    Location,
    RateVersion,
    StockMovement,
    User,
    utcnow,
)
from lib.orders import demand, lines_ai
from lib.production.overview import production_for_product
from lib.products import details
from lib.products.catalog import get_product_in_scope
from lib.products.details import Kpis, kpis
from lib.text import without_refused
from lib.units import from_grams
from lib.workspace.settings import default_weight_unit, get_workspace

FEATURE = "product_summary"
FEATURE_LABELS = {FEATURE: "Product summary", lines_ai.FEATURE: lines_ai.FEATURE_LABEL,
                  import_ai.FEATURE: import_ai.FEATURE_LABEL}
PROMPT_NAME = "product_summary"
WINDOWS = (30, 90)
LARGEST_MOVEMENTS = 5
MAX_GROUPS = 10
LABEL_CHARS = 60
ORDERS_NOT_VISIBLE = "sales and purchase orders"  # for viewers who may not see orders
# The managers-only sections of the facts, each with the right it needs: never in facts_json, which members read.
ORDERS = "orders"  # open sales demand and incoming purchases (Right.VIEW_ORDERS)
VALUE = "value"  # the value held (Right.VIEW_RATES)
MANAGER_SECTIONS = {ORDERS: Right.VIEW_ORDERS, VALUE: Right.VIEW_RATES}


# ---------------------------------------------------------------- keys and scope

def view_filters(product_id: int, filters: ItemFilters) -> ItemFilters:
    """The page's filters narrowed to one product (the kind switch is `filters.kinds`)."""
    return filters.with_(product_ids=(product_id,), in_stock_only=False)


def sees_values(actor: Actor) -> bool:
    """Whether the viewer gets the value section (admins and managers: `Right.VIEW_RATES`)."""
    return actor.can(Right.VIEW_RATES)


def _sees_manager_part(actor: Actor) -> bool:
    """Whether the viewer reads a summary's managers-only part ("Orders:" and "Value:" lines): only with every
    right of `MANAGER_SECTIONS` (admins and managers), since one text covers both sections."""
    return all(actor.can(right) for right in MANAGER_SECTIONS.values())


def kind_key(filters: ItemFilters) -> str:
    return ",".join(sorted(kind.value for kind in filters.kinds)) or "all"


def filters_key(filters: ItemFilters) -> str:
    """Canonical JSON of every filter except product and kind (stored with the summary)."""
    values = {}
    for spec in fields(ItemFilters):
        if spec.name in ("product_ids", "kinds", "in_stock_only"):
            continue
        value = getattr(filters, spec.name)
        if isinstance(value, tuple):
            value = sorted(getattr(v, "value", v) for v in value)
        elif isinstance(value, date):
            value = value.isoformat()
        values[spec.name] = value.strip() if isinstance(value, str) else value
    return json.dumps(values, sort_keys=True)


def data_version(session: Session, *, actor: Actor, product_id: int, filters: ItemFilters) -> int:
    """The newest ledger movement id behind this view (0 when none): a change makes summaries stale."""
    stmt = movements_statement(actor, view_filters(product_id, filters), func.max(StockMovement.id))
    return int(session.scalar(stmt) or 0)


# ---------------------------------------------------------------- the fact sheet

def _number(value: Decimal) -> float | int:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value.normalize())


def _label(text: str | None, fallback: str) -> str:
    text = " ".join(str(text or "").split())
    return text[:LABEL_CHARS] if text else fallback


def _share(part: Decimal, whole: Decimal) -> float | None:
    return float(round(part * 100 / whole, 1)) if whole else None


def _groups(rows: list[tuple], unit: str, whole_g: Decimal, name: str) -> list[dict]:
    """Rows (label, items, grams), largest first, capped at MAX_GROUPS with an "(other)" row."""
    rows = sorted(((label, int(count), Decimal(str(grams or 0))) for label, count, grams in rows),
                  key=lambda row: (-row[2], row[0]))
    if len(rows) > MAX_GROUPS:
        rest = rows[MAX_GROUPS - 1:]
        rows = rows[:MAX_GROUPS - 1] + [("(other)", sum(r[1] for r in rest), sum(r[2] for r in rest))]
    return [{name: label, "items": count, "weight": _number(from_grams(grams, unit)),
             "share_pct": _share(grams, whole_g)} for label, count, grams in rows]


def _breakdowns(session: Session, actor: Actor, held: ItemFilters, unit: str, whole_g: Decimal) -> dict:
    count, grams = func.count(InventoryItem.id), func.coalesce(func.sum(InventoryItem.weight_g), 0)
    by_kind = items_statement(actor, held, InventoryItem.kind, count, grams).group_by(InventoryItem.kind)
    by_location = (items_statement(actor, held, Location.name, count, grams)
                   .join(Location, Location.id == InventoryItem.location_id).group_by(Location.id, Location.name))
    by_quality = (items_statement(actor, held, CatalogEntry.name, count, grams)
                  .outerjoin(CatalogEntry, CatalogEntry.id == InventoryItem.quality_id)
                  .group_by(CatalogEntry.id, CatalogEntry.name))
    kinds = [(kind.label, n, g) for kind, n, g in session.execute(by_kind)]
    locations = [(_label(name, "unnamed location"), n, g) for name, n, g in session.execute(by_location)]
    qualities = [(_label(name, "not set"), n, g) for name, n, g in session.execute(by_quality)]
    return {"by_kind": _groups(kinds, unit, whole_g, "kind"),
            "by_location": _groups(locations, unit, whole_g, "location"),
            "by_quality": _groups(qualities, unit, whole_g, "quality")}


def _since(today: date, days: int) -> datetime:
    """Start of the window of `days` calendar days (UTC) ending today, as the page's KPI and chart count."""
    return start_of_day(today - timedelta(days=days - 1))


def _window(days: int, added: Decimal, deducted: Decimal, percent: Decimal | None) -> dict:
    """One movement window in the default unit (`added`/`deducted` already in that unit)."""
    return {"days": days, "added_weight": _number(added), "deducted_weight": _number(deducted),
            "net_weight": _number(added - deducted), "net_change_pct": float(percent) if percent is not None else None}


def _movement(session: Session, actor: Actor, view: ItemFilters, kpi: Kpis, total_g: Decimal,
              today: date) -> dict:
    """The 30-day window is the page's KPI itself; the 90-day one uses the same definition."""
    change = kpi.change
    windows = {"last_30_days": _window(30, change.added, change.deducted, change.percent)}
    window = details.flow(session, actor=actor, product_id=view.product_ids[0], filters=view, today=today, days=90)
    ninety = details.change_from_flow(kpi.unit, window, total_g)
    windows["last_90_days"] = _window(90, ninety.added, ninety.deducted, ninety.percent)
    return windows


def _largest(session: Session, actor: Actor, view: ItemFilters, unit: str, today: date) -> list[dict]:
    stmt = (movements_statement(actor, view, StockMovement.moved_at, StockMovement.movement_kind,
                                StockMovement.kind, StockMovement.weight_delta_g)
            .where(StockMovement.moved_at >= _since(today, max(WINDOWS)), StockMovement.weight_delta_g != 0)
            .order_by(func.abs(StockMovement.weight_delta_g).desc(), StockMovement.id.desc())
            .limit(LARGEST_MOVEMENTS))
    return [{"date": moved_at.date().isoformat(), "movement": movement.label, "inventory_kind": kind.label,
             "weight": _number(from_grams(Decimal(str(grams)), unit))}
            for moved_at, movement, kind, grams in session.execute(stmt)]


def _ages(session: Session, actor: Actor, view: ItemFilters, now: datetime) -> dict:
    oldest = session.scalar(items_statement(actor, view.with_(in_stock_only=True), func.min(InventoryItem.created_at)))
    latest = session.scalar(movements_statement(actor, view, func.max(StockMovement.moved_at)))
    return {"oldest_stock_age_days": (now - oldest).days if oldest else None,
            "days_since_last_movement": (now - latest).days if latest else None}


def _in_production(session: Session, actor: Actor, product_id: int, filters: ItemFilters) -> dict:
    """Open production jobs holding issued stock of the product (kind switch applied), as Product Details shows;
    the weight in the workspace default unit, like every weight of the facts."""
    found = production_for_product(session, actor=actor, product_id=product_id, kinds=filters.kinds, limit=0)
    return {"open_jobs": found.open_jobs, "issued_weight": _number(found.issued)}


def _value(session: Session, actor: Actor, product_id: int, filters: ItemFilters) -> dict:
    """The Product Details value card as facts (lib.costing.valuation.value_held, the same filters): per
    currency, never converted; amounts in the currency's units (cents as decimals)."""
    held = valuation.value_held(session, actor=actor, filters=details.product_filters(product_id, filters))
    return {"currencies": [{"currency": v.currency, "value_at_cost": _number(v.at_cost),
                            "value_at_current_rates": _number(v.at_current_rates),
                            "metal_value_at_current_rates": _number(v.metal_at_current_rates)}
                           for v in held.values],
            "components_without_a_price_today": held.unpriced}


def _open(figure: demand.Open, unit: str) -> dict:
    return {"lines": figure.lines, "orders": figure.orders, "pieces": figure.pieces,
            "weight": _number(from_grams(figure.grams, unit))}


def _orders(session: Session, actor: Actor, product_id: int, unit: str) -> dict:
    """Open sales demand and incoming purchases of the product (lib.orders.demand), for viewers of orders."""
    figures = demand.product_orders(session, actor=actor, product_id=product_id)
    return {"open_sales_demand": _open(figures.demand, unit), "incoming_purchases": _open(figures.incoming, unit)}


def build_facts(session: Session, *, actor: Actor, product_id: int, filters: ItemFilters,
                now: datetime | None = None) -> dict:
    """The fact sheet for one product in the viewer's scope, kind switch and filters.

    Stock figures and the 30-day window are `product_details.kpis` itself, so
    the summary can never disagree with the page's KPI cards: held stock =
    items in scope matching the filters and `models.IN_STOCK`, weights in the
    workspace default unit, added/deducted = sums of positive / magnitudes of
    negative `weight_delta_g` of the scoped, filtered movements, over calendar
    days (UTC) ending today. `in_production` is the Product Details block:
    open jobs in scope holding issued stock of the product (of the kind switch's
    kinds) and that stock's issued weight. No notes, tag IDs or people's names. Viewers who
    may see orders (admins, managers) also get a separate `orders` section: the product's open sales demand
    and incoming purchases (`lib.orders.demand`: workspace-wide, orders have no location), as counts of
    lines and orders, pieces and weight; no customer or supplier. Viewers who may see costs (admins,
    managers: `sees_values`) also get a separate `value` section, the Product Details value card's figures
    per currency (`lib.costing.valuation.value_held`, same scope and filters). Members get neither: no order
    figure and no amount of money, and `not_tracked` tells the model orders are not tracked for them.
    `main_facts` is the sheet without the managers-only sections, `manager_facts` those sections alone.
    """
    now = now or utcnow()
    product = get_product_in_scope(session, actor=actor, product_id=product_id)
    view = view_filters(product.id, filters)
    kpi = kpis(session, actor=actor, product_id=product.id, filters=filters, today=now.date())
    total_g = totals(session, actor=actor, filters=view.with_(in_stock_only=True)).grams
    stock = {"items": kpi.items, "pieces": kpi.pieces, "total_weight": _number(kpi.total),
             "average_weight": _number(kpi.average) if kpi.average is not None else None,
             **_ages(session, actor, view, now)}
    return {
        "product": {"name": _label(product.name, "unnamed product")},
        "as_of": now.date().isoformat(),
        "unit": kpi.unit,
        "view": {"inventory_kind": ", ".join(k.label for k in filters.kinds) or "all kinds",
                 "other_filters_applied": filters_key(filters) != filters_key(ItemFilters())},
        "stock": stock,
        **_breakdowns(session, actor, view.with_(in_stock_only=True), kpi.unit, total_g),
        "movement": _movement(session, actor, view, kpi, total_g, now.date()),
        "largest_recent_movements": _largest(session, actor, view, kpi.unit, now.date()),
        "in_production": _in_production(session, actor, product.id, filters),
        **({ORDERS: _orders(session, actor, product.id, kpi.unit)} if actor.can(Right.VIEW_ORDERS) else {}),
        "not_tracked": [] if actor.can(Right.VIEW_ORDERS) else [ORDERS_NOT_VISIBLE],
        **({VALUE: _value(session, actor, product.id, filters)} if sees_values(actor) else {}),
    }


def main_facts(facts: dict) -> dict:
    """The fact sheet without its managers-only sections (`orders`, `value`): what the main summary is written
    from and members read."""
    return {key: item for key, item in facts.items() if key not in MANAGER_SECTIONS}


def manager_facts(facts: dict) -> dict | None:
    """The managers-only sections of the sheet ({"orders": ..., "value": ...}, those present), or None."""
    found = {key: facts[key] for key in MANAGER_SECTIONS if key in facts}
    return found or None


def has_activity(facts: dict) -> bool:
    """False for an empty view: no held stock and no movement in the windows."""
    return bool(facts["stock"]["items"] or facts["largest_recent_movements"])


def facts_json(facts: dict) -> str:
    """The facts as JSON for the prompt: `<`, `>` and backticks escaped so no value can close the block."""
    text = json.dumps(facts, indent=1, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("`", "\\u0060")


# ---------------------------------------------------------------- grounding

def check_figures(text: str, facts: dict) -> grounding.ClaimCheck:
    """Every date and number in `text`, classed supported / misattributed / unsupported (lib.ai.grounding)."""
    return grounding.check_claims(text, facts)


# ---------------------------------------------------------------- generate and store

@dataclass(frozen=True)
class SummaryRequest:
    """Everything needed to call the model and store the answer (built inside a read transaction)."""

    product_id: int
    scope_key: str
    kind_key: str
    filters_key: str
    data_version: int
    prompt_version: str
    facts: dict  # the whole sheet, with the `orders` and `value` sections for admins and managers (for grounding)
    facts_json: str  # the main facts as sent and stored: never money or orders (members read them)
    system: str
    user: str
    is_refresh: bool
    manager_json: str | None = None  # the managers-only sections as sent, or None for a viewer without them


@dataclass(frozen=True)
class SummaryView:
    """A stored summary as pages show it."""

    id: int
    text: str
    marked_text: str
    notes: tuple[str, ...]  # one line per flagged figure, numbered as in marked_text
    unsupported_figures: int
    misattributed_figures: int
    model: str
    created_at: datetime
    generated_by: str
    prompt_version: str
    total_tokens: int
    credits: int
    facts: dict
    facts_json: str
    stale: bool
    has_manager_part: bool = False  # text ends with the "Orders:"/"Value:" part (only ever for admins, managers)
    shared_with_members: bool = True  # False: the main part named money or orders, so members are shown nothing


def check_can_generate(session: Session, *, actor: Actor, settings: Settings) -> None:
    """Raise unless this actor may send a summary request now (role, workspace switch, endpoint)."""
    actor.require(Right.GENERATE_AI_SUMMARY)
    if not get_workspace(session).ai_summaries_enabled:
        raise PermissionDenied("AI summaries are turned off for this workspace. "
                               "An admin can turn them on under Workspace settings in the sidebar.")
    message = llm.not_configured_message(settings)
    if message:
        raise ConfigurationError(message)


def prepare_summary(session: Session, *, actor: Actor, settings: Settings, product_id: int,
                    filters: ItemFilters) -> SummaryRequest:
    """Check the gate, build the facts and render the prompt. Sends nothing."""
    check_can_generate(session, actor=actor, settings=settings)
    facts = build_facts(session, actor=actor, product_id=product_id, filters=filters)
    if not has_activity(facts):
        raise ValidationFailed("There is nothing to summarise: this product has no stock and no movements "
                               "in the last 90 days in your view.")
    payload = facts_json(main_facts(facts))
    restricted = manager_facts(facts)
    manager = facts_json(restricted) if restricted is not None else None
    prompt = render_prompt(payload, manager, facts["unit"])
    keys = dict(product_id=product_id, scope_key=actor.scope_key, kind_key=kind_key(filters),
                filters_key=filters_key(filters))
    return SummaryRequest(**keys, data_version=data_version(session, actor=actor, product_id=product_id,
                                                            filters=filters),
                          prompt_version=prompt.version, facts=facts, facts_json=payload, system=prompt.system,
                          user=prompt.user, is_refresh=_latest_row(session, **keys) is not None, manager_json=manager)


def render_prompt(main_json: str, manager_json: str | None, unit: str) -> prompts.RenderedPrompt:
    """The product summary prompt: the main facts in <facts>, the managers-only sections (or null) in
    <manager_facts>."""
    return prompts.load(PROMPT_NAME).render(facts_json=main_json, manager_facts_json=manager_json or "null",
                                            unit=unit)


_LABELS = (r"value(?: held)?|(?:open |sales |open sales )?(?:orders|demand)|incoming(?: purchases)?"
           r"|(?:incoming |open )?purchases")
_MARKER = re.compile(rf"^[ \t]*(?:[-*•][ \t]*)?(?:\*\*|__)?(?P<label>{_LABELS})(?:\*\*|__)?[ \t]*"
                     r"(?::|\*\*:|：)[ \t]*(?:(?:\*\*|__)[ \t]*)?", re.IGNORECASE | re.MULTILINE)


def _label_line(found: re.Match) -> str:
    label = " ".join(found.group("label").split()).lower()
    return f"{label[0].upper()}{label[1:]}: "


def split_reply(text: str) -> tuple[str, str | None]:
    """(main part, managers-only part or None): the managers-only part starts at the first line beginning with
    "Orders:", "Value:" or another label of orders or value ("Value held:", "Open demand:", "Incoming
    purchases:"...; a bullet dash or bold marks allowed) and runs to the end, so anything after it stays with
    admins and managers. Its labels are kept, written plainly ("- **VALUE:**" becomes "Value: ")."""
    found = _MARKER.search(text)
    if found is None:
        return text.strip(), None
    return text[:found.start()].strip(), _MARKER.sub(_label_line, text[found.start():]).strip()


def request_completion(request: SummaryRequest, *, actor: Actor, settings: Settings,
                       sessions: metering.WriteSessions, client: llm.LlmClient | None = None) -> llm.Completion:
    """Call the model through the metered path (a credit is reserved in a short write, the usage row settled
    in another; no transaction is open while the model thinks). Raises LlmError / ConfigurationError /
    CreditsExhausted (nothing sent)."""
    return metering.metered_call(sessions, actor=actor, settings=settings, feature=FEATURE,
                                 action="refresh" if request.is_refresh else "generate",
                                 system=request.system, user=request.user, client=client)


def store_summary(session: Session, *, actor: Actor, request: SummaryRequest,
                  completion: llm.Completion) -> SummaryView:
    """Store the summary and its usage row, audited, and return it as pages show it.

    The request must have been prepared for this actor's scope and a product they see,
    so nobody can place a summary where viewers of another scope would read it.
    """
    actor.require(Right.GENERATE_AI_SUMMARY)
    if request.scope_key != actor.scope_key:
        raise PermissionDenied("This summary was prepared for other locations than yours; prepare it again.")
    get_product_in_scope(session, actor=actor, product_id=request.product_id)
    text, value_text = split_reply(clean_reply(completion.text))
    checked = check_figures(text, main_facts(request.facts))
    value_checked = check_figures(value_text, request.facts) if value_text is not None else grounding.ClaimCheck(())
    # money or orders in the part members read is a leak: the summary is kept for its author's audience only
    shared = bool(text) and not grounding.restricted_figures(text, request.facts)
    credits = credits_for(completion.total_tokens)
    row = AiSummary(product_id=request.product_id, scope_key=request.scope_key, kind_key=request.kind_key,
                    filters_key=request.filters_key, data_version=request.data_version,
                    prompt_version=request.prompt_version, model=completion.model,
                    prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens,
                    total_tokens=completion.total_tokens, credits=credits,
                    unsupported_figures=len(checked.unsupported) + len(value_checked.unsupported),
                    misattributed_figures=len(checked.misattributed) + len(value_checked.misattributed),
                    grounding_json=checked.to_json(), text=text, facts_json=request.facts_json,
                    value_text=value_text, value_json=request.manager_json,
                    value_grounding_json=value_checked.to_json() if value_text is not None else None,
                    shared_with_members=shared, user_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="generate AI summary", entity="ai_summary",
                 entity_id=row.id, new={"product_id": row.product_id, "scope": row.scope_key, "kind": row.kind_key,
                                        "model": row.model, "tokens": row.total_tokens, "credits": credits,
                                        "unsupported_figures": row.unsupported_figures,
                                        "misattributed_figures": row.misattributed_figures,
                                        "manager_part": value_text is not None, "shared_with_members": shared})
    return _view(row, actor.username, stale=False, viewer=actor)


def generate_summary(session: Session, *, actor: Actor, settings: Settings, product_id: int,
                     filters: ItemFilters, client: llm.LlmClient | None = None) -> SummaryView:
    """Prepare, call the model and store, on one session (pages use the three steps instead)."""
    request = prepare_summary(session, actor=actor, settings=settings, product_id=product_id, filters=filters)
    completion = request_completion(request, actor=actor, settings=settings, sessions=lambda: nullcontext(session),
                                    client=client)
    return store_summary(session, actor=actor, request=request, completion=completion)


_INVISIBLE = re.compile(r"[\u200b-\u200f]")  # zero-width characters and direction marks: nothing a summary needs


def clean_reply(text: str) -> str:
    """The reply as stored: what the text rule refuses and invisible characters removed, line breaks
    normalised, length capped."""
    text = _INVISIBLE.sub("", without_refused(text))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) > llm.MAX_REPLY_CHARS + len(llm.TRUNCATION_MARK):
        text = text[:llm.MAX_REPLY_CHARS].rstrip() + llm.TRUNCATION_MARK
    return text


# ---------------------------------------------------------------- reading back

def _latest_row(session: Session, *, product_id: int, scope_key: str, kind_key: str,
                filters_key: str) -> tuple[AiSummary, str | None] | None:
    stmt = (select(AiSummary, User.username).outerjoin(User, User.id == AiSummary.user_id)
            .where(AiSummary.product_id == product_id, AiSummary.scope_key == scope_key,
                   AiSummary.kind_key == kind_key, AiSummary.filters_key == filters_key)
            .order_by(AiSummary.created_at.desc(), AiSummary.id.desc()).limit(1))
    found = session.execute(stmt).first()
    return (found[0], found[1]) if found else None


LEGACY_VALUE_LABEL = "Value: "  # rows from before the orders follow-up stored their value part without its label


def _stored_manager_facts(row: AiSummary) -> dict:
    """The row's managers-only sections ({"orders": ..., "value": ...}); rows from before the orders follow-up
    stored the value section alone in `value_json` (and the orders, if any, in `facts_json`)."""
    stored = json.loads(row.value_json) if row.value_json is not None else None
    if not isinstance(stored, dict):
        return {}
    return stored if set(stored) <= set(MANAGER_SECTIONS) else {VALUE: stored}


def _shared(row: AiSummary, stored_facts: dict) -> bool:
    """Whether members may read the row: stored as shared and, for a row from before the orders follow-up whose
    main facts carried the orders, its main part names no order figure or order words either (checked now)."""
    if not row.shared_with_members:
        return False
    return ORDERS not in stored_facts or not grounding.restricted_figures(row.text, stored_facts)


def _view(row: AiSummary, username: str | None, stale: bool, viewer: Actor) -> SummaryView:
    """The row as this viewer may see it: members get the main part and the main facts only (no orders, no
    value); admins and managers also the managers-only part (after the main part, its flagged figures numbered
    on) and the `orders` and `value` sections."""
    stored, text = json.loads(row.facts_json), row.text
    facts = main_facts(stored)
    sections = {**{key: stored[key] for key in MANAGER_SECTIONS if key in stored}, **_stored_manager_facts(row)}
    facts.update({key: item for key, item in sections.items() if viewer.can(MANAGER_SECTIONS[key])})
    facts_text = row.facts_json if facts == stored else facts_json(facts)
    # the check stored with the summary is what it was generated with; summaries from before it are checked now,
    # and so are old ones whose stored check was made with the orders a member may not read of (its notes)
    recheck = not row.grounding_json or (ORDERS in stored and ORDERS not in facts)
    checked = (check_figures(row.text, {key: item for key, item in facts.items() if key != VALUE}) if recheck
               else grounding.ClaimCheck.from_json(row.grounding_json))
    has_manager_part = _sees_manager_part(viewer) and row.value_text is not None
    if has_manager_part:
        value_checked = (grounding.ClaimCheck.from_json(row.value_grounding_json) if row.value_grounding_json
                         else check_figures(row.value_text, facts))
        label = "" if _MARKER.match(row.value_text) else LEGACY_VALUE_LABEL
        offset = len(text) + 2 + len(label)
        text = f"{text}\n\n{label}{row.value_text}"
        checked = grounding.ClaimCheck(checked.claims + tuple(
            replace(claim, start=claim.start + offset, end=claim.end + offset) for claim in value_checked.claims))
    return SummaryView(id=row.id, text=text, marked_text=checked.marked(text), notes=tuple(checked.notes()),
                       unsupported_figures=len(checked.unsupported), misattributed_figures=len(checked.misattributed),
                       model=row.model, created_at=row.created_at,
                       generated_by=username or "a removed user", prompt_version=row.prompt_version,
                       total_tokens=row.total_tokens, credits=row.credits, facts=facts, facts_json=facts_text,
                       stale=stale, has_manager_part=has_manager_part, shared_with_members=_shared(row, stored))


def latest_summary(session: Session, *, actor: Actor, product_id: int, filters: ItemFilters) -> SummaryView | None:
    """The newest stored summary for exactly this viewer's scope, kind and filters, or None.

    Only summaries generated for the same scope are ever returned, so a member
    sees one only when it was generated within their own location(s), and
    nobody reads figures from locations outside their scope. A member (no
    `_sees_manager_part`) reads the main part and the main facts only (no
    orders, no value), and nothing at all when the newest summary's main part
    named money or orders (`_shared`): no older summary is shown instead.
    """
    actor.require(Right.VIEW_INVENTORY)
    found = _latest_row(session, product_id=product_id, scope_key=actor.scope_key,
                        kind_key=kind_key(filters), filters_key=filters_key(filters))
    if found is None:
        return None
    row, username = found
    stored = json.loads(row.facts_json)
    if not _sees_manager_part(actor) and not _shared(row, stored):
        return None
    unit_now = default_weight_unit(session)
    stale = (row.data_version != data_version(session, actor=actor, product_id=product_id, filters=filters)
             or stored.get("unit") != unit_now
             or (sees_values(actor) and VALUE in _stored_manager_facts(row)
                 and _values_changed_since(session, row.created_at)))
    return _view(row, username, stale, actor)


def _values_changed_since(session: Session, moment: datetime) -> bool:
    """A price recorded or a cost component added or edited after `moment` (workspace-wide: two max() reads):
    a summary whose facts carry the value held may then be out of date. A removed component is not seen."""
    newest = [session.scalar(select(func.max(RateVersion.recorded_at))),
              session.scalar(select(func.max(CostComponent.updated_at)))]
    return any(value is not None and value > moment for value in newest)


@dataclass(frozen=True)
class PanelState:
    """What the product page's AI panel needs, in one read."""

    enabled: bool
    configured_message: str  # "" when the endpoint is configured
    can_generate: bool
    summary: SummaryView | None


def panel_state(session: Session, *, actor: Actor, settings: Settings, product_id: int,
                filters: ItemFilters) -> PanelState:
    """Workspace switch, endpoint configuration, the viewer's right and the stored summary."""
    enabled = get_workspace(session).ai_summaries_enabled
    summary = latest_summary(session, actor=actor, product_id=product_id, filters=filters) if enabled else None
    return PanelState(enabled=enabled, configured_message=llm.not_configured_message(settings),
                      can_generate=actor.can(Right.GENERATE_AI_SUMMARY), summary=summary)


# ---------------------------------------------------------------- usage history

@dataclass(frozen=True)
class UsageReport:
    rows: list[dict]
    requests: int
    tokens: int
    credits: int


def usage_history(session: Session, *, actor: Actor, days: int = 30, limit: int = 500) -> UsageReport:
    """AI usage of the last `days` days, newest first (admins): date, user, feature, action, tokens, credits."""
    actor.require(Right.VIEW_AI_USAGE)
    since = utcnow() - timedelta(days=days)
    stmt = (select(AiUsage, User.username).outerjoin(User, User.id == AiUsage.user_id)
            .where(AiUsage.at >= since, AiUsage.pending.is_(False))
            .order_by(AiUsage.at.desc(), AiUsage.id.desc()).limit(limit))
    rows = [{"at": usage.at, "user": username or "removed user",
             "feature": FEATURE_LABELS.get(usage.feature, usage.feature), "action": usage.action,
             "model": usage.model, "tokens": usage.tokens, "credits": usage.credits}
            for usage, username in session.execute(stmt)]
    count, tokens, credits = session.execute(
        select(func.count(AiUsage.id), func.coalesce(func.sum(AiUsage.tokens), 0),
               func.coalesce(func.sum(AiUsage.credits), 0)).where(AiUsage.at >= since,
                                                                AiUsage.pending.is_(False))).one()
    return UsageReport(rows=rows, requests=int(count), tokens=int(tokens), credits=int(credits))
