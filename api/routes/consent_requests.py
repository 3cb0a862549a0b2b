"""Consent requests: ask families to sign online, one private link per student; letters, e-mail, the campaign."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response

from api.deps import DistrictDep, Limit, OfficeUser, Offset, SessionDep, SettingsDep
from registry.consent_requests import campaign, mail, outreach
from registry.consent_requests import service as requests
from registry.consent_requests.schemas import (
    CampaignRowPublic,
    ConsentRequestCreate,
    ConsentRequestPublic,
    ConsentRequestsMade,
    Reminders,
    RemindersSend,
    RenewalCreate,
    RequestKind,
)
from registry.core.schemas import Page
from registry.models.people import Person

router = APIRouter(tags=["consent requests"])


@router.post("/consent-requests", response_model=ConsentRequestsMade, status_code=201)
def request_consents(
    data: ConsentRequestCreate, session: SessionDep, settings: SettingsDep, district: DistrictDep, user: OfficeUser
) -> ConsentRequestsMade:
    asked = outreach.ask_as_requested(session, data, requested_by_id=user.id or 0, district=district, settings=settings)
    return _made(session, settings, district, asked)


@router.post("/consent-requests/renewal", response_model=ConsentRequestsMade, status_code=201)
def renew(
    data: RenewalCreate, session: SessionDep, settings: SettingsDep, district: DistrictDep, user: OfficeUser
) -> ConsentRequestsMade:
    """Asks every family whose form of this kind runs out on the 30 June before the school year to renew it."""
    year = data.school_year or campaign.renewal_year(district)
    return _ask(
        session,
        settings,
        district,
        students=campaign.running_out(session, kind=data.kind, on=date(year - 1, 6, 30)),
        kind=data.kind,
        language=data.language,
        group_id=None,
        send_email=data.send_email,
        requested_by_id=user.id or 0,
        school_year=year,
    )


def _ask(
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    *,
    students: list[Person],
    kind: str,
    language: str,
    group_id: int | None,
    send_email: bool,
    requested_by_id: int,
    school_year: int | None = None,
) -> ConsentRequestsMade:
    asked = outreach.ask_families(
        session,
        students=students,
        kind=kind,
        language=language,
        group_id=group_id,
        send_email=send_email,
        requested_by_id=requested_by_id,
        district=district,
        settings=settings,
        school_year=school_year,
    )
    return _made(session, settings, district, asked)


def _made(
    session: SessionDep, settings: SettingsDep, district: DistrictDep, asked: outreach.Asked
) -> ConsentRequestsMade:
    links, at = requests.Links.of(settings), district.now()
    return ConsentRequestsMade(
        items=[requests.request_public(session, r, links_=links, at=at) for r in asked.made],
        skipped=asked.skipped,
        emailed=asked.emailed,
    )


@router.post("/consent-requests/reminders", response_model=Reminders)
def send_reminders(
    data: RemindersSend, session: SessionDep, settings: SettingsDep, district: DistrictDep, _: OfficeUser
) -> Reminders:
    """E-mails a reminder to the guardians of every student whose request is still unanswered."""
    year = data.school_year or requests.school_year_of(district.today())
    waiting = mail.unanswered(session, school_year=year, group_id=data.group_id)
    sent, without = outreach.remind(session, waiting, district=district, settings=settings)
    return Reminders(sent=sent, without_email=without)


@router.get("/consent-requests", response_model=Page[ConsentRequestPublic])
def list_requests(
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    _: OfficeUser,
    school_year: int | None = None,
    person_id: int | None = None,
    group_id: int | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ConsentRequestPublic]:
    rows = requests.list_requests(session, school_year=school_year, person_id=person_id, group_id=group_id)
    links, at = requests.Links.of(settings), district.now()
    return Page(
        items=[requests.request_public(session, r, links_=links, at=at) for r in rows[offset : offset + limit]],
        total=len(rows),
        limit=limit,
        offset=offset,
    )


@router.get(
    "/consent-requests/letters.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}}
)
def letters(
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    _: OfficeUser,
    school_year: int | None = None,
    group_id: int | None = None,
    school: str | None = None,
    grade: str | None = None,
    person_id: int | None = None,
) -> Response:
    """A page per student still to answer: the form's text, the QR code of the family's link and its short code."""
    year = school_year or requests.school_year_of(district.today())
    pdf = outreach.class_letters(
        session,
        school_year=year,
        district=district,
        settings=settings,
        group_id=group_id,
        school=school,
        grade=grade,
        person_id=person_id,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="consent-letters.pdf"', "Cache-Control": "no-store"},
    )


@router.get("/consent-requests/campaign", response_model=list[CampaignRowPublic])
def campaign_table(
    session: SessionDep,
    district: DistrictDep,
    _: OfficeUser,
    school_year: int | None = None,
    kind: RequestKind | None = None,
) -> list[CampaignRowPublic]:
    """Per school and group: requested, opened, signed yes, signed no, withdrawn, no answer."""
    year = school_year or requests.school_year_of(district.today())
    rows = campaign.campaign(session, school_year=year, kind=kind, district=district)
    return [CampaignRowPublic.model_validate(row, from_attributes=True) for row in rows]


@router.get("/consent-requests/campaign.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def campaign_export(
    session: SessionDep,
    district: DistrictDep,
    _: OfficeUser,
    school_year: int | None = None,
    kind: RequestKind | None = None,
) -> Response:
    year = school_year or requests.school_year_of(district.today())
    rows = campaign.campaign(session, school_year=year, kind=kind, district=district)
    return Response(
        campaign.campaign_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="consent-campaign-{year}.csv"'},
    )


@router.post("/consent-requests/{request_id}/resend", response_model=Reminders)
def resend(
    request_id: int, session: SessionDep, settings: SettingsDep, district: DistrictDep, _: OfficeUser
) -> Reminders:
    """E-mails this request's link again to the guardians on record (only while it waits for an answer)."""
    request = requests.get_request(session, request_id)
    sent, without = outreach.remind(session, [request], district=district, settings=settings)
    return Reminders(sent=sent, without_email=without)


@router.get("/consent-requests/{request_id}", response_model=ConsentRequestPublic)
def get_request(
    request_id: int, session: SessionDep, settings: SettingsDep, district: DistrictDep, _: OfficeUser
) -> ConsentRequestPublic:
    request = requests.get_request(session, request_id)
    return requests.request_public(session, request, links_=requests.Links.of(settings), at=district.now())
