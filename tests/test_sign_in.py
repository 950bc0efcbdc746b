"""Sign-in checks in lib: messages, what is written, throttling from the audit log, sessions as reads."""
from datetime import timedelta

import bcrypt
import pytest
from sqlalchemy import event, func, select

from lib.errors import PermissionDenied, ValidationFailed
from lib.models import AuditEntry, LoginSession, Role, User, utcnow
from lib.workspace import users
from lib.workspace.users import SignInOutcome
from tests import factories as f

WRONG, LOCKED = users.WRONG_CREDENTIALS, "Too many attempts, try again in"


@pytest.fixture
def member(session):
    return f.make_user(session, Role.MEMBER, f.make_location(session))


@pytest.fixture
def admin(session):
    return f.actor(session, f.make_user(session, Role.ADMIN))


def _sign_in(session, username, password, now=None):
    """Both steps as ui/auth.py runs them (check, then record); returns the result."""
    attempt = users.check_sign_in(session, username=username, password=password, now=now)
    if not attempt.needs_record:
        return users.SignInResult(None, None, attempt.message)
    return users.record_sign_in(session, attempt, token=f"tok-{f.unique('t')}", expiry_days=1, now=now)


def _rows(session, model=AuditEntry):
    return session.scalar(select(func.count()).select_from(model))


def _entries(session, username):
    return session.scalars(select(AuditEntry).where(AuditEntry.entity == users.SIGN_IN_ENTITY,
                                                    AuditEntry.entity_id == username).order_by(AuditEntry.id)).all()


@pytest.mark.parametrize("username, password, message", [
    ("", "", users.ENTER_BOTH),
    ("   ", "whatever-1", users.ENTER_BOTH),
    ("someone", "    ", users.ENTER_BOTH),
    ("someone", "x" * 10_000, users.PASSWORD_TOO_LONG),
    ("someone", "é" * 40, users.PASSWORD_TOO_LONG),  # 40 characters, 80 bytes: more than bcrypt reads
])
def test_attempts_that_check_no_password_write_nothing(session, member, username, password, message):
    before = (_rows(session), _rows(session, LoginSession))
    result = _sign_in(session, username.replace("someone", member.username), password)
    assert result.message == message and result.login_session_id is None
    assert (_rows(session), _rows(session, LoginSession)) == before


def test_a_password_longer_than_bcrypt_reads_never_signs_in_by_its_prefix(session):
    location = f.make_location(session)
    user = f.make_user(session, Role.MEMBER, location)
    user.password_hash = users.hash_password("p" * 72, rounds=4)
    attempt = users.check_sign_in(session, username=user.username, password="p" * 72 + "and-more")
    assert attempt.outcome is SignInOutcome.TOO_LONG
    assert not users.password_matches("p" * 10_000, user.password_hash)  # bcrypt 5 would raise; we refuse
    assert users.check_sign_in(session, username=user.username, password="p" * 72).outcome is SignInOutcome.OK


def test_wrong_password_unknown_user_and_html_username_read_alike_and_are_audited(session, member):
    html_name = '<img src=x onerror="alert(1)">Boss'
    results = [_sign_in(session, member.username, "wrong-password"),
               _sign_in(session, "nobody-here", f.TEST_PASSWORD),
               _sign_in(session, html_name, f.TEST_PASSWORD)]
    assert {r.message for r in results} == {WRONG} and not any(r.login_session_id for r in results)
    for name in (member.username, "nobody-here", html_name.lower()):
        [entry] = _entries(session, name)
        assert entry.action == users.FAILED and entry.user_id is None


def test_a_very_long_username_is_refused_and_audited_under_its_first_60_characters(session):
    typed = "A" * 10_000
    assert _sign_in(session, typed, f.TEST_PASSWORD).message == WRONG
    assert len(_entries(session, "a" * 60)) == 1


