"""Class lists on the page (who here must not be posted) and the office's groups."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import DistrictDep, SessionDep
from api.responses import jpeg
from api.routes.class_lists import group_class_list, pdf_response, school_class_list
from api.web.auth import PageRoute, PageUser, StaffPage
from api.web.templating import render
from registry.accounts.permissions import Permission, may
from registry.clearances.disclosure import viewer_of
from registry.core.errors import NotFound
from registry.groups import class_list
from registry.groups import service as groups
from registry.groups.class_list import ClassList
from registry.models.base import id_of
from registry.policy.vocabulary import DESTINATIONS

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _destination(value: str | None) -> str:
    return value if value in DESTINATIONS else "personal_social_media"


@router.get("/class-lists")
def class_lists(request: Request, session: SessionDep, user: PageUser) -> Response:
    return render(
        request,
        "class_lists/index.html",
        {
            "groups": (listed := groups.list_groups(session, user=user)),
            "member_counts": groups.member_counts(session, [id_of(g) for g in listed]),
            "whole_school": may(user.role, Permission.IDENTIFY_EVERYONE),
            "makes_groups": may(user.role, Permission.MANAGE_PEOPLE),
            "values": {"destination": "personal_social_media"},
        },
    )


def _list_page(request: Request, listing: ClassList, *, pdf_url: str, back: str) -> Response:
    return render(
        request,
        "class_lists/list.html",
        {"listing": listing, "pdf_url": pdf_url, "back": back, "values": {"destination": listing.destination}},
    )


@router.get("/class-lists/groups/{group_id}")
def group_list(
    request: Request,
    group_id: int,
    session: SessionDep,
    district: DistrictDep,
    user: PageUser,
    destination: str | None = None,
) -> Response:
    where = _destination(destination)
    listing = group_class_list(session, group_id=group_id, user=user, destination=where, district=district)
    return _list_page(
        request,
        listing,
        pdf_url=f"/class-lists/groups/{group_id}/pdf?destination={where}",
        back=f"/class-lists/groups/{group_id}",
    )


@router.get("/class-lists/groups/{group_id}/pdf")
def group_list_pdf(
    group_id: int, session: SessionDep, district: DistrictDep, user: PageUser, destination: str | None = None
) -> Response:
    return pdf_response(
        session,
        group_class_list(
            session, group_id=group_id, user=user, destination=_destination(destination), district=district
        ),
    )


@router.get("/class-lists/school")
def school_list(
    request: Request,
    session: SessionDep,
    district: DistrictDep,
    user: StaffPage,
    school: str = "",
    grade: str | None = None,
    destination: str | None = None,
) -> Response:
    where = _destination(destination)
    listing = school_class_list(
        session,
        school=school.strip()[:120],
        grade=(grade or "").strip()[:20] or None,
        user=user,
        destination=where,
        district=district,
    )
    query = urlencode({"school": school, "grade": grade or "", "destination": where})
    return _list_page(request, listing, pdf_url=f"/class-lists/school.pdf?{query}", back="/class-lists/school")


@router.get("/class-lists/school.pdf")
def school_list_pdf(
    session: SessionDep,
    district: DistrictDep,
    user: StaffPage,
    school: str = "",
    grade: str | None = None,
    destination: str | None = None,
) -> Response:
    return pdf_response(
        session,
        school_class_list(
            session,
            school=school.strip()[:120],
            grade=(grade or "").strip()[:20] or None,
            user=user,
            destination=_destination(destination),
            district=district,
        ),
    )


@router.get("/class-lists/thumbnails/{person_id}")
def thumbnail(person_id: int, session: SessionDep, user: PageUser) -> Response:
    if not viewer_of(session, user).may_identify(person_id):
        raise NotFound(f"No reference photo for person {person_id}.")
    return jpeg(class_list.reference_thumbnail(session, person_id))
