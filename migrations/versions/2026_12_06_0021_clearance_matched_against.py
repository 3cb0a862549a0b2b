"""Each clearance records whom its faces were compared with: the people who could be in the photo.

Reviewed: matches registry/models/clearances.py Clearance.matched_against. Clearances decided before it
read "" (every face was compared with everyone enrolled then). Dropped on downgrade.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('matched_against', sa.String(length=300), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.drop_column('matched_against')
