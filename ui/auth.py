"""Sign-in: the password form, the server-side record of each sign-in, and the cookie.

Why the order is what it is
---------------------------
Streamlit stops a running script as soon as the browser asks for another run
(`runner.fastReruns`), and the run that replaces it no longer carries the
one-shot form submit. A custom component (streamlit-authenticator's cookie
manager is one) asks for a run when its iframe mounts and again when it has
done its work. With the authenticator's own `login` widget that component was
built while bcrypt was still checking, and on a busy machine most submits were
lost. So:

1. The sign-in form page renders no component, ever: nothing but the user can
   start a run while the form is on screen.
2. On submit, `lib.workspace.users` checks the throttle and the password
   (bcrypt against the users table; a dummy hash of the same cost for unknown
   names) in a read transaction, then records the outcome in a write
   transaction: an audited failure, or a `LoginSession` row for the cookie
   token computed beforehand. The row's id goes into `st.session_state`
   before anything else is rendered, so a rerun at any moment after that
   finds the sign-in open; a refusal's message is kept in the session state
   until the next submit, whatever reruns follow. bcrypt never runs inside a
   write transaction (on SQLite every writer would queue behind it).
3. Only then is streamlit-authenticator's cookie controller rendered, writing
   the token whose SHA-256 the row holds: the token its cookie model builds
   (HS256 JWT of `username` and `exp_date`). Until the browser confirms (the
   component's value turns true) the page shows "Signing you in…" and the
   component is rendered on every run at the same place, so no rerun unmounts
   it half-way. The app opens after the confirmation: a reload or a new tab
   works from then on, and nothing on the page reruns it, so no click is lost.
4. A new tab or a reload (a new Streamlit session) reads the cookie from the
   request (`st.context.cookies`) without rendering any component, and is
   signed in only while its `LoginSession` row is open and the user active.
5. Signing out (or a sign-in ended elsewhere) ends the row first, then deletes
   the cookie through the same controller on a "Signing you out…" screen; the
   form comes back once the browser confirms, so it never shares the page
   with a component.

Every rerun checks the `LoginSession` row with a read; `last_seen_at` is
written at most once a minute. More in docs/sign-in.md.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
import streamlit as st
from streamlit_authenticator.controllers import CookieController

from lib.access import Actor, actor_for_user
from lib.models import Role
from lib.workspace import users
from ui import context

COOKIE_NAME = "loupe_auth"
NOTICE_KEY = "loupe_auth_notice"
ERROR_KEY = "loupe_login_error"
COOKIE_PENDING_KEY = "loupe_cookie_pending"     # the cookie to write, until the browser confirms it
COOKIE_HELD_KEY = "loupe_cookie_held"           # the browser holds our cookie (it sent it, or confirmed writing it)
COOKIE_DELETE_KEY = "loupe_cookie_delete"       # component key of a deletion the browser has not confirmed yet
DEAD_COOKIE_KEY = "loupe_cookie_dead"           # digest of this connection's cookie once it no longer signs in
SIGNED_OUT = "You have signed out."
DEMO_PASSWORD_WARNING = (
    "Your password is still the public demo password. Anyone who has read the README can sign in as you: "
    "change it in the sidebar under **Change my password** before real use.")


# ---------------------------------------------------------------------------
# The cookie token: the same JWT streamlit-authenticator's cookie model builds and reads
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CookieToken:
    token: str
    expires_at: datetime


def new_cookie_token(username: str, secret: str, expiry_days: float, now: datetime | None = None) -> CookieToken:
    """HS256 JWT of `username` and `exp_date` (a Unix time), as CookieModel._token_encode makes it."""
    expires_at = (now or datetime.now(timezone.utc)) + timedelta(days=expiry_days)
    token = jwt.encode({"username": username, "exp_date": expires_at.timestamp()}, secret, algorithm="HS256")
    return CookieToken(token, expires_at)


def cookie_username(token: str, secret: str, now: datetime | None = None) -> str | None:
    """The username of a well-signed, unexpired cookie token, else None (as CookieModel.get_cookie decides)."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return None
    username, exp_date = claims.get("username"), claims.get("exp_date")
    if not isinstance(username, str) or not isinstance(exp_date, (int, float)):
        return None
    return username if exp_date > (now or datetime.now(timezone.utc)).timestamp() else None


