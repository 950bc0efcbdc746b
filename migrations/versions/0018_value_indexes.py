"""value held: covering indexes on cost_components for the value cards

Revision ID: 0018
Revises: 0017

ix_cost_components_value_groups (profile_id, component_type, unit, manual_currency, item_id, quantity,
manual_amount) lets SQLite read the components in the order the value cards group them (lib.costing.valuation,
`_sqlite_statement`), so the Home card's grouping needs no sort of every component (SQLite has no hash
aggregate). ix_cost_components_value_items (item_id first, the same columns) serves a product's or an item's
components from the index alone (the Product Details card, the percent pairs). PostgreSQL gets them too (the
models are one schema); its plans at the large demo were unchanged by them. ix_rate_versions_price (profile_id,
effective_at, price) makes SQLite's seek for the price at an item's creation read the index alone (one seek per
component: about 7 % of the Home card).
"""
from alembic import op

revision = '0018'
down_revision = '0017'  # after main's 0017 (ai summary value part)
branch_labels = None
depends_on = None

GROUPS = ['profile_id', 'component_type', 'unit', 'manual_currency', 'item_id', 'quantity', 'manual_amount']
ITEMS = ['item_id', 'profile_id', 'component_type', 'unit', 'manual_currency', 'quantity', 'manual_amount']


def upgrade() -> None:
    op.create_index('ix_cost_components_value_groups', 'cost_components', GROUPS, unique=False)
    op.create_index('ix_cost_components_value_items', 'cost_components', ITEMS, unique=False)
    op.create_index('ix_rate_versions_price', 'rate_versions', ['profile_id', 'effective_at', 'price'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_rate_versions_price', table_name='rate_versions')
    op.drop_index('ix_cost_components_value_items', table_name='cost_components')
    op.drop_index('ix_cost_components_value_groups', table_name='cost_components')