def test_unknown_usernames_check_a_dummy_hash_of_the_real_cost(session, member, monkeypatch):
    checked = []
    real_check = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda pw, hashed: checked.append(hashed) or real_check(pw, hashed))
    users.check_sign_in(session, username="nobody-at-all", password="some-password")
    users.check_sign_in(session, username=member.username, password="some-password")
    assert len(checked) == 2  # one bcrypt check per attempt, known user or not
    assert checked[0] == users.DUMMY_HASH.encode() and users.DUMMY_HASH.startswith(f"$2b${users.BCRYPT_ROUNDS}$")
    assert users.hash_password("x" * 10).startswith(f"$2b${users.BCRYPT_ROUNDS}$")  # real users' cost


def test_deactivated_account_says_so_only_with_its_right_password(session, admin, member):
    users.update_user(session, actor=admin, user_id=member.id, active=False)
    assert _sign_in(session, member.username, "wrong-password").message == WRONG
    result = _sign_in(session, member.username, f.TEST_PASSWORD)
    assert result.message == users.DEACTIVATED and result.login_session_id is None
    assert [e.action for e in _entries(session, member.username)] == [users.FAILED, users.REFUSED]


def test_success_opens_an_audited_session_for_the_cookie_token(session, member):
    attempt = users.check_sign_in(session, username=f"  {member.username.upper()} ", password=f.TEST_PASSWORD)
    result = users.record_sign_in(session, attempt, token="the-cookie-token", expiry_days=7)
    assert result.message is None and result.user_id == member.id
    assert users.find_login_session(session, token="the-cookie-token").id == result.login_session_id
    assert member.last_login_at is not None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "sign in")
                            .order_by(AuditEntry.id.desc())).first()
    assert entry.user_id == member.id


def test_25_wrong_passwords_lock_the_username_and_the_right_one_is_refused(session, member):
    t0 = utcnow()
    messages = [_sign_in(session, member.username, f"wrong-{i}", now=t0 + timedelta(seconds=i)).message
                for i in range(25)]
    assert messages[:4] == [WRONG] * 4
    assert messages[4] == "Too many attempts, try again in 15 minutes."
    assert all(m.startswith(LOCKED) for m in messages[4:])
    result = _sign_in(session, member.username, f.TEST_PASSWORD, now=t0 + timedelta(minutes=1))
    assert result.message == "Too many attempts, try again in 15 minutes." and result.login_session_id is None
    actions = [e.action for e in _entries(session, member.username)]
    assert actions == [users.FAILED] * 5 + [users.LOCKED]  # attempts while locked check nothing, write nothing
    later = _sign_in(session, member.username, f.TEST_PASSWORD, now=t0 + timedelta(minutes=16))
    assert later.login_session_id is not None


def test_unknown_usernames_lock_exactly_like_real_ones(session):
    t0 = utcnow()
    messages = [_sign_in(session, "ghost", "wrong-password", now=t0 + timedelta(seconds=i)).message for i in range(6)]
    assert messages[:4] == [WRONG] * 4 and all(m.startswith(LOCKED) for m in messages[4:])


def test_failures_count_within_the_window_and_a_success_resets_them(session, member):
    t0 = utcnow()
    for i in range(4):
        _sign_in(session, member.username, "wrong-password", now=t0 + timedelta(seconds=i))
    assert _sign_in(session, member.username, f.TEST_PASSWORD, now=t0 + timedelta(minutes=1)).login_session_id
    for i in range(4):
        assert _sign_in(session, member.username, "wrong-password", now=t0 + timedelta(minutes=2, seconds=i)).message == WRONG
    assert users.sign_in_throttle(session, username=member.username, now=t0 + timedelta(minutes=3)) == (4, None)
    # 16 minutes later the four have left the window: one more failure does not lock.
    assert _sign_in(session, member.username, "wrong-password", now=t0 + timedelta(minutes=18)).message == WRONG


