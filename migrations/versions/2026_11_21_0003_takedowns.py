"""Takedown requests: one per clearance and consent it relied on, until the uploader confirms;
and a small thumbnail kept with each clearance so the request can show which photo it means.

Reviewed: matches registry/models/base.py Takedown; dropped whole on downgrade.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:56:41.509657
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thumbnail', sa.LargeBinary(), nullable=True))
    op.create_table('takedowns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clearance_id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['clearance_id'], ['clearances.id'], ),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('clearance_id', 'consent_id', name='uq_takedown_clearance_consent')
    )
    with op.batch_alter_table('takedowns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_takedowns_clearance_id'), ['clearance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_takedowns_uploader_id'), ['uploader_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.drop_column('thumbnail')
    with op.batch_alter_table('takedowns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_takedowns_uploader_id'))
        batch_op.drop_index(batch_op.f('ix_takedowns_clearance_id'))

    op.drop_table('takedowns')
