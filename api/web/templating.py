"""Jinja2 set-up: the templates folder, the context every page gets, and plain-words filters."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.responses import Response

from api.web.uploads import KIND_WORDS, REFUSED_UPLOAD, limit_words, refused_upload_message
from registry.accounts.permissions import ROLE_LABELS, Permission, may
from registry.models.accounts import User
from registry.models.base import as_utc
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
    "premises_interior": "Shows areas of a school not open to the public (offices, corridors, security)",
    "floor_plan": "Shows a floor plan or map of a building",
    "building_exterior": "Shows the outside of a school building",
    "school_name": "Names a school or the district (in the caption or the photo)",
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
    ("/consent-requests", "Family forms", Permission.MANAGE_PEOPLE),
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
    settings = request.app.state.settings
    return {
        "upload_limits": limit_words(settings),
        "upload_bytes": {kind: settings.upload_limit(kind) for kind in KIND_WORDS},
        "refused_upload": refused_upload_message(settings, getattr(request.state, REFUSED_UPLOAD, None)),
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


def _local(context: Context, value: datetime) -> datetime:
    """A stored moment (UTC) in the district's time zone."""
    request = context.get("request")
    if request is None:
        return value
    return as_utc(value).astimezone(ZoneInfo(request.app.state.settings.time_zone))


@pass_context
def _moment(context: Context, value: datetime | None) -> str:
    """ "2 Dec 2026, 14:05", in the district's time zone."""
    return "" if value is None else f"{_local(context, value):%-d %b %Y, %H:%M}"


def long_day(value: date | datetime | None) -> str:
    """A day as people write it: "2 December 2026"."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


@pass_context
def _long_moment(context: Context, value: datetime | None) -> str:
    """ "2 December 2026 at 14:05", in the district's time zone."""
    return "" if value is None else f"{long_day(_local(context, value))} at {_local(context, value):%H:%M}"


_ISO_MOMENT = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?\b")
_FACE_NUMBER = re.compile(r"^Face (\d+): ")
_INTERNALS = (
    (re.compile(r" ?\((?:within|distance|nearest distance|only) [0-9.]+[^)]*\)"), ""),  # the matcher's numbers
    (re.compile(r" ?\((?:consent|clearance) #?\d+\)", re.I), ""),  # a record's id
    (re.compile(r"\b(?:the )?consent #\d+", re.I), "the consent"),
    (re.compile(r"did not finish within [0-9.]+ s \([^)]*\)"), "could not finish in the time allowed"),
    (re.compile(r"^Review requested: "), "A reviewer must check this: "),
    (re.compile(r"\b1 face-like area\(s\)"), "1 face-like area"),
    (re.compile(r"face-like area\(s\)"), "face-like areas"),
)


def plain_words(message: str | None) -> str:
    """A decision's stored sentence as a person reads it: no thresholds, record ids, ISO dates or tag codes;
    faces numbered from 1 as the page numbers them."""
    if not message:
        return ""
    text = _FACE_NUMBER.sub(lambda m: f"Face {int(m.group(1)) + 1}: ", message)
    for pattern, words in _INTERNALS:
        text = pattern.sub(words, text)
    text = re.sub(r"Tag '([a-z_]+)'", lambda m: f"“{TAG_LABELS.get(m.group(1), m.group(1).replace('_', ' '))}”", text)

    def day(match: re.Match[str]) -> str:
        try:
            when = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return match.group(0)
        return long_day(when) + (f", {match.group(4)}:{match.group(5)}" if match.group(4) else "")

    return _ISO_MOMENT.sub(day, text)


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 face", "3 faces": a count with its noun in the right number."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _label(value: str | None, labels: dict[str, str]) -> str:
    if value is None:
        return ""
    return labels.get(value, value.replace("_", " "))


templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_page_context])
templates.env.filters["day"] = _day
templates.env.filters["moment"] = _moment
templates.env.filters["long_day"] = long_day
templates.env.filters["long_moment"] = _long_moment
templates.env.filters["plain_words"] = plain_words
templates.env.filters["plural"] = plural
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
