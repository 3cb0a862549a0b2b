"""The audit log: every write to the registry's tables appends a hash-chained entry in the same transaction.

One mechanism for every service: the registry's session class (RegistrySession in registry/core/db.py,
where these hooks are attached) looks at what a flush writes (inserts, changed columns,
deletes) and at bulk UPDATE/DELETE statements, and append entries through the connection, so an entry
exists exactly when its write commits. Secrets and biometric data are named, never logged.

Entries are chained in commit order: on PostgreSQL a transaction-scoped advisory lock is taken before
the previous hash is read and held until commit; SQLite serialises writers already (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import LargeBinary, inspect, select, text
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from registry.core import bulk
from registry.models.audit import GENESIS_HASH, AuditEntry
from registry.models.base import as_utc, utcnow

# Bookkeeping, not records: the chain itself, version counters, upload claims, request counts and leases
# (models/shared.py).
NOT_AUDITED = frozenset(
    {"audit_entries", "registry_state", "alembic_version", "upload_claims", "rate_counts", "leases"}
)
SECRET_COLUMNS = {  # never logged, only named
    "encoding": "128 numbers",
    "password_hash": "password hash",
    "token_hash": "token hash",
    "token_salt": "link secret",
    "code_hash": "short code hash",
    "thumbnail": "JPEG thumbnail",
}
CHAIN_LOCK_KEY = 4_118_051_303  # any constant; PostgreSQL advisory locks are per database
UNATTRIBUTED = "unattributed"
_DELETED = "audit_deleted_rows"

Change = tuple[str, str, str, dict[str, Any]]  # action, table, row id, changes


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_json_string = json.encoder.encode_basestring  # a str as _CANONICAL writes it (ensure_ascii=False)
COLUMNS = ("id", "at", "actor", "table_name", "row_id", "action", "changes", "prev_hash", "hash")


def canonical_json(value: Any) -> str:
    return _CANONICAL.encode(value)


def entry_body(entry: AuditEntry | Mapping[str, Any]) -> dict[str, Any]:
    """What the hash covers: every column of the entry except the hash itself."""
    get = (lambda k: getattr(entry, k)) if isinstance(entry, AuditEntry) else entry.__getitem__
    return {
        "id": get("id"),
        "at": as_utc(get("at")).isoformat(),
        "actor": get("actor"),
        "table_name": get("table_name"),
        "row_id": get("row_id"),
        "action": get("action"),
        "changes": get("changes"),
        "prev_hash": get("prev_hash"),
    }


def entry_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256((body["prev_hash"] + canonical_json(body)).encode()).hexdigest()


def plain(value: Any) -> Any:
    """A JSON value that reads back exactly as it was hashed."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, datetime):
        return as_utc(value).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"({len(bytes(value))} bytes, not logged)"
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return str(value)


def audited(obj: object) -> bool:
    table = getattr(type(obj), "__tablename__", None)
    return isinstance(table, str) and table not in NOT_AUDITED


