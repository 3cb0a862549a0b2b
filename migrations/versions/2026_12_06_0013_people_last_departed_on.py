"""Each person keeps the day they last left the district after they come back: forms signed on or before it end.

Reviewed: matches registry/models/people.py Person.last_departed_on. People who have left are given their
departure day (departed_on); people who came back before this revision had their departure day cleared, so
it is unknown for them (null) and their old forms read as before. Dropped on downgrade.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 18:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_departed_on', sa.Date(), nullable=True))
    op.execute("UPDATE people SET last_departed_on = departed_on WHERE departed_on IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('last_departed_on')
