"""Litchfield 4118.51 IV.A as a principal would check it, photo by photo."""

from dataclasses import replace

import pytest

from registry.policy import decide

from .builders import (
    BIDEN,
    CLASSROOM,
    OBAMA_STUDENT,
    OBAMA_TEACHER,
    PERSONAL,
    PRIVATE_GAME,
    PUBLIC_ASSEMBLY,
    PUBLIC_CONCERT,
    PUBLIC_GAME,
    ROSE_PARENT,
    consent,
    face,
    identified,
    request,
    unknown,
)


def test_coworker_without_consent_blocks_a_classroom_photo_of_a_consented_student(litchfield):
    obama_parent = consent(OBAMA_STUDENT, signer="parent")
    decision = decide(
        request(identified(OBAMA_STUDENT), identified(BIDEN), consents=(obama_parent,)),
        litchfield,
    )
    assert decision.decision == "blocked"
    biden = face(decision, 1)
    assert (biden.verdict, biden.rule, biden.clause) == (
        "blocked",
        "co-worker-consent",
        "4118.51 IV.A.1",
    )
    assert "Joe Biden" in biden.message and "no image release on file" in biden.message
    obama = face(decision, 0)
    assert (obama.verdict, obama.clause, obama.consent_id) == (
        "allowed",
        "4118.51 IV.A.2",
        obama_parent.id,
    )
    assert decision.consents_relied_on == (obama_parent.id,)
    assert any("Joe Biden" in r.message and r.verdict == "blocked" for r in decision.reasons)
    assert decision.redaction_offered  # blur Biden and the rest may go
    assert (decision.pack_id, decision.pack_version) == (litchfield.id, litchfield.version)


def test_public_sporting_event_does_not_excuse_a_coworker_without_consent(litchfield):
    photo = request(identified(OBAMA_STUDENT), identified(BIDEN), context=PUBLIC_GAME)
    decision = decide(photo, litchfield)
    assert decision.decision == "blocked"
    assert face(decision, 1).clause == "4118.51 IV.A.1"
    assert face(decision, 0).verdict == "allowed"  # the student is in the public arena

    biden_self = consent(BIDEN, signer="self")
    consented = request(identified(OBAMA_STUDENT), identified(BIDEN), context=PUBLIC_GAME, consents=(biden_self,))
    decision = decide(consented, litchfield)
    assert decision.decision == "allowed"
    assert decision.consents_relied_on == (biden_self.id,)


def test_unknown_child_beside_two_consented_adults_blocks_a_classroom_photo(litchfield):
    adults = (consent(OBAMA_TEACHER), consent(BIDEN))
    photo = request(identified(OBAMA_TEACHER), identified(BIDEN), unknown(), consents=adults)
    decision = decide(photo, litchfield)
    assert decision.decision == "blocked"
    child = face(decision, 2)
    assert (child.verdict, child.rule, child.redactable) == ("blocked", "unknown-face", True)
    assert decision.redaction_offered


@pytest.mark.parametrize("context", [PUBLIC_GAME, PUBLIC_CONCERT])
def test_an_unknown_face_in_the_public_arena_is_not_taken_for_a_student(litchfield, context):
    """IV.A.1 gives co-workers no public-arena exception: a co-worker who is not enrolled is an
    unknown face, and the exception of IV.A.2 is for images of students only."""
    adults = (consent(OBAMA_TEACHER), consent(BIDEN))
    photo = request(identified(OBAMA_TEACHER), identified(BIDEN), unknown(), context=context, consents=adults)
    decision = decide(photo, litchfield)
    assert decision.decision == "blocked"
    stranger = face(decision, 2)
    assert (stranger.verdict, stranger.rule, stranger.redactable) == ("blocked", "unknown-face", True)
    assert "IV.A.1" in stranger.clause and "students only" in stranger.message
    assert decision.redaction_offered  # the blurred copy may go


def test_the_public_arena_still_releases_an_identified_student_beside_a_blurred_stranger(litchfield):
    blurred = replace(unknown("no enrolled person within 0.6"), blurred=True)
    decision = decide(request(identified(OBAMA_STUDENT), blurred, context=PUBLIC_GAME), litchfield)
    assert decision.decision == "allowed"
    assert face(decision, 0).rule == "student-public-arena"


@pytest.mark.parametrize("context", [PUBLIC_GAME, PUBLIC_CONCERT])
def test_identified_adults_without_consent_are_not_released_by_the_public_arena(litchfield, context):
    assert decide(request(identified(BIDEN), context=context), litchfield).decision == "blocked"
    assert decide(request(identified(ROSE_PARENT), context=context), litchfield).decision == "needs_review"


