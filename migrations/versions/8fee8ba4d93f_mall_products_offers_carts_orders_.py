"""mall: products, offers, carts, orders, supplier API, acceptance, payment

Revision ID: 8fee8ba4d93f
Revises: b7e4d1c9a2f3
Create Date: 2026-12-02 02:09:48.082925

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8fee8ba4d93f'
down_revision = 'b7e4d1c9a2f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mall_order_sequence',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('mall_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('confirm_hours', sa.Integer(), nullable=False),
    sa.Column('acceptance_pay_days', sa.Integer(), nullable=False),
    sa.Column('sme_delivery_pay_days', sa.Integer(), nullable=False),
    sa.Column('remind_days_before', sa.Integer(), nullable=False),
    sa.Column('evaluation_days', sa.Integer(), nullable=False),
    sa.Column('median_margin_percent', sa.Integer(), nullable=False),
    sa.Column('median_action', sa.String(length=8), nullable=False),
    sa.Column('idle_delist_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('region_id')
    )
    op.create_table('mall_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('catalogue_item_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('brand', sa.String(length=100), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('unit_name', sa.String(length=16), nullable=False),
    sa.Column('configuration', sa.Text(), nullable=False),
    sa.Column('energy_saving', sa.Boolean(), nullable=False),
    sa.Column('environmental', sa.Boolean(), nullable=False),
    sa.Column('imported', sa.Boolean(), nullable=False),
    sa.Column('picture_path', sa.String(length=255), nullable=True),
    sa.Column('picture_name', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['catalogue_item_id'], ['catalogue_item.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('catalogue_item_id', 'brand', 'model', name='uq_mall_product_model')
    )
    with op.batch_alter_table('mall_product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_product_brand'), ['brand'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_product_catalogue_item_id'), ['catalogue_item_id'], unique=False)

    op.create_table('mall_checkout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('operator_id', 'key', name='uq_mall_checkout_key')
    )
    op.create_table('mall_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('supplier_sku', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('price', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('lead_days', sa.Integer(), nullable=False),
    sa.Column('market_price', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('market_url', sa.String(length=500), nullable=False),
    sa.Column('evidence_path', sa.String(length=255), nullable=True),
    sa.Column('evidence_name', sa.String(length=255), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_on', sa.DateTime(), nullable=True),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('updated_on', sa.DateTime(), nullable=False),
    sa.Column('last_sold_on', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['mall_product.id'], ),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('supplier_id', 'product_id', name='uq_mall_offer_product'),
    sa.UniqueConstraint('supplier_id', 'supplier_sku', name='uq_mall_offer_sku')
    )
    with op.batch_alter_table('mall_offer', schema=None) as batch_op:
        batch_op.create_index('ix_mall_offer_live', ['product_id', 'status', 'price'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_offer_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_offer_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('mall_supplier_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('last_used_on', sa.DateTime(), nullable=True),
    sa.Column('revoked_on', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('mall_supplier_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_supplier_token_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('mall_price_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.DateTime(), nullable=False),
    sa.Column('valid_to', sa.DateTime(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['offer_id'], ['mall_offer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mall_price_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_price_history_offer_id'), ['offer_id'], unique=False)

    op.create_table('mall_cart_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('plan_item_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('seen_price', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('added_on', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['mall_offer.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_item_id'], ['plan_item.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('operator_id', 'plan_item_id', 'offer_id', name='uq_mall_cart_line')
    )
    with op.batch_alter_table('mall_cart_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_cart_line_operator_id'), ['operator_id'], unique=False)

    op.create_table('mall_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_no', sa.String(length=32), nullable=False),
    sa.Column('checkout_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('delivery_address', sa.String(length=300), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('invoice_title', sa.String(length=200), nullable=False),
    sa.Column('remark', sa.Text(), nullable=False),
    sa.Column('supplier_sme', sa.Boolean(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('submitted_on', sa.DateTime(), nullable=True),
    sa.Column('confirm_by', sa.DateTime(), nullable=True),
    sa.Column('confirmed_on', sa.DateTime(), nullable=True),
    sa.Column('delivered_on', sa.DateTime(), nullable=True),
    sa.Column('accepted_on', sa.DateTime(), nullable=True),
    sa.Column('payment_due_on', sa.Date(), nullable=True),
    sa.Column('payment_reminded', sa.String(length=32), nullable=False),
    sa.Column('paid_on', sa.DateTime(), nullable=True),
    sa.Column('evaluation_due_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.DateTime(), nullable=True),
    sa.Column('close_reason', sa.Text(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['checkout_id'], ['mall_checkout.id'], ),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['procurement_plan.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contract_id'),
    sa.UniqueConstraint('order_no')
    )
    with op.batch_alter_table('mall_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_order_checkout_id'), ['checkout_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_confirm_by'), ['confirm_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_evaluation_due_on'), ['evaluation_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_payment_due_on'), ['payment_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_supplier_id'), ['supplier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_mall_order_unit_status', ['unit_id', 'status'], unique=False)

    op.create_table('mall_acceptance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('file_path', sa.String(length=255), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=False),
    sa.Column('accepted_on', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mall_acceptance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_acceptance_order_id'), ['order_id'], unique=False)

    op.create_table('mall_evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('quality', sa.Integer(), nullable=False),
    sa.Column('delivery', sa.Integer(), nullable=False),
    sa.Column('service', sa.Integer(), nullable=False),
    sa.Column('after_sale', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('by_default', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id')
    )
    with op.batch_alter_table('mall_evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_evaluation_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('mall_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('resolved_on', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], ),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mall_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_exception_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_exception_resolved_on'), ['resolved_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_exception_unit_id'), ['unit_id'], unique=False)

    op.create_table('mall_order_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=False),
    sa.Column('to_status', sa.String(length=24), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mall_order_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_order_event_order_id'), ['order_id'], unique=False)

    op.create_table('mall_order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('plan_item_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('product_name', sa.String(length=200), nullable=False),
    sa.Column('brand', sa.String(length=100), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('configuration', sa.Text(), nullable=False),
    sa.Column('unit_name', sa.String(length=16), nullable=False),
    sa.Column('supplier_sku', sa.String(length=64), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('lowest_price', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('median_price', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('market_price', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('live_offers', sa.Integer(), nullable=False),
    sa.Column('above_median', sa.Boolean(), nullable=False),
    sa.Column('non_lowest_code', sa.String(length=32), nullable=False),
    sa.Column('non_lowest_reason', sa.Text(), nullable=False),
    sa.Column('confirmed_qty', sa.Integer(), nullable=False),
    sa.Column('shipped_qty', sa.Integer(), nullable=False),
    sa.Column('delivered_qty', sa.Integer(), nullable=False),
    sa.Column('accepted_qty', sa.Integer(), nullable=False),
    sa.Column('rejected_qty', sa.Integer(), nullable=False),
    sa.Column('returned_qty', sa.Integer(), nullable=False),
    sa.Column('cancelled_qty', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['mall_offer.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_item_id'], ['plan_item.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mall_order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_order_line_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_line_plan_item_id'), ['plan_item_id'], unique=False)

    op.create_table('mall_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('voucher_path', sa.String(length=255), nullable=True),
    sa.Column('voucher_name', sa.String(length=255), nullable=True),
    sa.Column('payment_application_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_application_id'], ['payment_application.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('payment_application_id')
    )
    with op.batch_alter_table('mall_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_payment_order_id'), ['order_id'], unique=False)

    op.create_table('mall_shipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('waybill', sa.String(length=64), nullable=False),
    sa.Column('carrier', sa.String(length=100), nullable=False),
    sa.Column('shipped_on', sa.DateTime(), nullable=False),
    sa.Column('delivered_on', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mall_shipment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_shipment_order_id'), ['order_id'], unique=False)

    op.create_table('mall_supplier_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('received_on', sa.DateTime(), nullable=False),
    sa.Column('answer_status', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('supplier_id', 'event_id', name='uq_mall_supplier_event')
    )
    with op.batch_alter_table('mall_supplier_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_supplier_event_order_id'), ['order_id'], unique=False)

    op.create_table('mall_acceptance_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('acceptance_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('accepted_qty', sa.Integer(), nullable=False),
    sa.Column('rejected_qty', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['acceptance_id'], ['mall_acceptance.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['mall_order_line.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mall_acceptance_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_acceptance_line_acceptance_id'), ['acceptance_id'], unique=False)

    op.create_table('mall_after_sale',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('resolved_on', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['mall_order_line.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mall_after_sale', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_after_sale_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_after_sale_status'), ['status'], unique=False)

    op.create_table('mall_shipment_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_line_id'], ['mall_order_line.id'], ),
    sa.ForeignKeyConstraint(['shipment_id'], ['mall_shipment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mall_shipment_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_shipment_line_shipment_id'), ['shipment_id'], unique=False)

    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sme', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.drop_column('sme')

    with op.batch_alter_table('mall_shipment_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_shipment_line_shipment_id'))

    op.drop_table('mall_shipment_line')
    with op.batch_alter_table('mall_after_sale', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_after_sale_status'))
        batch_op.drop_index(batch_op.f('ix_mall_after_sale_order_id'))

    op.drop_table('mall_after_sale')
    with op.batch_alter_table('mall_acceptance_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_acceptance_line_acceptance_id'))

    op.drop_table('mall_acceptance_line')
    with op.batch_alter_table('mall_supplier_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_supplier_event_order_id'))

    op.drop_table('mall_supplier_event')
    with op.batch_alter_table('mall_shipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_shipment_order_id'))

    op.drop_table('mall_shipment')
    with op.batch_alter_table('mall_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_payment_order_id'))

    op.drop_table('mall_payment')
    with op.batch_alter_table('mall_order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_order_line_plan_item_id'))
        batch_op.drop_index(batch_op.f('ix_mall_order_line_order_id'))

    op.drop_table('mall_order_line')
    with op.batch_alter_table('mall_order_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_order_event_order_id'))

    op.drop_table('mall_order_event')
    with op.batch_alter_table('mall_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_exception_unit_id'))
        batch_op.drop_index(batch_op.f('ix_mall_exception_resolved_on'))
        batch_op.drop_index(batch_op.f('ix_mall_exception_order_id'))

    op.drop_table('mall_exception')
    with op.batch_alter_table('mall_evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_evaluation_supplier_id'))

    op.drop_table('mall_evaluation')
    with op.batch_alter_table('mall_acceptance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_acceptance_order_id'))

    op.drop_table('mall_acceptance')
    with op.batch_alter_table('mall_order', schema=None) as batch_op:
        batch_op.drop_index('ix_mall_order_unit_status')
        batch_op.drop_index(batch_op.f('ix_mall_order_unit_id'))
        batch_op.drop_index(batch_op.f('ix_mall_order_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_mall_order_status'))
        batch_op.drop_index(batch_op.f('ix_mall_order_plan_id'))
        batch_op.drop_index(batch_op.f('ix_mall_order_payment_due_on'))
        batch_op.drop_index(batch_op.f('ix_mall_order_evaluation_due_on'))
        batch_op.drop_index(batch_op.f('ix_mall_order_confirm_by'))
        batch_op.drop_index(batch_op.f('ix_mall_order_checkout_id'))

    op.drop_table('mall_order')
    with op.batch_alter_table('mall_cart_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_cart_line_operator_id'))

    op.drop_table('mall_cart_line')
    with op.batch_alter_table('mall_price_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_price_history_offer_id'))

    op.drop_table('mall_price_history')
    with op.batch_alter_table('mall_supplier_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_supplier_token_supplier_id'))

    op.drop_table('mall_supplier_token')
    with op.batch_alter_table('mall_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_offer_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_mall_offer_status'))
        batch_op.drop_index('ix_mall_offer_live')

    op.drop_table('mall_offer')
    op.drop_table('mall_checkout')
    with op.batch_alter_table('mall_product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_product_catalogue_item_id'))
        batch_op.drop_index(batch_op.f('ix_mall_product_brand'))

    op.drop_table('mall_product')
    op.drop_table('mall_policy')
    op.drop_table('mall_order_sequence')
