"""Consents as recorded acts: granted or refused, revoked by a new act, never edited or deleted."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from media.images import DEFAULT_MAX_PIXELS
from registry import retention, takedowns
from registry.errors import Invalid, NotFound
from registry.models import Consent, ConsentEvidence, ConsentRevocation, Person, id_of, utcnow
from registry.people import get_person
from registry.scans import check_scan
from registry.schemas import ConsentCreate, ConsentPublic, EvidencePublic, RevocationPublic


def end_of_school_year(day: date) -> date:
    """The 30 June that closes the school year `day` falls in."""
    return date(day.year if (day.month, day.day) <= (6, 30) else day.year + 1, 6, 30)


def _check_signer(person: Person, data: ConsentCreate) -> None:
    if person.kind == "student" and data.kind != "logo_use":
        if data.signer_relationship not in ("parent", "guardian"):
            raise Invalid(
                f"{person.name} is a student: the form must be signed by a parent or guardian, "
                "not by the student."
            )
    elif person.kind != "student" and data.signer_relationship != "self":
        raise Invalid(f"{person.name} is an adult: the form must be signed by {person.name} themself.")
    if data.kind == "logo_use" and person.kind != "employee":
        raise Invalid("Permission to use the district logo is given to employees only.")


def record_consent(session: Session, *, data: ConsentCreate, entered_by_id: int) -> Consent:
    person = get_person(session, data.person_id)
    _check_signer(person, data)
    if data.corrects_id is not None:
        corrected = get_consent(session, data.corrects_id)
        if corrected.person_id != person.id:
            raise Invalid(f"Consent {corrected.id} is about someone else; it cannot be corrected here.")
    valid_from = data.valid_from or data.signed_on
    consent = Consent(
        **data.model_dump(exclude={"valid_from", "valid_until"}),
        valid_from=valid_from,
        valid_until=data.valid_until or end_of_school_year(valid_from),
        entered_by_id=entered_by_id,
    )
    session.add(consent)
    session.flush()
    return consent


def get_consent(session: Session, consent_id: int) -> Consent:
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise NotFound(f"No consent with id {consent_id}.")
    return consent


def revocation_of(session: Session, consent_id: int) -> ConsentRevocation | None:
    return session.exec(
        select(ConsentRevocation).where(ConsentRevocation.consent_id == consent_id)
    ).first()


def revoke_consent(session: Session, *, consent: Consent, reason: str, revoked_by_id: int) -> ConsentRevocation:
    # Two people revoking one form at once: on PostgreSQL the second waits for this row lock and then
    # finds the first one's revocation (SQLite's BEGIN IMMEDIATE already lets one writer in at a time).
    session.exec(select(Consent.id).where(Consent.id == id_of(consent)).with_for_update()).one()
    if revocation_of(session, consent.id or 0) is not None:
        raise Invalid(f"Consent {consent.id} was already revoked.")
    revocation = ConsentRevocation(consent_id=id_of(consent), reason=reason, revoked_by_id=revoked_by_id)
    session.add(revocation)
    session.flush()
    takedowns.on_revocation(session, consent=consent, revocation=revocation)
    if consent.kind == "biometric":  # the templates go with the consent (unless another is in force)
        retention.forget_biometrics_without_consent(session, person=get_person(session, consent.person_id))
    return revocation


def consent_state(consent: Consent, revocation: ConsentRevocation | None, today: date) -> str:
    if revocation is not None:
        return "revoked"
    if consent.status == "refused":
        return "refused"
    if today > consent.valid_until:
        return "expired"
    if today < consent.valid_from:
        return "not_yet_valid"
    return "active"


def sniff_evidence(data: bytes, *, max_bytes: int) -> str:
    """The scan's content type, after its content is checked whole (registry/scans.py)."""
    return check_scan(data, max_bytes=max_bytes, max_pixels=DEFAULT_MAX_PIXELS)


def base_name(filename: str) -> str:
    """The sent file name without any folders (either slash) or control characters, for display only."""
    name = re.split(r"[/\\]", "".join(c for c in filename if c.isprintable()))[-1].strip()[:255]
    return "scan" if name in ("", ".", "..") else name


def attach_evidence(
    session: Session, *, consent: Consent, data: bytes, filename: str, directory: Path,
    max_bytes: int, uploaded_by_id: int,
) -> ConsentEvidence:
    content_type = sniff_evidence(data, max_bytes=max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / digest
    if not target.exists():
        partial = target.with_suffix(".partial")
        partial.write_bytes(data)
        partial.replace(target)
    evidence = ConsentEvidence(
        consent_id=id_of(consent), sha256=digest, content_type=content_type, size_bytes=len(data),
        filename=base_name(filename), uploaded_by_id=uploaded_by_id,
    )
    session.add(evidence)
    session.flush()
    return evidence


def evidence_of(session: Session, consent_id: int) -> list[ConsentEvidence]:
    return list(session.exec(
        select(ConsentEvidence).where(ConsentEvidence.consent_id == consent_id)
        .order_by(col(ConsentEvidence.id))
    ))


def list_consents(
    session: Session, *, person_id: int | None = None, kind: str | None = None,
    status: str | None = None, limit: int = 50, offset: int = 0,
) -> tuple[list[Consent], int]:
    statement = select(Consent)
    for column, value in ((Consent.person_id, person_id), (Consent.kind, kind), (Consent.status, status)):
        if value is not None:
            statement = statement.where(column == value)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(col(Consent.id).desc()).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def consent_public(session: Session, consent: Consent, *, now: datetime | None = None) -> ConsentPublic:
    revocation = revocation_of(session, consent.id or 0)
    today = (now or utcnow()).date()
    return ConsentPublic.model_validate({
        **consent.model_dump(),
        "state": consent_state(consent, revocation, today),
        "revocation": RevocationPublic.model_validate(revocation.model_dump()) if revocation else None,
        "evidence": [EvidencePublic.model_validate(e.model_dump()) for e in evidence_of(session, consent.id or 0)],
    })
