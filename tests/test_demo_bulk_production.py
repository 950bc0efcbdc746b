"""Production at volume for the large demo (lib.demo.bulk_production), tried on the small demo: ledger-true,
summaries true, and every job reads back through the lib as the status and figures its rows say."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select

from lib import db, ledger
from lib.access import actor_for_user
from lib.demo import build as demo
from lib.demo.bulk_production import add_bulk_production
from lib.enums import JobStatus
from lib.models import InventoryItem, JobOutput, JobReceipt, ProductionJob, Role, StockMovement, User
from lib.production.overview import job_detail
from lib.production.totals import job_figures

NOW = datetime(2026, 6, 30, 15, 0, tzinfo=timezone.utc)


def test_bulk_jobs_are_ledger_true_and_read_back_through_the_lib(databases):
    url = databases.new("bulk-production")
    engine = db.make_engine(url)
    try:
        demo.build_demo(engine, scale="small", seed=7, progress=None, now=NOW)
        with db.session_scope(engine) as session:
            jobs_before = session.scalar(select(func.count()).select_from(ProductionJob))
            movements_before = session.scalar(select(func.count()).select_from(StockMovement))
        made = add_bulk_production(engine, now=NOW, seed=7, count=300)
        assert made.jobs >= 250 and made.items > made.jobs  # the small demo has quiet stock for most of them
        with db.session_scope(engine) as session:
            assert ledger.verify(session) == []
            assert session.scalar(select(func.count()).select_from(ProductionJob)) == jobs_before + made.jobs
            assert session.scalar(select(func.count()).select_from(StockMovement)) == movements_before + made.movements
            assert session.scalar(select(func.max(StockMovement.moved_at))) <= NOW
            new_jobs = session.scalars(select(ProductionJob).order_by(ProductionJob.id).offset(jobs_before)).all()
            figures = job_figures(session, [job.id for job in new_jobs])
            completed = [job for job in new_jobs if job.closed_as is JobStatus.COMPLETED]
            assert 0.6 < len(completed) / len(new_jobs) < 0.85
            for job in completed:  # everything issued is accounted for: received, rejected, scrapped, waste
                assert figures[job.id].issued_g > 0 and abs(figures[job.id].issued_g - figures[job.id].recorded_g) \
                    < Decimal("0.001")
                assert job.closed_at >= figures[job.id].last_received_at
            assert len({job.staff_id for job in new_jobs}) >= 4 and len({job.stage_id for job in new_jobs}) >= 8
            numbers = [job.number for job in new_jobs]
            assert len(set(numbers)) == len(numbers)
            assert session.scalar(select(func.count()).select_from(JobReceipt).where(
                JobReceipt.job_id.in_([job.id for job in new_jobs]))) > len(completed)
            # Output items carry their source's tag and are where the job is.
            output = session.scalars(select(JobOutput).where(JobOutput.job_id == completed[0].id,
                                                             JobOutput.item_id.is_not(None))).first()
            item = session.get(InventoryItem, output.item_id)
            assert item.tag_id.startswith(session.get(InventoryItem, output.source_item_id).tag_id + "-")
            assert item.location_id == completed[0].location_id
            admin = session.scalar(select(User.id).where(User.role == Role.ADMIN))
            detail = job_detail(session, actor=actor_for_user(session, admin), job_id=completed[0].id)
            assert detail.status is JobStatus.COMPLETED and detail.outputs
    finally:
        engine.dispose()
