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

from sqlalchemy.orm import Session

from lib import sequences
from lib.models import Order, OrderKind, OrderSequence, Workspace

DIGITS = 4


def prefix_for(workspace: Workspace, kind: OrderKind) -> str:
    """The workspace's current prefix for new orders of `kind`."""
    return workspace.sales_order_prefix if kind is OrderKind.SALES else workspace.purchase_order_prefix


def next_number(session: Session, prefix: str) -> str:
    """Reserve and return the next free order number for `prefix` (row-locked, never reused)."""
    return sequences.next_free(session, OrderSequence, prefix, Order.number, DIGITS)
