"""cost flow: prices on order lines, costs carried through production (issue 19 item 3)

Revision ID: 0015
Revises: 0011

order_lines gain an optional unit price, its basis and currency and (purchase lines) the component type
their receipts' items get; cost_components may belong to a production job (its labour) instead of an item;
job issues, bench returns and outputs record the cost they moved, and a job what it wrote off
(lib.costing.flow, docs/costing.md). Existing rows stay uncosted (NULL / 0).
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0011'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=4)


def upgrade() -> None:
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_price', MONEY, nullable=True))
        batch_op.add_column(sa.Column('price_basis', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('price_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('cost_type', sa.String(length=32), nullable=True))
    with op.batch_alter_table('cost_components', schema=None) as batch_op:
        batch_op.alter_column('item_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_cost_components_job', 'production_jobs', ['job_id'], ['id'])
        batch_op.create_index('ix_cost_components_job', ['job_id'], unique=False)
    with op.batch_alter_table('production_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_written_off', MONEY, nullable=False, server_default='0'))
    with op.batch_alter_table('production_job_issues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost', MONEY, nullable=True))
        batch_op.add_column(sa.Column('cancel_cost', MONEY, nullable=True))
        batch_op.add_column(sa.Column('metal_profile_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_job_issues_metal_profile', 'rate_profiles', ['metal_profile_id'], ['id'])
    with op.batch_alter_table('production_returns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost', MONEY, nullable=True))
    with op.batch_alter_table('production_outputs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost', MONEY, nullable=True))
    with op.batch_alter_table('production_jobs', schema=None) as batch_op:
        batch_op.alter_column('cost_written_off', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('production_outputs', schema=None) as batch_op:
        batch_op.drop_column('cost')
    with op.batch_alter_table('production_returns', schema=None) as batch_op:
        batch_op.drop_column('cost')
    with op.batch_alter_table('production_job_issues', schema=None) as batch_op:
        batch_op.drop_constraint('fk_job_issues_metal_profile', type_='foreignkey')
        batch_op.drop_column('metal_profile_id')
        batch_op.drop_column('cancel_cost')
        batch_op.drop_column('cost')
    with op.batch_alter_table('production_jobs', schema=None) as batch_op:
        batch_op.drop_column('cost_written_off')
    op.execute("DELETE FROM cost_components WHERE item_id IS NULL")
    with op.batch_alter_table('cost_components', schema=None) as batch_op:
        batch_op.drop_index('ix_cost_components_job')
        batch_op.drop_constraint('fk_cost_components_job', type_='foreignkey')
        batch_op.drop_column('job_id')
        batch_op.alter_column('item_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('cost_type')
        batch_op.drop_column('price_currency')
        batch_op.drop_column('price_basis')
        batch_op.drop_column('unit_price')
