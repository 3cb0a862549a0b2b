"""Each clearance records the face searches that ran (the first search, the closer look's passes).

Reviewed: matches registry/models/base.py Clearance.searches. Rows decided before it get an empty list:
which searches ran for them was not recorded. Dropped on downgrade.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('searches', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.drop_column('searches')
