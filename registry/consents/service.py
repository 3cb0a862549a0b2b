"""Consents as recorded acts: granted or refused, revoked by a new act, never edited or deleted."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import func
from sqlmodel import Session, col, select

from media.images import DEFAULT_MAX_PIXELS
from registry.clearances.facts import GUARDIAN_SIGNERS, consent_facts, facts_of_person, same_name
from registry.consents import scan_copies, standing
from registry.consents.scans import SCAN_CHECK_CPU_SECONDS, check_scan
from registry.consents.schemas import ConsentCreate, ConsentPublic, EvidencePublic, PaperFormCreate, RevocationPublic
from registry.core import audit
from registry.core.db import trial
from registry.core.errors import Conflict, Invalid, NotFound
from registry.core.storage import NotStored, Storage
from registry.models.base import id_of
from registry.models.consents import Consent, ConsentEvidence, ConsentRevocation
from registry.models.people import Guardian, Person
from registry.people.service import get_person
from registry.policy import vocabulary as v
from registry.policy.ledger import (
    ADULT_AGE,
    District,
    Standing,
    age_on,
    day_label,
    district_today,
    end_of_school_year,
    own_refusal,
    signers_for,
)
from registry.trust import retention


def _check_signer(session: Session, person: Person, data: ConsentCreate, *, district: District) -> None:
    if data.kind == "logo_use" and person.kind != "employee":
        raise Invalid("Permission to use the district logo is given to employees only.")
    facts = facts_of_person(person)
    signers = signers_for(
        facts,
        kind=data.kind,
        on=data.signed_on,
        adult_students_sign=district.pack.adult_students_sign,
    )
    if data.signer_relationship in signers:
        return
    adult = person.kind == "student" and (age_on(person.birth_date, data.signed_on) or 0) >= ADULT_AGE
    # A student of 18 or more may always refuse for themself, whoever may grant (fail closed: nothing in
    # either text lets a parent's consent overrule an adult's own objection). Where a parent grants
    # (Litchfield IV.A.2), the student's own later "yes" only lifts their own refusal; it grants nothing.
    if (
        adult
        and data.signer_relationship == "self"
        and (data.status == v.REFUSED or _own_refusal_in_force(session, person, data.kind, district=district))
    ):
        return
    # A student's own objection to biometric enrolment, at any age, wins over a parent's consent (England's
    # Protection of Freedoms Act 2012 s.26): recorded, and the ledger lets only their own newer form lift it.
    if data.kind == "biometric" and data.status == v.REFUSED and data.signer_relationship == "self":
        return
    if person.kind != "student":
        raise Invalid(f"{person.name} is an adult: the form must be signed by {person.name} themself.")
    if signers == frozenset({"self"}):
        raise Invalid(
            f"{person.name} was 18 or older on {day_label(data.signed_on)}: under this district's policy "
            'they sign their own forms (signer relationship "self").'
        )
    if data.signer_relationship == "self":
        own = (
            "signs their own"
            if district.pack.adult_students_sign
            else "may sign their own refusal"
            if data.status == v.REFUSED or not adult
            else "signs only a refusal of their own, or lifts one"
        )
        first = "" if adult else "; record their birth date first"
        raise Invalid(
            f"{person.name} is a student: the form must be signed by a parent or guardian "
            f"(a student aged 18 or more {own}{first})."
        )
    raise Invalid(f"{person.name} is a student: the form must be signed by a parent or guardian.")


def _check_listed_guardian(session: Session, person: Person, data: ConsentCreate, *, district: District) -> None:
    """Where the pack counts only a guardian on the roster, a grant signed by anyone else is refused at once."""
    if not district.pack.require_listed_guardian or data.status != v.GRANTED:
        return
    if data.signer_relationship not in GUARDIAN_SIGNERS:
        return
    listed = session.exec(select(Guardian.name).where(Guardian.student_id == person.id)).all()
    if listed and same_name(data.signer_name) not in {same_name(name) for name in listed}:
        raise Invalid(
            f"{data.signer_name} is not on the roster as {person.name}'s parent or guardian "
            f"({', '.join(listed)}): this district counts only a guardian listed on the student's record. "
            "Check the name on the form, or add the signer to the record's guardians first."
        )


def _own_refusal_in_force(session: Session, person: Person, kind: str, *, district: District) -> bool:
    reading = district.read(
        consent_facts(session, [id_of(person)]), person=facts_of_person(person), kind=kind, destination=None
    )
    return (
        reading.standing is Standing.REFUSED
        and reading.act is not None
        and own_refusal(facts_of_person(person), reading.act)
    )


def _check_correction(session: Session, person: Person, data: ConsentCreate, *, district: District) -> None:
    """A correction fixes how a form was typed; it never withdraws a withdrawal or lifts a refusal.

    - A revoked form is not corrected: the consent was withdrawn, and a correction would bring it back.
      A new signed form is recorded instead.
    - A refusal is corrected only by a refusal that refuses at least what it refused, signed by the same
      kind of signer, no earlier: otherwise a correction would do what only a newer signed grant may do
      (README "How a consent record is read", rule 4). *(Silent in both texts: fail closed.)*
    """
    assert data.corrects_id is not None
    corrected = get_consent(session, data.corrects_id)
    if corrected.person_id != person.id or corrected.kind != data.kind:
        raise Invalid(
            f"Consent {corrected.id} is not a {data.kind.replace('_', ' ')} form of "
            f"{person.name}; it cannot be corrected by this one."
        )
    if session.exec(select(Consent.id).where(Consent.corrects_id == corrected.id)).first() is not None:
        raise Invalid(f"Consent {corrected.id} was already corrected; correct the newer form instead.")
    if (revocation := revocation_of(session, id_of(corrected))) is not None:
        withdrawn = day_label(district_today(revocation.revoked_at, district.time_zone))
        raise Conflict(
            f"Consent {corrected.id} was withdrawn on {withdrawn}: a withdrawn form cannot be corrected, as the "
            "correction would bring the consent back. Record the family's new signed form instead."
        )
    if corrected.status != v.REFUSED:
        return
    why = ""
    if data.status != v.REFUSED:
        why = "it cannot be corrected into a yes"
    elif corrected.scopes and data.scopes and not set(corrected.scopes) <= set(data.scopes):
        why = "the correction must refuse at least every place it refused"
    elif not corrected.scopes and data.scopes:
        why = "it refused every place, and so must the correction"
    elif data.signed_on < corrected.signed_on:
        why = "the correction may not be dated before it (an older grant would decide again)"
    elif (corrected.signer_relationship == "self") != (data.signer_relationship == "self"):
        why = "a student's own refusal and a parent's are not corrected into each other"
    if why:
        raise Conflict(
            f"Consent {corrected.id} is a refusal: {why}. A refusal is lifted only by a newer signed form that "
            "grants consent: record that form as a new form, not as a correction."
        )


def record_consent(session: Session, *, data: ConsentCreate, entered_by_id: int, district: District) -> Consent:
    """A signed form as recorded; everything it changes for posted photos is re-checked at once."""
    person = get_person(session, data.person_id)
    today = district.today()
    if data.signed_on > today:
        raise Invalid(
            f"The form is dated {day_label(data.signed_on)}, after today ({day_label(today)}): "
            "record a form once it has been signed."
        )
    _check_signer(session, person, data, district=district)
    _check_listed_guardian(session, person, data, district=district)
    if data.corrects_id is not None:
        _check_correction(session, person, data, district=district)
    valid_from = data.valid_from or data.signed_on
    refusal = data.status == "refused"
    consent = Consent(
        **data.model_dump(exclude={"valid_from", "valid_until"}),
        valid_from=data.signed_on if refusal else valid_from,
        valid_until=None if refusal else data.valid_until or end_of_school_year(data.signed_on),
        entered_by_id=entered_by_id,
    )
    session.add(consent)
    session.flush()
    cause = "corrected" if data.corrects_id is not None else ("refused" if refusal else "new_form")
    _after_act(session, person=person, kind=data.kind, district=district, cause=cause)
    return consent


def record_paper_form(
    session: Session, *, data: PaperFormCreate, entered_by_id: int, district: District
) -> list[Consent]:
    """One signed paper that answers several questions: a consent record per answer, recorded together (all or
    none), each checked and read on its own exactly as if it had been entered alone."""
    return [
        record_consent(session, data=consent, entered_by_id=entered_by_id, district=district)
        for consent in data.consents()
    ]


def _after_act(session: Session, *, person: Person, kind: str, district: District, cause: str) -> None:
    """What any act on a person's forms sets off: posted photos re-checked, templates kept only with consent."""
    standing.recheck_people(session, person_ids=[id_of(person)], district=district, cause=cause)
    if kind == "biometric":
        retention.forget_biometrics_without_consent(session, person=person, district=district)


