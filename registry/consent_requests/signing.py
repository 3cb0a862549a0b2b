"""A family answers its request: signing records a consent exactly as office staff record a paper form, and
withdrawing revokes the form in force through the same service, with all that a revocation sets off (photos
decided again, takedown requests). Each act keeps a receipt as the consent's evidence.

The consent is entered in the name of the member of staff who sent the request (a consent always names who
entered it); its note says it was signed online, and the audit log names the family's link as the actor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from registry.consent_requests.forms import NO, YES, FormText, MissingAnswers, consent_from_answers, questions
from registry.consent_requests.receipts import Receipt, receipt_pdf
from registry.consent_requests.service import link_open
from registry.consents import service as consents
from registry.consents import standing
from registry.consents.schemas import ConsentCreate
from registry.core import storage as kept
from registry.core.errors import Conflict, Invalid
from registry.models.base import id_of
from registry.models.consent_requests import ConsentRequest
from registry.models.consents import Consent, ConsentEvidence, ConsentRevocation
from registry.models.people import Person
from registry.people.service import get_person
from registry.policy import vocabulary as v
from registry.policy.ledger import District, Standing, end_of_school_year
from registry.policy.vocabulary import ConsentStatus

RELATIONSHIPS = ("parent", "guardian")


class FamilyAnswerInvalid(Invalid):
    """Things on the family's form to put right: {form field: what to do}, every one found at once."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(dict.fromkeys(errors.values())))
        self.errors = errors


@dataclass(frozen=True)
class Signature:
    answers: Mapping[str, str | None]
    signer_name: str
    relationship: str
    affirmed: bool


@dataclass(frozen=True)
class Storage:
    """Where receipts are kept, and the limits every scan is checked against."""

    store: kept.Storage
    max_bytes: int
    max_decode_bytes: int


@dataclass(frozen=True)
class Origin:
    """Where an act came from, as the receipt records it."""

    address: str
    browser: str


def statement(_: Callable[[str], str]) -> str:
    return _("I am the parent or legal guardian of this child, and I sign this form electronically.")


def may_answer(session: Session, request: ConsentRequest, *, district: District) -> Person:
    """The student, if this request can still be answered: its link has not run out and the student is here."""
    if not link_open(request, district=district):
        raise Conflict("This link has expired.")
    person = get_person(session, request.person_id)
    if person.status != "active":
        raise Conflict("This request can no longer be answered.")
    return person


def _checked(signature: Signature, request: ConsentRequest) -> tuple[str, list[str]]:
    errors: dict[str, str] = {}
    status: ConsentStatus = v.REFUSED
    scopes: list[str] = []
    try:
        status, scopes = consent_from_answers(request.kind, signature.answers)
    except MissingAnswers as exc:
        errors.update({f"answer_{name}": "Answer Yes or No." for name in exc.names})
    name = " ".join(signature.signer_name.split())
    if len(name) < 2 or len(name) > 200:
        errors["signer_name"] = "Enter your full name."
    if signature.relationship not in RELATIONSHIPS:
        errors["relationship"] = "Choose how you are related to the child."
    if not signature.affirmed:
        errors["affirmed"] = "Confirm that you are the child's parent or legal guardian."
    if errors:
        raise FamilyAnswerInvalid(errors)
    return status, scopes


def sign(
    session: Session,
    request: ConsentRequest,
    *,
    signature: Signature,
    form: FormText,
    origin: Origin,
    storage: Storage,
    district: District,
    _: Callable[[str], str],
) -> tuple[Consent, ConsentEvidence]:
    """Records the family's answers as a consent (a refusal when every answer is No) with its receipt."""
    person = may_answer(session, request, district=district)
    status, scopes = _checked(signature, request)
    if status == v.GRANTED:
        _refuse_a_same_day_yes(session, person, request.kind, district=district)
    signer = " ".join(signature.signer_name.split())
    # A renewal asked for a later school year: the family's yes holds from today to the end of that year.
    ends = date(request.school_year, 6, 30)
    later_year = status == v.GRANTED and ends > end_of_school_year(district.today())
    data = ConsentCreate(
        person_id=id_of(person),
        kind=request.kind,
        status=status,
        scopes=scopes,
        signer_name=signer,
        signer_relationship=signature.relationship,
        signed_on=district.today(),
        valid_until=ends if later_year else None,
        note=f"Signed online by the family through consent request {request.id} ({form.reference}).",
    )
    consent = consents.record_consent(session, data=data, entered_by_id=request.requested_by_id, district=district)
    shown = {name: label for name, label in questions(request.kind, _)}
    receipt = Receipt(
        act="signed",
        request_id=id_of(request),
        student=person.name,
        form=form,
        answers=tuple(
            (shown[name], _("Yes") if signature.answers.get(name) == YES else _("No"))
            for name in shown
            if signature.answers.get(name) in (YES, NO)
        ),
        signer=signer,
        relationship=_(signature.relationship.capitalize()),
        statement=statement(_),
        at=_local(district),
        address=origin.address,
        browser=origin.browser[:300],
    )
    evidence = _keep(session, consent, receipt, storage=storage, by=request.requested_by_id, _=_)
    request.status = "declined" if status == v.REFUSED else "signed"
    request.answered_at = district.now()
    request.consent_id = id_of(consent)
    session.add(request)
    session.flush()
    return consent, evidence


