"""The sidebar: menu, who is signed in, password change, logout, admin workspace settings.

Every action here goes through `ui.feedback.run_action`, which resolves the
Actor when it runs (`context.fresh_actor`), in its own transaction: a role
changed or a sign-in ended since the run that drew the widget is what counts.
The default weight unit and the tag prefix are edited on /settings only.
"""
from __future__ import annotations

import streamlit as st

from lib.access import Actor, Right
from lib.llm.metering import credit_balance
from lib.models import Plan
from lib.workspace import users
from lib.workspace.settings import SETTINGS, get_workspace, update_settings
from ui import auth, context, scan_box
from ui.feedback import run_action

_HELP = {spec.field: spec.help for spec in SETTINGS}


def render(actor: Actor, menu: list) -> None:
    render_menu(menu)
    with st.sidebar:
        scan_box.render(actor)  # under the menu: a scanner opens an item from any page
        _who(actor)
        _ai_credits(actor)
        if actor.can(Right.MANAGE_SETTINGS):
            _workspace_settings()
        _password_change()
        st.button("Log out", key="sidebar_logout", width="stretch", on_click=auth.sign_out)


def render_menu(menu: list) -> None:
    """The title and the page links: all the sidebar draws while the database cannot be reached."""
    with st.sidebar:
        st.markdown("### 💎 Loupe Factory")
        for page in menu:
            st.page_link(page, icon=page.icon)
        st.divider()


def _ai_credits(actor: Actor) -> None:
    """The organisation-wide AI credit balance, to admins and managers while an AI feature is on (3.8.1)."""
    if not actor.can(Right.GENERATE_AI_SUMMARY):
        return
    with context.db() as session:
        workspace = get_workspace(session)
        if not (workspace.ai_summaries_enabled or workspace.ai_order_lines_enabled or workspace.ai_import_enabled):
            return
        balance = credit_balance(session, actor=actor)
    st.text(f"AI credits: {balance.label()}")
    if balance.exhausted:
        st.error("No AI credits left. An admin can add credits under Settings → AI usage.", icon="✨")
    elif balance.low:
        st.warning("AI credits are running low (10 % or less left this month).", icon="✨")


def _who(actor: Actor) -> None:
    with context.db() as session:
        workspace = get_workspace(session)
        home = users.location_name(session, actor.home_location_id)
    scope = "all locations" if actor.sees_all_locations else (home or "no location assigned")
    st.text(workspace.name)  # user text: never Markdown
    st.text(f"{actor.name} · {actor.role.label}")  # st.text: user text is never markdown
    st.text(f"Sees: {scope}")


_SETTING_WIDGETS = {  # widget key -> workspace field
    "ws_ai_summaries": "ai_summaries_enabled",
    "ws_managers_all_locations": "managers_all_locations",
    "ws_plan": "plan",
}


def _save_setting(widget_key: str) -> None:
    """on_change: save exactly the setting the admin touched (never stale widget state)."""
    run_action("Workspace settings saved.", update_settings, rerun=False,
               **{_SETTING_WIDGETS[widget_key]: st.session_state[widget_key]})


def _workspace_settings() -> None:
    with context.db() as session:
        workspace = get_workspace(session)
        # Widgets show the database's values on every rerun, so a change made by
        # another admin appears here and is never overwritten by this browser.
        st.session_state["ws_ai_summaries"] = workspace.ai_summaries_enabled
        st.session_state["ws_managers_all_locations"] = workspace.managers_all_locations
        st.session_state["ws_plan"] = workspace.plan
        plan_allows = workspace.plan.allows_cross_location_managers
    with st.expander("Workspace settings", icon="⚙️"):
        st.toggle("AI summaries", key="ws_ai_summaries", help=_HELP["ai_summaries_enabled"],
                  on_change=_save_setting, args=("ws_ai_summaries",))
        st.toggle("Managers can use inventory from all locations", key="ws_managers_all_locations",
                  disabled=not plan_allows, help=_HELP["managers_all_locations"],
                  on_change=_save_setting, args=("ws_managers_all_locations",))
        if not plan_allows:
            st.caption("Not available on the Starter plan: upgrade to Professional, Business or Enterprise.")
        st.selectbox("Plan", list(Plan), format_func=lambda p: p.label, key="ws_plan", help=_HELP["plan"],
                     on_change=_save_setting, args=("ws_plan",))
        st.caption("Default unit, tag prefix and the catalogs: Settings.")


def _password_change() -> None:
    with st.expander("Change my password", icon="🔑"):
        with st.form("password_form", clear_on_submit=True):
            current = st.text_input("Current password", type="password", key="pw_current")
            new = st.text_input("New password", type="password", key="pw_new")
            repeat = st.text_input("Repeat new password", type="password", key="pw_repeat")
            submitted = st.form_submit_button("Change password")
        if submitted:  # the rerun after a change also drops the demo-password warning
            run_action(_password_changed, users.change_own_password, current_password=current,
                       new_password=new, repeat_password=repeat,
                       keep_login_session_id=st.session_state.get(context.LOGIN_SESSION_KEY))


def _password_changed(ended: int) -> str:
    others = f" Your {ended} other sign-in{'s' if ended != 1 else ''} ended." if ended else ""
    return f"Your password has been changed.{others}"
