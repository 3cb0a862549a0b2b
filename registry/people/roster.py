"""Roster import from the student information system or HR: CSV, idempotent by external id.

The whole file is read and every row validated before anything is written, so a file that cannot be
read writes nothing, and a bad row is reported with its line and nothing of it is written. The good rows
are then written a batch at a time: existing people are looked up for the whole batch in one query, and
the batch is flushed at once (one audit append). The caller's ``checkpoint`` (the request's or command's
commit) runs before the first batch and after each one, so that no transaction, and on SQLite no hold of
the write lock, lasts longer than one batch: sign-in, clearances and /healthz go on during an import.

An import cut short (a crash, a stop) leaves the batches before it written; rows are matched by external
id, so importing the same file again completes it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert
from sqlmodel import Session, col, select

from registry.consents import standing
from registry.core import audit
from registry.models.base import id_of, utcnow
from registry.models.people import Guardian, Person
from registry.people.schemas import GuardianIn, PersonCreate, PersonUpdate, RosterReport, RosterRowProblem
from registry.people.service import search_key, update_person
from registry.policy.ledger import District

REQUIRED_COLUMNS = {"external_id", "name"}
KNOWN_COLUMNS = (
    REQUIRED_COLUMNS
    | {"kind", "school", "grade", "status", "birth_date"}
    | {f"guardian{n}_{field}" for n in (1, 2) for field in ("name", "relationship", "email", "phone")}
)
MAX_ROWS = 100_000
BATCH_ROWS = 500  # rows written per transaction: tens of milliseconds of write lock on SQLite


class RosterFileError(ValueError):
    """The file as a whole cannot be read (not CSV, missing columns)."""


def _describe(error: ValidationError) -> str:
    """Pydantic's findings in the words of the roster's columns."""
    parts = []
    for item in error.errors():
        loc = [str(p) for p in item["loc"]]
        where = (
            f"guardian{int(loc[1]) + 1}_{loc[2]}"
            if loc[:1] == ["guardians"] and len(loc) == 3
            else (".".join(loc) or "row")
        )
        kind, context = item["type"], item.get("ctx", {})
        if kind == "string_too_short" and context.get("min_length") == 1:
            parts.append(f"{where} is empty")
        elif kind == "literal_error":
            parts.append(f"{where} must be {context.get('expected', 'one of the listed words')}")
        elif kind == "string_pattern_mismatch":
            parts.append(f"{where} may hold only letters, digits, '.', '_' and '-'")
        elif kind == "string_too_long":
            parts.append(f"{where} is longer than {context.get('max_length')} characters")
        else:
            parts.append(f"{where}: {str(item['msg']).removeprefix('Value error, ')}")
    return "; ".join(parts)


def _guardians(row: dict[str, str]) -> list[GuardianIn]:
    result = []
    for n in (1, 2):
        name = (row.get(f"guardian{n}_name") or "").strip()
        if not name:
            continue
        result.append(
            GuardianIn(
                name=name,
                relationship=(row.get(f"guardian{n}_relationship") or "parent").strip().lower() or "parent",
                email=(row.get(f"guardian{n}_email") or "").strip() or None,
                phone=(row.get(f"guardian{n}_phone") or "").strip() or None,
            )
        )
    return result


def _read_rows(content: bytes) -> csv.DictReader[str]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterFileError("The roster must be a CSV file saved as UTF-8.") from exc
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower() for c in (reader.fieldnames or [])}
    missing = REQUIRED_COLUMNS - columns
    if missing:
        raise RosterFileError(
            f"The roster has no {', '.join(sorted(missing))} column; the first line must name the "
            f"columns, e.g. external_id,name,kind,school,grade,guardian1_name,guardian1_relationship."
        )
    unknown = columns - KNOWN_COLUMNS
    if unknown:
        raise RosterFileError(f"Unknown column(s): {', '.join(sorted(unknown))}.")
    reader.fieldnames = [c.strip().lower() for c in reader.fieldnames or []]
    return reader


def _checked(reader: csv.DictReader[str]) -> Iterator[dict[str, str]]:
    """The rows, or a plain-words error naming the line the CSV reader could not read."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RosterFileError(
                f"Line {reader.line_num + 1} cannot be read: a field is longer than {csv.field_size_limit():,} "
                "characters or a quote is not closed. Check that line in a spreadsheet and save it again."
            ) from exc


