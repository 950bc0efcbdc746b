"""Alembic environment: runs migrations on the URL set by lib.db.migrate."""
from alembic import context

from lib.db import make_engine
from lib.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:  # plain `alembic upgrade head` from the shell: use the app's settings
        from lib.config import load_settings

        url = load_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
