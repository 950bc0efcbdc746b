"""The Production page (AppTest, real app and database) for each role.

Story (committed once per module): North holds two rough Ruby lots; JOB-0001 issued the first lot (100 g)
into Cutting and received 82 g good, 5 g rejected, 8 g scrap and 5 g waste (the reference's example);
JOB-0002 is planned at North with a deadline; JOB-0003 belongs to South. Boss is an admin, Nina manages North,
Mo is a North member, Sam a South member.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lib import db
from lib.models import InventoryItem, InventoryKind, JobIssue, Location, Product, ProductionJob, ProductionStage, User
from lib.production import jobs, receipts, stages
from lib.production.jobs import NewJob, SourceLine
from lib.production.receipts import OutputRow, Portion, ReceiptDraft
from tests import factories as f
from tests.apptest import point_app_at, signed_in, texts
from tests.scenarios import two_location_workshop


@dataclass
class Plant:
    url: str
    product_id: int
    done: int
    planned: int
    southern: int
    second_lot: int


def build_plant(url: str) -> Plant:
    workshop = two_location_workshop(url)
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        north = session.get(Location, workshop.north_id)
        ruby = session.get(Product, workshop.product_id)
        cutting = stages.add_stage(session, actor=boss, name="Cutting", code="CUT", kinds=["rough"])
        stages.add_stage(session, actor=boss, name="Polishing", code="POL")
        lot = f.make_item(session, ruby, north, quantity=10, weight="100", unit="g", kind=InventoryKind.ROUGH,
                          tag_id="TLOT0001")
        second = f.make_item(session, ruby, north, quantity=4, weight="40", unit="g", kind=InventoryKind.ROUGH,
                             tag_id="TLOT0002")
        done = jobs.create_job(session, actor=boss, data=NewJob(stage_id=cutting.id, sources=(SourceLine(lot.id),),
                                                                deadline=date.today() + timedelta(days=7)))
        receipts.receive_job(session, actor=boss, job_id=done.job_id, draft=ReceiptDraft(rows=(OutputRow(
            product_id=ruby.id, kind=InventoryKind.ROUGH, weight="82", pieces=8, weight_unit="g", waste="5",
            rejected=Portion(weight="5", pieces=1), scrapped=Portion(weight="8", pieces=0)),)))
        planned = jobs.create_job(session, actor=boss, data=NewJob(
            stage_id=cutting.id, location_id=north.id, deadline=date.today() + timedelta(days=3)))
        southern = session.scalars(select(InventoryItem).where(InventoryItem.tag_id == "TRUB0002")).one()
        south_job = jobs.create_job(session, actor=boss, data=NewJob(stage_id=cutting.id,
                                                                     sources=(SourceLine(southern.id),)))
        plant = Plant(url, ruby.id, done.job_id, planned.job_id, south_job.job_id, second.id)
    engine.dispose()
    return plant


@pytest.fixture(scope="module")
def plant(databases, tmp_path_factory):
    url = databases.new("production-page")
    point_app_at(url, tmp_path_factory.mktemp("production-page"))
    return build_plant(url)


@pytest.fixture
def fresh_plant(plant, databases, tmp_path):
    """A plant of the test's own (it writes), the app pointed at it; then back at the shared one."""
    url = databases.new("production-fresh")
    point_app_at(url, tmp_path)
    yield build_plant(url)
    point_app_at(plant.url, tmp_path)


