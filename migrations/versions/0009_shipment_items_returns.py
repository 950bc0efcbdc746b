"""shipment items, short-close and returns: shipments ship selections, lines close short, goods come back

Revision ID: 0009
Revises: 0007

- shipment_items: what a shipment shipped of each selection (the item), in the item's own unit, exactly;
  shipment_lines stay as the per-line sums. Shipments recorded before this revision are given item rows by
  filling the line's selections in id order (pieces and grams), so a shipped selection stays unremovable.
- order_lines.closed_short_at / closed_short_by_id / close_reason: the rest of a partially shipped line closed.
- order_selections.short_*: what a short-close gave back of a selection that was never shipped.
- order_returns: shipped goods received back into inventory (a RETURN movement naming the line).
"""
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0014'  # migrations run in the order they were merged: 0007, 0014, 0009, ...
branch_labels = None
depends_on = None

WEIGHT = sa.Numeric(precision=18, scale=4)
GRAMS = sa.Numeric(precision=28, scale=10)
MOVEMENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('shipment_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('selection_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('weight', WEIGHT, nullable=False),
    sa.Column('weight_unit', sa.String(length=8), nullable=False),
    sa.Column('weight_g', GRAMS, nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['order_lines.id'], ),
    sa.ForeignKeyConstraint(['selection_id'], ['order_selections.id'], ),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shipment_id', 'selection_id')
    )
    with op.batch_alter_table('shipment_items', schema=None) as batch_op:
        batch_op.create_index('ix_shipment_items_selection', ['selection_id'], unique=False)
        batch_op.create_index('ix_shipment_items_line', ['line_id'], unique=False)
    op.create_table('order_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('selection_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('movement_id', MOVEMENT_ID, nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('weight', WEIGHT, nullable=False),
    sa.Column('weight_unit', sa.String(length=8), nullable=False),
    sa.Column('weight_g', GRAMS, nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['inventory_items.id'], ),
    sa.ForeignKeyConstraint(['line_id'], ['order_lines.id'], ),
    sa.ForeignKeyConstraint(['movement_id'], ['stock_movements.id'], ),
    sa.ForeignKeyConstraint(['returned_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['selection_id'], ['order_selections.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_returns', schema=None) as batch_op:
        batch_op.create_index('ix_order_returns_line', ['line_id'], unique=False)
        batch_op.create_index('ix_order_returns_selection', ['selection_id'], unique=False)
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_short_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_short_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('close_reason', sa.String(length=500), nullable=False, server_default=''))
        batch_op.create_foreign_key('fk_order_lines_closed_short_by_id', 'users', ['closed_short_by_id'], ['id'])
    with op.batch_alter_table('order_selections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_quantity', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('short_weight', WEIGHT, nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('short_weight_g', GRAMS, nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('short_movement_id', MOVEMENT_ID, nullable=True))
        batch_op.create_foreign_key('fk_order_selections_short_movement_id', 'stock_movements',
                                    ['short_movement_id'], ['id'])
    _backfill_shipment_items()


def _backfill_shipment_items() -> None:
    """Item rows for shipments recorded per line: each line's shipped amounts fill its selections in id order."""
    from lib.units import WEIGHT_QUANTUM, unit  # the same factors the rows were written with

    bind = op.get_bind()
    left: dict[int, list[list]] = {}
    for sel_id, line_id, quantity, weight, symbol, grams in bind.execute(sa.text(
            "SELECT id, line_id, quantity, weight, weight_unit, weight_g FROM order_selections "
            "WHERE released_at IS NULL ORDER BY line_id, id")):
        left.setdefault(line_id, []).append([sel_id, int(quantity), Decimal(str(grams)), symbol])
    rows = bind.execute(sa.text("SELECT shipment_id, line_id, quantity, weight_g FROM shipment_lines "
                                "ORDER BY shipment_id, id")).all()
    insert = sa.text("INSERT INTO shipment_items (shipment_id, selection_id, line_id, quantity, weight, weight_unit, "
                     "weight_g) VALUES (:shipment_id, :selection_id, :line_id, :quantity, :weight, :unit, :grams)"
                     ).bindparams(sa.bindparam("weight", type_=WEIGHT), sa.bindparam("grams", type_=GRAMS))
    for shipment_id, line_id, quantity, grams in rows:
        pieces, grams = int(quantity), Decimal(str(grams))
        for selection in left.get(line_id, []):
            if pieces <= 0 and grams <= 0:
                break
            take_pieces, take_grams = min(pieces, selection[1]), min(grams, selection[2])
            if take_pieces == 0 and take_grams == 0:
                continue
            selection[1] -= take_pieces
            selection[2] -= take_grams
            pieces, grams = pieces - take_pieces, grams - take_grams
            weight = (take_grams / unit(selection[3]).grams).quantize(WEIGHT_QUANTUM)
            bind.execute(insert, {"shipment_id": shipment_id, "selection_id": selection[0], "line_id": line_id,
                                  "quantity": take_pieces, "weight": weight, "unit": selection[3],
                                  "grams": take_grams})


def downgrade() -> None:
    with op.batch_alter_table('order_selections', schema=None) as batch_op:
        batch_op.drop_constraint('fk_order_selections_short_movement_id', type_='foreignkey')
        batch_op.drop_column('short_movement_id')
        batch_op.drop_column('short_weight_g')
        batch_op.drop_column('short_weight')
        batch_op.drop_column('short_quantity')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint('fk_order_lines_closed_short_by_id', type_='foreignkey')
        batch_op.drop_column('close_reason')
        batch_op.drop_column('closed_short_by_id')
        batch_op.drop_column('closed_short_at')
    with op.batch_alter_table('order_returns', schema=None) as batch_op:
        batch_op.drop_index('ix_order_returns_selection')
        batch_op.drop_index('ix_order_returns_line')
    op.drop_table('order_returns')
    with op.batch_alter_table('shipment_items', schema=None) as batch_op:
        batch_op.drop_index('ix_shipment_items_line')
        batch_op.drop_index('ix_shipment_items_selection')
    op.drop_table('shipment_items')
