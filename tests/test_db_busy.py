"""Lock errors never reach a page raw: `session_scope` turns them into WorkspaceBusy and keeps nothing."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text, update

from lib import db
from lib.errors import WorkspaceBusy
from lib.models import Location
from tests.conftest import ON_POSTGRES


def _two_locations(engine) -> tuple[int, int]:
    with db.session_scope(engine, write=True) as session:
        first, second = Location(name="One", short_name="ONE"), Location(name="Two", short_name="TWO")
        session.add_all([first, second])
        session.flush()
        return first.id, second.id


def _rename(session, location_id: int, name: str) -> None:
    session.execute(update(Location).where(Location.id == location_id).values(name=name))


def _names(engine) -> list[str]:
    with db.session_scope(engine) as session:
        return session.scalars(select(Location.name).order_by(Location.id)).all()


def test_a_write_that_waits_too_long_for_the_lock_is_busy_and_writes_nothing(fresh_engine, monkeypatch):
    first, _second = _two_locations(fresh_engine)
    monkeypatch.setattr(db, "LOCK_TIMEOUT_SECONDS", 1)
    impatient = db.make_engine(fresh_engine.url.render_as_string(hide_password=False))
    try:
        with db.session_scope(fresh_engine, write=True) as holder:
            _rename(holder, first, "Held")  # holds SQLite's write lock, or the row lock on PostgreSQL
            with pytest.raises(WorkspaceBusy, match="The workspace is busy, try again in a moment."):
                with db.session_scope(impatient, write=True) as session:
                    _rename(session, first, "Lost")
    finally:
        impatient.dispose()
    assert _names(fresh_engine) == ["Held", "Two"]


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite takes its write lock up front: two writers cannot deadlock")
def test_a_deadlock_is_busy_for_one_side_and_the_other_commits(fresh_engine):
    first, second = _two_locations(fresh_engine)
    both_hold_one = threading.Barrier(2, timeout=120)
    outcomes: dict[str, str] = {}

    def writer(label: str, mine: int, theirs: int) -> None:
        try:
            with db.session_scope(fresh_engine, write=True) as session:
                _rename(session, mine, f"{label} own")
                both_hold_one.wait()
                _rename(session, theirs, f"{label} other")
            outcomes[label] = "committed"
        except WorkspaceBusy:
            outcomes[label] = "busy"

    threads = [threading.Thread(target=writer, args=("A", first, second)),
               threading.Thread(target=writer, args=("B", second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes.values()) == ["busy", "committed"]
    winner = next(label for label, outcome in outcomes.items() if outcome == "committed")
    assert _names(fresh_engine) == ([f"{winner} own", f"{winner} other"] if winner == "A"
                                    else [f"{winner} other", f"{winner} own"])


def test_other_database_errors_are_not_called_busy(fresh_engine):
    with pytest.raises(Exception) as caught:
        with db.session_scope(fresh_engine) as session:
            session.execute(text("SELECT * FROM no_such_table"))
    assert not isinstance(caught.value, WorkspaceBusy) and not db.is_lock_error(ValueError("database is locked"))
