"""Sign-in through the real app (AppTest): the gate, messages, logout and server-side sessions."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lib import db
from lib.models import AuditEntry, LoginSession, Role, User
from lib.workspace import users
from tests.apptest import new_app, point_app_at, shown, signed_in, texts
from tests.factories import TEST_PASSWORD
from tests.scenarios import two_location_workshop
from ui.navigation import PAGES


@pytest.fixture(scope="module")
def _shared_workshop(databases, tmp_path_factory):
    url = databases.new("auth")
    return two_location_workshop(url), tmp_path_factory.mktemp("auth-data")


@pytest.fixture
def workshop(_shared_workshop):
    """The module's workshop (read-mostly tests); the app is pointed at it for each test."""
    built, data_dir = _shared_workshop
    point_app_at(built.url, data_dir)
    return built


@pytest.fixture
def own_workshop(fresh_url, tmp_path):
    """A workshop of the test's own, for tests that lock, deactivate or change passwords."""
    point_app_at(fresh_url, tmp_path)
    return two_location_workshop(fresh_url)


def _submit(at, username, password):
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    return at


def confirm_cookie(at):
    """Do what the browser does once the cookie component has stored the cookie: its value turns true."""
    at.session_state[at.session_state["loupe_cookie_pending"]["key"]] = True
    at.run()
    assert not at.exception


def confirm_cookie_deleted(at):
    """What the browser does once the cookie component has deleted the cookie."""
    at.session_state[at.session_state["loupe_cookie_delete"]] = True
    at.run()
    assert not at.exception


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


HTML_NAME = '<img src=x onerror="alert(1)">**boss**'


@pytest.mark.parametrize("username, password, message, audited", [
    ("mo", "wrong-password", "Wrong username or password.", True),
    ("nobody", TEST_PASSWORD, "Wrong username or password.", True),
    (HTML_NAME, TEST_PASSWORD, "Wrong username or password.", True),
    ("gone", TEST_PASSWORD, "This account has been deactivated", True),
    ("", "", "Enter both your username and your password.", False),
    ("mo", "", "Enter both your username and your password.", False),
    ("   ", "   ", "Enter both your username and your password.", False),
    ("mo", "x" * 10_000, "A password has at most 72 bytes", False),
])
def test_bad_credentials_get_a_clear_message_and_write_only_an_audit_entry(own_workshop, username, password,
                                                                            message, audited):
    before = _counts(own_workshop.url)
    at = new_app()
    at.run()
    _submit(at, username, password)
    assert not at.exception
    assert [e.value for e in at.error if message in e.value]
    assert not at.sidebar.get("page_link") and "loupe_login_session_id" not in at.session_state
    assert not at.get("component_instance")  # the form page never carries a component (ui/auth.py)
    assert "<img" not in texts(at) and "**boss**" not in texts(at)  # the typed name is never echoed
    audit_rows, sessions = _counts(own_workshop.url)
    assert sessions == before[1] and audit_rows == before[0] + audited
    at.run()  # any rerun keeps the message until the next submit
    assert [e.value for e in at.error if message in e.value]


def _counts(url):
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        result = (session.scalar(select(func.count()).select_from(AuditEntry)),
                  session.scalar(select(func.count()).select_from(LoginSession)))
    engine.dispose()
    return result


def test_sign_in_opens_a_server_side_session_and_logout_ends_it(workshop):
    at = new_app()
    at.run()
    _submit(at, "Nina", TEST_PASSWORD)  # usernames are not case-sensitive
    assert not at.exception
    assert "Signing you in…" in texts(at)  # the page opens once the browser has stored the cookie
    confirm_cookie(at)
    # Nina, a manager: orders read-only
    assert _menu(at) == ["Home", "Products", "Inventory", "Orders", "Production", "Reports", "Rate Center"]
    at.run()  # the next interaction is still signed in
    assert _menu(at) == ["Home", "Products", "Inventory", "Orders", "Production", "Reports", "Rate Center"]
    sessions, last_login = _login_sessions(workshop.url, "nina")
    assert last_login is not None and sessions[-1][1] is None
    at.button(key="sidebar_logout").click().run()
    sessions, _ = _login_sessions(workshop.url, "nina")
    assert sessions[-1][2] == "logout"  # ended on the server before the browser deletes its cookie
    assert "Signing you out of this browser…" in texts(at) and not _menu(at)
    assert not at.text_input  # no form while the cookie component is on the page
    confirm_cookie_deleted(at)
    assert at.text_input(key="login_username") is not None and not _menu(at)
    assert any("You have signed out." in i.value for i in at.info)
    at.run()  # the next interaction stays signed out
    assert not _menu(at)


