"""The family's acts on its form: signing (or declining), withdrawing, and downloading the receipt of either.

Each needs the request opened by its link and the child's date of birth proven in this browser
(api/web/pages_family.py); the form's CSRF token is checked before anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from sqlmodel import Session, select
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from api.client_address import client_address
from api.deps import DistrictDep, SessionDep, SettingsDep
from api.web.auth import FormDep, PageRefused, PageRoute, check_csrf
from api.web.pages_family import (
    DONE_KEY,
    PROVEN_KEY,
    current_request,
    family_language,
    form_page,
    page_instead,
)
from registry.consent_requests import signing
from registry.consent_requests.forms import FormText, form_text, questions
from registry.consent_requests.i18n import gettext_for
from registry.consents.service import evidence_of, read_evidence
from registry.core.errors import Conflict, Invalid
from registry.core.settings import Settings
from registry.core.storage import storage_for
from registry.models.base import id_of
from registry.models.consent_requests import ConsentRequest
from registry.models.consents import Consent
from registry.policy.ledger import District

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@dataclass(frozen=True)
class Answering:
    """A family answering its own request: the request, their language and its words, the form as shown."""

    request: ConsentRequest
    language: str
    _: Callable[[str], str]
    form: FormText


def answering(
    request: Request, form: FormData, session: Session, settings: Settings, district: District
) -> Answering | Response:
    """Who is answering, or the page to show instead (no request opened, the link expired)."""
    check_csrf(request, form)
    found = current_request(request, session)
    if (instead := page_instead(request, found, settings, district)) is not None:
        return instead
    if found is None or request.session.get(PROVEN_KEY) != found.id:
        raise PageRefused("Open your link again.")
    language = family_language(request, found)
    text = form_text(found.kind, language, district=district.pack.district, own_dir=settings.family_forms_dir)
    return Answering(found, language, gettext_for(language), text)


def _origin(request: Request) -> signing.Origin:
    return signing.Origin(
        address=client_address(request.scope, trusted=request.app.state.settings.trusted_networks),
        browser=request.headers.get("user-agent", "")[:300],
    )


def _storage(settings: Settings) -> signing.Storage:
    return signing.Storage(storage_for(settings), settings.max_evidence_bytes, settings.max_decode_bytes)


@router.post("/family/sign")
def sign(
    request: Request, form: FormDep, session: SessionDep, settings: SettingsDep, district: DistrictDep
) -> Response:
    who = answering(request, form, session, settings, district)
    if isinstance(who, Response):
        return who
    found, _ = who.request, who._
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    signature = signing.Signature(
        answers={name: values.get(f"answer_{name}") for name, _label in questions(found.kind, _)},
        signer_name=values.get("signer_name", ""),
        relationship=values.get("relationship", ""),
        affirmed=values.get("affirmed") == "yes",
    )
    errors: dict[str, str] = {}
    try:
        _consent, evidence = signing.sign(
            session,
            found,
            signature=signature,
            form=who.form,
            origin=_origin(request),
            storage=_storage(settings),
            district=district,
            _=_,
        )
    except signing.FamilyAnswerInvalid as exc:
        errors = {field: _(words) for field, words in exc.errors.items()}
    except (Conflict, Invalid) as exc:
        errors = {"__form__": _(exc.message)}
    if errors:
        return form_page(
            request, session, found, who.language, settings, district, values=values, errors=errors, status_code=422
        )
    request.session[DONE_KEY] = {"act": found.status, "evidence_id": id_of(evidence)}
    return RedirectResponse("/family", status_code=303)


@router.post("/family/withdraw")
def withdraw(
    request: Request, form: FormDep, session: SessionDep, settings: SettingsDep, district: DistrictDep
) -> Response:
    who = answering(request, form, session, settings, district)
    if isinstance(who, Response):
        return who
    found, _ = who.request, who._
    name = form.get("signer_name")
    try:
        _revocation, evidence = signing.withdraw(
            session,
            found,
            signer_name=name if isinstance(name, str) else "",
            origin=_origin(request),
            form=who.form,
            storage=_storage(settings),
            district=district,
            _=_,
        )
    except signing.FamilyAnswerInvalid as exc:
        errors = {"withdraw_name": _(exc.errors["signer_name"])}
        return form_page(request, session, found, who.language, settings, district, errors=errors, status_code=422)
    except (Conflict, Invalid) as exc:
        errors = {"__form__": _(exc.message)}
        return form_page(request, session, found, who.language, settings, district, errors=errors, status_code=409)
    request.session[DONE_KEY] = {"act": "withdrawn", "evidence_id": id_of(evidence)}
    return RedirectResponse("/family", status_code=303)


@router.get("/family/receipts/{evidence_id}")
def receipt(evidence_id: int, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """A receipt of this link's own acts: kept with the child's forms, named after this request."""
    found = current_request(request, session)
    if found is None or request.session.get(PROVEN_KEY) != found.id:
        raise PageRefused("Open your link again.")
    forms = session.exec(select(Consent.id).where(Consent.person_id == found.person_id)).all()
    for consent_id in forms:
        for evidence in evidence_of(session, int(consent_id or 0)):
            if evidence.id == evidence_id and evidence.filename.endswith(f"-request-{found.id}.pdf"):
                kept = read_evidence(storage_for(settings), evidence)
                if kept is None:
                    raise PageRefused("This receipt's file is missing from storage; ask the school for a copy.")
                return Response(
                    kept,
                    media_type="application/pdf",
                    headers={
                        "Content-Disposition": f'attachment; filename="{evidence.filename}"',
                        "Cache-Control": "no-store",
                    },
                )
    raise PageRefused("This receipt is not yours to download.")
