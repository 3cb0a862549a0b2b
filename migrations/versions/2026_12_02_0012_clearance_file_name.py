"""Each clearance records the photo's file name as uploaded, to show in "My photos" and to name its blurred copy.

Reviewed: matches registry/models/base.py Clearance.file_name. Rows decided before it have no name (null):
"My photos" shows their caption or their date instead. Dropped on downgrade.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.drop_column('file_name')
