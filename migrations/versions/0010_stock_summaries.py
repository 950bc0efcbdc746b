"""stock summaries: the ledger-kept daily roll-up (stock_daily) and held stock (stock_held)

Revision ID: 0010
Revises: 0013

Two tables lib.ledger keeps in the same transaction as every stock change
(lib/models/summary.py), built here for the existing data with one
INSERT … SELECT … GROUP BY each, on both databases:

- stock_daily: per UTC day of moved_at, product, location, kind and movement
  kind, the grams and pieces added (positive deltas) and deducted (negative
  deltas, stored as positive sizes) and the number of movements;
- stock_held: per product, location and kind, the held items (not archived,
  quantity > 0 or weight > 0), their pieces and grams.

It also indexes production_outputs.item_id and source_item_id: with tens of
thousands of outputs (the large demo), finding an item's outputs, and the
foreign key checks of deleting an item row, scanned the whole table.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0013'  # merged after main's 0007, 0014, 0009, 0012, 0008, 0013
branch_labels = None
depends_on = None

KIND = sa.Enum('rough', 'finished', 'materials', name='inventorykind', native_enum=False, length=32)
MOVEMENT_KIND = sa.Enum('receipt', 'import', 'merge', 'adjustment', 'transfer_out', 'transfer_in', 'issue',
                        'production_issue', 'return', 'purchase_receipt', 'production_receipt', 'write_off',
                        name='movementkind', native_enum=False, length=32)
GRAMS = sa.Numeric(precision=28, scale=10)

BUILD_DAILY = """
INSERT INTO stock_daily (day, product_id, location_id, kind, movement_kind, added_g, deducted_g,
                         added_pieces, deducted_pieces, movements)
SELECT {day}, product_id, location_id, kind, movement_kind,
       COALESCE(SUM(CASE WHEN weight_delta_g > 0 THEN weight_delta_g ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN weight_delta_g < 0 THEN -weight_delta_g ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN quantity_delta > 0 THEN quantity_delta ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN quantity_delta < 0 THEN -quantity_delta ELSE 0 END), 0),
       COUNT(*)
FROM stock_movements
GROUP BY {day}, product_id, location_id, kind, movement_kind
"""
BUILD_HELD = """
INSERT INTO stock_held (product_id, location_id, kind, items, pieces, weight_g)
SELECT product_id, location_id, kind, COUNT(*), COALESCE(SUM(quantity), 0), COALESCE(SUM(weight_g), 0)
FROM inventory_items
WHERE status <> 'archived' AND (quantity > 0 OR weight_g > 0)
GROUP BY product_id, location_id, kind
"""


def upgrade() -> None:
    op.create_table('stock_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('kind', KIND, nullable=False),
    sa.Column('movement_kind', MOVEMENT_KIND, nullable=False),
    sa.Column('added_g', GRAMS, nullable=False),
    sa.Column('deducted_g', GRAMS, nullable=False),
    sa.Column('added_pieces', sa.Integer(), nullable=False),
    sa.Column('deducted_pieces', sa.Integer(), nullable=False),
    sa.Column('movements', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.PrimaryKeyConstraint('day', 'product_id', 'location_id', 'kind', 'movement_kind')
    )
    with op.batch_alter_table('stock_daily', schema=None) as batch_op:
        batch_op.create_index('ix_stock_daily_product_day', ['product_id', 'day', 'kind', 'location_id'],
                              unique=False)
    op.create_table('stock_held',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('kind', KIND, nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('pieces', sa.Integer(), nullable=False),
    sa.Column('weight_g', GRAMS, nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.PrimaryKeyConstraint('product_id', 'location_id', 'kind')
    )
    with op.batch_alter_table('production_outputs', schema=None) as batch_op:
        batch_op.create_index('ix_outputs_item', ['item_id'], unique=False)
        batch_op.create_index('ix_outputs_source_item', ['source_item_id'], unique=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    day = "CAST(moved_at AT TIME ZONE 'UTC' AS DATE)" if postgres else "date(moved_at)"
    op.execute(sa.text(BUILD_DAILY.format(day=day)))
    op.execute(sa.text(BUILD_HELD))


def downgrade() -> None:
    with op.batch_alter_table('production_outputs', schema=None) as batch_op:
        batch_op.drop_index('ix_outputs_source_item')
        batch_op.drop_index('ix_outputs_item')
    op.drop_table('stock_held')
    with op.batch_alter_table('stock_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_daily_product_day')
    op.drop_table('stock_daily')
