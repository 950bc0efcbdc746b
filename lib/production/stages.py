"""The production stage catalog (reference 3.5.6): seeded from the industry preset, managed by admins.

Decisions where the reference is silent (section 5.3, Q21-Q22):

- The stages come from the workspace's industry preset (`lib.presets`, its
  `production_stages`). `lib.workspace.setup.seed_stages` adds the ones that
  are missing (same name ignoring case, or same code) after the existing ones,
  and never changes or removes a stage; it runs when a workspace is created
  (the demo, `init`, the first-start form), and "Add missing preset stages" on
  /settings runs it again. When the workspace has no default start stage yet,
  the first stage becomes it.
- Stages are never deleted (jobs keep pointing at them): an admin switches one
  off, and an inactive stage is not offered for new jobs. The default start
  stage cannot be switched off until another one is the default.
- Names are unique ignoring case; codes are upper-case letters, digits and
  dashes (1 to 12), unique. The order is a whole number: stages are listed by
  it, then by name; "next stage" means the next active one in that order.
- Applicable inventory kinds: empty means every kind. Issuing stock of
  another kind into the stage is allowed with a warning (policy "warn", the
  reference's mapping enforcement is not built).
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.errors import ValidationFailed
from lib.models import InventoryKind, ProductionStage, Workspace
from lib.tags import sanitise
from lib.text import clean_text, text_problem
from lib.workspace.setup import seed_stages

MAX_CODE = 12
MAX_DESCRIPTION = 500
ORDER_STEP = 10


def _workspace(session: Session) -> Workspace | None:
    return session.scalars(select(Workspace)).one_or_none()


def list_stages(session: Session, *, active_only: bool = False) -> list[ProductionStage]:
    """Every stage (or the active ones) in the workspace's order."""
    stmt = select(ProductionStage).order_by(ProductionStage.sort_order, ProductionStage.name_key)
    if active_only:
        stmt = stmt.where(ProductionStage.active.is_(True))
    return list(session.scalars(stmt))


def first_active_stage(session: Session) -> ProductionStage | None:
    stages = list_stages(session, active_only=True)
    return stages[0] if stages else None


def default_stage(session: Session) -> ProductionStage | None:
    """The stage new jobs start at: the workspace's default when active, else the first active stage."""
    workspace = _workspace(session)
    if workspace is not None and workspace.default_start_stage_id is not None:
        stage = session.get(ProductionStage, workspace.default_start_stage_id)
        if stage is not None and stage.active:
            return stage
    return first_active_stage(session)


def next_stage(session: Session, stage_id: int) -> ProductionStage | None:
    """The next active stage after `stage_id` in the workspace's order (None after the last)."""
    stages = list_stages(session)
    ids = [stage.id for stage in stages]
    if stage_id not in ids:
        return None
    return next((stage for stage in stages[ids.index(stage_id) + 1:] if stage.active), None)


def stage_warnings(stage: ProductionStage, kinds) -> list[str]:
    """Why issuing stock of `kinds` into `stage` looks wrong (its applicable kinds), as sentences."""
    allowed = stage.kinds
    odd = sorted({InventoryKind(kind) for kind in kinds} - set(allowed), key=lambda kind: kind.value) if allowed else []
    if not odd:
        return []
    return [f"Stage {stage.name} applies to {', '.join(k.label for k in allowed)}; "
            f"you are issuing {', '.join(k.label for k in odd)}."]


# ---------------------------------------------------------------------------
# Admin changes
# ---------------------------------------------------------------------------

def _clean(session: Session, stage_id: int | None, name, code, description, kinds, sort_order) -> dict:
    problems = []
    name = str(name or "").strip()
    problem = text_problem(name, "Stage name", None, multiline=False)
    if problem:
        problems.append(problem)
    elif not name or len(name) > 120:
        problems.append("Stage name must be 1 to 120 characters")
    elif session.scalar(select(ProductionStage.id).where(ProductionStage.name_key == name.lower(),
                                                         ProductionStage.id != (stage_id or 0))):
        problems.append(f"A stage named {name!r} already exists")
    code = sanitise(code or "")
    if not code or len(code) > MAX_CODE:
        problems.append(f"Stage code must be 1 to {MAX_CODE} letters, digits or dashes")
    elif session.scalar(select(ProductionStage.id).where(ProductionStage.code == code,
                                                         ProductionStage.id != (stage_id or 0))):
        problems.append(f"Stage code {code} is already used")
    try:
        description = clean_text(description, "Description", MAX_DESCRIPTION)
    except ValueError as error:
        problems.append(str(error))
    chosen = []
    for kind in kinds or ():
        try:
            chosen.append(InventoryKind(kind))
        except ValueError:
            problems.append(f"Unknown inventory kind {kind!r}")
    if sort_order is None:
        sort_order = (session.scalar(select(func.max(ProductionStage.sort_order))) or 0) + ORDER_STEP
    try:
        sort_order = int(str(sort_order).strip())
        if sort_order < 0:
            raise ValueError
    except ValueError:
        problems.append(f"Order must be a whole number of 0 or more, got {sort_order!r}")
    if problems:
        raise ValidationFailed("The stage was not saved: " + "; ".join(problems) + ".", problems)
    ordered = [kind.value for kind in InventoryKind if kind in chosen]
    return {"name": name, "name_key": name.lower(), "code": code, "description": description,
            "applicable_kinds": ",".join(ordered), "sort_order": sort_order}


def add_stage(session: Session, *, actor: Actor, name: str, code: str, description: str = "", kinds=(),
              sort_order=None, active: bool = True) -> ProductionStage:
    """Add a stage (admins). `kinds`: the inventory kinds it applies to (empty: every kind); order: last."""
    actor.require(Right.MANAGE_SETTINGS)
    values = _clean(session, None, name, code, description, kinds, sort_order)
    stage = ProductionStage(active=bool(active), **values)
    session.add(stage)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="add production stage", entity="production_stage",
                 entity_id=stage.id, new={**values, "active": stage.active})
    return stage


def update_stage(session: Session, *, actor: Actor, stage_id: int, name: str, code: str, description: str = "",
                 kinds=(), sort_order=None, active: bool = True) -> ProductionStage:
    """Change a stage (admins). Switching off the default start stage is refused until another is the default."""
    actor.require(Right.MANAGE_SETTINGS)
    stage = session.get(ProductionStage, stage_id)
    if stage is None:
        raise ValidationFailed("No such production stage.")
    values = _clean(session, stage.id, name, code, description, kinds,
                    stage.sort_order if sort_order is None else sort_order)
    workspace = _workspace(session)
    if not active and workspace is not None and workspace.default_start_stage_id == stage.id:
        raise ValidationFailed(f"{stage.name} is the default start stage: choose another default before "
                               "switching it off.")
    old, new = audit.changed_fields(stage, {**values, "active": bool(active)})
    if new:
        audit.record(session, actor_id=actor.user_id, action="update production stage", entity="production_stage",
                     entity_id=stage.id, old=old, new=new)
    session.flush()
    return stage


def restore_preset_stages(session: Session, *, actor: Actor) -> int:
    """Add the workspace industry's preset stages that are missing (admins); how many were added."""
    actor.require(Right.MANAGE_SETTINGS)
    workspace = _workspace(session)
    added = seed_stages(session, workspace.industry if workspace else "jewelry")
    audit.record(session, actor_id=actor.user_id, action="add missing preset stages", entity="production_stage",
                 new={"added": added})
    return added
