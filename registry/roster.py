"""Roster import from the student information system or HR: CSV, idempotent by external id."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from pydantic import ValidationError
from sqlmodel import Session, col, select

from registry.models import Guardian
from registry.people import add_person, find_by_external_id, replace_guardians, update_person
from registry.schemas import GuardianIn, PersonCreate, PersonUpdate, RosterReport, RosterRowProblem

REQUIRED_COLUMNS = {"external_id", "name"}
KNOWN_COLUMNS = REQUIRED_COLUMNS | {"kind", "school", "grade", "status"} | {
    f"guardian{n}_{field}" for n in (1, 2) for field in ("name", "relationship", "email", "phone")
}
MAX_ROWS = 100_000


class RosterFileError(ValueError):
    """The file as a whole cannot be read (not CSV, missing columns)."""


def _describe(error: ValidationError) -> str:
    """Pydantic's findings in the words of the roster's columns."""
    parts = []
    for item in error.errors():
        loc = [str(p) for p in item["loc"]]
        where = f"guardian{int(loc[1]) + 1}_{loc[2]}" if loc[:1] == ["guardians"] and len(loc) == 3 else (
            ".".join(loc) or "row")
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
        result.append(GuardianIn(
            name=name,
            relationship=(row.get(f"guardian{n}_relationship") or "parent").strip().lower() or "parent",
            email=(row.get(f"guardian{n}_email") or "").strip() or None,
            phone=(row.get(f"guardian{n}_phone") or "").strip() or None,
        ))
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
                "characters or a quote is not closed. Check that line in a spreadsheet and save it again.") from exc


def import_roster(session: Session, *, content: bytes, default_kind: str = "student") -> RosterReport:
    reader = _read_rows(content)
    report = RosterReport(created=0, updated=0, unchanged=0, rejected=[])
    seen: dict[str, int] = {}
    for number, row in enumerate(_checked(reader), start=2):
        if number - 1 > MAX_ROWS:
            raise RosterFileError(f"The roster has more than {MAX_ROWS} rows; split it.")
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(row.values()):
            continue
        external_id = row.get("external_id") or None
        if external_id in seen:
            report.rejected.append(RosterRowProblem(
                line=number, external_id=external_id,
                problem=f"external id repeated (first on line {seen[external_id]})"))
            continue
        if external_id:
            seen[external_id] = number
        try:
            with session.begin_nested():
                outcome = _import_row(session, row, default_kind)
        except ValidationError as exc:
            report.rejected.append(RosterRowProblem(line=number, external_id=external_id,
                                                    problem=_describe(exc)))
            continue
        except ValueError as exc:
            report.rejected.append(RosterRowProblem(line=number, external_id=external_id, problem=str(exc)))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _import_row(session: Session, row: dict[str, str], default_kind: str) -> str:
    data = PersonCreate(
        external_id=row.get("external_id", ""), kind=(row.get("kind") or default_kind).lower(),
        name=row.get("name", ""), school=row.get("school") or None, grade=row.get("grade") or None,
        guardians=_guardians(row),
    )
    status = (row.get("status") or "").lower() or None
    existing = find_by_external_id(session, data.external_id)
    if existing is None:
        person = add_person(session, data=data)
        if status:
            update_person(session, person=person, changes=PersonUpdate(status=status))
        return "created"
    if existing.kind != data.kind:
        raise ValueError(f"{data.external_id} is already recorded as a {existing.kind}, not a {data.kind}")
    changes = PersonUpdate(name=data.name, school=data.school, grade=data.grade,
                           **({"status": status} if status else {}))
    current = {"name": existing.name, "school": existing.school, "grade": existing.grade,
               "status": existing.status}
    wanted = changes.model_dump(exclude_none=True)
    old_guardians = [(g.name, g.relationship, g.email, g.phone) for g in session.exec(
        select(Guardian).where(Guardian.student_id == existing.id).order_by(col(Guardian.id)))]
    new_guardians = [(g.name, g.relationship, g.email, g.phone) for g in data.guardians]
    same = all(current.get(k) == v for k, v in wanted.items()) and (
        not data.guardians or old_guardians == new_guardians)
    if same:
        return "unchanged"
    update_person(session, person=existing, changes=PersonUpdate(**wanted))
    if data.guardians:
        replace_guardians(session, person=existing, guardians=data.guardians)
    return "updated"
