"""First start: create the workspace, its preset catalogs and production stages, and its first admin.

Used by `python -m lib.cli init` and by the *Create your workspace* form that
the app shows while the database has no user. A database holds one
workspace: creation is refused once a workspace or any user exists.

Two creations at the same moment (two browsers, or a form and `init`) give
exactly one workspace and one admin, enforced by the database and not only
by the check: the workspace row always gets id 1, so the second transaction's
insert hits the primary key (PostgreSQL), or waits for SQLite's write lock
(taken up front by `session_scope(write=True)`) and then sees the first
workspace. Either way it raises `WorkspaceExists` and writes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib import audit
from lib.errors import ValidationFailed, WorkspaceExists
from lib.models import CatalogEntry, Plan, ProductionStage, Role, User, Workspace
from lib.presets import preset, stage_loss_norms
from lib.workspace.users import BCRYPT_ROUNDS, EMAIL_PATTERN, USERNAME_PATTERN, check_new_password, hash_password

WORKSPACE_ID = 1
MAX_NAME = 120
EXISTS_MESSAGE = "This database already has a workspace; nothing was changed."


@dataclass(frozen=True)
class NewWorkspace:
    """What `create_workspace` made."""

    workspace_id: int
    name: str
    industry: str
    admin_user_id: int
    admin_username: str
    catalog_entries: int


def has_users(session: Session) -> bool:
    """True once any user exists: the app then shows the sign-in form, never the creation form."""
    return session.scalar(select(User.id).limit(1)) is not None


def _has_workspace(session: Session) -> bool:
    return has_users(session) or session.scalar(select(Workspace.id).limit(1)) is not None


def _problems(*, name: str, industry: str, username: str, admin_name: str, password: str,
              password_repeat: str | None, email: str) -> list[str]:
    problems = []
    if not name:
        problems.append("Workspace name is required.")
    elif len(name) > MAX_NAME:
        problems.append(f"Workspace name may have at most {MAX_NAME} characters.")
    try:
        preset(industry)
    except ValidationFailed as error:
        problems.append(str(error))
    if not USERNAME_PATTERN.match(username):
        problems.append("Username: 2-60 characters, lower-case letters, digits, dot, dash or underscore.")
    if not admin_name:
        problems.append("The admin's name is required.")
    elif len(admin_name) > MAX_NAME:
        problems.append(f"The admin's name may have at most {MAX_NAME} characters.")
    if email and not EMAIL_PATTERN.match(email):
        problems.append("Email does not look like an email address.")
    if password_repeat is not None and password != password_repeat:
        problems.append("The passwords do not match.")
    else:
        try:
            check_new_password(password)  # the same rule as every other password
        except ValidationFailed as error:
            problems.append(str(error))
    return problems


def create_workspace(session: Session, *, name: str, industry: str, admin_username: str, admin_name: str,
                     admin_password: str, admin_password_repeat: str | None = None, admin_email: str = "",
                     password_rounds: int = BCRYPT_ROUNDS) -> NewWorkspace:
    """Create the workspace, seed its catalogs and production stages from the industry preset, add the first admin.

    Every problem with the input is reported at once (`ValidationFailed`);
    a database that already has a workspace or a user raises `WorkspaceExists`.
    Nothing is written unless all of it is. Audited: the admin's creation and
    the workspace's, both by the new admin. `password_rounds` is bcrypt's cost
    (tests lower it).
    """
    name, admin_name = (name or "").strip(), (admin_name or "").strip()
    username, email = (admin_username or "").strip().lower(), (admin_email or "").strip()
    password = admin_password or ""
    problems = _problems(name=name, industry=industry, username=username, admin_name=admin_name,
                         password=password, password_repeat=admin_password_repeat, email=email)
    if problems:
        raise ValidationFailed("The workspace was not created: " + " ".join(problems), problems)
    chosen = preset(industry)
    password_hash = hash_password(password, rounds=password_rounds)  # before any lock is taken

    if _has_workspace(session):
        raise WorkspaceExists(EXISTS_MESSAGE)
    workspace = Workspace(id=WORKSPACE_ID, name=name, industry=chosen.key, plan=Plan.PROFESSIONAL,
                          default_weight_unit="g", tag_prefix="", ai_summaries_enabled=False,
                          managers_all_locations=False)
    session.add(workspace)
    try:
        session.flush()  # a concurrent creation fails here, before anything else is written
    except IntegrityError:
        raise WorkspaceExists(EXISTS_MESSAGE) from None
    seed = chosen.catalog_seed()
    positions: dict = {}
    for kind, entry, group in seed:  # sort order: the preset's order within each catalog
        positions[kind] = positions.get(kind, -1) + 1
        session.add(CatalogEntry(catalog=kind, name=entry, name_key=entry.lower(), group_name=group,
                                 sort_order=positions[kind], active=True))
    admin = User(username=username, name=admin_name, email=email, password_hash=password_hash,
                 role=Role.ADMIN, location_id=None, active=True)
    session.add(admin)
    session.flush()
    audit.record(session, actor_id=admin.id, action="create workspace", entity="workspace",
                 entity_id=workspace.id, new={"name": name, "industry": chosen.key,
                                              "catalog_entries": len(seed)})
    audit.record(session, actor_id=admin.id, action="add user", entity="user", entity_id=admin.id,
                 new={"username": username, "name": admin_name, "email": email, "role": Role.ADMIN,
                      "location_id": None})
    seed_stages(session, chosen.key, actor_id=admin.id)
    session.flush()
    return NewWorkspace(workspace.id, name, chosen.key, admin.id, username, len(seed))


STAGE_ORDER_STEP = 10  # room between stages, so one can be put between two later


def seed_stages(session: Session, industry: str, actor_id: int | None = None) -> int:
    """Add the industry preset's stages that are missing; return how many were added (never changes others).

    Called when a workspace is created (the demo, an empty start). Audited, by `actor_id` when given.
    """
    existing = session.scalars(select(ProductionStage)).all()
    names = {stage.name_key for stage in existing}
    codes = {stage.code for stage in existing}
    order = max((stage.sort_order for stage in existing), default=0)
    added = []
    norms = stage_loss_norms(industry)  # the allowed loss % of the preset's stages
    for name, code in preset(industry).production_stages:
        if name.lower() in names or code in codes:
            continue
        order += STAGE_ORDER_STEP
        stage = ProductionStage(name=name, name_key=name.lower(), code=code, description="",
                                sort_order=order, applicable_kinds="", active=True, loss_norm_pct=norms.get(code))
        session.add(stage)
        added.append(name)
        names.add(name.lower())
        codes.add(code)
    session.flush()
    workspace = session.scalars(select(Workspace)).one_or_none()
    if workspace is not None and workspace.default_start_stage_id is None:
        first = session.scalars(select(ProductionStage).where(ProductionStage.active.is_(True))
                                .order_by(ProductionStage.sort_order, ProductionStage.name_key).limit(1)).first()
        workspace.default_start_stage_id = first.id if first else None
    if added:
        audit.record(session, actor_id=actor_id, action="seed production stages", entity="production_stage",
                     new={"industry": industry, "stages": added})
    session.flush()
    return len(added)