def revocation_would_take_down(session: Session, *, consent: Consent, district: District) -> int:
    """How many photos revoking this form would ask to take down: tried in a savepoint, rolled back."""
    consent = in_force_for(session, consent)
    if consent.kind == "biometric" or consent.status == "refused" or revocation_of(session, id_of(consent)):
        return 0  # a face template's consent allows no photo; a refusal cannot be revoked
    before = len(standing.requested_in(session))
    with trial(session):
        revoke_consent(
            session, consent=consent, reason="preview", revoked_by_id=consent.entered_by_id, district=district
        )
        count = len(standing.requested_in(session)) - before
    session.info[standing.REQUESTED] = session.info.get(standing.REQUESTED, [])[:before]
    return count


def get_consent(session: Session, consent_id: int) -> Consent:
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise NotFound(f"No consent with id {consent_id}.")
    return consent


def revocation_of(session: Session, consent_id: int) -> ConsentRevocation | None:
    return session.exec(select(ConsentRevocation).where(ConsentRevocation.consent_id == consent_id)).first()


def in_force_for(session: Session, consent: Consent) -> Consent:
    """The form read in place of this one: the last correction of its correction chain (itself if uncorrected)."""
    current = consent
    while (later := session.exec(select(Consent).where(Consent.corrects_id == current.id)).first()) is not None:
        current = later
    return current


