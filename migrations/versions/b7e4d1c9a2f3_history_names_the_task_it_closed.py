"""A history line names the review task it closed (已办任务 shows its result and opinion)

Revision ID: b7e4d1c9a2f3
Revises: c4d8e2a1f7b3
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e4d1c9a2f3'
down_revision = 'c4d8e2a1f7b3'
branch_labels = None
depends_on = None


def upgrade():
    # Lines written before this revision (and submissions, withdrawals) name no task.
    with op.batch_alter_table('workflow_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_workflow_history_task_id'), ['task_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_workflow_history_task_id', 'workflow_task',
                                    ['task_id'], ['id'])


def downgrade():
    with op.batch_alter_table('workflow_history', schema=None) as batch_op:
        batch_op.drop_constraint('fk_workflow_history_task_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_workflow_history_task_id'))
        batch_op.drop_column('task_id')
