"""lib.production: stages, jobs that issue stock, receipts that bring output back, and what the overview reads.

Story: North holds a rough Ruby lot (RUBLOT, 10 pcs, 100 g) and a second lot in carats; South holds a Ruby of
its own. Nina manages North, Mo is a North member, Sam a South member. Nina issues the lot into Cutting, receives
82 g good, 5 g rejected, 8 g scrap and 5 g waste (the reference's documented example), issues the -RCV output
into Polishing, and so on.
"""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lib import ledger
from lib.access import Right
from lib.errors import LoupeError, NotFound, PermissionDenied, ValidationFailed
from lib.inventory import stock
from lib.models import (
    AuditEntry,
    InventoryItem,
    InventoryKind,
    ItemStatus,
    JobIssue,
    JobOutput,
    JobStatus,
    MovementKind,
    OutputBucket,
    ProductionJob,
    Role,
    StockMovement,
    Workspace,
)
from lib.models.base import utcnow
from lib.production import jobs, overview, receipts, stages
from lib.production.jobs import NewJob, SourceLine
from lib.production.receipts import OutputRow, Portion, ReceiptDraft
from lib.workspace import settings
from tests import factories as f

D = Decimal


def current_day() -> date:
    """Today as the app counts it (UTC), read when a test needs it: a run that passes midnight stays right."""
    return utcnow().date()


@pytest.fixture
def shop(session):
    f.make_workspace(session, tag_prefix="T", default_weight_unit="g", job_id_prefix="JOB-")
    north, south = f.make_location(session, f.unique("North ")), f.make_location(session, f.unique("South "))
    admin = f.actor(session, f.make_user(session, Role.ADMIN))
    nina_user = f.make_user(session, Role.MANAGER, north)
    nina = f.actor(session, nina_user)
    mo_user = f.make_user(session, Role.MEMBER, north)
    mo = f.actor(session, mo_user)
    sam = f.actor(session, f.make_user(session, Role.MEMBER, south))
    cutting = stages.add_stage(session, actor=admin, name=f.unique("Cutting "), code=f.unique("CUT"),
                               kinds=[InventoryKind.ROUGH])
    polishing = stages.add_stage(session, actor=admin, name=f.unique("Polishing "), code=f.unique("POL"))
    ruby = f.make_product(session, short_name=f.unique("RUB"))
    lot = f.make_item(session, ruby, north, quantity=10, weight="100", unit="g", kind=InventoryKind.ROUGH,
                      tag_id=f.unique("RUBLOT"))
    carats = f.make_item(session, ruby, north, quantity=4, weight="50", unit="ct", kind=InventoryKind.ROUGH,
                         tag_id=f.unique("RUBCT"))
    southern = f.make_item(session, ruby, south, quantity=3, weight="30", unit="g", kind=InventoryKind.ROUGH,
                           tag_id=f.unique("SOUTH"))
    return dict(north=north, south=south, admin=admin, nina=nina, nina_user=nina_user, mo=mo, mo_user=mo_user,
                sam=sam, cutting=cutting, polishing=polishing, ruby=ruby, lot=lot, carats=carats, southern=southern)


def _new_job(shop, *sources, **changes) -> NewJob:
    values = dict(stage_id=shop["cutting"].id, sources=tuple(sources), issued_on=current_day(),
                  deadline=current_day() + timedelta(days=7))
    values.update(changes)
    return NewJob(**values)


def _create(session, shop, *sources, actor="nina", **changes) -> jobs.CreatedJob:
    return jobs.create_job(session, actor=shop[actor], data=_new_job(shop, *sources, **changes))


def _row(shop, **changes) -> OutputRow:
    values = dict(product_id=shop["ruby"].id, kind=InventoryKind.ROUGH, weight="82", weight_unit="g", pieces=8)
    values.update(changes)
    return OutputRow(**values)


def _receive(session, shop, job_id, *rows, actor="nina", confirm=False, **header):
    draft = ReceiptDraft(rows=tuple(rows), **header)
    return receipts.receive_job(session, actor=shop[actor], job_id=job_id, draft=draft, confirm=confirm)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _detail(session, shop, job_id, actor="nina"):
    return overview.job_detail(session, actor=shop[actor], job_id=job_id)


# ---------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------

def test_stages_are_seeded_from_the_shipped_preset_once(session):
    workspace = f.make_workspace(session)
    added = stages.seed_stages(session, "jewelry")
    names = [stage.name for stage in stages.list_stages(session)]
    assert added == 20 and names[0] == "Design Sign-off & BOM" and names[-1] == "Clean, Label & Pack"
    assert [stage.code for stage in stages.list_stages(session)][:3] == ["DS", "CAD", "MDL"]
    assert workspace.default_start_stage_id == stages.list_stages(session)[0].id
    assert stages.seed_stages(session, "jewelry") == 0  # nothing missing, nothing changed
    assert stages.seed_stages(session, "gemstones") == 7  # PF, PP, FP and QA are jewelry codes already
    with pytest.raises(ValidationFailed, match="Unknown industry"):
        stages.seed_stages(session, "bakery")


