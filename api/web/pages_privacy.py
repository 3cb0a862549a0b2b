"""The district's public statement of what biometric data it holds and for how long: /privacy, for anyone,
signed in or not (Illinois BIPA asks for a public retention schedule; COPPA for a written retention policy).
Every number on it is read from the settings in force, so the page cannot say other than the service does."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import SettingsDep
from api.web.templating import render
from registry.faces.lifecycle import retention_schedule

router = APIRouter(include_in_schema=False)


@router.get("/privacy")
def privacy(request: Request, settings: SettingsDep) -> Response:
    return render(request, "privacy.html", {"schedule": retention_schedule(settings)})
