"""Users, passwords and the server-side record of each sign-in.

Passwords are bcrypt hashes, the format streamlit-authenticator checks.
The sign-in cookie is a signed token that stays valid until it expires; the
`LoginSession` row is what makes logout, deactivation and copied cookies
count: the app checks it on every rerun.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right
from lib.errors import NotFound, PermissionDenied, ValidationFailed
from lib.models import Location, LoginSession, Role, User, utcnow

MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def hash_password(password: str, rounds: int = 12) -> str:
    """bcrypt hash of `password` (the format streamlit-authenticator verifies)."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def password_matches(password: str, password_hash: str) -> bool:
    return bcrypt.checkpw(password.encode(), password_hash.encode())


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password.encode()) > 72:
        raise ValidationFailed("The password may have at most 72 bytes.")


def credentials(session: Session) -> dict:
    """Active users in the dict form streamlit-authenticator takes (never a YAML file)."""
    users = session.scalars(select(User).where(User.active.is_(True)))
    return {"usernames": {
        user.username: {"name": user.name, "email": user.email, "password": user.password_hash,
                        "roles": [user.role.value]}
        for user in users
    }}


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    name: str
    email: str
    role: Role
    location: str | None
    location_id: int | None
    active: bool
    last_login_at: datetime | None


def list_users(session: Session, *, actor: Actor) -> list[UserRow]:
    """Every user, for the admin Users page."""
    actor.require(Right.MANAGE_USERS)
    stmt = select(User, Location.name).outerjoin(Location, Location.id == User.location_id).order_by(User.username)
    return [UserRow(u.id, u.username, u.name, u.email, u.role, loc, u.location_id, u.active, u.last_login_at)
            for u, loc in session.execute(stmt)]


def _check_location(session: Session, role: Role, location_id: int | None) -> None:
    if location_id is None:
        if role is not Role.ADMIN:
            raise ValidationFailed("Managers and members need an assigned location.")
        return
    if session.get(Location, location_id) is None:
        raise ValidationFailed("That location does not exist.")


def create_user(session: Session, *, actor: Actor, username: str, name: str, email: str, password: str,
                role: Role, location_id: int | None) -> User:
    """Add a user (admins only) with an initial password."""
    actor.require(Right.MANAGE_USERS)
    username = (username or "").strip().lower()
    problems = []
    if not USERNAME_PATTERN.match(username):
        problems.append("Username: 2-60 characters, lower-case letters, digits, dot, dash or underscore.")
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        problems.append(f"Username {username!r} is already taken.")
    if not (name or "").strip():
        problems.append("Name is required.")
    if not EMAIL_PATTERN.match((email or "").strip()):
        problems.append("Email does not look like an email address.")
    try:
        _check_password(password)
    except ValidationFailed as error:
        problems.append(str(error))
    try:
        _check_location(session, Role(role), location_id)
    except ValidationFailed as error:
        problems.append(str(error))
    if problems:
        raise ValidationFailed("The user was not added: " + " ".join(problems), problems)
    user = User(username=username, name=name.strip(), email=email.strip(), role=Role(role),
                password_hash=hash_password(password), location_id=location_id, active=True)
    session.add(user)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="add user", entity="user", entity_id=user.id,
                 new={"username": username, "name": user.name, "email": user.email,
                      "role": user.role, "location_id": location_id})
    return user


def is_inactive_with_password(session: Session, *, username: str, password: str) -> bool:
    """True when `username` is deactivated and `password` is theirs (to say so clearly)."""
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    return user is not None and not user.active and password_matches(password, user.password_hash)


def _active_admin_count(session: Session) -> int:
    return len(session.scalars(select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))).all())


