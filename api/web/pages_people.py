"""Office staff: find a person, a person's page, add a person, change a person's record."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep, SettingsDep
from api.web.auth import FormDep, OfficePage, PageRoute
from api.web.forms import FORM, field_errors, optional, text_values
from api.web.templating import flash, render
from registry.clearances.facts import biometric_consent_in_force
from registry.consents import service as consents
from registry.consents import standing
from registry.core.errors import RegistryError
from registry.faces import enrolment
from registry.faces.recognition import enrolment_refusal
from registry.models.base import utcnow
from registry.models.people import Person
from registry.people import service as people
from registry.people.schemas import PersonCreate, PersonPublic, PersonUpdate

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 25
GUARDIAN_SLOTS = (1, 2)
MAX_GUARDIANS = 6
RELEASE_FILTERS = {
    standing.NO_RELEASE: "No release on file",
    standing.RELEASE_REFUSED: "Refused",
    standing.RELEASE_ON_FILE: "Release on file",
}
FACES_FILTERS = {"no": "Not enrolled", "yes": "Enrolled"}


@router.get("/people")
def find_people(
    request: Request,
    session: SessionDep,
    district: DistrictDep,
    _: OfficePage,
    q: str = "",
    kind: str = "",
    school: str = "",
    grade: str = "",
    release: str = "",
    faces: str = "",
    page: int = 1,
) -> Response:
    page = max(page, 1)
    release = release if release in RELEASE_FILTERS else ""
    faces = faces if faces in FACES_FILTERS else ""
    rows, total = people.list_people(
        session,
        query=q[:100] or None,
        kind=kind or None,
        school=school or None,
        grade=grade or None,
        release=release or None,
        enrolled={"yes": True, "no": False}.get(faces),
        district=district,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    filters = {"q": q, "kind": kind, "school": school, "grade": grade, "release": release, "faces": faces}
    return render(
        request,
        "people/list.html",
        {
            "people": people.people_public(session, rows, district=district),
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "filters": filters,
            "searched": any(filters.values()),
            "release_filters": RELEASE_FILTERS,
            "faces_filters": FACES_FILTERS,
        },
    )


@router.get("/people/new")
def new_person_form(request: Request, _: OfficePage) -> Response:
    return render(request, "people/new.html", {"values": {"kind": "student"}, "errors": {}, "slots": GUARDIAN_SLOTS})


def _guardian_field(loc: tuple[Any, ...]) -> str:
    if len(loc) >= 3 and loc[0] == "guardians" and isinstance(loc[1], int):
        return f"guardian{loc[1] + 1}_{loc[2]}"
    return ".".join(str(part) for part in loc)


def _guardians(values: dict[str, Any], slots: range | tuple[int, ...]) -> list[dict[str, Any]]:
    """The guardians typed in the form's numbered slots; a slot left empty is not a guardian."""
    return [
        {
            "name": optional(values, f"guardian{n}_name"),
            "relationship": optional(values, f"guardian{n}_relationship") or "parent",
            "email": optional(values, f"guardian{n}_email"),
            "phone": optional(values, f"guardian{n}_phone"),
        }
        for n in slots
        if any(optional(values, f"guardian{n}_{f}") for f in ("name", "email", "phone"))
    ]


def _existing_record(exc: RegistryError) -> dict[str, Any] | None:
    """The record an external ID already belongs to, to link to its edit page."""
    if isinstance(exc, people.DuplicatePerson):
        return {"id": exc.existing_id, "name": exc.existing_name}
    return None


@router.post("/people/new")
def add_person(request: Request, form: FormDep, session: SessionDep, _: OfficePage) -> Response:
    values = text_values(form)
    errors: dict[str, str] = {}
    existing = None
    try:
        data = PersonCreate.model_validate(
            {
                "external_id": values.get("external_id", ""),
                "kind": values.get("kind", ""),
                "name": values.get("name", ""),
                "school": optional(values, "school"),
                "grade": optional(values, "grade"),
                "guardians": _guardians(values, GUARDIAN_SLOTS) if values.get("kind") == "student" else [],
            }
        )
        with session.begin_nested():
            person = people.add_person(session, data=data)
    except ValidationError as exc:
        errors = field_errors(exc, _guardian_field)
    except RegistryError as exc:
        existing = _existing_record(exc)
        errors = {"external_id" if exc.status_code == 409 else FORM: exc.message}
        if existing:
            errors["external_id"] = f"{data.external_id} is already the ID of {existing['name']}."
    if errors:
        return render(
            request,
            "people/new.html",
            {"values": values, "errors": errors, "existing": existing, "slots": GUARDIAN_SLOTS},
            status_code=422,
        )
    flash(request, f"{person.name} has been added.")
    return RedirectResponse(f"/people/{person.id}", status_code=303)


