"""Consent requests sent to families: a private link per student and kind of consent, signed online.

Reviewed: matches registry/models/consent_requests.py ConsentRequest. One new table, nothing existing changes;
the link's token is not a column (only its hash, and the salt it is derived from with the secret key).
Downgrade drops the table: the requests go, the consents families signed through them stay in `consents`.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 20:36:32
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('consent_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('token_salt', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('emailed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('reminders', sa.Integer(), nullable=False),
    sa.Column('birth_date_failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consent_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_requests_code_hash'), ['code_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_consent_requests_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_requests_school_year'), ['school_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_requests_token_hash'), ['token_hash'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('consent_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_requests_token_hash'))
        batch_op.drop_index(batch_op.f('ix_consent_requests_school_year'))
        batch_op.drop_index(batch_op.f('ix_consent_requests_person_id'))
        batch_op.drop_index(batch_op.f('ix_consent_requests_code_hash'))

    op.drop_table('consent_requests')