def test_deactivation_and_role_changes_apply_on_the_next_interaction(workshop):
    at = signed_in(workshop.url, "boss")
    at.run()
    assert _menu(at) == ["Home", "Products", "Inventory", "Orders", "Production", "Reports", "Rate Center", "Users",
                         "Settings"]
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


# ---------------------------------------------------------------------------
# The order of a sign-in, throttling, sessions that follow the user's state
# ---------------------------------------------------------------------------

def _user_id(url, username):
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        user_id = session.scalars(select(User.id).where(User.username == username)).one()
    engine.dispose()
    return user_id


def _as_admin(url, action):
    """Run `action(session, admin_actor)` in a committed transaction as the workshop's admin."""
    from lib.access import actor_for_user

    engine = db.make_engine(url)
    with db.session_scope(engine, write=True) as session:
        result = action(session, actor_for_user(session, _user_id(url, "boss")))
    engine.dispose()
    return result


def test_the_sign_in_is_open_before_the_cookie_component_renders_and_survives_any_rerun(own_workshop):
    at = new_app()
    at.run()
    assert not at.get("component_instance")
    _submit(at, "mo", TEST_PASSWORD)
    record_id = at.session_state["loupe_login_session_id"]
    sessions, _ = _login_sessions(own_workshop.url, "mo")
    assert [row[0] for row in sessions] == [record_id]  # recorded in the submit run itself
    # Only now the cookie writer (streamlit-authenticator's cookie manager) is on the page.
    assert {c.key for c in at.get("component_instance")} == {"init", f"loupe_cookie_set_{record_id}"}
    for _ in range(3):  # the reruns the component causes carry no submit: the sign-in is already open
        at.run()
        assert "Signing you in…" in texts(at) and at.session_state["loupe_login_session_id"] == record_id
    confirm_cookie(at)
    assert _menu(at) == ["Home", "Products", "Inventory", "Production", "Reports"] and not at.get("component_instance")
    assert len(_login_sessions(own_workshop.url, "mo")[0]) == 1


def test_the_cookie_token_is_the_one_streamlit_authenticator_reads(own_workshop):
    from streamlit_authenticator.models.cookie_model import CookieModel

    from lib.config import load_settings
    from ui import auth

    at = new_app()
    at.run()
    _submit(at, "mo", TEST_PASSWORD)
    pending = at.session_state["loupe_cookie_pending"]
    model = CookieModel.__new__(CookieModel)  # its decoder, without rendering its component
    model.cookie_key, model.token = load_settings().cookie_secret, pending["token"]
    assert model._token_decode()["username"] == "mo"
    assert auth.cookie_username(pending["token"], load_settings().cookie_secret) == "mo"
    engine = db.make_engine(own_workshop.url)
    with db.session_scope(engine) as session:
        assert users.find_login_session(session, token=pending["token"]).id == at.session_state["loupe_login_session_id"]
    engine.dispose()


