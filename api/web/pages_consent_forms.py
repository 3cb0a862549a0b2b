"""Office staff: enter a signed paper form (one entry for every question it answers), and correct one entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep, SettingsDep
from api.web.auth import FormDep, OfficePage, PageRoute
from api.web.forms import FORM, checked, field_errors, move_form_error, optional, text_values, uploaded
from api.web.pages_consents import keep_scan, photos
from api.web.templating import CONSENT_KIND_LABELS, flash, render
from api.web.uploads import too_large
from registry.consents import service as consents
from registry.consents import standing
from registry.consents.scan_copies import ScanAlreadyKept
from registry.consents.schemas import ConsentCreate, FormAnswer, PaperFormCreate
from registry.core.errors import Invalid, RegistryError
from registry.models.accounts import User
from registry.models.consents import Consent
from registry.models.people import Person
from registry.people import service as people
from registry.policy.ledger import day_label, end_of_school_year
from registry.policy.vocabulary import DESTINATION_LABELS

router = APIRouter(route_class=PageRoute, include_in_schema=False)

NOT_ON_THIS_FORM = "none"
ANSWER_CHOICES = [
    ("granted", "Yes — they give permission"),
    ("refused", "No — they refuse permission"),
    (NOT_ON_THIS_FORM, "Not on this form"),
]
_ANSWERED = {"image_release": "the photo release", "biometric": "face enrolment", "logo_use": "the use of the logo"}


def kinds_for(person: Person, first: str | None) -> list[str]:
    """The questions a paper form of this person may answer, the one asked for first."""
    kinds = ["image_release", "biometric"] + (["logo_use"] if person.kind == "employee" else [])
    if first is not None and first in kinds:
        kinds.remove(first)
        kinds.insert(0, first)
    return kinds


def what_was_recorded(person: Person, recorded: list[Consent]) -> str:
    """In words, what the entry said: “Rose Lee's parent refused the photo release.”"""
    signer = recorded[0].signer_relationship
    who = person.name if signer == "self" else f"{person.name}'s {signer}"
    parts = []
    for consent in recorded:
        places = ", ".join(DESTINATION_LABELS.get(scope, scope) for scope in consent.scopes)
        where = f" ({places})" if places and consent.kind == "image_release" else ""
        verb = "agreed to" if consent.status == "granted" else "refused"
        parts.append(f"{verb} {_ANSWERED[consent.kind]}{where}")
    return f"{who} {' and '.join(parts)}."


def _signer(session: SessionDep, person: Person, district: DistrictDep) -> dict[str, Any]:
    # The signer is the first parent or guardian on record (or the adult themself), and can be changed.
    guardians = people.person_public(session, person, district=district).guardians
    first = guardians[0] if guardians else None
    return {
        "signer_choice": "1" if first else "",
        "signer_relationship": first.relationship if first else ("parent" if person.kind == "student" else "self"),
        "signer_name": first.name if first else ("" if person.kind == "student" else person.name),
    }


def _form_page(
    request: Request,
    session: SessionDep,
    district: DistrictDep,
    person: Person,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    kinds: list[str],
    correcting: Consent | None = None,
    scan_lost: bool = False,
) -> Response:
    return render(
        request,
        "consents/new.html",
        {
            "person": person,
            "public": people.person_public(session, person, district=district),
            "values": values,
            "errors": errors,
            "scan_lost": scan_lost,
            "kinds": kinds,
            "answers": ANSWER_CHOICES if correcting is None else ANSWER_CHOICES[:2],
            "correcting": correcting,
        },
        status_code=422 if errors else 200,
    )


def _answers(values: dict[str, Any], kinds: list[str]) -> list[FormAnswer]:
    """The questions the paper answers with a yes or a no; Invalid (beside the field) for one left unanswered."""
    answers = []
    for kind in kinds:
        answer = values.get(f"answer_{kind}", "")
        if answer in ("granted", "refused"):
            scopes = values["scopes"] if kind == "image_release" else []
            answers.append(FormAnswer.model_validate({"kind": kind, "status": answer, "scopes": scopes}))
        elif answer != NOT_ON_THIS_FORM:
            raise _Unanswered(f"answer_{kind}", "Choose what the form says: yes, no, or that it does not ask this.")
    if not answers:
        raise _Unanswered(f"answer_{kinds[0]}", "The form must answer at least one question with a yes or a no.")
    return answers


