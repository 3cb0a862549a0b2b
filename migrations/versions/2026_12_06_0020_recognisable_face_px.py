"""Each clearance records the face size under which a face that matches nobody is "too small to recognise".

Reviewed: matches registry/models/clearances.py Clearance.recognisable_face_px. Clearances decided before it
read 0 (every face that matched nobody was called unknown then). Dropped on downgrade.

Revision ID: 0020
Revises: 0013
Create Date: 2026-12-06 18:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0020'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recognisable_face_px', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.drop_column('recognisable_face_px')
