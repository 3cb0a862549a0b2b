"""Biometric data that lives only as long as its purpose and the law allow.

A face template goes when its purpose ends: the biometric consent withdrawn or refused, or the person
departed (registry/trust/retention.py, at once); when the district stops recognising people of their
kind (REGISTRY_FACE_RECOGNITION); and `biometric_retention_years` after the person's last interaction
(Illinois BIPA: 3 years at most; Texas CUBI: 1 year after the purpose ends; the default, 1, is the
shortest), or sooner where the person's biometric form states a shorter period (`Consent.retention_years`).
The last two are applied by the daily re-check (registry/takedowns/daily_recheck.py).

The person's last interaction is the latest of: a template of theirs enrolled, a biometric form of
theirs entered, and a photo in which the service recognised them (or someone named them).
Encodings of faces the service did not recognise are never stored: a clearance keeps each face's
box, band and distance, never its encoding (tests/api/test_biometric_lifecycle.py checks every table).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from registry.core.settings import Settings
from registry.faces.enrolment import delete_person_templates
from registry.faces.recognition import recognises
from registry.models.base import as_utc
from registry.models.clearances import Clearance, ClearanceFace, ClearanceReview
from registry.models.consents import Consent
from registry.models.faces import FaceTemplate
from registry.models.people import Person


def years_before(moment: datetime, years: int) -> datetime:
    """The same calendar moment ``years`` earlier (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def last_interactions(session: Session, person_ids: list[int]) -> dict[int, datetime]:
    """Each person's latest interaction with the district's biometric processing (see the module's words)."""
    latest: dict[int, datetime] = {}

    def keep(rows: object) -> None:
        for person_id, when in rows:  # type: ignore[attr-defined]
            if person_id is None or when is None:
                continue
            moment = as_utc(when)
            if person_id not in latest or moment > latest[person_id]:
                latest[int(person_id)] = moment

    ids = col(FaceTemplate.person_id).in_(person_ids)
    keep(
        session.exec(
            select(FaceTemplate.person_id, func.max(FaceTemplate.created_at))
            .where(ids)
            .group_by(col(FaceTemplate.person_id))
        )
    )
    keep(
        session.exec(
            select(Consent.person_id, func.max(Consent.created_at))
            .where(col(Consent.person_id).in_(person_ids), Consent.kind == "biometric")
            .group_by(col(Consent.person_id))
        )
    )
    keep(
        session.exec(
            select(ClearanceFace.person_id, func.max(Clearance.created_at))
            .join(Clearance, col(Clearance.id) == col(ClearanceFace.clearance_id))
            .where(col(ClearanceFace.person_id).in_(person_ids), ClearanceFace.band == "identified")
            .group_by(col(ClearanceFace.person_id))
        )
    )
    keep(
        session.exec(
            select(ClearanceReview.person_id, func.max(ClearanceReview.reviewed_at))
            .where(col(ClearanceReview.person_id).in_(person_ids))
            .group_by(col(ClearanceReview.person_id))
        )
    )
    return latest


def forget_biometrics_past_their_time(session: Session, *, settings: Settings, now: datetime) -> int:
    """Deletes the templates the district may no longer keep (see the module's words); how many."""
    holders = session.exec(select(Person).where(col(Person.id).in_(select(FaceTemplate.person_id).distinct()))).all()
    ids = [int(p.id or 0) for p in holders]
    latest = last_interactions(session, ids)
    stated = stated_retention(session, ids)
    deleted = 0
    for person in holders:
        person_id = int(person.id or 0)
        years = min(settings.biometric_retention_years, stated.get(person_id) or settings.biometric_retention_years)
        expired = latest.get(person_id) is None or latest[person_id] < years_before(as_utc(now), years)
        if expired or not recognises(settings, person.kind):
            deleted += delete_person_templates(session, person_id=person_id)
    return deleted


def stated_retention(session: Session, person_ids: list[int]) -> dict[int, int | None]:
    """The retention period each person's newest biometric grant states (None: not stated on the form)."""
    grants = session.exec(
        select(Consent)
        .where(col(Consent.person_id).in_(person_ids), Consent.kind == "biometric", Consent.status == "granted")
        .order_by(col(Consent.signed_on), col(Consent.id))
    ).all()
    return {grant.person_id: grant.retention_years for grant in grants}  # the newest last, so it stays


def retention_schedule(settings: Settings) -> dict[str, object]:
    """What the privacy page states, from the settings in force."""
    return {
        "recognition": settings.face_recognition,
        "biometric_years": settings.biometric_retention_years,
        "photo_days": settings.retention_days,
    }
