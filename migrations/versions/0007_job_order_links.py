"""job order links: production_jobs.order_id / order_line_id get their foreign keys and indexes

Revision ID: 0007
Revises: 0006

0005 created the two columns as plain nullable integers (the orders tables
did not exist yet); lib.production.links now writes them, so they reference
orders.id and order_lines.id, and are indexed (the order page and the line
status refresh look jobs up by order and by line). Nothing wrote the columns
before, but a value that names no order or line is cleared first, so the
constraints can always be added. On SQLite the table is rebuilt (batch mode,
with foreign keys off while it is: see migrations/env.py).
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

LINKS = (("fk_production_jobs_order_id", "order_id", "orders"),
         ("fk_production_jobs_order_line_id", "order_line_id", "order_lines"))
INDEXES = (("ix_jobs_order", "order_id"), ("ix_jobs_order_line", "order_line_id"))


def upgrade() -> None:
    for _name, column, table in LINKS:
        op.execute(sa.text(f"UPDATE production_jobs SET {column} = NULL WHERE {column} IS NOT NULL "
                           f"AND {column} NOT IN (SELECT id FROM {table})"))
    with op.batch_alter_table('production_jobs', schema=None) as batch_op:
        for name, column in INDEXES:
            batch_op.create_index(name, [column], unique=False)
        for name, column, table in LINKS:
            batch_op.create_foreign_key(name, table, [column], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('production_jobs', schema=None) as batch_op:
        for name, _column, _table in LINKS:
            batch_op.drop_constraint(name, type_='foreignkey')
        for name, _column in INDEXES:
            batch_op.drop_index(name)
