"""cost components: the price at the item's creation, stored

Revision ID: 0019
Revises: 0018

cost_components.cost_price holds each component's profile price in force when its item was created (its first
price for an item older than that; NULL for a manual amount, a job's component or a profile without a price),
kept by lib.costing.cost_prices with every component and price written. Value at cost is then Σ quantity ×
cost_price: the value cards no longer look each component's price up in the rate history (at the large demo
that lookup was a fifth of the Product Details value card on PostgreSQL). Existing components are filled here
with the same rule; the covering value indexes gain the column.
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

GROUPS = ['profile_id', 'component_type', 'unit', 'manual_currency', 'item_id', 'quantity', 'manual_amount']
ITEMS = ['item_id', 'profile_id', 'component_type', 'unit', 'manual_currency', 'quantity', 'manual_amount']

FILL = """
UPDATE cost_components SET cost_price = COALESCE(
    (SELECT v.price FROM rate_versions v WHERE v.profile_id = cost_components.profile_id
        AND v.effective_at <= (SELECT i.created_at FROM inventory_items i WHERE i.id = cost_components.item_id)
        ORDER BY v.effective_at DESC LIMIT 1),
    (SELECT v.price FROM rate_versions v WHERE v.profile_id = cost_components.profile_id
        ORDER BY v.effective_at LIMIT 1))
WHERE profile_id IS NOT NULL AND item_id IS NOT NULL
"""


def _value_indexes(columns_tail: list[str]) -> None:
    op.drop_index('ix_cost_components_value_groups', table_name='cost_components')
    op.drop_index('ix_cost_components_value_items', table_name='cost_components')
    op.create_index('ix_cost_components_value_groups', 'cost_components', GROUPS + columns_tail, unique=False)
    op.create_index('ix_cost_components_value_items', 'cost_components', ITEMS + columns_tail, unique=False)


def upgrade() -> None:
    op.add_column('cost_components', sa.Column('cost_price', sa.Numeric(18, 4), nullable=True))
    op.execute(FILL)
    _value_indexes(['cost_price'])


def downgrade() -> None:
    _value_indexes([])
    with op.batch_alter_table('cost_components') as batch_op:
        batch_op.drop_column('cost_price')
