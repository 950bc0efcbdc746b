"""Users (admins): add a user, change role or location, deactivate or reactivate, clear sign-in locks.

Each action goes through `ui.feedback.run_action`, which re-reads the admin's
own Actor in its write transaction (`context.fresh_actor`), so a demotion or
an ended sign-in since this page was drawn refuses the change.
"""
import pandas as pd
import streamlit as st

from lib.access import visible_locations
from lib.models import Role
from lib.workspace import users
from ui import context
from ui.feedback import run_action

actor = context.actor()
with context.db() as session:
    rows = users.list_users(session, actor=actor)
    locations = {loc.id: loc.name for loc in visible_locations(session, actor=actor)}
    locks = users.sign_in_locks(session, actor=actor)

st.title("Users")
st.dataframe(pd.DataFrame([{
    "Username": r.username, "Name": r.name, "Email": r.email, "Role": r.role.label,
    "Location": r.location or "—", "Active": r.active, "Last sign-in": r.last_login_at,
} for r in rows]), hide_index=True, width="stretch", key="users_table",
    column_config={"Last sign-in": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})

location_choices = [None, *locations]
add_tab, edit_tab, locks_tab = st.tabs(["Add a user", "Change a user", f"Sign-in locks ({len(locks)})"])

with add_tab, st.form("add_user_form", clear_on_submit=False):
    left, right = st.columns(2)
    username = left.text_input("Username", key="new_username", help="Lower-case letters, digits, dot, dash, underscore.")
    name = right.text_input("Full name", key="new_name")
    email = left.text_input("Email", key="new_email")
    password = right.text_input("Initial password", type="password", key="new_password",
                                help=f"At least {users.MIN_PASSWORD_LENGTH} characters; they can change it later.")
    role = left.selectbox("Role", list(Role), format_func=lambda r: r.label, key="new_role")
    location_id = right.selectbox("Location", location_choices, key="new_location",
                                  format_func=lambda i: "— (admins only)" if i is None else locations[i])
    if st.form_submit_button("Add user", type="primary"):
        run_action(f"User {username.strip().lower()} added.", users.create_user, username=username,
                   name=name, email=email, password=password, role=role, location_id=location_id)

with edit_tab:
    by_id = {r.id: r for r in rows}
    chosen = st.selectbox("User", list(by_id), format_func=lambda i: f"{by_id[i].username} ({by_id[i].name})",
                          key="edit_user")
    target = by_id[chosen]
    with st.form(f"edit_user_form_{target.id}"):  # keyed by user: fields show that user's values
        new_role = st.selectbox("Role", list(Role), index=list(Role).index(target.role),
                                format_func=lambda r: r.label, key=f"edit_role_{target.id}")
        new_location = st.selectbox("Location", location_choices, key=f"edit_location_{target.id}",
                                    index=location_choices.index(target.location_id) if target.location_id in location_choices else 0,
                                    format_func=lambda i: "— (admins only)" if i is None else locations[i])
        active = st.checkbox("Active (may sign in)", value=target.active, key=f"edit_active_{target.id}")
        if st.form_submit_button("Save changes", type="primary"):
            run_action(f"{target.username} updated. The change applies on their next click.", users.update_user,
                       user_id=target.id, role=new_role, location_id=new_location, active=active)

with locks_tab:
    st.caption(f"{users.MAX_FAILED_SIGN_INS} wrong passwords for one username within "
               f"{users.THROTTLE_WINDOW.seconds // 60} minutes lock it for {users.LOCK_DURATION.seconds // 60} minutes. "
               "A successful sign-in or clearing it here starts the count again. Usernames are shown as typed, "
               "whether or not such a user exists.")
    if not locks:
        st.info("No username has failed sign-ins counting toward a lock.")
    else:
        st.dataframe(pd.DataFrame([{
            "Username (as typed)": lock.username, "Failed attempts": lock.failures,
            "Locked until": lock.locked_until,
        } for lock in locks]), hide_index=True, width="stretch", key="sign_in_locks_table",
            column_config={"Locked until": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
        with st.form("clear_lock_form"):
            to_clear = st.selectbox("Username", [lock.username for lock in locks], key="clear_lock_username")
            if st.form_submit_button("Clear lock", type="primary"):
                run_action("Sign-in lock cleared: that username may try again now.", users.clear_sign_in_lock,
                           username=to_clear)
