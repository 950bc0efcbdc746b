"""costing: rate profiles, effective-dated rate versions, cost components on items

Revision ID: 0014
Revises: 0007

New tables for lib.costing (see lib/models/costing.py and docs/costing.md).
Nothing existing changes: items without components simply have no cost.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0007'
branch_labels = None
depends_on = None

COMPONENT_TYPES = ('metal', 'gemstone', 'labor', 'packaging', 'freight', 'duties', 'service_charge', 'overhead')


def upgrade() -> None:
    op.create_table('rate_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_key', sa.String(length=120), nullable=False),
    sa.Column('component_type', sa.Enum(*COMPONENT_TYPES, name='componenttype', native_enum=False, length=32),
              nullable=False),
    sa.Column('source', sa.Enum('manual', 'supplier_price_list', 'internal_price_sheet', 'market_feed_file',
                                name='ratesource', native_enum=False, length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('basis', sa.Enum('g', 'ct', 'piece', 'hour', 'percent', name='ratebasis', native_enum=False,
                               length=32), nullable=False),
    sa.Column('purity', sa.Numeric(precision=6, scale=4), nullable=True),
    sa.Column('source_details', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name_key')
    )
    op.create_table('rate_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['rate_profiles.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('profile_id', 'effective_at', name='uq_rate_versions_profile_moment')
    )
    op.create_table('cost_components',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('component_type', sa.Enum(*COMPONENT_TYPES, name='componenttype', native_enum=False, length=32),
              nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=120), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('manual_amount', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('manual_currency', sa.String(length=3), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['inventory_items.id'], ),
    sa.ForeignKeyConstraint(['profile_id'], ['rate_profiles.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cost_components', schema=None) as batch_op:
        batch_op.create_index('ix_cost_components_item', ['item_id'], unique=False)
        batch_op.create_index('ix_cost_components_profile', ['profile_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cost_components', schema=None) as batch_op:
        batch_op.drop_index('ix_cost_components_profile')
        batch_op.drop_index('ix_cost_components_item')
    op.drop_table('cost_components')
    op.drop_table('rate_versions')
    op.drop_table('rate_profiles')
