"""The audit log: every write records who, when, what, old and new values."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import bulk
from lib.models import AuditEntry, User, utcnow


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (Decimal, datetime)):
        return str(value)
    return value


def _dump(values: dict | None) -> str | None:
    if values is None:
        return None
    return json.dumps({key: _plain(val) for key, val in values.items()}, sort_keys=True, default=str)


def record(session: Session, *, actor_id: int | None, action: str, entity: str,
           entity_id: object = None, old: dict | None = None, new: dict | None = None) -> AuditEntry:
    """Append one audit entry in the caller's transaction."""
    entry = AuditEntry(user_id=actor_id, action=action, entity=entity,
                       entity_id=None if entity_id is None else str(entity_id),
                       old_values=_dump(old), new_values=_dump(new))
    session.add(entry)
    return entry


def record_many(session: Session, *, actor_id: int | None, entries: Iterable[dict]) -> int:
    """Append many audit entries with one bulk insert in the caller's transaction; how many were written.

    Each entry is a dict with `action`, `entity` and optionally `entity_id`,
    `old` and `new`, as the arguments of `record`. All share one time.
    """
    now = utcnow()
    rows = [{"at": now, "user_id": actor_id, "action": entry["action"], "entity": entry["entity"],
             "entity_id": None if entry.get("entity_id") is None else str(entry["entity_id"]),
             "old_values": _dump(entry.get("old")), "new_values": _dump(entry.get("new"))} for entry in entries]
    if rows:
        bulk.insert_rows(session, AuditEntry.__table__, rows)
    return len(rows)


def changed_fields(obj, changes: dict) -> tuple[dict, dict]:
    """Apply `changes` to `obj`; return (old, new) dicts of the fields that really changed."""
    old, new = {}, {}
    for field, value in changes.items():
        current = getattr(obj, field)
        if current != value:
            old[field], new[field] = current, value
            setattr(obj, field, value)
    return old, new


def recent_entries(session: Session, *, limit: int = 50, entity: str | None = None) -> list[dict]:
    """Newest audit entries with the user's name, for admin screens."""
    stmt = (select(AuditEntry, User.username).outerjoin(User, User.id == AuditEntry.user_id)
            .order_by(AuditEntry.id.desc()).limit(limit))
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    return [
        {"at": entry.at, "user": username or "system", "action": entry.action, "entity": entry.entity,
         "entity_id": entry.entity_id, "old": entry.old_values, "new": entry.new_values}
        for entry, username in session.execute(stmt)
    ]
