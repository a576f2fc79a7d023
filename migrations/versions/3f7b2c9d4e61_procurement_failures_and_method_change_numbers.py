"""采购失败登记 (procurement_failure); a method change names its failure and keeps both plan numbers

Revision ID: 3f7b2c9d4e61
Revises: 5a1c0e7d2b94
Create Date: 2026-12-01 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f7b2c9d4e61'
down_revision = '5a1c0e7d2b94'
branch_labels = None
depends_on = None

METHODS = ('open_tender', 'invited_tender', 'negotiation', 'consultation', 'inquiry',
           'single_source', 'online_mall', 'agreement', 'framework')


def upgrade():
    op.create_table('procurement_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum(*METHODS, name='method', native_enum=False, length=24),
              nullable=False),
    sa.Column('failed_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['procurement_plan.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('procurement_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procurement_failure_plan_id'), ['plan_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_procurement_failure_unit_id'), ['unit_id'],
                              unique=False)

    # Changes filed before failures were recorded keep no failure (nullable).
    with op.batch_alter_table('method_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('old_plan_number', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('new_plan_number', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_method_change_failure_id'), ['failure_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_method_change_failure_id', 'procurement_failure',
                                    ['failure_id'], ['id'])


def downgrade():
    with op.batch_alter_table('method_change', schema=None) as batch_op:
        batch_op.drop_constraint('fk_method_change_failure_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_method_change_failure_id'))
        batch_op.drop_column('new_plan_number')
        batch_op.drop_column('old_plan_number')
        batch_op.drop_column('failure_id')

    with op.batch_alter_table('procurement_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procurement_failure_unit_id'))
        batch_op.drop_index(batch_op.f('ix_procurement_failure_plan_id'))

    op.drop_table('procurement_failure')
