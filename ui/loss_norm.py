"""A job's loss against its stage's norm, for the job page: `render(actor, job_id, unit)` draws one line
(or nothing when the stage has no norm or nothing was issued). The figures come from
`lib.reports.norms.job_loss_vs_norm` (the same ones the reports flag)."""
from __future__ import annotations

import streamlit as st

from lib.access import Actor
from lib.reports.norms import job_loss_vs_norm
from lib.units import format_weight, from_grams
from ui import context


def render(actor: Actor, job_id: int, unit: str) -> None:
    with context.db() as session:
        job = job_loss_vs_norm(session, actor=actor, job_id=job_id)
    if job.norm_pct is None or job.loss_pct is None:
        return
    text = (f"Loss {job.loss_pct} % ({format_weight(from_grams(job.loss_g, unit), unit)}) against the stage's norm "
            f"of {job.norm_pct} %")
    if job.above_norm:
        st.warning(f"{text}: {format_weight(from_grams(job.over_norm_g, unit), unit)} over norm.",
                   icon=":material/warning:")
    else:
        st.success(f"{text}: within norm.", icon=":material/check_circle:")