def test_admins_manage_stages_with_clear_refusals(session, shop):
    admin = shop["admin"]
    stage = stages.add_stage(session, actor=admin, name="Setting", code="set-1", description="Stones in",
                             kinds=["finished", "rough"], sort_order=5)
    assert (stage.code, stage.kinds, stage.sort_order) == ("SET-1", (InventoryKind.ROUGH, InventoryKind.FINISHED), 5)
    with pytest.raises(ValidationFailed, match="already exists"):
        stages.add_stage(session, actor=admin, name="setting", code="OTHER")
    with pytest.raises(ValidationFailed, match="already used"):
        stages.add_stage(session, actor=admin, name="Other", code="SET-1")
    with pytest.raises(ValidationFailed, match="Unknown inventory kind"):
        stages.add_stage(session, actor=admin, name="Other", code="OTH", kinds=["gold"])
    with pytest.raises(PermissionDenied):
        stages.add_stage(session, actor=shop["nina"], name="Mine", code="MINE")
    settings.update_settings(session, actor=admin, default_start_stage_id=stage.id)
    with pytest.raises(ValidationFailed, match="default start stage"):
        stages.update_stage(session, actor=admin, stage_id=stage.id, name="Setting", code="SET-1", active=False)
    stages.update_stage(session, actor=admin, stage_id=shop["polishing"].id, name=shop["polishing"].name,
                        code=shop["polishing"].code, sort_order=1, active=True)
    assert stages.default_stage(session).id == stage.id
    assert session.scalar(select(func.count()).where(AuditEntry.entity == "production_stage")) >= 2


def test_workspace_production_defaults_are_validated(session, shop):
    admin = shop["admin"]
    settings.update_settings(session, actor=admin, job_id_prefix="mj-", due_date_offset_days="10")
    workspace = session.scalars(select(Workspace)).one()
    assert (workspace.job_id_prefix, workspace.due_date_offset_days) == ("MJ-", 10)
    for bad in ({"due_date_offset_days": "-1"}, {"due_date_offset_days": "ten"}, {"job_id_prefix": "X" * 13},
                {"default_start_stage_id": 999999}):
        with pytest.raises(ValidationFailed):
            settings.update_settings(session, actor=admin, **bad)
    assert jobs.defaults(session).deadline_for(date(2026, 1, 30)) == date(2026, 2, 9)


# ---------------------------------------------------------------------------
# Creating jobs and issuing stock
# ---------------------------------------------------------------------------

def test_a_job_issues_its_source_stock_through_the_ledger(session, shop):
    lot = shop["lot"]
    created = _create(session, shop, SourceLine(lot.id))
    job = session.get(ProductionJob, created.job_id)
    assert created.number == job.number and job.number.startswith("JOB-") and len(job.number) == 8
    assert [(i.tag_id, i.quantity, i.weight, i.weight_unit) for i in created.issued] == [
        (lot.tag_id, 10, D("100"), "g")]
    assert (lot.quantity, lot.weight, lot.status) == (0, D("0"), ItemStatus.CONSUMED)
    movement = session.scalars(select(StockMovement).where(StockMovement.item_id == lot.id)
                               .order_by(StockMovement.id.desc())).first()
    assert (movement.movement_kind, movement.reference, movement.weight_delta) == (
        MovementKind.PRODUCTION_ISSUE, job.number, D("-100"))
    assert movement.movement_kind.label == "Production issue"
    (issue,) = session.scalars(select(JobIssue).where(JobIssue.job_id == job.id)).all()
    assert (issue.movement_id, issue.weight_g, issue.product_id) == (movement.id, D("100"), shop["ruby"].id)
    assert stock.issued_balance(session, item_id=lot.id, reference=job.number) == (10, D("100"))
    assert _detail(session, shop, job.id).status is JobStatus.ONGOING and job.location_id == shop["north"].id
    assert ledger.verify(session) == []


def test_part_issue_in_any_unit_and_totals_in_the_default_unit(session, shop):
    lot, carats = shop["lot"], shop["carats"]
    created = _create(session, shop, SourceLine(lot.id, quantity=2, weight="20"),
                      SourceLine(carats.id, quantity=1, weight="12.5"), split="even", requested_pieces="3",
                      requested_weight="5", requested_weight_unit="g")
    assert (lot.quantity, lot.weight, carats.quantity, carats.weight) == (8, D("80"), 3, D("37.5"))
    detail = _detail(session, shop, created.job_id)
    assert detail.figures.issued_g == D("22.5")  # 20 g + 12.5 ct (2.5 g)
    assert detail.text(detail.figures.issued_g) == "22.500 g"
    assert [(line.requested_quantity, line.requested_weight) for line in detail.issues] == [
        (2, D("2.5")), (1, D("2.5"))]
    assert detail.progress.base == D("5") and detail.figures.requested_g == D("5")
    f.make_workspace(session, default_weight_unit="ct")
    assert _detail(session, shop, created.job_id).text(detail.figures.issued_g) == "112.500 ct"


