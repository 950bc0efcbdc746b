"""Home shows each role its own scope; the admin sidebar changes workspace settings for everyone."""
import pytest
from sqlalchemy import select

from lib import db
from lib.models import AuditEntry, Plan
from lib.workspace.settings import get_workspace
from tests.apptest import point_app_at, signed_in, texts
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop


@pytest.fixture(scope="module")
def workshop(databases, tmp_path_factory):
    url = databases.new("home")
    point_app_at(url, tmp_path_factory.mktemp("home-data"))
    return two_location_workshop(url)


def _metrics(at):
    return {metric.label: metric.value for metric in at.metric}


def _workspace(url):
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        workspace = get_workspace(session)
        values = (workspace.ai_summaries_enabled, workspace.managers_all_locations, workspace.plan,
                  workspace.default_weight_unit)
        audits = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "workspace")).all()
    engine.dispose()
    return values, audits


def test_home_counts_only_the_viewers_scope(workshop):
    member = signed_in(workshop.url, "mo")  # North: one ruby of 6 ct = 1.2 g
    member.run()
    assert _metrics(member)["Items held"] == "1"
    assert _metrics(member)["Weight held"] == "1.200 g"
    assert "TRUB0002" not in texts(member) and "TJAD0001" not in str(member.dataframe[0].value)
    admin = signed_in(workshop.url, "boss")
    admin.run()
    assert _metrics(admin)["Items held"] == "3"
    assert _metrics(admin)["Weight held"] == "12.200 g"
    assert {"North", "South"} <= set(_metrics(admin))  # per-location cards for those who see several


def test_admin_sidebar_settings_apply_to_everyone_on_their_next_click(workshop):
    admin = signed_in(workshop.url, "boss")
    admin.run()
    manager = signed_in(workshop.url, "nina")
    manager.run()
    assert "Sees: North" in texts(manager)
    assert not [t for t in manager.sidebar.get("toggle")]  # no settings panel for managers

    admin.toggle(key="ws_managers_all_locations").set_value(True).run()
    admin.toggle(key="ws_ai_summaries").set_value(True).run()
    assert "Workspace settings saved." in texts(admin)
    assert "ws_default_unit" not in [s.key for s in admin.selectbox]  # the unit is edited in one place: /settings
    settings_page = signed_in(workshop.url, "boss", page="settings.py")
    settings_page.run()
    settings_page.selectbox(key="prod_unit").set_value("ct")
    settings_page.button(key="FormSubmitter:product_unit_form-Save unit").click().run()
    (ai, cross, plan, unit), audits = _workspace(workshop.url)
    assert (ai, cross, plan, unit) == (True, True, Plan.PROFESSIONAL, "ct")
    assert audits.count("update settings") >= 3
    manager.run()
    assert "Sees: all locations" in texts(manager)
    assert _metrics(manager)["Weight held"] == "61.000 ct"

    admin.selectbox(key="ws_plan").set_value(Plan.STARTER).run()
    assert admin.toggle(key="ws_managers_all_locations").disabled
    assert "Not available on the Starter plan" in texts(admin)
    manager.run()
    assert "Sees: North" in texts(manager)
    admin.selectbox(key="ws_plan").set_value(Plan.PROFESSIONAL).run()
    settings_page.selectbox(key="prod_unit").set_value("g")
    settings_page.button(key="FormSubmitter:product_unit_form-Save unit").click().run()
    admin.toggle(key="ws_ai_summaries").set_value(False).run()


def test_member_changes_their_own_password(workshop):
    at = signed_in(workshop.url, "sam")
    at.run()
    at.text_input(key="pw_current").input("wrong-one")
    at.text_input(key="pw_new").input("brand-new-pass")
    at.text_input(key="pw_repeat").input("brand-new-pass")
    at.button(key="FormSubmitter:password_form-Change password").click().run()
    assert any("current password is not correct" in e.value for e in at.error)
    at.text_input(key="pw_current").input(TEST_PASSWORD)
    at.text_input(key="pw_new").input("brand-new-pass")
    at.text_input(key="pw_repeat").input("brand-new-pass")
    at.button(key="FormSubmitter:password_form-Change password").click().run()
    assert any("password has been changed" in s.value for s in at.success)
