"""The reading of a consent record that is not about which form is newest: ages, days, and claims."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from registry.policy import Context, decide
from registry.policy.ledger import Standing, district_today, end_of_school_year, read_record

from .builders import AT, OBAMA_STUDENT, SCHOOL_YEAR_START, TODAY, consent, face, identified, request

ADULT = replace(OBAMA_STUDENT, birth_date=date(TODAY.year - 19, 3, 1))
TURNS_18_IN_OCTOBER = replace(OBAMA_STUDENT, birth_date=date(SCHOOL_YEAR_START.year - 18, 10, 20))


def standing(person, *acts, adult_students_sign: bool) -> Standing:
    return read_record(
        acts,
        person=person,
        kind="image_release",
        destination="personal_social_media",
        at=AT,
        today=TODAY,
        adult_students_sign=adult_students_sign,
    ).standing


def test_under_danbury_an_adult_student_signs_their_own_release():
    own = consent(ADULT, signer="self")
    parents = consent(ADULT, signer="parent")
    assert standing(ADULT, own, adult_students_sign=True) is Standing.GRANTED
    assert standing(ADULT, parents, adult_students_sign=True) is Standing.WRONG_SIGNER


def test_a_parents_grant_stops_counting_when_the_student_turns_18_under_danbury():
    # signed in September at 17; by January the student is 18 and must consent themself
    parents = consent(TURNS_18_IN_OCTOBER, signer="parent", signed_on=SCHOOL_YEAR_START)
    assert standing(TURNS_18_IN_OCTOBER, parents, adult_students_sign=True) is Standing.WRONG_SIGNER
    own_at_17 = consent(TURNS_18_IN_OCTOBER, signer="self", signed_on=SCHOOL_YEAR_START)
    assert standing(TURNS_18_IN_OCTOBER, own_at_17, adult_students_sign=True) is Standing.WRONG_SIGNER


def test_under_litchfield_a_parent_signs_whatever_the_students_age():
    assert standing(ADULT, consent(ADULT, signer="parent"), adult_students_sign=False) is Standing.GRANTED
    assert standing(ADULT, consent(ADULT, signer="self"), adult_students_sign=False) is Standing.WRONG_SIGNER


def test_without_a_birth_date_a_student_never_signs_their_own_release():
    assert standing(OBAMA_STUDENT, consent(OBAMA_STUDENT, signer="self"), adult_students_sign=True) is (
        Standing.WRONG_SIGNER
    )


def test_a_students_own_refusal_counts_whoever_may_grant():
    refusal = consent(OBAMA_STUDENT, status="refused", signer="self", scopes=())
    assert standing(OBAMA_STUDENT, refusal, adult_students_sign=False) is Standing.REFUSED


def test_the_districts_day_is_not_utcs():
    late_evening_in_connecticut = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    assert district_today(late_evening_in_connecticut, "America/New_York") == date(2026, 12, 1)
    assert district_today(late_evening_in_connecticut, "UTC") == date(2026, 12, 2)


def test_a_grant_runs_to_the_end_of_the_school_year_it_was_signed_in():
    assert end_of_school_year(date(2026, 3, 1)) == date(2026, 6, 30)
    assert end_of_school_year(date(2026, 6, 30)) == date(2026, 6, 30)
    assert end_of_school_year(date(2026, 7, 1)) == date(2027, 6, 30)


def test_a_declared_public_game_goes_to_review_only_where_it_is_what_allows_the_photo(litchfield, danbury):
    declared = Context("sporting_event", public=True, event_named=False)
    unconsented = request(identified(OBAMA_STUDENT), context=declared)
    decision = decide(unconsented, litchfield)
    assert decision.decision == "needs_review"
    assert any(r.rule == "unverified-public-arena" for r in decision.reasons)
    named = replace(unconsented, context=Context("sporting_event", public=True))
    assert decide(named, litchfield).decision == "allowed"
    consented = replace(unconsented, consents=(consent(OBAMA_STUDENT),))
    assert decide(consented, litchfield).decision == "allowed"  # consent allows it anyway: no need to check
    assert decide(unconsented, danbury).decision == "blocked"  # no public arena there: the claim changes nothing


def test_a_note_about_the_context_is_said_and_changes_nothing(litchfield):
    photo = replace(
        request(identified(OBAMA_STUDENT), consents=(consent(OBAMA_STUDENT),)),
        context_notes=("The photo carries no camera time.",),
    )
    decision = decide(photo, litchfield)
    assert decision.decision == "allowed"
    assert any(r.message == "The photo carries no camera time." for r in decision.reasons)
    assert face(decision, 0).verdict == "allowed"
