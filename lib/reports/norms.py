"""Loss norms: each production stage's allowed loss % ((waste + scrap) ÷ net issued × 100), the way jewelry
workshops settle with their bench workers.

- The norm lives on the stage (`production_stages.loss_norm_pct`, None: no norm). New workspaces get the
  defaults of their industry preset (`loss_norm_pct` in lib/presets/industry-presets.yaml, matched by stage
  code); "Fill norms from the preset" fills the stages that have none, never overwriting one.
- Admins change norms on /settings > Production (audited). A norm is a number from 0 to 100 with at most two
  decimals; anything else is refused and nothing is written.
- A job is above norm when its whole loss (all its receipts, plus pending written off at completion) is
  more than the norm of its stage on its net issued weight; the grams over are Loss − Issued × norm ÷ 100.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.errors import NotFound, ValidationFailed
from lib.models import ProductionStage, Workspace
from lib.presets import stage_loss_norms

MAX_NORM = Decimal(100)


def preset_norms(industry: str) -> dict[str, Decimal]:
    """Stage code -> allowed loss % in the industry's preset (stages without one are left out)."""
    return stage_loss_norms(industry)


def parse_norm(raw) -> Decimal | None:
    """A typed norm: empty -> None (no norm); else a number 0-100 with at most two decimals."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip().rstrip("%").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(f"The loss norm {str(raw)!r} is not a number: write a percentage such as 1.5.") \
            from None
    if not value.is_finite() or value < 0 or value > MAX_NORM:
        raise ValidationFailed(f"The loss norm must be between 0 and 100 %, not {text}.")
    if value != value.quantize(Decimal("0.01")):
        raise ValidationFailed(f"The loss norm {text} has more than two decimals.")
    return value.quantize(Decimal("0.01"))


def set_loss_norm(session: Session, *, actor: Actor, stage_id: int, norm) -> ProductionStage:
    """Set (or clear, with an empty value) a stage's allowed loss % (admins; audited)."""
    actor.require(Right.MANAGE_SETTINGS)
    value = parse_norm(norm)
    stage = session.get(ProductionStage, stage_id)
    if stage is None:
        raise NotFound("No such production stage.")
    old = stage.loss_norm_pct
    if old != value:
        stage.loss_norm_pct = value
        audit.record(session, actor_id=actor.user_id, action="set stage loss norm", entity="production_stage",
                     entity_id=stage.id, old={"loss_norm_pct": old}, new={"loss_norm_pct": value})
        session.flush()
    return stage


def fill_preset_norms(session: Session, *, actor: Actor) -> int:
    """Give each stage without a norm its preset default (matched by code); how many were filled (admins)."""
    actor.require(Right.MANAGE_SETTINGS)
    workspace = session.scalars(select(Workspace)).one_or_none()
    norms = preset_norms(workspace.industry if workspace else "jewelry")
    filled = {}
    for stage in session.scalars(select(ProductionStage).where(ProductionStage.loss_norm_pct.is_(None))):
        if stage.code in norms:
            stage.loss_norm_pct = norms[stage.code]
            filled[stage.code] = norms[stage.code]
    if filled:
        audit.record(session, actor_id=actor.user_id, action="fill stage loss norms from preset",
                     entity="production_stage", new=filled)
        session.flush()
    return len(filled)


def job_loss_vs_norm(session: Session, *, actor: Actor, job_id: int):
    """The job's loss against its stage's norm (a `lib.reports.production.JobNormRow`: issued_g, loss_g,
    loss_pct, norm_pct, over_norm_g, above_norm); NotFound outside the viewer's jobs."""
    from lib.reports.common import ReportFilters
    from lib.reports.production import _job_figures

    actor.require(Right.VIEW_PRODUCTION)
    rows = _job_figures(session, actor, ReportFilters(), None, job_id=job_id)
    if not rows:
        raise NotFound("No such production job in your locations.")
    return rows[0]
