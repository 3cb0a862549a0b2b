"""District events."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from api.deps import CurrentUser, DistrictDep, Limit, OfficeUser, Offset, SessionDep
from registry.core.schemas import Page
from registry.events import service as events
from registry.events.schemas import EventCreate, EventPublic
from registry.policy.vocabulary import ContextKind

router = APIRouter(tags=["events"])


@router.get("/events", response_model=Page[EventPublic])
def list_events(
    session: SessionDep,
    district: DistrictDep,
    _: CurrentUser,
    kind: ContextKind | None = None,
    school: str | None = None,
    since: datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[EventPublic]:
    rows, total = events.list_events(
        session, kind=kind, school=school, since=since, time_zone=district.time_zone, limit=limit, offset=offset
    )
    return Page(
        items=[EventPublic.model_validate(e.model_dump()) for e in rows], total=total, limit=limit, offset=offset
    )


@router.post("/events", response_model=EventPublic, status_code=201)
def add_event(data: EventCreate, session: SessionDep, district: DistrictDep, user: OfficeUser) -> EventPublic:
    assert user.id is not None
    event = events.add_event(session, data=data, created_by_id=user.id, time_zone=district.time_zone)
    return EventPublic.model_validate(event.model_dump())


@router.get("/events/{event_id}", response_model=EventPublic)
def get_event(event_id: int, session: SessionDep, _: CurrentUser) -> EventPublic:
    return EventPublic.model_validate(events.get_event(session, event_id).model_dump())
