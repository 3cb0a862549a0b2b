"""A person's standing, read from the database, and what an act that changes it does to posted photos.

The reading itself is `registry.policy.ledger` (pure). Here: loading a person's forms, the state
each form shows on the person's page, and the re-check after any act that changes someone's
standing: every allowed clearance that shows that person is decided again, and each one that is
no longer allowed becomes a takedown request, whichever consent it had relied on.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, or_, select

from registry.clearances.facts import consent_facts, facts_of_person, person_facts
from registry.clearances.service import (
    Known,
    build_request,
    decide_clearance,
    faces_of,
    people_shown,
    reviewed,
    reviews_of,
)
from registry.models.accounts import User
from registry.models.base import id_of
from registry.models.clearances import Clearance, ClearanceConsent, ClearanceFace, ClearanceReview
from registry.models.consents import Consent
from registry.models.people import Person
from registry.models.takedowns import Takedown
from registry.policy import ClearanceRequest, ConsentFacts, Decision
from registry.policy import vocabulary as v
from registry.policy.ledger import District, Reading, Standing, explain

# The state a single form shows on the person's page (ConsentPublic.state).
FORM_STATES = {
    Standing.GRANTED: "active",
    Standing.NOT_COVERED: "active",  # asked without a destination, a grant in force is active
    Standing.REFUSED: "refused",
    Standing.WITHDRAWN: "revoked",
    Standing.EXPIRED: "expired",
    Standing.NOT_YET_VALID: "not_yet_valid",
    Standing.DEPARTED: "departed",
    Standing.WRONG_SIGNER: "wrong_signer",
    Standing.UNLISTED_SIGNER: "wrong_signer",  # signed "parent" by someone not on the roster
}


def form_state(consent: Consent, *, acts: Sequence[ConsentFacts], person: Person, district: District) -> str:
    """What this one form means now: in force, refused, revoked, expired... or replaced by another."""
    if any(a.corrects_id == consent.id for a in acts):
        return "corrected"
    reading = district.read(acts, person=facts_of_person(person), kind=consent.kind, destination=None)
    if reading.act is not None and reading.act.id == consent.id:
        return FORM_STATES.get(reading.standing, "superseded")
    if consent.status == v.REFUSED:
        return "superseded"
    mine = next((a for a in acts if a.id == consent.id), None)
    if mine is not None and mine.revoked_at is not None:
        return "revoked"
    return "superseded"


@dataclass(frozen=True)
class DestinationStanding:
    destination: str
    standing: Standing
    words: str  # the deciding act in plain words

    @property
    def allowed(self) -> bool:
        return self.standing is Standing.GRANTED


def image_release_standing(session: Session, person: Person, *, district: District) -> list[DestinationStanding]:
    """For each destination, whether this person's image may go there, and which act says so."""
    acts = consent_facts(session, [id_of(person)])
    facts = facts_of_person(person)
    result = []
    for destination in sorted(v.DESTINATIONS):
        reading = district.read(acts, person=facts, kind="image_release", destination=destination)
        words = explain(reading, person=facts, kind="image_release", destination=destination)
        result.append(DestinationStanding(destination, reading.standing, words))
    return result


def read_standing(
    session: Session, person: Person, *, kind: str, destination: str | None, district: District
) -> Reading:
    """One person's standing, read on its own (the person's page; class lists read a whole group at once)."""
    return district.read(
        consent_facts(session, [id_of(person)]), person=facts_of_person(person), kind=kind, destination=destination
    )


# --- a person's image release at a glance (the People list) ------------------------------------

RELEASE_ON_FILE, RELEASE_REFUSED, NO_RELEASE = "release_on_file", "refused", "no_release"
RELEASES = (RELEASE_ON_FILE, RELEASE_REFUSED, NO_RELEASE)