SAME_DAY_NO = (
    "A No was given for your child today. It cannot be changed to Yes on the same day: "
    "open this link again tomorrow to answer Yes."
)


def _refuse_a_same_day_yes(session: Session, person: Person, kind: str, *, district: District) -> None:
    """On one day a refusal wins over any grant (the ledger's rule 3), so a Yes after a No signed today would be
    recorded and yet never read. It is refused with the reason instead of being kept as a form that does nothing."""
    reading = standing.read_standing(session, person, kind=kind, destination=None, district=district)
    act = reading.act
    if act is not None and act.status == v.REFUSED and act.signed_on == district.today():
        raise Conflict(SAME_DAY_NO)


def form_in_force(session: Session, request: ConsentRequest, *, district: District) -> Consent | None:
    """The grant that decides the child's standing for this kind now, which a withdrawal revokes (None: none)."""
    person = get_person(session, request.person_id)
    reading = standing.read_standing(session, person, kind=request.kind, destination=None, district=district)
    act = reading.act
    if act is None or act.status != v.GRANTED or act.revoked_at is not None:
        return None
    if reading.standing not in (Standing.GRANTED, Standing.NOT_COVERED):
        return None
    return consents.get_consent(session, act.id)


def withdraw(
    session: Session,
    request: ConsentRequest,
    *,
    signer_name: str,
    origin: Origin,
    form: FormText,
    storage: Storage,
    district: District,
    _: Callable[[str], str],
) -> tuple[ConsentRevocation, ConsentEvidence]:
    person = may_answer(session, request, district=district)
    consent = form_in_force(session, request, district=district)
    if consent is None:
        raise Conflict("There is no consent on record to withdraw.")
    signer = " ".join(signer_name.split())
    if len(signer) < 2:
        raise FamilyAnswerInvalid({"signer_name": "Enter your full name."})
    revocation = consents.revoke_consent(
        session,
        consent=consent,
        reason=f"Withdrawn online by {signer[:200]} through consent request {request.id}.",
        revoked_by_id=request.requested_by_id,
        district=district,
    )
    labels = dict(questions(request.kind, _))
    withdrawn = [labels.get(scope, scope) for scope in consent.scopes] or [labels[next(iter(labels))]]
    receipt = Receipt(
        act="withdrawn",
        request_id=id_of(request),
        student=person.name,
        form=form,
        answers=(),
        signer=signer,
        relationship="",
        statement=_("I withdraw this consent."),
        at=_local(district),
        address=origin.address,
        browser=origin.browser[:300],
        on_record=tuple(withdrawn),
    )
    evidence = _keep(session, consent, receipt, storage=storage, by=request.requested_by_id, _=_)
    request.status = "withdrawn"
    request.answered_at = district.now()
    session.add(request)
    session.flush()
    return revocation, evidence


def _local(district: District) -> datetime:
    return district.now().astimezone(ZoneInfo(district.time_zone))


def _keep(
    session: Session, consent: Consent, receipt: Receipt, *, storage: Storage, by: int, _: Callable[[str], str]
) -> ConsentEvidence:
    # The service wrote this PDF itself: it is kept as it is, not sent through the uploaded scans' checks.
    return consents.keep_evidence(
        session,
        consent=consent,
        data=receipt_pdf(receipt, _),
        content_type="application/pdf",
        filename=f"receipt-{receipt.act}-request-{receipt.request_id}.pdf",
        store=storage.store,
        uploaded_by_id=by,
    )
