"""Engine and transaction scope. The caller owns the session (DESIGN rule 3).

SQLite runs in WAL mode with a busy timeout so a team can use it at once.
Writes open `BEGIN IMMEDIATE` on SQLite (the write lock is taken up front, so
two writers queue instead of failing mid-transaction); on PostgreSQL the ledger
takes row locks with SELECT … FOR UPDATE, and `lock_timeout` bounds any lock
wait the same way SQLite's busy timeout does.

Lock errors never reach a page raw: `session_scope` rolls back and raises
`WorkspaceBusy` ("The workspace is busy, try again in a moment") for SQLite's
"database is locked" and PostgreSQL's lock timeout, deadlock and
serialization failures. The bounded retry is the lock wait itself (SQLite
retries taking the lock until its busy timeout, PostgreSQL waits up to
`lock_timeout`); a transaction the database aborted is not re-run by itself,
since the body of a `with` block cannot run twice: the user sees the message,
nothing was written, and trying again is theirs to decide.

A new SQLite file is created readable and writable by its owner only; its
-wal and -shm files take the same mode from it (SQLite's rule), and an
existing file with wider permissions is narrowed on the next start.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Enum, String, create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from lib.errors import ConfigurationError, DatabaseUnavailable, ValidationFailed, WorkspaceBusy
from lib.text import check_stored_text

LOCK_TIMEOUT_SECONDS = 30  # how long a write waits for another one's lock before "busy"
BUSY_MESSAGE = "The workspace is busy, try again in a moment."
UNREACHABLE_MESSAGE = ("The database cannot be reached right now, so nothing was shown or saved. Try again in a "
                       "moment; if it lasts, ask your admin to check that the database server is running.")
# PostgreSQL: connection_exception class, admin_shutdown, crash_shutdown, cannot_connect_now
_POSTGRES_CONNECTION_STATES = ("57P01", "57P02", "57P03")
_CONNECTION_WORDS = ("connection", "could not connect", "server closed", "unable to open database file",
                     "terminating")
_SQLITE_LOCK_MESSAGES = ("database is locked", "database table is locked", "database schema is locked")
# PostgreSQL: lock_not_available (lock_timeout), deadlock_detected, serialization_failure
_POSTGRES_LOCK_STATES = ("55P03", "40P01", "40001")
OWNER_ONLY = 0o600
_IMMEDIATE = "loupe_immediate"
_INDEXED_BY = "loupe_sqlite_indexed_by"


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine with the project's SQLite pragmas or PostgreSQL options."""
    if url.startswith("sqlite"):
        _restrict_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": LOCK_TIMEOUT_SECONDS},
                               **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={
        "connect_timeout": 5, "options": f"-c lock_timeout={int(LOCK_TIMEOUT_SECONDS * 1000)}"}, **kwargs)


def _restrict_sqlite_file(url: str) -> None:
    """Create the SQLite file owner-only, or narrow an existing one (and its -wal/-shm)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        if path.parent.is_dir():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, OWNER_ONLY))  # SQLite takes an empty file
        return
    for existing in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if existing.exists() and existing.stat().st_mode & 0o077:
                existing.chmod(OWNER_ONLY)
        except PermissionError:  # not ours to change: leave it as the owner set it
            pass


def is_lock_error(error: BaseException) -> bool:
    """True for "the database is busy" errors: SQLite's lock, PostgreSQL's lock timeout,
    deadlock and serialization failures. Nothing of the failed transaction was kept."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in _POSTGRES_LOCK_STATES:
        return True
    return isinstance(error, OperationalError) and str(original).strip().lower().startswith(_SQLITE_LOCK_MESSAGES)


def is_connection_error(error: BaseException) -> bool:
    """True for a database that cannot be reached at all (as opposed to a statement it refused)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    state = getattr(error.orig, "sqlstate", None)
    if state:
        return state.startswith("08") or state in _POSTGRES_CONNECTION_STATES
    message = str(error.orig).lower()
    return isinstance(error, OperationalError) and any(word in message for word in _CONNECTION_WORDS)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(LOCK_TIMEOUT_SECONDS * 1000)}")
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

    Use `write=True` for button actions that change data. A lock error
    (see `is_lock_error`) becomes `WorkspaceBusy` with a message for the user,
    and a database that cannot be reached `DatabaseUnavailable`; the pool's
    pre-ping reconnects on the next transaction once the server is back.
    """
    session = Session(bind=writer(engine) if write else engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except DBAPIError as error:
        _roll_back_quietly(session)
        if is_lock_error(error):
            raise WorkspaceBusy(BUSY_MESSAGE) from error
        if is_connection_error(error):
            raise DatabaseUnavailable(UNREACHABLE_MESSAGE) from error
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def read(session: Session, statement, parameters: dict | None = None):
    """Run a Core SELECT in the session's transaction on its connection, not through the ORM.

    `session.execute` sends even a plain column select through the ORM's result loading, which costs more
    than SQLite's own part of a short read (about a third of the Product Details default view at the large
    demo). Use it for column selects on hot paths; pending ORM changes are flushed first, as
    `session.execute` would.
    """
    session.flush()
    return session.connection().execute(statement, parameters or {})


# Text columns without a length of their own hold at most this many characters, unless
# their `info` names another `max_length` (None: written by the system, not typed).
TEXT_LIMIT = 10_000


def _field_label(column) -> str:
    return column.info.get("label") or column.key.replace("_", " ").capitalize()


def _text_limit(column) -> int | None:
    if "max_length" in column.info:
        return column.info["max_length"]
    return column.type.length or TEXT_LIMIT


def _unstorable_text(instance) -> str | None:
    """The first problem with a text value `instance` is about to write, or None (see lib.text)."""
    state = inspect(instance)
    for attribute in state.mapper.column_attrs:
        column = attribute.columns[0]
        if not isinstance(column.type, String) or isinstance(column.type, Enum):
            continue
        if state.persistent and not state.attrs[attribute.key].history.has_changes():
            continue
        value = state.dict.get(attribute.key)
        if isinstance(value, str):
            try:
                check_stored_text(value, _field_label(column), _text_limit(column))
            except ValueError as problem:
                return str(problem)
    return None


@event.listens_for(Session, "before_flush")
def _refuse_unstorable_text(session: Session, _context, _instances) -> None:
    """The last line of the text rule: no row reaches the database with text PostgreSQL would refuse."""
    for instance in (*session.new, *session.dirty):
        problem = _unstorable_text(instance)
        if problem:
            raise ValidationFailed(problem)


def _roll_back_quietly(session: Session) -> None:
    """Roll back; a connection that is already gone cannot roll back and needs nothing undone."""
    try:
        session.rollback()
    except DBAPIError:
        pass


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