def test_per_item_requested_amounts_add_up_to_the_job_totals(session, shop):
    created = _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="10", requested_quantity=1,
                                                requested_weight="8"),
                      SourceLine(shop["carats"].id, quantity=1, weight="10", requested_weight="1.5"),
                      split="item", requested_weight_unit="g")
    job = session.get(ProductionJob, created.job_id)
    assert (job.requested_pieces, job.requested_weight, job.requested_weight_g) == (1, D("9.5"), D("9.5"))
    with pytest.raises(ValidationFailed, match="'Per item' split only"):
        _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="1", requested_weight="1"))
    with pytest.raises(ValidationFailed, match="Match issued"):
        _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="1"), requested_weight="1")


def test_a_stage_that_does_not_apply_to_the_issued_kind_warns(session, shop):
    finished = f.make_item(session, shop["ruby"], shop["north"], quantity=1, weight="2", kind=InventoryKind.FINISHED)
    created = _create(session, shop, SourceLine(finished.id))
    assert created.warnings == [f"Stage {shop['cutting'].name} applies to Rough; you are issuing Finished."]
    assert _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="1")).warnings == []


def _nothing_written(session):
    return (_count(session, ProductionJob), _count(session, StockMovement), _count(session, JobIssue))


@pytest.mark.parametrize("case", ["over-issue", "on hold", "archived", "other location", "out of scope",
                                  "twice", "negative", "text", "future", "deadline", "inactive stage", "staff"])
def test_bad_jobs_are_refused_and_write_nothing(session, shop, case):
    lot = shop["lot"]
    other = f.make_item(session, shop["ruby"], f.make_location(session), quantity=1, weight="1")
    if case == "on hold":
        stock.set_status(session, actor=shop["nina"], item_id=lot.id, status=ItemStatus.ON_HOLD)
    if case == "archived":
        stock.archive(session, actor=shop["nina"], item_id=lot.id, reason="cracked")
    if case == "inactive stage":
        stages.update_stage(session, actor=shop["admin"], stage_id=shop["polishing"].id, name=shop["polishing"].name,
                            code=shop["polishing"].code, active=False)
    data = {
        "over-issue": dict(sources=(SourceLine(lot.id, quantity=11, weight="1"),)),
        "on hold": dict(sources=(SourceLine(lot.id),)),
        "archived": dict(sources=(SourceLine(lot.id),)),
        "other location": dict(sources=(SourceLine(lot.id, quantity=1, weight="1"), SourceLine(other.id))),
        "out of scope": dict(sources=(SourceLine(shop["southern"].id),)),
        "twice": dict(sources=(SourceLine(lot.id, quantity=1, weight="1"), SourceLine(lot.id, quantity=1,
                                                                                     weight="1"))),
        "negative": dict(sources=(SourceLine(lot.id, quantity=1, weight="-2"),)),
        "text": dict(sources=(SourceLine(lot.id, quantity="two", weight="1"),)),
        "future": dict(sources=(SourceLine(lot.id),), issued_on=current_day() + timedelta(days=1)),
        "deadline": dict(sources=(SourceLine(lot.id),), deadline=current_day() - timedelta(days=1)),
        "inactive stage": dict(sources=(SourceLine(lot.id),), stage_id=shop["polishing"].id),
        "staff": dict(sources=(SourceLine(lot.id),), staff_id=shop["sam"].user_id),
    }[case]
    before = _nothing_written(session)
    actor = shop["admin"] if case == "other location" else shop["mo"]
    with pytest.raises(ValidationFailed) as refused:
        jobs.create_job(session, actor=actor, data=_new_job(shop, **data))
    assert str(refused.value).startswith("The job was not created:")
    assert _nothing_written(session) == before
    messages = {"over-issue": "holds 10 pcs", "on hold": "on hold", "archived": "archived",
                "other location": "another location", "out of scope": "no such inventory item in your locations",
                "twice": "chosen twice", "negative": "cannot be negative", "text": "must be a plain number",
                "future": "future", "deadline": "before the issued date", "inactive stage": "switched off",
                "staff": "Staff"}
    assert messages[case] in str(refused.value)


def test_a_planned_job_has_no_stock_yet_and_only_then_may_be_deleted(session, shop):
    scheduled = _create(session, shop, location_id=shop["north"].id)
    unscheduled = _create(session, shop, location_id=shop["north"].id, deadline=None, actor="mo")
    assert _detail(session, shop, scheduled.job_id).status is JobStatus.SCHEDULED
    assert _detail(session, shop, unscheduled.job_id).status is JobStatus.UNSCHEDULED
    with pytest.raises(PermissionDenied):  # members never delete
        jobs.delete_job(session, actor=shop["mo"], job_id=unscheduled.job_id)
    assert jobs.delete_job(session, actor=shop["nina"], job_id=unscheduled.job_id) == unscheduled.number
    jobs.issue_to_job(session, actor=shop["mo"], job_id=scheduled.job_id,
                      sources=(SourceLine(shop["lot"].id, quantity=1, weight="5"),))
    job = session.get(ProductionJob, scheduled.job_id)
    assert _detail(session, shop, job.id).status is JobStatus.ONGOING
    with pytest.raises(ValidationFailed, match="has issued stock"):
        jobs.delete_job(session, actor=shop["nina"], job_id=job.id)
    with pytest.raises(ValidationFailed, match="already issued"):
        jobs.issue_to_job(session, actor=shop["mo"], job_id=job.id, sources=(SourceLine(shop["lot"].id),))
    assert session.scalar(select(func.count()).where(AuditEntry.action == "delete production job")) == 1


