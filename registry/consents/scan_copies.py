"""A scan is the evidence of one person's signed form: the same file (the same SHA-256) is never kept twice
with one form, nor with another person's form.

The same file again on the same form adds nothing but a second copy to read, so it is refused. The same file
on another person's form is almost always the wrong person or the wrong file chosen, and would make that
person's form look backed by a paper that is someone else's: the policy is silent, so it is refused too (fail
closed) and the answer names the form that already holds it, for the office to check. One paper covering two
of a person's forms (a photo release and a biometric consent on one sheet, entered as one entry) is one
person's evidence, and is kept with each: the two records of one paper have its signer and signing date. A
correction of an entry stands for the paper of the entry it corrects, and may keep its scan. Any other form
of the person (another paper) does not take the same file: it is refused, naming the form that holds it.
"""

from __future__ import annotations

import hashlib

from sqlmodel import Session, col, select

from registry.clearances.facts import same_name
from registry.core import audit
from registry.core.errors import Conflict
from registry.models.consents import Consent, ConsentEvidence
from registry.models.people import Person
from registry.policy.ledger import day_label


class ScanAlreadyKept(Conflict):
    """The scan (by its SHA-256) is already kept with this form, or with another person's form."""

    field = "scan"


def refuse_a_copy(session: Session, *, consent: Consent, data: bytes) -> None:
    """Refuses (ScanAlreadyKept) a scan already kept with this form or with another person's form."""
    digest = hashlib.sha256(data).hexdigest()
    # The audit chain's lock first, as every writer takes it: two uploads of one file at once are then one after
    # the other, and the second finds the first (SQLite's BEGIN IMMEDIATE already lets one writer in at a time).
    audit.lock_chain(session)
    kept = session.exec(
        select(ConsentEvidence, Consent)
        .join(Consent, col(Consent.id) == col(ConsentEvidence.consent_id))
        .where(ConsentEvidence.sha256 == digest)
        .order_by(col(ConsentEvidence.id))
    ).all()
    for evidence, form in kept:
        if form.id == consent.id:
            raise ScanAlreadyKept(
                f"This scan is already kept with this form (uploaded on {day_label(evidence.uploaded_at.date())} "
                f"as “{evidence.filename}”): nothing was added."
            )
    for _, form in kept:
        if form.person_id == consent.person_id and _papers(session, form) & _papers(session, consent):
            continue
        if form.person_id == consent.person_id:
            raise ScanAlreadyKept(
                f"This scan is already kept with another form of this person (form {form.id}, signed by "
                f"{form.signer_name} on {day_label(form.signed_on)}). One scan is kept only with the answers of one "
                "paper (the same signer and signing date): check that you chose the right file."
            )
        if form.person_id != consent.person_id:
            other = session.get(Person, form.person_id)
            this = session.get(Person, consent.person_id)
            raise ScanAlreadyKept(
                f"This scan is already kept with {other.name if other else 'another person'}'s form "
                f"(form {form.id}, signed by {form.signer_name} on {day_label(form.signed_on)}). A scan is the "
                f"evidence of one person's form, so it is not kept with {this.name if this else 'this person'}'s "
                "too: check that you chose the right person and the right file. A paper that covers two people "
                "is scanned once for each."
            )


def _papers(session: Session, consent: Consent) -> set[tuple[object, str]]:
    """The papers an entry stands for: its own signer and date, and those of every entry it corrects."""
    papers: set[tuple[object, str]] = set()
    current: Consent | None = consent
    while current is not None:
        papers.add((current.signed_on, same_name(current.signer_name)))
        current = session.get(Consent, current.corrects_id) if current.corrects_id is not None else None
    return papers
