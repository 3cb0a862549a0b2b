"""Takedown requests: the uploader's list and confirmation; administrators see them all."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from sqlmodel import Session

from api.deps import CurrentUser, Limit, Offset, SessionDep
from api.responses import JPEG_RESPONSES, jpeg
from registry.clearances.disclosure import Viewer, present_takedown, viewer_of
from registry.core.schemas import Page
from registry.models.clearances import Clearance
from registry.models.takedowns import Takedown
from registry.takedowns import service as takedowns
from registry.takedowns.schemas import TakedownPublic

router = APIRouter(tags=["takedowns"])


def takedown_public(session: Session, takedown: Takedown, *, viewer: Viewer) -> TakedownPublic:
    """The request as this viewer may see it: the person named only to someone who may identify them."""
    shown = present_takedown(session, takedown, viewer=viewer)
    clearance = session.get(Clearance, takedown.clearance_id)
    has_thumbnail = clearance is not None and clearance.thumbnail is not None
    return TakedownPublic.model_validate(
        {
            **takedown.model_dump(),
            "person_id": shown.person_id,
            "person_name": shown.person_name,
            "reason": shown.reason,
            "consent_id": takedown.consent_id if shown.person_id is not None or takedown.person_id is None else None,
            "age_days": takedowns.age_in_days(takedown),
            "thumbnail_url": f"/api/v1/takedowns/{takedown.id}/thumbnail" if has_thumbnail else None,
            "file_name": clearance.file_name if clearance is not None else None,
            "caption": clearance.caption if clearance is not None else None,
            "destination": clearance.destination if clearance is not None else None,
        }
    )


@router.get("/takedowns", response_model=Page[TakedownPublic])
def list_takedowns(
    session: SessionDep,
    user: CurrentUser,
    state: Annotated[Literal["open", "confirmed"] | None, Query(description="open or confirmed")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[TakedownPublic]:
    rows, total = takedowns.list_takedowns(session, user=user, state=state, limit=limit, offset=offset)
    viewer = viewer_of(session, user)
    return Page(
        items=[takedown_public(session, t, viewer=viewer) for t in rows], total=total, limit=limit, offset=offset
    )


@router.get("/takedowns/{takedown_id}", response_model=TakedownPublic)
def get_takedown(takedown_id: int, session: SessionDep, user: CurrentUser) -> TakedownPublic:
    return takedown_public(
        session, takedowns.get_takedown_for(session, takedown_id, user), viewer=viewer_of(session, user)
    )


@router.post("/takedowns/{takedown_id}/confirm", response_model=TakedownPublic)
def confirm_takedown(takedown_id: int, session: SessionDep, user: CurrentUser) -> TakedownPublic:
    takedown = takedowns.get_takedown_for(session, takedown_id, user)
    return takedown_public(
        session, takedowns.confirm_takedown(session, takedown=takedown, user=user), viewer=viewer_of(session, user)
    )


@router.get("/takedowns/{takedown_id}/thumbnail", response_class=Response, responses=JPEG_RESPONSES)
def takedown_thumbnail(takedown_id: int, session: SessionDep, user: CurrentUser) -> Response:
    return jpeg(takedowns.takedown_thumbnail(session, takedown_id, user))
