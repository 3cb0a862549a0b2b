"""A biometric consent records what the family was told: the notice's version, the purpose, the retention period.

Reviewed: matches registry/models/consents.py Consent.notice_version, purpose and retention_years. All three
are nullable: image releases and logo permissions have none, and biometric forms recorded before this read
"not stated" (their templates are kept no longer than the district's REGISTRY_BIOMETRIC_RETENTION_YEARS).
Dropped on downgrade.

Revision ID: 0024
Revises: 0021
Create Date: 2026-12-06 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0024'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column('retention_years', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_column('retention_years')
        batch_op.drop_column('purpose')
        batch_op.drop_column('notice_version')
