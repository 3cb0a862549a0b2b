"""Office staff: record a consent from a paper form (with its scan), revoke one, download a scan."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep, SettingsDep
from api.web.auth import FormDep, OfficePage, PageRoute
from api.web.forms import FORM, checked, field_errors, move_form_error, optional, text_values, uploaded
from api.web.templating import CONSENT_KIND_LABELS, flash, render
from api.web.uploads import too_large
from registry.consents import service as consents
from registry.consents import standing
from registry.consents.scan_copies import ScanAlreadyKept
from registry.consents.schemas import ConsentCreate, ConsentRevoke
from registry.core.errors import NotFound, RegistryError
from registry.models.accounts import User
from registry.models.consents import Consent
from registry.models.people import Person
from registry.people import service as people
from registry.people.schemas import GuardianPublic
from registry.policy.ledger import day_label

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _defaults(person: Person, guardians: list[GuardianPublic]) -> dict[str, object]:
    # Nothing is pre-ticked and no date is guessed: the answer and the signing date are copied from the paper.
    # The signer is the first parent or guardian on record (or the adult themself), and can be changed.
    first = guardians[0] if guardians else None
    return {
        "kind": "image_release",
        "status": "",
        "signed_on": "",
        "valid_until": "",
        "signer_choice": "1" if first else "",
        "signer_relationship": first.relationship if first else ("parent" if person.kind == "student" else "self"),
        "signer_name": first.name if first else ("" if person.kind == "student" else person.name),
        "scopes": [],
        "corrects_id": "",
    }


def _correctable(session: SessionDep, person_id: int, district: DistrictDep) -> list[tuple[str, str]]:
    rows, _ = consents.list_consents(session, person_id=person_id, limit=200)
    options = [("", "No: it is a new form")]
    for consent in rows:
        public = consents.consent_public(session, consent, district=district)
        # A replaced form is corrected through its correction; a withdrawn one is not corrected at all.
        if public.state != "corrected" and public.revocation is None:
            options.append(
                (
                    str(consent.id),
                    f"{consent.kind.replace('_', ' ')} — {consent.status}, signed by "
                    f"{consent.signer_name} on {consent.signed_on:%d %b %Y}",
                )
            )
    return options


def _form_page(
    request: Request,
    session: SessionDep,
    district: DistrictDep,
    person: Person,
    values: dict[str, object],
    errors: dict[str, str],
    *,
    scan_lost: bool = False,
) -> Response:
    return render(
        request,
        "consents/new.html",
        {
            "person": person,
            "public": people.person_public(session, person, district=district),
            "values": values,
            "errors": errors,
            "scan_lost": scan_lost,
            "correctable": _correctable(session, person.id or 0, district),
        },
        status_code=422 if errors else 200,
    )


def _keep_scan(session: SessionDep, settings: SettingsDep, *, consent: Consent, scan: UploadFile, user: User) -> None:
    """The uploaded scan, checked (registry/consents/scans.py) and kept with the form."""
    consents.attach_evidence(
        session,
        consent=consent,
        data=scan.file.read(settings.max_evidence_bytes + 1),
        filename=scan.filename or "scan",
        directory=settings.evidence_dir,
        max_bytes=settings.max_evidence_bytes,
        max_decode_bytes=settings.max_decode_bytes,
        check_cpu_seconds=settings.scan_check_cpu_seconds,
        uploaded_by_id=user.id or 0,
    )


@router.get("/people/{person_id}/consents/new")
def new_consent_form(
    request: Request,
    person_id: int,
    session: SessionDep,
    district: DistrictDep,
    _: OfficePage,
) -> Response:
    person = people.get_person(session, person_id)
    guardians = people.person_public(session, person, district=district).guardians
    return _form_page(request, session, district, person, _defaults(person, guardians), {})


@router.post("/people/{person_id}/consents/new")
def record_consent(
    request: Request,
    form: FormDep,
    person_id: int,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    user: OfficePage,
) -> Response:
    person = people.get_person(session, person_id)
    values = text_values(form)
    values["scopes"] = checked(form, "scopes")
    scan = uploaded(form, "scan")
    errors: dict[str, str] = {}
    try:
        data = ConsentCreate.model_validate(
            {
                "person_id": person_id,
                "kind": values.get("kind", ""),
                "status": values.get("status", ""),
                "scopes": values["scopes"],
                "signer_name": values.get("signer_name", ""),
                "signer_relationship": values.get("signer_relationship", ""),
                "signed_on": values.get("signed_on", ""),
                "valid_until": optional(values, "valid_until"),
                "note": optional(values, "note"),
                "corrects_id": optional(values, "corrects_id"),
                **{key: optional(values, key) for key in ("notice_version", "purpose", "retention_years")},
            }
        )
        with session.begin_nested():
            consent = consents.record_consent(session, data=data, entered_by_id=user.id or 0, district=district)
            takedowns = standing.requested_in(session)
            if scan is not None:
                _keep_scan(session, settings, consent=consent, scan=scan, user=user)
    except ValidationError as exc:
        errors = field_errors(exc)
        move_form_error(
            errors,
            mentioning="destination in scopes",
            to="scopes",
            message="Tick at least one place where the form allows photos to be posted.",
        )
        move_form_error(
            errors,
            mentioning="A refusal has no start or end date",
            to="valid_until",
            message="A refusal has no end date: leave “Valid until” empty.",
        )
        move_form_error(
            errors,
            mentioning="valid_until",
            to="valid_until",
            message="The consent must end after the day it starts (the signing date).",
        )
        if "status" in errors:
            errors["status"] = "Choose what the form says: yes or no."
    except RegistryError as exc:
        if exc.status_code == 413 and scan is not None:
            errors = {"scan": too_large(settings, "scan", size=scan.size)}
        else:
            errors = {"scan" if exc.status_code == 415 or isinstance(exc, ScanAlreadyKept) else FORM: exc.message}
    if errors:
        return _form_page(request, session, district, person, values, errors, scan_lost=scan is not None)
    what = "photo release" if data.kind == "image_release" else "consent"
    flash(
        request,
        f"The {what} for {person.name} has been recorded."
        + (
            f" {_photos(len(takedowns))} cleared earlier must now come down: their uploaders have been asked to "
            "take them down."
            if takedowns
            else ""
        ),
    )
    return RedirectResponse(f"/people/{person_id}#consent-{consent.id}", status_code=303)


def _photos(n: int) -> str:
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
        f"The consent for {person.name} has been revoked."
        + (
            f" {_photos(sent)} cleared earlier must now come down: their uploaders have been asked to take them down."
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
            _keep_scan(session, settings, consent=consent, scan=scan, user=user)
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
            path = settings.evidence_dir / evidence.sha256
            if not path.exists():
                raise NotFound("The scan's file is missing from storage; ask an administrator to restore it.")
            extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[evidence.content_type]
            return Response(
                path.read_bytes(),
                media_type=evidence.content_type,
                headers={
                    "Content-Disposition": f'attachment; filename="consent-{consent_id}-scan.{extension}"',
                    "X-Content-Type-Options": "nosniff",
                    "Cache-Control": "no-store",
                    **SCAN_SANDBOX,
                },
            )
    raise NotFound(f"This consent has no scan numbered {evidence_id}.")
