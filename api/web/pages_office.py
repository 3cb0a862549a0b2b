"""Office staff: roster import with its per-row report, and district events."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep, SettingsDep
from api.web.auth import FormDep, OfficePage, PageRoute
from api.web.forms import FORM, field_errors, move_form_error, optional, text_values, uploaded
from api.web.templating import flash, render
from api.web.uploads import too_large
from registry.core.db import checkpoint
from registry.core.errors import RegistryError
from registry.events import service as events
from registry.events.schemas import EventCreate
from registry.people import roster
from registry.policy.ledger import day_label

router = APIRouter(route_class=PageRoute, include_in_schema=False)
EVENT_PAGE_SIZE = 50


@router.get("/roster")
def roster_form(request: Request, _: OfficePage) -> Response:
    return render(request, "roster.html", {"values": {"default_kind": "student"}, "errors": {}, "report": None})


@router.post("/roster")
def import_roster(
    request: Request,
    form: FormDep,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    user: OfficePage,
) -> Response:
    values = text_values(form)
    default_kind = (
        values.get("default_kind")
        if values.get("default_kind") in ("student", "employee", "community_member")
        else "student"
    )
    upload = uploaded(form, "file")
    errors: dict[str, str] = {}
    report = None
    if upload is None:
        errors["file"] = "Choose the roster file (a .csv file) to import."
    else:
        content = upload.file.read(settings.max_roster_bytes + 1)
        if len(content) > settings.max_roster_bytes:
            errors["file"] = too_large(settings, "roster", size=upload.size)
        else:
            try:  # committed a batch at a time: no transaction (SQLite's write lock) outlasts one batch
                report = roster.import_roster(
                    session,
                    content=content,
                    default_kind=str(default_kind),
                    checkpoint=lambda: checkpoint(session),
                    district=district,
                    by=user.id,
                )
            except roster.RosterFileError as exc:
                errors["file"] = str(exc)
    return render(
        request,
        "roster.html",
        {"values": values, "errors": errors, "report": report, "filename": upload.filename if upload else None},
        status_code=422 if errors else 200,
    )


@router.get("/events")
def list_events(request: Request, session: SessionDep, _: OfficePage, page: int = 1) -> Response:
    page = max(page, 1)
    rows, total = events.list_events(session, limit=EVENT_PAGE_SIZE, offset=(page - 1) * EVENT_PAGE_SIZE)
    return render(
        request,
        "events/list.html",
        {"events": rows, "total": total, "page": page, "pages": max(1, -(-total // EVENT_PAGE_SIZE))},
    )


@router.get("/events/new")
def new_event_form(request: Request, _: OfficePage) -> Response:
    return render(request, "events/new.html", {"values": {"kind": "sporting_event"}, "errors": {}})


@router.post("/events/new")
def add_event(
    request: Request, form: FormDep, session: SessionDep, district: DistrictDep, user: OfficePage
) -> Response:
    values = text_values(form)
    errors: dict[str, str] = {}
    try:
        data = EventCreate.model_validate(
            {
                "name": values.get("name", ""),
                "kind": values.get("kind", ""),
                "public": {"yes": True, "no": False}.get(str(values.get("public"))),
                "starts_at": values.get("starts_at", ""),
                "ends_at": values.get("ends_at", ""),
                "location": optional(values, "location"),
                "school": optional(values, "school"),
            }
        )
        with session.begin_nested():
            event = events.add_event(session, data=data, created_by_id=user.id or 0, time_zone=district.time_zone)
    except ValidationError as exc:
        errors = field_errors(exc)
    except RegistryError as exc:
        errors = {FORM: exc.message}
    if errors:
        move_form_error(errors, mentioning="ends_at", to="ends_at", message="The event must end after it starts.")
        return render(request, "events/new.html", {"values": values, "errors": errors}, status_code=422)
    when = f"{day_label(event.starts_at.date())}, {event.starts_at:%H:%M}"  # as entered: the district's time
    flash(request, f"The event “{event.name}” on {when} has been added.")
    return RedirectResponse("/events", status_code=303)