def update_user(session: Session, *, actor: Actor, user_id: int, role: Role | None = None,
                location_id: int | None = None, active: bool | None = None) -> User:
    """Change a user's role, location or active flag (admins only); audited.

    The last active admin cannot be demoted or deactivated. Deactivating a user
    ends all of their sign-ins at once.
    """
    actor.require(Right.MANAGE_USERS)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    changes: dict = {}
    if role is not None:
        changes["role"] = Role(role)
    if location_id is not None or (role is not None and Role(role) is Role.ADMIN):
        changes["location_id"] = location_id
    if active is not None:
        changes["active"] = bool(active)
    new_role = changes.get("role", user.role)
    losing_admin = user.role is Role.ADMIN and user.active and (new_role is not Role.ADMIN or changes.get("active") is False)
    if losing_admin and _active_admin_count(session) <= 1:
        raise PermissionDenied("The workspace needs at least one active admin.")
    _check_location(session, new_role, changes.get("location_id", user.location_id))
    old, new = audit.changed_fields(user, changes)
    if new:
        audit.record(session, actor_id=actor.user_id, action="update user", entity="user",
                     entity_id=user.id, old=old, new=new)
    if changes.get("active") is False:
        end_user_sessions(session, user_id=user.id, reason="deactivated")
    session.flush()
    return user


def change_own_password(session: Session, *, actor: Actor, current_password: str, new_password: str,
                        repeat_password: str) -> None:
    """Any user changes their own password after proving the current one."""
    user = session.get(User, actor.user_id)
    if user is None or not password_matches(current_password or "", user.password_hash):
        raise ValidationFailed("The current password is not correct.")
    if new_password != repeat_password:
        raise ValidationFailed("The new passwords do not match.")
    _check_password(new_password)
    if password_matches(new_password, user.password_hash):
        raise ValidationFailed("The new password must differ from the current one.")
    user.password_hash = hash_password(new_password)
    audit.record(session, actor_id=actor.user_id, action="change password", entity="user",
                 entity_id=user.id, new={"password": "changed"})
    session.flush()


def token_digest(token: str) -> str:
    """Hash of a cookie token; the token itself is never stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_login_session(session: Session, *, username: str, token: str, expiry_days: float) -> LoginSession:
    """Record a successful sign-in by `username` whose cookie carries `token`."""
    user = session.scalars(select(User).where(User.username == username, User.active.is_(True))).one_or_none()
    if user is None:
        raise PermissionDenied("This account is not active.")
    now = utcnow()
    user.last_login_at = now
    record = LoginSession(user_id=user.id, token_hash=token_digest(token), created_at=now, last_seen_at=now,
                          expires_at=now + timedelta(days=expiry_days))
    session.add(record)
    session.flush()
    audit.record(session, actor_id=user.id, action="sign in", entity="user", entity_id=user.id)
    return record


def find_login_session(session: Session, *, token: str) -> LoginSession | None:
    """The open sign-in for a cookie token, or None (unknown, ended or expired)."""
    record = session.scalars(select(LoginSession).where(LoginSession.token_hash == token_digest(token))).one_or_none()
    return record if record is not None and _is_open(record) else None


def _is_open(record: LoginSession) -> bool:
    return record.ended_at is None and record.expires_at > utcnow()


def check_login_session(session: Session, *, login_session_id: int) -> int | None:
    """The user id of an open sign-in whose user is still active, else None."""
    record = session.get(LoginSession, login_session_id)
    if record is None or not _is_open(record):
        return None
    user = session.get(User, record.user_id)
    return user.id if user is not None and user.active else None


def end_login_session(session: Session, *, login_session_id: int, reason: str = "logout") -> None:
    """Close one sign-in; its cookie stops working at once."""
    record = session.get(LoginSession, login_session_id)
    if record is not None and record.ended_at is None:
        record.ended_at, record.end_reason = utcnow(), reason
        if reason == "logout":
            audit.record(session, actor_id=record.user_id, action="sign out", entity="user", entity_id=record.user_id)
        session.flush()


def end_user_sessions(session: Session, *, user_id: int, reason: str) -> None:
    """Close every open sign-in of one user."""
    session.execute(update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
                    .values(ended_at=utcnow(), end_reason=reason))


def location_name(session: Session, location_id: int | None) -> str | None:
    """Name of a location, or None."""
    location = session.get(Location, location_id) if location_id is not None else None
    return location.name if location is not None else None