def revoke_consent(
    session: Session,
    *,
    consent: Consent,
    reason: str,
    revoked_by_id: int,
    district: District,
) -> ConsentRevocation:
    """Withdraws the consent given on this form. A corrected form is no longer read: revoking it revokes the
    correction that replaced it (the end of the chain), the consent the family gave on that paper."""
    asked, consent = consent, in_force_for(session, consent)
    via = (
        f"Consent {asked.id} was corrected: the form in force is consent {consent.id}. " if asked is not consent else ""
    )
    # Two people revoking one form at once: on PostgreSQL the second waits for this row lock and then
    # finds the first one's revocation (SQLite's BEGIN IMMEDIATE already lets one writer in at a time).
    # The audit chain's lock comes first, as in every other writer: a clearance being recorded holds the
    # chain and then share-locks the consents it relies on, so taking the row first and the chain at the
    # flush would let the two wait for each other (PostgreSQL ends one of them as a deadlock).
    audit.lock_chain(session)
    session.exec(select(Consent.id).where(Consent.id == id_of(consent)).with_for_update()).one()
    if revocation_of(session, consent.id or 0) is not None:
        raise Invalid(f"{via}Consent {consent.id} was already revoked.")
    if consent.status == "refused":
        raise Invalid(
            f"{via}A refusal cannot be revoked: it is lifted only by a newer signed form that grants "
            "consent. Record that form instead."
        )
    revocation = ConsentRevocation(
        consent_id=id_of(consent), reason=reason, revoked_by_id=revoked_by_id, revoked_at=district.now()
    )
    session.add(revocation)
    session.flush()
    _after_act(
        session, person=get_person(session, consent.person_id), kind=consent.kind, district=district, cause="revoked"
    )
    return revocation


