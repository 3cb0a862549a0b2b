"""Class lists on the page (who here must not be posted) and the office's groups."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlmodel import Session, col, select
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep
from api.responses import jpeg
from api.routes.class_lists import group_class_list, pdf_response, school_class_list
from api.web.auth import FormDep, OfficePage, PageRoute, PageUser, StaffPage
from api.web.forms import FORM, optional, text_values
from api.web.templating import flash, render
from registry.accounts.permissions import Permission, may
from registry.clearances.disclosure import viewer_of
from registry.core.errors import NotFound, RegistryError
from registry.groups import class_list
from registry.groups import service as groups
from registry.groups.class_list import ClassList
from registry.groups.service import GROUP_KINDS
from registry.models.accounts import User
from registry.models.base import id_of
from registry.models.groups import Group
from registry.models.people import Person
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
            "groups": groups.list_groups(session, user=user),
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


# --- the office's groups ---------------------------------------------------------------------


def _group_values(session: Session, group: Group) -> dict[str, Any]:
    members = session.exec(
        select(Person.external_id)
        .where(col(Person.id).in_(groups.member_ids(session, id_of(group))))
        .order_by(col(Person.external_id))
    ).all()
    leaders = session.exec(
        select(User.email).where(col(User.id).in_(groups.leader_ids(session, id_of(group)))).order_by(col(User.email))
    ).all()
    return {
        "name": group.name,
        "kind": group.kind,
        "school": group.school or "",
        "members": "\n".join(members),
        "leaders": "\n".join(leaders),
    }


def _words(text: str | None) -> list[str]:
    return [w for w in (text or "").replace(",", "\n").replace(";", "\n").split() if w]


def _group_form(
    request: Request, *, group: Group | None, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request,
        "class_lists/group_form.html",
        {"group": group, "values": values, "errors": errors, "kinds": [(k, k.capitalize()) for k in GROUP_KINDS]},
        status_code=status_code,
    )


@router.get("/groups/new")
def new_group(request: Request, _: OfficePage) -> Response:
    return _group_form(request, group=None, values={"kind": "team"}, errors={})


@router.get("/groups/{group_id}/edit")
def edit_group(request: Request, group_id: int, session: SessionDep, user: OfficePage) -> Response:
    group = groups.get_group_for(session, group_id, user)
    return _group_form(request, group=group, values=_group_values(session, group), errors={})


@router.post("/groups/new")
def add_group(request: Request, form: FormDep, session: SessionDep, user: OfficePage) -> Response:
    return _save(request, form, session, user, group=None)


@router.post("/groups/{group_id}/edit")
def change_group(request: Request, group_id: int, form: FormDep, session: SessionDep, user: OfficePage) -> Response:
    return _save(request, form, session, user, group=groups.get_group_for(session, group_id, user))


def _save(request: Request, form: Any, session: Session, user: User, *, group: Group | None) -> Response:
    values = text_values(form)
    errors: dict[str, str] = {}
    external = _words(values.get("members"))
    emails = [e.lower() for e in _words(values.get("leaders"))]
    people = (
        dict(session.exec(select(Person.external_id, Person.id).where(col(Person.external_id).in_(external))).all())
        if external
        else {}
    )
    accounts = (
        dict(session.exec(select(User.email, User.id).where(col(User.email).in_(emails))).all()) if emails else {}
    )
    if unknown := [e for e in external if e not in people]:
        errors["members"] = f"No person with the id {', '.join(unknown[:5])} on the roster."
    if unknown := [e for e in emails if e not in accounts]:
        errors["leaders"] = f"No account with the email {', '.join(unknown[:5])}."
    if not errors:
        try:
            with session.begin_nested():
                saved = groups.save_group(
                    session,
                    group=group,
                    name=str(values.get("name", "")),
                    kind=str(values.get("kind", "")),
                    school=optional(values, "school"),
                    member_ids=[int(people[e] or 0) for e in external],
                    leader_ids=[int(accounts[e] or 0) for e in emails],
                    by=user,
                )
        except RegistryError as exc:
            errors[FORM] = exc.message
    if errors:
        return _group_form(request, group=group, values=values, errors=errors, status_code=422)
    flash(request, f"The group “{saved.name}” has been saved.")
    return RedirectResponse("/class-lists", status_code=303)
