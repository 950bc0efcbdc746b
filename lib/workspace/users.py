"""Users, passwords, sign-in checks and the server-side record of each sign-in.

Passwords are bcrypt hashes at cost `BCRYPT_ROUNDS`. A sign-in is checked
here, in two steps, so the slow bcrypt never runs inside a write transaction
(on SQLite that would make every writer queue behind it):

1. `check_sign_in` (a read): the throttle, the user and bcrypt. An unknown
   username is checked against a dummy hash of the same cost, so neither the
   message nor the time taken says whether a username exists.
2. `record_sign_in` (a write): a failure is audited (and may lock the
   username); a success opens a `LoginSession` (the server-side record) and is
   audited.

Throttling is derived from the audit log, so it needs no table of its own:
`MAX_FAILED_SIGN_INS` failed attempts for one username within
`THROTTLE_WINDOW` lock that username for `LOCK_DURATION`; the lock itself is
audited. A successful sign-in, or an admin clearing the lock on /users, starts
the count again. Attempts while locked check no password and write nothing.

The sign-in cookie is a signed token that stays valid until it expires; the
`LoginSession` row is what makes logout, deactivation, a password change and
copied cookies count: the app checks it (a read) on every rerun and writes
`last_seen_at` at most once per `ACTIVITY_INTERVAL`. More in docs/sign-in.md.
"""
from __future__ import annotations

import enum
import functools
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from lib import audit
from lib.access import Actor, Right, actor_for_user
from lib.errors import NotFound, PermissionDenied, ValidationFailed
from lib.models import AuditEntry, Location, LoginSession, Role, User, utcnow

BCRYPT_ROUNDS = 12
MIN_PASSWORD_LENGTH = 10
DEMO_PASSWORD = "loupe-demo"  # the demo workspace's public password (README); admins using it are warned
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further: longer passwords are refused, never truncated
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

MAX_FAILED_SIGN_INS = 5
THROTTLE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
ACTIVITY_INTERVAL = timedelta(minutes=1)
# Checked for unknown usernames so they cost one bcrypt check like real ones. A bcrypt hash (cost
# BCRYPT_ROUNDS, a test keeps them equal) of a random password that was thrown away: no typed password
# matches it, and an unknown username is refused even if one did. Fixed here, so no sign-in pays for
# making it.
DUMMY_HASH = "$2b$12$xsCBlNBAo9egI4zYkUqkUubHfg/fargqrObhHnxgfK8radI7.Jrh6"

SIGN_IN_ENTITY = "sign_in"  # audit entity of throttling entries; entity_id = the typed username, lower case
FAILED, LOCKED, CLEARED, REFUSED = "sign-in failed", "sign-in locked", "sign-in lock cleared", "sign-in refused"

ENTER_BOTH = "Enter both your username and your password."
WRONG_CREDENTIALS = "Wrong username or password."
PASSWORD_TOO_LONG = (f"A password has at most {MAX_PASSWORD_BYTES} bytes (72 plain letters); "
                     "this one is longer, so it cannot be right.")
DEACTIVATED = "This account has been deactivated. Ask an admin to reactivate it."


