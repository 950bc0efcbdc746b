"""Production reports against figures worked out by hand (lib.reports.production, lib.reports.norms).

Story (March 2026, grams): Casting allows 1.5 % loss, Polishing 1.0 %. At North, Wendy casts 100 g (job A,
issued 2 Mar): on 4 Mar 90 g come back good, 3 g rejected, 2 g scrapped, 3 g waste; the job is completed on
5 Mar with the 2 g still pending written off. Wendy then polishes the 90 g casting (job B, 6 Mar): on 7 Mar
89 g good and 1 g waste; completed 8 Mar. At South, Sunny casts 50 g (job S, 3 Mar): 35 g good and 5 g waste
on 6 Mar after giving 10 g back unused on 4 Mar (net issued 40 g), still open. A North viewer sees jobs A and B
only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, literal, select

from lib.errors import NotFound, PermissionDenied, ValidationFailed
from lib.models import InventoryItem, JobOutput, OutputBucket, Role
from lib.production import bench, jobs, receipts, stages
from lib.production.jobs import NewJob, SourceLine
from lib.production.receipts import OutputRow, Portion, ReceiptDraft
from lib.reports import dates, norms, production
from lib.reports.common import ReportFilters, as_date, period_expression, period_start
from tests import factories as f

MARCH = dates.DateRange(date(2026, 3, 1), date(2026, 3, 31))
D = Decimal


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=timezone.utc)


@dataclass
class Shop:
    admin: object
    north_manager: object
    north_member: object
    north: int
    south: int
    casting: int
    polishing: int
    job_a: int
    job_b: int
    job_s: int
    wendy: int


@pytest.fixture
def shop(session) -> Shop:
    f.make_workspace(session, name="Loss Workshop")
    north, south = f.make_location(session, "North"), f.make_location(session, "South")
    admin = f.actor(session, f.make_user(session, Role.ADMIN, None))
    wendy = f.make_user(session, Role.MEMBER, north, username="wendy")
    wendy.name = "Wendy"
    sunny = f.make_user(session, Role.MEMBER, south, username="sunny")
    sunny.name = "Sunny"
    gold = f.make_product(session, "Gold", "GLD")
    casting = stages.add_stage(session, actor=admin, name="Casting", code="CAST")
    polishing = stages.add_stage(session, actor=admin, name="Polishing", code="POL")
    norms.set_loss_norm(session, actor=admin, stage_id=casting.id, norm="1.5")
    norms.set_loss_norm(session, actor=admin, stage_id=polishing.id, norm="1")
    north_gold = f.make_item(session, gold, north, quantity=1, weight="100")
    south_gold = f.make_item(session, gold, south, quantity=1, weight="50")

    job_a = jobs.create_job(session, actor=admin, recorded_at=at(2), data=NewJob(
        stage_id=casting.id, sources=(SourceLine(north_gold.id),), staff_id=wendy.id,
        issued_on=date(2026, 3, 2))).job_id
    receipts.receive_job(session, actor=admin, job_id=job_a, recorded_at=at(4), draft=ReceiptDraft(
        received_on=date(2026, 3, 4), rows=(OutputRow(product_id=gold.id, weight="90", pieces=1, waste="3",
                                                      rejected=Portion(weight="3", pieces=1),
                                                      scrapped=Portion(weight="2", pieces=1)),)))
    jobs.close_job(session, actor=admin, job_id=job_a, reason="dust in the flask", recorded_at=at(5))
    casting_out = session.get(InventoryItem, session.scalars(JobOutput.__table__.select().with_only_columns(
        JobOutput.item_id).where(JobOutput.job_id == job_a, JobOutput.bucket == OutputBucket.RECEIVED)).one())
    job_b = jobs.create_job(session, actor=admin, recorded_at=at(6), data=NewJob(
        stage_id=polishing.id, sources=(SourceLine(casting_out.id),), staff_id=wendy.id,
        issued_on=date(2026, 3, 6))).job_id
    receipts.receive_job(session, actor=admin, job_id=job_b, recorded_at=at(7), draft=ReceiptDraft(
        received_on=date(2026, 3, 7), rows=(OutputRow(product_id=gold.id, weight="89", pieces=1, waste="1"),)))
    jobs.close_job(session, actor=admin, job_id=job_b, recorded_at=at(8))
    job_s = jobs.create_job(session, actor=admin, recorded_at=at(3), data=NewJob(
        stage_id=casting.id, sources=(SourceLine(south_gold.id),), staff_id=sunny.id,
        issued_on=date(2026, 3, 3))).job_id
    (issue_s,) = bench.returnable(session, actor=admin, job_id=job_s)
    bench.return_stock(session, actor=admin, job_id=job_s, issue_id=issue_s.issue_id, weight="10", note="unused",
                       recorded_at=at(4))
    receipts.receive_job(session, actor=admin, job_id=job_s, recorded_at=at(6), draft=ReceiptDraft(
        received_on=date(2026, 3, 6), rows=(OutputRow(product_id=gold.id, weight="35", pieces=1, waste="5"),)))
    session.flush()
    return Shop(admin, f.actor(session, f.make_user(session, Role.MANAGER, north)),
                f.actor(session, f.make_user(session, Role.MEMBER, north)), north.id, south.id, casting.id,
                polishing.id, job_a, job_b, job_s, wendy.id)


def figures(row) -> tuple:
    return (row.issued_g, row.received_g, row.rejected_g, row.scrapped_g, row.waste_g, row.loss_pct, row.over_norm_g)


def test_production_summary_per_stage_for_an_admin(session, shop):
    rows = production.production_summary(session, actor=shop.admin, period=MARCH)
    assert [(row.period, row.stage) for row in rows] == [(date(2026, 3, 1), "Casting"), (date(2026, 3, 1), "Polishing")]
    casting, polishing = rows
    # Casting: 100 + 50 issued − 10 given back; 90 + 35 good; 3 rejected; 2 scrapped; waste 3 + 2 written off + 5.
    assert figures(casting) == (D(140), D(125), D(3), D(2), D(10), D("8.57"), D("9.9"))
    assert figures(polishing) == (D(90), D(89), D(0), D(0), D(1), D("1.11"), D("0.1"))
    assert casting.above_norm and polishing.above_norm


def test_a_north_viewer_sees_north_jobs_only(session, shop):
    for viewer in (shop.north_manager, shop.north_member):
        casting, polishing = production.production_summary(session, actor=viewer, period=MARCH)
        assert figures(casting) == (D(100), D(90), D(3), D(2), D(5), D("7.00"), D("5.5"))
        assert figures(polishing) == (D(90), D(89), D(0), D(0), D(1), D("1.11"), D("0.1"))
    with pytest.raises(PermissionDenied):
        production.production_summary(session, actor=shop.north_member, period=MARCH,
                                      filters=ReportFilters(location_id=shop.south))


def test_periods_split_by_week(session, shop):
    rows = production.production_summary(session, actor=shop.north_manager, period=MARCH, size="week")
    # Weeks start on Monday: 2 Mar (job A issued, received, written off; job B issued) and 9 Mar (nothing).
    assert {(row.period, row.stage): row.issued_g for row in rows} == {
        (date(2026, 3, 2), "Casting"): D(100), (date(2026, 3, 2), "Polishing"): D(90)}


def test_a_range_outside_the_events_is_empty(session, shop):
    assert production.production_summary(session, actor=shop.admin,
                                         period=dates.DateRange(date(2026, 4, 1), date(2026, 4, 30))) == []


def test_loss_by_person_flags_the_grams_over_norm(session, shop):
    rows = production.loss_by_person(session, actor=shop.admin, period=MARCH)
    by = {(row.person, row.stage): row for row in rows}
    assert set(by) == {("Wendy", "Casting"), ("Wendy", "Polishing"), ("Sunny", "Casting")}
    assert figures(by["Wendy", "Casting"]) == (D(100), D(90), D(3), D(2), D(5), D("7.00"), D("5.5"))
    assert figures(by["Sunny", "Casting"])[-2:] == (D("12.50"), D("4.4"))  # 5 of a net 40 g; 5 − 0.6 over
    assert by["Wendy", "Polishing"].jobs == 1
    north = production.loss_by_person(session, actor=shop.north_member, period=MARCH)
    assert {row.person for row in north} == {"Wendy"}


def test_jobs_above_norm_most_grams_first(session, shop):
    rows = production.jobs_above_norm(session, actor=shop.north_manager, period=MARCH)
    assert [(row.job_id, row.over_norm_g) for row in rows] == [(shop.job_a, D("5.5")), (shop.job_b, D("0.1"))]
    (most,) = production.jobs_above_norm(session, actor=shop.admin, period=MARCH, limit=1)
    assert (most.job_id, most.over_norm_g) == (shop.job_a, D("5.5"))  # Sunny's open job S: 4.4 g over
    assert [row.job_id for row in production.jobs_above_norm(session, actor=shop.admin, period=MARCH)] == [
        shop.job_a, shop.job_s, shop.job_b]


def test_job_loss_vs_norm(session, shop):
    job = norms.job_loss_vs_norm(session, actor=shop.north_member, job_id=shop.job_a)
    assert (job.issued_g, job.loss_g, job.loss_pct, job.norm_pct, job.over_norm_g) == (
        D(100), D(7), D("7.00"), D("1.50"), D("5.5"))
    with pytest.raises(NotFound):
        norms.job_loss_vs_norm(session, actor=shop.north_member, job_id=shop.job_s)


def test_stage_performance_days_and_loss(session, shop):
    rows = production.stage_performance(session, actor=shop.admin, period=MARCH)
    assert [(row.stage, row.jobs_completed, row.median_days, row.p90_days) for row in rows] == [
        ("Casting", 1, D("3.0"), D("3.0")), ("Polishing", 1, D("2.0"), D("2.0"))]
    casting = rows[0]
    assert (casting.issued_g, casting.scrapped_g, casting.waste_g, casting.loss_pct) == (D(100), D(2), D(5), D("7.00"))


def test_percentile_is_a_real_figure():
    values = [D(n) for n in (5, 1, 3, 2, 4, 10, 6, 7, 8, 9)]
    assert production._percentile(values, D("0.9")) == D(9)
    assert production._percentile([D(1)], D("0.9")) == D(1)


def test_waste_log_lists_each_event(session, shop):
    rows = production.waste_log(session, actor=shop.north_member, period=MARCH)
    assert [(row.day, row.event, row.weight_g, row.operator) for row in rows] == [
        (date(2026, 3, 7), "Waste", D(1), "Wendy"),
        (date(2026, 3, 5), "Written off", D(2), "Wendy"),
        (date(2026, 3, 4), "Waste", D(3), "Wendy"),
        (date(2026, 3, 4), "Scrapped", D(2), "Wendy"),
        (date(2026, 3, 4), "Rejected", D(3), "Wendy"),
    ]
    admin = production.waste_log(session, actor=shop.admin, period=MARCH)
    assert len(admin) == 6 and any(row.operator == "Sunny" for row in admin)
    assert len(production.waste_log(session, actor=shop.admin, period=MARCH, limit=2)) == 2


def test_bad_norms_are_refused_and_nothing_written(session, shop):
    for bad in ("-1", "abc", "101", "1.234", "nan"):
        with pytest.raises(ValidationFailed):
            norms.set_loss_norm(session, actor=shop.admin, stage_id=shop.casting, norm=bad)
    with pytest.raises(PermissionDenied):
        norms.set_loss_norm(session, actor=shop.north_manager, stage_id=shop.casting, norm="2")
    assert norms.job_loss_vs_norm(session, actor=shop.admin, job_id=shop.job_a).norm_pct == D("1.50")
    norms.set_loss_norm(session, actor=shop.admin, stage_id=shop.casting, norm="")
    assert norms.job_loss_vs_norm(session, actor=shop.admin, job_id=shop.job_a).over_norm_g is None


def test_preset_norms_fill_only_blank_stages(session, shop):
    stages.add_stage(session, actor=shop.admin, name="Metal Casting", code="MC")
    mine = stages.add_stage(session, actor=shop.admin, name="Final Polish", code="FP")
    norms.set_loss_norm(session, actor=shop.admin, stage_id=mine.id, norm="2")
    assert norms.fill_preset_norms(session, actor=shop.admin) == 1
    by_code = {stage.code: stage.loss_norm_pct for stage in stages.list_stages(session)}
    assert by_code["MC"] == D("1.50") and by_code["FP"] == D("2.00")


def test_date_ranges():
    today = date(2026, 5, 20)
    assert dates.preset_range("last-7-days", today) == dates.DateRange(date(2026, 5, 14), today)
    assert dates.preset_range("this-quarter", today) == dates.DateRange(date(2026, 4, 1), today)
    assert dates.preset_range("this-month", today).start == date(2026, 5, 1)
    with pytest.raises(ValidationFailed, match="before it starts"):
        dates.checked(date(2026, 5, 2), date(2026, 5, 1))
    with pytest.raises(ValidationFailed, match="five years"):
        dates.checked(date(1976, 1, 1), date(2026, 1, 1))
    with pytest.raises(ValidationFailed, match="not a date"):
        dates.resolve("custom", "2026-13-01", "2026-12-01")


@pytest.mark.parametrize("size", ["day", "week", "month"])
def test_every_period_size_adds_up_to_the_same_totals(session, shop, size):
    rows = production.production_summary(session, actor=shop.admin, period=MARCH, size=size)
    totals = {}
    for row in rows:
        totals[row.stage] = [a + b for a, b in zip(totals.get(row.stage, [D(0)] * 5), figures(row)[:5])]
    assert totals == {"Casting": [D(140), D(125), D(3), D(2), D(10)], "Polishing": [D(90), D(89), D(0), D(0), D(1)]}
    assert all(row.period == period_start(row.period, size) for row in rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
       size=st.sampled_from(["day", "week", "month"]))
def test_python_periods_match_the_databases(session, day, size):
    """The Python fold (SQLite groups by day text) and the SQL bucket (PostgreSQL's date_trunc) agree."""
    in_sql = session.scalar(select(period_expression(session, literal(day, Date), size, is_date=True)))
    assert as_date(in_sql) == period_start(day, size)


@settings(max_examples=60, deadline=None)
@given(start=st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 1, 1)),
       length=st.integers(min_value=-400, max_value=dates.MAX_DAYS + 400))
def test_ranges_are_refused_exactly_when_reversed_or_too_long(start, length):
    end = start + timedelta(days=length)
    if length < 0 or length + 1 > dates.MAX_DAYS:
        with pytest.raises(ValidationFailed):
            dates.checked(start, end)
    else:
        assert dates.checked(start, end).days == length + 1