class _Unanswered(Invalid):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _plain(exc: ValidationError) -> dict[str, str]:
    errors = field_errors(exc)
    move_form_error(
        errors,
        mentioning="destination in scopes",
        to="scopes",
        message="Tick at least one place where the form allows photos to be posted.",
    )
    move_form_error(
        errors,
        mentioning="A refusal has no start or end date",
        to="valid_until",
        message="A refusal has no end date: leave “Valid until” empty.",
    )
    move_form_error(
        errors,
        mentioning="valid_until",
        to="valid_until",
        message="The consent must end after the day it starts (the signing date).",
    )
    return errors


def _save(
    session: SessionDep,
    settings: SettingsDep,
    user: User,
    form: FormDep,
    write: Callable[[dict[str, Any]], list[Consent]],
) -> tuple[dict[str, Any], list[Consent], int, dict[str, str]]:
    """Writes the entry and keeps its scan with each of its records, all or nothing: (values as typed, the
    records, photos now to come down, errors in plain words beside their fields)."""
    values = text_values(form)
    values["scopes"] = checked(form, "scopes")
    scan = uploaded(form, "scan")
    try:
        with session.begin_nested():
            recorded = write(values)
            if scan is not None:
                data = scan.file.read(settings.max_evidence_bytes + 1)
                for consent in recorded:  # one paper: its scan is the evidence of each of its records
                    keep_scan(session, settings, consent=consent, data=data, filename=scan.filename, user=user)
            takedowns = len(standing.requested_in(session))
    except ValidationError as exc:
        return values, [], 0, _plain(exc)
    except _Unanswered as exc:
        return values, [], 0, {exc.field: exc.message}
    except RegistryError as exc:
        if exc.status_code == 413 and scan is not None:
            return values, [], 0, {"scan": too_large(settings, "scan", size=scan.size)}
        return (
            values,
            [],
            0,
            {"scan" if exc.status_code == 415 or isinstance(exc, ScanAlreadyKept) else FORM: exc.message},
        )
    return values, recorded, takedowns, {}


def _saved(request: Request, person: Person, recorded: list[Consent], takedowns: int, *, before: str = "") -> Response:
    flash(
        request,
        before
        + what_was_recorded(person, recorded)
        + (
            f" {photos(takedowns)} cleared earlier must now come down: their uploaders have been asked to take "
            "them down."
            if takedowns
            else ""
        ),
    )
    return RedirectResponse(f"/people/{person.id}#consent-{recorded[0].id}", status_code=303)


@router.get("/people/{person_id}/consents/new")
def new_consent_form(
    request: Request,
    person_id: int,
    session: SessionDep,
    district: DistrictDep,
    _: OfficePage,
    kind: str | None = None,
) -> Response:
    person = people.get_person(session, person_id)
    kinds = kinds_for(person, kind)
    # Nothing is pre-ticked and no date is guessed for the question asked: the answer and the signing date are
    # copied from the paper. The other questions start as "not on this form"; a paper that answers them says so.
    values: dict[str, Any] = {f"answer_{other}": NOT_ON_THIS_FORM for other in kinds[1:]}
    values.update(_signer(session, person, district), signed_on="", valid_until="", scopes=[])
    return _form_page(request, session, district, person, values, {}, kinds=kinds)


