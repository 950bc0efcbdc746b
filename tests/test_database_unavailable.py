"""The database goes away for a minute (PostgreSQL stopped, a network cut) and comes back.

Story: an admin is on Inventory when the database server stops. Their next click
says that the database cannot be reached, keeps the menu, and shows no data and no
error id; the click after the server is back shows the page again, without a reload.
The outage is real: the app's engine points at a port where nothing listens, so
psycopg itself fails to connect, exactly as it does while PostgreSQL is stopped.
"""
from __future__ import annotations

import pytest

from lib import db
from lib.errors import DatabaseUnavailable
from tests.apptest import point_app_at, signed_in, texts
from tests.scenarios import two_location_workshop

DEAD_SERVER = "postgresql+psycopg://nobody:nothing@127.0.0.1:1/gone"


def test_a_database_that_cannot_be_reached_is_named_as_such():
    engine = db.make_engine(DEAD_SERVER)
    with pytest.raises(DatabaseUnavailable, match="database cannot be reached"):
        with db.session_scope(engine) as session:
            session.execute(db.text("SELECT 1"))
    engine.dispose()


def test_a_sqlite_file_that_cannot_be_opened_is_named_as_such(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path}/loupe.db")
    (tmp_path / "loupe.db").unlink()
    (tmp_path / "loupe.db").mkdir()  # a folder where the file was: SQLite cannot open it
    with pytest.raises(DatabaseUnavailable):
        with db.session_scope(engine) as session:
            session.execute(db.text("SELECT 1"))
    engine.dispose()


@pytest.fixture(scope="module")
def workshop(databases, tmp_path_factory):
    url = databases.new("outage")
    point_app_at(url, tmp_path_factory.mktemp("outage-data"))
    return two_location_workshop(url)


def _menu(at) -> list[str]:
    return [link.label for link in at.sidebar.get("page_link")]


def test_an_outage_keeps_the_menu_and_the_next_click_recovers(workshop, monkeypatch):
    from ui import context

    at = signed_in(workshop.url, "boss", page="inventory.py")
    at.run()
    menu = _menu(at)
    assert "Inventory" in menu and not at.exception

    dead = db.make_engine(DEAD_SERVER)
    with monkeypatch.context() as outage:
        outage.setattr(context, "engine", lambda: dead)
        at.run()
        shown = texts(at)
        assert "The database cannot be reached right now" in shown
        assert "Something went wrong" not in shown and "error id" not in shown
        assert _menu(at) == menu
        assert not at.dataframe  # no data while it cannot be checked who may see it
    dead.dispose()

    at.run()  # the server is back: the next click shows the page again
    assert "cannot be reached" not in texts(at)
    assert _menu(at) == menu and at.dataframe