def _cookie_manager():
    """streamlit-authenticator's cookie manager component (its construction renders the "init" reader)."""
    settings = context.settings()
    controller = CookieController(COOKIE_NAME, settings.cookie_secret, settings.cookie_expiry_days)
    return controller.cookie_model.cookie_manager


def _writing_cookie(form_area, plumbing) -> bool:
    """Right after a sign-in, show "Signing you in…" until the browser confirms the cookie is written.

    The page under it only opens once the cookie components are gone, so a
    click there is never lost to their reruns, and a reload or a new tab works
    from the moment the page shows. True while it lasts.
    """
    pending = st.session_state.get(COOKIE_PENDING_KEY)
    if not pending:
        return False
    if st.session_state.get(pending["key"]):
        st.session_state.pop(COOKIE_PENDING_KEY)
        st.session_state[COOKIE_HELD_KEY] = True
        return False
    with plumbing:
        _cookie_manager().set(COOKIE_NAME, pending["token"], key=pending["key"], expires_at=pending["expires_at"])
    with form_area:
        st.title("💎 Loupe Factory")
        st.caption("Signing you in…")
        st.button("Continue without staying signed in", key="auth_skip_cookie_write", on_click=_stop_writing_cookie,
                  help="Shown while the browser stores the sign-in cookie (a moment). Without it this tab stays "
                       "signed in, but a reload or a new tab will ask you to sign in again.")
    return True


def _stop_writing_cookie() -> None:
    st.session_state.pop(COOKIE_PENDING_KEY, None)


def _deleting_cookie(form_area, plumbing) -> bool:
    """While a cookie deletion is unconfirmed, show "Signing you out…" (and no form); True while it lasts."""
    key = st.session_state.get(COOKIE_DELETE_KEY)
    if not key:
        return False
    if st.session_state.get(key):
        st.session_state.pop(COOKIE_DELETE_KEY)
        return False
    with plumbing:
        manager = _cookie_manager()
        try:
            manager.delete(COOKIE_NAME, key=key)
        except KeyError:  # the component deletes it; only its local copy of the cookie list lacked it
            pass
    with form_area:
        st.title("💎 Loupe Factory")
        st.info(st.session_state.get(NOTICE_KEY) or SIGNED_OUT)
        st.caption("Signing you out of this browser…")
        st.button("Back to sign-in", key="auth_skip_cookie_delete", on_click=_stop_deleting_cookie,
                  help="Shown while the browser removes the sign-in cookie; the sign-in itself has already ended.")
    return True


def _stop_deleting_cookie() -> None:
    st.session_state.pop(COOKIE_DELETE_KEY, None)


# ---------------------------------------------------------------------------
# Who is signed in
# ---------------------------------------------------------------------------

def _connection_cookie() -> str | None:
    """Our cookie as the browser sent it when this session connected (AppTest has no real one)."""
    token = st.context.cookies.get(COOKIE_NAME)
    return token if isinstance(token, str) and token else None


def _end_local_sign_in(notice: str) -> None:
    """Forget this browser session's sign-in; delete the cookie if the browser holds one."""
    connection_cookie = _connection_cookie()
    if connection_cookie:  # sent when this session connected; it must never sign in again here
        st.session_state[DEAD_COOKIE_KEY] = users.token_digest(connection_cookie)
    held = st.session_state.pop(COOKIE_HELD_KEY, False) or bool(connection_cookie)
    for key in (context.LOGIN_SESSION_KEY, context.ACTOR_KEY, COOKIE_PENDING_KEY):
        st.session_state.pop(key, None)
    if held:
        st.session_state[COOKIE_DELETE_KEY] = f"loupe_cookie_delete_{uuid.uuid4().hex[:12]}"
    st.session_state[NOTICE_KEY] = notice


def _actor_from_open_session() -> Actor | None:
    """The Actor of this browser session's sign-in, checked with a read; None if there is none or it ended."""
    login_session_id = st.session_state.get(context.LOGIN_SESSION_KEY)
    if not login_session_id:
        return None
    with context.db() as session:
        open_sign_in = users.check_login_session(session, login_session_id=login_session_id)
        actor = actor_for_user(session, open_sign_in.user_id) if open_sign_in else None
    if actor is None:
        _end_local_sign_in(context.SESSION_ENDED)
        return None
    if open_sign_in.activity_due:
        with context.db(write=True) as session:
            users.note_activity(session, login_session_id=login_session_id)
    return actor


