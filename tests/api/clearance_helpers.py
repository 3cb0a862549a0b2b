"""Enrolling the people of tests/data/faces and clearing their photos through the API."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import FACES

TODAY = date.today()


def add_person(client: TestClient, headers: dict[str, str], external_id: str, kind: str, name: str) -> int:
    response = client.post(
        "/api/v1/people", json={"external_id": external_id, "kind": kind, "name": name}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def record(
    client: TestClient,
    headers: dict[str, str],
    person_id: int,
    kind: str = "image_release",
    *,
    status: str = "granted",
    scopes: tuple[str, ...] = ("personal_social_media",),
    signer: str = "parent",
    **dates: str,
) -> dict:
    response = client.post(
        "/api/v1/consents",
        json={
            "person_id": person_id,
            "kind": kind,
            "status": status,
            "scopes": list(scopes) if kind != "biometric" else [],
            "signer_name": "Signer",
            "signer_relationship": signer,
            "signed_on": dates.pop("signed_on", str(TODAY - timedelta(days=30))),
            **dates,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def public_event(client: TestClient, headers: dict[str, str], kind: str = "sporting_event") -> int:
    """A district event open to the public, happening now: what names the public arena."""
    now = datetime.now().replace(microsecond=0)
    response = client.post(
        "/api/v1/events",
        json={
            "name": "Home game" if kind == "sporting_event" else "Spring concert",
            "kind": kind,
            "public": True,
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def enrol(client: TestClient, headers: dict[str, str], person_id: int, photo: str, *, signer: str) -> dict:
    record(client, headers, person_id, "biometric", signer=signer)
    with open(FACES / photo, "rb") as handle:
        response = client.post(
            f"/api/v1/people/{person_id}/faces", files={"photo": (photo, handle, "image/jpeg")}, headers=headers
        )
    assert response.status_code == 201, response.text
    return response.json()


def clear(
    client: TestClient,
    headers: dict[str, str],
    photo: str,
    *,
    destination: str = "personal_social_media",
    context_kind: str | None = "classroom",
    public: bool | None = False,
    event_id: int | None = None,
    tags: tuple[str, ...] = (),
    camera_time: datetime | None = None,
):
    """``camera_time``: the photo is sent with that camera time (it has none of its own)."""
    data: dict[str, object] = {"destination": destination}
    if event_id is not None:
        data["event_id"] = str(event_id)
    else:
        data["context_kind"] = context_kind
        data["context_public"] = str(public).lower()
    if tags:
        data["tags"] = list(tags)
    sent = (FACES / photo).read_bytes()
    if camera_time is not None:
        sent = with_camera_time(sent, camera_time)
    return client.post(
        "/api/v1/clearances",
        data=data,
        files={"photo": (photo.rsplit("/", 1)[-1], sent, "image/jpeg")},
        headers=headers,
    )


def with_camera_time(jpeg: bytes, when: datetime) -> bytes:
    """The same JPEG (not re-encoded: the same pixels) with an EXIF camera time, placed first so it is read."""
    exif = Image.Exif()
    exif[0x0132] = when.strftime("%Y:%m:%d %H:%M:%S")
    segment = b"Exif\x00\x00" + exif.tobytes()
    assert jpeg[:2] == b"\xff\xd8", "not a JPEG"
    return jpeg[:2] + b"\xff\xe1" + (len(segment) + 2).to_bytes(2, "big") + segment + jpeg[2:]


def now() -> datetime:
    """The clock public_event's events are set by: a camera time during them."""
    return datetime.now().replace(microsecond=0)


def face_of(clearance: dict, name: str) -> dict:
    return next(f for f in clearance["faces"] if f["person_name"] == name)


def group_photo_to_blur(client: TestClient, office: dict[str, str], employee: dict[str, str]) -> dict:
    """A co-worker without consent next to a student with it: blocked, with a blurred copy offered."""
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    biden = add_person(client, office, "E-1", "employee", "Joe Biden")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    enrol(client, office, biden, "people/biden/biden-portrait.jpg", signer="self")
    record(client, office, obama)
    clearance = clear(client, employee, "groups/biden-obama.jpg").json()
    assert clearance["redaction_offered"] is True, clearance
    return clearance


def full_view(client: TestClient, reviewer: dict[str, str], clearance: dict) -> dict:
    """The clearance as a reviewer reads it (names, ids, distances, the consents relied on). An employee's
    own answer names only themself and the people of groups they lead (registry/clearances/disclosure.py); tests of
    who the engine identified read the reviewer's view."""
    response = client.get(f"/api/v1/clearances/{clearance['id']}", headers=reviewer)
    assert response.status_code == 200, response.text
    return response.json()
