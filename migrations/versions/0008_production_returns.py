"""production returns and gains: bench returns from open jobs, metal recovered above issued

Revision ID: 0008
Revises: 0012 (migrations run in the order they were merged: 0007, 0014, 0009, 0012, 0008)

A new table `production_returns` records unused stock given back from an open
job (to its source item, or to a new -RET item; the PRODUCTION_RETURN movement
is named). `production_jobs.gain_g` records metal recovered above what was
issued, confirmed when the job was completed (existing jobs: 0). Movement kinds
are stored as strings, so the new kind needs no schema change.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0012'  # migrations run in the order they were merged: 0007, 0014, 0009, 0012, 0008
branch_labels = None
depends_on = None

MOVEMENT_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('production_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('movement_id', MOVEMENT_ID, nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('weight_unit', sa.String(length=8), nullable=False),
    sa.Column('weight_g', sa.Numeric(precision=28, scale=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['issue_id'], ['production_job_issues.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['inventory_items.id'], ),
    sa.ForeignKeyConstraint(['job_id'], ['production_jobs.id'], ),
    sa.ForeignKeyConstraint(['movement_id'], ['stock_movements.id'], ),
    sa.ForeignKeyConstraint(['returned_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('production_returns', schema=None) as batch_op:
        batch_op.create_index('ix_returns_job', ['job_id'], unique=False)
        batch_op.create_index('ix_returns_issue', ['issue_id'], unique=False)
    with op.batch_alter_table('production_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gain_g', sa.Numeric(precision=28, scale=10), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('production_jobs', schema=None) as batch_op:
        batch_op.drop_column('gain_g')
    with op.batch_alter_table('production_returns', schema=None) as batch_op:
        batch_op.drop_index('ix_returns_issue')
        batch_op.drop_index('ix_returns_job')
    op.drop_table('production_returns')
