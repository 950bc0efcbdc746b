"""Production jobs linked to sales order lines: who may link, what is refused, how the line statuses and the
order's fulfilment follow the jobs, and the order page's production summary (reference 3.9.3, 3.9.7, 3.13.3).

Story: North holds a Ruby lot (10 pcs, 100 g) and a Jade lot; South a Ruby item. Nina manages North, Mo is a
North member, Sol manages South. SO-… asks for Ruby (line 1) and Jade (line 2); a purchase order asks for Ruby.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lib.errors import NotFound, PermissionDenied, ValidationFailed
from lib.models import (
    AuditEntry,
    Fulfilment,
    InventoryItem,
    InventoryKind,
    JobStatus,
    LineStatus,
    Order,
    OrderKind,
    OrderLine,
    PartyKind,
    ProductionJob,
    Role,
)
from lib.models.base import utcnow
from lib.orders import detail, orders, parties
from lib.orders.orders import LineInput, OrderInput
from lib.production import jobs, links, overview, receipts, stages
from lib.production.jobs import NewJob, SourceLine
from lib.production.receipts import OutputRow, Portion, ReceiptDraft
from lib.workspace.settings import get_workspace
from tests import factories as f

D = Decimal


@pytest.fixture
def shop(session):
    f.make_workspace(session, tag_prefix="T", default_weight_unit="g", job_id_prefix="LNK-")
    north, south = f.make_location(session, f.unique("North ")), f.make_location(session, f.unique("South "))
    admin = f.actor(session, f.make_user(session, Role.ADMIN))
    nina = f.actor(session, f.make_user(session, Role.MANAGER, north))
    mo = f.actor(session, f.make_user(session, Role.MEMBER, north))
    sol = f.actor(session, f.make_user(session, Role.MANAGER, south))
    cutting = stages.add_stage(session, actor=admin, name=f.unique("Cutting "), code=f.unique("CUT"))
    polishing = stages.add_stage(session, actor=admin, name=f.unique("Polishing "), code=f.unique("POL"))
    ruby = f.make_product(session, f.unique("Ruby "), f.unique("RUB"))
    jade = f.make_product(session, f.unique("Jade "), f.unique("JAD"))
    lot = f.make_item(session, ruby, north, quantity=10, weight="100", unit="g", kind=InventoryKind.ROUGH)
    jade_lot = f.make_item(session, jade, north, quantity=4, weight="40", unit="g", kind=InventoryKind.ROUGH)
    southern = f.make_item(session, ruby, south, quantity=3, weight="30", unit="g", kind=InventoryKind.ROUGH)
    customer = parties.add_party(session, actor=admin, kind=PartyKind.CUSTOMER, data=parties.PartyInput(
        company="Acme Secret Jewels", email="acme@example.com"))
    supplier = parties.add_party(session, actor=admin, kind=PartyKind.SUPPLIER,
                                 data=parties.PartyInput(company="Gem Supply"))
    sale = orders.create_order(session, actor=admin, data=OrderInput(
        kind=OrderKind.SALES, party_id=customer.id, lead_id=admin.user_id,
        lines=[LineInput(product_id=ruby.id, quantity=2, weight="4", weight_unit="g"),
               LineInput(product_id=jade.id, quantity=1, weight="2", weight_unit="g")]))
    buy = orders.create_order(session, actor=admin, data=OrderInput(
        kind=OrderKind.PURCHASE, party_id=supplier.id, lead_id=admin.user_id,
        lines=[LineInput(product_id=ruby.id, quantity=5, weight="10", weight_unit="g")]))
    line_ids = list(session.scalars(select(OrderLine.id).where(OrderLine.order_id == sale.id)
                                    .order_by(OrderLine.position)))
    purchase_line = session.scalar(select(OrderLine.id).where(OrderLine.order_id == buy.id))
    return {"north": north, "south": south, "admin": admin, "nina": nina, "mo": mo, "sol": sol,
            "cutting": cutting, "polishing": polishing, "ruby": ruby, "jade": jade, "lot": lot, "jade_lot": jade_lot,
            "southern": southern, "sale": sale.id, "ruby_line": line_ids[0], "jade_line": line_ids[1],
            "purchase_line": purchase_line, "buy": buy.id}


def _job(session, shop, *sources, actor="nina", stage="cutting", **changes):
    values = {"stage_id": shop[stage].id, "sources": tuple(sources), "location_id": shop["north"].id}
    values.update(changes)
    return jobs.create_job(session, actor=shop[actor], data=NewJob(**values))


def _state(session, shop) -> tuple[Fulfilment, list[LineStatus]]:
    order = session.get(Order, shop["sale"])
    session.refresh(order)
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position))
    return order.fulfilment, [line.status for line in lines]


def _receive_all(session, shop, job_id, product, weight, actor="nina", **when):
    row = OutputRow(product_id=product.id, kind=InventoryKind.ROUGH, weight=weight, weight_unit="g", pieces=1)
    return receipts.receive_job(session, actor=shop[actor], job_id=job_id, draft=ReceiptDraft(rows=(row,)),
                                **when)


# ---------------------------------------------------------------------------
# Rules and refusals
# ---------------------------------------------------------------------------

def test_a_manager_links_a_new_job_to_a_sales_line_and_the_order_follows(session, shop):
    created = _job(session, shop, SourceLine(shop["lot"].id), order_id=shop["sale"], order_line_id=shop["ruby_line"])
    job = session.get(ProductionJob, created.job_id)
    assert (job.order_id, job.order_line_id) == (shop["sale"], shop["ruby_line"])
    assert _state(session, shop) == (Fulfilment.IN_PRODUCTION, [LineStatus.IN_PROGRESS, LineStatus.NOT_STARTED])
    timeline = [entry.what for entry in detail.order_detail(session, actor=shop["admin"],
                                                            order_id=shop["sale"]).timeline]
    assert f"Linked production job {created.number} to line 1" in timeline
    assert "Fulfilment: Not Started → In Production" in timeline


def test_members_cannot_link_or_create_linked_jobs(session, shop):
    with pytest.raises(PermissionDenied):
        _job(session, shop, SourceLine(shop["lot"].id), actor="mo", order_id=shop["sale"],
             order_line_id=shop["ruby_line"])
    created = _job(session, shop, SourceLine(shop["lot"].id), actor="mo")
    with pytest.raises(PermissionDenied):
        jobs.link_job(session, actor=shop["mo"], job_id=created.job_id, order_line_id=shop["ruby_line"])
    with pytest.raises(PermissionDenied):
        links.order_choices(session, actor=shop["mo"])
    assert session.get(ProductionJob, created.job_id).order_line_id is None


def test_a_job_outside_the_managers_locations_cannot_be_linked(session, shop):
    south_job = _job(session, shop, SourceLine(shop["southern"].id), actor="sol", location_id=shop["south"].id)
    with pytest.raises(NotFound):
        jobs.link_job(session, actor=shop["nina"], job_id=south_job.job_id, order_line_id=shop["ruby_line"])
    with pytest.raises(PermissionDenied):  # a member of another location: no right to link at all
        jobs.link_job(session, actor=shop["mo"], job_id=south_job.job_id, order_line_id=shop["ruby_line"])


def test_purchase_lines_cancelled_lines_and_closed_orders_are_refused(session, shop):
    created = _job(session, shop, SourceLine(shop["lot"].id))
    with pytest.raises(ValidationFailed, match="purchase order"):
        jobs.link_job(session, actor=shop["nina"], job_id=created.job_id, order_line_id=shop["purchase_line"])
    orders.cancel_line(session, actor=shop["admin"], line_id=shop["jade_line"], reason="no longer wanted")
    with pytest.raises(ValidationFailed, match="is cancelled"):
        jobs.link_job(session, actor=shop["admin"], job_id=created.job_id, order_line_id=shop["jade_line"])
    orders.cancel_line(session, actor=shop["admin"], line_id=shop["ruby_line"], reason="order withdrawn")
    assert _state(session, shop)[0] is Fulfilment.CANCELLED
    with pytest.raises(ValidationFailed, match="cancelled: it takes no more production"):
        jobs.link_job(session, actor=shop["nina"], job_id=created.job_id, order_line_id=shop["ruby_line"])
    with pytest.raises(NotFound):
        jobs.link_job(session, actor=shop["nina"], job_id=created.job_id, order_line_id=10**8)
    assert session.get(ProductionJob, created.job_id).order_line_id is None


def test_the_line_must_ask_for_one_of_the_jobs_products(session, shop):
    created = _job(session, shop, SourceLine(shop["lot"].id, quantity=5, weight="50"))
    with pytest.raises(ValidationFailed, match=f"asks for {shop['jade'].name}"):
        jobs.link_job(session, actor=shop["nina"], job_id=created.job_id, order_line_id=shop["jade_line"])
    with pytest.raises(ValidationFailed, match="asks for"):
        _job(session, shop, SourceLine(shop["jade_lot"].id), order_id=shop["sale"], order_line_id=shop["ruby_line"])
    # a planned job without products can be linked; stock issued into it later must include the line's product
    planned = _job(session, shop, order_id=shop["sale"], order_line_id=shop["jade_line"])
    with pytest.raises(ValidationFailed, match="issue stock of that product"):
        jobs.issue_to_job(session, actor=shop["nina"], job_id=planned.job_id, sources=[SourceLine(shop["lot"].id)])
    jobs.issue_to_job(session, actor=shop["nina"], job_id=planned.job_id, sources=[SourceLine(shop["jade_lot"].id)])


def test_the_order_and_the_line_come_together(session, shop):
    plan = jobs.check_job(session, actor=shop["nina"], data=NewJob(
        stage_id=shop["cutting"].id, location_id=shop["north"].id, order_id=shop["sale"]))
    assert "order_line_id" in plan.problems
    plan = jobs.check_job(session, actor=shop["nina"], data=NewJob(
        stage_id=shop["cutting"].id, location_id=shop["north"].id, order_id=shop["buy"],
        order_line_id=shop["ruby_line"]))
    assert "not a line of the chosen order" in plan.problems["order_line_id"]
    created = _job(session, shop)
    with pytest.raises(ValidationFailed):
        jobs.link_job(session, actor=shop["nina"], job_id=created.job_id, order_line_id=None, order_id=shop["sale"])


def test_a_cancelled_job_cannot_be_linked_but_a_completed_one_can(session, shop):
    cancelled = _job(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="10"))
    jobs.cancel_job(session, actor=shop["nina"], job_id=cancelled.job_id, reason="wrong lot")
    with pytest.raises(ValidationFailed, match="cancelled"):
        jobs.link_job(session, actor=shop["nina"], job_id=cancelled.job_id, order_line_id=shop["ruby_line"])
    done = _job(session, shop, SourceLine(shop["jade_lot"].id))
    _receive_all(session, shop, done.job_id, shop["jade"], "40")
    jobs.close_job(session, actor=shop["nina"], job_id=done.job_id)
    jobs.link_job(session, actor=shop["nina"], job_id=done.job_id, order_line_id=shop["jade_line"])
    assert _state(session, shop) == (Fulfilment.IN_PRODUCTION, [LineStatus.NOT_STARTED,
                                                                LineStatus.PRODUCTION_COMPLETED])


# ---------------------------------------------------------------------------
# Statuses follow the jobs
# ---------------------------------------------------------------------------

def test_line_statuses_and_fulfilment_follow_the_jobs(session, shop):
    ruby_job = _job(session, shop, SourceLine(shop["lot"].id, quantity=5, weight="50"), order_id=shop["sale"],
                    order_line_id=shop["ruby_line"])
    assert _state(session, shop) == (Fulfilment.IN_PRODUCTION, [LineStatus.IN_PROGRESS, LineStatus.NOT_STARTED])
    _receive_all(session, shop, ruby_job.job_id, shop["ruby"], "50")
    assert _state(session, shop)[1][0] is LineStatus.IN_PROGRESS  # received, still open
    jobs.close_job(session, actor=shop["nina"], job_id=ruby_job.job_id)
    assert _state(session, shop) == (Fulfilment.IN_PRODUCTION,
                                     [LineStatus.PRODUCTION_COMPLETED, LineStatus.NOT_STARTED])

    jade_job = _job(session, shop, SourceLine(shop["jade_lot"].id))
    jobs.link_job(session, actor=shop["admin"], job_id=jade_job.job_id, order_line_id=shop["jade_line"])
    assert _state(session, shop)[1] == [LineStatus.PRODUCTION_COMPLETED, LineStatus.IN_PROGRESS]
    _receive_all(session, shop, jade_job.job_id, shop["jade"], "40")
    jobs.close_job(session, actor=shop["nina"], job_id=jade_job.job_id)
    # every active line Ready or Production Completed: Ready to Ship (reference 3.9.3)
    assert _state(session, shop) == (Fulfilment.READY_TO_SHIP,
                                     [LineStatus.PRODUCTION_COMPLETED, LineStatus.PRODUCTION_COMPLETED])

    again = _job(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="10"), order_id=shop["sale"],
                 order_line_id=shop["ruby_line"])
    assert _state(session, shop) == (Fulfilment.IN_PRODUCTION, [LineStatus.IN_PROGRESS,
                                                                LineStatus.PRODUCTION_COMPLETED])
    jobs.cancel_job(session, actor=shop["nina"], job_id=again.job_id, reason="not needed after all")
    assert _state(session, shop)[0] is Fulfilment.READY_TO_SHIP  # a cancelled job counts for nothing

    jobs.link_job(session, actor=shop["nina"], job_id=jade_job.job_id, order_line_id=None)
    assert _state(session, shop) == (Fulfilment.IN_PRODUCTION,
                                     [LineStatus.PRODUCTION_COMPLETED, LineStatus.NOT_STARTED])
    planned = _job(session, shop, order_id=shop["sale"], order_line_id=shop["jade_line"])
    assert _state(session, shop)[1][1] is LineStatus.IN_PROGRESS  # planned work counts as in production
    jobs.delete_job(session, actor=shop["nina"], job_id=planned.job_id)
    assert _state(session, shop)[1][1] is LineStatus.NOT_STARTED
    actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "order",
                                                                   AuditEntry.entity_id == str(shop["sale"]))))
    assert actions.count("unlink production job") == 2 and actions.count("link production job") == 4


def test_moving_a_job_to_another_order_refreshes_both(session, shop):
    other = orders.create_order(session, actor=shop["admin"], data=OrderInput(
        kind=OrderKind.SALES, party_id=session.get(Order, shop["sale"]).party_id, lead_id=shop["admin"].user_id,
        lines=[LineInput(product_id=shop["ruby"].id, quantity=1, weight="1", weight_unit="g")]))
    other_line = session.scalar(select(OrderLine.id).where(OrderLine.order_id == other.id))
    created = _job(session, shop, SourceLine(shop["lot"].id), order_id=shop["sale"], order_line_id=shop["ruby_line"])
    jobs.link_job(session, actor=shop["nina"], job_id=created.job_id, order_line_id=other_line)
    assert _state(session, shop)[0] is Fulfilment.NOT_STARTED
    moved_to = session.get(Order, other.id)
    session.refresh(moved_to)
    assert moved_to.fulfilment is Fulfilment.IN_PRODUCTION
    events = overview.job_detail(session, actor=shop["nina"], job_id=created.job_id).timeline
    assert any(e.what == "Order line" and "(was " in e.detail for e in events)


# ---------------------------------------------------------------------------
# What the pages read
# ---------------------------------------------------------------------------

def test_order_choices_hide_the_customer_from_managers_and_leave_closed_orders_out(session, shop):
    admin_choices = {c.order_id: c for c in links.order_choices(session, actor=shop["admin"])}
    manager_choices = {c.order_id: c for c in links.order_choices(session, actor=shop["nina"])}
    number = session.get(Order, shop["sale"]).number
    assert "Acme Secret Jewels" in admin_choices[shop["sale"]].label
    assert manager_choices[shop["sale"]].label == f"{number} · Customer ({number})"
    assert shop["buy"] not in manager_choices  # purchase orders are not offered
    assert [line.line_id for line in manager_choices[shop["sale"]].lines] == [shop["ruby_line"], shop["jade_line"]]
    orders.cancel_line(session, actor=shop["admin"], line_id=shop["jade_line"], reason="dropped")
    lines = {c.order_id: c for c in links.order_choices(session, actor=shop["nina"])}[shop["sale"]].lines
    assert [line.line_id for line in lines] == [shop["ruby_line"]]
    orders.cancel_line(session, actor=shop["admin"], line_id=shop["ruby_line"], reason="dropped")
    assert shop["sale"] not in {c.order_id for c in links.order_choices(session, actor=shop["nina"])}


def test_the_job_page_names_the_line_to_viewers_of_orders_only(session, shop):
    created = _job(session, shop, SourceLine(shop["lot"].id), order_id=shop["sale"], order_line_id=shop["ruby_line"])
    number = session.get(Order, shop["sale"]).number
    for_manager = overview.job_detail(session, actor=shop["nina"], job_id=created.job_id).link
    assert (for_manager.visible, for_manager.order_id, for_manager.position) == (True, shop["sale"], 1)
    assert for_manager.customer == f"Customer ({number})" and "Acme" not in for_manager.text
    assert "Acme Secret Jewels" in overview.job_detail(session, actor=shop["admin"], job_id=created.job_id).link.text
    for_member = overview.job_detail(session, actor=shop["mo"], job_id=created.job_id)
    assert not for_member.link.visible and number not in for_member.link.text
    assert all(number not in event.detail for event in for_member.timeline)


def test_the_worked_example_of_3_9_7_through_real_jobs(session, shop):
    """Cutting: 100 g issued, 80 received, 5 rejected, 10 scrapped, 5 waste; the 80 g -RCV item goes into
    Polishing: 70 received, 2 rejected, 3 scrapped, 5 waste, received later. Reference: 75.8 / 24.2 / 10.5 / 31.9."""
    start = utcnow() - timedelta(hours=3)
    cut = _job(session, shop, SourceLine(shop["lot"].id), order_id=shop["sale"], order_line_id=shop["ruby_line"])
    row = OutputRow(product_id=shop["ruby"].id, kind=InventoryKind.ROUGH, weight="80", weight_unit="g", pieces=8,
                    waste="5", rejected=Portion(weight="5", pieces=1), scrapped=Portion(weight="10", pieces=1))
    receipts.receive_job(session, actor=shop["nina"], job_id=cut.job_id, draft=ReceiptDraft(rows=(row,)),
                         recorded_at=start)
    jobs.close_job(session, actor=shop["nina"], job_id=cut.job_id)
    received = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == f"{shop['lot'].tag_id}-RCV1")).one()
    polish = _job(session, shop, SourceLine(received.id), stage="polishing", order_id=shop["sale"],
                  order_line_id=shop["ruby_line"])
    row = OutputRow(product_id=shop["ruby"].id, kind=InventoryKind.ROUGH, weight="70", weight_unit="g", pieces=6,
                    waste="5", rejected=Portion(weight="2", pieces=1), scrapped=Portion(weight="3", pieces=1))
    receipts.receive_job(session, actor=shop["nina"], job_id=polish.job_id, draft=ReceiptDraft(rows=(row,)),
                         recorded_at=start + timedelta(hours=1))
    # a cancelled linked job is listed but counts for nothing in the summary
    spare = _job(session, shop, SourceLine(shop["jade_lot"].id), order_id=shop["sale"],
                 order_line_id=shop["jade_line"])
    jobs.cancel_job(session, actor=shop["nina"], job_id=spare.job_id, reason="stones too small")

    found = links.order_production(session, actor=shop["nina"], order_id=shop["sale"])
    chips = found.efficiency
    assert [str(v) for v in (chips.output_pct, chips.gross_waste_pct, chips.net_waste_pct,
                             chips.consumption_pct)] == ["75.8", "24.2", "10.5", "31.9"]
    assert (chips.final_output, chips.net_input) == (D("72"), D("95"))
    assert [str(v) for v in chips.bar.shares().values()] == ["83.3", "0.0", "3.9", "7.2", "5.6"]
    assert found.final_stages == [shop["polishing"].name]
    assert (found.issued, found.received, found.unit) == (D("180"), D("150"), "g")
    assert [job.status for job in found.jobs] == [JobStatus.COMPLETED, JobStatus.ONGOING, JobStatus.CANCELLED]
    assert [job.number for job in found.for_line(shop["ruby_line"])] == [cut.number, polish.number]
    assert links.order_production(session, actor=shop["nina"], order_id=shop["buy"]) is None
    with pytest.raises(PermissionDenied):
        links.order_production(session, actor=shop["mo"], order_id=shop["sale"])


def test_jobs_outside_the_viewers_locations_are_counted_but_not_named(session, shop):
    south_job = _job(session, shop, SourceLine(shop["southern"].id), actor="sol", location_id=shop["south"].id,
                     order_id=shop["sale"], order_line_id=shop["ruby_line"])
    for_nina = links.order_production(session, actor=shop["nina"], order_id=shop["sale"])
    assert [(job.job_id, job.number) for job in for_nina.jobs] == [(None, links.ELSEWHERE)]
    assert for_nina.issued == D("30")
    for_admin = links.order_production(session, actor=shop["admin"], order_id=shop["sale"])
    assert [job.number for job in for_admin.jobs] == [south_job.number]


def test_order_percentages_are_computed_on_grams_whatever_the_workspace_unit(session, shop):
    """Issue 16: in a kg workspace the chips were computed on figures already rounded to 4 decimals of a kg."""
    cut = _job(session, shop, SourceLine(shop["lot"].id, quantity=1, weight="1.2"), order_id=shop["sale"],
               order_line_id=shop["ruby_line"])  # 1.2 g: in kg, 4 decimals keep only 0.1 g
    row = OutputRow(product_id=shop["ruby"].id, kind=InventoryKind.ROUGH, weight="0.83", weight_unit="g", pieces=1,
                    waste="0.17", rejected=Portion(weight="0.14", pieces=0), scrapped=Portion(weight="0.06", pieces=0))
    receipts.receive_job(session, actor=shop["nina"], job_id=cut.job_id, draft=ReceiptDraft(rows=(row,)))

    def chips():
        found = links.order_production(session, actor=shop["nina"], order_id=shop["sale"])
        efficiency = found.efficiency
        return found, [str(v) for v in (efficiency.output_pct, efficiency.gross_waste_pct, efficiency.net_waste_pct,
                                        efficiency.consumption_pct)]

    in_grams, expected = chips()
    assert expected == ["80.8", "19.2", "14.2", "23.7"]
    get_workspace(session).default_weight_unit = "kg"
    session.flush()
    in_kg, shown = chips()
    assert shown == expected
    assert (in_kg.unit, in_kg.final_output, in_kg.net_input) == ("kg", Decimal("0.0010"), Decimal("0.0012"))
    assert (in_grams.final_output, in_grams.net_input) == (Decimal("0.97"), Decimal("1.2"))


def test_the_final_stage_is_the_one_of_the_latest_receipt_by_its_date(session, shop):
    """A receipt typed in later but dated earlier does not make its stage the final one (issue 16)."""
    two_days_ago = utcnow().date() - timedelta(days=2)
    cut = _job(session, shop, SourceLine(shop["lot"].id), order_id=shop["sale"], order_line_id=shop["ruby_line"],
               issued_on=two_days_ago)
    polish = _job(session, shop, SourceLine(shop["jade_lot"].id), stage="polishing", order_id=shop["sale"],
                  order_line_id=shop["jade_line"], issued_on=two_days_ago)
    now = utcnow()
    for job, product, weight, day, recorded in ((cut, shop["ruby"], "100", now.date(), now - timedelta(hours=2)),
                                                (polish, shop["jade"], "40", now.date() - timedelta(days=1),
                                                 now - timedelta(hours=1))):
        row = OutputRow(product_id=product.id, kind=InventoryKind.ROUGH, weight=weight, weight_unit="g", pieces=1)
        receipts.receive_job(session, actor=shop["nina"], job_id=job.job_id,
                             draft=ReceiptDraft(rows=(row,), received_on=day), recorded_at=recorded)
    found = links.order_production(session, actor=shop["nina"], order_id=shop["sale"])
    assert found.final_stages == [shop["cutting"].name]


def test_cancelling_a_line_with_open_linked_jobs_asks_to_unlink_them_first(session, shop):
    """Issue 16: cancel_line ignored open linked jobs."""
    created = _job(session, shop, SourceLine(shop["lot"].id), order_id=shop["sale"], order_line_id=shop["ruby_line"])
    number = session.get(ProductionJob, created.job_id).number
    with pytest.raises(ValidationFailed, match=f"open production job linked to it \\({number}\\); unlink it first"):
        orders.cancel_line(session, actor=shop["admin"], line_id=shop["ruby_line"], reason="order withdrawn")
    assert _state(session, shop)[1][0] is LineStatus.IN_PROGRESS  # nothing written
    jobs.link_job(session, actor=shop["nina"], job_id=created.job_id, order_line_id=None)
    orders.cancel_line(session, actor=shop["admin"], line_id=shop["ruby_line"], reason="order withdrawn")
    assert _state(session, shop)[1][0] is LineStatus.CANCELLED
