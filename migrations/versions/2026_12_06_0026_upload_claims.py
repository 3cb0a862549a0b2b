"""Uploads being checked now, claimed in the database so that the same upload sent to another process waits for it.

Reviewed: matches registry/models/state.py UploadClaim. One new table, nothing existing changes; its rows are
bookkeeping (not audited) and live minutes. Downgrade drops it: a repeat then is caught only once the first
upload's clearance is recorded.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 23:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('upload_claims',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('upload_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_claims_claimed_at'), ['claimed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('upload_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_claims_claimed_at'))

    op.drop_table('upload_claims')
