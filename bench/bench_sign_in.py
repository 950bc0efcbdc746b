"""Sign-in benchmarks (issue 8, items 3 and 8), on a copy of the small demo (its users are hashed by
lib.demo.build at the real bcrypt cost):

- sign_in_wrong_known_ms / sign_in_wrong_unknown_ms: median of 5 wrong-password attempts for an
  existing user and for a username that does not exist, each both steps the form runs
  (`check_sign_in` in a read transaction, `record_sign_in` in a write one), timed in alternation so
  machine load affects both alike. Known attempts are spread over the demo users so none is locked;
- sign_in_timing_gap_pct: |known - unknown| / known, in percent (target: under 20 %: the time taken
  must not tell whether a username exists);
- session_check_ms: median of the per-rerun check of an open sign-in plus building the Actor
  (`check_login_session`, `actor_for_user`), a read.
"""
from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.run import BenchContext, Result, median_ms, scratch_copy
from lib import db
from lib.access import actor_for_user
from lib.models import User
from lib.workspace import users

REPEAT = 5


def _copy_of_small(context: BenchContext, folder: Path) -> str:
    """A copy of the small demo to write sign-in records to (PostgreSQL: `scratch_copy`'s database)."""
    if not context.small_url.startswith("sqlite"):
        return scratch_copy(context, "sign_in")
    source = make_url(context.small_url).database
    target = folder / "sign-in.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


def _attempt_ms(engine, username: str) -> float:
    started = time.perf_counter()
    with db.session_scope(engine) as session:
        attempt = users.check_sign_in(session, username=username, password="not-the-password")
    with db.session_scope(engine, write=True) as session:
        result = users.record_sign_in(session, attempt, token="unused", expiry_days=1)
    elapsed = (time.perf_counter() - started) * 1000
    assert result.message == users.WRONG_CREDENTIALS, result.message
    return elapsed


def run(context: BenchContext) -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        engine = db.make_engine(_copy_of_small(context, Path(folder)))
        with db.session_scope(engine) as session:
            names = list(session.scalars(select(User.username).order_by(User.id)))
        _attempt_ms(engine, "warm-up-unknown")  # first statements, caches
        known, unknown = [], []
        for index in range(REPEAT):
            known.append(_attempt_ms(engine, names[index % len(names)]))
            unknown.append(_attempt_ms(engine, f"no-such-user-{index}"))
        with db.session_scope(engine, write=True) as session:
            record = users.open_login_session(session, username=names[0], token="bench", expiry_days=1)
            record_id = record.id

        def check() -> None:
            with db.session_scope(engine) as session:
                actor_for_user(session, users.check_login_session(session, login_session_id=record_id).user_id)

        session_ms = median_ms(check, repeat=20)
        engine.dispose()
    known_ms, unknown_ms = statistics.median(known), statistics.median(unknown)
    return [
        Result("sign_in_wrong_known_ms", known_ms, "ms", note=f"bcrypt cost {users.BCRYPT_ROUNDS}"),
        Result("sign_in_wrong_unknown_ms", unknown_ms, "ms", note="dummy hash of the same cost"),
        Result("sign_in_timing_gap_pct", abs(known_ms - unknown_ms) / known_ms * 100, "%", target=20),
        Result("session_check_ms", session_ms, "ms", note="per rerun, a read"),
    ]
