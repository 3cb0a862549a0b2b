"""Office staff: find a person, a person's page, add a person."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep
from api.web.auth import FormDep, OfficePage, PageRoute
from api.web.forms import FORM, field_errors, optional, text_values
from api.web.templating import flash, render
from registry.clearances.facts import biometric_consent_in_force
from registry.consents import service as consents
from registry.consents import standing
from registry.core.errors import RegistryError
from registry.faces import enrolment
from registry.models.base import utcnow
from registry.people import service as people
from registry.people.schemas import PersonCreate

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 25
GUARDIAN_SLOTS = (1, 2)


@router.get("/people")
def find_people(
    request: Request,
    session: SessionDep,
    _: OfficePage,
    q: str = "",
    kind: str = "",
    school: str = "",
    grade: str = "",
    page: int = 1,
) -> Response:
    page = max(page, 1)
    rows, total = people.list_people(
        session,
        query=q[:100] or None,
        kind=kind or None,
        school=school or None,
        grade=grade or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return render(
        request,
        "people/list.html",
        {
            "people": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "filters": {"q": q, "kind": kind, "school": school, "grade": grade},
            "searched": bool(q or kind or school or grade),
        },
    )


@router.get("/people/new")
def new_person_form(request: Request, _: OfficePage) -> Response:
    return render(request, "people/new.html", {"values": {"kind": "student"}, "errors": {}})


def _guardian_field(loc: tuple[Any, ...]) -> str:
    if len(loc) >= 3 and loc[0] == "guardians" and isinstance(loc[1], int):
        return f"guardian{loc[1] + 1}_{loc[2]}"
    return ".".join(str(part) for part in loc)


@router.post("/people/new")
def add_person(request: Request, form: FormDep, session: SessionDep, _: OfficePage) -> Response:
    values = text_values(form)
    guardians = [
        {
            "name": optional(values, f"guardian{n}_name"),
            "relationship": optional(values, f"guardian{n}_relationship") or "parent",
            "email": optional(values, f"guardian{n}_email"),
            "phone": optional(values, f"guardian{n}_phone"),
        }
        for n in GUARDIAN_SLOTS
        if any(optional(values, f"guardian{n}_{f}") for f in ("name", "email", "phone"))
    ]
    errors: dict[str, str] = {}
    try:
        data = PersonCreate.model_validate(
            {
                "external_id": values.get("external_id", ""),
                "kind": values.get("kind", ""),
                "name": values.get("name", ""),
                "school": optional(values, "school"),
                "grade": optional(values, "grade"),
                "guardians": guardians if values.get("kind") == "student" else [],
            }
        )
        with session.begin_nested():
            person = people.add_person(session, data=data)
    except ValidationError as exc:
        errors = field_errors(exc, _guardian_field)
    except RegistryError as exc:
        errors = {"external_id" if exc.status_code == 409 else FORM: exc.message}
    if errors:
        return render(request, "people/new.html", {"values": values, "errors": errors}, status_code=422)
    flash(request, f"{person.name} has been added.")
    return RedirectResponse(f"/people/{person.id}", status_code=303)


@router.get("/people/{person_id}")
def person_page(
    request: Request,
    person_id: int,
    session: SessionDep,
    district: DistrictDep,
    _: OfficePage,
) -> Response:
    person = people.get_person(session, person_id)
    rows, _total = consents.list_consents(session, person_id=person_id, limit=200)
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "public": people.person_public(session, person),
            "consents": [consents.consent_public(session, c, district=district) for c in rows],
            "standing": standing.image_release_standing(session, person, district=district),
            "today": district.today(),
            "faces_section": True,
            "templates": enrolment.list_templates(session, person_id),
            "biometric_ok": biometric_consent_in_force(session, person, utcnow(), district=district) is not None,
        },
    )