def hash_password(password: str, rounds: int = BCRYPT_ROUNDS) -> str:
    """bcrypt hash of `password` (callers check the length first: bcrypt refuses over 72 bytes)."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def password_matches(password: str, password_hash: str) -> bool:
    """True when `password` is the one hashed; a password over 72 bytes never matches."""
    encoded = (password or "").encode()
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    return bcrypt.checkpw(encoded, password_hash.encode())


def check_new_password(password: str) -> None:
    """Refuse a new password that is too short, blank or longer than bcrypt reads."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if not password.strip():
        raise ValidationFailed("The password cannot be only spaces.")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ValidationFailed(f"The password may have at most {MAX_PASSWORD_BYTES} bytes "
                               "(72 plain letters, fewer with accents or symbols).")


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
        check_new_password(password)
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
                        repeat_password: str, keep_login_session_id: int | None = None) -> int:
    """Any user changes their own password after proving the current one.

    Every other sign-in of the user ends (another browser, a copied cookie);
    the one named `keep_login_session_id` (this browser) stays. Returns how
    many sign-ins ended.
    """
    user = session.get(User, actor.user_id)
    if user is None or not password_matches(current_password, user.password_hash):
        raise ValidationFailed("The current password is not correct.")
    if new_password != repeat_password:
        raise ValidationFailed("The new passwords do not match.")
    check_new_password(new_password)
    if password_matches(new_password, user.password_hash):
        raise ValidationFailed("The new password must differ from the current one.")
    user.password_hash = hash_password(new_password)
    ended = end_user_sessions(session, user_id=user.id, reason="password changed", keep=keep_login_session_id)
    audit.record(session, actor_id=actor.user_id, action="change password", entity="user",
                 entity_id=user.id, new={"password": "changed", "other sign-ins ended": ended})
    session.flush()
    return ended


@functools.lru_cache(maxsize=64)
def _is_demo_password_hash(password_hash: str) -> bool:
    return password_matches(DEMO_PASSWORD, password_hash)


def uses_demo_password(session: Session, *, user_id: int) -> bool:
    """True while the user's password is still the public demo password.

    One bcrypt check per distinct hash per process: a changed password has a
    new hash, so the answer follows the change.
    """
    user = session.get(User, user_id)
    return user is not None and _is_demo_password_hash(user.password_hash)


# ---------------------------------------------------------------------------
# Sign-in: check (read), record (write), throttling from the audit log
# ---------------------------------------------------------------------------

def normalize_username(typed: str | None) -> str:
    """A typed username as usernames are stored: trimmed, lower case."""
    return (typed or "").strip().lower()


def _audit_key(username: str) -> str:
    """The audit entity_id of a typed username (the column holds 60 characters; no real username is longer)."""
    return normalize_username(username)[:60]


class SignInOutcome(str, enum.Enum):
    """How `check_sign_in` judged an attempt."""

    OK = "ok"
    INCOMPLETE = "incomplete"        # a field empty or only spaces
    TOO_LONG = "too long"            # a password bcrypt cannot read whole
    LOCKED = "locked"
    WRONG = "wrong"                  # unknown username or wrong password (we never say which)
    DEACTIVATED = "deactivated"      # right password of a deactivated account


@dataclass(frozen=True)
class SignInAttempt:
    """What `check_sign_in` found; `record_sign_in` writes it down."""

    username: str
    outcome: SignInOutcome
    checked_at: datetime
    user_id: int | None = None
    locked_until: datetime | None = None

    @property
    def needs_record(self) -> bool:
        """Attempts that checked a password are recorded; the others write nothing."""
        return self.outcome in (SignInOutcome.OK, SignInOutcome.WRONG, SignInOutcome.DEACTIVATED)

    @property
    def message(self) -> str | None:
        """What the sign-in form says (None on success)."""
        return {
            SignInOutcome.OK: None,
            SignInOutcome.INCOMPLETE: ENTER_BOTH,
            SignInOutcome.TOO_LONG: PASSWORD_TOO_LONG,
            SignInOutcome.LOCKED: locked_message(self.locked_until, self.checked_at),
            SignInOutcome.WRONG: WRONG_CREDENTIALS,
            SignInOutcome.DEACTIVATED: DEACTIVATED,
        }[self.outcome]


@dataclass(frozen=True)
class SignInResult:
    """A recorded attempt: the opened sign-in, or the message to show."""

    login_session_id: int | None
    user_id: int | None
    message: str | None


def locked_message(until: datetime | None, now: datetime | None = None) -> str:
    """"Too many attempts, try again in N minutes." with N rounded up."""
    seconds = ((until or utcnow()) - (now or utcnow())).total_seconds()
    minutes = max(1, math.ceil(seconds / 60))
    return f"Too many attempts, try again in {minutes} minute{'s' if minutes != 1 else ''}."


