"""What holds under every pack: own face, possible matches, review reasons, redaction."""

from dataclasses import replace

import pytest

from registry.policy import ClearanceRequestError, Context, decide, load_builtin_pack
from registry.policy.pack import PACKS_DIR, parse_pack
from registry.policy.vocabulary import CONTEXT_KINDS, DESTINATIONS

from .builders import (
    BIDEN,
    CLASSROOM,
    KIT_UPLOADER,
    OBAMA_STUDENT,
    PUBLIC_GAME,
    ROSE_PARENT,
    consent,
    face,
    identified,
    possible,
    request,
    unknown,
)

PACK_IDS = ["litchfield-4118.51", "danbury-4-303"]


@pytest.fixture(params=PACK_IDS)
def pack(request):
    return load_builtin_pack(request.param)


@pytest.mark.parametrize("destination", sorted(DESTINATIONS))
def test_the_uploaders_own_face_never_blocks_their_post(pack, destination):
    photo = request(identified(KIT_UPLOADER), uploader=KIT_UPLOADER, destination=destination)
    decision = decide(photo, pack)
    assert decision.decision == "allowed"
    assert face(decision, 0).rule == "own-face"


def test_an_uploader_not_linked_to_their_person_record_is_a_coworker(pack):
    assert decide(request(identified(KIT_UPLOADER)), pack).decision == "blocked"


@pytest.mark.parametrize(
    "context", [Context(kind, public) for kind in sorted(CONTEXT_KINDS) for public in (False, True)]
)
@pytest.mark.parametrize("destination", sorted(DESTINATIONS))
def test_a_possible_match_always_goes_to_a_reviewer(pack, context, destination):
    candidate_consent = consent(OBAMA_STUDENT, scopes=tuple(DESTINATIONS))
    photo = request(
        possible(OBAMA_STUDENT, BIDEN),
        context=context,
        destination=destination,
        consents=(candidate_consent,),
    )
    decision = decide(photo, pack)
    assert decision.decision == "needs_review"
    assert "Barack Obama" in face(decision, 0).message and "Joe Biden" in face(decision, 0).message
    assert not decision.redaction_offered


def test_a_possible_match_of_the_uploader_is_still_reviewed(pack):
    photo = request(possible(KIT_UPLOADER), uploader=KIT_UPLOADER)
    assert decide(photo, pack).decision == "needs_review"


def test_a_review_reason_turns_an_allowed_photo_into_needs_review(pack):
    reason = "photo taken outside the event's time window"
    photo = request(identified(KIT_UPLOADER), uploader=KIT_UPLOADER, extra_review_reasons=(reason,))
    decision = decide(photo, pack)
    assert decision.decision == "needs_review"
    assert any(reason in r.message for r in decision.reasons)


def test_a_review_reason_never_downgrades_a_blocked_photo(pack):
    photo = request(identified(BIDEN), extra_review_reasons=("taken outside the event",))
    decision = decide(photo, pack)
    assert decision.decision == "blocked"
    assert not decision.redaction_offered  # blurring Biden would still leave the review


def test_a_photo_with_no_faces_and_no_tags_is_allowed(pack):
    decision = decide(request(), pack)
    assert decision.decision == "allowed"
    assert "no faces found" in decision.reasons[-1].message


def test_two_faces_matched_to_one_person_go_to_a_reviewer(pack):
    consented = (consent(BIDEN),)
    decision = decide(request(identified(BIDEN), identified(BIDEN), consents=consented), pack)
    assert decision.decision == "needs_review"
    assert {f.rule for f in decision.faces} == {"same-person-twice"}


def test_the_uploader_matched_twice_is_not_waved_through(pack):
    photo = request(identified(KIT_UPLOADER), identified(KIT_UPLOADER), uploader=KIT_UPLOADER)
    assert decide(photo, pack).decision == "needs_review"


def test_redaction_is_not_offered_when_a_tag_also_blocks(litchfield):
    decision = decide(request(unknown(), tags=("floor_plan",)), litchfield)
    assert decision.decision == "blocked"
    assert face(decision, 0).redactable
    assert not decision.redaction_offered


