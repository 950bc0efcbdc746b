"""Issue 16 (production half): the metal balance vs issued, completion against it, bench returns, cancelling
with an archived source, and tags that keep their root.

Story: as in tests/test_production_lib.py (North's rough Ruby lot RUBLOT, 10 pcs, 100 g; Nina manages North).
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from lib import ledger, tags
from lib.errors import ValidationFailed
from lib.inventory import stock
from lib.models import (
    AuditEntry,
    InventoryItem,
    InventoryKind,
    ItemStatus,
    JobReturn,
    MovementKind,
    Role,
    StockMovement,
    User,
)
from lib.production import bench, jobs, overview
from lib.production.formulas import combined_balance, metal_balance
from lib.production.jobs import GainNeedsConfirmation, SourceLine
from lib.production.receipts import ConfirmationNeeded, Portion
from lib.production.totals import job_figures
from tests import factories as f
from tests.test_production_lib import _create, _detail, _receive, _row, shop  # noqa: F401 (fixture)

D = Decimal


def _balance(session, job_id):
    return job_figures(session, [job_id])[job_id].balance()


def _issue_id(session, job_id, item_id):
    return next(row.issue_id for row in bench.returnable(session, actor=_admin(session), job_id=job_id)
                if row.item_id == item_id)


def _admin(session):
    user = session.scalars(select(User).where(User.role == Role.ADMIN)).first()
    return f.actor(session, user)


# ---------------------------------------------------------------------------
# The pure function
# ---------------------------------------------------------------------------

def test_metal_balance_adds_up_exactly_and_refuses_bad_input():
    balance = metal_balance(issued=D("100"), returned=D("12"), received=D("80"), rejected=0, scrapped=D("3"),
                            waste=0)
    assert balance.outstanding == D("5") and balance.net_issued == D("88")
    assert sum((grams for _label, grams in balance.rows()), D(0)) == 2 * balance.outstanding
    assert metal_balance(issued=D("100"), returned=0, received=D("103"), rejected=0, scrapped=0,
                         waste=0).outstanding == D("-3")
    assert metal_balance(issued=D("100"), returned=0, received=D("103"), rejected=0, scrapped=0, waste=0,
                         gain=D("3")).outstanding == 0
    with pytest.raises(ValueError, match="returned"):
        metal_balance(issued=1, returned=-1, received=0, rejected=0, scrapped=0, waste=0)
    with pytest.raises(ValueError, match="float"):
        metal_balance(issued=1.5, returned=0, received=0, rejected=0, scrapped=0, waste=0)
    both = combined_balance([balance, metal_balance(issued=D("20"), returned=0, received=D("21"), rejected=0,
                                                    scrapped=0, waste=0)])
    assert (both.issued, both.returned, both.received, both.outstanding) == (D("120"), D("12"), D("101"), D("4"))
    assert combined_balance([]).outstanding == 0


# ---------------------------------------------------------------------------
# The issue's two examples: completion writes off vs ISSUED, progress stays vs requested
# ---------------------------------------------------------------------------

def test_100_g_issued_80_requested_78_received_2_wasted_writes_off_20_g_with_a_reason(session, shop):
    created = _create(session, shop, SourceLine(shop["lot"].id), split="even", requested_weight="80",
                      requested_weight_unit="g")
    _receive(session, shop, created.job_id, _row(shop, weight="78", pieces=8, waste="2"))
    progress = _detail(session, shop, created.job_id).progress
    assert (progress.base, progress.pending, progress.output_pct) == (D("80"), D("0"), D("97.5"))  # reference 3.13.6
    assert _balance(session, created.job_id).outstanding == D("20")
    with pytest.raises(ValidationFailed, match="Reason for writing off the unaccounted metal"):
        jobs.close_job(session, actor=shop["nina"], job_id=created.job_id)
    with pytest.raises(ValidationFailed, match="Reason for writing off"):
        jobs.close_job(session, actor=shop["nina"], job_id=created.job_id, reason="   ")
    job = jobs.close_job(session, actor=shop["nina"], job_id=created.job_id, reason="left in the crucible")
    assert (job.written_off_g, job.gain_g) == (D("20"), D("0"))
    balance = _balance(session, created.job_id)
    assert (balance.waste, balance.outstanding) == (D("22"), D("0"))


def test_120_g_requested_100_issued_all_received_completes_without_a_made_up_write_off(session, shop):
    created = _create(session, shop, SourceLine(shop["lot"].id), split="even", requested_weight="120",
                      requested_weight_unit="g")
    _receive(session, shop, created.job_id, _row(shop, weight="100", pieces=10))
    assert _detail(session, shop, created.job_id).progress.pending == D("20")  # the bar still says 20 g to go
    job = jobs.close_job(session, actor=shop["nina"], job_id=created.job_id)
    assert (job.written_off_g, job.gain_g) == (D("0"), D("0"))
    progress = _detail(session, shop, created.job_id).progress
    assert progress.net_waste_pct == D("0.0") and _balance(session, created.job_id).outstanding == 0


def test_recovering_more_than_issued_needs_confirmation_and_is_recorded_as_a_gain(session, shop):
    created = _create(session, shop, SourceLine(shop["lot"].id))
    _receive(session, shop, created.job_id, _row(shop, weight="103", pieces=10))
    with pytest.raises(GainNeedsConfirmation, match="3.000 g more than was issued"):
        jobs.close_job(session, actor=shop["nina"], job_id=created.job_id)
    assert jobs.get_job_in_scope(session, actor=shop["nina"], job_id=created.job_id).closed_as is None
    job = jobs.close_job(session, actor=shop["nina"], job_id=created.job_id, confirm_gain=True)
    assert (job.gain_g, job.written_off_g) == (D("3"), D("0"))
    assert _balance(session, created.job_id).outstanding == 0
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "complete production job")
                            .order_by(AuditEntry.id.desc())).first()
    assert "gain_g" in str(entry.new_values)


# ---------------------------------------------------------------------------
# Bench returns
# ---------------------------------------------------------------------------

def test_casting_journey_returns_sprue_receives_scrap_and_writes_off_the_rest(session, shop):
    lot = shop["lot"]
    created = _create(session, shop, SourceLine(lot.id))
    issue_id = _issue_id(session, created.job_id, lot.id)
    result = bench.return_stock(session, actor=shop["mo"], job_id=created.job_id, issue_id=issue_id, weight="12",
                                note="sprue")
    assert (result.tag_id, result.weight, result.new_item) == (lot.tag_id, D("12"), False)
    session.refresh(lot)
    assert (lot.weight, lot.status) == (D("12"), ItemStatus.AVAILABLE)
    movement = session.scalars(select(StockMovement).where(StockMovement.item_id == lot.id)
                               .order_by(StockMovement.id.desc())).first()
    assert (movement.movement_kind, movement.reference) == (MovementKind.PRODUCTION_RETURN, created.number)
    _receive(session, shop, created.job_id,
             _row(shop, weight="80", pieces=8, scrapped=Portion(weight="3")))
    balance = _balance(session, created.job_id)
    assert (balance.issued, balance.returned, balance.received, balance.scrapped, balance.outstanding) == (
        D("100"), D("12"), D("80"), D("3"), D("5"))
    progress = _detail(session, shop, created.job_id).progress
    assert progress.base == D("88") and progress.output_pct == D("90.9")  # net issued is the base
    jobs.close_job(session, actor=shop["nina"], job_id=created.job_id, reason="polishing dust")
    balance = _balance(session, created.job_id)
    assert (balance.waste, balance.outstanding) == (D("5"), D("0"))
    detail = _detail(session, shop, created.job_id)
    assert any(event.what == "Returned" and lot.tag_id in event.detail for event in detail.timeline)
    assert ledger.verify(session) == []


def test_returns_above_what_is_out_are_refused_and_write_nothing(session, shop):
    lot = shop["lot"]
    created = _create(session, shop, SourceLine(lot.id, quantity=5, weight="50"))
    issue_id = _issue_id(session, created.job_id, lot.id)
    with pytest.raises(ValidationFailed, match="at most 5 pcs and 50.000 g"):
        bench.return_stock(session, actor=shop["nina"], job_id=created.job_id, issue_id=issue_id, weight="50.0001")
    bench.return_stock(session, actor=shop["nina"], job_id=created.job_id, issue_id=issue_id, weight="10")
    bench.return_stock(session, actor=shop["nina"], job_id=created.job_id, issue_id=issue_id, weight="5",
                       quantity=1)
    with pytest.raises(ValidationFailed, match="at most 4 pcs and 35.000 g"):
        bench.return_stock(session, actor=shop["nina"], job_id=created.job_id, issue_id=issue_id, weight="36")
    _receive(session, shop, created.job_id, _row(shop, weight="30", pieces=3))
    with pytest.raises(ValidationFailed, match="Only 5.000 g is unaccounted"):
        bench.return_stock(session, actor=shop["nina"], job_id=created.job_id, issue_id=issue_id, weight="6")
    with pytest.raises(ValidationFailed, match="Enter the pieces and/or weight"):
        bench.return_stock(session, actor=shop["nina"], job_id=created.job_id, issue_id=issue_id, weight="0")
    assert len(session.scalars(select(JobReturn).where(JobReturn.job_id == created.job_id)).all()) == 2
    jobs.close_job(session, actor=shop["nina"], job_id=created.job_id, reason="x")
    with pytest.raises(ValidationFailed, match="completed: it takes no more returns"):
        bench.return_stock(session, actor=shop["nina"], job_id=created.job_id, issue_id=issue_id, weight="1")


def test_a_return_to_a_source_moved_elsewhere_makes_a_new_ret_item(session, shop):
    lot = shop["lot"]
    created = _create(session, shop, SourceLine(lot.id, quantity=4, weight="40"))
    issue_id = _issue_id(session, created.job_id, lot.id)
    stock.transfer(session, actor=shop["admin"], item_id=lot.id, to_location_id=shop["south"].id)
    assert not bench.returnable(session, actor=shop["nina"], job_id=created.job_id)[0].to_source
    result = bench.return_stock(session, actor=shop["nina"], job_id=created.job_id, issue_id=issue_id, weight="7",
                                quantity=1)
    assert result.new_item and result.tag_id == f"{lot.tag_id}-RET1"
    new = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == result.tag_id)).one()
    assert (new.location_id, new.product_id, new.kind, new.weight, new.quantity) == (
        shop["north"].id, lot.product_id, lot.kind, D("7"), 1)
    assert _balance(session, created.job_id).returned == D("7")
    assert ledger.verify(session) == []


def test_a_return_and_a_cancel_restore_an_emptied_archived_source(session, shop):
    lot = shop["lot"]
    created = _create(session, shop, SourceLine(lot.id))  # the lot is now empty
    stock.archive(session, actor=shop["admin"], item_id=lot.id, reason="empty lot")
    issue_id = _issue_id(session, created.job_id, lot.id)
    bench.return_stock(session, actor=shop["nina"], job_id=created.job_id, issue_id=issue_id, weight="10",
                       quantity=1)
    session.refresh(lot)
    assert (lot.status, lot.weight) == (ItemStatus.AVAILABLE, D("10"))
    stock.issue(session, actor=shop["admin"], right=jobs.Right.EDIT_PRODUCTION, item_id=lot.id, reference="other",
                movement_kind=MovementKind.PRODUCTION_ISSUE)
    stock.archive(session, actor=shop["admin"], item_id=lot.id, reason="empty again")
    jobs.cancel_job(session, actor=shop["nina"], job_id=created.job_id, reason="order withdrawn")
    session.refresh(lot)
    assert (lot.status, lot.weight, lot.quantity) == (ItemStatus.AVAILABLE, D("90"), 9)
    restores = session.scalars(select(AuditEntry).where(AuditEntry.action == "restore item",
                                                        AuditEntry.entity_id == str(lot.id))).all()
    assert len(restores) == 2
    balance = _balance(session, created.job_id)
    assert (balance.issued, balance.returned, balance.outstanding) == (0, 0, 0)
    assert ledger.verify(session) == []


def test_cancel_after_returning_everything_of_an_issue(session, shop):
    lot = shop["lot"]
    created = _create(session, shop, SourceLine(lot.id, quantity=2, weight="20"))
    issue_id = _issue_id(session, created.job_id, lot.id)
    bench.return_stock(session, actor=shop["nina"], job_id=created.job_id, issue_id=issue_id, weight="20",
                       quantity=2)
    jobs.cancel_job(session, actor=shop["nina"], job_id=created.job_id, reason="not needed")
    session.refresh(lot)
    assert (lot.weight, lot.quantity) == (D("100"), 10)
    assert _balance(session, created.job_id).outstanding == 0


def test_job_list_shows_what_is_unaccounted(session, shop):
    created = _create(session, shop, SourceLine(shop["lot"].id, quantity=2, weight="20"))
    _receive(session, shop, created.job_id, _row(shop, weight="15", pieces=2))
    rows = overview.list_jobs(session, actor=shop["nina"], filters=overview.JobFilters(),
                              page=overview.JobPage(size=100)).rows
    row = next(row for row in rows if row.number == created.number)
    assert row.unaccounted == D("5")


# ---------------------------------------------------------------------------
# Tags keep their root
# ---------------------------------------------------------------------------

def test_a_20_stage_chain_keeps_its_root_and_stays_unique(session, shop):
    source = shop["lot"]
    seen = set()
    tag = source.tag_id
    for _stage in range(20):
        tag = tags.derived_tag(session, tag, "RCV")
        assert tag.startswith(source.tag_id) and len(tag) <= tags.MAX_TAG_LENGTH and tag not in seen
        assert tags.root_tag(tag) == source.tag_id
        seen.add(tag)
        f.make_item(session, shop["ruby"], shop["north"], tag_id=tag)
    assert f"{source.tag_id}--RCV" in tag
    assert tags.root_tag("GEMDIA0001-RCV1-T2-RET3") == "GEMDIA0001"
    assert tags.root_tag("GEMDIA0001--RCV3-RCV1") == "GEMDIA0001"


# ---------------------------------------------------------------------------
# Issue more: the progress base follows the new stock
# ---------------------------------------------------------------------------

def test_issue_more_into_a_per_item_job_counts_the_new_stock_in_the_base(session, shop):
    more = f.make_item(session, shop["ruby"], shop["north"], quantity=1, weight="120", unit="g",
                       kind=InventoryKind.ROUGH, tag_id=f.unique("RUBMORE"))
    created = _create(session, shop, SourceLine(shop["lot"].id, quantity=8, weight="80", requested_weight="80"),
                      split="item", requested_weight_unit="g")
    jobs.issue_to_job(session, actor=shop["nina"], job_id=created.job_id, sources=[SourceLine(more.id)])
    _receive(session, shop, created.job_id, _row(shop, weight="160", pieces=8, waste="4"))
    progress = _detail(session, shop, created.job_id).progress
    assert (progress.base, progress.output_pct) == (D("200"), D("80.0"))  # was 200 % on a base of 80 g


def test_issue_more_takes_the_requested_amount_of_the_new_stock(session, shop):
    more = f.make_item(session, shop["ruby"], shop["north"], quantity=1, weight="120", unit="g",
                       kind=InventoryKind.ROUGH, tag_id=f.unique("RUBMORE"))
    created = _create(session, shop, SourceLine(shop["lot"].id, quantity=8, weight="80"), split="even",
                      requested_weight="70", requested_weight_unit="g")
    jobs.issue_to_job(session, actor=shop["nina"], job_id=created.job_id,
                      sources=[SourceLine(more.id, requested_weight="100")])
    assert _detail(session, shop, created.job_id).progress.base == D("170")
    match = _create(session, shop, SourceLine(shop["carats"].id, quantity=1, weight="10"))
    other = f.make_item(session, shop["ruby"], shop["north"], quantity=1, weight="5", unit="g",
                        kind=InventoryKind.ROUGH, tag_id=f.unique("RUBMORE"))
    with pytest.raises(ValidationFailed, match="Match issued"):
        jobs.issue_to_job(session, actor=shop["nina"], job_id=match.job_id,
                          sources=[SourceLine(other.id, requested_weight="4")])


def test_job_balances_for_the_order_page_leave_out_jobs_the_viewer_cannot_see(session, shop):
    north = _create(session, shop, SourceLine(shop["lot"].id, quantity=2, weight="20"))
    south = jobs.create_job(session, actor=shop["sam"], data=jobs.NewJob(
        stage_id=shop["cutting"].id, sources=(SourceLine(shop["southern"].id),)))
    found = overview.job_balances(session, actor=shop["nina"], job_ids=[north.job_id, south.job_id])
    assert set(found) == {north.job_id} and found[north.job_id].outstanding == D("20")
    assert set(overview.job_balances(session, actor=shop["admin"], job_ids=[north.job_id, south.job_id])) == {
        north.job_id, south.job_id}


def test_a_receipt_far_above_the_net_issued_weight_needs_confirmation(session, shop):
    lot = shop["lot"]
    created = _create(session, shop, SourceLine(lot.id))
    bench.return_stock(session, actor=shop["nina"], job_id=created.job_id,
                       issue_id=_issue_id(session, created.job_id, lot.id), weight="20")
    with pytest.raises(ConfirmationNeeded, match="of the 80.000 g issued"):
        _receive(session, shop, created.job_id, _row(shop, weight="85", pieces=8))  # 106 % of 80 g


def test_product_details_count_bench_returns_out_of_production(session, shop):
    lot = shop["lot"]
    created = _create(session, shop, SourceLine(lot.id, quantity=2, weight="20"))
    bench.return_stock(session, actor=shop["nina"], job_id=created.job_id,
                       issue_id=_issue_id(session, created.job_id, lot.id), weight="5")
    found = overview.production_for_product(session, actor=shop["nina"], product_id=shop["ruby"].id)
    assert (found.open_jobs, found.issued) == (1, D("15.0000"))


def test_cancelling_after_the_source_moved_away_returns_to_a_new_ret_item(session, shop):
    lot = shop["lot"]
    created = _create(session, shop, SourceLine(lot.id, quantity=3, weight="30"))
    stock.transfer(session, actor=shop["admin"], item_id=lot.id, to_location_id=shop["south"].id)
    jobs.cancel_job(session, actor=shop["nina"], job_id=created.job_id, reason="design changed")
    back = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == f"{lot.tag_id}-RET1")).one()
    assert (back.location_id, back.quantity, back.weight) == (shop["north"].id, 3, D("30"))
    movement = session.scalars(select(StockMovement).where(StockMovement.item_id == back.id)).one()
    assert (movement.movement_kind, movement.reference) == (MovementKind.RETURN, created.number)
    assert _balance(session, created.job_id).outstanding == 0 and ledger.verify(session) == []