def test_job_ids_continue_per_prefix(session, shop):
    first = _create(session, shop, location_id=shop["north"].id).number
    second = _create(session, shop, location_id=shop["north"].id).number
    assert int(second[4:]) == int(first[4:]) + 1
    settings.update_settings(session, actor=shop["admin"], job_id_prefix=f.unique("PX"))
    prefix = session.scalars(select(Workspace)).one().job_id_prefix
    assert _create(session, shop, location_id=shop["north"].id).number == f"{prefix}0001"


# ---------------------------------------------------------------------------
# Receiving
# ---------------------------------------------------------------------------

def test_the_documented_example_end_to_end(session, shop):
    """Issue 100 g; receive 82 g good, 5 g rejected, 8 g scrap, 5 g waste: the reference's percentages."""
    lot = shop["lot"]
    created = _create(session, shop, SourceLine(lot.id))
    result = _receive(session, shop, created.job_id,
                      _row(shop, waste="5", rejected=Portion(weight="5", pieces=1),
                           scrapped=Portion(weight="8", pieces=0, kind=InventoryKind.MATERIALS)))
    tags = {output.bucket: output.tag_id for output in result.outputs}
    assert tags == {OutputBucket.RECEIVED: f"{lot.tag_id}-RCV1", OutputBucket.REJECTED: f"{lot.tag_id}-REJ1",
                    OutputBucket.SCRAPPED: f"{lot.tag_id}-SCRAP1", OutputBucket.WASTE: None}
    received = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == f"{lot.tag_id}-RCV1")).one()
    rejected = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == f"{lot.tag_id}-REJ1")).one()
    scrap = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == f"{lot.tag_id}-SCRAP1")).one()
    assert (received.quantity, received.weight, received.status) == (8, D("82"), ItemStatus.AVAILABLE)
    assert (rejected.weight, rejected.status, scrap.kind) == (D("5"), ItemStatus.ON_HOLD, InventoryKind.MATERIALS)
    movement = session.scalars(select(StockMovement).where(StockMovement.item_id == received.id)).one()
    assert (movement.movement_kind, movement.reference) == (MovementKind.PRODUCTION_RECEIPT, created.number)
    progress = _detail(session, shop, created.job_id).progress
    assert (progress.output_pct, progress.gross_waste_pct, progress.net_waste_pct, progress.consumption_pct) == (
        D("87.0"), D("13.0"), D("5.0"), D("14.9"))
    assert list(progress.bar.shares().values()) == [D("82.0"), D("0.0"), D("5.0"), D("8.0"), D("5.0")]
    assert _count(session, JobOutput) >= 4 and ledger.verify(session) == []


def test_receipts_number_their_tags_per_source_and_suffix(session, shop):
    lot, carats = shop["lot"], shop["carats"]
    created = _create(session, shop, SourceLine(lot.id), SourceLine(carats.id))
    first = _receive(session, shop, created.job_id, _row(shop, weight="10"), _row(shop, weight="5", pieces=1,
                                                                                  source_item_id=carats.id))
    second = _receive(session, shop, created.job_id, _row(shop, weight="10", rejected=Portion(weight="1")))
    assert [o.tag_id for o in first.outputs] == [f"{lot.tag_id}-RCV1", f"{carats.tag_id}-RCV1"]
    assert [o.tag_id for o in second.outputs] == [f"{lot.tag_id}-RCV2", f"{lot.tag_id}-REJ1"]
    assert (first.number, second.number) == (1, 2)
    with pytest.raises(ValidationFailed, match="tag source must be an item issued into this job"):
        _receive(session, shop, created.job_id, _row(shop, weight="1", source_item_id=shop["southern"].id))


def test_a_long_source_tag_gives_output_tags_of_at_most_fifty_characters(session, shop):
    long_lot = f.make_item(session, shop["ruby"], shop["north"], quantity=2, weight="40", kind=InventoryKind.ROUGH,
                           tag_id="L" * 44 + f.unique("X")[-4:].rjust(4, "0") + "99")
    created = _create(session, shop, SourceLine(long_lot.id))
    tags = [o.tag_id for _ in range(3) for o in _receive(
        session, shop, created.job_id, _row(shop, weight="1", pieces=0,
                                            scrapped=Portion(weight="1", pieces=0))).outputs]
    assert all(len(tag) <= 50 for tag in tags) and len(set(tags)) == 6
    # the root is kept (its start, here: it is 50 characters itself), the middle gives way (issue 16 item 7)
    assert tags[-1].endswith("--SCRAP3") and tags[-2].endswith("--RCV3") and tags[-1].startswith("L" * 40)


