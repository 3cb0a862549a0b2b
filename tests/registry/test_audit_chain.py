"""The audit mechanism itself: an entry exists exactly when its write commits, bulk statements are
recorded by their shape, and bookkeeping counters are not audit-worthy."""

from __future__ import annotations

from sqlmodel import col, delete, select, update

from registry.faces.templates import bump_templates_version
from registry.models.audit import AuditEntry
from registry.models.people import Guardian, Person
from registry.people.schemas import GuardianIn, PersonCreate
from registry.people.service import add_person
from registry.trust import audit_log


def _entries(session) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))


def test_a_rolled_back_write_leaves_no_entry(session):
    session.info["actor"] = "cli:test"
    add_person(session, data=PersonCreate(external_id="S-1", kind="student", name="Maya Lopez"))
    assert [(e.table_name, e.action, e.actor) for e in _entries(session)] == [("people", "insert", "cli:test")]
    session.rollback()
    assert _entries(session) == []
    assert audit_log.verify(session).ok


def test_bulk_statements_are_recorded_by_shape_and_counters_are_not(session):
    person = add_person(
        session,
        data=PersonCreate(
            external_id="S-1",
            kind="student",
            name="Maya Lopez",
            guardians=[
                GuardianIn(name="Ana Lopez", relationship="parent"),
                GuardianIn(name="Jo Lopez", relationship="parent"),
            ],
        ),
    )
    session.commit()
    before = len(_entries(session))
    session.exec(delete(Guardian).where(col(Guardian.student_id) == person.id))
    session.exec(update(Person).where(col(Person.id) == -1).values(name="nobody"))
    bump_templates_version(session)
    session.commit()
    added = _entries(session)[before:]
    assert [(e.table_name, e.action, e.row_id) for e in added] == [("guardians", "delete", "*")]
    assert added[0].changes["rows"] == 2 and list(added[0].changes["values"].values()) == [person.id]
    assert audit_log.verify(session).ok
