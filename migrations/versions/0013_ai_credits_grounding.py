"""AI credits, the AI import switch and claim-level grounding

Revision ID: 0013
Revises: 0008

- workspace.ai_monthly_credits: credits included each calendar month (0 = unlimited);
- workspace.ai_import_enabled: the "Import using AI" switch (off);
- ai_credit_topups: credits an admin added, with a note (they persist until used);
- ai_usage.pending: a request in flight holds a credit until it is settled or released;
- ai_summaries.misattributed_figures / grounding_json: the claim-level check stored with each summary.
The balance itself is never stored: lib.llm.metering derives it from ai_usage and ai_credit_topups.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0008'  # merged after 0007, 0014, 0009, 0012, 0008 (the brief's id 0013 kept)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ai_credit_topups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('credits', sa.Integer(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ai_monthly_credits', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('ai_import_enabled', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('ai_usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('ai_summaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('misattributed_figures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('grounding_json', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ai_summaries', schema=None) as batch_op:
        batch_op.drop_column('grounding_json')
        batch_op.drop_column('misattributed_figures')
    with op.batch_alter_table('ai_usage', schema=None) as batch_op:
        batch_op.drop_column('pending')
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('ai_import_enabled')
        batch_op.drop_column('ai_monthly_credits')
    op.drop_table('ai_credit_topups')
