"""Users, passwords, sign-in records and workspace settings, all audited."""
import pytest
from sqlalchemy import select

from lib.errors import PermissionDenied, ValidationFailed
from lib.models import AuditEntry, Plan, Role, User
from lib.workspace import users
from lib.workspace.settings import SETTINGS, get_workspace, update_settings
from tests import factories as f


@pytest.fixture
def admin(session):
    location = f.make_location(session)
    return f.actor(session, f.make_user(session, Role.ADMIN)), location


def _audit(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_admin_adds_a_user_and_it_is_audited(session, admin):
    actor, location = admin
    user = users.create_user(session, actor=actor, username=" New.Hand ", name="New Hand", email="n@example.com",
                             password="long-enough", role=Role.MEMBER, location_id=location.id)
    assert user.username == "new.hand" and users.password_matches("long-enough", user.password_hash)
    assert users.check_sign_in(session, username="New.Hand", password="long-enough").user_id == user.id
    entry = _audit(session, "add user")[-1]
    assert entry.user_id == actor.user_id and "new.hand" in entry.new_values and "long-enough" not in entry.new_values


def test_every_problem_is_reported_at_once(session, admin):
    actor, _ = admin
    with pytest.raises(ValidationFailed) as error:
        users.create_user(session, actor=actor, username="X", name="", email="nope", password="short",
                          role=Role.MEMBER, location_id=None)
    assert len(error.value.problems) == 5


def test_non_admin_cannot_manage_users(session, admin):
    _, location = admin
    manager = f.actor(session, f.make_user(session, Role.MANAGER, location))
    with pytest.raises(PermissionDenied):
        users.create_user(session, actor=manager, username="x1", name="X", email="x@example.com",
                          password="long-enough", role=Role.MEMBER, location_id=location.id)


def test_deactivation_ends_sign_ins_and_refuses_new_ones(session, admin):
    actor, location = admin
    member = f.make_user(session, Role.MEMBER, location)
    record = users.open_login_session(session, username=member.username, token="tok-1", expiry_days=1)
    users.update_user(session, actor=actor, user_id=member.id, active=False)
    assert users.check_login_session(session, login_session_id=record.id) is None
    attempt = users.check_sign_in(session, username=member.username, password=f.TEST_PASSWORD)
    assert attempt.outcome is users.SignInOutcome.DEACTIVATED and "deactivated" in attempt.message
    assert users.find_login_session(session, token="tok-1") is None


def test_logout_ends_the_record_so_a_copied_cookie_fails(session, admin):
    _, location = admin
    member = f.make_user(session, Role.MEMBER, location)
    record = users.open_login_session(session, username=member.username, token="cookie-abc", expiry_days=1)
    assert users.find_login_session(session, token="cookie-abc").id == record.id
    users.end_login_session(session, login_session_id=record.id)
    assert users.find_login_session(session, token="cookie-abc") is None
    assert users.check_login_session(session, login_session_id=record.id) is None


def test_the_last_admin_stays(session):
    workspace_admins = session.scalars(select(User).where(User.role == Role.ADMIN, User.active.is_(True))).all()
    for other in workspace_admins:
        other.active = False
    only = f.make_user(session, Role.ADMIN)
    actor = f.actor(session, only)
    with pytest.raises(PermissionDenied, match="at least one active admin"):
        users.update_user(session, actor=actor, user_id=only.id, active=False)
    with pytest.raises(PermissionDenied):
        users.update_user(session, actor=actor, user_id=only.id, role=Role.MEMBER, location_id=None)


def test_change_own_password(session, admin):
    actor, _ = admin
    with pytest.raises(ValidationFailed, match="current password"):
        users.change_own_password(session, actor=actor, current_password="wrong", new_password="abcdefgh12",
                                  repeat_password="abcdefgh12")
    with pytest.raises(ValidationFailed, match="do not match"):
        users.change_own_password(session, actor=actor, current_password=f.TEST_PASSWORD, new_password="abcdefgh12",
                                  repeat_password="abcdefgh22")
    users.change_own_password(session, actor=actor, current_password=f.TEST_PASSWORD, new_password="abcdefgh12",
                              repeat_password="abcdefgh12")
    assert users.password_matches("abcdefgh12", session.get(User, actor.user_id).password_hash)


def test_workspace_settings_are_validated_and_audited(session, admin):
    actor, _ = admin
    update_settings(session, actor=actor, ai_summaries_enabled=True, default_weight_unit="CT", tag_prefix="ab-c!")
    workspace = get_workspace(session)
    assert (workspace.ai_summaries_enabled, workspace.default_weight_unit, workspace.tag_prefix) == (True, "ct", "AB-C")
    assert "ai_summaries_enabled" in _audit(session, "update settings")[-1].new_values
    with pytest.raises(ValidationFailed, match="Unknown weight unit"):
        update_settings(session, actor=actor, default_weight_unit="furlong")
    update_settings(session, actor=actor, plan=Plan.PROFESSIONAL, managers_all_locations=True)
    update_settings(session, actor=actor, plan=Plan.STARTER)
    assert get_workspace(session).managers_all_locations is False
    with pytest.raises(ValidationFailed, match="Professional"):
        update_settings(session, actor=actor, managers_all_locations=True)
    assert {spec.field for spec in SETTINGS} >= {"ai_summaries_enabled", "managers_all_locations", "plan",
                                                 "default_weight_unit"}