@dataclass(frozen=True)
class _Row:
    line: int
    data: PersonCreate
    status: str | None


def import_roster(
    session: Session,
    *,
    content: bytes,
    district: District,
    default_kind: str = "student",
    checkpoint: Callable[[], None] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> RosterReport:
    """Validates every row, then writes the good ones a batch at a time (``checkpoint`` between batches)."""
    report = RosterReport(created=0, updated=0, unchanged=0, rejected=[])
    rows = _validated_rows(content, default_kind, report)
    for start in range(0, len(rows), batch_rows):
        if checkpoint is not None:
            checkpoint()
        _write_batch(session, rows[start : start + batch_rows], report, district=district)
    if checkpoint is not None:
        checkpoint()
    report.rejected.sort(key=lambda problem: problem.line)
    return report


def _validated_rows(content: bytes, default_kind: str, report: RosterReport) -> list[_Row]:
    """Every good row of the file; the bad ones go to the report. Reads no table and writes nothing."""
    reader = _read_rows(content)
    seen: dict[str, int] = {}
    rows: list[_Row] = []
    for number, raw in enumerate(_checked(reader), start=2):
        if number - 1 > MAX_ROWS:
            raise RosterFileError(f"The roster has more than {MAX_ROWS} rows; split it.")
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        external_id = row.get("external_id") or None
        if external_id in seen:
            report.rejected.append(
                RosterRowProblem(
                    line=number,
                    external_id=external_id,
                    problem=f"external id repeated (first on line {seen[external_id]})",
                )
            )
            continue
        if external_id:
            seen[external_id] = number
        try:
            data = PersonCreate(
                external_id=row.get("external_id", ""),
                kind=(row.get("kind") or default_kind).lower(),
                name=row.get("name", ""),
                school=row.get("school") or None,
                grade=row.get("grade") or None,
                birth_date=row.get("birth_date") or None,
                guardians=_guardians(row),
            )
            status = (row.get("status") or "").lower() or None
            if status is not None:
                PersonUpdate(status=status)
        except ValidationError as exc:
            report.rejected.append(RosterRowProblem(line=number, external_id=external_id, problem=_describe(exc)))
            continue
        rows.append(_Row(number, data, status))
    return rows


def _write_batch(session: Session, batch: list[_Row], report: RosterReport, *, district: District) -> None:
    """One transaction's worth: one lookup of who exists, new people and guardians inserted in bulk, changed
    people updated in place; one flush, and the audit entries appended together."""
    ids = [row.data.external_id for row in batch]
    existing = {p.external_id: p for p in session.exec(select(Person).where(col(Person.external_id).in_(ids)))}
    guardians: dict[int, list[Guardian]] = {}
    if existing:
        for guardian in session.exec(
            select(Guardian)
            .where(col(Guardian.student_id).in_([p.id for p in existing.values()]))
            .order_by(col(Guardian.id))
        ):
            guardians.setdefault(guardian.student_id, []).append(guardian)
    new: list[_Row] = []
    departing: list[Person] = []
    aged: list[Person] = []  # a new birth date: whether they sign their own forms may change
    for row in batch:
        person = existing.get(row.data.external_id)
        if person is None:
            new.append(row)
            continue
        try:
            outcome = _update_existing(session, person, row, guardians.get(id_of(person), []), departing, aged)
        except ValueError as exc:
            report.rejected.append(RosterRowProblem(line=row.line, external_id=row.data.external_id, problem=str(exc)))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    session.flush()
    for person in departing:  # their takedowns and templates, as a departure entered by hand
        update_person(session, person=person, changes=PersonUpdate(status="departed"), district=district)
    standing.recheck_people(session, person_ids=[id_of(p) for p in aged], district=district, cause="changed")
    _insert_new(session, new)
    report.created += len(new)


def _insert_new(session: Session, rows: list[_Row]) -> None:
    """New people and their guardians as two multi-row INSERTs, each row audited as the ORM would."""
    if not rows:
        return
    now = utcnow()
    people_table, guardian_table = Person.__table__, Guardian.__table__  # type: ignore[attr-defined]
    people = [
        {
            **row.data.model_dump(exclude={"guardians"}),
            "status": row.status or "active",
            "departed_on": now.date() if row.status == "departed" else None,
            "search_key": search_key(row.data.name, row.data.external_id, [g.name for g in row.data.guardians]),
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
    ]
    _insert_audited(session, people_table, people)
    kept = []
    for row, person in zip(rows, people, strict=True):
        named: set[str] = set()
        for guardian in row.data.guardians:
            if guardian.name.casefold() not in named:
                named.add(guardian.name.casefold())
                kept.append({**guardian.model_dump(), "student_id": person["id"], "created_at": now})
    _insert_audited(session, guardian_table, kept)


def _insert_audited(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Inserts the rows (setting each one's id) and appends an audit entry per row in the same transaction."""
    if not rows:
        return
    columns = [c for c in table.c if c.name != "id"]
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    audit.lock_chain(session)
    new_ids = session.connection().execute(statement, [{c.name: r.get(c.name) for c in columns} for r in rows])
    for row, new_id in zip(rows, new_ids.scalars(), strict=True):
        row["id"] = new_id
    audit.append_entries(
        session,
        [
            (
                "insert",
                table.name,
                str(row["id"]),
                {"after": {c.name: audit.summary(c, c.name, row.get(c.name)) for c in table.c}},
            )
            for row in rows
        ],
    )


def _update_existing(
    session: Session,
    existing: Person,
    row: _Row,
    old_guardians: list[Guardian],
    departing: list[Person],
    aged: list[Person],
) -> str:
    data, status = row.data, row.status
    if existing.kind != data.kind:
        raise ValueError(f"{data.external_id} is already recorded as a {existing.kind}, not a {data.kind}")
    wanted: dict[str, Any] = {"name": data.name}
    wanted.update(
        {
            k: v
            for k, v in (("school", data.school), ("grade", data.grade), ("birth_date", data.birth_date))
            if v is not None
        }
    )
    old = [(g.name, g.relationship, g.email, g.phone) for g in old_guardians]
    new = [(g.name, g.relationship, g.email, g.phone) for g in data.guardians]
    changed = {k: v for k, v in wanted.items() if getattr(existing, k) != v}
    now_departing = status == "departed" and existing.status != "departed"
    if status == "active" and existing.status != "active":
        changed.update(status="active", departed_on=None)
    if not changed and not now_departing and (not data.guardians or old == new):
        return "unchanged"
    for key, value in changed.items():
        setattr(existing, key, value)
    existing.updated_at = utcnow()
    session.add(existing)
    if now_departing:
        departing.append(existing)
    if "birth_date" in changed:
        aged.append(existing)
    names = [g.name for g in (data.guardians if data.guardians else old_guardians)]
    existing.search_key = search_key(existing.name, existing.external_id, names)
    if data.guardians and old != new:
        for guardian in old_guardians:
            session.delete(guardian)
        session.flush()  # the old names go before the new ones are added (one name per student)
        named: set[str] = set()
        for guardian_in in data.guardians:
            if guardian_in.name.casefold() not in named:
                named.add(guardian_in.name.casefold())
                session.add(Guardian(student_id=id_of(existing), **guardian_in.model_dump()))
    return "updated"
