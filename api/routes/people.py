"""People and roster import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Response, UploadFile

from api.deps import DistrictDep, Limit, OfficeUser, Offset, SessionDep, SettingsDep, StaffReader
from api.responses import PRIVATE_IMAGE_HEADERS, attachment
from registry.core.db import checkpoint
from registry.core.schemas import Page
from registry.core.settings import size_words
from registry.people import roster
from registry.people import service as people
from registry.people.schemas import PersonCreate, PersonPublic, PersonUpdate, Release, RosterReport
from registry.policy.vocabulary import PersonKind, PersonStatus
from registry.trust.subject_access import export_person

router = APIRouter(tags=["people"])


@router.get("/people", response_model=Page[PersonPublic])
def list_people(
    session: SessionDep,
    district: DistrictDep,
    _: StaffReader,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="words of the person's name, a parent's or guardian's name, or the external id; "
            "case, accents and punctuation are ignored (obrien finds O'Brien, jose finds José)",
        ),
    ] = None,
    kind: PersonKind | None = None,
    school: Annotated[str | None, Query(max_length=120)] = None,
    grade: Annotated[str | None, Query(max_length=20)] = None,
    status: PersonStatus | None = None,
    release: Annotated[
        Release | None,
        Query(description="the image release today: release_on_file, refused (or withdrawn), no_release"),
    ] = None,
    enrolled: Annotated[bool | None, Query(description="whether reference faces are enrolled")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PersonPublic]:
    rows, total = people.list_people(
        session,
        query=q,
        kind=kind,
        school=school,
        grade=grade,
        status=status,
        release=release,
        enrolled=enrolled,
        district=district,
        limit=limit,
        offset=offset,
    )
    return Page(items=people.people_public(session, rows, district=district), total=total, limit=limit, offset=offset)


def _duplicate(exc: people.DuplicatePerson) -> HTTPException:
    return HTTPException(409, exc.saying(f"PATCH /api/v1/people/{exc.existing_id}"))


@router.post("/people", response_model=PersonPublic, status_code=201)
def add_person(data: PersonCreate, session: SessionDep, district: DistrictDep, _: OfficeUser) -> PersonPublic:
    try:
        person = people.add_person(session, data=data)
    except people.DuplicatePerson as exc:
        raise _duplicate(exc) from exc
    return people.person_public(session, person, district=district)


@router.get("/people/{person_id}", response_model=PersonPublic)
def get_person(person_id: int, session: SessionDep, district: DistrictDep, _: StaffReader) -> PersonPublic:
    return people.person_public(session, people.get_person(session, person_id), district=district)


@router.get(
    "/people/{person_id}/export",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "the person's data, for a subject-access request"}
    },
)
def export_person_data(person_id: int, session: SessionDep, settings: SettingsDep, _: OfficeUser) -> Response:
    """Everything held about one person: record, forms and scans, templates held (never an encoding), the
    photos that show them, and the audit entries about them (registry/trust/subject_access.py)."""
    data = export_person(session, person_id=person_id, settings=settings)
    headers = {**PRIVATE_IMAGE_HEADERS, "Content-Disposition": attachment(f"person-{person_id}-data.zip")}
    return Response(data, media_type="application/zip", headers=headers)


@router.patch("/people/{person_id}", response_model=PersonPublic)
def update_person(
    person_id: int, changes: PersonUpdate, session: SessionDep, district: DistrictDep, _: OfficeUser
) -> PersonPublic:
    """Changes the fields sent (guardians: the whole list, students only); every change is in the audit log."""
    try:
        person = people.update_person(
            session, person=people.get_person(session, person_id), changes=changes, district=district
        )
    except people.DuplicatePerson as exc:
        raise _duplicate(exc) from exc
    return people.person_public(session, person, district=district)


@router.post("/people/import", response_model=RosterReport)
def import_roster(
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    user: OfficeUser,
    file: Annotated[
        UploadFile,
        File(description="CSV (comma- or semicolon-separated): external_id,name,kind,school,grade,groups,..."),
    ],
    default_kind: Annotated[PersonKind, Form()] = "student",
) -> RosterReport:
    content = file.file.read(settings.max_roster_bytes + 1)
    if len(content) > settings.max_roster_bytes:
        raise HTTPException(413, f"The roster file is larger than {size_words(settings.max_roster_bytes)}; split it.")
    try:
        # Committed a batch at a time: no transaction (SQLite's write lock) outlasts one batch.
        return roster.import_roster(
            session,
            content=content,
            default_kind=default_kind,
            checkpoint=lambda: checkpoint(session),
            district=district,
            by=user.id,
        )
    except roster.RosterFileError as exc:
        raise HTTPException(422, str(exc)) from exc