def _open(plant: Plant, username: str, job: int | None = None, run: bool = True):
    at = signed_in(plant.url, username, page="production.py", query={"job": str(job)} if job else None)
    if run:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def _frame(at, column: str):
    """The first table showing `column` (AppTest finds only selectable tables by key)."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def _read(at) -> str:
    """What the user reads, with the Markdown escapes of plain() removed."""
    return texts(at).replace("\\", "")


def _listed(at) -> list[str]:
    return list(at.dataframe(key="pj_table").value["Job ID"])


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("username, expected", [("boss", ["JOB-0003", "JOB-0002", "JOB-0001"]),
                                                ("nina", ["JOB-0002", "JOB-0001"]), ("mo", ["JOB-0002", "JOB-0001"]),
                                                ("sam", ["JOB-0003"])])
def test_the_overview_shows_each_role_the_jobs_of_its_locations(plant, username, expected):
    at = _open(plant, username)
    assert _listed(at) == expected
    cards = _metrics(at)
    assert set(cards) == {"Ongoing", "Completed (7 days)", "Overdue", "Active staff"}
    assert cards["Ongoing"] == str(sum(1 for number in expected if number != "JOB-0002"))
    assert [e for e in at.get("vega_lite_chart")]  # the jobs-by-stage chart is drawn
    if username != "boss":
        other = "North" if username == "sam" else "South"
        assert other not in texts(at) and "TRUB0002" not in repr(at.dataframe(key="pj_table").value)


def test_tabs_and_search_narrow_the_list(plant):
    at = _open(plant, "nina")
    at.button_group(key="pj_tab").set_value("scheduled").run()
    assert _listed(at) == ["JOB-0002"]
    at.button_group(key="pj_tab").set_value("all").run()
    at.text_input(key="pj_q").set_value("tlot0001").run()
    assert _listed(at) == ["JOB-0001"]


def test_a_job_page_reads_the_documented_progress_and_efficiency(plant):
    at = _open(plant, "nina", plant.done)
    assert at.title[0].value.replace("\\", "") == "JOB-0001"
    assert _metrics(at) == {"Output": "87.0 %", "Gross waste": "13.0 %", "Net waste": "5.0 %",
                            "Consumption": "14.9 %"}
    assert "Completed 82.0 % · Pending 0.0 % · Rejected 5.0 % · Scrapped 8.0 % · Wasted 5.0 %" in [
        t.value for t in at.text]
    helps = {m.label: m.proto.help for m in at.metric}
    assert "(Waste + Scrapped) ÷ (Received + Rejected)" in helps["Consumption"]
    outputs = _frame(at, "From")
    assert list(outputs["Tag ID"]) == ["TLOT0001-RCV1", "TLOT0001-REJ1", "TLOT0001-SCRAP1", "(waste: not stocked)"]
    assert "Receipt 1" in list(_frame(at, "What")["What"])


def test_a_job_opens_by_its_printed_job_id_and_never_across_locations(plant):
    """The envelope's QR code holds the job ID ("JOB-0001"): a scanned or pasted job ID opens the job too."""
    engine = db.make_engine(plant.url)
    with db.session_scope(engine) as session:
        done, southern = (session.get(ProductionJob, job_id).number for job_id in (plant.done, plant.southern))
    engine.dispose()
    at = signed_in(plant.url, "boss", page="production.py", query={"job": done})
    at.run()
    assert not at.exception and done in texts(at) and "Production job not found" not in texts(at)
    at = signed_in(plant.url, "mo", page="production.py", query={"job": southern})
    at.run()
    assert "No such production job in your locations" in texts(at) and not at.metric


@pytest.mark.parametrize("username, job", [("mo", "southern"), ("sam", "done"), ("nina", None)])
def test_deep_links_never_cross_locations(plant, username, job):
    at = signed_in(plant.url, username, page="production.py",
                   query={"job": str(getattr(plant, job)) if job else "nope"})
    at.run()
    assert not at.exception
    assert "Production job not found" in texts(at) and "No such production job in your locations" in texts(at)
    assert not at.metric


def test_members_never_delete_and_managers_delete_only_planned_jobs(plant):
    member = _open(plant, "mo", plant.planned)
    assert "Delete" not in member.button_group(key="pj_action").options
    assert "Only admins and managers delete production jobs" in _read(member)
    issued = _open(plant, "nina", plant.done)
    assert "Delete" not in issued.button_group(key="pj_action").options
    manager = _open(plant, "nina", plant.planned)
    assert "Delete" in manager.button_group(key="pj_action").options


def test_a_manager_creates_a_job_that_issues_stock(fresh_plant):
    fresh, url = fresh_plant, fresh_plant.url
    at = _open(fresh, "nina")
    at.button_group(key="pj_view").set_value("New job").run()
    at.multiselect(key="pj_new_items").set_value([fresh.second_lot]).run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="pj_new_create").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["job"]
    assert "JOB-0004 created: issued TLOT0002." in _read(at)
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        job = session.scalars(select(ProductionJob).where(ProductionJob.number == "JOB-0004")).one()
        (issue,) = session.scalars(select(JobIssue).where(JobIssue.job_id == job.id)).all()
        assert (issue.item_id, issue.weight) == (fresh.second_lot, 40)
        assert session.get(InventoryItem, fresh.second_lot).quantity == 0
    engine.dispose()