def check_sign_in(session: Session, *, username: str, password: str, now: datetime | None = None) -> SignInAttempt:
    """Check a typed username and password (reads only; run it in a read transaction).

    Exactly one bcrypt check runs for every attempt that reaches the password,
    against the user's hash or a dummy one of the same cost.
    """
    now = now or utcnow()
    name = normalize_username(username)
    if not name or not (password or "").strip():
        return SignInAttempt(name, SignInOutcome.INCOMPLETE, now)
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        return SignInAttempt(name, SignInOutcome.TOO_LONG, now)
    _failures, locked_until = sign_in_throttle(session, username=name, now=now)
    if locked_until is not None:
        return SignInAttempt(name, SignInOutcome.LOCKED, now, locked_until=locked_until)
    user = session.scalars(select(User).where(User.username == name)).one_or_none()
    matches = password_matches(password, user.password_hash if user is not None else DUMMY_HASH)
    if user is None or not matches:
        return SignInAttempt(name, SignInOutcome.WRONG, now)
    if not user.active:
        return SignInAttempt(name, SignInOutcome.DEACTIVATED, now, user_id=user.id)
    return SignInAttempt(name, SignInOutcome.OK, now, user_id=user.id)


def record_sign_in(session: Session, attempt: SignInAttempt, *, token: str, expiry_days: float,
                   now: datetime | None = None) -> SignInResult:
    """Write an attempt down (in a write transaction); on success open the sign-in for `token`.

    A failure is audited and the failure that reaches `MAX_FAILED_SIGN_INS`
    locks the username (audited too; its message says so). A success is
    refused after all when, since the check, the account was deactivated or
    the username locked by attempts running at the same time.
    """
    now = now or utcnow()
    if attempt.outcome is SignInOutcome.WRONG:
        return SignInResult(None, None, _record_failure(session, attempt.username, now))
    if attempt.outcome is SignInOutcome.DEACTIVATED:
        _audit_sign_in(session, REFUSED, attempt.username, now, new={"reason": "account deactivated"})
        return SignInResult(None, None, DEACTIVATED)
    if attempt.outcome is not SignInOutcome.OK:
        return SignInResult(None, None, attempt.message)
    _serialize_per_username(session, attempt.username)
    _failures, locked_until = sign_in_throttle(session, username=attempt.username, now=now)
    if locked_until is not None:
        return SignInResult(None, None, locked_message(locked_until, now))
    user = session.get(User, attempt.user_id)
    if user is None or not user.active:
        return SignInResult(None, None, DEACTIVATED)
    record = open_login_session(session, username=user.username, token=token, expiry_days=expiry_days, now=now)
    return SignInResult(record.id, user.id, None)


def _audit_sign_in(session: Session, action: str, username: str, now: datetime, actor_id: int | None = None,
                   new: dict | None = None) -> None:
    entry = audit.record(session, actor_id=actor_id, action=action, entity=SIGN_IN_ENTITY,
                         entity_id=_audit_key(username), new=new)
    entry.at = now