def test_redaction_is_not_offered_when_the_pack_forbids_it():
    text = (PACKS_DIR / "litchfield-4118.51.toml").read_text()
    no_blur = parse_pack(text.replace("redaction = true", "redaction = false"), source="x.toml")
    decision = decide(request(unknown(), context=CLASSROOM), no_blur)
    assert decision.decision == "blocked"
    assert not face(decision, 0).redactable
    assert not decision.redaction_offered


def test_the_summary_says_how_many_faces_block_and_offers_the_blurred_copy(litchfield):
    # the student is released by the public arena; the co-worker is not (IV.A.1)
    decision = decide(request(identified(BIDEN), identified(OBAMA_STUDENT), context=PUBLIC_GAME), litchfield)
    summary = decision.reasons[-1]
    assert summary.rule == "summary" and summary.verdict == "blocked"
    assert "1 face" in summary.message and "blurred" in summary.message


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda: request(tags=("selfie",)), id="unknown-tag"),
        pytest.param(lambda: request(destination="facebook"), id="unknown-destination"),
        pytest.param(lambda: request(context=Context("party", False)), id="unknown-context"),
        pytest.param(
            lambda: request(identified(OBAMA_STUDENT), consents=(consent(OBAMA_STUDENT, signer="aunt"),)),
            id="unknown-signer",
        ),
    ],
)
def test_words_outside_the_vocabulary_are_refused_before_deciding(pack, bad):
    with pytest.raises(ClearanceRequestError):
        decide(bad(), pack)


def test_an_identified_face_must_name_its_person(pack):
    nameless = replace(identified(BIDEN), person=None)
    with pytest.raises(ClearanceRequestError, match="names nobody"):
        decide(request(nameless), pack)


def test_a_face_a_reviewer_rejected_blocks_even_with_consent(pack):
    rejected = replace(identified(OBAMA_STUDENT), rejected_by_reviewer=True)
    decision = decide(request(rejected, context=PUBLIC_GAME, consents=(consent(OBAMA_STUDENT),)), pack)
    assert decision.decision == "blocked"
    assert face(decision, 0).rule == "reviewer-rejected"
    assert decision.consents_relied_on == ()


def test_a_blurred_face_is_allowed_only_while_it_matches_no_one(pack):
    blurred = replace(unknown("no enrolled person within 0.6"), blurred=True)
    decision = decide(request(blurred, identified(KIT_UPLOADER), uploader=KIT_UPLOADER), pack)
    assert decision.decision == "allowed" and face(decision, 0).rule == "blurred-face"
    still_biden = replace(identified(BIDEN), blurred=True)
    assert decide(request(still_biden), pack).decision == "blocked"
    still_possible = replace(possible(BIDEN), blurred=True)
    assert decide(request(still_possible), pack).decision == "needs_review"


def test_a_reviewer_approval_settles_only_what_the_pack_sent_to_review(litchfield):
    parent = replace(identified(ROSE_PARENT), approved_by_reviewer=True)
    assert decide(request(identified(ROSE_PARENT)), litchfield).decision == "needs_review"
    approved = decide(request(parent), litchfield)
    assert approved.decision == "allowed" and face(approved, 0).rule == "reviewer-approved"
    doubtful = replace(possible(BIDEN), approved_by_reviewer=True)  # an identity is not approved, it is named
    assert decide(request(doubtful), litchfield).decision == "needs_review"
    blocked = replace(identified(BIDEN), approved_by_reviewer=True)
    assert decide(request(blocked), litchfield).decision == "blocked"


def test_a_reviewer_approval_of_a_tag_never_lifts_a_block(litchfield):
    plan = request(destination="district_website", tags=("floor_plan",))
    assert decide(plan, litchfield).decision == "needs_review"
    assert decide(replace(plan, approved_tags=frozenset({"floor_plan"})), litchfield).decision == "allowed"
    personal = request(tags=("floor_plan",))
    assert decide(replace(personal, approved_tags=frozenset({"floor_plan"})), litchfield).decision == "blocked"
