"""合同公告 as published (contract_notice): the first 公告 and each 更正公告 keep their own time

Revision ID: c4d8e2a1f7b3
Revises: 3f7b2c9d4e61
Create Date: 2026-12-01 23:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d8e2a1f7b3'
down_revision = '3f7b2c9d4e61'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('published_on', sa.DateTime(), nullable=False),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.Column('plan_number', sa.String(length=64), nullable=False),
    sa.Column('project_name', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('supplier_name', sa.String(length=200), nullable=False),
    sa.Column('supplier_credit_code', sa.String(length=18), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('total_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('total_contracts', sa.Integer(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('corrections', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contract_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_notice_contract_id'), ['contract_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_contract_notice_published_on'), ['published_on'],
                              unique=False)
    # Every contract announced so far gets its 公告 as it reads now, at its 公告时间.
    op.execute(
        "INSERT INTO contract_notice (contract_id, kind, published_on, unit_name, plan_number,"
        " project_name, code, name, supplier_name, supplier_credit_code, amount, total_amount,"
        " total_contracts, signed_on, corrections)"
        " SELECT c.id, 'announcement', c.announced_on, u.name, COALESCE(p.plan_number, ''),"
        " p.project_name, c.code, c.name, s.name, s.credit_code, c.amount, c.total_amount,"
        " c.total_contracts, c.signed_on, ''"
        " FROM contract c JOIN unit u ON u.id = c.unit_id"
        " JOIN procurement_plan p ON p.id = c.plan_id JOIN supplier s ON s.id = c.supplier_id"
        " WHERE c.announced_on IS NOT NULL")


def downgrade():
    with op.batch_alter_table('contract_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_notice_published_on'))
        batch_op.drop_index(batch_op.f('ix_contract_notice_contract_id'))
    op.drop_table('contract_notice')
