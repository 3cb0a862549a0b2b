"""Which consent is in force: revocation, expiry, scope, signer, and the latest act deciding."""

from datetime import timedelta

import pytest

from registry.policy import PersonFacts, decide

from .builders import (
    AT,
    BIDEN,
    LIN_STUDENT,
    OBAMA_STUDENT,
    SCHOOL_YEAR_START,
    TODAY,
    YESTERDAY,
    consent,
    face,
    identified,
    request,
)


@pytest.mark.parametrize(
    ("make_consent", "explained"),
    [
        (lambda: consent(OBAMA_STUDENT, revoked_at=AT - timedelta(days=1)), "was withdrawn on"),
        (lambda: consent(OBAMA_STUDENT, valid_until=YESTERDAY), "ended on"),
        (lambda: consent(OBAMA_STUDENT, scopes=("district_website",)), "does not cover"),
        (lambda: consent(OBAMA_STUDENT, signer="self"), "who may not sign it"),
        (lambda: consent(OBAMA_STUDENT, valid_from=TODAY + timedelta(days=1)), "starts only on"),
        (lambda: consent(LIN_STUDENT), "no image release on file"),  # someone else's
    ],
    ids=["revoked", "expired", "wrong-scope", "self-signed", "not-yet-valid", "other-child"],
)
def test_student_consent_not_in_force_blocks_a_classroom_post(litchfield, danbury, make_consent, explained):
    act = make_consent()
    photo = request(identified(OBAMA_STUDENT), consents=(act,))
    for pack in (litchfield, danbury):
        decision = decide(photo, pack)
        assert decision.decision == "blocked"
        # The form that decided is named, unless it is someone else's.
        assert face(decision, 0).consent_id == (None if act.person_id != OBAMA_STUDENT.id else act.id)
        assert explained in face(decision, 0).message
        assert "#" not in face(decision, 0).message  # named in words, never by a record number
        assert decision.consents_relied_on == ()


def test_a_revocation_recorded_for_later_does_not_yet_apply(litchfield):
    later = consent(OBAMA_STUDENT, revoked_at=AT + timedelta(hours=1))
    decision = decide(request(identified(OBAMA_STUDENT), consents=(later,)), litchfield)
    assert decision.decision == "allowed"


def test_a_consent_revoked_at_the_very_moment_no_longer_counts(litchfield):
    now = consent(OBAMA_STUDENT, revoked_at=AT)
    assert decide(request(identified(OBAMA_STUDENT), consents=(now,)), litchfield).decision == ("blocked")


def test_guardian_signature_counts_for_a_student(litchfield):
    guardian = consent(OBAMA_STUDENT, signer="guardian")
    decision = decide(request(identified(OBAMA_STUDENT), consents=(guardian,)), litchfield)
    assert decision.decision == "allowed"


def test_an_adults_consent_signed_by_a_parent_does_not_count(litchfield):
    by_parent = consent(BIDEN, signer="parent")
    assert decide(request(identified(BIDEN), consents=(by_parent,)), litchfield).decision == ("blocked")


def test_a_later_refusal_beats_an_earlier_grant(litchfield):
    grant = consent(OBAMA_STUDENT, signed_on=SCHOOL_YEAR_START)
    refusal = consent(OBAMA_STUDENT, status="refused", signed_on=YESTERDAY)
    decision = decide(request(identified(OBAMA_STUDENT), consents=(refusal, grant)), litchfield)
    assert decision.decision == "blocked"
    assert face(decision, 0).consent_id == refusal.id
    assert "refused" in face(decision, 0).message
    assert decision.consents_relied_on == ()


def test_a_later_grant_beats_an_earlier_refusal(litchfield):
    refusal = consent(OBAMA_STUDENT, status="refused", signed_on=SCHOOL_YEAR_START)
    grant = consent(OBAMA_STUDENT, signed_on=YESTERDAY)
    decision = decide(request(identified(OBAMA_STUDENT), consents=(grant, refusal)), litchfield)
    assert decision.decision == "allowed"
    assert decision.consents_relied_on == (grant.id,)


def test_a_refusal_signed_the_same_day_as_a_grant_wins(litchfield):
    grant = consent(OBAMA_STUDENT, signed_on=YESTERDAY)
    refusal = consent(OBAMA_STUDENT, status="refused", signed_on=YESTERDAY)
    for order in ((grant, refusal), (refusal, grant)):
        decision = decide(request(identified(OBAMA_STUDENT), consents=order), litchfield)
        assert decision.decision == "blocked"


def test_a_newer_refusal_for_the_website_supersedes_the_older_grant_as_a_whole(litchfield):
    grant = consent(OBAMA_STUDENT, signed_on=SCHOOL_YEAR_START)
    website_refusal = consent(OBAMA_STUDENT, status="refused", scopes=("district_website",), signed_on=YESTERDAY)
    photo = request(identified(OBAMA_STUDENT), consents=(grant, website_refusal))
    decision = decide(photo, litchfield)
    assert decision.decision == "blocked"  # the older grant no longer speaks for any destination
    assert "gives no release for personal social media" in face(decision, 0).message
    on_website = request(identified(OBAMA_STUDENT), destination="district_website", consents=(grant, website_refusal))
    assert decide(on_website, litchfield).decision == "blocked"


def test_a_departed_students_grant_no_longer_applies(litchfield):
    departed = PersonFacts(OBAMA_STUDENT.id, "student", "Barack Obama", active=False)
    decision = decide(request(identified(departed)), litchfield)
    assert decision.decision == "blocked"
    assert "departed" in face(decision, 0).message
    consented = decide(request(identified(departed), consents=(consent(OBAMA_STUDENT),)), litchfield)
    assert consented.decision == "blocked"
    assert "left the district" in face(consented, 0).message


def test_district_channels_need_a_consent_whose_scope_names_them(litchfield, danbury):
    personal_only = consent(BIDEN)
    for destination in ("district_social_media", "district_website", "print"):
        photo = request(identified(BIDEN), destination=destination, consents=(personal_only,))
        covered = request(
            identified(BIDEN),
            destination=destination,
            consents=(consent(BIDEN, scopes=(destination,)),),
        )
        for pack in (litchfield, danbury):
            assert decide(photo, pack).decision == "blocked"
            assert decide(covered, pack).decision == "allowed"


def test_a_students_own_refusal_is_honoured_though_only_a_parent_can_grant(litchfield):
    grant = consent(OBAMA_STUDENT, signer="parent", signed_on=SCHOOL_YEAR_START)
    own_refusal = consent(OBAMA_STUDENT, status="refused", signer="self", signed_on=YESTERDAY)
    photo = request(identified(OBAMA_STUDENT), consents=(grant, own_refusal))
    assert decide(photo, litchfield).decision == "blocked"
