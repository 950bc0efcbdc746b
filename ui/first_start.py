"""The *Create your workspace* form, drawn by the router while the database has no user.

It asks for the workspace name, the industry (its preset seeds the catalogs)
and the first admin's username, name and password (twice). The work is
`lib.workspace.setup.create_workspace`; once a user exists the router never
shows this form again, and a form submitted after someone else created the
workspace (another browser, `init`) is refused by the database and writes
nothing. After creation the sign-in form opens with a note naming the admin.
"""
from __future__ import annotations

import streamlit as st

from lib.errors import LoupeError, ValidationFailed, WorkspaceExists
from lib.presets import industries
from lib.workspace import setup
from lib.workspace.users import MIN_PASSWORD_LENGTH
from ui import auth, context
from ui.feedback import plain

FORM_KEY = "create_workspace_form"
SUBMIT_KEY = "setup_submit"
LATE_NOTICE = ("The workspace was created a moment ago from elsewhere; nothing was changed. "
               "Sign in with your account.")


def needed() -> bool:
    """True while the database has no user: the app then shows only this form."""
    with context.db() as session:
        return not setup.has_users(session)


def note_late_submit() -> None:
    """A form submitted once a user already exists (someone was quicker): say so on the sign-in form."""
    if st.session_state.get(SUBMIT_KEY):
        st.session_state[auth.NOTICE_KEY] = LATE_NOTICE


def render() -> None:
    """The form; on success, the sign-in form with a note (next run)."""
    st.title("💎 Loupe Factory")
    st.subheader("Create your workspace")
    st.caption("This database is empty. Name your workspace, pick your industry (its starter catalogs of "
               "types, shapes and sizes are loaded, all editable later) and create the first admin.")
    choices = dict(industries())
    with st.form(FORM_KEY):
        name = st.text_input("Workspace name", key="setup_workspace_name", max_chars=setup.MAX_NAME,
                             placeholder="e.g. Rivera Gem Cutting")
        industry = st.selectbox("Industry", list(choices), format_func=choices.get, key="setup_industry")
        st.markdown("**First admin**")
        left, right = st.columns(2)
        username = left.text_input("Username", key="setup_admin_username", autocomplete="username",
                                   help="Lower-case letters, digits, dot, dash or underscore.")
        admin_name = right.text_input("Full name", key="setup_admin_name", max_chars=setup.MAX_NAME)
        password = left.text_input("Password", type="password", key="setup_password", autocomplete="new-password",
                                   help=f"At least {MIN_PASSWORD_LENGTH} characters.")
        repeat = right.text_input("Repeat the password", type="password", key="setup_password_repeat",
                                  autocomplete="new-password")
        submitted = st.form_submit_button("Create workspace", type="primary", key=SUBMIT_KEY)
    if submitted:
        _create(name=name, industry=industry, username=username, admin_name=admin_name, password=password,
                repeat=repeat)


def _create(*, name: str, industry: str, username: str, admin_name: str, password: str, repeat: str) -> None:
    try:
        with context.db(write=True) as session:
            made = setup.create_workspace(session, name=name, industry=industry, admin_username=username,
                                          admin_name=admin_name, admin_password=password,
                                          admin_password_repeat=repeat)
    except WorkspaceExists:
        st.session_state[auth.NOTICE_KEY] = LATE_NOTICE
        st.rerun()
    except ValidationFailed as error:
        st.error("The workspace was not created:")
        for problem in error.problems:
            st.text(f"• {problem}")
        return
    except LoupeError as error:
        st.error(plain(error))
        return
    st.session_state[auth.NOTICE_KEY] = (f"Workspace {plain(made.name)} created. Sign in as "
                                         f"{plain(made.admin_username)} with the password you chose.")
    st.rerun()
