"""Sessions that can be ended, passwords an administrator sets, and the sign-in back-off per address.

Reviewed: matches registry/models/base.py User and registry/accounts/sign_in.py SignInBackoff. users gains
session_version (raised to end every session and access token of the account) and
must_change_password; the per-account lockout columns (failed_logins, locked_until) give way to
sign_in_backoffs, keyed by account name and client address, so that nobody can lock an account
from elsewhere. A lockout in force at upgrade is dropped (at most 15 minutes of it). Downgrade puts
the old columns back, empty.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sign_in_backoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('blocked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account', 'address', name='uq_sign_in_backoff_account_address')
    )
    with op.batch_alter_table('sign_in_backoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_backoffs_account'), ['account'], unique=False)

    # Plain ALTER TABLE, not batch mode: on SQLite a batch copy would drop and re-create users, which the
    # rows of other tables refer to (foreign keys are enforced). SQLite drops columns itself since 3.35.
    op.add_column('users', sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.drop_column('users', 'failed_logins')
    op.drop_column('users', 'locked_until')


def downgrade() -> None:
    op.add_column('users', sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('users', sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
    op.drop_column('users', 'must_change_password')
    op.drop_column('users', 'session_version')

    with op.batch_alter_table('sign_in_backoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_backoffs_account'))

    op.drop_table('sign_in_backoffs')
