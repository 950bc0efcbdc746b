"""Migration 0011 on the configured database: existing stages get their industry preset's loss norm (matched by
code, never another industry's), reorder levels and the roll-up index appear, and the way down removes them."""
from __future__ import annotations

from decimal import Decimal

from alembic import command
from sqlalchemy import inspect, text

from lib import db


def test_0011_seeds_preset_norms_and_goes_down_and_up(databases):
    url = databases._new_url("migrations")
    databases._create_empty(url)
    config = db.alembic_config(url)
    command.upgrade(config, "0010")
    engine = db.make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO workspace (id, name, industry, plan, default_weight_unit, tag_prefix, ai_summaries_enabled, "
            "managers_all_locations, updated_at) VALUES (1, 'W', 'jewelry', 'business', 'g', 'W', false, false, "
            "CURRENT_TIMESTAMP)"))
        for number, (name, code) in enumerate((("Metal Casting", "MC"), ("My Own Step", "OWN"),
                                               ("Rough Cutting", "RC")), start=1):  # RC: a gemstones code
            connection.execute(text(
                "INSERT INTO production_stages (id, name, name_key, code, description, sort_order, "
                "applicable_kinds, active, created_at) VALUES (:id, :name, :key, :code, '', :id, '', true, "
                "CURRENT_TIMESTAMP)"), {"id": number, "name": name, "key": name.lower(), "code": code})
    command.upgrade(config, "0011")
    with engine.connect() as connection:
        norms = dict(connection.execute(text("SELECT code, loss_norm_pct FROM production_stages")).all())
    assert {code: (Decimal(str(value)) if value is not None else None) for code, value in norms.items()} == {
        "MC": Decimal("1.5"), "OWN": None, "RC": None}
    found = inspect(engine)
    assert "reorder_levels" in found.get_table_names()
    assert "ix_stock_daily_kinds" in {index["name"] for index in found.get_indexes("stock_daily")}
    command.downgrade(config, "0010")
    found = inspect(engine)
    assert "reorder_levels" not in found.get_table_names()
    assert "loss_norm_pct" not in {column["name"] for column in found.get_columns("production_stages")}
    command.upgrade(config, "head")
    engine.dispose()
