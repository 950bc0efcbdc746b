"""The demo's stock history: a discrete-event simulation of a year of movements, in global time order."""
from __future__ import annotations

from array import array
from dataclasses import dataclass
from heapq import heappop, heappush
from random import Random

from lib.demo.plan import (
    ADD_REASONS,
    ADMIN_SHARE,
    DEDUCT_REASONS,
    LOCATION_USERS,
    MOVE_ADJUST,
    MOVE_IMPORT,
    MOVE_IN,
    MOVE_ISSUE,
    MOVE_OUT,
    MOVE_RECEIPT,
    MOVE_WRITE_OFF,
    ItemsPlan,
)
from lib.models import ItemStatus

# ---------------------------------------------------------------------------
# The stock history: a discrete-event simulation in global time order
# ---------------------------------------------------------------------------

BUCKET_SECONDS = 3_600
RECORD = 8  # slots per recorded movement: item, t, dq, dw, q after, w after, packed codes, reference number
REFERENCE_FORMATS = ("", "PO-%d", "IMPORT-%03d", "JOB-%d", "SO-%d", "TR-%d", "archive")
REF_NONE, REF_PO, REF_IMPORT, REF_JOB, REF_SO, REF_TRANSFER, REF_ARCHIVE = range(7)
ARCHIVE_REASON = "Discontinued: written off when archived"
MOVEMENT_NOTES = list(dict.fromkeys(["", "Spreadsheet import", "Issued in full", "Damaged beyond repair",
                                     "Issued to production", "Picked for sales order", ARCHIVE_REASON]
                                    + ADD_REASONS + DEDUCT_REASONS))
_NOTE = {note: index for index, note in enumerate(MOVEMENT_NOTES)}
ADD_NOTES = [_NOTE[n] for n in ADD_REASONS]
DEDUCT_NOTES = [_NOTE[n] for n in DEDUCT_REASONS]


@dataclass
class History:
    """Every movement, compactly: RECORD integers each in one array (about 64 bytes a
    movement), in the order they happened; plus every item's final state."""
    records: array
    quantity: list[int]
    weight: list[int]
    location: list[int]
    last_t: list[int]
    receipt_user: list[int]

    @property
    def movements(self) -> int:
        return len(self.records) // RECORD


def _pack(code: int, location: int, user: int, reference: int, note: int) -> int:
    return code | location << 3 | user << 5 | reference << 8 | note << 11