def test_amounts_far_above_the_issued_weight_need_a_confirmation(session, shop):
    created = _create(session, shop, SourceLine(shop["lot"].id, quantity=5, weight="10"))
    before = _nothing_written(session) + (_count(session, JobOutput),)
    with pytest.raises(receipts.ConfirmationNeeded, match="820% of the 10.000 g issued"):
        _receive(session, shop, created.job_id, _row(shop, weight="82"))
    assert _nothing_written(session) + (_count(session, JobOutput),) == before
    preview = receipts.preview_receipt(session, actor=shop["nina"], job_id=created.job_id,
                                       draft=ReceiptDraft(rows=(_row(shop, weight="82"),)))
    assert preview.confirmation and not preview.problems
    result = _receive(session, shop, created.job_id, _row(shop, weight="82"), confirm=True)
    assert result.outputs[0].weight == D("82")
    progress = _detail(session, shop, created.job_id).progress
    assert progress.pending == D("-72") and progress.over_recovery_pct == D("720.0")
    slightly = _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="10"))
    ok = _receive(session, shop, slightly.job_id, _row(shop, weight="10.4", pieces=1))  # 4 % over: a warning only
    assert "over-recovery" in ok.warnings[0]


@pytest.mark.parametrize("case", ["negative", "text", "comma", "empty row", "future", "pieces only",
                                  "bad unit", "other location", "no product"])
def test_bad_receipts_are_refused_with_a_clear_message(session, shop, case):
    created = _create(session, shop, SourceLine(shop["lot"].id))
    row, header = {
        "negative": (_row(shop, weight="-1"), {}),
        "text": (_row(shop, waste="lots"), {}),
        "comma": (_row(shop, weight="1,5"), {}),
        "empty row": (_row(shop, weight="", pieces=""), {}),
        "future": (_row(shop), {"received_on": current_day() + timedelta(days=2)}),
        "pieces only": (_row(shop, weight="0", pieces=3), {}),
        "bad unit": (_row(shop, weight_unit="stones"), {}),
        "other location": (_row(shop), {"location_id": shop["south"].id}),
        "no product": (_row(shop, product_id=None), {}),
    }[case]
    before = (_count(session, JobOutput), _count(session, StockMovement))
    with pytest.raises(ValidationFailed) as refused:
        _receive(session, shop, created.job_id, row, **header)
    expected = {"negative": "cannot be negative", "text": "must be a plain number", "comma": "must be a plain number",
                "empty row": "enter a received, rejected, scrapped or wasted weight", "future": "future",
                "pieces only": "need a received weight", "bad unit": "unknown weight unit",
                "other location": "Location for new inventory", "no product": "Product is required"}[case]
    assert expected in str(refused.value) and str(refused.value).startswith("Nothing was received:")
    assert (_count(session, JobOutput), _count(session, StockMovement)) == before


def test_closed_jobs_and_jobs_without_stock_take_no_receipts(session, shop):
    planned = _create(session, shop, location_id=shop["north"].id)
    with pytest.raises(ValidationFailed, match="Nothing is issued"):
        _receive(session, shop, planned.job_id, _row(shop))
    created = _create(session, shop, SourceLine(shop["lot"].id))
    _receive(session, shop, created.job_id, _row(shop, weight="100", pieces=10))
    jobs.close_job(session, actor=shop["mo"], job_id=created.job_id)
    with pytest.raises(ValidationFailed, match="completed: it takes no more receipts"):
        _receive(session, shop, created.job_id, _row(shop, weight="1"))
    with pytest.raises(ValidationFailed, match="completed"):
        jobs.edit_job(session, actor=shop["nina"], job_id=created.job_id, staff_id=None, deadline=None, notes="x")


def test_completing_writes_off_the_pending_weight_as_waste_with_a_reason(session, shop):
    created = _create(session, shop, SourceLine(shop["lot"].id))
    _receive(session, shop, created.job_id, _row(shop, weight="90", pieces=9))
    with pytest.raises(ValidationFailed, match="Reason for writing off"):
        jobs.close_job(session, actor=shop["nina"], job_id=created.job_id)
    job = jobs.close_job(session, actor=shop["nina"], job_id=created.job_id, reason="dust in the saw")
    detail = _detail(session, shop, created.job_id)
    assert (job.closed_as, job.written_off_g, detail.status) == (JobStatus.COMPLETED, D("10"), JobStatus.COMPLETED)
    assert detail.progress.pending == 0 and detail.progress.net_waste_pct == D("10.0")
    assert detail.timeline[-1].what == "Completed" and "10.000 g written off as waste" in detail.timeline[-1].detail


