"""The "AI generated summary" panel of the Product Details page (issue 5).

`render(actor, product_id, filters)` is the only entry point. It never calls
the model on a rerun: only the "Summarise activity" / "Refresh summary"
buttons do, and only while the workspace switch is on and the endpoint is
configured (lib.ai.summaries checks both again before anything is sent).

Model text is untrusted: it is shown with `st.text` (no Markdown, no HTML),
with misattributed and unsupported figures marked as ⚠️[12.5 g]¹ and a
numbered note under it naming the fact each figure really matches (also
plain text). Markdown is used only for our own fixed sentences.

Issue 19 and its orders follow-up: admins and managers see the summary's
managers-only part ("Orders:" and "Value:" lines) and the orders and value
facts; members of the same locations see the main part and the main facts
only, never an order figure or an amount of money (lib.ai.summaries decides;
this module only draws what it gets).
"""
from __future__ import annotations

import streamlit as st

from lib.access import Actor, Right
from lib.ai import summaries as ai_summary
from lib.errors import LoupeError
from lib.inventory.query import ItemFilters
from ui import context

OFF_FOR_ADMINS = ("AI summaries are off for this workspace. Turn them on in the sidebar under "
                  "**Workspace settings → AI summaries**; admins and managers can then summarise a "
                  "product's activity on demand.")
OFF_FOR_OTHERS = "AI summaries are off for this workspace."
NOT_AVAILABLE = "AI summaries are not available in this workspace yet."
MANAGER_PART_NOTE = ("The “Orders:” and “Value:” lines and the orders and value facts are shown to admins and "
                     "managers only.")
NOT_SHARED = ("Members of these locations are not shown this summary: its main part names an amount of money or "
              "speaks of orders, which only the “Orders:” and “Value:” lines may. Refresh the summary to have it "
              "written again.")


def render(actor: Actor, product_id: int, filters: ItemFilters) -> None:
    """Draw the panel for this product, kind switch and filters."""
    with context.db() as session:
        state = ai_summary.panel_state(session, actor=actor, settings=context.settings(),
                                       product_id=product_id, filters=filters)
    if not state.enabled:
        st.info(OFF_FOR_ADMINS if actor.can(Right.MANAGE_SETTINGS) else OFF_FOR_OTHERS, icon="✨")
        return
    if state.summary is None and not state.can_generate:
        return  # members: only a summary generated within their own scope, otherwise nothing
    with st.container(border=True, key="ai_panel"):
        st.markdown("**✨ AI generated summary**")
        if state.summary is not None:
            _summary(state.summary)
        if state.can_generate:
            _actions(actor, product_id, filters, state)


def _summary(view: ai_summary.SummaryView) -> None:
    st.text(view.marked_text, width="stretch")
    when = view.created_at.strftime("%Y-%m-%d %H:%M UTC")
    st.text(f"Generated at {when} by model {view.model} for {view.generated_by} · "
            f"{view.total_tokens:,} tokens · {view.credits} credit{'s' if view.credits != 1 else ''}")
    flagged = view.unsupported_figures + view.misattributed_figures
    if flagged:
        parts = [f"{view.misattributed_figures} attached to the wrong fact"] if view.misattributed_figures else []
        parts += [f"{view.unsupported_figures} not found in the facts"] if view.unsupported_figures else []
        st.warning(f"{flagged} figure{'s' if flagged != 1 else ''} in this summary could not be confirmed "
                   f"({', '.join(parts)}); marked ⚠️[…] above. Check them against the facts below.")
        st.text("\n".join(view.notes))
    if view.has_manager_part:
        st.caption(MANAGER_PART_NOTE)
    if not view.shared_with_members:
        st.warning(NOT_SHARED, icon="🔒")
    if view.stale:
        st.caption("Stock has changed since this summary was generated.")
    with st.expander("Facts used", key="ai_facts"):
        st.caption("Everything the model was told about this product, computed from your view of the stock. "
                   f"Weights are in {view.facts.get('unit', '')}.")
        st.code(view.facts_json, language="json")


def _actions(actor: Actor, product_id: int, filters: ItemFilters, state: ai_summary.PanelState) -> None:
    if state.configured_message:  # which settings are missing is for admins, who can set them
        st.warning(state.configured_message if actor.can(Right.MANAGE_SETTINGS) else NOT_AVAILABLE)
        return
    if state.summary is None:
        clicked = st.button("Summarise activity", key="ai_generate", icon="✨", type="primary")
    elif state.summary.stale or not state.summary.shared_with_members:
        clicked = st.button("Refresh summary", key="ai_refresh", icon="🔄")
    else:
        return
    if clicked:
        _generate(actor, product_id, filters)


def _generate(actor: Actor, product_id: int, filters: ItemFilters) -> None:
    """Read facts, call the model with no transaction open, then store in a short write."""
    settings = context.settings()
    try:
        with context.db() as session:
            request = ai_summary.prepare_summary(session, actor=actor, settings=settings,
                                                 product_id=product_id, filters=filters)
        with st.spinner("Summarising… this usually takes a few seconds."):
            completion = ai_summary.request_completion(request, actor=actor, settings=settings,
                                                       sessions=lambda: context.db(write=True))
        with context.db(write=True) as session:
            ai_summary.store_summary(session, actor=actor, request=request, completion=completion)
    except LoupeError as error:
        st.error(f"No summary this time: {error}")
        return
    st.rerun()
