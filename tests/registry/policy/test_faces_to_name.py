"""A face the district does not recognise waits to be named: never decided, never allowed, whatever the pack."""

from dataclasses import replace

import pytest

from registry.policy import Context, decide, load_builtin_pack
from registry.policy.vocabulary import CONTEXT_KINDS, DESTINATIONS

from .builders import KIT_UPLOADER, identified, request, unknown


@pytest.fixture(params=["litchfield-4118.51", "danbury-4-303"])
def pack(request):
    return load_builtin_pack(request.param)


def to_name():
    return replace(unknown("to be named: this district does not use face recognition"), to_be_named=True)


@pytest.mark.parametrize("context", [Context(kind, True) for kind in sorted(CONTEXT_KINDS)])
@pytest.mark.parametrize("destination", sorted(DESTINATIONS))
def test_an_unnamed_face_keeps_the_photo_waiting_even_where_unknown_faces_pass(pack, context, destination):
    decision = decide(request(to_name(), context=context, destination=destination), pack)
    assert decision.decision == "needs_review"
    assert decision.faces[0].rule == "face-to-be-named"


def test_a_reviewers_approval_does_not_settle_an_unnamed_face(pack):
    approved = replace(to_name(), approved_by_reviewer=True)
    assert decide(request(approved), pack).decision == "needs_review"


def test_a_rejected_unnamed_face_is_blocked(pack):
    rejected = replace(to_name(), rejected_by_reviewer=True)
    assert decide(request(rejected), pack).faces[0].verdict == "blocked"


def test_the_uploaders_own_face_does_not_free_the_others(pack):
    photo = request(identified(KIT_UPLOADER), to_name(), uploader=KIT_UPLOADER)
    assert decide(photo, pack).decision == "needs_review"
