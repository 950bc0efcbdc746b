"""The report catalog: each report's name (its address and CLI name), title, right, machine columns and rows.

The page's CSV/XLSX export and `python -m lib.cli report NAME` both call `export_report`, so they write the
same file: weights as plain gram numbers in columns ending `_g`, days as ISO dates, times as
'YYYY-MM-DD HH:MM' (UTC), kinds as their stable values (e.g. `transfer_in`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from lib.access import Actor, Right
from lib.reports import valuation
from lib.errors import ValidationFailed
from lib.reports import orders, production, stock
from lib.reports.common import ReportFilters
from lib.reports.dates import DateRange
from lib.spreadsheet import ExportFile, write_export

_Q = Decimal("0.0001")


def g(value: Decimal | None) -> Decimal | None:
    """Grams as a plain number, four decimals at most, no trailing zeros, never in exponent form (None: empty)."""
    if value is None:
        return None
    value = value.quantize(_Q).normalize()
    return value.quantize(Decimal(1)) + 0 if value.as_tuple().exponent > 0 else value + 0


def _loss(row) -> tuple:
    return (g(row.issued_g), g(row.received_g), g(row.rejected_g), g(row.scrapped_g), g(row.waste_g), g(row.loss_g),
            row.loss_pct, row.norm_pct, g(row.over_norm_g))


_LOSS = ("issued_g", "received_g", "rejected_g", "scrapped_g", "waste_g", "loss_g", "loss_pct", "norm_pct",
         "over_norm_g")


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    group: str  # Inventory, Production, Orders
    right: Right
    uses_range: bool  # False: "as of now" (the range does not apply)
    headers: tuple[str, ...]
    rows: Callable[..., Iterator[tuple]]  # (session, actor, period, filters, size) -> machine rows
    description: str


def _stock_summary(session, actor, period, filters, size):
    for r in stock.stock_summary(session, actor=actor, period=period, filters=filters):
        yield r.product, r.category, r.kind.value, r.location, r.items, r.pieces, g(r.weight_g)


def _stock_movement(session, actor, period, filters, size):
    for r in stock.movement_log(session, actor=actor, period=period, filters=filters, limit=None):
        yield (r.at, r.tag, r.product, r.kind.value, r.location, r.movement_kind.value, r.pieces_delta,
               g(r.weight_delta_g), r.user, r.counterpart, r.reference, r.note)


def _low_stock(session, actor, period, filters, size):
    for r in stock.low_stock(session, actor=actor, period=period, filters=filters):
        yield (r.product, r.kind, r.location, r.held_pieces, g(r.held_weight_g), r.min_pieces, g(r.min_weight_g),
               r.short_pieces, g(r.short_weight_g))


def _production_summary(session, actor, period, filters, size):
    for r in production.production_summary(session, actor=actor, period=period, filters=filters, size=size):
        yield (r.period, r.stage) + _loss(r)


def _loss_by_person(session, actor, period, filters, size):
    for r in production.loss_by_person(session, actor=actor, period=period, filters=filters):
        yield (r.person, r.stage, r.jobs) + _loss(r)


def _stage_performance(session, actor, period, filters, size):
    for r in production.stage_performance(session, actor=actor, period=period, filters=filters):
        yield (r.stage, r.jobs_completed, r.median_days, r.p90_days, g(r.issued_g), g(r.scrapped_g), g(r.waste_g),
               r.loss_pct, r.norm_pct)


def _waste_log(session, actor, period, filters, size):
    for r in production.waste_log(session, actor=actor, period=period, filters=filters):
        yield r.at, r.day, r.job, r.stage, r.operator, r.event, r.pieces, g(r.weight_g), r.tag


def _order_summary(session, actor, period, filters, size):
    for r in orders.order_summary(session, actor=actor, period=period, filters=filters, size=size):
        yield (r.period, r.orders_created, r.orders_completed, r.orders_open, r.orders_cancelled, r.lines_on_time,
               r.lines_late, r.lines_no_date, r.on_time_pct)


def _valuation(session, actor, period, filters, size):
    """As of the range's last day (the page and `--as-of` give a one-day range)."""
    for r in valuation.valuation(session, actor=actor, as_of=period.end, filters=filters):
        yield (r.product, r.kind.value, r.location, r.currency, r.value_at_cost, r.value_at_current_rates,
               r.metal_value_at_current_rates)


