"""Test databases: real SQLite by default, real PostgreSQL when LOUPE_DATABASE_URL names one.

The suite never writes to the database LOUPE_DATABASE_URL points at: on
PostgreSQL it only uses that server to create throwaway databases (from one
migrated template), on SQLite it copies a migrated template file.
- `session`: one shared database, each test inside a transaction rolled back
  at the end (SQLAlchemy's "join a session into an external transaction").
- `fresh_engine`: a database of the test's own, for threads and AppTests
  that need committed data.
"""
from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from lib import db

SERVER_URL = os.environ.get("LOUPE_DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postgresql")


class DatabaseFactory:
    """Creates migrated throwaway databases and removes them at the end."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.created: list[str] = []
        self.template = self._new_url("template")
        self._create_empty(self.template)
        db.migrate(self.template)

    def _new_url(self, label: str) -> str:
        if ON_POSTGRES:
            return make_url(SERVER_URL).set(database=f"loupe_test_{label}_{uuid.uuid4().hex[:10]}").render_as_string(
                hide_password=False)
        return f"sqlite:///{self.workdir / f'{label}-{uuid.uuid4().hex[:10]}.db'}"

    def _admin(self):
        return create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")

    def _create_empty(self, url: str, template: str | None = None) -> None:
        if ON_POSTGRES:
            name = make_url(url).database
            clause = f" TEMPLATE {make_url(template).database}" if template else ""
            admin = self._admin()
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
            admin.dispose()
        elif template:
            shutil.copy(make_url(template).database, make_url(url).database)
        self.created.append(url)

    def empty(self, label: str = "empty") -> str:
        """URL of a new database with no table at all (not migrated)."""
        url = self._new_url(label)
        self._create_empty(url)
        return url

    def new(self, label: str = "db") -> str:
        """URL of a new, migrated, empty database."""
        url = self._new_url(label)
        self._create_empty(url, template=self.template)
        return url

    def drop(self, url: str) -> None:
        """Drop one database now (PostgreSQL): FORCE also ends the connections of engines a test left open,
        which would otherwise hold one of the server's connections each until the session ends."""
        if not ON_POSTGRES or url not in self.created:
            return
        admin = self._admin()
        with admin.connect() as connection:
            _drop(connection, make_url(url).database)
        admin.dispose()
        self.created.remove(url)

    def drop_all(self) -> None:
        if not ON_POSTGRES:
            return
        admin = self._admin()
        with admin.connect() as connection:
            for url in reversed(self.created):
                _drop(connection, make_url(url).database)
        admin.dispose()


def _drop(connection, name: str, attempts: int = 10) -> None:
    """Drop a test database. FORCE ends our own sessions on it, but not an autovacuum worker (a superuser's
    process) that may be visiting it at that moment: PostgreSQL then refuses, so wait for it and try again."""
    for attempt in range(attempts):
        try:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="session")
def databases(tmp_path_factory) -> DatabaseFactory:
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def shared_engine(databases):
    engine = db.make_engine(databases.new("shared"))
    yield engine
    engine.dispose()


@pytest.fixture
def session(shared_engine):
    """A session whose work is rolled back after the test, commits included."""
    connection = shared_engine.connect()
    transaction = connection.begin()
    test_session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield test_session
    test_session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def fresh_url(databases):
    """A database of the test's own, dropped when the test ends (the server allows 100 connections, and a
    suite of a few hundred such tests must not keep one open per test)."""
    url = databases.new("fresh")
    yield url
    databases.drop(url)


@pytest.fixture
def fresh_engine(fresh_url):
    engine = db.make_engine(fresh_url)
    yield engine
    engine.dispose()


pytest_plugins = ["tests.conftest_browser"]