def test_cancelling_gives_everything_back_and_is_refused_after_a_receipt(session, shop):
    lot, carats = shop["lot"], shop["carats"]
    created = _create(session, shop, SourceLine(lot.id, quantity=3, weight="30"), SourceLine(carats.id))
    with pytest.raises(ValidationFailed, match="Reason for cancelling"):
        jobs.cancel_job(session, actor=shop["mo"], job_id=created.job_id, reason=" ")
    jobs.cancel_job(session, actor=shop["mo"], job_id=created.job_id, reason="order withdrawn")
    assert (lot.quantity, lot.weight, carats.quantity, carats.weight) == (10, D("100"), 4, D("50"))
    assert carats.status is ItemStatus.AVAILABLE
    detail = _detail(session, shop, created.job_id)
    assert detail.status is JobStatus.CANCELLED and detail.figures.issued_g == 0
    assert [event.what for event in detail.timeline].count("Returned") == 2
    assert ledger.verify(session) == []
    received = _create(session, shop, SourceLine(lot.id, quantity=1, weight="10"))
    _receive(session, shop, received.job_id, _row(shop, weight="9", pieces=1))
    with pytest.raises(ValidationFailed, match="cannot be cancelled"):
        jobs.cancel_job(session, actor=shop["nina"], job_id=received.job_id, reason="no")


def test_received_output_is_issued_into_the_next_stage(session, shop):
    lot = shop["lot"]
    cutting = _create(session, shop, SourceLine(lot.id))
    _receive(session, shop, cutting.job_id, _row(shop, weight="90", pieces=9),
             _row(shop, weight="0", pieces=0, waste="10"))
    detail = _detail(session, shop, cutting.job_id)
    assert detail.next_stage_id is not None
    (output,) = detail.received_items
    assert output.tag_id == f"{lot.tag_id}-RCV1"
    polishing = _create(session, shop, SourceLine(output.item_id), stage_id=shop["polishing"].id)
    _receive(session, shop, polishing.job_id, _row(shop, weight="85", pieces=9, waste="5"))
    second = _detail(session, shop, polishing.job_id)
    assert second.outputs[0].tag_id == f"{lot.tag_id}-RCV1-RCV1" and second.outputs[0].source_tag == output.tag_id
    assert second.progress.output_pct == D("94.4")  # 85 / 90
    assert session.get(InventoryItem, output.item_id).status is ItemStatus.CONSUMED
    assert ledger.verify(session) == []


def test_edits_follow_the_rules(session, shop):
    created = _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="10"))
    job = jobs.edit_job(session, actor=shop["mo"], job_id=created.job_id, staff_id=shop["mo"].user_id, deadline=None,
                        notes="rush", stage_id=shop["polishing"].id)
    assert (job.staff_id, job.deadline, job.notes, job.stage_id) == (shop["mo"].user_id, None, "rush",
                                                                     shop["polishing"].id)
    _receive(session, shop, created.job_id, _row(shop, weight="5", pieces=1))
    with pytest.raises(ValidationFailed, match="stage cannot change"):
        jobs.edit_job(session, actor=shop["mo"], job_id=created.job_id, staff_id=None, deadline=None, notes="",
                      stage_id=shop["cutting"].id)
    with pytest.raises(ValidationFailed, match="Staff"):
        jobs.edit_job(session, actor=shop["mo"], job_id=created.job_id, staff_id=shop["sam"].user_id, deadline=None,
                      notes="")


# ---------------------------------------------------------------------------
# Scope and the overview
# ---------------------------------------------------------------------------

def test_people_see_and_change_only_jobs_of_their_locations(session, shop):
    north_job = _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="10"))
    south_job = jobs.create_job(session, actor=shop["sam"], data=_new_job(shop, SourceLine(shop["southern"].id)))
    for actor, visible in (("mo", north_job), ("sam", south_job)):
        rows = overview.list_jobs(session, actor=shop[actor], filters=overview.JobFilters(),
                                  page=overview.JobPage(size=100)).rows
        assert {row.number for row in rows} == {visible.number}
    with pytest.raises(NotFound):
        overview.job_detail(session, actor=shop["mo"], job_id=south_job.job_id)
    with pytest.raises(NotFound):
        _receive(session, shop, south_job.job_id, _row(shop), actor="mo")
    with pytest.raises(NotFound):
        jobs.close_job(session, actor=shop["mo"], job_id=south_job.job_id)
    admin_rows = overview.list_jobs(session, actor=shop["admin"], filters=overview.JobFilters(),
                                    page=overview.JobPage(size=100)).rows
    assert {north_job.number, south_job.number} <= {row.number for row in admin_rows}