def summary(column: Any, key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in SECRET_COLUMNS or isinstance(column.type, LargeBinary):
        return f"({SECRET_COLUMNS.get(key, 'binary data')}, not logged)"
    return plain(value)


def lock_chain(session: Session) -> None:
    """Hold the chain until this transaction ends, so the previous hash read next stays the last one."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def append_entries(session: Session, changes: Iterable[Change]) -> None:
    """Chains and inserts entries in this session's transaction (call lock_chain first on PostgreSQL).

    Each entry's changes are serialised once, as canonical JSON: that text is what its hash covers (inside
    entry_body's canonical JSON, written out here key by key in sorted order) and what the changes column
    keeps, so it reads back as the same dict."""
    changes = list(changes)
    if not changes:
        return
    connection = session.connection()
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    last = connection.execute(select(table.c.id, table.c.hash).order_by(table.c.id.desc()).limit(1)).first()
    last_id, prev_hash = (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)
    at, actor = utcnow(), str(session.info.get("actor") or UNATTRIBUTED)[:100]
    at_stored = at if (convert := bulk.converter(connection, table.c.at)) is None else convert(at)
    actor_json, at_json = _json_string(actor), _json_string(as_utc(at).isoformat())  # as entry_body reads them
    rows = []
    for action, table_name, row_id, summary_ in changes:
        last_id += 1
        row_id = row_id[:100]
        text_ = canonical_json(summary_)
        body = (  # canonical_json(entry_body(entry)): its keys in sorted order, the changes as serialised
            f'{{"action":{_json_string(action)},"actor":{actor_json},"at":{at_json},"changes":{text_},'
            f'"id":{last_id},"prev_hash":{_json_string(prev_hash)},"row_id":{_json_string(row_id)},'
            f'"table_name":{_json_string(table_name)}}}'
        )
        entry = hashlib.sha256((prev_hash + body).encode()).hexdigest()
        rows.append((last_id, at_stored, actor, table_name, row_id, action, text_, prev_hash, entry))
        prev_hash = entry
    bulk.insert_rows(connection, table, COLUMNS, rows)


def record_act(session: Session, *, table_name: str, row_id: str, action: str, changes: dict[str, Any]) -> None:
    """An entry for an act that is more than its row changes (a purge), e.g. what was removed, by count."""
    session.flush()
    lock_chain(session)
    append_entries(session, [(action, table_name, row_id, plain(changes))])


def _row_id(obj: object) -> str:
    state = inspect(obj)
    identity = state.identity or state.mapper.primary_key_from_instance(obj)
    names = [c.name for c in state.mapper.primary_key]
    if len(names) == 1:
        return str(identity[0])
    return ",".join(f"{n}={v}" for n, v in zip(names, identity, strict=True))


def _values(obj: object) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {a.key: summary(a.columns[0], a.key, getattr(obj, a.key)) for a in mapper.column_attrs}


def _changed(obj: object) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.added:
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0]
        if history.deleted and old == new:
            continue
        column = attr.columns[0]
        if attr.key in SECRET_COLUMNS or isinstance(column.type, LargeBinary):
            what = SECRET_COLUMNS.get(attr.key, "binary data")
            before[attr.key] = f"({what}, not logged)" if old is not None else None
            after[attr.key] = f"({what}, changed, not logged)" if new is not None else None
            continue
        before[attr.key] = summary(column, attr.key, old) if history.deleted else "(not loaded)"
        after[attr.key] = summary(column, attr.key, new)
    return before, after


def before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Before a flush: take the chain's lock, and remember what the rows being deleted held."""
    session.info.pop(_DELETED, None)  # left over from a flush that failed
    touched = [o for o in (*session.new, *session.dirty, *session.deleted) if audited(o)]
    if not touched:
        return
    lock_chain(session)
    session.info[_DELETED] = [(type(o).__tablename__, _row_id(o), _values(o)) for o in session.deleted if audited(o)]


def after_flush(session: Session, _flush: UOWTransaction) -> None:
    """After a flush: one entry per row inserted, changed or deleted, in the same transaction."""
    changes: list[Change] = []
    for obj in session.new:
        if audited(obj):
            changes.append(("insert", type(obj).__tablename__, _row_id(obj), {"after": _values(obj)}))
    for obj in session.dirty:
        if audited(obj) and obj not in session.deleted:
            before, after = _changed(obj)
            if after:
                changes.append(("update", type(obj).__tablename__, _row_id(obj), {"before": before, "after": after}))
    for table_name, row_id, values in session.info.pop(_DELETED, []):
        changes.append(("delete", table_name, row_id, {"before": values}))
    append_entries(session, changes)


def bulk_write(state: ORMExecuteState) -> Any:
    """UPDATE/DELETE statements skip the unit of work: record the statement and how many rows it hit."""
    if not (state.is_update or state.is_delete):
        return None
    table_name = getattr(getattr(state.statement, "table", None), "name", None)
    if table_name is None or table_name in NOT_AUDITED:
        return None
    lock_chain(state.session)
    result = state.invoke_statement()
    rows = int(getattr(result, "rowcount", -1))
    if rows == 0:
        return result  # nothing was written
    statement: Any = state.statement
    summary_: dict[str, Any] = {"where": "all rows", "rows": rows}
    if statement.whereclause is not None:
        where = statement.whereclause.compile()
        summary_["where"] = str(where)
        summary_["values"] = {
            key: "(not logged)" if key.rsplit("_", 1)[0] in SECRET_COLUMNS else plain(value)
            for key, value in where.params.items()
        }
    if state.is_update:  # the columns it set, not their values: one of them could be a secret
        summary_["columns"] = sorted(str(getattr(k, "key", k)) for k in dict(statement._values or {}))
    append_entries(state.session, [("update" if state.is_update else "delete", table_name, "*", summary_)])
    return result