def _actor_from_cookie() -> Actor | None:
    """A new browser session (new tab, reload) signed in by its cookie while the sign-in is open."""
    token = _connection_cookie()
    if not token or st.session_state.get(DEAD_COOKIE_KEY) == users.token_digest(token):
        return None
    username = cookie_username(token, context.settings().cookie_secret)
    actor = None
    if username is not None:
        with context.db() as session:
            record = users.find_login_session(session, token=token)
            if record is not None:
                actor = actor_for_user(session, record.user_id)
    if actor is None or actor.username != username:
        _end_local_sign_in(context.SESSION_ENDED)
        return None
    st.session_state[context.LOGIN_SESSION_KEY] = record.id
    st.session_state[COOKIE_HELD_KEY] = True
    return actor


def _warn_about_demo_password(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        return
    with context.db() as session:
        if users.uses_demo_password(session, user_id=actor.user_id):
            st.warning(DEMO_PASSWORD_WARNING, icon="⚠️")


def signed_in_actor() -> Actor | None:
    """The Actor for this rerun, or None after rendering the sign-in form (or "Signing out…").

    Two containers come first, in a fixed order on every run: the form area
    (the form, or the demo-password warning once signed in) and the plumbing
    (the invisible cookie components), so a component keeps its place across
    reruns and a rerun never leaves a stale copy of the form on screen.
    """
    form_area, plumbing = st.container(), st.container()
    actor = _actor_from_open_session() or _actor_from_cookie()
    if actor is None:
        if _deleting_cookie(form_area, plumbing):
            return None
        with form_area:
            actor = _login_form()
        if actor is None:
            return None
    if _writing_cookie(form_area, plumbing):
        return None
    with form_area:
        _warn_about_demo_password(actor)
    return actor


# ---------------------------------------------------------------------------
# The form
# ---------------------------------------------------------------------------

def _login_form() -> Actor | None:
    """The form; on a valid submit, the opened sign-in's Actor."""
    placeholder = st.empty()
    with placeholder.container():
        st.title("💎 Loupe Factory")
        notice = st.session_state.get(NOTICE_KEY)  # kept until the next submit, like errors
        if notice:
            st.info(notice)
        with st.form("login_form"):
            st.subheader("Sign in")
            username = st.text_input("Username", key="login_username", autocomplete="username")
            password = st.text_input("Password", type="password", key="login_password",
                                     autocomplete="current-password")
            submitted = st.form_submit_button("Sign in", type="primary")
        error_slot = st.empty()
    if submitted:
        st.session_state.pop(ERROR_KEY, None)
        st.session_state.pop(NOTICE_KEY, None)
        actor = _accept(username, password)
        if actor is not None:
            placeholder.empty()
            return actor
    if st.session_state.get(ERROR_KEY):
        error_slot.error(st.session_state[ERROR_KEY])  # our own sentences: never the typed text
    return None


def _accept(username: str, password: str) -> Actor | None:
    """Check and record a submitted form before anything else is rendered (see the module docstring)."""
    settings = context.settings()
    cookie = new_cookie_token(users.normalize_username(username), settings.cookie_secret,
                              settings.cookie_expiry_days)
    with context.db() as session:
        attempt = users.check_sign_in(session, username=username, password=password)
    if not attempt.needs_record:
        st.session_state[ERROR_KEY] = attempt.message
        return None
    with context.db(write=True) as session:
        result = users.record_sign_in(session, attempt, token=cookie.token, expiry_days=settings.cookie_expiry_days)
        actor = actor_for_user(session, result.user_id) if result.login_session_id else None
    if actor is None:
        st.session_state[ERROR_KEY] = result.message
        return None
    st.session_state[context.LOGIN_SESSION_KEY] = result.login_session_id
    st.session_state[COOKIE_PENDING_KEY] = {"token": cookie.token, "expires_at": cookie.expires_at,
                                            "key": f"loupe_cookie_set_{result.login_session_id}"}
    return actor


def sign_out() -> None:
    """End this browser's sign-in on the server, then forget it here (and delete the cookie).

    Used as the logout button's callback, so it runs before the next script run.
    """
    login_session_id = st.session_state.get(context.LOGIN_SESSION_KEY)
    if login_session_id:
        with context.db(write=True) as session:
            users.end_login_session(session, login_session_id=login_session_id, reason="logout")
    _end_local_sign_in(SIGNED_OUT)
