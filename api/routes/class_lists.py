"""Class lists: before taking photos, who here must not be posted (a group's, a school's, a grade's)."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlmodel import Session

from api.deps import CurrentUser, DistrictDep, SessionDep
from api.responses import JPEG_RESPONSES, PRIVATE_IMAGE_HEADERS, attachment, jpeg
from registry.accounts.permissions import Permission, may
from registry.clearances.disclosure import record_class_list, viewer_of
from registry.core.errors import NotFound
from registry.groups import class_list
from registry.groups import service as groups
from registry.groups.class_list_pdf import class_list_pdf
from registry.groups.schemas import ClassListPublic, ListedStudentPublic
from registry.models.accounts import User
from registry.policy.vocabulary import Destination

router = APIRouter(tags=["class lists"])
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}
ForDestination = Annotated[Destination, Query(description="where the photos will be posted")]


def group_class_list(
    session: Session,
    *,
    group_id: int,
    user: User,
    destination: str,
    district: DistrictDep,
) -> class_list.ClassList:
    group = groups.get_group_for(session, group_id, user)
    listing = class_list.class_list(
        session,
        title=group.name,
        students=class_list.people_of_group(session, group),
        destination=destination,
        district=district,
    )
    record_class_list(
        session, viewer_of(session, user), group_id=group_id, person_ids=[s.person_id for s in listing.listed]
    )
    return listing


def school_class_list(
    session: Session,
    *,
    school: str,
    grade: str | None,
    user: User,
    destination: str,
    district: DistrictDep,
) -> class_list.ClassList:
    if not may(user.role, Permission.IDENTIFY_EVERYONE):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "A school's or a grade's class list is for office staff; "
            "ask the office for a group of your own (your team, choir or homeroom).",
        )
    title = f"{school}, grade {grade}" if grade else school
    return class_list.class_list(
        session,
        title=title,
        students=class_list.students_of_school(session, school, grade),
        destination=destination,
        district=district,
    )


def class_list_public(listing: class_list.ClassList) -> ClassListPublic:
    return ClassListPublic(
        title=listing.title,
        destination=listing.destination,
        printed_on=listing.printed_on,
        students=listing.students,
        others=listing.others,
        listed=[
            ListedStudentPublic(
                person_id=s.person_id,
                name=s.name,
                kind=s.kind,
                grade=s.grade,
                refused=s.refused,
                words=s.words,
                thumbnail_url=f"/api/v1/class-list/thumbnails/{s.person_id}" if s.has_thumbnail else None,
            )
            for s in listing.listed
        ],
    )


def pdf_response(session: Session, listing: class_list.ClassList) -> Response:
    """The PDF as a download named after the group or school, in its own letters where the browser reads
    them (a name in Greek or Vietnamese is a header HTTP cannot carry as it is), plain ASCII otherwise."""
    name = _file_name_part(listing.title)
    plain = _file_name_part(_in_ascii(listing.title))
    return Response(
        class_list_pdf(session, listing),
        media_type="application/pdf",
        headers={
            **PRIVATE_IMAGE_HEADERS,
            "Content-Disposition": attachment(
                f"do-not-post-{name}-{listing.printed_on}.pdf",
                fallback=f"do-not-post-{plain}-{listing.printed_on}.pdf",
            ),
        },
    )


# Latin letters that are not an ASCII letter with an accent, spelled as their readers spell them in ASCII.
_LATIN_SPELLINGS = str.maketrans(
    {
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ß": "ss",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
    }
)


def _in_ascii(title: str) -> str:
    decomposed = unicodedata.normalize("NFKD", title.translate(_LATIN_SPELLINGS))
    return decomposed.encode("ascii", "ignore").decode()


def _file_name_part(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title).strip("-").lower() or "class-list"


@router.get("/groups/{group_id}/class-list", response_model=ClassListPublic)
def get_group_class_list(
    group_id: int,
    session: SessionDep,
    user: CurrentUser,
    district: DistrictDep,
    destination: ForDestination = "personal_social_media",
) -> ClassListPublic:
    """The group's students whose image may not be posted there (no release, or a refusal)."""
    return class_list_public(
        group_class_list(session, group_id=group_id, user=user, destination=destination, district=district)
    )


@router.get("/groups/{group_id}/class-list.pdf", response_class=Response, responses=PDF)
def get_group_class_list_pdf(
    group_id: int,
    session: SessionDep,
    user: CurrentUser,
    district: DistrictDep,
    destination: ForDestination = "personal_social_media",
) -> Response:
    return pdf_response(
        session, group_class_list(session, group_id=group_id, user=user, destination=destination, district=district)
    )


@router.get("/class-list", response_model=ClassListPublic)
def get_school_class_list(
    session: SessionDep,
    user: CurrentUser,
    district: DistrictDep,
    school: Annotated[str, Query(max_length=120)],
    grade: Annotated[str | None, Query(max_length=20)] = None,
    destination: ForDestination = "personal_social_media",
) -> ClassListPublic:
    """A school's (or one grade's) class list: office staff, reviewers and administrators."""
    return class_list_public(
        school_class_list(session, school=school, grade=grade, user=user, destination=destination, district=district)
    )


@router.get("/class-list.pdf", response_class=Response, responses=PDF)
def get_school_class_list_pdf(
    session: SessionDep,
    user: CurrentUser,
    district: DistrictDep,
    school: Annotated[str, Query(max_length=120)],
    grade: Annotated[str | None, Query(max_length=20)] = None,
    destination: ForDestination = "personal_social_media",
) -> Response:
    return pdf_response(
        session,
        school_class_list(session, school=school, grade=grade, user=user, destination=destination, district=district),
    )


@router.get("/class-list/thumbnails/{person_id}", response_class=Response, responses=JPEG_RESPONSES)
def reference_thumbnail(person_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """A student's enrolled reference face, for whoever may know who they are (registry/clearances/disclosure.py)."""
    if not viewer_of(session, user).may_identify(person_id):
        raise NotFound(f"No reference photo for person {person_id}.")
    return jpeg(class_list.reference_thumbnail(session, person_id))