@dataclass(frozen=True)
class ReleaseStanding:
    """A person's image release as a list shows it: read with no destination named, as the person's forms
    are on their page. On file (a grant in force), refused (a refusal or a withdrawal), or no release."""

    release: str  # one of RELEASES
    standing: Standing  # the reading itself: granted, refused, withdrawn, expired, none...
    destinations: tuple[str, ...]  # where a release lets photos go, or what a refusal refuses
    words: str  # the deciding act in plain words

    @classmethod
    def of(cls, reading: Reading, words: str) -> ReleaseStanding:
        act = reading.act
        if reading.allows and act is not None:
            return cls(RELEASE_ON_FILE, reading.standing, tuple(sorted(act.scopes)), words)
        if reading.standing.refuses and act is not None:
            refused = act.scopes if act.status == v.REFUSED and act.scopes else v.DESTINATIONS
            return cls(RELEASE_REFUSED, reading.standing, tuple(sorted(refused)), words)
        return cls(NO_RELEASE, reading.standing, (), words)


def release_standings(
    session: Session, people: Sequence[Person], *, district: District, at: datetime | None = None
) -> dict[int, ReleaseStanding]:
    """Each person's image release, by person id: all their forms loaded in one query, each read by the ledger."""
    moment = at or district.now()
    acts: dict[int, list[ConsentFacts]] = defaultdict(list)
    for act in consent_facts(session, [id_of(p) for p in people]):
        acts[act.person_id].append(act)
    result = {}
    for person in people:
        facts = facts_of_person(person)
        reading = district.read(acts[id_of(person)], person=facts, kind="image_release", destination=None, at=moment)
        words = explain(reading, person=facts, kind="image_release", destination=None)
        result[id_of(person)] = ReleaseStanding.of(reading, words)
    return result


@dataclass(frozen=True)
class Expiring:
    person: Person
    kind: str
    until: date


def expiring_this_month(session: Session, *, district: District, limit: int = 200) -> list[Expiring]:
    """Forms in force now that run out between today and the end of this month (the district's calendar):
    read as the person's record reads, so a form a newer one replaces, or one revoked, is not listed."""
    today = district.today()
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    people_ids = session.exec(
        select(Consent.person_id)
        .join(Person, col(Person.id) == col(Consent.person_id))
        .where(
            Consent.status == v.GRANTED,
            col(Consent.valid_until) >= today,
            col(Consent.valid_until) <= month_end,
            Person.status == "active",
        )
        .distinct()
    ).all()
    if not people_ids:
        return []
    acts = consent_facts(session, people_ids)
    people = {id_of(p): p for p in session.exec(select(Person).where(col(Person.id).in_(sorted(people_ids))))}
    found = []
    for person_id, person in people.items():
        facts = facts_of_person(person)
        for kind in sorted({a.kind for a in acts if a.person_id == person_id}):
            reading = district.read(acts, person=facts, kind=kind, destination=None)
            act = reading.act
            if reading.allows and act is not None and act.valid_until is not None and act.valid_until <= month_end:
                found.append(Expiring(person, kind, act.valid_until))
    found.sort(key=lambda e: (e.until, e.person.name, e.kind))
    return found[:limit]


# --- re-checking posted photos ---------------------------------------------------------------


def recheck_people(
    session: Session,
    *,
    person_ids: Iterable[int],
    district: District,
    cause: str,
    at: datetime | None = None,
) -> list[Takedown]:
    """After an act that changes these people's standing: re-decide what they appear in."""
    ids = sorted(set(person_ids))
    if not ids:
        return []
    shows = or_(
        col(Clearance.id).in_(select(ClearanceFace.clearance_id).where(col(ClearanceFace.person_id).in_(ids))),
        col(Clearance.id).in_(select(ClearanceReview.clearance_id).where(col(ClearanceReview.person_id).in_(ids))),
        col(Clearance.id).in_(
            select(ClearanceConsent.clearance_id)
            .join(Consent, col(Consent.id) == col(ClearanceConsent.consent_id))
            .where(col(Consent.person_id).in_(ids))
        ),
        col(Clearance.uploader_id).in_(select(User.id).where(col(User.person_id).in_(ids))),
    )
    return recheck_clearances(session, where=shows, district=district, cause=cause, at=at)