def test_five_wrong_passwords_lock_the_username_until_an_admin_clears_it(own_workshop):
    at = new_app()
    at.run()
    for _ in range(4):
        _submit(at, "nina", "wrong-password")
        assert at.error[0].value == "Wrong username or password."
    _submit(at, "nina", "wrong-password")
    assert at.error[0].value == "Too many attempts, try again in 15 minutes."
    _submit(at, "nina", TEST_PASSWORD)  # the right password is refused while locked
    assert at.error[0].value.startswith("Too many attempts, try again in")
    assert "loupe_login_session_id" not in at.session_state

    admin = signed_in(own_workshop.url, "boss", page="users.py")
    admin.run()
    assert not admin.exception
    assert admin.selectbox(key="clear_lock_username").options == ["nina"]
    admin.button(key="FormSubmitter:clear_lock_form-Clear lock").click().run()
    assert not admin.exception and any("Sign-in lock cleared" in shown(s.value) for s in admin.success)
    engine = db.make_engine(own_workshop.url)
    with db.session_scope(engine) as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "sign_in")
                                  .order_by(AuditEntry.id)).all()
        cleared_by = session.scalars(select(AuditEntry.user_id).where(AuditEntry.action == "sign-in lock cleared")).one()
    engine.dispose()
    assert actions == ["sign-in failed"] * 5 + ["sign-in locked", "sign-in lock cleared"]
    assert cleared_by == _user_id(own_workshop.url, "boss")

    _submit(at, "nina", TEST_PASSWORD)
    assert "Signing you in…" in texts(at)


def test_changing_ones_password_ends_the_other_browsers_sign_in(own_workshop):
    here, elsewhere = signed_in(own_workshop.url, "mo"), signed_in(own_workshop.url, "mo")
    here.run()
    elsewhere.run()
    assert _menu(elsewhere)
    here.text_input(key="pw_current").input(TEST_PASSWORD)
    here.text_input(key="pw_new").input("a-brand-new-one")
    here.text_input(key="pw_repeat").input("a-brand-new-one")
    here.button(key="FormSubmitter:password_form-Change password").click().run()
    assert not here.exception
    assert any("Your password has been changed. Your 1 other sign-in ended." in shown(s.value) for s in here.success)
    here.run()
    assert _menu(here)  # this browser stays signed in
    elsewhere.run()
    assert not _menu(elsewhere) and any("session has ended" in i.value for i in elsewhere.info)


def test_a_demoted_manager_cannot_change_the_product_image_from_a_page_drawn_before(fresh_url, tmp_path):
    from lib.models import Product
    from tests.test_product_pages import build_shop

    shop = build_shop(fresh_url)
    point_app_at(fresh_url, tmp_path)
    at = signed_in(fresh_url, "nina", page="product.py", query={"id": str(shop.ruby)})
    at.session_state["product_gallery_panel"] = True
    at.run()
    pick = at.button(key=f"product_image_pick_{shop.pictured_item}")
    _as_admin(fresh_url, lambda session, admin: users.update_user(
        session, actor=admin, user_id=_user_id(fresh_url, "nina"), role=Role.MEMBER))
    pick.click().run()  # the callback runs before the next run: it must resolve the Actor itself
    assert not at.exception
    engine = db.make_engine(fresh_url)
    with db.session_scope(engine) as session:
        assert session.get(Product, shop.ruby).image_item_id is None
        assert not session.scalars(select(AuditEntry).where(AuditEntry.entity == "product")).all()
    engine.dispose()
    assert "Nina · Member" in texts(at) and not [b for b in at.button if b.key.startswith("product_image_pick_")]


def test_a_callback_after_the_sign_in_ended_elsewhere_changes_nothing(own_workshop):
    at = signed_in(own_workshop.url, "boss")
    at.run()
    _as_admin(own_workshop.url, lambda session, admin: users.end_user_sessions(
        session, user_id=admin.user_id, reason="logout elsewhere"))
    at.toggle(key="ws_ai_summaries").set_value(True).run()
    assert not at.exception
    engine = db.make_engine(own_workshop.url)
    with db.session_scope(engine) as session:
        from lib.workspace.settings import get_workspace

        assert get_workspace(session).ai_summaries_enabled is False
    engine.dispose()
    assert at.text_input(key="login_username") is not None


