"""Numbered sequences per prefix: tag IDs, order numbers and job IDs draw their numbers here.

A sequence is a row (prefix, last_number) in its own table (`TagSequence`,
`OrderSequence`, `JobSequence`). Drawing a number locks that row for the rest
of the caller's transaction (PostgreSQL row lock; SQLite's write transaction),
so two users saving at the same moment get two different numbers, and a number
is never issued twice. A number whose text something already holds (an
imported tag, an order number typed under another prefix) is skipped.
"""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session


def claim(session: Session, sequence_model, prefixes: list[str]) -> dict[str, int]:
    """Lock the rows of `prefixes` in `sequence_model` (created at 0 when new), in prefix order; their last numbers."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(sequence_model.__table__).on_conflict_do_nothing(index_elements=["prefix"]),
                    [{"prefix": prefix, "last_number": 0} for prefix in prefixes])
    table = sequence_model.__table__
    stmt = (select(table.c.prefix, table.c.last_number).where(table.c.prefix.in_(prefixes))
            .order_by(table.c.prefix).with_for_update())
    return dict(session.execute(stmt).tuples().all())


def next_free(session: Session, sequence_model, prefix: str, taken_by: InstrumentedAttribute, digits: int) -> str:
    """Reserve and return the next `prefix` + zero-padded number that no row holds in the column `taken_by`."""
    number = claim(session, sequence_model, [prefix])[prefix]
    while True:
        number += 1
        candidate = f"{prefix}{number:0{digits}d}"
        if not session.scalar(select(exists().where(taken_by == candidate))):
            break
    session.execute(sequence_model.__table__.update().where(sequence_model.__table__.c.prefix == prefix)
                    .values(last_number=number))
    return candidate