def test_receiving_refuses_bad_weights_and_asks_to_confirm_far_too_much(fresh_plant):
    fresh, url = fresh_plant, fresh_plant.url
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        nina = f.actor(session, session.scalars(select(User).where(User.username == "nina")).one())
        stage = session.scalars(select(ProductionStage).where(ProductionStage.code == "CUT")).one()
        job_id = jobs.create_job(session, actor=nina, data=NewJob(
            stage_id=stage.id, sources=(SourceLine(fresh.second_lot, quantity=1, weight="10"),))).job_id
    at = _open(fresh, "nina", job_id)
    at.button_group(key="pj_action").set_value("receive").run()
    at.text_input(key="pj_rcv0_1_weight").set_value("-1").run()
    at.button(key="pj_rcv_save").click().run()
    assert "cannot be negative" in texts(at)
    at.text_input(key="pj_rcv0_1_weight").set_value("50").run()
    assert "500% of the 10.000 g issued" in _read(at)
    at.button(key="pj_rcv_save").click().run()
    assert "confirm them to save" in " ".join(e.value for e in at.error).replace("\\", "")
    at.checkbox(key="pj_rcv0_confirm").check().run()
    at.button(key="pj_rcv_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Receipt 1 recorded: TLOT0002-RCV1 (50.000 g)." in _read(at)
    assert _metrics(at)["Output"] == "500.0 %"
    assert "Over-recovery: 400.0 %" in _read(at)
    with db.session_scope(engine) as session:
        assert session.scalars(select(InventoryItem.weight).where(InventoryItem.tag_id == "TLOT0002-RCV1")).one() == 50
    engine.dispose()


def test_admins_manage_stages_and_defaults_on_settings(plant):
    at = signed_in(plant.url, "boss", page="settings.py")
    at.run()
    assert not at.exception
    assert list(_frame(at, "Applies to")["Name"])[:2] == ["Cutting", "Polishing"]
    at.text_input(key="stage_new_name").set_value("Setting")
    at.text_input(key="stage_new_code").set_value("set")
    at.button(key="FormSubmitter:add_stage_form-Add stage").click().run()
    assert not at.exception, [e.value for e in at.exception]
    stages_shown = _frame(at, "Applies to")
    assert "Setting" in list(stages_shown["Name"]) and "SET" in list(stages_shown["Code"])


def test_product_details_show_what_is_in_production(plant):
    at = signed_in(plant.url, "mo", page="product.py", query={"id": str(plant.product_id)})
    at.run()
    assert not at.exception
    card = {m.label: m for m in at.metric}["In production"]
    assert (card.value, card.delta) == ("100.000 g", "1 open job")  # JOB-0001: received, not completed yet
    assert list(_frame(at, "Job ID")["Job ID"]) == ["JOB-0001"]
    boss = signed_in(plant.url, "boss", page="product.py", query={"id": str(plant.product_id)})
    boss.run()
    card = {m.label: m for m in boss.metric}["In production"]
    assert (card.value, card.delta) == ("101.000 g", "2 open jobs")  # and South's JOB-0003 (TRUB0002, 1 g)


def test_editing_completing_and_cancelling_through_the_page(fresh_plant):
    url = fresh_plant.url
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        nina = f.actor(session, session.scalars(select(User).where(User.username == "nina")).one())
        stage = session.scalars(select(ProductionStage).where(ProductionStage.code == "CUT")).one()
        cancel_id = jobs.create_job(session, actor=nina, data=NewJob(
            stage_id=stage.id, sources=(SourceLine(fresh_plant.second_lot, quantity=1, weight="10"),))).job_id
    at = _open(fresh_plant, "mo", cancel_id)
    at.button_group(key="pj_action").set_value("edit").run()
    at.text_area(key="pj_edit_notes").set_value("Rush order")
    at.button(key="FormSubmitter:pj_edit_form-Save").click().run()
    assert "JOB-0004 saved." in _read(at) and "Rush order" in list(_frame(at, "Field")["Value"])
    at.button_group(key="pj_action").set_value("cancel").run()
    at.button(key="FormSubmitter:pj_cancel_form-Cancel job").click().run()
    assert "Reason for cancelling is required" in _read(at)
    at.text_input(key="pj_cancel_reason").set_value("design changed")
    at.button(key="FormSubmitter:pj_cancel_form-Cancel job").click().run()
    assert "JOB-0004 cancelled; its stock is back." in _read(at)
    assert "Cancelled" in texts(at) and "Returned" in list(_frame(at, "What")["What"])

    done = _open(fresh_plant, "nina", fresh_plant.done)  # 100 g issued, 100 g recorded: nothing pending
    done.button_group(key="pj_action").set_value("complete").run()
    done.button(key="FormSubmitter:pj_complete_form-Complete job").click().run()
    assert "JOB-0001 completed." in _read(done)
    # a completed job takes no more changes; a manager may still link it to the order line it made goods for
    assert [group.options for group in done.button_group] == [["Order line"]]
    with db.session_scope(engine) as session:
        assert session.get(InventoryItem, fresh_plant.second_lot).quantity == 4  # the cancelled issue came back
    engine.dispose()


def test_a_bench_return_and_completion_against_the_metal_balance(fresh_plant):
    """Issue 16: a job shows its metal balance, takes bench returns, and completes writing off what is unaccounted
    (a reason of only spaces is refused) or, above issued, only once a gain is confirmed."""
    engine = db.make_engine(fresh_plant.url)
    with db.session_scope(engine, write=True) as session:
        nina = f.actor(session, session.scalars(select(User).where(User.username == "nina")).one())
        stage = session.scalars(select(ProductionStage).where(ProductionStage.code == "CUT")).one()
        job_id = jobs.create_job(session, actor=nina, data=NewJob(
            stage_id=stage.id, sources=(SourceLine(fresh_plant.second_lot, quantity=4, weight="40"),))).job_id
    at = _open(fresh_plant, "mo", job_id)
    assert "Unaccounted" not in texts(at)  # the list column is on the overview, the balance here
    assert list(_frame(at, "Metal balance")["Metal balance"]) == ["Issued", "Returned", "Received", "Rejected",
                                                                 "Scrapped", "Waste", "Outstanding"]
    at.button_group(key="pj_action").set_value("return").run()
    at.text_input(key="pj_return_weight").set_value("50")
    at.button(key="FormSubmitter:pj_return_form-Return to stock").click().run()
    assert "at most 4 pcs and 40.000 g" in _read(at)
    at.text_input(key="pj_return_weight").set_value("12")
    at.text_input(key="pj_return_note").set_value("sprue")
    at.button(key="FormSubmitter:pj_return_form-Return to stock").click().run()
    assert "Returned 0 pcs, 12.000 g to TLOT0002." in _read(at)
    assert ("40.000 g issued − 12.000 g returned = 0.000 g received + 0.000 g rejected + 0.000 g scrapped + "
            "0.000 g waste + 28.000 g outstanding") in [t.value for t in at.text]
    assert "Returned" in list(_frame(at, "What")["What"])
    with db.session_scope(engine, write=True) as session:
        boss = f.actor(session, session.scalars(select(User).where(User.username == "boss")).one())
        receipts.receive_job(session, actor=boss, job_id=job_id, draft=ReceiptDraft(rows=(OutputRow(
            product_id=fresh_plant.product_id, kind=InventoryKind.ROUGH, weight="20", pieces=2, weight_unit="g",
            scrapped=Portion(weight="3")),)))
    at = _open(fresh_plant, "nina", job_id)
    at.button_group(key="pj_action").set_value("complete").run()
    assert "5.000 g of the issued metal is unaccounted" in _read(at)
    at.text_input(key="pj_complete_reason").set_value("   ")
    at.button(key="FormSubmitter:pj_complete_form-Complete job").click().run()
    assert "Reason for writing off the unaccounted metal is required" in _read(at)
    at.text_input(key="pj_complete_reason").set_value("filings lost")
    at.button(key="FormSubmitter:pj_complete_form-Complete job").click().run()
    assert "completed." in _read(at)
    assert list(_frame(at, "Metal balance")["Weight (g)"])[-1] == "0.000 g"
    listed = _open(fresh_plant, "nina")
    table = listed.dataframe(key="pj_table").value
    assert "Unaccounted" in table.columns and set(table["Unaccounted"]) == {"0.000 g"}
    engine.dispose()


def test_issue_more_asks_what_the_new_stock_should_yield(fresh_plant):
    engine = db.make_engine(fresh_plant.url)
    with db.session_scope(engine, write=True) as session:
        nina = f.actor(session, session.scalars(select(User).where(User.username == "nina")).one())
        stage = session.scalars(select(ProductionStage).where(ProductionStage.code == "CUT")).one()
        north = session.scalars(select(Location).where(Location.name == "North")).one()
        extra = f.make_item(session, session.get(Product, fresh_plant.product_id), north, quantity=2, weight="20",
                            unit="g", kind=InventoryKind.ROUGH, tag_id="TLOT0009")
        job_id = jobs.create_job(session, actor=nina, data=NewJob(
            stage_id=stage.id, sources=(SourceLine(fresh_plant.second_lot, quantity=1, weight="10"),), split="even",
            requested_weight="8", requested_weight_unit="g")).job_id
        extra_id = extra.id
    at = _open(fresh_plant, "nina", job_id)
    at.button_group(key="pj_action").set_value("issue").run()
    at.multiselect(key="pj_issue_items").set_value([extra_id]).run()
    assert "Requested output of the new stock (g)" in _read(at)
    at.text_input(key=f"pj_issue_rw_{extra_id}").set_value("15").run()
    at.button(key="pj_issue_save").click().run()
    assert "Issued TLOT0009 (20.000 g)." in _read(at)
    assert list(_frame(at, "Bucket")["Weight (g)"])[0] == "23.000 g"  # progress base 8 g + 15 g
    engine.dispose()
