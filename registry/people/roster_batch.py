"""Writing one batch of validated roster rows: one transaction's worth.

One lookup each of who exists, their guardians and their groups; then multi-row statements: new people
and guardians inserted (as rows in the driver's form, by COPY on PostgreSQL: registry/core/bulk.py), changed
people updated, replaced guardians deleted, memberships added. These are not ORM writes, which the ORM's flush
events (registry/core/audit.py) would see, so each row written gets its audit entry here, in the form the
ORM's would have, and all of them are appended together. A departure
and a new birth date go through the services that re-decide posted photos, as when entered by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
from sqlmodel import Session

from registry.consents import standing
from registry.core import audit, bulk
from registry.models.base import utcnow
from registry.models.groups import Group, GroupMember
from registry.models.people import Guardian, Person
from registry.people.schemas import (
    ROSTER_ADDED_LISTED,
    PersonCreate,
    PersonUpdate,
    RosterAdded,
    RosterReport,
    RosterRowProblem,
)
from registry.people.service import search_key, update_person
from registry.policy.ledger import District

PEOPLE: Table = Person.__table__  # type: ignore[attr-defined]
GUARDIANS: Table = Guardian.__table__  # type: ignore[attr-defined]
MEMBERS: Table = GroupMember.__table__  # type: ignore[attr-defined]
GROUPS: Table = Group.__table__  # type: ignore[attr-defined]
UPDATED = ("name", "school", "grade", "birth_date", "status", "departed_on", "search_key", "updated_at")
GUARDIAN_FIELDS = ("name", "relationship", "email", "phone")


class RosterGuardian(NamedTuple):
    """A guardian as validated (GuardianIn's fields, in GUARDIAN_FIELDS order)."""

    name: str
    relationship: str
    email: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class Row:
    """One validated row: PersonCreate's fields, with the guardians already the first of each name (one name
    per student) and the search key they make, both worked out before any transaction begins."""

    line: int
    external_id: str
    kind: str
    name: str
    school: str | None
    grade: str | None
    birth_date: date | None
    guardians: tuple[RosterGuardian, ...]
    status: str | None
    groups: tuple[str, ...]
    search_key: str

    @classmethod
    def of(cls, line: int, data: PersonCreate, status: str | None, groups: tuple[str, ...] = ()) -> Row:
        return cls.made(
            line,
            data.external_id,
            data.kind,
            data.name,
            data.school,
            data.grade,
            data.birth_date,
            tuple(RosterGuardian(g.name, g.relationship, g.email, g.phone) for g in data.guardians),
            status,
            groups,
        )

    @classmethod
    def made(
        cls,
        line: int,
        external_id: str,
        kind: str,
        name: str,
        school: str | None,
        grade: str | None,
        birth_date: date | None,
        guardians: tuple[RosterGuardian, ...],
        status: str | None,
        groups: tuple[str, ...],
    ) -> Row:
        named: dict[str, RosterGuardian] = {}
        for guardian in guardians:  # the first of each name (one name per student)
            named.setdefault(guardian.name.casefold(), guardian)
        distinct = tuple(named.values())
        key = search_key(name, external_id, [g.name for g in distinct])
        return cls(line, external_id, kind, name, school, grade, birth_date, distinct, status, groups, key)


@dataclass
class GroupIndex:
    """The groups by name and school, read once per import; groups the file names are made as needed."""

    created_by_id: int | None
    ids: dict[tuple[str, str | None], int] = field(default_factory=dict)
    loaded: bool = False

    def group_id(self, session: Session, name: str, school: str | None, report: RosterReport) -> int:
        """The group of that name at the person's school (or at no school), made at their school if missing."""
        if not self.loaded:
            for group_id, group_name, group_school in session.execute(
                select(GROUPS.c.id, GROUPS.c.name, GROUPS.c.school).order_by(GROUPS.c.id)
            ):
                self.ids.setdefault((group_name.casefold(), group_school), group_id)
            self.loaded = True
        key = name.casefold()
        found = self.ids.get((key, school)) or self.ids.get((key, None))
        if found is not None:
            return found
        assert self.created_by_id is not None  # import_roster refuses groups without an account
        group = Group(name=name, kind="other", school=school, created_by_id=self.created_by_id)
        session.add(group)
        session.flush()  # audited by the flush events, as a group made on its page
        assert group.id is not None
        self.ids[(key, school)] = group.id
        report.groups_created.append(name if school is None else f"{name} ({school})")
        return group.id


@dataclass
class _Changes:
    """What one batch writes, gathered before anything is written."""

    new: list[Row] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    update_entries: list[audit.Change] = field(default_factory=list)
    old_guardians: list[dict[str, Any]] = field(default_factory=list)
    guardians: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    departing: list[int] = field(default_factory=list)
    aged: list[int] = field(default_factory=list)


def write_batch(
    session: Session, batch: list[Row], report: RosterReport, *, groups: GroupIndex, district: District
) -> None:
    session.flush()
    if session.connection().dialect.name == "postgresql":
        # The lookups below by 500 values each are planned afresh: a plan the connection cached for them from
        # the first batches (a scan of a then small table, comparing every row with all 500 values) would
        # otherwise serve until the tables are next analysed, growing with the table batch after batch.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    ids = [row.external_id for row in batch]
    existing = {
        r["external_id"]: dict(r)
        for r in session.execute(select(PEOPLE).where(PEOPLE.c.external_id.in_(ids))).mappings()
    }
    person_ids = [p["id"] for p in existing.values()]
    guardians: dict[int, list[dict[str, Any]]] = {}
    memberships: dict[int, set[int]] = {}
    if person_ids:
        for guardian in session.execute(
            select(GUARDIANS).where(GUARDIANS.c.student_id.in_(person_ids)).order_by(GUARDIANS.c.id)
        ).mappings():
            guardians.setdefault(guardian["student_id"], []).append(dict(guardian))
        if any(row.groups for row in batch):
            for group_id, person_id in session.execute(
                select(MEMBERS.c.group_id, MEMBERS.c.person_id).where(MEMBERS.c.person_id.in_(person_ids))
            ):
                memberships.setdefault(person_id, set()).add(group_id)
    changes = _Changes()
    now = utcnow()
    for row in batch:
        person = existing.get(row.external_id)
        if person is None:
            changes.new.append(row)
            continue
        if person["kind"] != row.kind:
            problem = f"{row.external_id} is already recorded as a {person['kind']}, not a {row.kind}"
            report.rejected.append(RosterRowProblem(line=row.line, external_id=row.external_id, problem=problem))
            continue
        wanted = [groups.group_id(session, name, row.school or person["school"], report) for name in row.groups]
        outcome = _compare(
            person, row, guardians.get(person["id"], []), memberships.get(person["id"], set()), wanted, changes, now
        )
        setattr(report, outcome, getattr(report, outcome) + 1)
    _write(session, changes, groups, report, now)
    for person_id in changes.departing:  # their takedowns and templates, as a departure entered by hand
        leaving = session.get(Person, person_id, populate_existing=True)
        assert leaving is not None
        update_person(session, person=leaving, changes=PersonUpdate(status="departed"), district=district)
    standing.recheck_people(session, person_ids=changes.aged, district=district, cause="changed")
    report.created += len(changes.new)


def _compare(
    person: dict[str, Any],
    row: Row,
    old_guardians: list[dict[str, Any]],
    member_of: set[int],
    wanted_groups: list[int],
    changes: _Changes,
    now: Any,
) -> str:
    """'unchanged' or 'updated', having noted in ``changes`` what is to be written for this row."""
    status = row.status
    wanted: dict[str, Any] = {"name": row.name}
    wanted.update(
        (k, v)
        for k, v in (("school", row.school), ("grade", row.grade), ("birth_date", row.birth_date))
        if v is not None
    )
    changed = {k: v for k, v in wanted.items() if person[k] != v}
    old = [tuple(g[f] for f in GUARDIAN_FIELDS) for g in old_guardians]
    guardians_change = bool(row.guardians) and old != list(row.guardians)
    if row.guardians or not old_guardians:  # the row's guardians are (or become) theirs: its own key holds
        key = row.search_key
    else:
        key = search_key(row.name, person["external_id"], [g["name"] for g in old_guardians])
    if person["search_key"] != key:  # what finds them by their own or a guardian's name
        changed["search_key"] = key
    if status == "active" and person["status"] != "active":
        changed.update(status="active", departed_on=None)
    departing = status == "departed" and person["status"] != "departed"
    joins = [g for g in dict.fromkeys(wanted_groups) if g not in member_of]
    if not changed and not departing and not guardians_change and not joins:
        return "unchanged"
    person_id = person["id"]
    if changed:
        changed["updated_at"] = now
        changes.updates.append({"person_id": person_id, **{k: changed.get(k, person[k]) for k in UPDATED}})
        changes.update_entries.append(
            (
                "update",
                PEOPLE.name,
                str(person_id),
                {
                    "before": {k: audit.plain(person[k]) for k in changed},
                    "after": {k: audit.plain(v) for k, v in changed.items()},
                },
            )
        )
    if departing:
        changes.departing.append(person_id)
    if "birth_date" in changed or guardians_change:  # who signs for them, or who may: decided again
        changes.aged.append(person_id)
    if guardians_change:
        changes.old_guardians.extend(old_guardians)
        changes.guardians.extend(_guardian(g, person_id, now) for g in row.guardians)
    changes.members.extend({"group_id": g, "person_id": person_id} for g in joins)
    return "updated"


def _guardian(guardian: RosterGuardian, student_id: int, now: datetime) -> dict[str, Any]:
    return {**guardian._asdict(), "student_id": student_id, "created_at": now}


def _write(session: Session, changes: _Changes, groups: GroupIndex, report: RosterReport, now: Any) -> None:
    entries: list[audit.Change] = list(changes.update_entries)
    connection = session.connection()
    if changes.new or changes.updates or changes.old_guardians or changes.guardians or changes.members:
        audit.lock_chain(session)  # before the first write; held until the batch commits
    if changes.updates:
        connection.execute(update(PEOPLE).where(PEOPLE.c.id == bindparam("person_id")), changes.updates)
    if changes.old_guardians:  # the old names go before the new ones are added (one name per student)
        connection.execute(delete(GUARDIANS).where(GUARDIANS.c.id.in_([g["id"] for g in changes.old_guardians])))
        entries.extend(("delete", GUARDIANS.name, str(g["id"]), {"before": _logged(g)}) for g in changes.old_guardians)
    departed_on = now.date()
    people = [
        {
            "external_id": row.external_id,
            "kind": row.kind,
            "name": row.name,
            "school": row.school,
            "grade": row.grade,
            "birth_date": row.birth_date,
            "status": row.status or "active",
            "departed_on": departed_on if row.status == "departed" else None,
            "last_departed_on": departed_on if row.status == "departed" else None,
            "search_key": row.search_key,
            "created_at": now,
            "updated_at": now,
        }
        for row in changes.new
    ]
    entries.extend(_inserted(session, PEOPLE, people))
    room = max(ROSTER_ADDED_LISTED - len(report.added), 0)
    report.added.extend(RosterAdded(id=p["id"], external_id=p["external_id"], name=p["name"]) for p in people[:room])
    for row, person in zip(changes.new, people, strict=True):
        changes.guardians.extend(_guardian(g, person["id"], now) for g in row.guardians)
        joins = dict.fromkeys(groups.group_id(session, name, row.school, report) for name in row.groups)
        changes.members.extend({"group_id": g, "person_id": person["id"]} for g in joins)
    entries.extend(_inserted(session, GUARDIANS, changes.guardians))
    if changes.members:
        connection.execute(insert(MEMBERS), changes.members)
        entries.extend(
            ("insert", MEMBERS.name, f"group_id={m['group_id']},person_id={m['person_id']}", {"after": _logged(m)})
            for m in changes.members
        )
    audit.append_entries(session, entries)


def _inserted(session: Session, table: Table, rows: list[dict[str, Any]]) -> Iterable[audit.Change]:
    """Inserts the rows, setting each one's id; their audit entries, as the ORM's flush would write them."""
    if not rows:
        return []
    connection = session.connection()
    columns = [c.name for c in table.c]
    for row, new_id in zip(rows, _new_ids(session, table, len(rows)), strict=True):
        row["id"] = new_id
    plain: dict[int, Any] = {}  # id() of a date or time -> as logged: a batch's rows share their timestamp
    entries: list[audit.Change] = []
    for row in rows:
        logged = {
            c: v if (v := row.get(c)) is None or type(v) in _AS_IS else plain.get(id(v)) or _plain(plain, v)
            for c in columns
        }
        entries.append(("insert", table.name, str(row["id"]), {"after": logged}))
    values = [[row.get(c) for c in columns] for row in rows]
    bulk.driver_rows(connection, table, columns, values)
    bulk.insert_rows(connection, table, columns, values)
    return entries


def _plain(seen: dict[int, Any], value: Any) -> Any:
    seen[id(value)] = logged = audit.plain(value)
    return logged


def _new_ids(session: Session, table: Table, count: int) -> Sequence[int]:
    """Ids for ``count`` new rows, taken before they are inserted, so that the rows go in as plain rows
    (no RETURNING to read back, and on PostgreSQL one COPY)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return (
            connection.execute(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
                {"table": table.name, "count": count},
            )
            .scalars()
            .all()
        )
    # SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), and a new row's id is the largest plus one.
    last = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return range(int(last) + 1, int(last) + 1 + count)


def _logged(values: dict[str, Any]) -> dict[str, Any]:
    """The values as the audit log keeps them (a roster writes no secrets)."""
    return {k: v if v is None or type(v) in _AS_IS else audit.plain(v) for k, v in values.items()}


_AS_IS = (str, int, bool)