@router.post("/people/{person_id}/consents/new")
def record_consent(
    request: Request,
    form: FormDep,
    person_id: int,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    user: OfficePage,
) -> Response:
    person = people.get_person(session, person_id)
    kinds = kinds_for(person, None)

    def write(values: dict[str, Any]) -> list[Consent]:
        data = PaperFormCreate.model_validate(
            {
                "person_id": person_id,
                "answers": _answers(values, kinds),
                "signer_name": values.get("signer_name", ""),
                "signer_relationship": values.get("signer_relationship", ""),
                "signed_on": values.get("signed_on", ""),
                "valid_until": optional(values, "valid_until"),
                "note": optional(values, "note"),
                **_biometric_terms(values),
            }
        )
        return consents.record_paper_form(session, data=data, entered_by_id=user.id or 0, district=district)

    values, recorded, takedowns, errors = _save(session, settings, user, form, write)
    if errors:
        kinds = kinds_for(person, optional(values, "first"))  # the questions in the order the page asked them
        scan_lost = uploaded(form, "scan") is not None
        return _form_page(request, session, district, person, values, errors, kinds=kinds, scan_lost=scan_lost)
    return _saved(request, person, recorded, takedowns)


def _as_typed(consent: Consent) -> dict[str, Any]:
    """The entry as it was typed, to correct what was mistyped."""
    default_end = consent.status == "refused" or consent.valid_until == end_of_school_year(consent.signed_on)
    return {
        f"answer_{consent.kind}": consent.status,
        "scopes": list(consent.scopes),
        "signer_name": consent.signer_name,
        "signer_relationship": consent.signer_relationship,
        "signer_choice": "other",
        "signed_on": consent.signed_on.isoformat(),
        "valid_until": "" if default_end or consent.valid_until is None else consent.valid_until.isoformat(),
        "note": consent.note or "",
    }


@router.get("/consents/{consent_id}/correct")
def correct_form(
    request: Request, consent_id: int, session: SessionDep, district: DistrictDep, _: OfficePage
) -> Response:
    consent = consents.get_consent(session, consent_id)
    person = people.get_person(session, consent.person_id)
    values = _as_typed(consent)
    guardians = people.person_public(session, person, district=district).guardians
    for n, guardian in enumerate(guardians, start=1):
        if guardian.name == consent.signer_name:
            values["signer_choice"] = str(n)
    return _form_page(request, session, district, person, values, {}, kinds=[consent.kind], correcting=consent)


@router.post("/consents/{consent_id}/correct")
def correct(
    request: Request,
    form: FormDep,
    consent_id: int,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    user: OfficePage,
) -> Response:
    """A new entry that replaces a mistyped one completely (never a new form from the family)."""
    wrong = consents.get_consent(session, consent_id)
    person = people.get_person(session, wrong.person_id)

    def write(values: dict[str, Any]) -> list[Consent]:
        [answer] = _answers(values, [wrong.kind])
        data = ConsentCreate.model_validate(
            {
                "person_id": person.id,
                "kind": wrong.kind,
                "status": answer.status,
                "scopes": answer.scopes,
                "signer_name": values.get("signer_name", ""),
                "signer_relationship": values.get("signer_relationship", ""),
                "signed_on": values.get("signed_on", ""),
                "valid_until": optional(values, "valid_until"),
                "note": optional(values, "note"),
                "corrects_id": wrong.id,
                **(_biometric_terms(values) if wrong.kind == "biometric" else {}),
            }
        )
        return [consents.record_consent(session, data=data, entered_by_id=user.id or 0, district=district)]

    values, recorded, takedowns, errors = _save(session, settings, user, form, write)
    if errors:
        scan_lost = uploaded(form, "scan") is not None
        return _form_page(
            request,
            session,
            district,
            person,
            values,
            errors,
            kinds=[wrong.kind],
            correcting=wrong,
            scan_lost=scan_lost,
        )
    kind = CONSENT_KIND_LABELS[wrong.kind].lower()
    before = f"The {kind} entered as signed by {wrong.signer_name} on {day_label(wrong.signed_on)} is corrected: "
    return _saved(request, person, recorded, takedowns, before=before)


def _biometric_terms(values: dict[str, Any]) -> dict[str, str | None]:
    """What a biometric form states: its notice's version, its purpose, how long a template is kept."""
    return {key: optional(values, key) for key in ("notice_version", "purpose", "retention_years")}
