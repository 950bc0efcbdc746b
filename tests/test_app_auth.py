"""Sign-in through the real app (AppTest): the gate, messages, logout and server-side sessions."""
import pytest
from sqlalchemy import select

from lib import db
from lib.models import LoginSession, Role, User
from lib.workspace import users
from tests.apptest import new_app, point_app_at, signed_in, texts
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop
from ui.navigation import PAGES


@pytest.fixture(scope="module")
def workshop(databases, tmp_path_factory):
    url = databases.new("auth")
    point_app_at(url, tmp_path_factory.mktemp("auth-data"))
    return two_location_workshop(url)


def _submit(at, username, password):
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    return at


def _menu(at):
    return [link.label for link in at.sidebar.get("page_link")]


def _login_sessions(url, username):
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        rows = session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).all()
        result = [(row.id, row.ended_at, row.end_reason) for row in rows], user.last_login_at
    engine.dispose()
    return result


@pytest.mark.parametrize("page", [spec.file for spec in PAGES])
def test_no_page_renders_data_before_sign_in(workshop, page):
    at = new_app(page, {"id": str(workshop.product_id)})
    at.run()
    assert not at.exception
    assert at.text_input(key="login_username") is not None
    shown = texts(at)
    for secret in ("Ruby", "TRUB", "North", "South", "Test Workshop"):
        assert secret not in shown
    assert not at.sidebar.get("page_link") and not at.dataframe and not at.metric


@pytest.mark.parametrize("username, password, message", [
    ("mo", "wrong-password", "Wrong username or password."),
    ("nobody", TEST_PASSWORD, "Wrong username or password."),
    ("", "", "Enter both your username and your password."),
    ("mo", "", "Enter both your username and your password."),
    ("gone", TEST_PASSWORD, "This account has been deactivated"),
])
def test_bad_credentials_get_a_clear_message(workshop, username, password, message):
    at = new_app()
    at.run()
    _submit(at, username, password)
    assert not at.exception
    assert any(message in e.value for e in at.error)
    assert not at.sidebar.get("page_link")


def test_sign_in_opens_a_server_side_session_and_logout_ends_it(workshop):
    at = new_app()
    at.run()
    _submit(at, "Nina", TEST_PASSWORD)  # usernames are not case-sensitive
    assert not at.exception
    assert _menu(at) == ["Home", "Products", "Inventory", "Orders"]  # Nina is a manager: orders read-only
    at.run()  # the next interaction is still signed in
    assert _menu(at) == ["Home", "Products", "Inventory", "Orders"]
    sessions, last_login = _login_sessions(workshop.url, "nina")
    assert last_login is not None and sessions[-1][1] is None
    at.button(key="sidebar_logout").click().run()
    assert at.text_input(key="login_username") is not None and not _menu(at)
    sessions, _ = _login_sessions(workshop.url, "nina")
    assert sessions[-1][2] == "logout"
    at.run()  # the next interaction stays signed out
    assert not _menu(at)


def test_deactivation_and_role_changes_apply_on_the_next_interaction(workshop):
    at = signed_in(workshop.url, "boss")
    at.run()
    assert _menu(at) == ["Home", "Products", "Inventory", "Orders", "Users", "Settings"]
    member_view = signed_in(workshop.url, "mo")
    member_view.run()
    assert "Sees: North" in texts(member_view)

    engine = db.make_engine(workshop.url)
    with db.session_scope(engine, write=True) as session:
        boss = session.scalars(select(User).where(User.username == "boss")).one()
        mo = session.scalars(select(User).where(User.username == "mo")).one()
        from lib.access import actor_for_user

        admin = actor_for_user(session, boss.id)
        users.update_user(session, actor=admin, user_id=mo.id, location_id=workshop.south_id)
    member_view.run()
    assert "Sees: South" in texts(member_view)

    with db.session_scope(engine, write=True) as session:
        users.update_user(session, actor=admin, user_id=mo.id, active=False)
    member_view.run()
    assert not _menu(member_view) and member_view.text_input(key="login_username") is not None
    assert any("session has ended" in i.value for i in member_view.info)
    with db.session_scope(engine, write=True) as session:
        users.update_user(session, actor=admin, user_id=mo.id, active=True, location_id=workshop.north_id)
    engine.dispose()


def test_admin_changes_a_role_from_the_users_page(workshop):
    at = signed_in(workshop.url, "boss", page="users.py")
    at.run()
    assert not at.exception
    engine = db.make_engine(workshop.url)
    with db.session_scope(engine) as session:
        sam_id = session.scalars(select(User.id).where(User.username == "sam")).one()
    at.selectbox(key="edit_user").set_value(sam_id).run()
    assert at.selectbox(key=f"edit_role_{sam_id}").value is Role.MEMBER  # the chosen user's own values
    at.selectbox(key=f"edit_role_{sam_id}").set_value(Role.MANAGER)
    at.button(key=f"FormSubmitter:edit_user_form_{sam_id}-Save changes").click().run()
    assert not at.exception
    assert any("sam updated" in s.value for s in at.success)
    with db.session_scope(engine) as session:
        assert session.scalars(select(User.role).where(User.username == "sam")).one() is Role.MANAGER
    engine.dispose()
