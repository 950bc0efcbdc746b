"""Inventory list and export benchmarks (run by `make bench`).

- inventory_first_page_ms: `lib.inventory.items.list_items` (first page of 50 with thumbnails, plus the totals line)
  with no filter, as an admin who sees every location; median of 5 runs after one warm-up, each in its own
  session as a page rerun would be.
- inventory_filtered_page_ms: the same with a search (the first word of the first product's name) plus two
  filters (kind Finished and the first location).
- inventory_export_peak_mb: peak growth of Python heap memory (tracemalloc) while `lib.inventory.export.export_items`
  writes every item to CSV. tracemalloc counts what Python allocates (rows, strings, the csv writer); SQLite's
  own page cache lives outside it and is bounded by its cache_size. The note adds the process's peak resident
  memory growth (Linux VmHWM after a reset) during a separate export run without tracemalloc, and its time.

The same page figures are measured on the small demo (suffix _small) to show how the cost grows with size.
"""
from __future__ import annotations

import time
import tracemalloc

from sqlalchemy import select

from bench.run import BenchContext, Result, median_ms
from lib import db
from lib.access import actor_for_user
from lib.inventory import export, items
from lib.inventory.query import ItemFilters, Page
from lib.models import InventoryKind, Location, Product, Role, User
from lib.workspace.settings import default_weight_unit

PAGE_TARGET_MS = 250
EXPORT_TARGET_MB = 150


def _admin_and_filters(engine) -> tuple:
    with db.session_scope(engine) as session:
        admin_id = session.scalars(select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))
                                   .order_by(User.id)).first()
        actor = actor_for_user(session, admin_id)
        word = session.scalars(select(Product.name).order_by(Product.id)).first().split()[0].lower()
        location_id = session.scalars(select(Location.id).order_by(Location.id)).first()
        unit = default_weight_unit(session)
    filtered = ItemFilters(search=word, kinds=(InventoryKind.FINISHED,), location_ids=(location_id,))
    return actor, filtered, unit


def _page_ms(engine, actor, filters: ItemFilters) -> tuple[float, int]:
    found = {}

    def call():
        with db.session_scope(engine) as session:
            view = items.list_items(session, actor=actor, filters=filters, page=Page())
            found["items"] = view.totals.items

    return median_ms(call, repeat=5, warmup=1), found["items"]


def _rss_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return None


def _export_rss_growth_mb(engine, actor, unit: str) -> tuple[float | None, float]:
    """Peak resident-set growth (Linux VmHWM, reset through /proc/self/clear_refs) of one plain export."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current RSS
    except OSError:
        return None, 0.0
    before = _rss_kb("VmHWM")
    started = time.perf_counter()
    with db.session_scope(engine) as session:
        exported = export.export_items(session, actor=actor, filters=ItemFilters(), fmt="csv", unit=unit)
    seconds = time.perf_counter() - started
    exported.path.unlink(missing_ok=True)
    after = _rss_kb("VmHWM")
    return ((after - before) / 1024 if before and after else None), seconds


def _export_peak_mb(engine, actor, unit: str) -> tuple[float, int, float]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    baseline = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    with db.session_scope(engine) as session:
        exported = export.export_items(session, actor=actor, filters=ItemFilters(), fmt="csv", unit=unit)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    exported.path.unlink(missing_ok=True)
    return (peak - baseline) / 1024 / 1024, exported.rows, seconds


def run(context: BenchContext) -> list[Result]:
    results: list[Result] = []
    for suffix, engine, target in (("", context.large, PAGE_TARGET_MS), ("_small", context.small, None)):
        actor, filtered, unit = _admin_and_filters(engine)
        first, items = _page_ms(engine, actor, ItemFilters())
        narrow, matched = _page_ms(engine, actor, filtered)
        scale = "large" if not suffix else "small"
        results.append(Result(f"inventory_first_page_ms{suffix}", first, "ms", target,
                              f"{scale}: page 1 of {items:,} items + totals, no filter"))
        results.append(Result(f"inventory_filtered_page_ms{suffix}", narrow, "ms", target,
                              f"{scale}: search {filtered.search!r} + kind + location -> {matched:,} items"))
        if not suffix:
            rss, plain_seconds = _export_rss_growth_mb(engine, actor, unit)
            peak, rows, _ = _export_peak_mb(engine, actor, unit)
            rss_text = f"; RSS peak growth {rss:.1f} MB" if rss is not None else ""
            results.append(Result("inventory_export_peak_mb", peak, "MB", EXPORT_TARGET_MB,
                                  f"tracemalloc peak, {rows:,} rows to CSV in {plain_seconds:.0f} s{rss_text}"))
    return results
