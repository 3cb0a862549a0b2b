"""The audit log for administrators: entries, the head to keep elsewhere, and verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import AdminUser, Limit, Offset, SessionDep
from registry.core.schemas import Page
from registry.trust import audit_log
from registry.trust.schemas import AuditEntryPublic, AuditHead, AuditVerification

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=Page[AuditEntryPublic])
def list_audit(
    session: SessionDep,
    _: AdminUser,
    table_name: Annotated[str | None, Query(max_length=60, description="e.g. consents, face_templates")] = None,
    row_id: Annotated[str | None, Query(max_length=100, description="the row's id within that table")] = None,
    actor: Annotated[str | None, Query(max_length=100, description="e.g. user:3, cli:import-roster")] = None,
    action: Annotated[str | None, Query(max_length=10, description="insert, update, delete or purge")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditEntryPublic]:
    """Newest first. Secrets and biometric data are never in the log: such columns are only named."""
    rows, total = audit_log.list_entries(
        session,
        table_name=table_name,
        row_id=row_id,
        actor=actor,
        action=action,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[AuditEntryPublic.model_validate(r.model_dump()) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/audit/head", response_model=AuditHead)
def audit_head(session: SessionDep, _: AdminUser) -> AuditHead:
    """The newest entry's id and hash. Keep them outside this server: verifying against them later
    proves nothing after them was cut off."""
    return audit_log.head(session)


@router.get("/audit/verify", response_model=AuditVerification)
def verify_audit(
    session: SessionDep,
    _: AdminUser,
    expected_head_id: Annotated[int | None, Query(ge=1, description="a head exported earlier")] = None,
    expected_head_hash: Annotated[str | None, Query(pattern="^[0-9a-f]{64}$")] = None,
) -> AuditVerification:
    """Recomputes every entry's hash and link; names the first broken entry and why."""
    return audit_log.verify(session, expected_head_id=expected_head_id, expected_head_hash=expected_head_hash)