def test_the_lock_message_counts_down(session):
    t0 = utcnow()
    for i in range(5):
        _sign_in(session, "countdown", "wrong-password", now=t0)
    assert users.check_sign_in(session, username="countdown", password="again-wrong",
                               now=t0 + timedelta(minutes=14, seconds=1)).message == \
        "Too many attempts, try again in 1 minute."


def test_admin_lists_and_clears_a_lock_audited(session, admin, member):
    t0 = utcnow()
    for i in range(5):
        _sign_in(session, member.username, "wrong-password", now=t0)
    _sign_in(session, "Typo-Name", "wrong-password", now=t0)
    locks = {lock.username: lock for lock in users.sign_in_locks(session, actor=admin, now=t0)}
    assert locks[member.username].locked_until == t0 + users.LOCK_DURATION
    assert locks["typo-name"].failures == 1 and locks["typo-name"].locked_until is None
    users.clear_sign_in_lock(session, actor=admin, username=member.username.upper(), now=t0)
    assert _entries(session, member.username)[-1].user_id == admin.user_id
    assert _sign_in(session, member.username, f.TEST_PASSWORD, now=t0 + timedelta(seconds=1)).login_session_id
    with pytest.raises(ValidationFailed, match="no failed sign-ins"):
        users.clear_sign_in_lock(session, actor=admin, username=member.username, now=t0 + timedelta(seconds=2))


def test_only_admins_see_and_clear_locks(session, member):
    manager = f.actor(session, f.make_user(session, Role.MANAGER, f.make_location(session)))
    with pytest.raises(PermissionDenied):
        users.sign_in_locks(session, actor=manager)
    with pytest.raises(PermissionDenied):
        users.clear_sign_in_lock(session, actor=manager, username=member.username)


def test_a_success_after_the_check_is_refused_when_the_account_was_deactivated_meanwhile(session, admin, member):
    attempt = users.check_sign_in(session, username=member.username, password=f.TEST_PASSWORD)
    users.update_user(session, actor=admin, user_id=member.id, active=False)
    result = users.record_sign_in(session, attempt, token="late", expiry_days=1)
    assert result.login_session_id is None and result.message == users.DEACTIVATED


@pytest.mark.parametrize("password, problem", [
    ("nine-char", "at least 10 characters"),
    (" " * 12, "only spaces"),
    ("é" * 37, "at most 72 bytes"),
    ("x" * 10_000, "at most 72 bytes"),
])
def test_new_passwords_are_checked(session, admin, password, problem):
    location = f.make_location(session)
    with pytest.raises(ValidationFailed, match=problem):
        users.create_user(session, actor=admin, username=f.unique("new"), name="New", email="n@example.com",
                          password=password, role=Role.MEMBER, location_id=location.id)
    with pytest.raises(ValidationFailed, match=problem):
        users.change_own_password(session, actor=admin, current_password=f.TEST_PASSWORD, new_password=password,
                                  repeat_password=password)


def test_the_demo_password_meets_the_minimum_length():
    from lib.workspace.users import DEMO_PASSWORD

    assert len(DEMO_PASSWORD) >= users.MIN_PASSWORD_LENGTH == 10


def test_a_huge_current_password_is_just_wrong(session, admin):
    with pytest.raises(ValidationFailed, match="current password is not correct"):
        users.change_own_password(session, actor=admin, current_password="x" * 10_000, new_password="long-enough-1",
                                  repeat_password="long-enough-1")


def test_changing_ones_password_ends_the_other_sign_ins_only(session, member):
    here = users.open_login_session(session, username=member.username, token="here", expiry_days=1)
    elsewhere = users.open_login_session(session, username=member.username, token="elsewhere", expiry_days=1)
    ended = users.change_own_password(session, actor=f.actor(session, member), current_password=f.TEST_PASSWORD,
                                      new_password="a-new-password", repeat_password="a-new-password",
                                      keep_login_session_id=here.id)
    assert ended == 1
    assert users.check_login_session(session, login_session_id=here.id) is not None
    assert users.check_login_session(session, login_session_id=elsewhere.id) is None
    assert users.find_login_session(session, token="elsewhere") is None
    session.refresh(elsewhere)
    assert elsewhere.end_reason == "password changed"


