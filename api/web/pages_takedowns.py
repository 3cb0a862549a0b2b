"""Takedown requests: the uploader's list with a "taken down" confirmation; the district-wide view."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.deps import SessionDep
from api.responses import jpeg
from api.routes.takedowns import takedown_public
from api.web.auth import PageRoute, PageUser
from api.web.templating import flash, render
from registry.accounts.permissions import Permission, may
from registry.clearances.disclosure import viewer_of
from registry.takedowns import service as takedowns

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 50


@router.get("/takedowns")
def takedown_list(request: Request, session: SessionDep, user: PageUser, state: str = "open") -> Response:
    state = state if state in ("open", "confirmed") else "open"
    rows, total = takedowns.list_takedowns(session, user=user, state=state, limit=PAGE_SIZE)
    viewer = viewer_of(session, user)
    return render(
        request,
        "takedowns/list.html",
        {
            "takedowns": [takedown_public(session, t, viewer=viewer) for t in rows],
            "total": total,
            "state": state,
            "district_wide": may(user.role, Permission.SEE_EVERY_TAKEDOWN),
        },
    )


@router.post("/takedowns/{takedown_id}/confirm")
def confirm(request: Request, takedown_id: int, session: SessionDep, user: PageUser) -> Response:
    takedown = takedowns.get_takedown_for(session, takedown_id, user)
    takedowns.confirm_takedown(session, takedown=takedown, user=user)
    flash(request, "Thank you: the photo is recorded as taken down.")
    return RedirectResponse("/takedowns", status_code=303)


@router.get("/takedowns/{takedown_id}/thumbnail")
def thumbnail(takedown_id: int, session: SessionDep, user: PageUser) -> Response:
    return jpeg(takedowns.takedown_thumbnail(session, takedown_id, user))
