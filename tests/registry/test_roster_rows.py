"""A roster's plainly valid rows are read without the schemas, and written without the ORM: what is read
and what is stored must be exactly what the schemas and the ORM would have made of them."""

from __future__ import annotations

import itertools
import json
import random
import re
from datetime import date

from sqlmodel import select

from registry.core import audit, bulk
from registry.models.audit import AuditEntry
from registry.people import roster
from registry.people.schemas import GuardianIn, PersonCreate, RosterReport
from registry.people.service import _unicode_words, add_person, search_words
from registry.trust import audit_log
from tests.district import DISTRICT

HEADER = (
    "external_id,name,kind,school,grade,birth_date,status,"
    "guardian1_name,guardian1_relationship,guardian1_email,guardian1_phone,"
    "guardian2_name,guardian2_relationship,guardian2_email"
)
# Each column's values: plain ones, and ones only the schemas can judge (or refuse, in their words).
VALUES = {
    "external_id": ["S-1", "s.2_x", "S 3", "Ś-4", "x" * 65, ""],
    "name": ["Maya Lopez", "José Ñúñez", "", "y" * 201, "Tab\tin", "No\x00l", "Nbsp\u00a0in", "Zero\u200bwidth"],
    "kind": ["student", "EMPLOYEE", "teacher", ""],
    "school": ["North Elementary", "", "z" * 121, "Bell\x07"],
    "grade": ["3", "", "g" * 21],
    "birth_date": ["", "2010-05-01", "2010-02-30", "2010-5-1", "20100501", "٢٠١٠-٠٥-٠١", "0000-01-01"],
    "status": ["", "Active", "departed", "gone"],
    "guardian1_name": ["Ana Lopez", "", "maya lopez", "Ana\u2028Lopez"],
    "guardian1_relationship": ["", "Parent", "guardian", "uncle"],
    "guardian1_email": ["", "ana@Example.ORG", "ana@@example.org", "añа@example.org", "ana@localhost", "a b@x.org"],
    "guardian1_phone": ["", "555 0100", "5" * 41, "555\x000100", "555\u00a00100"],
    "guardian2_name": ["", "ANA LOPEZ", "Wei Chen"],
    "guardian2_relationship": ["", "GUARDIAN", "aunt"],
    "guardian2_email": ["", "wei@example.org", "wei@"],
}


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if re.search(r'[,"\n\r]', value) else value


def _roster(count: int) -> bytes:
    """Rows mostly of plain values (each column's first), with an unusual one here and there."""
    choose = random.Random(7)
    columns = HEADER.split(",")
    lines = [HEADER]
    for n in range(count):
        row = {c: VALUES[c][0] if choose.random() < 0.85 else choose.choice(VALUES[c]) for c in columns}
        row["external_id"] = f"{row['external_id']}{n}" if row["external_id"] else ""
        lines.append(",".join(_csv_field(row[c]) for c in columns))
    return ("\r\n".join(lines) + "\r\n").encode()


def test_plain_rows_are_read_exactly_as_the_schemas_read_them(monkeypatch):
    content = _roster(3000)
    plainly_valid, plain = roster._plainly_valid, []

    def counted(row: dict[str, str], default_kind: str) -> object:
        found = plainly_valid(row, default_kind)
        plain.append(found is not None)
        return found

    with monkeypatch.context() as patch:
        patch.setattr(roster, "_plainly_valid", counted)
        fast = RosterReport(created=0, updated=0, unchanged=0, rejected=[])
        rows = roster._validated_rows(content, "community_member", fast)
    with monkeypatch.context() as patch:
        patch.setattr(roster, "_plainly_valid", lambda row, default_kind: None)
        full = RosterReport(created=0, updated=0, unchanged=0, rejected=[])
        expected = roster._validated_rows(content, "community_member", full)
    assert rows == expected
    assert fast.rejected == full.rejected
    assert sum(plain) > 100 and len(full.rejected) > 100, (sum(plain), len(rows), len(full.rejected))


