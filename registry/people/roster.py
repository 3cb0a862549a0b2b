"""Roster import from the student information system or HR: CSV, idempotent by external id.

The whole file is read and every row validated before anything is written, so a file that cannot be
read writes nothing, and a bad row is reported with its line and nothing of it is written. The good rows
are then written a batch at a time (registry/people/roster_batch.py): one lookup of who exists, multi-row inserts
and updates, and the audit entries appended together. The caller's ``checkpoint`` (the request's or
command's commit) runs before the first batch and after each one, so that no transaction, and on SQLite no
hold of the write lock, lasts longer than one batch: sign-in, clearances and /healthz go on during an import.

Comma- and semicolon-separated files are both read (a spreadsheet set to a European locale saves the
latter); the header line decides which. An optional ``groups`` column names a person's groups, separated by
``;`` ("U12 Soccer; Choir"): the person is added to each (a missing group is made, at the person's school);
taking someone out of a group is done on the group's page.

An import cut short (a crash, a stop) leaves the batches before it written; rows are matched by external
id, so importing the same file again completes it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import date
from functools import lru_cache
from typing import get_args

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlmodel import Session

from registry.people.roster_batch import GroupIndex, RosterGuardian, Row, write_batch
from registry.people.schemas import (
    GuardianIn,
    GuardianRelationship,
    PersonCreate,
    PersonUpdate,
    RosterReport,
    RosterRowProblem,
)
from registry.policy.ledger import District
from registry.policy.vocabulary import PERSON_KINDS, PERSON_STATUSES

REQUIRED_COLUMNS = {"external_id", "name"}
KNOWN_COLUMNS = (
    REQUIRED_COLUMNS
    | {"kind", "school", "grade", "status", "birth_date", "groups"}
    | {f"guardian{n}_{field}" for n in (1, 2) for field in ("name", "relationship", "email", "phone")}
)
MAX_ROWS = 100_000
MAX_GROUPS_PER_ROW = 20
GROUP_NAME_LENGTH = 120
# Rows written per transaction: on SQLite the write lock is held for tens of milliseconds at a time.
BATCH_ROWS = 500


class RosterFileError(ValueError):
    """The file as a whole cannot be read (not CSV, missing columns)."""


def import_roster(
    session: Session,
    *,
    content: bytes,
    district: District,
    by: int | None,
    default_kind: str = "student",
    checkpoint: Callable[[], None] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> RosterReport:
    """Validates every row, then writes the good ones a batch at a time (``checkpoint`` between batches).
    ``by`` is the account that groups named in the file are made under."""
    report = RosterReport(created=0, updated=0, unchanged=0, rejected=[], groups_created=[], summary="")
    rows = _validated_rows(content, default_kind, report)
    if by is None and any(row.groups for row in rows):
        raise RosterFileError(
            "The roster names groups, and groups are made under an account: import it signed in, or name an "
            "account (--as)."
        )
    groups = GroupIndex(created_by_id=by)
    for start in range(0, len(rows), batch_rows):
        if checkpoint is not None:
            checkpoint()
        write_batch(session, rows[start : start + batch_rows], report, groups=groups, district=district)
    if checkpoint is not None:
        checkpoint()
    report.rejected.sort(key=lambda problem: problem.line)
    report.summary = summary(report)
    return report


def summary(report: RosterReport) -> str:
    """What the import did, in one sentence; it says so when nothing changed."""
    counts = f"{report.created} added, {report.updated} updated, {report.unchanged} already up to date"
    rejected = len(report.rejected)
    not_imported = f"{rejected} row{'' if rejected == 1 else 's'} not imported"
    if report.created == report.updated == 0:
        if rejected:
            return f"Nothing changed: {report.unchanged} already up to date, {not_imported}."
        if report.unchanged == 0:
            return "Nothing changed: the file has no rows to import."
        return f"Nothing changed: all {report.unchanged} rows were already up to date."
    if rejected:
        return f"{counts}; {not_imported}."
    return f"Every row was imported: {counts}."


def _describe(error: ValidationError, *, column: str = "") -> str:
    """Pydantic's findings in the words of the roster's columns (``column``: the prefix of a guardian's)."""
    parts = []
    for item in error.errors():
        loc = [str(p) for p in item["loc"]]
        where = (
            f"guardian{int(loc[1]) + 1}_{loc[2]}"
            if loc[:1] == ["guardians"] and len(loc) == 3
            else (column + ".".join(loc) if loc else "row")
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


# An address whose part before the @ is plain ASCII is valid exactly when its domain is, and reads back as
# written with the domain normalised; the domain (a roster repeats a few of them) is checked once.
_PLAIN_LOCAL_PART = re.compile(r"[A-Za-z0-9_+\-]{1,64}(?:\.[A-Za-z0-9_+\-]{1,64})*")
_EMAIL = TypeAdapter(EmailStr)


@lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str | None:
    """The domain as an email address has it once validated, or None if it is not valid."""
    try:
        return _EMAIL.validate_python(f"a@{domain}").rpartition("@")[2]
    except ValidationError:
        return None


def plain_email(value: str) -> str | None:
    """``value`` as GuardianIn would validate it, if it is a plain address with a valid domain (each domain
    is checked once); None for anything else, which GuardianIn validates in full, with its own message."""
    local, at, domain = value.rpartition("@")
    if at and len(local) <= 64 and domain.isascii() and _PLAIN_LOCAL_PART.fullmatch(local):
        checked = _checked_domain(domain)
        if checked is not None and len(local) + 1 + len(checked) <= 254:
            return f"{local}@{checked}"
    return None


def _guardians(row: dict[str, str]) -> list[GuardianIn]:
    result = []
    for n in (1, 2):
        name = row.get(f"guardian{n}_name") or ""
        if not name:
            continue
        email = row.get(f"guardian{n}_email") or None
        checked = plain_email(email) if email is not None else None
        guardian = {
            "name": name,
            "relationship": (row.get(f"guardian{n}_relationship") or "parent").lower(),
            "email": email,
            "phone": row.get(f"guardian{n}_phone") or None,
        }
        try:
            if checked is None:
                result.append(GuardianIn.model_validate(guardian))
                continue
            checked_guardian = GuardianIn.model_validate({**guardian, "email": None})  # the rest of it
        except ValidationError as exc:  # named by the roster's columns: guardian1_email, not email
            raise ValueError(_describe(exc, column=f"guardian{n}_")) from exc
        checked_guardian.email = checked
        result.append(checked_guardian)
    return result


def _groups(cell: str) -> tuple[str, ...]:
    names: dict[str, str] = {}
    for part in cell.split(";"):
        name = " ".join(part.split())
        if name:
            names.setdefault(name.casefold(), name)
    if len(names) > MAX_GROUPS_PER_ROW:
        raise ValueError(f"groups names more than {MAX_GROUPS_PER_ROW} groups")
    for name in names.values():
        if len(name) > GROUP_NAME_LENGTH:
            raise ValueError(f"groups: {name[:40]!r}... is longer than {GROUP_NAME_LENGTH} characters")
        if "\x00" in name:
            raise ValueError("groups may not contain NUL (\\x00) characters")
    return tuple(names.values())


def delimiter_of(header: str) -> str:
    """The separator a roster's header line uses: ';' (a spreadsheet in a European locale) or ','."""
    return ";" if header.count(";") > header.count(",") else ","


def _read_rows(content: bytes) -> csv.DictReader[str]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterFileError("The roster must be a CSV file saved as UTF-8.") from exc
    header = text.split("\n", 1)[0]
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter_of(header))
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


def _validated_rows(content: bytes, default_kind: str, report: RosterReport) -> list[Row]:
    """Every good row of the file; the bad ones go to the report. Reads no table and writes nothing."""
    reader = _read_rows(content)
    seen: dict[str, int] = {}
    rows: list[Row] = []
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
            plain = _plainly_valid(row, default_kind)
            if plain is None:  # anything unusual: the schemas decide, in their words
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
            groups = _groups(row.get("groups") or "")
        except ValidationError as exc:
            report.rejected.append(RosterRowProblem(line=number, external_id=external_id, problem=_describe(exc)))
            continue
        except ValueError as exc:
            report.rejected.append(RosterRowProblem(line=number, external_id=external_id, problem=str(exc)))
            continue
        rows.append(Row.of(number, data, status, groups) if plain is None else Row.made(number, *plain, groups))
    return rows


# What PersonCreate, GuardianIn and PersonUpdate accept as given, checked without them (a roster is tens of
# thousands of such rows): every text printable (so no NUL, and nothing their whitespace stripping would
# remove from a value already stripped) and within its length, the words from their lists, a plain address.
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")  # PersonCreate.external_id's pattern and lengths
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RELATIONSHIPS = frozenset(get_args(GuardianRelationship))
PlainRow = tuple[str, str, str, str | None, str | None, date | None, tuple[RosterGuardian, ...], str | None]


def _plainly_valid(row: dict[str, str], default_kind: str) -> PlainRow | None:
    """The row's fields (Row.made's order) as the schemas would validate them, when it is plainly valid;
    None for anything else, which they validate in full, with their own messages."""
    external_id, name = row.get("external_id") or "", row.get("name") or ""
    kind = (row.get("kind") or default_kind).lower()
    school, grade = row.get("school") or None, row.get("grade") or None
    if not (
        _EXTERNAL_ID.fullmatch(external_id)
        and kind in PERSON_KINDS
        and name
        and _text(name, 200)
        and _text(school, 120)
        and _text(grade, 20)
    ):
        return None
    born = row.get("birth_date") or None
    birth_date = None
    if born is not None:
        if not _ISO_DATE.fullmatch(born):
            return None
        try:
            birth_date = date.fromisoformat(born)
        except ValueError:
            return None
    guardians: list[RosterGuardian] = []
    for n in (1, 2):
        guardian_name = row.get(f"guardian{n}_name") or ""
        if not guardian_name:
            continue
        relationship = (row.get(f"guardian{n}_relationship") or "parent").lower()
        email, phone = row.get(f"guardian{n}_email") or None, row.get(f"guardian{n}_phone") or None
        if kind != "student" or relationship not in _RELATIONSHIPS or not _text(guardian_name, 200):
            return None
        if not _text(phone, 40):
            return None
        checked = None if email is None else plain_email(email)
        if email is not None and checked is None:
            return None
        guardians.append(RosterGuardian(guardian_name, relationship, checked, phone))
    status = (row.get("status") or "").lower() or None
    if status is not None and status not in PERSON_STATUSES:
        return None
    return external_id, kind, name, school, grade, birth_date, tuple(guardians), status


def _text(value: str | None, longest: int) -> bool:
    return value is None or (len(value) <= longest and value.isprintable())