def simulate(items: ItemsPlan, seed: int, horizon: int) -> History:
    """Run every item's history in time order.

    Each item has a budget of movements after its receipt, spread over the time
    left until now. No balance goes below zero; only an item's last movement
    empties it, and an item planned as archived always ends with the write-off
    that archiving makes (`lib.inventory.stock.archive`). Events wait in hourly buckets (a heap of 200,000 pending items is
    slow); each bucket is a small heap, so the order is exactly (time, item).
    """
    rand = Random(seed).random
    n = len(items.q0)
    q, w, loc = list(items.q0), list(items.w0), list(items.loc0)
    last_t, receipt_user = list(items.t0), [1] * n
    budget = list(items.budget)
    archived = [hold is ItemStatus.ARCHIVED for hold in items.hold]
    bulk = items.bulk
    received = bytearray(n)
    records = array("q")
    record = records.extend
    staff = {location: tuple(users) for location, users in LOCATION_USERS.items()}
    others = {1: (2, 3), 2: (1, 3), 3: (1, 2)}
    buckets: list[list[int] | None] = [[] for _ in range(horizon // BUCKET_SECONDS + 1)]
    for i, t in enumerate(items.t0):
        buckets[t // BUCKET_SECONDS].append(t * n + i)

    def user_at(location: int) -> int:
        if rand() < ADMIN_SHARE:
            return 1
        users = staff[location]
        return users[int(rand() * len(users))]

    for b in range(len(buckets)):
        pending = buckets[b]
        buckets[b] = None
        pending.sort()  # a sorted list is a heap
        while pending:
            t, i = divmod(heappop(pending), n)
            qi, wi, li = q[i], w[i], loc[i]
            left = budget[i]
            if not received[i]:
                received[i] = 1
                user = receipt_user[i] = user_at(li)
                if rand() < 0.08:
                    record((i, t, qi, wi, qi, wi, _pack(MOVE_IMPORT, li, user, REF_IMPORT, 1), t // 604_800 + 1))
                else:
                    record((i, t, qi, wi, qi, wi, _pack(MOVE_RECEIPT, li, user, REF_PO, 0), 1000 + int(rand() * 9000)))
            else:
                x = rand()
                if left == 1 and archived[i]:  # archiving writes off what is still held (stock.archive)
                    q[i] = w[i] = 0
                    record((i, t, -qi, -wi, 0, 0, _pack(MOVE_WRITE_OFF, li, user_at(li), REF_ARCHIVE,
                                                        _NOTE[ARCHIVE_REASON]), 0))
                    left = 0
                elif left == 1 and x < 0.3:  # the last movement empties the item
                    code, note = (MOVE_WRITE_OFF, 3) if rand() < 0.12 else (MOVE_ISSUE, 2)
                    q[i] = w[i] = 0
                    record((i, t, -qi, -wi, 0, 0, _pack(code, li, user_at(li), REF_JOB, note),
                            10000 + int(rand() * 90000)))
                    left = 0
                elif left >= 2 + archived[i] and (x < 0.07 or (x < 0.62 and qi == 1 and not bulk[i])):
                    # move the whole item to another location (a single piece is moved, not split)
                    to = others[li][rand() < 0.5]
                    user = user_at(li)
                    number = 100000 + int(rand() * 900000)
                    record((i, t, -qi, -wi, 0, 0, _pack(MOVE_OUT, li, user, REF_TRANSFER, 0), number,
                            i, t, qi, wi, qi, wi, _pack(MOVE_IN, to, user, REF_TRANSFER, 0), number))
                    loc[i] = to
                    left -= 2
                else:
                    dq = dw = 0
                    code = MOVE_ISSUE if x < 0.62 else MOVE_ADJUST
                    if code == MOVE_ISSUE:
                        if not bulk[i] and qi >= 2:
                            dq = -1 - int(rand() * max(1, qi // 3))
                            dw = -(wi * -dq // qi)
                        elif bulk[i] and wi >= 2:
                            dw = -max(1, int(wi * (0.02 + 0.23 * rand())))
                        else:
                            code = MOVE_ADJUST
                    if code == MOVE_ADJUST:
                        if rand() < 0.55:  # deduct, keeping some stock
                            if not bulk[i] and qi >= 2 and rand() < 0.35:
                                dq, dw = -1, -(wi // qi)
                            elif wi >= 2:
                                dw = -max(1, int(wi * (0.001 + 0.029 * rand())))
                        if dq == 0 and dw == 0:  # add
                            if not bulk[i] and rand() < 0.35:
                                dq, dw = 1, wi // max(qi, 1)
                            else:
                                dw = max(1, int(wi * (0.001 + 0.029 * rand())))
                        notes = ADD_NOTES if dq > 0 or dw > 0 else DEDUCT_NOTES
                        reference, number, note = REF_NONE, 0, notes[int(rand() * len(notes))]
                    elif rand() < 0.7:
                        reference, number, note = REF_JOB, 10000 + int(rand() * 90000), 4
                    else:
                        reference, number, note = REF_SO, 1000 + int(rand() * 9000), 5
                    qi += dq
                    wi += dw
                    q[i], w[i] = qi, wi
                    record((i, t, dq, dw, qi, wi, _pack(code, li, user_at(li), reference, note), number))
                    left -= 1
                budget[i] = left
            last_t[i] = t
            if left > 0:
                due = t + int((horizon - t) * (1.0 - rand() ** (1.0 / left)))
                if due // BUCKET_SECONDS == b:
                    heappush(pending, due * n + i)
                else:
                    buckets[due // BUCKET_SECONDS].append(due * n + i)
    return History(records, q, w, loc, last_t, receipt_user)


def reference_text(code: int, number: int) -> str:
    text = REFERENCE_FORMATS[code]
    return text % number if "%" in text else text
