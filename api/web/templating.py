"""Jinja2 set-up: the templates folder, the context every page gets, and plain-words filters."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from registry.accounts.permissions import ROLE_LABELS, Permission, may
from registry.models.accounts import User
from registry.policy.vocabulary import DESTINATION_LABELS, VERDICT_LABELS

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
CSRF_KEY = "csrf"
FLASH_KEY = "flash"

KIND_LABELS = {"student": "Student", "employee": "Employee", "community_member": "Community member"}
CONSENT_KIND_LABELS = {
    "image_release": "Photo release",
    "biometric": "Face enrolment (biometric)",
    "logo_use": "District logo use",
}
STATE_LABELS = {
    "active": "Active",
    "refused": "Refused",
    "revoked": "Revoked",
    "expired": "Expired",
    "not_yet_valid": "Not yet valid",
    "superseded": "Replaced by a newer form",
    "corrected": "Corrected by a later entry",
    "departed": "Left the district",
    "wrong_signer": "Not signed by the right person",
    "take_down": "Take down now",
    "taken_down": "Taken down",
}
EVENT_KIND_LABELS = {
    "sporting_event": "Sporting event",
    "fine_arts_performance": "Fine-arts performance",
    "classroom": "Classroom",
    "field_trip": "Field trip",
    "assembly": "Assembly",
    "other": "Other",
}
RELATIONSHIP_LABELS = {"parent": "Parent", "guardian": "Guardian", "self": "The person themself"}
DESTINATION_CHOICES = [
    ("personal_social_media", "Staff members' personal social media"),
    ("district_social_media", "The district's and schools' social media"),
    ("district_website", "The district and school websites"),
    ("print", "Print: newsletters, yearbook, posters"),
]
TAG_LABELS = {
    "district_logo": "The district logo is visible",
    "premises_interior": "Shows the inside of a school building",
    "floor_plan": "Shows a floor plan or map of a building",
}

# (path, label, the permission that shows it), in the order the header shows them.
NAVIGATION: list[tuple[str, str, Permission]] = [
    ("/", "Home", Permission.CLEAR_PHOTOS),
    ("/clearances/new", "Clear a photo", Permission.CLEAR_PHOTOS),
    ("/clearances", "My photos", Permission.CLEAR_PHOTOS),
    ("/albums", "Albums", Permission.CLEAR_PHOTOS),
    ("/takedowns", "Take down", Permission.CLEAR_PHOTOS),
    ("/class-lists", "Class lists", Permission.CLEAR_PHOTOS),
    ("/people", "People", Permission.MANAGE_PEOPLE),
    ("/roster", "Import roster", Permission.MANAGE_PEOPLE),
    ("/events", "Events", Permission.MANAGE_PEOPLE),
    ("/review", "Review queue", Permission.REVIEW),
    ("/admin/users", "Users", Permission.MANAGE_ACCOUNTS),
    ("/admin/tokens", "API tokens", Permission.MANAGE_ACCOUNTS),
]


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


def flash(request: Request, message: str, *, kind: str = "success") -> None:
    request.session[FLASH_KEY] = [*request.session.get(FLASH_KEY, []), {"kind": kind, "text": message}]


def navigation_for(user: User | None) -> list[tuple[str, str]]:
    if user is None or user.must_change_password:  # nothing else opens until they choose their own password
        return []
    return [(path, label) for path, label, permission in NAVIGATION if may(user.role, permission)]


def _page_context(request: Request) -> dict[str, Any]:
    user: User | None = getattr(request.state, "user", None)
    return {
        "user": user,
        "navigation": navigation_for(user),
        "csrf_token": csrf_token(request),
        "flashes": request.session.pop(FLASH_KEY, []),
        "current_path": request.url.path,
        # Pages ask the one permission table too: {% if can("review") %}
        "can": lambda permission: user is not None and may(user.role, Permission(permission)),
    }


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


def _moment(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y, %H:%M}"


def _label(value: str | None, labels: dict[str, str]) -> str:
    if value is None:
        return ""
    return labels.get(value, value.replace("_", " "))


templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_page_context])
templates.env.filters["day"] = _day
templates.env.filters["moment"] = _moment
templates.env.globals.update(
    ROLE_LABELS=ROLE_LABELS,
    KIND_LABELS=KIND_LABELS,
    CONSENT_KIND_LABELS=CONSENT_KIND_LABELS,
    STATE_LABELS=STATE_LABELS,
    EVENT_KIND_LABELS=EVENT_KIND_LABELS,
    RELATIONSHIP_LABELS=RELATIONSHIP_LABELS,
    DESTINATION_LABELS=DESTINATION_LABELS,
    DESTINATION_CHOICES=DESTINATION_CHOICES,
    VERDICT_LABELS=VERDICT_LABELS,
    TAG_LABELS=TAG_LABELS,
)
for _name, _labels in (
    ("role", ROLE_LABELS),
    ("kind", KIND_LABELS),
    ("consent_kind", CONSENT_KIND_LABELS),
    ("state", STATE_LABELS),
    ("event_kind", EVENT_KIND_LABELS),
    ("relationship", RELATIONSHIP_LABELS),
    ("destination", DESTINATION_LABELS),
    ("verdict", VERDICT_LABELS),
    ("tag", TAG_LABELS),
):
    templates.env.filters[_name] = lambda value, labels=_labels: _label(value, labels)


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, context or {}, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
