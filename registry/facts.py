"""The decision engine's view of recorded people and consents, read from the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from registry.models import Consent, ConsentRevocation, Person
from registry.policy import ConsentFacts, PersonFacts
from registry.policy.facts import in_force
from registry.policy.vocabulary import REFUSED, SIGNERS_FOR


def person_facts(session: Session, person_ids: Iterable[int]) -> dict[int, PersonFacts]:
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = session.exec(select(Person).where(col(Person.id).in_(ids))).all()
    return {int(p.id or 0): PersonFacts(int(p.id or 0), p.kind, p.name, p.status == "active") for p in rows}


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
    return tuple(
        ConsentFacts(
            id=int(c.id or 0), person_id=c.person_id, kind=c.kind, status=c.status,
            scopes=frozenset(c.scopes), signer_relationship=c.signer_relationship,
            signed_on=c.signed_on, valid_from=c.valid_from, valid_until=c.valid_until,
            revoked_at=revoked_at,
        )
        for c, revoked_at in rows
    )


def biometric_consent_in_force(session: Session, person: Person, at: datetime) -> int | None:
    """The id of the biometric grant that allows enrolling this person now, or None.

    The latest act in force decides (a later refusal withdraws an earlier grant); a grant counts
    only when signed by the right person: a parent or guardian for a student, the adult otherwise.
    """
    acts = [
        c for c in consent_facts(session, [int(person.id or 0)])
        if c.kind == "biometric" and in_force(c, at)
        and (c.status == REFUSED or c.signer_relationship in SIGNERS_FOR[person.kind])
    ]
    latest = max(acts, key=lambda c: (c.signed_on, c.status == REFUSED, c.id), default=None)
    return latest.id if latest is not None and latest.status != REFUSED else None
