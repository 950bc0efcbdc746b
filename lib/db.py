"""Engine and transaction scope. The caller owns the session (DESIGN rule 3).

SQLite runs in WAL mode with a busy timeout so a team can use it at once.
Writes open `BEGIN IMMEDIATE` on SQLite (the write lock is taken up front, so
two writers queue instead of failing mid-transaction); on PostgreSQL the ledger
takes row locks with SELECT … FOR UPDATE.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lib.errors import ConfigurationError

SQLITE_BUSY_TIMEOUT_MS = 30_000
_IMMEDIATE = "loupe_immediate"
_INDEXED_BY = "loupe_sqlite_indexed_by"


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine with the project's SQLite pragmas or PostgreSQL options."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5}, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(_IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    event.listen(engine, "before_cursor_execute", _add_indexed_by, retval=True)


def sqlite_index(table: str, index: str) -> dict:
    """Execution options that make SQLite read `table` through `index` (`INDEXED BY`); ignored elsewhere.

    SQLAlchemy has no SQLite table hints. Use it where SQLite's planner, whose
    statistics are per-index averages, is known to pick a worse index.
    """
    return {_INDEXED_BY: ((table, index),)}


def _add_indexed_by(connection, cursor, statement, parameters, context, executemany):
    hints = context.execution_options.get(_INDEXED_BY) if context is not None else None
    for table, index in hints or ():
        statement = statement.replace(f"FROM {table} ", f"FROM {table} INDEXED BY {index} ")
    return statement, parameters


def writer(engine: Engine) -> Engine:
    """The same engine, flagged so SQLite transactions begin IMMEDIATE."""
    return engine.execution_options(**{_IMMEDIATE: True})


@contextmanager
def session_scope(engine: Engine, write: bool = False) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    Use `write=True` for button actions that change data.
    """
    session = Session(bind=writer(engine) if write else engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def check_connection(engine: Engine) -> None:
    """Prove the database answers, or raise a ConfigurationError that says what to fix."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise ConfigurationError(
            f"Cannot reach the database at {engine.url.render_as_string(hide_password=True)}: {reason}. "
            "Check LOUPE_DATABASE_URL and that the server is running."
        ) from None


def alembic_config(url: str):
    """Alembic configuration pointing at this project's migrations and `url`."""
    from alembic.config import Config

    root = Path(__file__).resolve().parent.parent
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")
