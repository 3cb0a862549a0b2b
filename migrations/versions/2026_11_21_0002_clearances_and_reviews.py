"""Clearances (one row per uploaded photo), their faces, the consents they relied on, reviewers'
resolutions, and the registry_state counters (seeded with templates_version = 0).

Reviewed: matches registry/models/base.py; the seed row is removed with the table on downgrade.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:44:11.316656
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    state = op.create_table('registry_state',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.bulk_insert(state, [{'key': 'templates_version', 'value': 0}])
    op.create_table('clearances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('context_kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('context_public', sa.Boolean(), nullable=False),
    sa.Column('destination', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('caption', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('review_reasons', sa.JSON(), nullable=False),
    sa.Column('context_confirmed', sa.Boolean(), nullable=False),
    sa.Column('redaction_offered', sa.Boolean(), nullable=False),
    sa.Column('redacted_of_id', sa.Integer(), nullable=True),
    sa.Column('pack_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('pack_version', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('engine', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('detector', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('detect_max_side', sa.Integer(), nullable=False),
    sa.Column('match_threshold', sa.Float(), nullable=False),
    sa.Column('review_threshold', sa.Float(), nullable=False),
    sa.Column('min_margin', sa.Float(), nullable=False),
    sa.Column('min_face_px', sa.Integer(), nullable=False),
    sa.Column('photo_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('photo_file', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('photo_width', sa.Integer(), nullable=False),
    sa.Column('photo_height', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ),
    sa.ForeignKeyConstraint(['redacted_of_id'], ['clearances.id'], ),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearances_decision'), ['decision'], unique=False)
        batch_op.create_index(batch_op.f('ix_clearances_uploader_id'), ['uploader_id'], unique=False)

    op.create_table('clearance_consents',
    sa.Column('clearance_id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clearance_id'], ['clearances.id'], ),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], ),
    sa.PrimaryKeyConstraint('clearance_id', 'consent_id')
    )
    with op.batch_alter_table('clearance_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_consents_consent_id'), ['consent_id'], unique=False)

    op.create_table('clearance_faces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clearance_id', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('box_top', sa.Integer(), nullable=False),
    sa.Column('box_right', sa.Integer(), nullable=False),
    sa.Column('box_bottom', sa.Integer(), nullable=False),
    sa.Column('box_left', sa.Integer(), nullable=False),
    sa.Column('band', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('distance', sa.Float(), nullable=True),
    sa.Column('margin', sa.Float(), nullable=True),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('match_reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('clause', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('redactable', sa.Boolean(), nullable=False),
    sa.Column('blurred', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['clearance_id'], ['clearances.id'], ),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('clearance_id', 'index', name='uq_clearance_face_index')
    )
    with op.batch_alter_table('clearance_faces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_faces_clearance_id'), ['clearance_id'], unique=False)

    op.create_table('clearance_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clearance_id', sa.Integer(), nullable=False),
    sa.Column('face_index', sa.Integer(), nullable=True),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('decision_before', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('decision_after', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['clearance_id'], ['clearances.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('clearance_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_reviews_clearance_id'), ['clearance_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('clearance_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearance_reviews_clearance_id'))

    op.drop_table('clearance_reviews')
    with op.batch_alter_table('clearance_faces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearance_faces_clearance_id'))

    op.drop_table('clearance_faces')
    with op.batch_alter_table('clearance_consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearance_consents_consent_id'))

    op.drop_table('clearance_consents')
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearances_uploader_id'))
        batch_op.drop_index(batch_op.f('ix_clearances_decision'))

    op.drop_table('clearances')
    op.drop_table('registry_state')