def test_tabs_search_paging_export_cards_and_chart(session, shop):
    nina = shop["nina"]
    ongoing = _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="10"), staff_id=shop["mo"].user_id,
                      deadline=current_day())
    overdue = _create(session, shop, SourceLine(shop["carats"].id, quantity=1, weight="5"),
                      issued_on=current_day() - timedelta(days=5), deadline=current_day() - timedelta(days=1))
    scheduled = _create(session, shop, location_id=shop["north"].id, stage_id=shop["polishing"].id)
    unscheduled = _create(session, shop, location_id=shop["north"].id, deadline=None, notes="Needs a plan")
    done = _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="10"))
    _receive(session, shop, done.job_id, _row(shop, weight="10", pieces=1))
    jobs.close_job(session, actor=nina, job_id=done.job_id)

    def numbers(**filters):
        view = overview.list_jobs(session, actor=nina, filters=overview.JobFilters(**filters),
                                  page=overview.JobPage(size=100))
        return {row.number for row in view.rows}

    assert numbers(tab="ongoing") == {ongoing.number, overdue.number}
    assert numbers(tab="completed") == {done.number}
    assert numbers(tab="scheduled") == {scheduled.number}
    assert numbers(tab="unscheduled") == {unscheduled.number}
    assert numbers(stage_ids=(shop["polishing"].id,)) == {scheduled.number}
    assert numbers(search=shop["carats"].tag_id.lower()) == {overdue.number}
    assert numbers(search="needs a PLAN") == {unscheduled.number}
    assert numbers(search=shop["mo_user"].name) == {ongoing.number}
    assert numbers(search=shop["ruby"].name) == {ongoing.number, overdue.number, done.number}
    page = overview.list_jobs(session, actor=nina, filters=overview.JobFilters(),
                              page=overview.JobPage(number=9, size=2))
    assert (page.total, page.page.number, len(page.rows), page.page_count) == (5, 3, 1, 3)
    row = next(r for r in overview.list_jobs(session, actor=nina, filters=overview.JobFilters(tab="ongoing"),
                                             page=overview.JobPage(size=10)).rows if r.number == overdue.number)
    assert row.overdue and row.issued_kind == "Rough" and row.issued == D("1.0000") and row.progress_pct == D("0.0")

    exported = list(csv.DictReader(io.StringIO(overview.export_jobs(
        session, actor=nina, filters=overview.JobFilters(tab="completed")).decode())))
    assert [(r["Job ID"], r["Status"], r["Received"], r["Output %"]) for r in exported] == [
        (done.number, "Completed", "10.0000", "100.0")]

    cards = overview.summary(session, actor=nina)
    assert (cards.ongoing, cards.completed_recently, cards.overdue, cards.active_staff) == (2, 1, 1, 1)
    counts = {(c.stage, c.status): c.jobs for c in overview.stage_status_counts(session, actor=nina)}
    assert counts == {(shop["cutting"].name, JobStatus.ONGOING): 2, (shop["cutting"].name, JobStatus.UNSCHEDULED): 1,
                      (shop["cutting"].name, JobStatus.COMPLETED): 1, (shop["polishing"].name, JobStatus.SCHEDULED): 1}


def test_what_is_in_production_for_a_product(session, shop):
    _create(session, shop, SourceLine(shop["lot"].id, quantity=2, weight="20"))
    _create(session, shop, SourceLine(shop["carats"].id, quantity=1, weight="10"))  # 2 g
    closed = _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="5"))
    _receive(session, shop, closed.job_id, _row(shop, weight="5", pieces=1))
    jobs.close_job(session, actor=shop["nina"], job_id=closed.job_id)
    jobs.create_job(session, actor=shop["sam"], data=_new_job(shop, SourceLine(shop["southern"].id)))
    north = overview.production_for_product(session, actor=shop["mo"], product_id=shop["ruby"].id)
    assert (north.open_jobs, north.issued, len(north.jobs)) == (2, D("22.0000"), 2)
    everywhere = overview.production_for_product(session, actor=shop["admin"], product_id=shop["ruby"].id)
    assert (everywhere.open_jobs, everywhere.issued) == (3, D("52.0000"))
    finished_only = overview.production_for_product(session, actor=shop["admin"], product_id=shop["ruby"].id,
                                                    kinds=(InventoryKind.FINISHED,))
    assert (finished_only.open_jobs, finished_only.issued) == (0, D("0"))


def test_a_receipt_into_a_location_the_viewer_does_not_see_hides_its_tags(session, shop):
    created = _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="10"))
    receipts.receive_job(session, actor=shop["admin"], job_id=created.job_id,
                         draft=ReceiptDraft(rows=(_row(shop, weight="9", pieces=1),), location_id=shop["south"].id))
    detail = _detail(session, shop, created.job_id, actor="mo")
    assert [(o.tag_id, o.item_id) for o in detail.outputs] == [("(at another location)", None)]
    assert detail.figures.received_g == D("9") and detail.received_items == []
    assert "(at another location)" in detail.timeline[-1].detail


def test_every_write_is_audited(session, shop):
    created = _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="10"))
    _receive(session, shop, created.job_id, _row(shop, weight="10", pieces=1))
    jobs.close_job(session, actor=shop["nina"], job_id=created.job_id)
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "production_job",
                                                                  AuditEntry.entity_id == str(created.job_id))))
    assert actions == {"create production job", "receive production job", "complete production job"}


