"""Migrations proven on the database in use (SQLite, or PostgreSQL in the second CI run):
an empty database upgraded to head equals the models, and so does one taken down to base and up again."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from lib import db
from lib.models import Base


def _differences(url: str) -> list:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _image_item_foreign_keys(url: str) -> list[dict]:
    engine = db.make_engine(url)
    try:
        return [fk for fk in inspect(engine).get_foreign_keys("products") if fk["constrained_columns"] == ["image_item_id"]]
    finally:
        engine.dispose()


def test_an_empty_database_upgraded_to_head_matches_the_models(databases):
    url = databases.empty("migrate-head")
    db.migrate(url)
    assert _differences(url) == []
    assert [fk["referred_table"] for fk in _image_item_foreign_keys(url)] == ["inventory_items"]


def test_downgrade_to_base_then_upgrade_to_head(databases):
    url = databases.empty("migrate-round-trip")
    db.migrate(url)
    config = db.alembic_config(url)
    command.downgrade(config, "base")
    assert _tables(url) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert _differences(url) == []


def test_a_database_made_by_0001_gets_the_image_item_foreign_key(databases):
    """Deployed databases ran 0001 only; on PostgreSQL it lacked fk_products_image_item, 0002 adds it."""
    url = databases.empty("migrate-0001")
    config = db.alembic_config(url)
    command.upgrade(config, "0001")
    command.upgrade(config, "head")
    assert len(_image_item_foreign_keys(url)) == 1
    assert _differences(url) == []


def test_the_revisions_have_one_head_that_includes_0002():
    """Two heads would stop every start (`upgrade head` refuses): merged branches need a merge revision."""
    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert "0002" in {revision.revision for revision in script.walk_revisions()}
