""" "My photos" on the page: each photo named, with its thumbnail and its standing now, its blurred copies under it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session, select

from registry.accounts.service import find_user_by_email
from registry.models.base import id_of
from registry.models.clearances import Clearance
from registry.models.takedowns import Takedown
from tests.api.clearance_helpers import add_person, enrol, record
from tests.api.hostile_helpers import SQLITE_ONLY
from tests.api.test_web_pages import _sign_in
from tests.conftest import FACES

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis


def _clear_on_the_page(client: TestClient, token: str, photo: str, caption: str) -> int:
    with open(FACES / photo, "rb") as handle:
        response = client.post(
            "/clearances/new",
            data={
                "csrf_token": token,
                "destination": "personal_social_media",
                "context_kind": "classroom",
                "caption": caption,
            },
            files={"photo": (photo.rsplit("/", 1)[-1], handle, "image/jpeg")},
            follow_redirects=False,
        )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[-1])


def _entries(html: str) -> list[str]:
    return re.findall(
        r'<li class="photo-entry">(.*?)</li>\s*(?=<li class="photo-entry">|</ul>\s*</section>)', html, re.S
    )


@SQLITE_ONLY
def test_my_photos_names_each_photo_and_lists_its_blurred_copy_under_it(
    client: TestClient, session: Session, office: dict[str, str]
) -> None:
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    biden = add_person(client, office, "E-1", "employee", "Joe Biden")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    enrol(client, office, biden, "people/biden/biden-portrait.jpg", signer="self")
    record(client, office, obama)
    token = _sign_in(client, session, "employee")
    original = _clear_on_the_page(client, token, "groups/biden-obama.jpg", "Assembly, front row")

    download = client.get(f"/clearances/{original}/blurred")
    assert download.status_code == 200
    assert 'filename="biden-obama-blurred.jpg"' in download.headers["content-disposition"]

    page = client.get("/clearances")
    assert page.status_code == 200
    entries = _entries(page.text)
    assert len(entries) == 1, "the blurred copy is listed under its original, not as a photo of its own"
    [entry] = entries
    assert f'src="/clearances/{original}/thumbnail"' in entry
    assert ">biden-obama.jpg</a>" in entry and "“Assembly, front row”" in entry
    assert "Do not post" in entry or "Blocked" in entry
    assert "Blurred copy: biden-obama-blurred.jpg" in entry
    assert "2 faces" in entry
    assert "<h2" in page.text and ">Today</h2>" in page.text
    thumbnail = client.get(f"/clearances/{original}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"


@SQLITE_ONLY
def test_my_photos_shows_a_takedown_and_reads_every_standing_in_a_fixed_number_of_queries(
    client: TestClient, session: Session, office: dict[str, str]
) -> None:
    person = add_person(client, office, "S-2", "student", "Barack Obama")
    enrol(client, office, person, "people/obama/obama-portrait.jpg", signer="parent")
    token = _sign_in(client, session, "employee")
    first = _clear_on_the_page(client, token, "people/obama/obama-portrait.jpg", "Portrait")
    user = find_user_by_email(session, "web-employee@district.example.org")
    assert user is not None
    template = session.get(Clearance, first)
    assert template is not None

    def add_photos(count: int) -> None:
        for number in range(count):
            copy = Clearance.model_validate({**template.model_dump(exclude={"id"}), "file_name": f"extra-{number}.jpg"})
            session.add(copy)
            session.flush()
            if number % 2:
                session.add(
                    Takedown(
                        clearance_id=id_of(copy),
                        uploader_id=id_of(user),
                        cause="revoked",
                        reason="Barack Obama's parent withdrew the photo release.",
                    )
                )
        session.commit()

    def statements_for_the_page() -> int:
        seen: list[str] = []
        bind = session.get_bind()
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(bind, "before_cursor_execute", listener)
        try:
            assert client.get("/clearances").status_code == 200
        finally:
            event.remove(bind, "before_cursor_execute", listener)
        return len(seen)

    add_photos(2)
    few = statements_for_the_page()
    add_photos(10)
    many = statements_for_the_page()
    assert many <= few + 1, f"{few} statements for 3 photos, {many} for 13: one more per photo"
    page = client.get("/clearances").text
    assert page.count("Take down now") == len(session.exec(select(Takedown)).all())
    assert "extra-9.jpg" in page and "(allowed when checked)" in page
