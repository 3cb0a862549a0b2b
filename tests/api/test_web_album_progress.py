"""An album's page follows its progress in place: the changing parts come from a fragment of their own."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from registry.models.albums import AlbumItem, AlbumJob
from registry.models.clearances import Clearance
from tests.api.clearance_helpers import add_person, enrol
from tests.api.hostile_helpers import SQLITE_ONLY
from tests.api.test_web_my_photos import _clear_on_the_page
from tests.api.test_web_pages import _sign_in


def _start(client: TestClient, token: str, files: list[tuple[str, tuple[str, bytes, str]]]) -> str:
    response = client.post(
        "/albums/new",
        data={"csrf_token": token, "destination": "personal_social_media", "context_kind": "assembly"},
        files=files,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


@SQLITE_ONLY
def test_an_album_being_checked_updates_from_its_progress_fragment(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "employee")
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(photo, "JPEG")
    album = _start(
        client,
        token,
        [("photos", ("first.jpg", photo.getvalue(), "image/jpeg")), ("photos", ("notes.txt", b"text", "text/plain"))],
    )
    page = client.get(album).text
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert '<script src="/static/album-progress.js" defer></script>' in page
    assert 'id="album-announce" role="status"' in page
    assert f'data-progress-url="{album}/progress"' in page
    assert "refresh it now" in page  # without JavaScript, a link too

    fragment = client.get(f"{album}/progress")
    assert fragment.status_code == 200 and fragment.headers["cache-control"] == "no-store"
    assert "<html" not in fragment.text and "<nav" not in fragment.text
    assert 'data-finished="no"' in fragment.text
    assert "Checking: 1 of 2 photos done." in fragment.text
    assert "<strong>notes.txt</strong>" in fragment.text


@SQLITE_ONLY
def test_a_finished_album_of_one_photo_says_so_in_the_singular(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "employee")
    album = _start(client, token, [("photos", ("notes.txt", b"text", "text/plain"))])
    page = client.get(album).text
    assert "The photo has been checked." in page and "All 1" not in page
    assert "http-equiv" not in page  # no refreshing without JavaScript: it is finished
    assert "album-progress.js" in page  # with it, a reviewer's act or a takedown still shows, less often asked
    assert 'data-finished="yes"' in client.get(f"{album}/progress").text


@SQLITE_ONLY
def test_a_photo_waiting_for_its_face_check_says_so_and_is_allowed_nowhere(
    client: TestClient, session: Session
) -> None:
    """A photo queued instead of read in its request (REGISTRY_ANALYSIS=external past its wait, or a busy lane)."""
    token = _sign_in(client, session, "employee")
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(photo, "JPEG")
    album = _start(client, token, [("photos", ("game.jpg", photo.getvalue(), "image/jpeg"))])
    fragment = client.get(f"{album}/progress").text
    assert "Waiting for a face check; this page updates." in fragment
    assert "Until then the photo may be posted nowhere." in fragment
    assert 'data-finished="no"' in fragment


@SQLITE_ONLY
def test_someone_elses_album_progress_is_not_shown(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "employee")
    album = _start(client, token, [("photos", ("notes.txt", b"text", "text/plain"))])
    client.cookies.clear()
    _sign_in(client, session, "office_staff")
    refused = client.get(f"{album}/progress")
    assert refused.status_code == 404 and "<h1>Not found</h1>" in refused.text


@SQLITE_ONLY
def test_an_albums_page_shows_each_photo_as_it_stands_now(
    client: TestClient, session: Session, office: dict[str, str], make_user
) -> None:
    kit = add_person(client, office, "C-1", "community_member", "Kit Harington")
    enrol(client, office, kit, "people/kit_harington/kit-1.jpg", signer="self")
    token = _sign_in(client, session, "employee")
    clearance_id = _clear_on_the_page(client, token, "people/kit_harington/kit-2.jpg", "Volunteer day")
    uploader = session.exec(select(Clearance.uploader_id).where(Clearance.id == clearance_id)).one()
    job = AlbumJob(uploader_id=uploader, destination="personal_social_media", context_kind="classroom", source="web")
    session.add(job)
    session.flush()
    item = AlbumItem(job_id=job.id or 0, position=0, name="kit.jpg", status="done", clearance_id=clearance_id)
    item.decision = "needs_review"  # as it was when the album was checked
    session.add(item)
    session.commit()
    before = client.get(f"/albums/{job.id}/progress").text
    assert "Waiting for a reviewer (1)" in before and "1 waits for a reviewer" in before

    reviewed = client.post(
        f"/api/v1/clearances/{clearance_id}/review",
        json={"faces": [{"index": 0, "resolution": "approve"}]},
        headers=make_user("reviewer"),
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["decision"] == "allowed"
    after = client.get(f"/albums/{job.id}/progress").text
    assert "May be posted (1)" in after and "Waiting for a reviewer" not in after
    assert "1 may be posted, 0 may not, 0 wait for a reviewer" in " ".join(after.split())
    api = client.get(f"/api/v1/albums/{job.id}", headers=make_user("admin")).json()
    assert api["items"][0]["standing"] == "allowed" and api["decisions"]["allowed"] == 1
