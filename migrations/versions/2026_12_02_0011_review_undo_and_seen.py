"""A reviewer's act can be undone, and each account remembers when it last looked at reviewed photos.

Reviewed: matches registry/models/base.py ClearanceReview.undoes_id and User.reviews_seen_at.
clearance_reviews gains undoes_id: an undo is a new recorded act naming the act it takes back (acts
are never edited or deleted). users gains reviews_seen_at: the home page tells an employee about
their photos a reviewer decided after it. Existing rows get NULL for both. Dropped on downgrade.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('clearance_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('undoes_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_clearance_reviews_undoes_id_clearance_reviews', 'clearance_reviews', ['undoes_id'], ['id']
        )
    # Plain ALTER TABLE, not batch mode: a batch copy of users would drop and re-create a table that the
    # rows of other tables refer to (see 0007).
    op.add_column('users', sa.Column('reviews_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column('users', 'reviews_seen_at')
    with op.batch_alter_table('clearance_reviews', schema=None) as batch_op:
        batch_op.drop_constraint('fk_clearance_reviews_undoes_id_clearance_reviews', type_='foreignkey')
        batch_op.drop_column('undoes_id')
