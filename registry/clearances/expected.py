"""Who may be in a photo but cannot be recognised: people who refused and have no enrolled face.

The service recognises only people whose face is enrolled (a biometric consent and a reference
photo). A child whose family refused the image release is often the one whose family also refused
biometrics: their face in a photo is a face nobody could identify. So the decision is told who
may be in the photo and cannot be checked (registry/policy/engine.py holds a face nobody could
identify for review where the pack would allow it, and names them in the reasons).

Who may be in the photo: an event is linked to a school (its `school`), not to groups, so
- the people of the event's school and of the groups at that school, when it names a school;
- when it names none, the people of the uploader's own school (their roster record);
- always, the members of the groups the uploader leads (the coach's team);
- for a photo that names no event, the uploader's groups only.
Only people with a refused or withdrawn image release are looked at (the engine reads their forms
as every decision does); active, with no face template.
"""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, col, select

from registry.clearances.gallery import led_members, members_at, said_no_to_release
from registry.models.accounts import User
from registry.models.events import Event
from registry.models.faces import FaceTemplate
from registry.models.people import Person


def unrecognisable_refusals(session: Session, *, event_id: int | None, uploader: User | None) -> set[int]:
    """The ids of the people who may be in this photo, refused, and cannot be recognised."""
    schools = _schools(session, event_id=event_id, uploader=uploader)
    where = []
    if schools:
        where += [col(Person.school).in_(schools), col(Person.id).in_(members_at(schools))]
    if uploader is not None and uploader.id is not None:
        where.append(col(Person.id).in_(led_members(uploader)))
    if not where:
        return set()
    rows = session.exec(
        select(Person.id).where(
            Person.status == "active",
            or_(*where),
            col(Person.id).in_(said_no_to_release()),
            col(Person.id).not_in(select(FaceTemplate.person_id)),
        )
    ).all()
    return {int(row) for row in rows if row is not None}


def _schools(session: Session, *, event_id: int | None, uploader: User | None) -> set[str]:
    if event_id is None:
        return set()
    event = session.get(Event, event_id)
    if event is not None and event.school:
        return {event.school}
    own = session.get(Person, uploader.person_id) if uploader is not None and uploader.person_id else None
    return {own.school} if own is not None and own.school else set()
