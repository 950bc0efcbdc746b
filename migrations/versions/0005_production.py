"""production: stages, jobs, what they issued and received; production defaults on the workspace

Revision ID: 0005
Revises: 0003

New tables for lib.production (stages, jobs, job products, issues, receipts,
outputs and the job number sequences) and three workspace settings: the job
ID prefix, the default start stage and the due-date offset in days. Stages are
seeded by lib.production.stages.seed_stages when a workspace is created (the
demo; empty starts), not here: a migration never needs the presets file.
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('production_job_sequences',
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix')
    )
    op.create_table('production_stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_key', sa.String(length=120), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('applicable_kinds', sa.String(length=60), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('name_key')
    )
    op.create_table('production_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('requested_shape_id', sa.Integer(), nullable=True),
    sa.Column('requested_size_id', sa.Integer(), nullable=True),
    sa.Column('requested_pieces', sa.Integer(), nullable=True),
    sa.Column('requested_weight', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('requested_weight_unit', sa.String(length=8), nullable=True),
    sa.Column('requested_weight_g', sa.Numeric(precision=28, scale=10), nullable=True),
    sa.Column('split_mode', sa.String(length=12), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('order_line_id', sa.Integer(), nullable=True),
    sa.Column('closed_as', sa.Enum('unscheduled', 'scheduled', 'ongoing', 'completed', 'cancelled', name='jobstatus', native_enum=False, length=32), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=False),
    sa.Column('written_off_g', sa.Numeric(precision=28, scale=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], ),
    sa.ForeignKeyConstraint(['requested_shape_id'], ['catalog_entries.id'], ),
    sa.ForeignKeyConstraint(['requested_size_id'], ['catalog_entries.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['stage_id'], ['production_stages.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('production_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_location_closed', ['location_id', 'closed_as'], unique=False)
        batch_op.create_index('ix_jobs_stage', ['stage_id'], unique=False)

    op.create_table('production_job_products',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['production_jobs.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.PrimaryKeyConstraint('job_id', 'product_id')
    )
    op.create_table('production_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('quality_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['production_jobs.id'], ),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], ),
    sa.ForeignKeyConstraint(['quality_id'], ['catalog_entries.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job_id', 'number')
    )
    op.create_table('production_job_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('rough', 'finished', 'materials', name='inventorykind', native_enum=False, length=32), nullable=False),
    sa.Column('movement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('weight_unit', sa.String(length=8), nullable=False),
    sa.Column('weight_g', sa.Numeric(precision=28, scale=10), nullable=False),
    sa.Column('requested_quantity', sa.Integer(), nullable=True),
    sa.Column('requested_weight', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('returned_movement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['inventory_items.id'], ),
    sa.ForeignKeyConstraint(['job_id'], ['production_jobs.id'], ),
    sa.ForeignKeyConstraint(['movement_id'], ['stock_movements.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.ForeignKeyConstraint(['returned_movement_id'], ['stock_movements.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('production_job_issues', schema=None) as batch_op:
        batch_op.create_index('ix_job_issues_item', ['item_id'], unique=False)
        batch_op.create_index('ix_job_issues_job', ['job_id'], unique=False)

    op.create_table('production_outputs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.Enum('received', 'rejected', 'scrapped', 'waste', name='outputbucket', native_enum=False, length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('movement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source_item_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('weight_unit', sa.String(length=8), nullable=False),
    sa.Column('weight_g', sa.Numeric(precision=28, scale=10), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['inventory_items.id'], ),
    sa.ForeignKeyConstraint(['job_id'], ['production_jobs.id'], ),
    sa.ForeignKeyConstraint(['movement_id'], ['stock_movements.id'], ),
    sa.ForeignKeyConstraint(['receipt_id'], ['production_receipts.id'], ),
    sa.ForeignKeyConstraint(['source_item_id'], ['inventory_items.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('production_outputs', schema=None) as batch_op:
        batch_op.create_index('ix_outputs_job', ['job_id', 'bucket'], unique=False)
        batch_op.create_index('ix_outputs_receipt', ['receipt_id'], unique=False)

    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id_prefix', sa.String(length=12), nullable=False, server_default='JOB-'))
        batch_op.add_column(sa.Column('default_start_stage_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('due_date_offset_days', sa.Integer(), nullable=False, server_default='7'))
        batch_op.create_foreign_key('fk_workspace_default_start_stage', 'production_stages', ['default_start_stage_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_constraint('fk_workspace_default_start_stage', type_='foreignkey')
        batch_op.drop_column('due_date_offset_days')
        batch_op.drop_column('default_start_stage_id')
        batch_op.drop_column('job_id_prefix')

    with op.batch_alter_table('production_outputs', schema=None) as batch_op:
        batch_op.drop_index('ix_outputs_receipt')
        batch_op.drop_index('ix_outputs_job')

    op.drop_table('production_outputs')
    with op.batch_alter_table('production_job_issues', schema=None) as batch_op:
        batch_op.drop_index('ix_job_issues_job')
        batch_op.drop_index('ix_job_issues_item')

    op.drop_table('production_job_issues')
    op.drop_table('production_receipts')
    op.drop_table('production_job_products')
    with op.batch_alter_table('production_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_stage')
        batch_op.drop_index('ix_jobs_location_closed')

    op.drop_table('production_jobs')
    op.drop_table('production_stages')
    op.drop_table('production_job_sequences')
