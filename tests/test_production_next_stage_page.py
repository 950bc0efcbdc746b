"""Issue 16 item 8: "Issue the received output into the next stage" on a job linked to a sales order line
(AppTest, the story of tests/test_order_production_page.py plus a Polishing stage after Cutting).

A manager's next job is pre-filled with the received output's items and products and the same order line, and
is accepted; a member (who cannot link jobs) is told the link is not kept and why, never silently.
"""
from __future__ import annotations

from sqlalchemy import select

from lib import db
from lib.access import actor_for_user
from lib.models import ProductionJob, User
from lib.production import stages
from tests.apptest import signed_in
from tests.test_order_production_page import linked  # noqa: F401  (fixture)
from tests.test_orders_page import everything, run
from tests.test_orders_page import shop as order_shop  # noqa: F401  (fixture)


def _add_next_stage(url: str) -> None:
    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        boss = actor_for_user(session, session.scalar(select(User.id).where(User.username == "boss")))
        stages.add_stage(session, actor=boss, name="Polishing", code="POL")
    engine.dispose()


def test_a_manager_issues_the_output_into_the_next_stage_for_the_same_order_line(linked):  # noqa: F811
    _add_next_stage(linked["url"])
    at = run(signed_in(linked["url"], "nina", page="production.py", query={"job": str(linked["job"])}))
    at.button(key="pj_next_stage").click()
    run(at)
    assert at.multiselect(key="pj_new_products").value == [linked["workshop"].product_id]
    assert len(at.multiselect(key="pj_new_items").value) == 1
    assert at.selectbox(key="pj_new_order").value == linked["order"]
    at.button(key="pj_new_create").click()
    run(at)
    engine = db.make_engine(linked["url"])
    with db.session_scope(engine) as session:
        made = session.scalars(select(ProductionJob).order_by(ProductionJob.id.desc())).first()
        first = session.get(ProductionJob, linked["job"])
        assert made.id != first.id and (made.order_id, made.order_line_id) == (first.order_id, first.order_line_id)
    engine.dispose()


def test_a_member_is_told_why_the_next_job_is_not_linked(linked):  # noqa: F811
    _add_next_stage(linked["url"])
    at = run(signed_in(linked["url"], "mo", page="production.py", query={"job": str(linked["job"])}))
    at.button(key="pj_next_stage").click()
    run(at)
    shown = everything(at).replace("\\", "")
    assert "only admins and managers link jobs to order lines, so this new job will not be linked" in shown
    assert "SO-0001" not in shown