def recheck_all(session: Session, *, district: District, cause: str, at: datetime | None = None) -> list[Takedown]:
    """Every allowed clearance without a takedown, decided again (the daily scan)."""
    return recheck_clearances(session, where=None, district=district, cause=cause, at=at)


BATCH = 500


def recheck_clearances(
    session: Session,
    *,
    where: object,
    district: District,
    cause: str,
    at: datetime | None = None,
) -> list[Takedown]:
    """Decide again each allowed clearance (matching `where`) that has no takedown yet; a takedown
    request for each one no longer allowed. Loaded in batches: a handful of queries per batch."""
    at = at or district.now()
    taken_down = select(Takedown.clearance_id)
    statement = select(Clearance).where(Clearance.decision == v.ALLOWED, col(Clearance.id).not_in(taken_down))
    if where is not None:
        statement = statement.where(where)  # type: ignore[arg-type]
    clearances = list(session.exec(statement.order_by(col(Clearance.id))))
    created: list[Takedown] = []
    for start in range(0, len(clearances), BATCH):
        batch = clearances[start : start + BATCH]
        for clearance, request, decision in _decide_batch(session, batch, district=district, at=at):
            if decision.decision != v.ALLOWED:
                created.append(_takedown(clearance, request, decision, cause=cause))
    session.add_all(created)
    session.flush()
    session.info.setdefault(REQUESTED, []).extend(created)
    return created


REQUESTED = "takedowns_requested"


def requested_in(session: Session) -> list[Takedown]:
    """The takedown requests this session's acts have made so far (to tell the person who acted)."""
    return list(session.info.get(REQUESTED, []))


def _decide_batch(
    session: Session,
    clearances: list[Clearance],
    *,
    district: District,
    at: datetime,
) -> list[tuple[Clearance, ClearanceRequest, Decision]]:
    ids = [id_of(c) for c in clearances]
    faces: dict[int, list[ClearanceFace]] = defaultdict(list)
    for face in session.exec(
        select(ClearanceFace)
        .where(col(ClearanceFace.clearance_id).in_(ids))
        .order_by(col(ClearanceFace.clearance_id), col(ClearanceFace.index))
    ):
        faces[face.clearance_id].append(face)
    reviews: dict[int, list[ClearanceReview]] = defaultdict(list)
    for review in session.exec(
        select(ClearanceReview).where(col(ClearanceReview.clearance_id).in_(ids)).order_by(col(ClearanceReview.id))
    ):
        reviews[review.clearance_id].append(review)
    uploader_ids = {c.uploader_id for c in clearances}
    uploader_people = {u.id: u.person_id for u in session.exec(select(User).where(col(User.id).in_(uploader_ids)))}
    shown = {cid: people_shown(faces[cid], reviews[cid]) for cid in ids}
    everyone = set().union(*shown.values()) | {p for p in uploader_people.values() if p}
    people = person_facts(session, everyone)
    acts = consent_facts(session, people.keys(), lock=True)
    by_person: dict[int, list[ConsentFacts]] = defaultdict(list)
    for act in acts:
        by_person[act.person_id].append(act)
    result = []
    for clearance in clearances:
        cid = id_of(clearance)
        uploader_person = uploader_people.get(clearance.uploader_id)
        mine = shown[cid] | ({uploader_person} if uploader_person else set())
        request = build_request(
            clearance,
            faces=faces[cid],
            reviews=reviews[cid],
            known=Known(
                people={p: people[p] for p in mine if p in people},
                consents=tuple(a for p in mine for a in by_person.get(p, ())),
                uploader_person_id=uploader_person,
            ),
            at=at,
            time_zone=district.time_zone,
        )
        result.append((clearance, request, decide_clearance(request, district.pack)))
    return result


