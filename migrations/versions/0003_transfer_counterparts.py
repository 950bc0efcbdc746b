"""transfer movements name their counterpart (the other location and the other item's tag)

Revision ID: 0003
Revises: 0002

Each side of a transfer records where the stock went or came from, so an
item's history can say "from another location" to a viewer who does not see
that location, and a partial transfer keeps both the counterpart tag and the
user's own reference. Existing whole-item transfers (a transfer-out followed
by a transfer-in of the same item) are backfilled; older partial transfers
keep an empty counterpart (shown as "another location" to viewers without
access to every location).
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stock_movements') as batch_op:
        batch_op.add_column(sa.Column('counterpart_location_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('counterpart_tag', sa.String(length=50), nullable=True))
    op.execute("""
        UPDATE stock_movements SET
            counterpart_location_id = (
                SELECT other.location_id FROM stock_movements other
                WHERE other.item_id = stock_movements.item_id AND other.id < stock_movements.id
                  AND other.movement_kind = 'transfer_out'
                  AND NOT EXISTS (SELECT 1 FROM stock_movements between_ WHERE between_.item_id = other.item_id
                                  AND between_.id > other.id AND between_.id < stock_movements.id)),
            counterpart_tag = (SELECT tag_id FROM inventory_items WHERE inventory_items.id = stock_movements.item_id)
        WHERE movement_kind = 'transfer_in' AND EXISTS (
            SELECT 1 FROM stock_movements other
            WHERE other.item_id = stock_movements.item_id AND other.id < stock_movements.id
              AND other.movement_kind = 'transfer_out'
              AND NOT EXISTS (SELECT 1 FROM stock_movements between_ WHERE between_.item_id = other.item_id
                              AND between_.id > other.id AND between_.id < stock_movements.id))
    """)
    op.execute("""
        UPDATE stock_movements SET
            counterpart_location_id = (
                SELECT other.location_id FROM stock_movements other
                WHERE other.item_id = stock_movements.item_id AND other.id > stock_movements.id
                  AND other.movement_kind = 'transfer_in' AND other.counterpart_location_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM stock_movements between_ WHERE between_.item_id = other.item_id
                                  AND between_.id < other.id AND between_.id > stock_movements.id)),
            counterpart_tag = (SELECT tag_id FROM inventory_items WHERE inventory_items.id = stock_movements.item_id)
        WHERE movement_kind = 'transfer_out' AND EXISTS (
            SELECT 1 FROM stock_movements other
            WHERE other.item_id = stock_movements.item_id AND other.id > stock_movements.id
              AND other.movement_kind = 'transfer_in' AND other.counterpart_location_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM stock_movements between_ WHERE between_.item_id = other.item_id
                              AND between_.id < other.id AND between_.id > stock_movements.id))
    """)


def downgrade() -> None:
    with op.batch_alter_table('stock_movements') as batch_op:
        batch_op.drop_column('counterpart_tag')
        batch_op.drop_column('counterpart_location_id')
