"""Order numbers: the workspace prefix (reference 3.5.5, `SO-` / `PO-` by default) plus a zero-padded sequence.

Decisions where the reference is silent (section 5, Q26; also in docs/orders.md):

- The sequence is kept per prefix and has at least 4 digits (SO-0001 ...
  SO-9999, then SO-10000). A prefix change applies to new numbers only:
  existing orders keep theirs, the new prefix starts its own count (or resumes
  it, when a prefix is used again), so a number is never issued twice.
- The sequence row is locked while a number is drawn (PostgreSQL row lock;
  SQLite's write transaction), so two orders saved at the same moment get two
  numbers. A number already taken (possible only when two prefixes spell the
  same text, e.g. "SO-1" + "0001" and "SO-" + "10001") is skipped.
- The sales and purchase prefixes must differ (`lib.workspace.settings`), so
  a number always tells which kind of order it is.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from lib.models import Order, OrderKind, OrderSequence, Workspace

DIGITS = 4


def prefix_for(workspace: Workspace, kind: OrderKind) -> str:
    """The workspace's current prefix for new orders of `kind`."""
    return workspace.sales_order_prefix if kind is OrderKind.SALES else workspace.purchase_order_prefix


def _claim_sequence_row(session: Session, prefix: str) -> OrderSequence:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(OrderSequence).values(prefix=prefix, last_number=0)
                    .on_conflict_do_nothing(index_elements=["prefix"]))
    stmt = (select(OrderSequence).where(OrderSequence.prefix == prefix).with_for_update()
            .execution_options(populate_existing=True))
    return session.scalars(stmt).one()


def next_number(session: Session, prefix: str) -> str:
    """Reserve and return the next free order number for `prefix` (row-locked, never reused)."""
    sequence = _claim_sequence_row(session, prefix)
    number = sequence.last_number
    while True:
        number += 1
        text = f"{prefix}{number:0{DIGITS}d}"
        if session.scalar(select(Order.id).where(Order.number == text)) is None:
            break
    sequence.last_number = number
    session.flush()
    return text
