"""The office's groups: a team, a choir, a homeroom, its members picked from the roster and its leaders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session, col, select
from starlette.responses import RedirectResponse, Response

from api.deps import SessionDep
from api.web.auth import FormDep, OfficePage, PageRoute
from api.web.forms import FORM, optional, text_values
from api.web.templating import flash, render
from registry.core.errors import RegistryError
from registry.groups import service as groups
from registry.groups.class_list import students_of_school
from registry.groups.service import GROUP_KINDS
from registry.models.accounts import User
from registry.models.base import id_of
from registry.models.groups import Group
from registry.models.people import Person
from registry.people import service as people

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FOUND_AT_MOST = 20


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
    return list(dict.fromkeys(w for w in (text or "").replace(",", "\n").replace(";", "\n").split() if w))


def _on_roster(session: Session, external_ids: list[str]) -> list[Person]:
    if not external_ids:
        return []
    found = {p.external_id: p for p in session.exec(select(Person).where(col(Person.external_id).in_(external_ids)))}
    return [found[e] for e in external_ids if e in found]


def _group_form(
    request: Request,
    session: Session,
    *,
    group: Group | None,
    values: dict[str, Any],
    errors: dict[str, str],
    found: list[Person] | None = None,
    added: str = "",
    status_code: int = 200,
) -> Response:
    members = sorted(_on_roster(session, _words(values.get("members"))), key=lambda p: (p.name, p.external_id))
    return render(
        request,
        "class_lists/group_form.html",
        {
            "group": group,
            "values": values,
            "errors": errors,
            "kinds": [(k, k.capitalize()) for k in GROUP_KINDS],
            "members": members,
            "found": found,
            "added": added,
        },
        status_code=status_code,
    )


@router.get("/groups/new")
def new_group(request: Request, session: SessionDep, _: OfficePage) -> Response:
    return _group_form(request, session, group=None, values={"kind": "team"}, errors={})


@router.get("/groups/{group_id}/edit")
def edit_group(request: Request, group_id: int, session: SessionDep, user: OfficePage) -> Response:
    group = groups.get_group_for(session, group_id, user)
    return _group_form(request, session, group=group, values=_group_values(session, group), errors={})


@router.post("/groups/new")
def add_group(request: Request, form: FormDep, session: SessionDep, user: OfficePage) -> Response:
    return _save(request, form, session, user, group=None)


@router.post("/groups/{group_id}/edit")
def change_group(request: Request, group_id: int, form: FormDep, session: SessionDep, user: OfficePage) -> Response:
    return _save(request, form, session, user, group=groups.get_group_for(session, group_id, user))


def _pick(request: Request, session: Session, values: dict[str, Any], *, group: Group | None) -> Response:
    """Finding people on the roster, adding them or a whole grade, or taking one out: the form again, unsaved."""
    members = _words(values.get("members"))
    found: list[Person] | None = None
    added = ""
    errors: dict[str, str] = {}
    if remove := values.get("remove_id"):
        members = [m for m in members if m != remove]
    elif add := values.get("add_id"):
        members = [*members, add] if add not in members else members
    elif values.get("act") == "find":
        words = str(values.get("find", "")).strip()
        if words:
            found, _ = people.list_people(session, query=words, status="active", limit=FOUND_AT_MOST)
        else:
            errors["find"] = "Type a name, a parent's name or an ID to find."
    elif values.get("act") == "grade":
        school, grade = optional(values, "add_school"), optional(values, "add_grade")
        if school is None:
            errors["add_school"] = "Type the school, as on the roster."
        else:
            students = students_of_school(session, school, grade)
            new = [p.external_id for p in students if p.external_id not in members]
            members += new
            whole = f"grade {grade} at {school}" if grade else school
            added = (
                f"{len(new)} student{'' if len(new) == 1 else 's'} of {whole} added"
                + (f" ({len(students) - len(new)} already in the group)" if len(new) < len(students) else "")
                + ". Save the group to keep them."
                if students
                else f"No active student of {whole} is on the roster: check the school's name as the roster gives it."
            )
    values = {**values, "members": "\n".join(members)}
    return _group_form(request, session, group=group, values=values, errors=errors, found=found, added=added)


def _save(request: Request, form: Any, session: Session, user: User, *, group: Group | None) -> Response:
    values = text_values(form)
    if values.get("act") in ("find", "grade") or values.get("add_id") or values.get("remove_id"):
        return _pick(request, session, values, group=group)
    errors: dict[str, str] = {}
    external = _words(values.get("members"))
    emails = [e.lower() for e in _words(values.get("leaders"))]
    on_roster = {p.external_id: id_of(p) for p in _on_roster(session, external)}
    accounts = (
        dict(session.exec(select(User.email, User.id).where(col(User.email).in_(emails))).all()) if emails else {}
    )
    if unknown := [e for e in external if e not in on_roster]:
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
                    member_ids=[on_roster[e] for e in external],
                    leader_ids=[int(accounts[e] or 0) for e in emails],
                    by=user,
                )
        except RegistryError as exc:
            errors[FORM] = exc.message
    if errors:
        return _group_form(request, session, group=group, values=values, errors=errors, status_code=422)
    n = len(external)
    flash(request, f"The group “{saved.name}” has been saved with {n} member{'' if n == 1 else 's'}.")
    return RedirectResponse("/class-lists", status_code=303)
