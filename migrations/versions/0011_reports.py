"""reports: reorder levels (low stock) and an allowed loss % per production stage (loss norms)

Revision ID: 0011
Revises: 0010

New table reorder_levels (lib/models/reports.py, lib.reports.levels) and the
nullable column production_stages.loss_norm_pct (lib.reports.norms). Existing
stages whose code matches a stage of the workspace industry's preset that has
a `loss_norm_pct` get that default; every other stage starts without a norm
(an admin sets it on /settings > Production). The index ix_stock_daily_kinds lets the stock movement
report sum a range of days of the roll-up by movement kind and kind without sorting it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'  # rollup's 0010 (after main's 0013); the lead re-chains
branch_labels = None
depends_on = None

STOCK_DAILY_KINDS = ['movement_kind', 'kind', 'day', 'location_id', 'product_id', 'added_g', 'deducted_g',
                     'added_pieces', 'deducted_pieces', 'movements']


def upgrade() -> None:
    op.create_table('reorder_levels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('rough', 'finished', 'materials', name='inventorykind', native_enum=False, length=32),
              nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('min_weight_g', sa.Numeric(precision=28, scale=10), nullable=True),
    sa.Column('min_pieces', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reorder_levels', schema=None) as batch_op:
        batch_op.create_index('ix_reorder_levels_product', ['product_id', 'kind', 'location_id'], unique=False)
    with op.batch_alter_table('production_stages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('loss_norm_pct', sa.Numeric(precision=5, scale=2), nullable=True))
    op.create_index('ix_stock_daily_kinds', 'stock_daily', STOCK_DAILY_KINDS, unique=False)
    _seed_norms()


def _seed_norms() -> None:
    """Preset loss norms for existing stages of the workspace's industry, matched by stage code."""
    bind = op.get_bind()
    industry = bind.execute(sa.text("SELECT industry FROM workspace")).scalar()
    if not industry:
        return
    from lib.presets import stage_loss_norms

    for code, pct in stage_loss_norms(industry).items():
        bind.execute(sa.text("UPDATE production_stages SET loss_norm_pct = :pct WHERE code = :code "
                             "AND loss_norm_pct IS NULL").bindparams(sa.bindparam("pct", type_=sa.Numeric(5, 2))),
                     {"pct": pct, "code": code})


def downgrade() -> None:
    op.drop_index('ix_stock_daily_kinds', table_name='stock_daily')
    with op.batch_alter_table('production_stages', schema=None) as batch_op:
        batch_op.drop_column('loss_norm_pct')
    with op.batch_alter_table('reorder_levels', schema=None) as batch_op:
        batch_op.drop_index('ix_reorder_levels_product')
    op.drop_table('reorder_levels')
