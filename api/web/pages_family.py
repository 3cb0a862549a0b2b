"""The family's pages: no account. A private link (or the short code from a letter) opens one child's request,
the child's date of birth proves who is asking, and the family signs, declines or withdraws.

The link's token is in the address only for the first request: it is swapped at once for the request's id in
the signed session cookie and the browser is sent on to /family, so the token is not left in the address bar,
the history or any page's address. The access log never shows it (api/access_log.py). Nothing of the child is
shown before the date of birth matches, and a wrong date says only that it does not match.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import select
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep, SettingsDep
from api.ratelimit import SlidingWindow
from api.web.auth import FormDep, PageRefused, PageRoute, check_csrf
from api.web.templating import render
from registry.consent_requests import service as requests
from registry.consent_requests import signing
from registry.consent_requests.forms import form_text, questions
from registry.consent_requests.i18n import LANGUAGES, gettext_for, language_or_default
from registry.consents import standing
from registry.consents.service import evidence_of
from registry.core.errors import Conflict, Invalid
from registry.core.settings import Settings
from registry.models.base import id_of
from registry.models.consent_requests import ConsentRequest
from registry.models.consents import Consent
from registry.people.service import get_person
from registry.policy.ledger import District

router = APIRouter(route_class=PageRoute)  # a refused CSRF token is a page, never a stack trace
REQUEST_KEY, PROVEN_KEY, LANGUAGE_KEY, DONE_KEY = "family_request", "family_proven", "family_language", "family_done"


def _window(request: Request) -> SlidingWindow:
    state = request.app.state
    if not hasattr(state, "family_tries"):
        state.family_tries = SlidingWindow(window=state.settings.rate_limit_window_seconds)
    window: SlidingWindow = state.family_tries
    return window


def _too_many_from_here(request: Request, settings: Settings) -> bool:
    limit = settings.rate_limit_birth_date_per_client
    address = request.client.host if request.client else "unknown"
    return limit > 0 and _window(request).hit(f"family:{address}", limit) is not None


def _language(request: Request, asked: ConsentRequest | None) -> str:
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        request.session[LANGUAGE_KEY] = chosen
    return language_or_default(request.session.get(LANGUAGE_KEY) or (asked.language if asked else None))


def _page(
    request: Request, name: str, language: str, settings: Settings, district: District, **context: Any
) -> Response:
    _ = gettext_for(language)
    other = next(((code, words) for code, words in LANGUAGES.items() if code != language), None)
    status_code = context.pop("status_code", 200)
    response = render(
        request,
        f"family/{name}.html",
        {
            "_": _,
            "lang": language,
            "other_language": other,
            # after a POST the language link leads back to the page the form was on, not to the form's action
            "language_base": request.url.path if request.method == "GET" else "/family",
            "district_name": district.pack.district,
            **context,
        },
        status_code=status_code,
    )
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _message(
    request: Request, language: str, settings: Settings, district: District, *, title: str, message: str, status: int
) -> Response:
    _ = gettext_for(language)
    return _page(
        request, "message", language, settings, district, title=_(title), message=_(message), status_code=status
    )


def _open(request: Request, found: ConsentRequest) -> Response:
    if request.session.get(REQUEST_KEY) != found.id:
        request.session.pop(PROVEN_KEY, None)
        request.session.pop(LANGUAGE_KEY, None)
    request.session[REQUEST_KEY] = found.id
    return RedirectResponse("/family", status_code=303)


NOT_A_LINK = ("This link does not work", "Check that the whole link was copied, or type the code from your letter.")


@router.get("/f/{token}")
def open_link(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, district: DistrictDep
) -> Response:
    found = requests.find_by_token(session, token)
    if found is None:
        title, message = NOT_A_LINK
        return _message(request, _language(request, None), settings, district, title=title, message=message, status=404)
    return _open(request, found)


@router.get("/f")
def code_form(request: Request, settings: SettingsDep, district: DistrictDep) -> Response:
    return _page(request, "code", _language(request, None), settings, district)


@router.post("/f")
def open_code(
    request: Request, form: FormDep, session: SessionDep, settings: SettingsDep, district: DistrictDep
) -> Response:
    check_csrf(request, form)
    language = _language(request, None)
    _ = gettext_for(language)
    if _too_many_from_here(request, settings):
        return _page(
            request,
            "code",
            language,
            settings,
            district,
            error=_("Too many tries. Wait a few minutes."),
            status_code=429,
        )
    typed = form.get("code")
    found = requests.find_by_code(session, typed) if isinstance(typed, str) else None
    if found is None:
        return _page(
            request,
            "code",
            language,
            settings,
            district,
            error=_("That code does not match. Check it against your letter."),
            status_code=422,
        )
    return _open(request, found)


def _current(request: Request, session: SessionDep) -> ConsentRequest | None:
    request_id = request.session.get(REQUEST_KEY)
    found = session.get(ConsentRequest, request_id) if isinstance(request_id, int) else None
    if found is not None:
        session.info["actor"] = f"family:consent-request:{found.id}"  # the audit log's actor for the family's acts
    return found


def _gone(request: Request, found: ConsentRequest | None, settings: Settings, district: District) -> Response | None:
    """The page to show instead of the form: no request opened, or its link has run out."""
    language = _language(request, found)
    if found is None:
        return RedirectResponse("/f", status_code=303)
    if requests.status_of(found, at=district.now()) == "expired":
        return _message(
            request,
            language,
            settings,
            district,
            title="This link has expired",
            message="Ask your child's school office for a new one.",
            status=410,
        )
    return None


@router.get("/family")
def family_page(request: Request, session: SessionDep, settings: SettingsDep, district: DistrictDep) -> Response:
    found = _current(request, session)
    if (gone := _gone(request, found, settings, district)) is not None:
        return gone
    assert found is not None
    language = _language(request, found)
    if request.session.get(PROVEN_KEY) != found.id:
        return _page(request, "birth_date", language, settings, district)
    return _form(request, session, found, language, settings, district)


def _form(
    request: Request,
    session: SessionDep,
    found: ConsentRequest,
    language: str,
    settings: Settings,
    district: District,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = gettext_for(language)
    person = get_person(session, found.person_id)
    if person.status != "active":
        return _message(
            request,
            language,
            settings,
            district,
            title="This request can no longer be answered",
            message="Contact your child's school office.",
            status=409,
        )
    return _page(
        request,
        "form",
        language,
        settings,
        district,
        student=person.name,
        form=form_text(found.kind, language, district=district.pack.district, own_dir=settings.family_forms_dir),
        questions=questions(found.kind, _),
        on_record=_on_record(session, found, district, _),
        can_withdraw=signing.form_in_force(session, found, district=district) is not None,
        statement=signing.statement(_),
        values=values or {},
        errors=errors or {},
        done=_done(request, _),
        status_code=status_code,
    )


def _on_record(
    session: SessionDep, found: ConsentRequest, district: District, _: Callable[[str], str]
) -> list[tuple[str, bool]]:
    person = get_person(session, found.person_id)
    labels = dict(questions(found.kind, _))
    if found.kind == "image_release":
        return [
            (labels[s.destination], s.allowed)
            for s in standing.image_release_standing(session, person, district=district)
        ]
    reading = standing.read_standing(session, person, kind=found.kind, destination=None, district=district)
    return [(label, reading.allows) for label in labels.values()]


def _done(request: Request, _: Callable[[str], str]) -> dict[str, Any] | None:
    done = request.session.pop(DONE_KEY, None)
    if not isinstance(done, dict):
        return None
    words = {
        "signed": _("Thank you: your answers are recorded."),
        "declined": _("Thank you: your answers are recorded. Photos of your child will not be posted."),
        "withdrawn": _("Your consent is withdrawn. Photos already posted with it will be taken down."),
    }
    return {"words": words.get(str(done.get("act")), ""), "evidence_id": done.get("evidence_id")}


def _birth_date(form: FormData) -> date | None:
    try:
        parts = [int(str(form.get(name, "")).strip()) for name in ("year", "month", "day")]
        return date(parts[0], parts[1], parts[2])
    except ValueError:
        return None


@router.post("/family/birth-date")
def prove_birth_date(
    request: Request, form: FormDep, session: SessionDep, settings: SettingsDep, district: DistrictDep
) -> Response:
    check_csrf(request, form)
    found = _current(request, session)
    if (gone := _gone(request, found, settings, district)) is not None:
        return gone
    assert found is not None
    language = _language(request, found)
    _ = gettext_for(language)

    def again(error: str, status_code: int) -> Response:
        return _page(request, "birth_date", language, settings, district, error=error, status_code=status_code)

    if _too_many_from_here(request, settings):
        return again(_("Too many tries. Wait a few minutes."), 429)
    try:
        proven = requests.prove_birth_date(
            session,
            found,
            typed=_birth_date(form),
            at=district.now(),
            tries=settings.family_birth_date_tries,
            lock_minutes=settings.family_lock_minutes,
        )
    except requests.HeldForNow:
        return again(_("Too many tries on this link. Wait 15 minutes and try again."), 429)
    if not proven:
        # Committed with the answer (the count of wrong dates is kept); nothing about the child is said.
        return again(_("That date of birth does not match. Check it and try again."), 422)
    request.session[PROVEN_KEY] = found.id
    return RedirectResponse("/family", status_code=303)


def _proven(request: Request, session: SessionDep) -> ConsentRequest:
    found = _current(request, session)
    if found is None or request.session.get(PROVEN_KEY) != found.id:
        raise PageRefused("Open your link again.")
    return found


def _origin(request: Request) -> signing.Origin:
    return signing.Origin(
        address=request.client.host if request.client else "unknown",
        browser=request.headers.get("user-agent", "")[:300],
    )


def _storage(settings: Settings) -> signing.Storage:
    return signing.Storage(settings.evidence_dir, settings.max_evidence_bytes, settings.max_decode_bytes)


@router.post("/family/sign")
def sign(
    request: Request, form: FormDep, session: SessionDep, settings: SettingsDep, district: DistrictDep
) -> Response:
    check_csrf(request, form)
    found = _current(request, session)
    if (gone := _gone(request, found, settings, district)) is not None:
        return gone
    found = _proven(request, session)
    language = _language(request, found)
    _ = gettext_for(language)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    signature = signing.Signature(
        answers={name: values.get(f"answer_{name}") for name, _label in questions(found.kind, _)},
        signer_name=values.get("signer_name", ""),
        relationship=values.get("relationship", ""),
        affirmed=values.get("affirmed") == "yes",
    )
    text = form_text(found.kind, language, district=district.pack.district, own_dir=settings.family_forms_dir)
    errors: dict[str, str] = {}
    try:
        _consent, evidence = signing.sign(
            session,
            found,
            signature=signature,
            form=text,
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
        return _form(
            request, session, found, language, settings, district, values=values, errors=errors, status_code=422
        )
    request.session[DONE_KEY] = {"act": found.status, "evidence_id": id_of(evidence)}
    return RedirectResponse("/family", status_code=303)


@router.post("/family/withdraw")
def withdraw(
    request: Request, form: FormDep, session: SessionDep, settings: SettingsDep, district: DistrictDep
) -> Response:
    check_csrf(request, form)
    found = _current(request, session)
    if (gone := _gone(request, found, settings, district)) is not None:
        return gone
    found = _proven(request, session)
    language = _language(request, found)
    _ = gettext_for(language)
    name = form.get("signer_name")
    text = form_text(found.kind, language, district=district.pack.district, own_dir=settings.family_forms_dir)
    try:
        _revocation, evidence = signing.withdraw(
            session,
            found,
            signer_name=name if isinstance(name, str) else "",
            origin=_origin(request),
            form=text,
            storage=_storage(settings),
            district=district,
            _=_,
        )
    except signing.FamilyAnswerInvalid as exc:
        return _form(
            request,
            session,
            found,
            language,
            settings,
            district,
            errors={"withdraw_name": _(exc.errors["signer_name"])},
            status_code=422,
        )
    except (Conflict, Invalid) as exc:
        return _form(
            request, session, found, language, settings, district, errors={"__form__": _(exc.message)}, status_code=409
        )
    request.session[DONE_KEY] = {"act": "withdrawn", "evidence_id": id_of(evidence)}
    return RedirectResponse("/family", status_code=303)


@router.get("/family/receipts/{evidence_id}")
def receipt(
    evidence_id: int, request: Request, session: SessionDep, district: DistrictDep, settings: SettingsDep
) -> Response:
    found = _proven(request, session)
    for consent_id in _receipt_consents(session, found):
        for evidence in evidence_of(session, consent_id):
            if evidence.id == evidence_id and evidence.filename.endswith(f"-request-{found.id}.pdf"):
                return Response(
                    (settings.evidence_dir / evidence.sha256).read_bytes(),
                    media_type="application/pdf",
                    headers={
                        "Content-Disposition": f'attachment; filename="{evidence.filename}"',
                        "Cache-Control": "no-store",
                    },
                )
    raise PageRefused("This receipt is not yours to download.")


def _receipt_consents(session: SessionDep, found: ConsentRequest) -> list[int]:
    """The child's forms: a withdrawal's receipt is kept with the form it withdrew, which may be a paper one."""
    return [int(i) for i in session.exec(select(Consent.id).where(Consent.person_id == found.person_id)) if i]
