"""District events: the context a photo was taken in."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from registry.core.errors import Invalid, NotFound
from registry.events.schemas import EventCreate
from registry.models.events import Event


def wall_clock(moment: datetime, *, time_zone: str) -> datetime:
    """Event times are the district's wall-clock times, as on the poster and in a camera's EXIF.

    A time given with an offset (`20:00Z`, `15:00-05:00`) is that moment: it is turned into the district's
    time; a time without one is already the district's."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(ZoneInfo(time_zone)).replace(tzinfo=None)


def add_event(session: Session, *, data: EventCreate, created_by_id: int, time_zone: str) -> Event:
    values = data.model_dump()
    values["starts_at"] = wall_clock(data.starts_at, time_zone=time_zone)
    values["ends_at"] = wall_clock(data.ends_at, time_zone=time_zone)
    if values["ends_at"] < values["starts_at"]:
        raise Invalid(f"ends_at ({values['ends_at']}) is before starts_at ({values['starts_at']}), in district time.")
    event = Event(**values, created_by_id=created_by_id)
    session.add(event)
    session.flush()
    return event


def get_event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound(f"No event with id {event_id}.")
    return event


def list_events(
    session: Session,
    *,
    kind: str | None = None,
    school: str | None = None,
    since: datetime | None = None,
    time_zone: str = "UTC",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Event], int]:
    statement = select(Event)
    if kind:
        statement = statement.where(Event.kind == kind)
    if school:
        statement = statement.where(Event.school == school)
    if since:
        statement = statement.where(Event.ends_at >= wall_clock(since, time_zone=time_zone))
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(col(Event.starts_at).desc()).limit(limit).offset(offset)).all()
    return list(rows), int(total)
