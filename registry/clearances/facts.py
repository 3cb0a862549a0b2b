"""The decision engine's view of recorded people and consents, read from the database."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from registry.models.consents import Consent, ConsentRevocation
from registry.models.people import Guardian, Person
from registry.policy import ConsentFacts, PersonFacts
from registry.policy.ledger import District


def person_facts(session: Session, person_ids: Iterable[int]) -> dict[int, PersonFacts]:
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = session.exec(select(Person).where(col(Person.id).in_(ids))).all()
    return {int(p.id or 0): facts_of_person(p) for p in rows}


def facts_of_person(person: Person) -> PersonFacts:
    return PersonFacts(
        int(person.id or 0),
        person.kind,
        person.name,
        person.status == "active",
        birth_date=person.birth_date,
        departed_on=person.departed_on,
        left_on=person.last_departed_on,
    )


def consent_facts(session: Session, person_ids: Iterable[int], *, lock: bool = False) -> tuple[ConsentFacts, ...]:
    """Every consent act of these people, with its revocation time if revoked.

    With `lock`, the consent rows are share-locked first (PostgreSQL; SQLite serialises writers
    anyway): a revocation or departure, which locks them for update, then waits for this decision
    to commit and its takedown scan sees the clearance, or this decision waits and sees it revoked.
    """
    ids = sorted(set(person_ids))
    if not ids:
        return ()
    if lock:
        session.exec(select(Consent.id).where(col(Consent.person_id).in_(ids)).with_for_update(read=True)).all()
    rows = session.exec(
        select(Consent, ConsentRevocation.revoked_at)
        .join(ConsentRevocation, col(ConsentRevocation.consent_id) == col(Consent.id), isouter=True)
        .where(col(Consent.person_id).in_(ids))
    ).all()
    guardians: dict[int, set[str]] = defaultdict(set)
    if any(c.signer_relationship in GUARDIAN_SIGNERS for c, _ in rows):
        for student_id, name in session.exec(
            select(Guardian.student_id, Guardian.name).where(col(Guardian.student_id).in_(ids))
        ):
            guardians[student_id].add(same_name(name))
    return tuple(
        ConsentFacts(
            id=int(c.id or 0),
            person_id=c.person_id,
            kind=c.kind,
            status=c.status,
            scopes=frozenset(c.scopes),
            signer_relationship=c.signer_relationship,
            signed_on=c.signed_on,
            valid_from=c.valid_from,
            valid_until=c.valid_until,
            revoked_at=revoked_at,
            corrects_id=c.corrects_id,
            signer_name=c.signer_name,
            signer_listed=(
                same_name(c.signer_name) in guardians[c.person_id]
                if c.signer_relationship in GUARDIAN_SIGNERS and guardians[c.person_id]
                else None  # not a parent's signature, or no guardian on the roster to check it against
            ),
        )
        for c, revoked_at in rows
    )


GUARDIAN_SIGNERS = frozenset({"parent", "guardian"})


def same_name(name: str) -> str:
    """A name as compared with the roster's guardians: case, accents, punctuation and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    kept = "".join(c if c.isalnum() or c.isspace() else "" for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.split())


def biometric_consent_in_force(session: Session, person: Person, at: datetime, *, district: District) -> int | None:
    """The id of the biometric grant that allows enrolling this person now, or None.

    Read like every other consent (registry/policy/ledger.py): the newest form decides, a
    refusal or withdrawal means no, a grant counts only when signed by the right person.
    """
    reading = district.read(
        consent_facts(session, [int(person.id or 0)]),
        person=facts_of_person(person),
        kind="biometric",
        destination=None,
        at=at,
    )
    return reading.act.id if reading.allows and reading.act is not None else None
