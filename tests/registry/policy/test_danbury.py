"""Danbury 4-303: express consent for everyone, no public-arena exception, logo by consent."""

from datetime import timedelta

import pytest

from registry.policy import decide

from .builders import (
    AT,
    BIDEN,
    CLASSROOM,
    KIT_UPLOADER,
    OBAMA_STUDENT,
    OBAMA_TEACHER,
    PERSONAL,
    PUBLIC_CONCERT,
    PUBLIC_GAME,
    ROSE_PARENT,
    YESTERDAY,
    consent,
    face,
    identified,
    request,
    unknown,
)


def test_student_without_consent_at_a_public_game_is_blocked_in_danbury_not_litchfield(danbury, litchfield):
    photo = request(identified(OBAMA_STUDENT), context=PUBLIC_GAME)
    decision = decide(photo, danbury)
    assert decision.decision == "blocked"
    assert face(decision, 0).clause == "4-303 Personal rules 2 and 9"
    assert decide(photo, litchfield).decision == "allowed"


@pytest.mark.parametrize("context", [CLASSROOM, PUBLIC_GAME, PUBLIC_CONCERT])
def test_unknown_face_blocks_everywhere(danbury, context):
    adults = (consent(OBAMA_TEACHER), consent(BIDEN))
    photo = request(identified(OBAMA_TEACHER), identified(BIDEN), unknown(), context=context, consents=adults)
    decision = decide(photo, danbury)
    assert decision.decision == "blocked"
    assert face(decision, 2).verdict == "blocked"
    assert decision.redaction_offered


@pytest.mark.parametrize("person", [BIDEN, ROSE_PARENT])
def test_coworkers_and_parents_need_express_consent(danbury, person):
    decision = decide(request(identified(person), context=PUBLIC_GAME), danbury)
    assert decision.decision == "blocked"
    assert face(decision, 0).clause == "4-303 Personal rule 2"
    consented = request(identified(person), context=PUBLIC_GAME, consents=(consent(person),))
    assert decide(consented, danbury).decision == "allowed"


def test_district_logo_is_blocked_without_the_uploaders_written_consent(danbury):
    decision = decide(request(tags=("district_logo",), uploader=KIT_UPLOADER), danbury)
    assert decision.decision == "blocked"
    assert any(r.clause == "4-303 Personal rule 4" for r in decision.reasons)


def test_district_logo_is_allowed_with_the_uploaders_written_consent(danbury):
    logo_ok = consent(KIT_UPLOADER, kind="logo_use")
    photo = request(tags=("district_logo",), uploader=KIT_UPLOADER, consents=(logo_ok,))
    decision = decide(photo, danbury)
    assert decision.decision == "allowed"
    assert decision.consents_relied_on == (logo_ok.id,)


@pytest.mark.parametrize(
    "logo_consent",
    [
        pytest.param(lambda: consent(BIDEN, kind="logo_use"), id="someone-elses"),
        pytest.param(
            lambda: consent(KIT_UPLOADER, kind="logo_use", revoked_at=AT - timedelta(days=1)),
            id="revoked",
        ),
        pytest.param(lambda: consent(KIT_UPLOADER, kind="logo_use", valid_until=YESTERDAY), id="expired"),
        pytest.param(lambda: consent(KIT_UPLOADER, kind="logo_use", status="refused"), id="refused"),
        pytest.param(lambda: consent(KIT_UPLOADER, kind="logo_use", scopes=("print",)), id="print-only"),
    ],
)
def test_district_logo_stays_blocked_without_a_granted_logo_consent_in_force(danbury, logo_consent):
    photo = request(tags=("district_logo",), uploader=KIT_UPLOADER, consents=(logo_consent(),))
    assert decide(photo, danbury).decision == "blocked"


def test_logo_consent_does_not_help_an_uploader_not_linked_to_a_person(danbury):
    logo_ok = consent(KIT_UPLOADER, kind="logo_use")
    photo = request(tags=("district_logo",), uploader=None, consents=(logo_ok,))
    assert decide(photo, danbury).decision == "blocked"


@pytest.mark.parametrize("tag", ["floor_plan", "premises_interior"])
def test_school_premises_on_personal_media_need_the_supervisor(danbury, tag):
    decision = decide(request(tags=(tag,), destination=PERSONAL), danbury)
    assert decision.decision == "needs_review"
    assert any(r.clause == "4-303 Personal rule 10" for r in decision.reasons)


@pytest.mark.parametrize("tag", ["building_exterior", "school_name"])
def test_a_school_building_or_name_on_personal_media_needs_the_supervisor(danbury, tag):
    """Definitions: "Board of Education includes all names, logos, buildings, images"; rule 10 needs the
    supervisor's written permission to post its material on personal social media."""
    decision = decide(request(tags=(tag,), destination=PERSONAL, context=PUBLIC_GAME), danbury)
    assert decision.decision == "needs_review"
    tag_reason = next(r for r in decision.reasons if r.rule == "board-material-personal")
    assert "Personal rule 10" in tag_reason.clause and "supervisor" in tag_reason.message
    for channel in ("district_social_media", "district_website", "print"):
        assert decide(request(tags=(tag,), destination=channel), danbury).decision == "allowed"