def _serialize_per_username(session: Session, username: str) -> None:
    """Make attempts on one username record one after the other, so the failure that reaches the limit
    always sees the ones before it. SQLite's write transactions already queue (BEGIN IMMEDIATE); on
    PostgreSQL a transaction-scoped advisory lock on the username does it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sign-in:{_audit_key(username)}"})


def _record_failure(session: Session, username: str, now: datetime) -> str:
    _serialize_per_username(session, username)
    failures, _locked = sign_in_throttle(session, username=username, now=now)
    _audit_sign_in(session, FAILED, username, now, new={"failed attempts": failures + 1})
    if failures + 1 < MAX_FAILED_SIGN_INS:
        session.flush()
        return WRONG_CREDENTIALS
    until = now + LOCK_DURATION
    _audit_sign_in(session, LOCKED, username, now, new={"failed attempts": failures + 1, "until": until})
    session.flush()
    return locked_message(until, now)


def sign_in_throttle(session: Session, *, username: str, now: datetime | None = None) -> tuple[int, datetime | None]:
    """(failed attempts that count toward a lock, end of the current lock or None) for a username.

    Folds the username's recent audit entries in order: a failure inside the
    window counts, a lock or an admin's clear restarts the count, and only
    entries after the user's last successful sign-in are read.
    """
    now = now or utcnow()
    name = normalize_username(username)
    user_id = session.scalar(select(User.id).where(User.username == name))
    key = _audit_key(name)
    last_success = 0
    if user_id is not None:
        last_success = session.scalar(select(func.max(AuditEntry.id)).where(
            AuditEntry.entity == "user", AuditEntry.entity_id == str(user_id), AuditEntry.action == "sign in")) or 0
    entries = session.execute(
        select(AuditEntry.action, AuditEntry.at)
        .where(AuditEntry.entity == SIGN_IN_ENTITY, AuditEntry.entity_id == key, AuditEntry.id > last_success,
               AuditEntry.action.in_((FAILED, LOCKED, CLEARED)),
               AuditEntry.at > now - max(THROTTLE_WINDOW, LOCK_DURATION))
        .order_by(AuditEntry.id))
    failures, locked_until = 0, None
    for action, at in entries:
        if action == FAILED:
            if at > now - THROTTLE_WINDOW:
                failures += 1
        else:
            failures = 0
            locked_until = at + LOCK_DURATION if action == LOCKED else None
    if locked_until is not None and locked_until <= now:
        locked_until = None
    return failures, locked_until


@dataclass(frozen=True)
class SignInLock:
    """A username's throttling state, for the Users page."""

    username: str
    failures: int
    locked_until: datetime | None


def sign_in_locks(session: Session, *, actor: Actor, now: datetime | None = None) -> list[SignInLock]:
    """Usernames (typed, existing or not) that are locked or have failed attempts counting, for admins."""
    actor.require(Right.MANAGE_USERS)
    now = now or utcnow()
    names = session.scalars(
        select(AuditEntry.entity_id).distinct()
        .where(AuditEntry.entity == SIGN_IN_ENTITY, AuditEntry.action.in_((FAILED, LOCKED)),
               AuditEntry.at > now - max(THROTTLE_WINDOW, LOCK_DURATION)))
    locks = []
    for name in sorted(names):
        failures, locked_until = sign_in_throttle(session, username=name, now=now)
        if failures or locked_until:
            locks.append(SignInLock(name, failures, locked_until))
    return locks


def clear_sign_in_lock(session: Session, *, actor: Actor, username: str, now: datetime | None = None) -> None:
    """An admin lets a username try again at once (ends its lock and its count of failures); audited."""
    actor.require(Right.MANAGE_USERS)
    now = now or utcnow()
    name = _audit_key(username)
    failures, locked_until = sign_in_throttle(session, username=name, now=now)
    if not failures and locked_until is None:
        raise ValidationFailed("That username has no failed sign-ins to clear.")
    _audit_sign_in(session, CLEARED, name, now, actor_id=actor.user_id,
                   new={"failed attempts": failures, "was locked until": locked_until})
    session.flush()


# ---------------------------------------------------------------------------
# Sign-in records (login_sessions)
# ---------------------------------------------------------------------------

