"""valuation: an index to find each item's state at a past moment

Revision ID: 0016
Revises: 0015

ix_moves_item_time (item_id, moved_at, id) lets the valuation report (lib.reports.valuation) find, per item with
cost components, its last movement before the end of a past day in one index seek (its quantity_after /
weight_after and location are the item's state then), instead of summing every movement of the item.
"""
from alembic import op

revision = '0016'
down_revision = '0015'  # after costflow's 0015 (merged to main first)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_moves_item_time', 'stock_movements', ['item_id', 'moved_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_moves_item_time', table_name='stock_movements')
