"""Alembic environment: runs migrations on the URL set by lib.db.migrate.

SQLite alters a table by rebuilding it (batch mode: copy, drop, rename). With
foreign keys enforced, dropping a table that other rows refer to fails, so on
SQLite the migrations run with `PRAGMA foreign_keys=OFF` (Alembic's documented
practice for batch mode; the pragma only takes effect outside a transaction)
and, before the one transaction commits, `PRAGMA foreign_key_check` must find
no broken reference, or everything is rolled back.
"""
from contextlib import contextmanager

from alembic import context

from lib.db import make_engine
from lib.models import Base

config = context.config
target_metadata = Base.metadata


@contextmanager
def _sqlite_foreign_keys_off(connection):
    """Foreign keys off on this SQLite connection while the migrations run (nothing elsewhere)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection) -> None:
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"The migration would leave rows pointing at nothing: {broken[:5]}")


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:  # plain `alembic upgrade head` from the shell: use the app's settings
        from lib.config import load_settings

        url = load_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection, _sqlite_foreign_keys_off(connection):
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
            _check_foreign_keys(connection)
    engine.dispose()


run_migrations_online()
