"""The "Production" tab of /settings (admins): production defaults and the stage catalog.

Every change goes through lib.workspace.settings / lib.production.stages (via
ui.feedback.run_action), which check the admin right, validate and audit.
Stage names and descriptions appear only in tables and pickers (never markdown).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import Actor
from lib.models import InventoryKind
from lib.production import stages
from lib.reports import norms
from lib.workspace.settings import SETTINGS, get_workspace, update_settings
from ui import context
from ui.feedback import run_action

_HELP = {spec.field: spec.help for spec in SETTINGS}
_FIRST = 0  # the "first active stage" choice


def render(actor: Actor) -> None:
    _defaults(actor)
    st.divider()
    _stages(actor)
    st.divider()
    _loss_norms(actor)


def _loss_norms(actor: Actor) -> None:
    """Each stage's allowed loss % (lib.reports.norms): reports flag stages, people and jobs above it."""
    st.subheader("Loss norms")
    st.caption("The loss a stage may have: (waste + scrap) ÷ net issued weight × 100. Production summary, "
               "Metal loss by person and the job page flag what is above it, with the grams over. Empty: no norm.")
    with context.db() as session:
        rows = stages.list_stages(session)
    by_id = {stage.id: stage for stage in rows}
    with st.form("loss_norm_form"):
        columns = st.columns([3, 2], vertical_alignment="bottom")
        chosen = columns[0].selectbox("Stage", list(by_id), key="norm_stage", format_func=lambda i: (
            f"{by_id[i].name} (now {_norm_text(by_id[i].loss_norm_pct)})"))
        value = columns[1].text_input("Allowed loss %", key="norm_value", max_chars=8,
                                      help="A percentage from 0 to 100 with at most two decimals, e.g. 1.5; "
                                           "empty removes the norm.")
        if st.form_submit_button("Save loss norm", type="primary") and chosen is not None:
            run_action("Loss norm saved.", norms.set_loss_norm, stage_id=chosen, norm=value)
    st.button("Fill empty norms from the preset", key="norm_fill_preset",
              help="Gives each stage without a norm the industry preset's default for its code; never changes a "
                   "norm you set.",
              on_click=lambda: run_action(lambda filled: f"{filled} loss norm{'' if filled == 1 else 's'} filled.",
                                          norms.fill_preset_norms, rerun=False))


def _norm_text(value) -> str:
    return "no norm" if value is None else f"{value} %"


def _defaults(actor: Actor) -> None:
    st.subheader("Production defaults")
    with context.db() as session:
        workspace = get_workspace(session)
        prefix, stage_id, offset = (workspace.job_id_prefix, workspace.default_start_stage_id,
                                    workspace.due_date_offset_days)
        active = {stage.id: stage.name for stage in stages.list_stages(session, active_only=True)}
    choices = {_FIRST: "— the first active stage —", **active}
    with st.form("production_defaults_form"):
        columns = st.columns(3)
        new_prefix = columns[0].text_input("Production job ID prefix", value=prefix, key="prod_job_prefix",
                                           max_chars=12, help=_HELP["job_id_prefix"])
        keys = list(choices)
        new_stage = columns[1].selectbox("Default start stage", keys, format_func=choices.get,
                                         index=keys.index(stage_id) if stage_id in keys else 0,
                                         key="prod_default_stage", help=_HELP["default_start_stage_id"])
        new_offset = columns[2].number_input("Job due-date offset (days)", min_value=0, max_value=365, step=1,
                                             value=int(offset), key="prod_due_offset",
                                             help=_HELP["due_date_offset_days"])
        if st.form_submit_button("Save production defaults", type="primary"):
            run_action("Production defaults saved.", update_settings, job_id_prefix=new_prefix,
                       default_start_stage_id=new_stage or None, due_date_offset_days=new_offset)


def _kinds_text(stage) -> str:
    return ", ".join(kind.label for kind in stage.kinds) or "every kind"


def _stages(actor: Actor) -> None:
    st.subheader("Production stages")
    st.caption("Jobs are created at a stage; a route is a chain of jobs, each stage's received output issued into "
               "the next. Stages are listed by their order. Stages are never deleted (jobs keep them): switch one "
               "off to stop offering it for new jobs. Issuing stock of a kind a stage does not list is allowed "
               "with a warning.")
    with context.db() as session:
        rows = stages.list_stages(session)
    st.dataframe(pd.DataFrame([{"Order": s.sort_order, "Name": s.name, "Code": s.code, "Applies to": _kinds_text(s),
                                "Loss norm %": None if s.loss_norm_pct is None else float(s.loss_norm_pct),
                                "Description": s.description, "Active": s.active} for s in rows],
                              columns=["Order", "Name", "Code", "Applies to", "Loss norm %", "Description",
                                       "Active"]),
                 hide_index=True, width="stretch", key="stage_table")
    add_column, edit_column = st.columns(2)
    with add_column, st.form("add_stage_form", clear_on_submit=True):
        st.markdown("**Add a stage**")
        name = st.text_input("Stage name", key="stage_new_name", max_chars=120)
        code = st.text_input("Stage code", key="stage_new_code", max_chars=stages.MAX_CODE,
                             help="A short internal code: letters, digits and dashes.")
        description = st.text_area("Description", key="stage_new_description", max_chars=stages.MAX_DESCRIPTION)
        kinds = st.multiselect("Applicable inventory kinds (empty: every kind)", list(InventoryKind),
                               format_func=lambda k: k.label, key="stage_new_kinds")
        order = st.number_input("Order (empty: last)", min_value=0, step=1, value=None, key="stage_new_order")
        if st.form_submit_button("Add stage", type="primary"):
            run_action("Stage added.", stages.add_stage, name=name, code=code, description=description,
                       kinds=kinds, sort_order=order)
    with edit_column:
        by_id = {stage.id: stage for stage in rows}
        chosen = st.selectbox("Edit stage", list(by_id), format_func=lambda i: by_id[i].name, key="stage_edit_pick",
                              index=None, placeholder="Choose a stage")
        if chosen is not None:
            target = by_id[chosen]
            with st.form("edit_stage_form"):
                new_name = st.text_input("Stage name", value=target.name, key=f"stage_edit_name_{chosen}",
                                         max_chars=120)
                new_code = st.text_input("Stage code", value=target.code, key=f"stage_edit_code_{chosen}",
                                         max_chars=stages.MAX_CODE)
                new_description = st.text_area("Description", value=target.description,
                                               key=f"stage_edit_description_{chosen}",
                                               max_chars=stages.MAX_DESCRIPTION)
                new_kinds = st.multiselect("Applicable inventory kinds (empty: every kind)", list(InventoryKind),
                                           default=list(target.kinds), format_func=lambda k: k.label,
                                           key=f"stage_edit_kinds_{chosen}")
                new_order = st.number_input("Order", min_value=0, step=1, value=target.sort_order,
                                            key=f"stage_edit_order_{chosen}")
                active = st.toggle("Active", value=target.active, key=f"stage_edit_active_{chosen}")
                if st.form_submit_button("Save stage"):
                    run_action("Stage saved.", stages.update_stage, stage_id=target.id, name=new_name,
                               code=new_code, description=new_description, kinds=new_kinds, sort_order=new_order,
                               active=active)
        st.button("Add missing preset stages", key="stage_restore_preset",
                  help="Adds the stages of the workspace industry's preset that are missing (same name or code); "
                       "never changes or removes a stage.",
                  on_click=lambda: run_action(lambda added: f"{added} preset stage{'' if added == 1 else 's'} added.",
                                              stages.restore_preset_stages, rerun=False))
