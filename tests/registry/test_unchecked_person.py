"""A person the closer look saw but could not check: to review, or blocked where the pack says so."""

from __future__ import annotations

from dataclasses import replace

import pytest

from media.analysis import PhotoAnalysis
from media.faces import Box
from media.finding import UNCLEAR, Unrecognisable
from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.clearances.check import Clearing, PhotoCheck, PhotoContext
from registry.clearances.service import faces_of, record_clearance
from registry.faces.templates import TemplateCache
from registry.models.base import id_of
from registry.policy import load_builtin_pack
from tests.conftest import PASSWORD

HEAD = Box(top=100, right=180, bottom=180, left=100)


def cleared(session, settings, *, block: bool):
    uploader = accounts.add_user(
        session,
        data=UserCreate(email="coach@district.example.org", full_name="Coach", role="employee", password=PASSWORD),
    )
    analysis = PhotoAnalysis(
        width=400,
        height=400,
        taken_at=None,
        faces=(),
        sha256="0" * 64,
        thumbnail=b"",
        searches=("hog@400 12 ms", "yunet@400 turned 0/90/180/270° 40 ms"),
        unrecognisable=(Unrecognisable(HEAD, UNCLEAR),),
        searched_harder=True,
    )
    pack = replace(load_builtin_pack("litchfield-4118.51"), block_unchecked_person=block)
    return record_clearance(
        session,
        PhotoCheck(uploader=uploader, destination="personal_social_media"),
        analysis,
        context=PhotoContext("classroom", False, None),
        using=Clearing(settings=settings, pack=pack, templates=TemplateCache()),
    )


@pytest.mark.parametrize("block", [False, True])
def test_a_person_whose_face_could_not_be_checked_is_never_allowed(session, settings, block):
    clearance = cleared(session, settings, block=block)
    faces = faces_of(session, id_of(clearance))
    assert clearance.searches == ["hog@400 12 ms", "yunet@400 turned 0/90/180/270° 40 ms"]
    held = f"a person whose face could not be checked: {UNCLEAR}"
    if block:  # decided as a face that cannot be compared, which this pack blocks
        assert clearance.decision == "blocked" and clearance.review_reasons == []
        assert [(f.band, f.match_reason, f.verdict) for f in faces] == [("unrecognisable", held, "blocked")]
    else:
        assert clearance.decision == "needs_review"
        assert [(f.band, f.match_reason, f.verdict, f.rule) for f in faces] == [
            ("unrecognisable", held, "needs_review", "unchecked-person")
        ]  # a face of its own, which only a reviewer's face act settles
        assert clearance.review_reasons[0].startswith("a person whose face could not be checked")
