"""AI summaries: the value part for admins and managers, kept apart from what members read (issue 19)

Revision ID: 0017
Revises: 0016

One request writes one ai_summaries row with two audiences:
- text / facts_json / grounding_json: the main summary, written without money, and its value-free facts
  (what members of the same scope read, as before);
- value_text: the reply's separately marked "Value:" part (admins and managers only; NULL when none);
- value_json: the `value` section of the facts (value held at cost and at current rates, per currency);
- value_grounding_json: the claim check of the value part;
- shared_with_members: false when the main part named an amount of money (a leak): members are then shown no
  summary for that view. Rows written before this revision had no value and stay shared.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ai_summaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('value_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('value_grounding_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('shared_with_members', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('ai_summaries', schema=None) as batch_op:
        batch_op.drop_column('shared_with_members')
        batch_op.drop_column('value_grounding_json')
        batch_op.drop_column('value_json')
        batch_op.drop_column('value_text')