def test_checking_a_session_is_a_read_and_activity_is_written_once_a_minute(session, member):
    record = users.open_login_session(session, username=member.username, token="reads", expiry_days=1)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 (before_cursor_execute's statement)
    event.listen(session.get_bind(), "before_cursor_execute", listener)
    try:
        fresh = users.check_login_session(session, login_session_id=record.id)
        assert fresh.user_id == member.id and not fresh.activity_due
        assert all(s.lstrip().upper().startswith("SELECT") for s in statements)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listener)
    later = utcnow() + timedelta(seconds=61)
    assert users.check_login_session(session, login_session_id=record.id, now=later).activity_due
    users.note_activity(session, login_session_id=record.id, now=later)
    users.note_activity(session, login_session_id=record.id, now=later + timedelta(seconds=30))  # too soon: no write
    session.refresh(record)
    assert record.last_seen_at == later
    assert not users.check_login_session(session, login_session_id=record.id, now=later + timedelta(seconds=30)).activity_due


def test_an_expired_sign_in_is_closed(session, member):
    record = users.open_login_session(session, username=member.username, token="short", expiry_days=1)
    assert users.check_login_session(session, login_session_id=record.id, now=utcnow() + timedelta(days=2)) is None


def test_uses_demo_password_follows_the_hash(session, admin):
    from lib.workspace.users import DEMO_PASSWORD

    user = session.get(User, admin.user_id)
    assert not users.uses_demo_password(session, user_id=admin.user_id)
    user.password_hash = users.hash_password(DEMO_PASSWORD, rounds=4)
    assert users.uses_demo_password(session, user_id=admin.user_id)
    users.change_own_password(session, actor=admin, current_password=DEMO_PASSWORD, new_password="not-the-demo-1",
                              repeat_password="not-the-demo-1")
    assert not users.uses_demo_password(session, user_id=admin.user_id)


def test_the_sign_in_docs_state_the_rules_the_code_applies():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme, doc = (root / "README.md").read_text(), (root / "docs/sign-in.md").read_text()
    assert "(docs/sign-in.md)" in readme
    minutes = users.LOCK_DURATION.total_seconds() / 60
    assert users.MAX_FAILED_SIGN_INS == 5 and users.THROTTLE_WINDOW == users.LOCK_DURATION and minutes == 15
    assert "Five wrong passwords for one username within 15 minutes lock that username\nfor 15 minutes" in doc
    assert f"At least {users.MIN_PASSWORD_LENGTH} characters" in doc and f"cost {users.BCRYPT_ROUNDS}" in doc
    for message in (users.ENTER_BOTH, users.WRONG_CREDENTIALS, users.DEACTIVATED, users.PASSWORD_TOO_LONG):
        assert message in doc, message


def test_failures_recorded_at_the_same_moment_write_exactly_one_lock(fresh_engine):
    import threading

    from lib import db

    with db.session_scope(fresh_engine, write=True) as session:
        username = f.make_user(session, Role.MEMBER, f.make_location(session)).username
    attempts, barrier, errors = 8, threading.Barrier(8, timeout=120), []

    def attempt():
        try:
            with db.session_scope(fresh_engine) as session:
                checked = users.check_sign_in(session, username=username, password="wrong-password")
            barrier.wait()  # every check passed before any failure is recorded: the worst case
            with db.session_scope(fresh_engine, write=True) as session:
                users.record_sign_in(session, checked, token="unused", expiry_days=1)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
            barrier.abort()  # the others stop waiting for this one (a failure, not a hang)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with db.session_scope(fresh_engine) as session:
        actions = [entry.action for entry in _entries(session, username)]
    assert actions.count(users.FAILED) == attempts and actions.count(users.LOCKED) == 1
    assert actions.index(users.LOCKED) == 5  # written by the fifth failure, whichever thread it was
