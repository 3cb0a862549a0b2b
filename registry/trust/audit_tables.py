"""The audit log against the tables it speaks for: a row changed, deleted or added behind the log's back.

A hash chain proves the log was not edited, but not that the tables still say what the log last said:
deleting a revocation row directly would re-activate its consent with the chain intact, a leader added
to a group would learn its members' names, a revoked API token made live again would act for its
account. So every audited table (people, consents and their revocations and scans, face templates,
accounts and API tokens, groups with their members and leaders, clearances with their faces, the consents
they relied on and reviewers' acts, takedowns, events, albums, the sign-in back-off) is replayed row by
row: the log's last word on each row must hold. Every table, not a chosen few, so that a table added later
is checked without anyone remembering to list it. A row the log says exists must exist with the logged
values (secrets and images only as present or absent); a row the log says was deleted must be gone; a row
with no entry at all was written behind the log's back. A row whose key has several columns (a group's
member) is named as the log names it, ``group_id=1,person_id=2``.

The replay reads one table's entries ordered by row, a thousand rows at a time, so memory does not grow
with the registry. A bulk UPDATE on a table (logged by statement, not by row) makes the columns it set
unknown for the rows before it; a bulk DELETE makes those rows' existence unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Date, DateTime, Table, select
from sqlmodel import Session, SQLModel

from registry.core.audit import NOT_AUDITED, summary
from registry.models.audit import AuditEntry
from registry.models.base import as_utc

ROWS_PER_CHECK = 1000
_NOT_LOGGED = "not logged)"


@dataclass
class RowProblem:
    """The first row found not to agree with the log: the entry holding the log's last word on it
    (None for a row the log never mentions), the table and row, and what is wrong, in plain words."""

    entry_id: int | None
    table_name: str
    row_id: str
    problem: str


@dataclass
class _Expected:
    row_id: str
    last_entry: int = 0
    last_action: str = ""
    exists: bool = False
    maybe_deleted: bool = False
    values: dict[str, Any] = field(default_factory=dict)


def first_disagreement(session: Session) -> RowProblem | None:
    """The row whose log entry is earliest among those the tables contradict; then rows with no entry."""
    found: RowProblem | None = None
    for table in checked_tables():
        problem = _check_table(session, table)
        if problem is not None and (found is None or _earlier(problem, found)):
            found = problem
    return found


def checked_tables() -> list[Table]:
    """Every table the audit log speaks for, in a fixed order."""
    return [t for name, t in sorted(SQLModel.metadata.tables.items()) if name not in NOT_AUDITED]


def _earlier(one: RowProblem, other: RowProblem) -> bool:
    if other.entry_id is None:
        return one.entry_id is not None
    return one.entry_id is not None and one.entry_id < other.entry_id


def _check_table(session: Session, table: Table) -> RowProblem | None:
    bulk = _bulk_entries(session, table.name)
    logged_ids: set[str] = set()
    found: RowProblem | None = None
    chunk: list[_Expected] = []
    for expected in _replay(session, table.name, bulk):
        logged_ids.add(expected.row_id)
        chunk.append(expected)
        if len(chunk) >= ROWS_PER_CHECK:
            found = _first(found, _compare(session, table, chunk))
            chunk = []
    if chunk:
        found = _first(found, _compare(session, table, chunk))
    if found is None:
        found = _unlogged_row(session, table, logged_ids)
    return found


def _first(found: RowProblem | None, problem: RowProblem | None) -> RowProblem | None:
    if problem is None:
        return found
    return problem if found is None or _earlier(problem, found) else found


def _bulk_entries(session: Session, table_name: str) -> list[tuple[int, str, dict[str, Any]]]:
    entries = AuditEntry.__table__  # type: ignore[attr-defined]
    rows = session.connection().execute(
        select(entries.c.id, entries.c.action, entries.c.changes)
        .where(entries.c.table_name == table_name, entries.c.row_id == "*")
        .order_by(entries.c.id)
    )
    return [(int(r[0]), str(r[1]), dict(r[2] or {})) for r in rows]


def _replay(session: Session, table_name: str, bulk: list[tuple[int, str, dict[str, Any]]]) -> Iterator[_Expected]:
    """Each row's state after the log's last word on it, one row at a time, in row-id order."""
    entries = AuditEntry.__table__  # type: ignore[attr-defined]
    result = session.connection().execute(
        select(entries.c.id, entries.c.row_id, entries.c.action, entries.c.changes)
        .where(entries.c.table_name == table_name, entries.c.row_id != "*")
        .order_by(entries.c.row_id, entries.c.id)
        .execution_options(yield_per=ROWS_PER_CHECK)
    )
    current: _Expected | None = None
    for entry_id, row_id, action, changes in result:
        if current is None or current.row_id != row_id:
            if current is not None:
                yield _after_bulk(current, bulk, until=None)
            current = _Expected(row_id=row_id)
        _after_bulk(current, bulk, until=entry_id)
        current.last_entry, current.last_action = int(entry_id), str(action)
        if action == "delete":
            current.exists, current.maybe_deleted, current.values = False, False, {}
        else:
            current.exists, current.maybe_deleted = True, False
            current.values.update((changes or {}).get("after") or {})
    result.close()
    if current is not None:
        yield _after_bulk(current, bulk, until=None)


def _after_bulk(row: _Expected, bulk: list[tuple[int, str, dict[str, Any]]], *, until: int | None) -> _Expected:
    """Applies the bulk statements between this row's last entry and ``until`` (None: the end of the log)."""
    for entry_id, action, changes in bulk:
        if entry_id <= row.last_entry or (until is not None and entry_id >= until):
            continue
        if not row.exists:
            continue
        if action == "delete":
            row.maybe_deleted = True
        for column in changes.get("columns") or []:
            row.values.pop(column, None)
    return row