def token_digest(token: str) -> str:
    """Hash of a cookie token; the token itself is never stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_login_session(session: Session, *, username: str, token: str, expiry_days: float,
                       now: datetime | None = None) -> LoginSession:
    """Record a successful sign-in by `username` whose cookie carries `token` (audited)."""
    user = session.scalars(select(User).where(User.username == username, User.active.is_(True))).one_or_none()
    if user is None:
        raise PermissionDenied("This account is not active.")
    now = now or utcnow()
    user.last_login_at = now
    record = LoginSession(user_id=user.id, token_hash=token_digest(token), created_at=now, last_seen_at=now,
                          expires_at=now + timedelta(days=expiry_days))
    session.add(record)
    session.flush()
    entry = audit.record(session, actor_id=user.id, action="sign in", entity="user", entity_id=user.id)
    entry.at = now
    session.flush()
    return record


def find_login_session(session: Session, *, token: str) -> LoginSession | None:
    """The open sign-in of an active user for a cookie token, or None (unknown, ended, expired)."""
    record = session.scalars(select(LoginSession).where(LoginSession.token_hash == token_digest(token))).one_or_none()
    if record is None or check_login_session(session, login_session_id=record.id) is None:
        return None
    return record


@dataclass(frozen=True)
class OpenSignIn:
    """An open sign-in of an active user, as checked on a rerun."""

    login_session_id: int
    user_id: int
    activity_due: bool  # last_seen_at is older than ACTIVITY_INTERVAL: `note_activity` should write it


def check_login_session(session: Session, *, login_session_id: int, now: datetime | None = None) -> OpenSignIn | None:
    """The open sign-in of an active user, else None. Reads only."""
    now = now or utcnow()
    record = session.get(LoginSession, login_session_id)
    if record is None or record.ended_at is not None or record.expires_at <= now:
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.active:
        return None
    return OpenSignIn(record.id, user.id, activity_due=record.last_seen_at <= now - ACTIVITY_INTERVAL)


def note_activity(session: Session, *, login_session_id: int, now: datetime | None = None) -> None:
    """Write `last_seen_at` of an open sign-in, unless another rerun did so within ACTIVITY_INTERVAL."""
    now = now or utcnow()
    session.execute(update(LoginSession)
                    .where(LoginSession.id == login_session_id, LoginSession.ended_at.is_(None),
                           LoginSession.last_seen_at <= now - ACTIVITY_INTERVAL)
                    .values(last_seen_at=now))


def end_login_session(session: Session, *, login_session_id: int, reason: str = "logout") -> None:
    """Close one sign-in; its cookie stops working at once."""
    record = session.get(LoginSession, login_session_id)
    if record is not None and record.ended_at is None:
        record.ended_at, record.end_reason = utcnow(), reason
        if reason == "logout":
            audit.record(session, actor_id=record.user_id, action="sign out", entity="user", entity_id=record.user_id)
        session.flush()


def end_user_sessions(session: Session, *, user_id: int, reason: str, keep: int | None = None) -> int:
    """Close every open sign-in of one user except `keep`; returns how many ended."""
    stmt = select(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
    if keep is not None:
        stmt = stmt.where(LoginSession.id != keep)
    records = session.scalars(stmt).all()
    now = utcnow()
    for record in records:  # through the ORM, so records already loaded in this session see it too
        record.ended_at, record.end_reason = now, reason
    session.flush()
    return len(records)


def location_name(session: Session, location_id: int | None) -> str | None:
    """Name of a location, or None."""
    location = session.get(Location, location_id) if location_id is not None else None
    return location.name if location is not None else None


def command_actor(session: Session, username: str | None) -> Actor:
    """Who a command-line job (`report`, `rates`, `labels`) runs as: the named active user with their role and
    scope, or the first active admin when no name is given. NotFound says which is missing."""
    stmt = select(User.id).where(User.active.is_(True))
    if username:
        stmt = stmt.where(User.username == username.strip().lower())
    else:
        stmt = stmt.where(User.role == Role.ADMIN).order_by(User.id)
    user_id = session.scalars(stmt).first()
    if user_id is None:
        raise NotFound(f"No active user {username!r}." if username else
                       "The workspace has no active admin: name a user with --as USERNAME.")
    return actor_for_user(session, user_id)
