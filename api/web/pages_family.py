"""The family's pages: no account. A private link (or the short code from a letter) opens one child's request,
the child's date of birth proves who is asking, and the family signs, declines or withdraws (pages_family_acts.py).

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
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from api.client_address import client_address
from api.deps import DistrictDep, SessionDep, SettingsDep
from api.ratelimit import SharedCounts
from api.web.auth import FormDep, PageRoute, check_csrf
from api.web.templating import render
from registry.consent_requests import service as requests
from registry.consent_requests import signing
from registry.consent_requests.forms import form_text, questions
from registry.consent_requests.i18n import LANGUAGES, gettext_for, language_or_default
from registry.consents import standing
from registry.core.settings import Settings
from registry.models.consent_requests import ConsentRequest
from registry.people.service import get_person
from registry.policy.ledger import District

router = APIRouter(
    route_class=PageRoute, include_in_schema=False
)  # a refused CSRF token is a page, never a stack trace
REQUEST_KEY, PROVEN_KEY, LANGUAGE_KEY, DONE_KEY = "family_request", "family_proven", "family_language", "family_done"


def _counts(request: Request) -> SharedCounts:
    state = request.app.state
    if not hasattr(state, "family_tries"):
        state.family_tries = SharedCounts(window=state.settings.rate_limit_window_seconds)
    counts: SharedCounts = state.family_tries
    return counts


def _too_many_from_here(request: Request, session: Session, settings: Settings) -> bool:
    """Counted in the database with the other rate limits, so every host behind the proxy shares the count;
    in the request's own transaction, which commits a wrong date of birth too (keep_despite_refusal)."""
    limit = settings.rate_limit_birth_date_per_client
    address = client_address(request.scope, trusted=settings.trusted_networks)
    return limit > 0 and _counts(request).hit_in(session, (f"family:{address}", limit)) is not None


def family_language(request: Request, asked: ConsentRequest | None) -> str:
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        request.session[LANGUAGE_KEY] = chosen
    return language_or_default(request.session.get(LANGUAGE_KEY) or (asked.language if asked else None))


def family_page_response(
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


def message_page(
    request: Request, language: str, settings: Settings, district: District, *, title: str, message: str, status: int
) -> Response:
    _ = gettext_for(language)
    return family_page_response(
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
        return message_page(
            request, family_language(request, None), settings, district, title=title, message=message, status=404
        )
    return _open(request, found)


@router.get("/f")
def code_form(request: Request, settings: SettingsDep, district: DistrictDep) -> Response:
    return family_page_response(request, "code", family_language(request, None), settings, district)


@router.post("/f")
def open_code(
    request: Request, form: FormDep, session: SessionDep, settings: SettingsDep, district: DistrictDep
) -> Response:
    check_csrf(request, form)
    language = family_language(request, None)
    _ = gettext_for(language)
    if _too_many_from_here(request, session, settings):
        return family_page_response(
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
        return family_page_response(
            request,
            "code",
            language,
            settings,
            district,
            error=_("That code does not match. Check it against your letter."),
            status_code=422,
        )
    return _open(request, found)


def current_request(request: Request, session: SessionDep) -> ConsentRequest | None:
    request_id = request.session.get(REQUEST_KEY)
    found = session.get(ConsentRequest, request_id) if isinstance(request_id, int) else None
    if found is not None:
        session.info["actor"] = f"family:consent-request:{found.id}"  # the audit log's actor for the family's acts
    return found


def page_instead(
    request: Request, found: ConsentRequest | None, settings: Settings, district: District
) -> Response | None:
    """The page to show instead of the form: no request opened, or its link has run out."""
    language = family_language(request, found)
    if found is None:
        return RedirectResponse("/f", status_code=303)
    if not requests.link_open(found, district=district):
        return message_page(
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
    found = current_request(request, session)
    if (gone := page_instead(request, found, settings, district)) is not None:
        return gone
    assert found is not None
    language = family_language(request, found)
    if request.session.get(PROVEN_KEY) != found.id:
        return family_page_response(request, "birth_date", language, settings, district)
    return form_page(request, session, found, language, settings, district)


def form_page(
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
        return message_page(
            request,
            language,
            settings,
            district,
            title="This request can no longer be answered",
            message="Contact your child's school office.",
            status=409,
        )
    return family_page_response(
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
    found = current_request(request, session)
    if (gone := page_instead(request, found, settings, district)) is not None:
        return gone
    assert found is not None
    language = family_language(request, found)
    _ = gettext_for(language)

    def again(error: str, status_code: int) -> Response:
        return family_page_response(
            request, "birth_date", language, settings, district, error=error, status_code=status_code
        )

    if _too_many_from_here(request, session, settings):
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