def test_a_signed_in_rerun_opens_no_write_transaction(own_workshop):
    from sqlalchemy import event, update
    from sqlalchemy.engine import Engine

    from lib.models import utcnow

    writes = []

    def count_writers(connection):
        if connection.get_execution_options().get("loupe_immediate"):
            writes.append(connection)

    at = signed_in(own_workshop.url, "mo")
    at.run()
    event.listen(Engine, "begin", count_writers)
    try:
        for _ in range(3):
            at.run()
        assert writes == []  # the session check and the page are reads
        engine = db.make_engine(own_workshop.url)
        with db.session_scope(engine, write=True) as session:
            session.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
        engine.dispose()
        writes.clear()
        at.run()
        at.run()
        assert len(writes) == 1  # last_seen_at, written once, then not again within the minute
    finally:
        event.remove(Engine, "begin", count_writers)


def test_an_admin_with_the_demo_password_is_warned_on_every_page_until_it_changes(own_workshop):
    from lib.workspace.users import DEMO_PASSWORD

    _as_admin(own_workshop.url, lambda session, admin: setattr(
        session.get(User, admin.user_id), "password_hash", users.hash_password(DEMO_PASSWORD, rounds=4)))
    _as_admin(own_workshop.url, lambda session, admin: setattr(
        session.get(User, _user_id(own_workshop.url, "nina")), "password_hash",
        users.hash_password(DEMO_PASSWORD, rounds=4)))
    for page in ("home.py", "products.py", "inventory.py", "users.py", "settings.py"):
        at = signed_in(own_workshop.url, "boss", page=page)
        at.run()
        assert not at.exception
        assert any("public demo password" in w.value for w in at.warning), page
    manager = signed_in(own_workshop.url, "nina")
    manager.run()
    assert not any("public demo password" in w.value for w in manager.warning)  # admins only (docs/sign-in.md)

    at = signed_in(own_workshop.url, "boss")
    at.run()
    at.text_input(key="pw_current").input(DEMO_PASSWORD)
    at.text_input(key="pw_new").input("not-the-demo-any-more")
    at.text_input(key="pw_repeat").input("not-the-demo-any-more")
    at.button(key="FormSubmitter:password_form-Change password").click().run()
    assert not at.exception
    assert not any("public demo password" in w.value for w in at.warning)
    assert any("Your password has been changed." in shown(s.value) for s in at.success)


def test_a_role_change_between_two_reruns_applies_to_the_menu_and_the_pages(own_workshop):
    at = signed_in(own_workshop.url, "nina")
    at.run()
    assert "Users" not in _menu(at) and "Nina · Manager" in texts(at)
    _as_admin(own_workshop.url, lambda session, admin: users.update_user(
        session, actor=admin, user_id=_user_id(own_workshop.url, "nina"), role=Role.ADMIN))
    at.run()
    assert "Users" in _menu(at) and "Nina · Admin" in texts(at)
    _as_admin(own_workshop.url, lambda session, admin: users.update_user(
        session, actor=admin, user_id=_user_id(own_workshop.url, "nina"), role=Role.MEMBER,
        location_id=own_workshop.north_id))
    at.run()
    assert "Users" not in _menu(at) and "Nina · Member" in texts(at)


def test_a_browser_that_never_confirms_the_cookie_can_continue_in_that_tab(own_workshop):
    at = new_app()
    at.run()
    _submit(at, "mo", TEST_PASSWORD)
    at.button(key="auth_skip_cookie_write").click().run()
    assert not at.exception and _menu(at) == ["Home", "Products", "Inventory", "Production", "Reports"]
    assert not at.get("component_instance")
    at.button(key="sidebar_logout").click().run()  # no cookie known to be held: straight to the form
    assert at.text_input(key="login_username") is not None
    assert _login_sessions(own_workshop.url, "mo")[0][-1][2] == "logout"


def test_signing_out_can_skip_waiting_for_the_cookie_deletion(own_workshop):
    at = new_app()
    at.run()
    _submit(at, "mo", TEST_PASSWORD)
    confirm_cookie(at)
    at.button(key="sidebar_logout").click().run()
    assert "Signing you out of this browser…" in texts(at)
    at.button(key="auth_skip_cookie_delete").click().run()
    assert at.text_input(key="login_username") is not None and not at.get("component_instance")
    assert any("You have signed out." in i.value for i in at.info)