def test_a_plain_row_is_the_row_the_schemas_make():
    row = {
        "external_id": "S-1",
        "name": "Maya Lopez",
        "kind": "Student",
        "birth_date": "2010-05-01",
        "guardian1_name": "Ana Lopez",
        "guardian1_email": "ana@Example.ORG",
        "guardian2_name": "ana lopez",
        "guardian2_relationship": "Guardian",
    }
    plain = roster._plainly_valid(row, "employee")
    assert plain is not None
    data = PersonCreate(
        external_id="S-1",
        kind="student",
        name="Maya Lopez",
        birth_date=date(2010, 5, 1),
        guardians=[
            GuardianIn(name="Ana Lopez", email="ana@example.org"),
            GuardianIn(name="ana lopez", relationship="guardian"),
        ],
    )
    assert roster.Row.made(2, *plain, ()) == roster.Row.of(2, data, None)
    assert roster.Row.made(2, *plain, ()).search_key == "maya lopez s1 ana lopez"


def test_ascii_search_words_are_the_unicode_ones():
    characters = [chr(c) for c in range(128)]
    for text_ in [*characters, *("".join(p) for p in itertools.product(characters, repeat=2)), "O'Brien S-1001"]:
        assert search_words(text_) == _unicode_words(text_), repr(text_)


def test_entries_read_back_as_written_and_verify(session):
    tricky = {
        "after": {"name": 'Zoë "Q" \\ O\'Brien\n\t\u2028', "id": 7, "b": None, "a": True, "n": 1.5},
        "before": {"z": [1, "ä", {"y": 2, "x": "\x00"}]},
    }
    for count in (1, bulk.COPY_FROM + 5):  # one statement, and COPY on PostgreSQL
        session.info["actor"] = 'user:"7" ü'
        # Entries about no table of the registry: verification checks every table's rows against the log,
        # and these rows do not exist.
        audit.append_entries(session, [("update", "no_such_table", f"{n}-é\\", tricky) for n in range(count)])
    entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert len(entries) == 1 + bulk.COPY_FROM + 5
    assert all(e.changes == tricky and e.row_id.endswith("-é\\") and e.actor == 'user:"7" ü' for e in entries)
    assert all(audit.entry_hash(audit.entry_body(e)) == e.hash for e in entries)
    assert audit_log.verify(session).ok


def _shape(value: object) -> object:
    """A stored value's form, its digits aside: '2026-12-02 16:48:42.123456' and a date object differ."""
    return (type(value).__name__, re.sub(r"[0-9]", "9", str(value)))


def test_roster_rows_are_stored_as_the_orm_stores_them(session):
    session.info["actor"] = "cli:test"
    add_person(
        session,
        data=PersonCreate(
            external_id="S-1",
            kind="student",
            name="Maya Lopez",
            school="North",
            birth_date=date(2010, 5, 1),
            guardians=[GuardianIn(name="Ana Lopez", email="ana@example.org")],
        ),
    )
    content = b"external_id,name,kind,school,birth_date,guardian1_name,guardian1_email\n"
    content += b"".join(
        f"S-{n},Liam Chen,student,North,2011-06-02,Ana Lopez,ana@example.org\n".encode() for n in range(2, 30)
    )
    report = roster.import_roster(session, content=content, district=DISTRICT, by=None)
    assert report.created == 28
    connection = session.connection()
    for table, columns in (
        ("people", ("created_at", "updated_at", "birth_date", "departed_on", "status", "school", "grade")),
        ("guardians", ("created_at", "relationship", "email", "phone")),
    ):
        rows = connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id").mappings().all()
        orm, imported = rows[0], rows[-1]  # as the driver gives them: SQLite's text, PostgreSQL's types
        assert {c: _shape(orm[c]) for c in columns} == {c: _shape(imported[c]) for c in columns}, table
    logged = connection.exec_driver_sql("SELECT table_name, changes FROM audit_entries ORDER BY id").all()
    written = [json.loads(c) if isinstance(c, str) else c for t, c in logged if t == "people"]
    assert set(written[0]["after"]) == set(written[-1]["after"])
    assert audit_log.verify(session).ok
