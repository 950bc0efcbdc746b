"""Creating the workspace and its first admin: input checks, one workspace only, audited."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from lib import db
from lib.errors import ValidationFailed, WorkspaceExists
from lib.models import AuditEntry, CatalogEntry, ProductionStage, Role, User, Workspace
from lib.presets import preset
from lib.workspace import setup
from lib.workspace.users import password_matches

GOOD = dict(name="Rivera Gems", industry="gemstones", admin_username="Ana", admin_name="Ana Rivera",
            admin_password="correct horse", admin_password_repeat="correct horse", password_rounds=4)


def _counts(session) -> tuple[int, int, int]:
    return (session.scalar(select(func.count()).select_from(Workspace)),
            session.scalar(select(func.count()).select_from(User)),
            session.scalar(select(func.count()).select_from(CatalogEntry)))


def test_creates_the_workspace_and_an_audited_admin(session):
    made = setup.create_workspace(session, **GOOD)
    workspace = session.get(Workspace, made.workspace_id)
    assert (workspace.id, workspace.name, workspace.industry) == (1, "Rivera Gems", "gemstones")
    admin = session.get(User, made.admin_user_id)
    assert (admin.username, admin.name, admin.role, admin.location_id, admin.active) == (
        "ana", "Ana Rivera", Role.ADMIN, None, True)
    assert password_matches("correct horse", admin.password_hash)
    audit = {e.action: e for e in session.scalars(select(AuditEntry))}
    assert set(audit) == {"create workspace", "add user", "seed production stages"}
    assert all(e.user_id == admin.id for e in audit.values())
    assert '"industry": "gemstones"' in audit["create workspace"].new_values
    assert '"role": "admin"' in audit["add user"].new_values and "correct horse" not in audit["add user"].new_values
    assert setup.has_users(session)
    stages = session.scalars(select(ProductionStage).order_by(ProductionStage.sort_order)).all()
    assert len(stages) == len(preset("gemstones").production_stages) > 0
    assert workspace.default_start_stage_id == stages[0].id


@pytest.mark.parametrize("change, message", [
    (dict(name="   "), "Workspace name is required."),
    (dict(admin_name=""), "The admin's name is required."),
    (dict(industry="bakery"), "Unknown industry 'bakery'"),
    (dict(admin_username="<b>boss</b>"), "Username: 2-60 characters"),
    (dict(admin_password_repeat="correct horsE"), "The passwords do not match."),
    (dict(admin_password="nine-char", admin_password_repeat="nine-char"), "at least 10 characters"),
    (dict(admin_email="not-an-email"), "Email does not look like an email address."),
])
def test_bad_input_is_refused_with_a_clear_message_and_writes_nothing(session, change, message):
    with pytest.raises(ValidationFailed, match=message.replace("(", r"\(")) as caught:
        setup.create_workspace(session, **{**GOOD, **change})
    assert str(caught.value).startswith("The workspace was not created: ")
    assert _counts(session) == (0, 0, 0)


def test_every_problem_is_listed_at_once(session):
    with pytest.raises(ValidationFailed) as caught:
        setup.create_workspace(session, **{**GOOD, "name": "", "admin_name": "", "admin_password": "short"})
    assert len(caught.value.problems) == 3


def test_a_second_workspace_is_refused(session):
    setup.create_workspace(session, **GOOD)
    before = _counts(session)
    with pytest.raises(WorkspaceExists, match="already has a workspace"):
        setup.create_workspace(session, **{**GOOD, "admin_username": "other"})
    assert _counts(session) == before


def test_the_database_itself_refuses_a_second_workspace(fresh_engine, monkeypatch):
    """Even when both creations passed the "no workspace yet" check (two browsers at
    the same moment), the second insert fails in the database and writes nothing."""
    with db.session_scope(fresh_engine, write=True) as session:
        setup.create_workspace(session, **GOOD)
    monkeypatch.setattr(setup, "_has_workspace", lambda session: False)
    with pytest.raises(WorkspaceExists):
        with db.session_scope(fresh_engine, write=True) as session:
            setup.create_workspace(session, **{**GOOD, "admin_username": "second"})
    with db.session_scope(fresh_engine) as session:
        assert _counts(session)[:2] == (1, 1)
        assert session.scalars(select(User.username)).all() == ["ana"]


def test_two_creations_at_once_give_one_workspace_and_one_admin(fresh_url):
    engines = [db.make_engine(fresh_url) for _ in range(2)]
    barrier = threading.Barrier(2, timeout=120)
    outcomes: list[str] = []

    def create(index: int) -> None:
        barrier.wait()
        try:
            with db.session_scope(engines[index], write=True) as session:
                setup.create_workspace(session, **{**GOOD, "admin_username": f"admin{index}"})
            outcomes.append("created")
        except WorkspaceExists:
            outcomes.append("refused")

    threads = [threading.Thread(target=create, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert sorted(outcomes) == ["created", "refused"]
        with db.session_scope(engines[0]) as session:
            assert _counts(session)[:2] == (1, 1)
    finally:
        for engine in engines:
            engine.dispose()
