"""Office staff ask families to sign online: the school year's campaign, asking a school, grade or group, letters,
reminders and the renewal. The pages call the same services as /api/v1/consent-requests."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import col, select
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep, SettingsDep
from api.web.auth import FormDep, OfficePage, PageRoute
from api.web.forms import FORM, field_errors, optional, text_values
from api.web.templating import flash, render
from registry.consent_requests import campaign, mail, outreach
from registry.consent_requests import service as requests
from registry.consent_requests.i18n import LANGUAGES
from registry.consent_requests.schemas import ConsentRequestCreate
from registry.core.errors import RegistryError
from registry.groups.service import list_groups
from registry.models.accounts import User
from registry.models.people import Person
from registry.policy.ledger import District

router = APIRouter(route_class=PageRoute, include_in_schema=False)
KINDS = [("image_release", "Photo release"), ("biometric", "Face enrolment (biometric)")]


def _year(district: District, asked: int | None) -> int:
    return asked or requests.school_year_of(district.today())


def _page(
    request: Request,
    session: SessionDep,
    district: District,
    user: User,
    *,
    year: int,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    schools = session.exec(
        select(Person.school).where(Person.kind == "student", col(Person.school).is_not(None)).distinct()
    ).all()
    return render(
        request,
        "consent_requests/campaign.html",
        {
            "year": year,
            "renewal_year": campaign.renewal_year(district),
            "rows": campaign.campaign(session, school_year=year, kind=None, district=district),
            "school_options": [(s, s) for s in sorted(s for s in schools if s)],
            "group_options": [(str(g.id), g.name) for g in list_groups(session, user=user)],
            "kinds": KINDS,
            "languages": list(LANGUAGES.items()),
            "values": values or {"kind": "image_release", "language": "en"},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/consent-requests")
def campaign_page(
    request: Request, session: SessionDep, district: DistrictDep, user: OfficePage, school_year: int | None = None
) -> Response:
    return _page(request, session, district, user, year=_year(district, school_year))


@router.post("/consent-requests")
def ask_families(
    request: Request,
    form: FormDep,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    user: OfficePage,
) -> Response:
    values = text_values(form)
    group = optional(values, "group_id")
    errors: dict[str, str] = {}
    try:
        data = ConsentRequestCreate.model_validate(
            {
                "group_id": int(group) if group and group.isdigit() else None,
                "school": None if group else optional(values, "school"),
                "grade": None if group else optional(values, "grade"),
                "kind": values.get("kind", ""),
                "language": values.get("language", "en"),
                "send_email": values.get("send_email") == "yes",
            }
        )
        with session.begin_nested():
            asked = outreach.ask_as_requested(
                session, data, requested_by_id=user.id or 0, district=district, settings=settings
            )
    except ValidationError as exc:
        errors = field_errors(exc)
        if FORM in errors:
            errors = {"school": "Choose a school (and a grade, if you wish) or a group."}
    except RegistryError as exc:
        errors = {FORM: exc.message}
    if errors:
        return _page(
            request, session, district, user, year=_year(district, None), values=values, errors=errors, status_code=422
        )
    words = f"{len(asked.made)} families asked" + (f", {asked.emailed} e-mailed" if values.get("send_email") else "")
    if asked.skipped:
        words += f". Not asked: {', '.join(f'{s.person_name} ({s.reason})' for s in asked.skipped[:10])}"
    flash(request, words + ".")
    return RedirectResponse("/consent-requests", status_code=303)


@router.post("/consent-requests/reminders")
def remind(
    request: Request, session: SessionDep, settings: SettingsDep, district: DistrictDep, _: OfficePage
) -> Response:
    try:
        sent, without = outreach.remind(
            session, mail.unanswered(session, school_year=_year(district, None)), district=district, settings=settings
        )
        flash(
            request,
            f"{sent} reminders sent; {without} families have no e-mail address on record (print their letters).",
        )
    except RegistryError as exc:
        flash(request, exc.message, kind="error")
    return RedirectResponse("/consent-requests", status_code=303)


@router.post("/consent-requests/renewal")
def renew(
    request: Request, form: FormDep, session: SessionDep, settings: SettingsDep, district: DistrictDep, user: OfficePage
) -> Response:
    kind = form.get("kind") if form.get("kind") in dict(KINDS) else "image_release"
    year = campaign.renewal_year(district)

    asked = outreach.ask_families(
        session,
        students=campaign.running_out(session, kind=str(kind), on=date(year - 1, 6, 30)),
        kind=str(kind),
        language="en",
        group_id=None,
        send_email=False,
        requested_by_id=user.id or 0,
        district=district,
        settings=settings,
        school_year=year,
    )
    flash(request, f"{len(asked.made)} families asked to renew for the school year ending 30 June {year}.")
    return RedirectResponse(f"/consent-requests?school_year={year}", status_code=303)


@router.get("/consent-requests/letters.pdf")
def letters(
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    _: OfficePage,
    school_year: int | None = None,
    school: str | None = None,
    group: str | None = None,
) -> Response:
    pdf = outreach.class_letters(
        session,
        school_year=_year(district, school_year),
        district=district,
        settings=settings,
        school=school or None,
        group_id=int(group) if group and group.isdigit() else None,
    )
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": 'attachment; filename="letters.pdf"'}
    )


@router.get("/consent-requests/campaign.csv")
def export(session: SessionDep, district: DistrictDep, _: OfficePage, school_year: int | None = None) -> Response:
    year = _year(district, school_year)
    rows = campaign.campaign(session, school_year=year, kind=None, district=district)
    return Response(
        campaign.campaign_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="consent-campaign-{year}.csv"'},
    )