@pytest.mark.parametrize("context", [PUBLIC_GAME, PUBLIC_CONCERT])
def test_student_without_consent_is_allowed_in_the_public_arena(litchfield, context):
    decision = decide(request(identified(OBAMA_STUDENT), context=context), litchfield)
    assert decision.decision == "allowed"
    assert face(decision, 0).rule == "student-public-arena"
    assert face(decision, 0).consent_id is None


@pytest.mark.parametrize(
    ("context", "destination"),
    [
        (CLASSROOM, PERSONAL),
        (PRIVATE_GAME, PERSONAL),  # a closed practice is not the public arena
        (PUBLIC_ASSEMBLY, PERSONAL),  # only games and performances are named
        (PUBLIC_GAME, "district_website"),  # the exception is about personal posting
        (PUBLIC_GAME, "print"),
    ],
)
def test_student_without_consent_is_blocked_outside_the_public_arena(litchfield, context, destination):
    photo = request(identified(OBAMA_STUDENT), context=context, destination=destination)
    decision = decide(photo, litchfield)
    assert decision.decision == "blocked"
    assert face(decision, 0).redactable


def test_a_parents_recorded_refusal_is_honoured_even_in_the_public_arena(litchfield):
    refusal = consent(OBAMA_STUDENT, status="refused")
    photo = request(identified(OBAMA_STUDENT), context=PUBLIC_GAME, consents=(refusal,))
    decision = decide(photo, litchfield)
    assert decision.decision == "blocked"
    assert (face(decision, 0).rule, face(decision, 0).consent_id) == (
        "recorded-refusal",
        refusal.id,
    )


def test_parent_or_volunteer_without_consent_goes_to_a_reviewer(litchfield):
    decision = decide(request(identified(ROSE_PARENT), context=PUBLIC_GAME), litchfield)
    assert decision.decision == "needs_review"
    assert face(decision, 0).rule == "community-member-consent"
    granted = request(identified(ROSE_PARENT), consents=(consent(ROSE_PARENT),))
    assert decide(granted, litchfield).decision == "allowed"
    refused = request(identified(ROSE_PARENT), consents=(consent(ROSE_PARENT, status="refused"),))
    assert decide(refused, litchfield).decision == "blocked"


@pytest.mark.parametrize("tag", ["floor_plan", "premises_interior"])
def test_nonpublic_premises_block_personal_posting_whatever_the_faces(litchfield, tag):
    no_faces = decide(request(tags=(tag,), context=PUBLIC_GAME), litchfield)
    assert no_faces.decision == "blocked"
    assert any(r.clause == "4118.51 IV.A.3" for r in no_faces.reasons)
    assert not no_faces.redaction_offered  # blurring faces cannot fix a floor plan

    own_face_only = request(identified(BIDEN), uploader=BIDEN, tags=(tag,))
    assert decide(own_face_only, litchfield).decision == "blocked"


def test_floor_plan_on_district_channels_goes_to_a_supervisor(litchfield):
    decision = decide(request(tags=("floor_plan",), destination="district_website"), litchfield)
    assert decision.decision == "needs_review"


def test_district_logo_is_blocked_on_personal_media_even_with_written_logo_consent(litchfield):
    logo_ok = consent(BIDEN, kind="logo_use", scopes=(PERSONAL,))
    photo = request(tags=("district_logo",), uploader=BIDEN, consents=(logo_ok,))
    decision = decide(photo, litchfield)
    assert decision.decision == "blocked"
    assert decision.consents_relied_on == ()
    on_website = request(tags=("district_logo",), destination="district_website")
    assert decide(on_website, litchfield).decision == "allowed"


def test_the_outside_of_a_school_and_its_name_are_not_nonpublic_images(litchfield):
    """IV.A.3 bars nonpublic images of premises only; IV and IV.C.1 let employees name the district and schools."""
    outside = decide(request(tags=("building_exterior",), context=PUBLIC_GAME), litchfield)
    assert outside.decision == "allowed"
    assert any(r.rule == "building-exterior-personal" and "IV.A.3" in r.clause for r in outside.reasons)
    named = decide(request(tags=("school_name",)), litchfield)
    assert named.decision == "allowed"
    assert any(r.rule == "school-name-personal" and "IV.C.1" in r.clause for r in named.reasons)
    inside = decide(request(tags=("building_exterior", "premises_interior")), litchfield)
    assert inside.decision == "blocked"  # nonpublic parts still may not go