def _takedown(clearance: Clearance, request: ClearanceRequest, decision: Decision, *, cause: str) -> Takedown:
    decided = {f.index: f.person.id for f in request.faces if f.person is not None and f.band == "identified"}
    return new_takedown(
        clearance, decision, decided=decided, uploader_person_id=request.uploader_person_id, cause=cause
    )


def new_takedown(
    clearance: Clearance,
    decision: Decision,
    *,
    decided: dict[int, int],
    uploader_person_id: int | None,
    cause: str,
) -> Takedown:
    """A takedown request resting on the decided identity: the person the decision took the stopping face
    to be (``decided``: identified by the service or named by a reviewer, by face index), never the
    machine's first match nor a doubtful face's candidate. With no face stopping the photo (a tag), the
    uploader's own standing does (their permission to use the logo)."""
    stopping = next((f for f in decision.faces if f.verdict != v.ALLOWED), None)
    return Takedown(
        clearance_id=id_of(clearance),
        consent_id=stopping.consent_id if stopping else None,
        person_id=decided.get(stopping.index) if stopping else uploader_person_id,
        uploader_id=clearance.uploader_id,
        cause=cause,
        reason=_why(decision)[:1000],
    )


def _why(decision: Decision) -> str:
    """Why a photo must come down, in the words of the face or reason that stops it now."""
    stopping = next((f for f in decision.faces if f.verdict != v.ALLOWED), None)
    if stopping is not None:
        return stopping.message
    return next(
        (r.message for r in decision.reasons if r.verdict != v.ALLOWED and r.rule != "summary"),
        "It is no longer allowed.",
    )


def request_takedown(session: Session, *, clearance: Clearance, decision: Decision, cause: str) -> Takedown | None:
    """A takedown for one clearance decided anew (a reviewer's change), unless it has one already."""
    if session.exec(select(Takedown.id).where(Takedown.clearance_id == clearance.id)).first() is not None:
        return None
    acts = reviews_of(session, id_of(clearance))
    faces = [
        (f.index, reviewed(f, [a for a in acts if a.face_index == f.index]))
        for f in faces_of(session, id_of(clearance))
    ]
    uploader = session.get(User, clearance.uploader_id)
    takedown = new_takedown(
        clearance,
        decision,
        decided={i: r.person_id for i, r in faces if r.person_id is not None and r.band == "identified"},
        uploader_person_id=uploader.person_id if uploader else None,
        cause=cause,
    )
    session.add(takedown)
    session.flush()
    session.info.setdefault(REQUESTED, []).append(takedown)
    return takedown


@dataclass(frozen=True)
class PhotoStanding:
    """A photo's standing now: its decision when checked, and whether it must come down since."""

    standing: str  # allowed, take_down, taken_down, blocked, needs_review
    reason: str | None  # why it must come down, in plain words

    def as_fields(self) -> dict[str, object]:
        return {"standing": self.standing, "standing_reason": self.reason}


def photo_standing(session: Session, clearance: Clearance) -> PhotoStanding:
    return standing_with(clearance, first_takedowns(session, [id_of(clearance)]).get(id_of(clearance)))


def first_takedowns(session: Session, clearance_ids: Iterable[int]) -> dict[int, Takedown]:
    """Each clearance's takedown request, if it has one, in one query (a list of photos reads them all at once)."""
    found: dict[int, Takedown] = {}
    ids = sorted(set(clearance_ids))
    if ids:
        for takedown in session.exec(
            select(Takedown).where(col(Takedown.clearance_id).in_(ids)).order_by(col(Takedown.id))
        ):
            found.setdefault(takedown.clearance_id, takedown)
    return found


def standing_with(clearance: Clearance, takedown: Takedown | None) -> PhotoStanding:
    """The photo's standing, given its takedown request (``first_takedowns``) or None."""
    if takedown is not None:
        return PhotoStanding("taken_down" if takedown.confirmed_at else "take_down", takedown.reason)
    return PhotoStanding(clearance.decision, None)