def sniff_evidence(data: bytes, *, max_bytes: int, max_decode_bytes: int, cpu_seconds: int) -> str:
    """The scan's content type, after its content is checked whole (registry/consents/scans.py)."""
    return check_scan(
        data,
        max_bytes=max_bytes,
        max_pixels=DEFAULT_MAX_PIXELS,
        max_decode_bytes=max_decode_bytes,
        cpu_seconds=cpu_seconds,
    )


def base_name(filename: str) -> str:
    """The sent file name without any folders (either slash) or control characters, for display only."""
    name = re.split(r"[/\\]", "".join(c for c in filename if c.isprintable()))[-1].strip()[:255]
    return "scan" if name in ("", ".", "..") else name


def attach_evidence(
    session: Session,
    *,
    consent: Consent,
    data: bytes,
    filename: str,
    store: Storage,
    max_bytes: int,
    max_decode_bytes: int,
    uploaded_by_id: int,
    check_cpu_seconds: int = SCAN_CHECK_CPU_SECONDS,
) -> ConsentEvidence:
    scan_copies.refuse_a_copy(session, consent=consent, data=data)
    content_type = sniff_evidence(
        data, max_bytes=max_bytes, max_decode_bytes=max_decode_bytes, cpu_seconds=check_cpu_seconds
    )
    return keep_evidence(
        session,
        consent=consent,
        data=data,
        content_type=content_type,
        filename=filename,
        store=store,
        uploaded_by_id=uploaded_by_id,
    )


def keep_evidence(
    session: Session,
    *,
    consent: Consent,
    data: bytes,
    content_type: str,
    filename: str,
    store: Storage,
    uploaded_by_id: int,
) -> ConsentEvidence:
    """Keeps a file as a form's evidence: an uploaded scan once checked, or a receipt the service wrote itself."""
    digest = hashlib.sha256(data).hexdigest()
    if not store.exists(f"evidence/{digest}"):  # the same scan twice is kept once
        store.put(f"evidence/{digest}", data)
    evidence = ConsentEvidence(
        consent_id=id_of(consent),
        sha256=digest,
        content_type=content_type,
        size_bytes=len(data),
        filename=base_name(filename),
        uploaded_by_id=uploaded_by_id,
    )
    session.add(evidence)
    session.flush()
    return evidence


def read_evidence(store: Storage, evidence: ConsentEvidence) -> bytes | None:
    """The scan's bytes, or None if the store no longer has them."""
    try:
        return store.get(f"evidence/{evidence.sha256}")
    except NotStored:
        return None


def evidence_of(session: Session, consent_id: int) -> list[ConsentEvidence]:
    return list(
        session.exec(
            select(ConsentEvidence).where(ConsentEvidence.consent_id == consent_id).order_by(col(ConsentEvidence.id))
        )
    )


def list_consents(
    session: Session,
    *,
    person_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Consent], int]:
    statement = select(Consent)
    for column, value in ((Consent.person_id, person_id), (Consent.kind, kind), (Consent.status, status)):
        if value is not None:
            statement = statement.where(column == value)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(col(Consent.id).desc()).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def consent_public(session: Session, consent: Consent, *, district: District) -> ConsentPublic:
    revocation = revocation_of(session, consent.id or 0)
    person = get_person(session, consent.person_id)
    acts = consent_facts(session, [consent.person_id])
    return ConsentPublic.model_validate(
        {
            **consent.model_dump(),
            "state": standing.form_state(consent, acts=acts, person=person, district=district),
            "signer_listed": next((a.signer_listed for a in acts if a.id == consent.id), None),
            "revocation": RevocationPublic.model_validate(revocation.model_dump()) if revocation else None,
            "evidence": [EvidencePublic.model_validate(e.model_dump()) for e in evidence_of(session, consent.id or 0)],
        }
    )
