"""Reading the audit log: listing entries, its head, and verifying the chain end to end."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from registry.core.audit import entry_body, entry_hash
from registry.models.audit import GENESIS_HASH, AuditEntry
from registry.models.base import as_utc
from registry.trust.audit_tables import first_disagreement
from registry.trust.schemas import AuditHead, AuditVerification

VERIFY_BATCH = 2000


def list_entries(
    session: Session,
    *,
    table_name: str | None = None,
    row_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """Newest first."""
    statement = select(AuditEntry)
    for column, value in (
        (col(AuditEntry.table_name), table_name),
        (col(AuditEntry.row_id), row_id),
        (col(AuditEntry.actor), actor),
        (col(AuditEntry.action), action),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if since is not None:
        statement = statement.where(col(AuditEntry.at) >= as_utc(since))
    if until is not None:
        statement = statement.where(col(AuditEntry.at) < as_utc(until))
    total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
    rows = session.execute(statement.order_by(col(AuditEntry.id).desc()).limit(limit).offset(offset)).scalars()
    return list(rows), int(total)


def head(session: Session) -> AuditHead:
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    last = session.execute(select(table.c.id, table.c.hash).order_by(table.c.id.desc()).limit(1)).first()
    count = session.execute(select(func.count()).select_from(table)).scalar_one()
    if last is None:
        return AuditHead(last_id=0, hash=GENESIS_HASH, entries=0)
    return AuditHead(last_id=int(last[0]), hash=str(last[1]), entries=int(count))


def _problem(row: dict[str, Any], expected_id: int, expected_prev: str) -> tuple[int, str] | None:
    """The first thing wrong with this entry, given the entries before it verified."""
    if row["id"] != expected_id:
        gap = (
            f"entry {expected_id} is missing"
            if row["id"] == expected_id + 1
            else f"entries {expected_id} to {row['id'] - 1} are missing"
        )
        return expected_id, f"{gap}: deleted from the log (entry {row['id']} follows entry {expected_id - 1})"
    if entry_hash(entry_body(row)) != row["hash"]:
        return row["id"], (
            f"entry {row['id']} does not match its own hash: its content was changed, "
            "or swapped with another entry's, after it was written"
        )
    if row["prev_hash"] != expected_prev:
        return row["id"], (
            f"entry {row['id']} does not follow entry {row['id'] - 1}: its previous hash is "
            f"not entry {row['id'] - 1}'s hash (entries were rewritten or reordered)"
        )
    return None


def verify(
    session: Session,
    *,
    expected_head_id: int | None = None,
    expected_head_hash: str | None = None,
) -> AuditVerification:
    """Walks the whole chain in id order. With a head exported earlier, also catches a cut-off tail. Then
    checks that the key tables still say what the log last said of each row (registry/trust/audit_tables.py)."""
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    expected_id, expected_prev, checked = 1, GENESIS_HASH, 0
    hash_at_expected_head: str | None = None
    result = session.connection().execute(select(table).order_by(table.c.id).execution_options(yield_per=VERIFY_BATCH))
    broken: tuple[int, str] | None = None
    for mapping in result.mappings():
        row = dict(mapping)
        broken = _problem(row, expected_id, expected_prev)
        if broken:
            break
        checked += 1
        if row["id"] == expected_head_id:
            hash_at_expected_head = row["hash"]
        expected_id, expected_prev = row["id"] + 1, row["hash"]
    result.close()
    current = head(session)
    if broken is None and expected_head_id is not None:
        if expected_head_id > current.last_id:
            broken = (
                current.last_id + 1,
                f"the log ends at entry {current.last_id}, but entry {expected_head_id} was exported "
                f"as the head earlier: entries {current.last_id + 1} to {expected_head_id} were cut off",
            )
        elif expected_head_hash is not None and hash_at_expected_head != expected_head_hash:
            broken = (
                expected_head_id,
                f"entry {expected_head_id}'s hash is not the one exported earlier: the log was rewritten",
            )
    if broken is None:
        disagreement = first_disagreement(session)
        if disagreement is not None:
            return AuditVerification(
                ok=False,
                entries_checked=checked,
                first_broken_id=disagreement.entry_id,
                problem=disagreement.problem,
                table_name=disagreement.table_name,
                row_id=disagreement.row_id,
                head=current,
            )
        return AuditVerification(ok=True, entries_checked=checked, head=current)
    return AuditVerification(
        ok=False, entries_checked=checked, first_broken_id=broken[0], problem=broken[1], head=current
    )