def _compare(session: Session, table: Table, chunk: list[_Expected]) -> RowProblem | None:
    key = next(iter(table.primary_key.columns))  # the first column of the key: enough to fetch the rows
    ids = sorted({_first_key_value(table, e.row_id) for e in chunk} - {None}, key=str)
    found = {
        _row_id(table, row._mapping): row._mapping
        for row in session.connection().execute(select(table).where(key.in_(ids)))
    }
    problem: RowProblem | None = None
    for expected in chunk:
        actual = found.get(expected.row_id)
        if actual is None:
            if expected.exists and not expected.maybe_deleted:
                problem = _first(
                    problem,
                    RowProblem(
                        expected.last_entry,
                        table.name,
                        expected.row_id,
                        f"{table.name} row {expected.row_id} is gone, but the audit log's last word on it (entry "
                        f"{expected.last_entry}, {expected.last_action}) says it exists: it was deleted behind the "
                        "log's back",
                    ),
                )
            continue
        if not expected.exists:
            problem = _first(
                problem,
                RowProblem(
                    expected.last_entry,
                    table.name,
                    expected.row_id,
                    f"{table.name} row {expected.row_id} exists, but the audit log deleted it in entry "
                    f"{expected.last_entry}: it was put back behind the log's back",
                ),
            )
            continue
        for column_name, logged in expected.values.items():
            if column_name not in table.c:
                continue
            column = table.c[column_name]
            if not _same(column, logged, actual[column_name]):
                problem = _first(
                    problem,
                    RowProblem(
                        expected.last_entry,
                        table.name,
                        expected.row_id,
                        f"{table.name} row {expected.row_id} has {column_name} = "
                        f"{_shown(summary(column, column_name, actual[column_name]))}, but the audit log's last word "
                        f"on it (entry {expected.last_entry}) says {_shown(logged)}: it was changed behind the "
                        "log's back",
                    ),
                )
                break
    return problem


def _unlogged_row(session: Session, table: Table, logged_ids: set[str]) -> RowProblem | None:
    keys = list(table.primary_key.columns)
    result = session.connection().execute(select(*keys).order_by(*keys).execution_options(yield_per=ROWS_PER_CHECK))
    for row in result:
        row_id = _row_id(table, row._mapping)
        if row_id not in logged_ids:
            result.close()
            return RowProblem(
                None,
                table.name,
                row_id,
                f"{table.name} row {row_id} has no entry in the audit log: it was written behind the log's back",
            )
    return None


def _row_id(table: Table, row: Any) -> str:
    """The row as the audit log names it (registry/core/audit.py): its key, or each key column by name."""
    keys = list(table.primary_key.columns)
    if len(keys) == 1:
        return str(row[keys[0].name])
    return ",".join(f"{k.name}={row[k.name]}" for k in keys)


def _first_key_value(table: Table, row_id: str) -> Any:
    """The value of the key's first column in a row id the log wrote; None if the id cannot be one."""
    key = next(iter(table.primary_key.columns))
    if len(table.primary_key.columns) > 1:
        name, _, value = row_id.split(",", 1)[0].partition("=")
        if name != key.name:
            return None
        row_id = value
    try:
        return int(row_id) if key.type.python_type is int else row_id
    except NotImplementedError:
        return row_id
    except ValueError:
        return None


def _same(column: Column[Any], logged: Any, value: Any) -> bool:
    if isinstance(logged, str) and logged.endswith(_NOT_LOGGED):
        return value is not None  # a secret or an image: only whether it is there
    if logged is None or value is None:
        return logged is None and value is None
    if isinstance(column.type, DateTime) and isinstance(value, datetime) and isinstance(logged, str):
        try:
            return as_utc(datetime.fromisoformat(logged)) == as_utc(value)
        except ValueError:
            return False
    if isinstance(column.type, Date) and isinstance(value, date):
        return logged == value.isoformat()
    return bool(summary(column, column.name, value) == logged)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
