"""Takedown requests: when a consent a posted photo relied on is revoked, expires or its person
departs, the photo's uploader is asked to take it down, and the request is tracked until confirmed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from registry.errors import Invalid, NotFound
from registry.models import (
    Clearance,
    ClearanceConsent,
    Consent,
    ConsentRevocation,
    Person,
    Takedown,
    User,
    id_of,
    utcnow,
)

SEES_EVERY_TAKEDOWN = frozenset({"admin"})


def request_takedowns(session: Session, *, consent: Consent, cause: str, reason: str) -> list[Takedown]:
    """One request per allowed clearance that relied on this consent and has none for it yet."""
    already = select(Takedown.clearance_id).where(Takedown.consent_id == consent.id)
    clearances = session.exec(
        select(Clearance)
        .join(ClearanceConsent, col(ClearanceConsent.clearance_id) == col(Clearance.id))
        .where(ClearanceConsent.consent_id == consent.id, Clearance.decision == "allowed",
               col(Clearance.id).not_in(already))
        .order_by(col(Clearance.id))
    ).all()
    created = [
        Takedown(clearance_id=id_of(c), consent_id=id_of(consent), person_id=consent.person_id,
                 uploader_id=c.uploader_id, cause=cause, reason=reason[:1000])
        for c in clearances
    ]
    session.add_all(created)
    session.flush()
    return created


def on_revocation(session: Session, *, consent: Consent, revocation: ConsentRevocation) -> list[Takedown]:
    return request_takedowns(
        session, consent=consent, cause="revoked",
        reason=f"Consent #{consent.id} was revoked on {revocation.revoked_at:%Y-%m-%d}: {revocation.reason}")


def on_departure(session: Session, *, person: Person) -> list[Takedown]:
    created: list[Takedown] = []
    # Locked for update: a clearance deciding on these consents right now finishes first (see facts.consent_facts).
    for consent in session.exec(select(Consent).where(Consent.person_id == person.id).with_for_update()).all():
        created += request_takedowns(
            session, consent=consent, cause="departed",
            reason=f"{person.name} has left the district (recorded {person.departed_on or utcnow().date()}).")
    return created


def scan_expired(session: Session, *, today: date | None = None) -> list[Takedown]:
    """Consents past their end date that photos still rely on: meant for a daily scheduler and start-up."""
    today = today or utcnow().date()
    revoked = select(ConsentRevocation.consent_id)
    expired = session.exec(
        select(Consent).where(Consent.valid_until < today, col(Consent.id).not_in(revoked),
                              col(Consent.id).in_(select(ClearanceConsent.consent_id)))
        .order_by(col(Consent.id))
    ).all()
    created: list[Takedown] = []
    for consent in expired:
        created += request_takedowns(
            session, consent=consent, cause="expired",
            reason=f"Consent #{consent.id} expired on {consent.valid_until:%Y-%m-%d}.")
    return created


def list_takedowns(
    session: Session, *, user: User, state: str | None = None, limit: int = 50, offset: int = 0,
) -> tuple[list[Takedown], int]:
    statement = select(Takedown)
    if user.role not in SEES_EVERY_TAKEDOWN:
        statement = statement.where(Takedown.uploader_id == user.id)
    if state == "open":
        statement = statement.where(col(Takedown.confirmed_at).is_(None))
    elif state == "confirmed":
        statement = statement.where(col(Takedown.confirmed_at).is_not(None))
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(col(Takedown.id)).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def get_takedown_for(session: Session, takedown_id: int, user: User) -> Takedown:
    takedown = session.get(Takedown, takedown_id)
    if takedown is None or (user.role not in SEES_EVERY_TAKEDOWN and takedown.uploader_id != user.id):
        raise NotFound(f"No takedown request with id {takedown_id}.")
    return takedown


def takedown_thumbnail(session: Session, takedown_id: int, user: User) -> bytes:
    """The small copy of the photo kept with its clearance, so the uploader can find the post."""
    takedown = get_takedown_for(session, takedown_id, user)
    clearance = session.get(Clearance, takedown.clearance_id)
    if clearance is None or clearance.thumbnail is None:
        raise NotFound("No copy of this photo is kept.")
    return clearance.thumbnail


def confirm_takedown(session: Session, *, takedown: Takedown, user: User) -> Takedown:
    if takedown.uploader_id != user.id:
        raise Invalid("Only the person who posted the photo can confirm they took it down.")
    if takedown.confirmed_at is None:
        takedown.confirmed_at = utcnow()
        takedown.confirmed_by_id = id_of(user)
        session.add(takedown)
        session.flush()
    return takedown


def age_in_days(takedown: Takedown, now: datetime | None = None) -> int:
    end = takedown.confirmed_at or now or utcnow()
    return max(0, (end - takedown.created_at).days)