@router.get("/people/{person_id}")
def person_page(
    request: Request,
    person_id: int,
    session: SessionDep,
    settings: SettingsDep,
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
            "public": people.person_public(session, person, district=district),
            "consents": [consents.consent_public(session, c, district=district) for c in rows],
            "standing": standing.image_release_standing(session, person, district=district),
            "today": district.today(),
            "faces_section": True,
            "templates": enrolment.list_templates(session, person_id),
            "biometric_ok": biometric_consent_in_force(session, person, utcnow(), district=district) is not None,
            "not_recognised": enrolment_refusal(settings, person),
        },
    )


def _record_values(public: PersonPublic) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": public.name,
        "external_id": public.external_id,
        "school": public.school or "",
        "grade": public.grade or "",
        "birth_date": public.birth_date.isoformat() if public.birth_date else "",
        "status": public.status,
        "departed_on": public.departed_on.isoformat() if public.departed_on else "",
    }
    for n, guardian in enumerate(public.guardians, start=1):
        values.update(
            {
                f"guardian{n}_name": guardian.name,
                f"guardian{n}_relationship": guardian.relationship,
                f"guardian{n}_email": guardian.email or "",
                f"guardian{n}_phone": guardian.phone or "",
            }
        )
    return values


def _edit_page(
    request: Request,
    person: Person,
    public: PersonPublic,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    existing: dict[str, Any] | None = None,
) -> Response:
    # Every recorded guardian has a slot, and one more is free, up to what a record may hold.
    slots = range(1, min(MAX_GUARDIANS, max(len(GUARDIAN_SLOTS), len(public.guardians) + 1)) + 1)
    return render(
        request,
        "people/edit.html",
        {"person": person, "public": public, "values": values, "errors": errors, "existing": existing, "slots": slots},
        status_code=422 if errors else 200,
    )


@router.get("/people/{person_id}/edit")
def edit_person_form(
    request: Request, person_id: int, session: SessionDep, district: DistrictDep, _: OfficePage
) -> Response:
    person = people.get_person(session, person_id)
    public = people.person_public(session, person, district=district)
    return _edit_page(request, person, public, _record_values(public), {})


@router.post("/people/{person_id}/edit")
def edit_person(
    request: Request, form: FormDep, person_id: int, session: SessionDep, district: DistrictDep, _: OfficePage
) -> Response:
    person = people.get_person(session, person_id)
    values = text_values(form)
    errors: dict[str, str] = {}
    existing = None
    changes: dict[str, Any] = {
        "name": values.get("name", ""),
        "external_id": values.get("external_id", ""),
        "school": optional(values, "school"),
        "birth_date": optional(values, "birth_date"),
        "status": values.get("status", ""),
    }
    if values.get("status") == "departed":
        changes["departed_on"] = optional(values, "departed_on")
    if person.kind == "student":  # only a student's form shows a grade and guardians
        changes["grade"] = optional(values, "grade")
        changes["guardians"] = _guardians(values, range(1, MAX_GUARDIANS + 1))
    before = person.model_dump()
    try:
        data = PersonUpdate.model_validate(changes)
        with session.begin_nested():
            people.update_person(session, person=person, changes=data, district=district)
            takedowns = len(standing.requested_in(session))
    except ValidationError as exc:
        errors = field_errors(exc, _guardian_field)
    except RegistryError as exc:
        existing = _existing_record(exc)
        errors = {"external_id" if existing else FORM: exc.message}
        if existing:
            errors["external_id"] = f"{data.external_id} is already the ID of {existing['name']}."
    if errors:
        session.expire(person)  # what was rolled back is not shown as saved
        public = people.person_public(session, person, district=district)
        return _edit_page(request, person, public, values, errors, existing=existing)
    changed = person.updated_at != before["updated_at"]
    flash(
        request,
        (f"{person.name}'s record has been saved." if changed else "Nothing was changed.")
        + (
            f" {takedowns} photo{'s' if takedowns != 1 else ''} cleared earlier must now come down: their uploaders "
            "have been asked to take them down."
            if takedowns
            else ""
        ),
    )
    return RedirectResponse(f"/people/{person.id}", status_code=303)
