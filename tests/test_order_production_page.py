"""The order page's Production section and the job page's order line, through the real app (AppTest).

Story: the orders page's shop (tests/test_orders_page.py: SO-0001 for 1 Ruby, customer "Acme <b>Jewels</b>"),
plus a Cutting stage and JOB-0001, which issued North's Ruby TRUB0001 (3 pcs, 6 ct) for line 1 and received
5 ct back with 0.5 ct waste and 0.5 ct scrap.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lib import db
from lib.access import actor_for_user
from lib.models import InventoryKind, ProductionJob, User
from lib.production import jobs, links, receipts, stages
from lib.production.jobs import NewJob, SourceLine
from lib.production.receipts import OutputRow, Portion, ReceiptDraft
from tests.apptest import signed_in
from tests.test_orders_page import SECRETS, everything, run
from tests.test_orders_page import shop as order_shop  # noqa: F401  (fixture)


@pytest.fixture
def linked(order_shop):  # noqa: F811
    shop = order_shop
    engine = db.make_engine(shop["url"])
    with db.session_scope(engine, write=True) as session:
        boss = actor_for_user(session, session.scalar(select(User.id).where(User.username == "boss")))
        nina = actor_for_user(session, session.scalar(select(User.id).where(User.username == "nina")))
        stage = stages.add_stage(session, actor=boss, name="Cutting", code="CUT")
        line_id = links.order_choices(session, actor=nina)[0].lines[0].line_id
        created = jobs.create_job(session, actor=nina, data=NewJob(
            stage_id=stage.id, sources=(SourceLine(shop["ruby_north"]),), order_id=shop["order"],
            order_line_id=line_id))
        row = OutputRow(product_id=shop["workshop"].product_id, kind=InventoryKind.FINISHED, weight="5",
                        weight_unit="ct", pieces=3, waste="0.5",
                        scrapped=Portion(weight="0.5", pieces=0))
        receipts.receive_job(session, actor=nina, job_id=created.job_id, draft=ReceiptDraft(rows=(row,)))
    engine.dispose()
    return {**shop, "job": created.job_id, "number": created.number}


def _jobs_table(at):
    """The production section's job table (AppTest does not expose a dataframe's key), or None."""
    return next((frame.value for frame in at.dataframe if "Job ID" in frame.value.columns), None)


def _order_page(shop, username):
    return run(signed_in(shop["url"], username, page="orders.py", query={"order": str(shop["order"])}))


def test_the_admin_sees_the_production_section_with_the_order_chips(linked):
    at = _order_page(linked, "boss")
    table = _jobs_table(at)
    assert list(table["Job ID"]) == [linked["number"]] and list(table["Line"]) == [1]
    assert list(table["Status"]) == ["Ongoing"] and list(table["Line status"]) == ["In Progress"]
    assert list(table["Open"]) == [f"/production?job={linked['job']}"]
    metrics = {metric.label: metric.value for metric in at.metric}
    # one job: final output = 5 ct, net input = 6 ct; loss = 1 ct
    assert metrics["Output"] == "83.3 %" and metrics["Gross waste"] == "16.7 %"
    assert metrics["Net waste"] == "8.3 %" and metrics["Consumption"] == "20.0 %"
    assert all(metric.help for metric in at.metric if metric.label in ("Output", "Consumption"))
    shown = everything(at)
    assert "Fulfilment: In Production" in shown and "Acme <b>Jewels</b>" in shown
    assert "Final received stage: Cutting" in shown
    # the metal balance vs issued: everything issued came back as output, scrap or waste
    assert list(table["Unaccounted"]) == ["0.000 g"]
    assert ("Metal balance of the jobs you see (vs issued): 1.200 g issued − 0.000 g returned = 1.000 g received "
            "+ 0.000 g rejected + 0.100 g scrapped + 0.100 g waste + 0.000 g outstanding") in shown


def test_a_manager_sees_the_section_without_the_customer(linked):
    at = _order_page(linked, "nina")
    assert list(_jobs_table(at)["Job ID"]) == [linked["number"]]
    shown = everything(at)
    for secret in SECRETS:
        assert secret not in shown, secret
    assert "Customer (SO-0001)" in shown


def test_the_job_page_links_to_the_order_for_managers_only(linked):
    at = run(signed_in(linked["url"], "nina", page="production.py", query={"job": str(linked["job"])}))
    labels = [link.label.replace("\\", "") for link in at.page_link]
    assert any("Works on SO-0001 line 1" in label and "Customer (SO-0001)" in label for label in labels), labels
    assert not any("Acme" in label for label in labels)
    at.segmented_control(key="pj_action").set_value("link")
    run(at)
    assert at.selectbox(key=f"pj_link_{linked['job']}_order").value == linked["order"]
    assert at.selectbox(key=f"pj_link_{linked['job']}_line").value is not None
    at.button(key="pj_link_clear").click()
    run(at)
    at = _order_page(linked, "boss")
    assert _jobs_table(at) is None
    member = run(signed_in(linked["url"], "mo", page="production.py", query={"job": str(linked["job"])}))
    assert "SO-0001" not in everything(member)


def test_a_member_never_sees_the_order_of_a_linked_job(linked):
    at = run(signed_in(linked["url"], "mo", page="production.py", query={"job": str(linked["job"])}))
    shown = everything(at)
    assert "SO-0001" not in shown and "a sales order line" in shown
    assert not [link for link in at.page_link if "Works on" in link.label]
    new_job = run(signed_in(linked["url"], "mo", page="production.py"))
    new_job.segmented_control(key="pj_view").set_value("New job")
    run(new_job)
    assert "pj_new_order" not in [box.key for box in new_job.selectbox]


def test_a_manager_plans_a_job_for_an_order_line_on_the_form(linked):
    at = run(signed_in(linked["url"], "nina", page="production.py"))
    at.segmented_control(key="pj_view").set_value("New job")
    run(at)
    order_box = at.selectbox(key="pj_new_order")
    assert order_box.options == ["—", "SO-0001 · Customer (SO-0001)"]
    order_box.set_value(linked["order"])
    run(at)
    assert at.selectbox(key="pj_new_line").value is not None
    at.button(key="pj_new_create").click()
    run(at)
    engine = db.make_engine(linked["url"])
    with db.session_scope(engine) as session:
        planned = session.scalars(select(ProductionJob).order_by(ProductionJob.id.desc())).first()
        assert planned.id != linked["job"] and planned.order_id == linked["order"]
    engine.dispose()
