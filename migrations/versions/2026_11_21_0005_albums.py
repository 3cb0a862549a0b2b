"""Album clearance: a job per album upload and an item per photo (queued/running/done/failed).

Reviewed: matches registry/albums/service.py AlbumJob and AlbumItem. album_items.clearance_id is set to
NULL when a purge deletes the clearance. Dropped whole on downgrade.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 00:02:44
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('album_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('context_kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('context_public', sa.Boolean(), nullable=True),
    sa.Column('destination', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('caption', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('album_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_album_jobs_uploader_id'), ['uploader_id'], unique=False)

    op.create_table('album_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('photo_file', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('clearance_id', sa.Integer(), nullable=True),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['clearance_id'], ['clearances.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_id'], ['album_jobs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('album_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_album_items_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_album_items_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('album_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_album_items_status'))
        batch_op.drop_index(batch_op.f('ix_album_items_job_id'))

    op.drop_table('album_items')
    with op.batch_alter_table('album_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_album_jobs_uploader_id'))

    op.drop_table('album_jobs')
