"""orders: customers and suppliers, sales and purchase orders, selections, receipts, shipments

Revision ID: 0006
Revises: 0005

New tables for lib.orders (see lib/models/orders.py and docs/orders.md) and the
orders settings of the workspace (order number prefixes, default payment terms
and currency, enabled carriers, the AI line preparation switch). Existing
workspaces get the defaults of reference 3.5.5 and 3.11: SO- and PO-, Net 30,
USD, every default carrier enabled, AI line preparation off.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CARRIERS = "\n".join(("Canada Post", "DHL eCommerce", "DHL Express", "FedEx", "UPS", "USA Export", "USPS"))


def upgrade() -> None:
    op.create_table('order_sequences',
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix')
    )
    op.create_table('parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('customer', 'supplier', name='partykind', native_enum=False, length=32), nullable=False),
    sa.Column('company', sa.String(length=120), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('country', sa.String(length=80), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.create_index('ix_parties_kind_company', ['kind', 'company'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('sales', 'purchase', name='orderkind', native_enum=False, length=32), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('ordered_on', sa.Date(), nullable=False),
    sa.Column('date_required', sa.Date(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payment_terms', sa.Enum('due_on_receipt', 'prepaid', 'net_15', 'net_30', 'net_45', 'net_60', name='paymentterms', native_enum=False, length=32), nullable=False),
    sa.Column('budget', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('on_hold', sa.Boolean(), nullable=False),
    sa.Column('fulfilment', sa.Enum('not_started', 'in_production', 'ready_to_ship', 'partially_shipped', 'partially_received', 'completed', 'on_hold', 'cancelled', name='fulfilment', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['lead_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_kind_ordered', ['kind', 'ordered_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_party_id'), ['party_id'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('weight_unit', sa.String(length=8), nullable=False),
    sa.Column('weight_g', sa.Numeric(precision=28, scale=10), nullable=False),
    sa.Column('ready', sa.Boolean(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Enum('not_started', 'in_progress', 'ready', 'production_completed', 'partially_shipped', 'shipped', 'partially_received', 'received', 'cancelled', name='linestatus', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shape_id', sa.Integer(), nullable=True),
    sa.Column('size_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.ForeignKeyConstraint(['shape_id'], ['catalog_entries.id'], ),
    sa.ForeignKeyConstraint(['size_id'], ['catalog_entries.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'position')
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index('ix_order_lines_product', ['product_id'], unique=False)

    op.create_table('shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('carrier', sa.String(length=60), nullable=False),
    sa.Column('tracking_number', sa.String(length=80), nullable=False),
    sa.Column('shipped_on', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index('ix_shipments_order', ['order_id'], unique=False)

    op.create_table('order_selections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('weight_unit', sa.String(length=8), nullable=False),
    sa.Column('weight_g', sa.Numeric(precision=28, scale=10), nullable=False),
    sa.Column('issue_movement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('selected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('selected_by_id', sa.Integer(), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('release_movement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('release_reason', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['issue_movement_id'], ['stock_movements.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['inventory_items.id'], ),
    sa.ForeignKeyConstraint(['line_id'], ['order_lines.id'], ),
    sa.ForeignKeyConstraint(['release_movement_id'], ['stock_movements.id'], ),
    sa.ForeignKeyConstraint(['released_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['selected_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_selections', schema=None) as batch_op:
        batch_op.create_index('ix_order_selections_item', ['item_id'], unique=False)
        batch_op.create_index('ix_order_selections_line', ['line_id'], unique=False)

    op.create_table('purchase_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('movement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('weight_unit', sa.String(length=8), nullable=False),
    sa.Column('weight_g', sa.Numeric(precision=28, scale=10), nullable=False),
    sa.Column('over_receipt', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['inventory_items.id'], ),
    sa.ForeignKeyConstraint(['line_id'], ['order_lines.id'], ),
    sa.ForeignKeyConstraint(['movement_id'], ['stock_movements.id'], ),
    sa.ForeignKeyConstraint(['received_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('purchase_receipts', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_receipts_line', ['line_id'], unique=False)

    op.create_table('shipment_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('weight_unit', sa.String(length=8), nullable=False),
    sa.Column('weight_g', sa.Numeric(precision=28, scale=10), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['order_lines.id'], ),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shipment_id', 'line_id')
    )
    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.create_index('ix_shipment_lines_line', ['line_id'], unique=False)

    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sales_order_prefix', sa.String(length=20), nullable=False, server_default='SO-'))
        batch_op.add_column(sa.Column('purchase_order_prefix', sa.String(length=20), nullable=False, server_default='PO-'))
        batch_op.add_column(sa.Column('default_payment_terms', sa.Enum('due_on_receipt', 'prepaid', 'net_15', 'net_30', 'net_45', 'net_60', name='paymentterms', native_enum=False, length=32), nullable=False, server_default='net_30'))
        batch_op.add_column(sa.Column('default_currency', sa.String(length=3), nullable=False, server_default='USD'))
        batch_op.add_column(sa.Column('carriers', sa.Text(), nullable=False, server_default=CARRIERS))
        batch_op.add_column(sa.Column('ai_order_lines_enabled', sa.Boolean(), nullable=False, server_default=sa.false()))

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('ai_order_lines_enabled')
        batch_op.drop_column('carriers')
        batch_op.drop_column('default_currency')
        batch_op.drop_column('default_payment_terms')
        batch_op.drop_column('purchase_order_prefix')
        batch_op.drop_column('sales_order_prefix')

    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_shipment_lines_line')

    op.drop_table('shipment_lines')
    with op.batch_alter_table('purchase_receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_receipts_line')

    op.drop_table('purchase_receipts')
    with op.batch_alter_table('order_selections', schema=None) as batch_op:
        batch_op.drop_index('ix_order_selections_line')
        batch_op.drop_index('ix_order_selections_item')

    op.drop_table('order_selections')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_shipments_order')

    op.drop_table('shipments')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_order_lines_product')

    op.drop_table('order_lines')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_party_id'))
        batch_op.drop_index('ix_orders_kind_ordered')

    op.drop_table('orders')
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.drop_index('ix_parties_kind_company')

    op.drop_table('parties')
    op.drop_table('order_sequences')
    # ### end Alembic commands ###