REPORTS: dict[str, Report] = {report.name: report for report in (
    Report("stock-summary", "Stock summary", "Inventory", Right.VIEW_INVENTORY, False,
           ("product", "category", "kind", "location", "items", "pieces", "weight_g"), _stock_summary,
           "Held items, pieces and weight by product, kind and location, now."),
    Report("stock-movement", "Stock movement", "Inventory", Right.VIEW_INVENTORY, True,
           ("moved_at", "tag", "product", "kind", "location", "movement", "pieces_delta", "weight_delta_g", "user",
            "counterpart", "reference", "note"), _stock_movement,
           "Every change of stock in the range: totals by kind of movement, and the full log."),
    Report("low-stock", "Low stock", "Inventory", Right.VIEW_INVENTORY, False,
           ("product", "kind", "location", "held_pieces", "held_weight_g", "min_pieces", "min_weight_g",
            "short_pieces", "short_weight_g"), _low_stock,
           "Products below the reorder level set on their Product Details page, now."),
    Report("valuation", "Stock valuation", "Inventory", Right.VIEW_RATES, False,
           ("product", "kind", "location", "currency", "value_at_cost", "value_at_current_rates",
            "metal_value_at_current_rates"), _valuation,
           "What the stock held at the end of a day was worth: at cost (prices when each item came in) and at the "
           "rates in force that day, by product, kind and location. Admins and managers."),
    Report("production-summary", "Production summary", "Production", Right.VIEW_PRODUCTION, True,
           ("period", "stage") + _LOSS, _production_summary,
           "Issued, received, rejected, scrapped and waste per stage and period; loss % against each stage's norm."),
    Report("loss-by-person", "Metal loss by person", "Production", Right.VIEW_PRODUCTION, True,
           ("person", "stage", "jobs") + _LOSS, _loss_by_person,
           "The same figures per staff member of the jobs and stage, with the grams above norm."),
    Report("stage-performance", "Stage performance", "Production", Right.VIEW_PRODUCTION, True,
           ("stage", "jobs_completed", "median_days", "p90_days", "issued_g", "scrapped_g", "waste_g", "loss_pct",
            "norm_pct"), _stage_performance,
           "Days from first issue to completion (median, 90th percentile) and loss of the jobs completed."),
    Report("waste-log", "Waste & scrap log", "Production", Right.VIEW_PRODUCTION, True,
           ("recorded_at", "received_on", "job", "stage", "operator", "event", "pieces", "weight_g", "tag"),
           _waste_log, "Each waste, reject and scrap recorded in the range, and pending written off as waste."),
    Report("order-summary", "Order summary", "Orders", Right.VIEW_ORDERS, True,
           ("period", "orders_created", "orders_completed", "orders_open", "orders_cancelled", "lines_on_time",
            "lines_late", "lines_no_date", "on_time_pct"), _order_summary,
           "Sales orders created, completed and open per period; lines shipped on time or late; open demand."),
)}


def get_report(name: str) -> Report:
    """The report called `name`; ValidationFailed listing the names otherwise."""
    if name not in REPORTS:
        raise ValidationFailed(f"Unknown report {name!r}; choose one of: {', '.join(REPORTS)}.")
    return REPORTS[name]


def reports_for(actor: Actor) -> list[Report]:
    """The reports this viewer may open (members: no order reports)."""
    return [report for report in REPORTS.values() if actor.can(report.right)]


def export_report(session: Session, *, actor: Actor, name: str, period: DateRange,
                  filters: ReportFilters = ReportFilters(), fmt: str = "csv", size: str = "month") -> ExportFile:
    """The report as a CSV or XLSX file (machine columns): what the page's download and the CLI write."""
    report = get_report(name)
    actor.require(report.right)
    rows = report.rows(session, actor, period, filters, size)
    basename = f"{name}_{period.start.isoformat()}_{period.end.isoformat()}"
    return write_export(report.headers, rows, fmt, basename, sheet_title=report.title[:31])
