"""Whom a photo's faces are compared with: the people who could be in it, and everyone who may not be shown.

A face verifier that errs once in a thousand comparisons falsely matches someone in 18 % of searches
against 200 people and in 86 % against 2,000. So a face is matched only against the people who could
be in the photo (``Gallery.people``):

- the people of the uploader's school (their roster record), of the named event's school, and of the
  schools of the groups the uploader leads;
- the members of the groups the uploader leads, wherever they are at school (the coach's team), and the
  members of every group at those schools;
- everyone whose roster record names no school: where they could be is not known, so they could be
  anywhere.

A face that matches nobody in that circle is *unknown*, as a stranger is. When the uploader's circle is
not known at all (an account with no roster record, no group and no event with a school), the face is
compared with the whole district, as before.

Everyone outside the circle who may not be shown (``Gallery.watched``: a refused or withdrawn image
release, no release in force today, or no longer at the district) is still searched, across the whole
district, by a stricter rule (``media/matching.py``): a near match to any of them sends the photo to a
reviewer, never to "allowed". Whom the search covered is written into the clearance's searches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from registry.models.accounts import User
from registry.models.consents import Consent, ConsentRevocation
from registry.models.events import Event
from registry.models.faces import FaceTemplate
from registry.models.groups import Group, GroupLeader, GroupMember
from registry.models.people import Person


@dataclass(frozen=True)
class Gallery:
    people: frozenset[int] | None  # the enrolled people who could be in the photo; None: the whole district
    watched: frozenset[int]  # enrolled people outside it who may not be shown, searched by the stricter rule
    described: str  # for the clearance's searches, in words

    def covers(self, person_id: int) -> bool:
        return self.people is None or person_id in self.people


def gallery_for(session: Session, *, event_id: int | None, uploader: User | None, today: date) -> Gallery:
    """The enrolled people a photo with this event and uploader is matched against, and who is watched."""
    schools = circle_schools(session, event_id=event_id, uploader=uploader)
    led = led_members(uploader)
    enrolled = select(FaceTemplate.person_id)
    if not schools and session.exec(led.limit(1)).first() is None:
        return Gallery(None, frozenset(), "matched against everyone enrolled (no school or group known for the photo)")
    where = [col(Person.school).is_(None), col(Person.id).in_(led)]
    if schools:
        where += [col(Person.school).in_(schools), col(Person.id).in_(members_at(schools))]
    people = frozenset(
        int(row)
        for row in session.exec(select(Person.id).where(or_(*where), col(Person.id).in_(enrolled))).all()
        if row is not None
    )
    watched = frozenset(_may_not_be_shown(session, today=today)) - people
    where_words = ", ".join(sorted(schools)) if schools else "no school"
    return Gallery(
        people,
        watched,
        f"matched against {len(people)} enrolled people who could be there ({where_words}, the uploader's groups); "
        f"{len(watched)} elsewhere who may not be shown searched district-wide",
    )


def circle_schools(session: Session, *, event_id: int | None, uploader: User | None) -> set[str]:
    """The schools a photo could be from: the event's, the uploader's own, those of the groups they lead."""
    schools: set[str] = set()
    event = session.get(Event, event_id) if event_id is not None else None
    if event is not None and event.school:
        schools.add(event.school)
    if uploader is not None and uploader.person_id:
        own = session.get(Person, uploader.person_id)
        if own is not None and own.school:
            schools.add(own.school)
    if uploader is not None and uploader.id is not None:
        led_schools = select(Group.school).join(GroupLeader, col(GroupLeader.group_id) == col(Group.id))
        schools |= {s for s in session.exec(led_schools.where(GroupLeader.user_id == uploader.id)).all() if s}
    return schools


def led_members(uploader: User | None) -> SelectOfScalar[int]:
    """The members of the groups ``uploader`` leads (none without an uploader)."""
    led = select(GroupMember.person_id).join(GroupLeader, col(GroupLeader.group_id) == col(GroupMember.group_id))
    return led.where(GroupLeader.user_id == (uploader.id if uploader is not None and uploader.id else -1))


def members_at(schools: set[str]) -> SelectOfScalar[int]:
    """The members of every group at ``schools``."""
    at_school = select(GroupMember.person_id).join(Group, col(Group.id) == col(GroupMember.group_id))
    return at_school.where(col(Group.school).in_(schools))


def said_no_to_release() -> SelectOfScalar[int]:
    """People with a refused or withdrawn image release, ever."""
    revoked = select(ConsentRevocation.consent_id)
    return select(Consent.person_id).where(
        col(Consent.kind) == "image_release", or_(col(Consent.status) == "refused", col(Consent.id).in_(revoked))
    )


def _may_not_be_shown(session: Session, *, today: date) -> set[int]:
    """Enrolled people with a refused or withdrawn image release (ever), none in force today, or departed.
    Wider than the ledger's reading on purpose: a later form that lifts a refusal still leaves the person
    watched, which can only send a photo to a reviewer."""
    revoked = select(ConsentRevocation.consent_id)
    in_force = select(Consent.person_id).where(
        col(Consent.kind) == "image_release",
        col(Consent.status) == "granted",
        col(Consent.id).not_in(revoked),
        col(Consent.valid_from) <= today,
        or_(col(Consent.valid_until).is_(None), col(Consent.valid_until) >= today),
    )
    rows = session.exec(
        select(Person.id).where(
            col(Person.id).in_(select(FaceTemplate.person_id)),
            or_(
                col(Person.status) != "active",
                col(Person.id).in_(said_no_to_release()),
                col(Person.id).not_in(in_force),
            ),
        )
    ).all()
    return {int(row) for row in rows if row is not None}
