"""Migration 0007 on the configured database (SQLite in batch mode, or PostgreSQL): production_jobs.order_id and
order_line_id get their foreign keys and indexes, a value that names no order is cleared on the way up, the
jobs survive the round trip, and the schema is the models'."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from lib import db
from lib.models import Base

FOREIGN_KEYS = {("order_id", "orders"), ("order_line_id", "order_lines")}
INDEXES = {"ix_jobs_order", "ix_jobs_order_line"}


def _blank(databases) -> str:
    url = databases._new_url("migrations")
    databases._create_empty(url)
    return url


def _links(url: str) -> tuple[set, set]:
    engine = db.make_engine(url)
    found = inspect(engine)
    keys = {(key["constrained_columns"][0], key["referred_table"]) for key in found.get_foreign_keys("production_jobs")
            if key["constrained_columns"][0] in ("order_id", "order_line_id")}
    indexes = {index["name"] for index in found.get_indexes("production_jobs")} & INDEXES
    engine.dispose()
    return keys, indexes


def _jobs(engine) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT number, order_id, order_line_id FROM production_jobs ORDER BY id"))]


def test_0007_adds_the_links_clears_dangling_values_and_goes_down_and_up(databases):
    url = _blank(databases)
    config = db.alembic_config(url)
    command.upgrade(config, "0006")
    assert _links(url) == (set(), set())
    engine = db.make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO locations (id, name, short_name, kind, active) "
                                "VALUES (1, 'Main', 'MAIN', 'Workshop', true)"))
        connection.execute(text(
            "INSERT INTO production_stages (id, name, name_key, code, description, sort_order, applicable_kinds, "
            "active, created_at) VALUES (1, 'Cutting', 'cutting', 'CUT', '', 1, '', true, CURRENT_TIMESTAMP)"))
        for number, order_id in (("JOB-0001", None), ("JOB-0002", 77)):  # 77: an order that does not exist
            connection.execute(text(
                "INSERT INTO production_jobs (number, stage_id, location_id, issued_on, split_mode, notes, "
                "close_note, written_off_g, created_at, updated_at, order_id, order_line_id) VALUES "
                "(:number, 1, 1, CURRENT_DATE, 'match', '', '', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                ":order_id, :order_id)"), {"number": number, "order_id": order_id})
    command.upgrade(config, "0007")
    assert _links(url) == (FOREIGN_KEYS, INDEXES)
    assert _jobs(engine) == [("JOB-0001", None, None), ("JOB-0002", None, None)]
    command.downgrade(config, "0006")
    assert _links(url) == (set(), set())
    assert [number for number, _o, _l in _jobs(engine)] == ["JOB-0001", "JOB-0002"]
    command.upgrade(config, "head")
    assert _links(url) == (FOREIGN_KEYS, INDEXES)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert [d for d in differences if "production_jobs" in repr(d) and "order" in repr(d)] == []
