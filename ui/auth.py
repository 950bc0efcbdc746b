"""Sign-in with streamlit-authenticator, checked against a server-side record.

The authenticator verifies passwords (bcrypt) and keeps a signed cookie. Its
cookie stays valid until it expires, even after logout, so every rerun also
checks our `LoginSession` row: logout, deactivation and a copied cookie stop
working on the user's next interaction.
"""
from __future__ import annotations

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities.exceptions import LoginError

from lib.access import Actor, actor_for_user
from lib.errors import PermissionDenied
from lib.workspace import users
from ui import context

COOKIE_NAME = "loupe_auth"
SESSION_KEY = "loupe_login_session_id"
NOTICE_KEY = "loupe_auth_notice"
ERROR_KEY = "loupe_login_error"


def _authenticator(credentials: dict) -> stauth.Authenticate:
    settings = context.settings()
    # login_sleep_time=0: 0.4.x reads the cookie from st.context, so its default
    # 0.7 s wait for the cookie component on every anonymous rerun buys nothing.
    return stauth.Authenticate(credentials, cookie_name=COOKIE_NAME, cookie_key=settings.cookie_secret,
                               cookie_expiry_days=settings.cookie_expiry_days, auto_hash=False,
                               login_sleep_time=0)


def _forget_local_sign_in(authenticator: stauth.Authenticate | None, notice: str | None) -> None:
    """Clear this browser session's sign-in state and its cookie."""
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(context.ACTOR_KEY, None)
    for key in ("name", "username", "authentication_status", "email", "roles"):
        st.session_state[key] = None
    st.session_state["logout"] = True  # the authenticator ignores the cookie from now on
    if authenticator is not None:
        authenticator.cookie_controller.delete_cookie()
    if notice:
        st.session_state[NOTICE_KEY] = notice


def _actor_from_open_session() -> Actor | None:
    login_session_id = st.session_state.get(SESSION_KEY)
    if not login_session_id:
        return None
    with context.db(write=True) as session:
        user_id = users.check_login_session(session, login_session_id=login_session_id)
        if user_id is not None:
            return actor_for_user(session, user_id)
    _forget_local_sign_in(None, "Your session has ended. Please sign in again.")
    return None


def _actor_from_cookie(authenticator: stauth.Authenticate) -> Actor | None:
    """Accept the authenticator's cookie only while its server-side record is open."""
    try:
        authenticator.login(location="unrendered")
    except LoginError:  # a cookie for a user who is no longer active
        _forget_local_sign_in(authenticator, "Your account is no longer active.")
        return None
    if not st.session_state.get("authentication_status"):
        return None
    token = st.context.cookies.get(COOKIE_NAME)
    with context.db(write=True) as session:
        record = users.find_login_session(session, token=token) if token else None
        if record is None:
            _forget_local_sign_in(authenticator, "Your session has ended. Please sign in again.")
            return None
        st.session_state[SESSION_KEY] = record.id
        return actor_for_user(session, record.user_id)


def _inactive_account(username: str, password: str) -> bool:
    with context.db() as session:
        return users.is_inactive_with_password(session, username=username, password=password)


def _login_form(plumbing, authenticator: stauth.Authenticate | None) -> Actor | None:
    """The form; on a valid submit, the sign-in record, the cookie and the Actor."""
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
        actor = _accept(username, password, plumbing, authenticator)
        if actor is not None:
            placeholder.empty()
            return actor
    # Kept in the session: the cookie component's first mount reruns the page,
    # and the message must still be there after that rerun.
    if st.session_state.get(ERROR_KEY):
        error_slot.error(st.session_state[ERROR_KEY])
    return None


def _accept(username: str, password: str, plumbing, authenticator: stauth.Authenticate | None) -> Actor | None:
    """Check a submitted form; on success open the sign-in record and set the cookie."""
    username = (username or "").strip().lower()
    if not username or not password:
        st.session_state[ERROR_KEY] = "Enter both your username and your password."
        return None
    if authenticator is None:  # built only now: no cookie component until it is needed
        with plumbing:
            authenticator = _authenticator(_active_credentials())
    if not authenticator.authentication_controller.login(username, password):
        st.session_state[ERROR_KEY] = (
            "This account has been deactivated. Ask an admin to reactivate it."
            if _inactive_account(username, password) else "Wrong username or password.")
        return None
    with plumbing:
        authenticator.cookie_controller.set_cookie()
    cookie = authenticator.cookie_controller.cookie_model
    token = jwt.encode({"username": username, "exp_date": cookie.exp_date}, cookie.cookie_key, algorithm="HS256")
    with context.db(write=True) as session:
        try:
            record = users.open_login_session(session, username=username, token=token,
                                              expiry_days=context.settings().cookie_expiry_days)
        except PermissionDenied as error:
            st.session_state[ERROR_KEY] = str(error)
            return None
        st.session_state[SESSION_KEY] = record.id
        return actor_for_user(session, record.user_id)


def signed_in_actor() -> Actor | None:
    """The Actor for this rerun, or None after rendering the sign-in form.

    The authenticator (and its cookie component, whose first mount reruns the
    page) is only built when there is a cookie to check or a form to accept,
    so typing into a fresh sign-in form is never interrupted. The form and the
    invisible cookie components live in two containers created first, in a
    fixed order, so a rerun never leaves a stale copy of the form on screen.
    """
    actor = _actor_from_open_session()
    if actor is not None:
        return actor
    form_area, plumbing = st.container(), st.container()
    authenticator = None
    if st.context.cookies.get(COOKIE_NAME):
        with plumbing:
            authenticator = _authenticator(_active_credentials())
            actor = _actor_from_cookie(authenticator)
        if actor is not None:
            return actor
    with form_area:
        return _login_form(plumbing, authenticator)


def _active_credentials() -> dict:
    with context.db() as session:
        return users.credentials(session)


def sign_out(actor: Actor) -> None:
    """End the server-side record and forget the sign-in in this browser."""
    login_session_id = st.session_state.get(SESSION_KEY)
    if login_session_id:
        with context.db(write=True) as session:
            users.end_login_session(session, login_session_id=login_session_id, reason="logout")
    _forget_local_sign_in(_authenticator(_active_credentials()), "You have signed out.")
