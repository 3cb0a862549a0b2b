"""Property: the consent a family's answers record is exactly what they answered. It covers every destination
answered Yes and no other: never one answered No or left unanswered, read back through the ledger itself."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.consent_requests import service as requests
from registry.consent_requests import signing
from registry.consent_requests.forms import MissingAnswers, consent_from_answers, form_text
from registry.consents import standing
from registry.core.db import trial
from registry.core.storage import FileStorage
from registry.people import service as people
from registry.people.schemas import PersonCreate
from registry.policy import vocabulary as v
from registry.policy.ledger import Standing
from tests.district import DISTRICT

DESTINATIONS = sorted(v.DESTINATIONS)
ANSWER = st.sampled_from(["yes", "no", None, "", "Yes", "maybe"])
ANSWERS = st.fixed_dictionaries({d: ANSWER for d in DESTINATIONS})


@given(ANSWERS)
def test_the_answers_make_exactly_their_consent(answers: dict[str, str | None]) -> None:
    yes = {d for d, a in answers.items() if a == "yes"}
    no = {d for d, a in answers.items() if a == "no"}
    if yes | no != set(DESTINATIONS):
        with pytest.raises(MissingAnswers) as refused:
            consent_from_answers("image_release", answers)
        assert set(refused.value.names) == set(DESTINATIONS) - yes - no
        return
    status, scopes = consent_from_answers("image_release", answers)
    assert set(scopes) == yes and not set(scopes) & no
    assert status == (v.GRANTED if yes else v.REFUSED)


@pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=ANSWERS)
def test_what_the_ledger_reads_after_signing_is_what_was_answered(
    session: Session, tmp_path: Path, answers: dict[str, str | None]
) -> None:
    with trial(session):
        office = accounts.add_user(
            session,
            data=UserCreate(
                email="office@x.example", full_name="Office", role="office_staff", password="correct horse battery"
            ),
        )
        person = people.add_person(
            session,
            data=PersonCreate(external_id="S-P1", kind="student", name="Prop Erty", birth_date=date(2015, 3, 14)),
        )
        links = requests.Links(secret="s" * 40, public_url="http://localhost")
        (request,), _ = requests.request_consents(
            session,
            students=[person],
            kind="image_release",
            language="en",
            group_id=None,
            requested_by_id=office.id or 0,
            district=DISTRICT,
            links_=links,
        )
        signature = signing.Signature(answers=answers, signer_name="Maria Lopez", relationship="parent", affirmed=True)
        answered = {d for d, a in answers.items() if a in ("yes", "no")}
        try:
            signing.sign(
                session,
                request,
                signature=signature,
                form=form_text("image_release", "en", district="Test District"),
                origin=signing.Origin("127.0.0.1", "test"),
                storage=signing.Storage(FileStorage(tmp_path), 1 << 20, 1 << 26),
                district=DISTRICT,
                _=str,
            )
        except signing.FamilyAnswerInvalid:
            assert answered != set(DESTINATIONS)
            assert all(s.standing is not Standing.GRANTED for s in _read(session, person))
            return
        assert answered == set(DESTINATIONS)
        allowed = {s.destination for s in _read(session, person) if s.allowed}
        assert allowed == {d for d, a in answers.items() if a == "yes"}


def _read(session: Session, person: object) -> list[standing.DestinationStanding]:
    return standing.image_release_standing(session, person, district=DISTRICT)  # type: ignore[arg-type]
