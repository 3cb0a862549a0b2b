"""Consents: record, list, fetch, revoke, and the scanned form as evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile

from api.deps import DistrictDep, Limit, OfficeUser, Offset, SessionDep, SettingsDep
from registry.consents import service as consents
from registry.consents.schemas import ConsentCreate, ConsentPublic, ConsentRevoke, PaperFormCreate
from registry.core.errors import NotFound
from registry.core.schemas import Page
from registry.core.storage import storage_for
from registry.policy.vocabulary import ConsentKind, ConsentStatus

router = APIRouter(tags=["consents"])


@router.get("/consents", response_model=Page[ConsentPublic])
def list_consents(
    session: SessionDep,
    district: DistrictDep,
    _: OfficeUser,
    person_id: int | None = None,
    kind: ConsentKind | None = None,
    status: ConsentStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ConsentPublic]:
    rows, total = consents.list_consents(
        session, person_id=person_id, kind=kind, status=status, limit=limit, offset=offset
    )
    return Page(
        items=[consents.consent_public(session, c, district=district) for c in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("/consents", response_model=ConsentPublic, status_code=201)
def record_consent(data: ConsentCreate, session: SessionDep, district: DistrictDep, user: OfficeUser) -> ConsentPublic:
    assert user.id is not None
    consent = consents.record_consent(session, data=data, entered_by_id=user.id, district=district)
    return consents.consent_public(session, consent, district=district)


@router.post("/consents/forms", response_model=list[ConsentPublic], status_code=201)
def record_paper_form(
    data: PaperFormCreate, session: SessionDep, district: DistrictDep, user: OfficeUser
) -> list[ConsentPublic]:
    """One signed paper answering several questions (a photo release and face enrolment): one consent per
    answer, recorded together. The same scan may then be attached to each (POST /consents/{id}/evidence)."""
    assert user.id is not None
    recorded = consents.record_paper_form(session, data=data, entered_by_id=user.id, district=district)
    return [consents.consent_public(session, consent, district=district) for consent in recorded]


@router.get("/consents/{consent_id}", response_model=ConsentPublic)
def get_consent(consent_id: int, session: SessionDep, district: DistrictDep, _: OfficeUser) -> ConsentPublic:
    return consents.consent_public(session, consents.get_consent(session, consent_id), district=district)


@router.post("/consents/{consent_id}/revoke", response_model=ConsentPublic)
def revoke_consent(
    consent_id: int, data: ConsentRevoke, session: SessionDep, district: DistrictDep, user: OfficeUser
) -> ConsentPublic:
    assert user.id is not None
    consent = consents.get_consent(session, consent_id)
    revocation = consents.revoke_consent(
        session, consent=consent, reason=data.reason, revoked_by_id=user.id, district=district
    )
    # A corrected form is revoked through the correction in force: the answer is the form that was revoked.
    return consents.consent_public(session, consents.get_consent(session, revocation.consent_id), district=district)


@router.post(
    "/consents/{consent_id}/evidence",
    response_model=ConsentPublic,
    status_code=201,
    responses={409: {"description": "the same scan is already kept with this form or another person's form"}},
)
def attach_evidence(
    consent_id: int,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    user: OfficeUser,
    file: Annotated[UploadFile, File(description="the signed form: PDF, JPEG or PNG")],
) -> ConsentPublic:
    assert user.id is not None
    consent = consents.get_consent(session, consent_id)
    data = file.file.read(settings.max_evidence_bytes + 1)
    consents.attach_evidence(
        session,
        consent=consent,
        data=data,
        filename=file.filename or "scan",
        store=storage_for(settings),
        max_bytes=settings.max_evidence_bytes,
        max_decode_bytes=settings.max_decode_bytes,
        check_cpu_seconds=settings.scan_check_cpu_seconds,
        uploaded_by_id=user.id,
    )
    return consents.consent_public(session, consent, district=district)


@router.get(
    "/consents/{consent_id}/evidence/{evidence_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
def download_evidence(
    consent_id: int,
    evidence_id: int,
    session: SessionDep,
    settings: SettingsDep,
    _: OfficeUser,
) -> Response:
    for evidence in consents.evidence_of(session, consent_id):
        if evidence.id == evidence_id:
            scan = consents.read_evidence(storage_for(settings), evidence)
            if scan is None:
                raise NotFound("The scan's file is missing from storage; restore it from a backup.")
            return Response(
                scan,
                media_type=evidence.content_type,
                headers={
                    "Content-Disposition": f'attachment; filename="consent-{consent_id}-{evidence.id}"',
                    "X-Content-Type-Options": "nosniff",
                    "Cache-Control": "no-store",
                    "Content-Security-Policy": "sandbox; default-src 'none'",
                },
            )
    raise NotFound(f"Consent {consent_id} has no scan with id {evidence_id}.")