def test_refusals_are_loupe_errors(session, shop):
    with pytest.raises(LoupeError):
        overview.job_detail(session, actor=shop["mo"], job_id="not-a-number")


def test_ai_facts_carry_what_is_in_production(session, shop):
    from lib.ai import summaries
    from lib.inventory.query import ItemFilters

    _create(session, shop, SourceLine(shop["lot"].id, quantity=2, weight="20"))
    jobs.create_job(session, actor=shop["sam"], data=_new_job(shop, SourceLine(shop["southern"].id)))
    facts = summaries.build_facts(session, actor=shop["mo"], product_id=shop["ruby"].id, filters=ItemFilters())
    assert facts["in_production"] == {"open_jobs": 1, "issued_weight": 20}
    assert facts["not_tracked"] == ["sales and purchase orders"]  # a member does not see orders
    finished = summaries.build_facts(session, actor=shop["mo"], product_id=shop["ruby"].id,
                                     filters=ItemFilters(kinds=(InventoryKind.FINISHED,)))
    assert finished["in_production"] == {"open_jobs": 0, "issued_weight": 0}


@pytest.mark.parametrize("change", ["archived", "transferred", "sold"])
def test_a_source_item_changed_after_the_form_was_drawn_is_refused(session, shop, change):
    lot = shop["lot"]
    seen = NewJob(stage_id=shop["cutting"].id, sources=(SourceLine(lot.id, quantity=10, weight="100"),))
    assert not jobs.check_job(session, actor=shop["nina"], data=seen).problems  # what the form showed
    if change == "archived":
        stock.archive(session, actor=shop["nina"], item_id=lot.id, reason="cracked")
    elif change == "transferred":
        stock.transfer(session, actor=shop["admin"], item_id=lot.id, to_location_id=shop["south"].id)
    else:  # part of it left for an order
        stock.issue(session, actor=shop["admin"], right=Right.EDIT_ORDERS, item_id=lot.id,
                    reference="SO-0001 line 1", quantity=2, weight="20")
    before = _nothing_written(session)
    with pytest.raises(ValidationFailed) as refused:
        jobs.create_job(session, actor=shop["nina"], data=seen)
    expected = {"archived": "archived", "transferred": "no such inventory item in your locations",
                "sold": "holds 8 pcs and 80.000 g; cannot issue 10 pcs"}[change]
    assert expected in str(refused.value)
    assert _nothing_written(session) == before


def test_production_shows_in_the_product_details_trend(session, shop):
    from lib.inventory.query import ItemFilters
    from lib.products import details

    def flow():
        return details.flow(session, actor=shop["nina"], product_id=shop["ruby"].id, filters=ItemFilters())

    before = flow()
    created = _create(session, shop, SourceLine(shop["lot"].id, quantity=5, weight="50"))
    _receive(session, shop, created.job_id, _row(shop, weight="40", pieces=4, rejected=Portion(weight="2"),
                                                 scrapped=Portion(weight="3")))
    after = flow()
    assert after.deducted_g - before.deducted_g == D("50")  # the issue
    assert after.added_g - before.added_g == D("45")  # received, rejected and scrapped items; waste is not stock


def test_order_efficiency_from_the_figures_of_real_jobs(session, shop):
    """Cutting then Polishing, the output of one issued into the other: the order-level figures of 3.9.7."""
    from lib.production import order_efficiency
    from lib.production.totals import job_figures

    cutting = _create(session, shop, SourceLine(shop["lot"].id))  # 100 g
    _receive(session, shop, cutting.job_id, _row(shop, weight="80", pieces=8, waste="5",
                                                 rejected=Portion(weight="5"), scrapped=Portion(weight="10")))
    rcv = _detail(session, shop, cutting.job_id).received_items[0]
    polishing = _create(session, shop, SourceLine(rcv.item_id), stage_id=shop["polishing"].id)  # 80 g
    _receive(session, shop, polishing.job_id, _row(shop, weight="70", pieces=8, waste="5",
                                                   rejected=Portion(weight="2"), scrapped=Portion(weight="3")))
    figures = job_figures(session, [cutting.job_id, polishing.job_id])
    result = order_efficiency(figure.totals("g") for figure in figures.values())
    assert result.final_stage_ids == {shop["polishing"].id}
    assert (result.final_output, result.net_input) == (D("72"), D("95"))
    assert (result.output_pct, result.gross_waste_pct, result.net_waste_pct, result.consumption_pct) == (
        D("75.8"), D("24.2"), D("10.5"), D("31.9"))


def test_the_job_export_never_lets_a_name_run_as_a_formula(session, shop):
    formula = stages.add_stage(session, actor=shop["admin"], name="=HYPERLINK(1)", code=f.unique("EVIL"))
    _create(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="1"), stage_id=formula.id)
    exported = list(csv.DictReader(io.StringIO(overview.export_jobs(
        session, actor=shop["nina"], filters=overview.JobFilters(stage_ids=(formula.id,))).decode())))
    assert [row["Stage"] for row in exported] == ["'=HYPERLINK(1)"]
