"""A teacher in a district without face recognition names the faces of a class photo of 25 on its page, and a
reviewer names the one visitor from another class.

Measured (printed; the README's "Without face recognition" quotes it): the actions it takes, one choice per
face and one button, and the seconds from the page opening to the decision, in a real browser driven as fast
as it goes: the service's share of a teacher's time (the teacher's own looking and choosing comes on top).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from media.faces import detect_boxes, find_faces
from registry.accounts.service import find_user_by_email
from registry.clearances import service as clearances
from registry.clearances.check import Clearing, PhotoCheck
from registry.core.db import unit_of_work
from registry.groups.service import save_group
from registry.models.base import id_of
from tests.e2e.axe import check_page
from tests.e2e.conftest import FACES, Server
from tests.e2e.test_clearance import _person

pytestmark = pytest.mark.browser
CLASS_SIZE = 25


def class_photo(size: int = CLASS_SIZE, face_px: int = 130) -> bytes:
    """A 5-by-5 class photo made of the single-person test photos, each face about ``face_px`` wide."""
    canvas = Image.new("RGB", (5 * 400, 5 * 460), (128, 128, 128))
    singles = sorted((FACES / "people").rglob("*.jpg"))
    cell = 0
    for path in singles * 3:
        if cell == size:
            break
        photo, faces = find_faces(path.read_bytes())
        box = faces[0].box
        area = box.padded(0.6, width=photo.width, height=photo.height)
        scale = face_px / box.width
        crop = Image.fromarray(photo.rgb[area.top : area.bottom, area.left : area.right])
        crop = crop.resize((round(area.width * scale), round(area.height * scale)))
        if len(detect_boxes(np.asarray(crop), detect_max_side=1600)) != 1:
            continue
        canvas.paste(crop, ((cell % 5) * 400 + 40, (cell // 5) * 460 + 40))
        cell += 1
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=90)
    return out.getvalue()


def test_a_teacher_names_a_class_photo_and_a_reviewer_the_visitor(
    page: Page, server: Server, sign_in: Callable[[str], Page], shoot: Callable[[Page, str], None]
) -> None:
    app = server.app
    off = server.settings.model_copy(update={"face_recognition": "off"})
    with unit_of_work(app.state.bind) as session:
        teacher = find_user_by_email(session, server.email("employee"))
        assert teacher is not None
        pupils = [_person(session, f"S-CLASS-{n}", f"Pupil {n:02d}", "student", "image_release") for n in range(1, 26)]
        save_group(
            session,
            group=None,
            name="Grade 5 homeroom",
            kind="homeroom",
            school=None,
            member_ids=[id_of(p) for p in pupils[:-1]],  # the last is a visitor from another class
            leader_ids=[id_of(teacher)],
            by=teacher,
        )
        clearance = clearances.clear_photo(
            session,
            PhotoCheck(
                uploader=teacher, destination="personal_social_media", context_kind="classroom", context_public=False
            ),
            class_photo(),
            using=Clearing(settings=off, pack=app.state.pack, templates=app.state.templates),
        )
        assert clearance.decision == "needs_review"
        clearance_id, ids = clearance.id, [id_of(p) for p in pupils]
    sign_in("employee")
    page.goto(f"/clearances/{clearance_id}")
    expect(page.get_by_role("heading", name="Wait: the faces in this photo must be named")).to_be_visible()
    check_page(page)
    started = time.perf_counter()
    page.reload()  # timed from the page opening, with its 25 face crops
    actions = 0
    for index, person_id in enumerate(ids[:-1]):
        page.get_by_label(f"Face {index + 1}", exact=True).select_option(value=str(person_id))
        actions += 1
    page.get_by_role("button", name="Save the names").click()
    actions += 1
    expect(page.get_by_text("24 faces named; the photo was checked again.")).to_be_visible()
    seconds = time.perf_counter() - started
    expect(page.get_by_role("heading", name="Wait: the faces in this photo must be named")).to_be_visible()
    shoot(page, "class-photo-named")
    print(
        f"\nthe teacher names 24 of the {CLASS_SIZE} faces: {actions} actions "
        f"(a choice per face, one button), {seconds:.1f} s"
    )

    page.get_by_role("button", name="Sign out").click()
    sign_in("reviewer")
    started = time.perf_counter()
    page.goto(f"/review/{clearance_id}")
    page.get_by_label("Someone else? Find them by name or ID").fill(f"Pupil {CLASS_SIZE}")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name=f"It is Pupil {CLASS_SIZE}").click()
    expect(page.get_by_text("The photo now may be posted")).to_be_visible()
    seconds = time.perf_counter() - started
    print(f"a reviewer names the visitor: 3 actions (type the name, find, choose), {seconds:.1f} s")
    page.goto("/privacy")
    expect(page.get_by_role("heading", name="Privacy: what is kept, and for how long")).to_be_visible()
    check_page(page)
