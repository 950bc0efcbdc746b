"""documents settings: the workspace's public base URL (QR labels), letterhead address, footer note, logo

Revision ID: 0012
Revises: 0009

Four new workspace columns for lib.documents; existing workspaces get empty
values (no URL: labels' QR codes carry the tag alone until an admin sets it).
On SQLite the table is rebuilt for the logo's foreign key (batch mode).
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0009'  # merged after 0007, 0014, 0009 (the brief's id 0012 kept)
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_base_url', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('org_address', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('document_footer', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('logo_image_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_workspace_logo_image', 'images', ['logo_image_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_constraint('fk_workspace_logo_image', type_='foreignkey')
        batch_op.drop_column('logo_image_id')
        batch_op.drop_column('document_footer')
        batch_op.drop_column('org_address')
        batch_op.drop_column('public_base_url')
