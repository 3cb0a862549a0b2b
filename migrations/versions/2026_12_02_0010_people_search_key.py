"""People are found by their name, their ID or a guardian's name, whatever the case, accents or punctuation.

Reviewed: matches registry/models/people.py Person.search_key. The key is computed in Python
(registry/people/service.py search_key), not by the database, so that SQLite and PostgreSQL find the same
people; the service keeps it on every write. Existing people get theirs here. The backfill is not
an audited act of its own: the key only repeats, as search words, the name, ID and guardians'
names the log already holds, and the audit check reads only the columns the log recorded.
Dropped on downgrade.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:00:00
"""
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_key', sqlmodel.sql.sqltypes.AutoString(length=2000),
                                      nullable=False, server_default=''))
    _fill_search_keys()


def _fill_search_keys() -> None:
    from registry.people.service import search_key

    people = sa.table('people', sa.column('id', sa.Integer()), sa.column('name', sa.String()),
                      sa.column('external_id', sa.String()), sa.column('search_key', sa.String()))
    guardians = sa.table('guardians', sa.column('id', sa.Integer()), sa.column('student_id', sa.Integer()),
                         sa.column('name', sa.String()))
    connection = op.get_bind()
    names: dict[int, list[str]] = defaultdict(list)
    for student_id, name in connection.execute(
            sa.select(guardians.c.student_id, guardians.c.name).order_by(guardians.c.id)):
        names[student_id].append(name)
    rows = connection.execute(sa.select(people.c.id, people.c.name, people.c.external_id)).all()
    keys = [{'person': person_id, 'key': search_key(name, external_id, names[person_id])}
            for person_id, name, external_id in rows]
    statement = people.update().where(people.c.id == sa.bindparam('person')).values(search_key=sa.bindparam('key'))
    for start in range(0, len(keys), BATCH):
        connection.execute(statement, keys[start:start + BATCH])


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('search_key')
