"""Production benchmarks (run by `make bench`).

On a copy of the small demo (`bench.run.scratch_copy`: data/bench/production.db or a PostgreSQL
database, remade each run) grown to `JOBS` jobs through the lib
(each new job issues a small part of an available item; every other one receives half of it back):

- production_list_page_ms: `lib.production.overview.list_jobs`, first page of 25 of the "All" tab as an
  admin; median of 5 runs after one warm-up, each in its own session as a page rerun would be.
- production_list_search_ms: the same with a search (a product name word) on the Ongoing tab.
- production_overview_ms: the summary cards plus the jobs-by-stage counts.
- production_job_page_ms: `job_detail` of a job with a receipt (figures, issues, outputs, timeline).
- production_export_ms: `export_jobs` of every job (CSV).
- production_grow_ms_per_job: the median time of one `create_job` + `receive_job` while growing the copy.
"""
from __future__ import annotations

import statistics
import time
from decimal import Decimal

from sqlalchemy import func, select

from bench.run import BenchContext, Result, median_ms, scratch_copy
from lib import db
from lib.access import actor_for_user
from lib.errors import LoupeError
from lib.models import InventoryItem, ItemStatus, JobReceipt, Product, ProductionJob, ProductionStage, Role, User
from lib.production import jobs, overview, receipts
from lib.production.jobs import NewJob, SourceLine
from lib.production.receipts import OutputRow, ReceiptDraft

JOBS = 1_000
PAGE_TARGET_MS = 250


def _grow(engine, count: int) -> float:
    """Add jobs until there are `count`; the median milliseconds of one job (create, and half the time receive)."""
    times = []
    with db.session_scope(engine) as session:
        admin_id = session.scalar(select(User.id).where(User.role == Role.ADMIN))
        existing = session.scalar(select(func.count(ProductionJob.id)))
        stage_ids = session.scalars(select(ProductionStage.id).order_by(ProductionStage.sort_order)).all()
        candidates = session.execute(select(InventoryItem.id, InventoryItem.weight, InventoryItem.product_id,
                                            InventoryItem.kind, InventoryItem.weight_unit)
                                     .where(InventoryItem.status == ItemStatus.AVAILABLE,
                                            InventoryItem.weight >= Decimal("0.01"))
                                     .order_by(InventoryItem.id)).all()
    total = existing
    for number, (item_id, weight, product_id, kind, unit) in enumerate(candidates * 2):
        if total >= count:
            break
        part = (Decimal(weight) / 10).quantize(Decimal("0.0001"))
        started = time.perf_counter()
        try:
            with db.session_scope(engine, write=True) as session:
                actor = actor_for_user(session, admin_id)
                created = jobs.create_job(session, actor=actor, data=NewJob(
                    stage_id=stage_ids[number % len(stage_ids)], sources=(SourceLine(item_id, quantity=0,
                                                                                     weight=part),)))
                if number % 2 == 0:
                    receipts.receive_job(session, actor=actor, job_id=created.job_id, draft=ReceiptDraft(rows=(
                        OutputRow(product_id=product_id, kind=kind, weight=(part / 2).quantize(Decimal("0.0001")),
                                  pieces=0, weight_unit=unit),)))
        except LoupeError:  # an item emptied by an earlier round, or too small to split: take the next one
            continue
        times.append((time.perf_counter() - started) * 1000)
        total += 1
    return statistics.median(times) if times else 0.0


def run(context: BenchContext) -> list[Result]:
    url = scratch_copy(context, "production")
    engine = db.make_engine(url)
    grow_ms = _grow(engine, 60 if context.smoke else JOBS)
    with db.session_scope(engine) as session:
        admin = actor_for_user(session, session.scalar(select(User.id).where(User.role == Role.ADMIN)))
        word = session.scalars(select(Product.name).order_by(Product.id)).first().split()[0]
        with_receipt = session.scalar(select(JobReceipt.job_id).order_by(JobReceipt.id.desc()))
        total = overview.list_jobs(session, actor=admin, filters=overview.JobFilters(),
                                   page=overview.JobPage()).total

    def read(function):
        def call():
            with db.session_scope(engine) as session:
                function(session)
        return median_ms(call)

    results = [
        Result("production_list_page_ms", read(lambda s: overview.list_jobs(
            s, actor=admin, filters=overview.JobFilters(), page=overview.JobPage())), "ms", PAGE_TARGET_MS,
            f"page 1 of {total:,} jobs, All tab"),
        Result("production_list_search_ms", read(lambda s: overview.list_jobs(
            s, actor=admin, filters=overview.JobFilters(tab="ongoing", search=word), page=overview.JobPage())),
            "ms", PAGE_TARGET_MS, f"Ongoing tab, search {word!r}"),
        Result("production_overview_ms", read(lambda s: (overview.summary(s, actor=admin),
                                                         overview.stage_status_counts(s, actor=admin))),
               "ms", PAGE_TARGET_MS, "summary cards + jobs by stage and status"),
        Result("production_job_page_ms", read(lambda s: overview.job_detail(s, actor=admin, job_id=with_receipt)),
               "ms", PAGE_TARGET_MS, "one job with a receipt"),
        Result("production_export_ms", read(lambda s: overview.export_jobs(s, actor=admin,
                                                                           filters=overview.JobFilters())),
               "ms", None, f"{total:,} jobs to CSV"),
        Result("production_grow_ms_per_job", grow_ms, "ms", None,
               "median create_job (+ receive_job every other job), one transaction each"),
    ]
    engine.dispose()
    return results
