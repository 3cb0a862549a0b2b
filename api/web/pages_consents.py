"""Office staff: record a consent from a paper form (with its scan), revoke one, download a scan."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep, SettingsDep
from api.web.auth import FormDep, OfficePage, PageRoute
from api.web.forms import FORM, field_errors, text_values, uploaded
from api.web.templating import CONSENT_KIND_LABELS, flash, render
from registry.consents import service as consents
from registry.consents import standing
from registry.consents.schemas import ConsentRevoke
from registry.core.errors import NotFound, RegistryError
from registry.core.storage import storage_for
from registry.models.accounts import User
from registry.models.consents import Consent
from registry.people import service as people
from registry.policy.ledger import day_label

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def keep_scan(
    session: SessionDep,
    settings: SettingsDep,
    *,
    consent: Consent,
    data: bytes,
    filename: str | None,
    user: User,
) -> None:
    """The uploaded scan, checked (registry/consents/scans.py) and kept with the form."""
    consents.attach_evidence(
        session,
        consent=consent,
        data=data,
        filename=filename or "scan",
        store=storage_for(settings),
        max_bytes=settings.max_evidence_bytes,
        max_decode_bytes=settings.max_decode_bytes,
        check_cpu_seconds=settings.scan_check_cpu_seconds,
        uploaded_by_id=user.id or 0,
    )


def photos(n: int) -> str:
    return "1 photo" if n == 1 else f"{n} photos"


@router.get("/consents/{consent_id}/revoke")
def revoke_form(
    request: Request,
    consent_id: int,
    session: SessionDep,
    district: DistrictDep,
    _: OfficePage,
) -> Response:
    consent = consents.get_consent(session, consent_id)
    return render(
        request,
        "consents/revoke.html",
        {
            "consent": consents.consent_public(session, consent, district=district),
            "person": people.get_person(session, consent.person_id),
            "values": {},
            "errors": {},
            "takedowns_expected": consents.revocation_would_take_down(session, consent=consent, district=district),
        },
    )


@router.post("/consents/{consent_id}/revoke")
def revoke(
    request: Request,
    form: FormDep,
    consent_id: int,
    session: SessionDep,
    district: DistrictDep,
    user: OfficePage,
) -> Response:
    consent = consents.get_consent(session, consent_id)
    person = people.get_person(session, consent.person_id)
    values = text_values(form)
    errors: dict[str, str] = {}
    try:
        data = ConsentRevoke.model_validate({"reason": values.get("reason", "")})
        with session.begin_nested():
            consents.revoke_consent(
                session, consent=consent, reason=data.reason, revoked_by_id=user.id or 0, district=district
            )
            sent = len(standing.requested_in(session))
    except ValidationError as exc:
        errors = field_errors(exc)
        if "reason" in errors:
            errors["reason"] = "Write a short reason (at least 3 characters), e.g. “Parent phoned the office”."
    except RegistryError as exc:
        errors = {FORM: exc.message}
    if errors:
        return render(
            request,
            "consents/revoke.html",
            {
                "consent": consents.consent_public(session, consent, district=district),
                "person": person,
                "values": values,
                "errors": errors,
                "takedowns_expected": consents.revocation_would_take_down(session, consent=consent, district=district),
            },
            status_code=422,
        )
    flash(
        request,
        f"{person.name}'s {CONSENT_KIND_LABELS[consent.kind].lower()} signed by {consent.signer_name} on "
        f"{day_label(consent.signed_on)} has been revoked."
        + (
            f" {photos(sent)} cleared earlier must now come down: their uploaders have been asked to take them down."
            if sent
            else " No photo cleared earlier relied on it."
        ),
    )
    return RedirectResponse(f"/people/{person.id}#consent-{consent_id}", status_code=303)


def _scan_page(
    request: Request,
    session: SessionDep,
    district: DistrictDep,
    consent: Consent,
    errors: dict[str, str],
    *,
    scan_lost: bool = False,
) -> Response:
    return render(
        request,
        "consents/attach_scan.html",
        {
            "consent": consents.consent_public(session, consent, district=district),
            "person": people.get_person(session, consent.person_id),
            "values": {},
            "errors": errors,
            "scan_lost": scan_lost,
        },
        status_code=422 if errors else 200,
    )


@router.get("/consents/{consent_id}/scans/new")
def attach_scan_form(
    request: Request, consent_id: int, session: SessionDep, district: DistrictDep, _: OfficePage
) -> Response:
    return _scan_page(request, session, district, consents.get_consent(session, consent_id), {})


@router.post("/consents/{consent_id}/scans/new")
def attach_scan(
    request: Request,
    form: FormDep,
    consent_id: int,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    user: OfficePage,
) -> Response:
    """A scan of a form recorded earlier without one (or a better copy): checked like any scan, kept with it."""
    consent = consents.get_consent(session, consent_id)
    scan = uploaded(form, "scan")
    if scan is None:
        return _scan_page(
            request, session, district, consent, {"scan": "Choose the file of the scanned form: a PDF, JPEG or PNG."}
        )
    try:
        with session.begin_nested():
            data = scan.file.read(settings.max_evidence_bytes + 1)
            keep_scan(session, settings, consent=consent, data=data, filename=scan.filename, user=user)
    except RegistryError as exc:
        return _scan_page(request, session, district, consent, {"scan": exc.message}, scan_lost=True)
    flash(
        request,
        f"The scan has been attached to the {CONSENT_KIND_LABELS[consent.kind].lower()} signed by "
        f"{consent.signer_name} on {day_label(consent.signed_on)}.",
    )
    return RedirectResponse(f"/people/{consent.person_id}#consent-{consent_id}", status_code=303)


# Opened in a browser anyway, a scan runs no script and reaches nothing: it is a picture of a form.
SCAN_SANDBOX = {"Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"}


@router.get("/consents/{consent_id}/scans/{evidence_id}")
def download_scan(
    consent_id: int,
    evidence_id: int,
    session: SessionDep,
    settings: SettingsDep,
    _: OfficePage,
) -> Response:
    for evidence in consents.evidence_of(session, consent_id):
        if evidence.id == evidence_id:
            scan = consents.read_evidence(storage_for(settings), evidence)
            if scan is None:
                raise NotFound("The scan's file is missing from storage; ask an administrator to restore it.")
            extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[evidence.content_type]
            return Response(
                scan,
                media_type=evidence.content_type,
                headers={
                    "Content-Disposition": f'attachment; filename="consent-{consent_id}-scan.{extension}"',
                    "X-Content-Type-Options": "nosniff",
                    "Cache-Control": "no-store",
                    **SCAN_SANDBOX,
                },
            )
    raise NotFound(f"This consent has no scan numbered {evidence_id}.")
