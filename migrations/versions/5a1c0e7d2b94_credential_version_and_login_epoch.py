"""Credential version and login epoch of an account; the last failed login replaces the lock

Revision ID: 5a1c0e7d2b94
Revises: dda9fb3634e5
Create Date: 2026-12-01 20:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1c0e7d2b94'
down_revision = 'dda9fb3634e5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credential_version', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('login_epoch', sa.Integer(), server_default='0',
                                      nullable=False))
        # Failures are counted per account and client in the limiter's storage now: the
        # account-wide lock goes, the time of the last failure is kept for its owner.
        batch_op.add_column(sa.Column('last_failed_login', sa.DateTime(), nullable=True))
        batch_op.drop_column('locked_until')


def downgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.drop_column('last_failed_login')
        batch_op.drop_column('login_epoch')
        batch_op.drop_column('credential_version')
