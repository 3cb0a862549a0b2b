"""Keeping no more than the purpose needs: uploaded originals, face templates, purges, and what is held.

Decision records are kept (a district must be able to show what was decided and why); what goes is the
data: an original photo `retention_days` after its decision, a person's templates when no biometric
consent of theirs is in force or they depart, and on a purge every original that shows their face.
Files are deleted after the transaction commits (registry/core/files.py), so a rollback loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from registry.clearances.facts import biometric_consent_in_force
from registry.core.audit import record_act
from registry.core.errors import NotFound
from registry.core.files import crash_here_if_testing, delete_after_commit, upload_columns
from registry.core.settings import Settings
from registry.core.storage import storage_for
from registry.faces.enrolment import delete_person_templates
from registry.models.base import id_of, utcnow
from registry.models.clearances import Clearance, ClearanceFace, ClearanceReview
from registry.models.faces import FaceTemplate
from registry.models.people import Person
from registry.policy.ledger import District

UNDECIDED = "needs_review"  # a reviewer still needs the original to compare faces


@dataclass(frozen=True)
class RetentionReport:
    originals_deleted: int
    templates_deleted: int
    people_forgotten: int


@dataclass(frozen=True)
class PurgeReport:
    person_id: int
    templates_deleted: int
    originals_deleted: int
    clearances_kept: int
    biometric_consent_in_force: bool


def forget_biometrics_without_consent(
    session: Session, *, person: Person, district: District, at: datetime | None = None
) -> int:
    """Deletes the person's templates unless they are active and a biometric consent of theirs is in force.

    Called when a biometric consent is revoked and when the person departs; the daily retention run
    catches the rest (a consent that expired, or a later refusal).
    """
    in_force = biometric_consent_in_force(session, person, at or utcnow(), district=district)
    if person.status == "active" and in_force is not None:
        return 0
    return delete_person_templates(session, person_id=id_of(person))


def _forget_photos(session: Session, clearances: list[Clearance], settings: Settings, *, thumbnails: bool) -> int:
    """Retention keeps the small thumbnail a takedown request shows; a purge takes it too (it shows the face)."""
    names = [c.photo_file for c in clearances if c.photo_file]
    for clearance in clearances:
        clearance.photo_file = None
        if thumbnails:
            clearance.thumbnail = None
        session.add(clearance)
    session.flush()
    for column in upload_columns():  # an album item shares its clearance's file
        if names and column.table.name != "clearances":
            session.execute(update(column.table).where(column.in_(names)).values({column.name: None}))
    delete_after_commit(session, storage_for(settings), [f"uploads/{name}" for name in names])
    return len(names)


def delete_expired_originals(session: Session, *, settings: Settings, now: datetime | None = None) -> int:
    """Originals decided more than `retention_days` ago; the decision records stay, without the photo."""
    cutoff = (now or utcnow()) - timedelta(days=settings.retention_days)
    expired = list(
        session.exec(
            select(Clearance).where(
                col(Clearance.photo_file).is_not(None),
                Clearance.decision != UNDECIDED,
                col(Clearance.decided_at) < cutoff,
            )
        )
    )
    return _forget_photos(session, expired, settings, thumbnails=False)


def run_retention(
    session: Session, *, settings: Settings, district: District, now: datetime | None = None
) -> RetentionReport:
    now = now or utcnow()
    originals = delete_expired_originals(session, settings=settings, now=now)
    templates = people = 0
    holders = session.exec(select(Person).where(col(Person.id).in_(select(FaceTemplate.person_id).distinct()))).all()
    for person in holders:
        deleted = forget_biometrics_without_consent(session, person=person, district=district, at=now)
        templates += deleted
        people += bool(deleted)
    return RetentionReport(originals_deleted=originals, templates_deleted=templates, people_forgotten=people)


def photos_showing(session: Session, person_id: int) -> list[Clearance]:
    """Clearances with a kept original or thumbnail showing this person: identified, resolved so by a
    reviewer, or named as a possible match."""
    kept = select(Clearance.id).where(
        or_(col(Clearance.photo_file).is_not(None), col(Clearance.thumbnail).is_not(None))
    )
    faces = session.exec(
        select(ClearanceFace.clearance_id, ClearanceFace.person_id, ClearanceFace.candidates).where(
            col(ClearanceFace.clearance_id).in_(kept)
        )
    ).all()
    ids = {c for c, p, candidates in faces if p == person_id or any(int(x[0]) == person_id for x in candidates)}
    ids |= set(
        session.exec(
            select(ClearanceReview.clearance_id).where(
                ClearanceReview.person_id == person_id, col(ClearanceReview.clearance_id).in_(kept)
            )
        )
    )
    return list(session.exec(select(Clearance).where(col(Clearance.id).in_(ids)).order_by(col(Clearance.id))))


def purge_person(session: Session, *, person_id: int, settings: Settings, district: District) -> PurgeReport:
    """A real delete of the person's biometric data: templates (with their thumbnails) and every kept
    original photo showing their face. Decision records stay, without the photo. The audit log records
    the purge by counts; it never held the templates' content."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    templates = delete_person_templates(session, person_id=person_id)
    clearances = photos_showing(session, person_id)
    originals = _forget_photos(session, clearances, settings, thumbnails=True)
    record_act(
        session,
        table_name="people",
        row_id=str(person_id),
        action="purge",
        changes={
            "templates_deleted": templates,
            "originals_deleted": originals,
            "clearances_now_without_photo": [id_of(c) for c in clearances],
        },
    )
    crash_here_if_testing("purge-before-commit")
    return PurgeReport(
        person_id=person_id,
        templates_deleted=templates,
        originals_deleted=originals,
        clearances_kept=len(clearances),
        biometric_consent_in_force=biometric_consent_in_force(session, person, utcnow(), district=district) is not None,
    )


def biometrics_report(session: Session, *, settings: Settings) -> dict[str, dict[str, int]]:
    """For a breach notice: how many people of each kind have biometric data held, by counts only."""
    with_templates = session.exec(
        select(Person.kind, func.count(func.distinct(FaceTemplate.person_id)))
        .join(FaceTemplate, col(FaceTemplate.person_id) == col(Person.id))
        .group_by(Person.kind)
    ).all()
    in_originals = session.exec(
        select(Person.kind, func.count(func.distinct(ClearanceFace.person_id)))
        .join(ClearanceFace, col(ClearanceFace.person_id) == col(Person.id))
        .join(Clearance, col(Clearance.id) == col(ClearanceFace.clearance_id))
        .where(col(Clearance.photo_file).is_not(None))
        .group_by(Person.kind)
    ).all()
    originals = session.exec(
        select(func.count()).select_from(Clearance).where(col(Clearance.photo_file).is_not(None))
    ).one()
    templates = session.exec(select(func.count()).select_from(FaceTemplate)).one()
    return {
        "people_with_face_templates": {kind: int(n) for kind, n in with_templates},
        "people_identified_in_kept_photos": {kind: int(n) for kind, n in in_originals},
        "totals": {
            "face_templates": int(templates),
            "original_photos_kept": int(originals),
            "retention_days": settings.retention_days,
        },
    }
