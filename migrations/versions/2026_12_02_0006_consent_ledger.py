"""One reading of a consent record: refusals without an end, takedowns from any act, birth dates.

Reviewed: matches registry/models/base.py. Carries existing records over to the rules of
registry/policy/ledger.py:
- a refusal has no end date and holds from its signing date (valid_until NULL, valid_from = signed_on);
- a takedown may come from an act that is not a consent it relied on (a refusal of someone else's
  kind, a departure, a reviewer), so its consent and person are optional;
- a person may carry a birth date (whether a student aged 18 or more signs their own forms);
- a clearance records how its context was checked (context_check), filled in from what it holds.
The photos posted under the old reading are decided again by the service's daily re-check, which
runs at start-up: each one the new reading no longer allows becomes a takedown request.
Downgrade gives refusals back their old end (30 June of the school year of signing) and deletes
the takedown requests the old schema cannot hold (those with no consent or person).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:00:00
"""
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.alter_column('valid_until', existing_type=sa.Date(), nullable=True)
    with op.batch_alter_table('takedowns', schema=None) as batch_op:
        batch_op.alter_column('consent_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('person_id', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('context_check', sqlmodel.sql.sqltypes.AutoString(length=20),
                                      nullable=False, server_default='declared'))
    _refusals_without_an_end()
    op.execute("UPDATE clearances SET context_check = 'no_camera_time' "
               "WHERE event_id IS NOT NULL AND taken_at IS NULL")
    clearances = sa.table('clearances', sa.column('id', sa.Integer()), sa.column('event_id', sa.Integer()),
                          sa.column('taken_at', sa.DateTime()), sa.column('review_reasons', sa.JSON()),
                          sa.column('context_check', sa.String()))
    connection = op.get_bind()
    rows = connection.execute(sa.select(clearances.c.id, clearances.c.review_reasons).where(
        clearances.c.event_id.is_not(None), clearances.c.taken_at.is_not(None))).all()
    for clearance_id, reasons in rows:
        outside = any('outside the event' in str(reason) for reason in (reasons or []))
        connection.execute(clearances.update().where(clearances.c.id == clearance_id).values(
            context_check='outside_event_time' if outside else 'event_time'))


def _refusals_without_an_end() -> None:
    """Each refusal loses its end date, and the audit log records the change row by row (its last word
    on each consent must stay what the table says: audit verification checks it)."""
    from sqlmodel import Session

    from registry.core import audit

    consents = sa.table('consents', sa.column('id', sa.Integer()), sa.column('status', sa.String()),
                        sa.column('signed_on', sa.Date()), sa.column('valid_from', sa.Date()),
                        sa.column('valid_until', sa.Date()))
    connection = op.get_bind()
    rows = connection.execute(sa.select(consents.c.id, consents.c.signed_on, consents.c.valid_from,
                                        consents.c.valid_until).where(consents.c.status == 'refused')
                              .order_by(consents.c.id)).all()
    changes = []
    for consent_id, signed_on, valid_from, valid_until in rows:
        connection.execute(consents.update().where(consents.c.id == consent_id)
                           .values(valid_until=None, valid_from=signed_on))
        changes.append(('update', 'consents', str(consent_id), {
            'before': {'valid_from': audit.plain(valid_from), 'valid_until': audit.plain(valid_until)},
            'after': {'valid_from': audit.plain(signed_on), 'valid_until': None}}))
    if changes:
        session = Session(bind=connection)
        session.info['actor'] = 'migration:0006 (a refusal has no end date)'
        audit.lock_chain(session)
        audit.append_entries(session, changes)


def downgrade() -> None:
    consents = sa.table('consents', sa.column('id', sa.Integer()), sa.column('signed_on', sa.Date()),
                        sa.column('valid_until', sa.Date()))
    connection = op.get_bind()
    for consent_id, signed_on in connection.execute(
            sa.select(consents.c.id, consents.c.signed_on).where(consents.c.valid_until.is_(None))).all():
        end = date(signed_on.year if (signed_on.month, signed_on.day) <= (6, 30) else signed_on.year + 1, 6, 30)
        connection.execute(consents.update().where(consents.c.id == consent_id).values(valid_until=end))
    op.execute("DELETE FROM takedowns WHERE consent_id IS NULL OR person_id IS NULL")
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.drop_column('context_check')
    with op.batch_alter_table('takedowns', schema=None) as batch_op:
        batch_op.alter_column('person_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('consent_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.alter_column('valid_until', existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('birth_date')
