"""Students with a date of birth, consent requests made through the API, and a family answering on the pages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

BIRTH = {"day": "14", "month": "3", "year": "2015"}
ALL_DESTINATIONS = ("district_social_media", "district_website", "personal_social_media", "print")


def add_student(client: TestClient, office: dict[str, str], external_id: str, name: str, **fields: Any) -> int:
    body = {"external_id": external_id, "kind": "student", "name": name, "birth_date": "2015-03-14", **fields}
    response = client.post("/api/v1/people", json=body, headers=office)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def ask(client: TestClient, office: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/consent-requests", json={"kind": "image_release", **body}, headers=office)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def open_link(client: TestClient, url: str) -> str:
    """Follows the family's link to the date-of-birth page; the page's HTML."""
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200, response.text
    assert urlsplit(str(response.url)).path == "/family"
    return response.text


def prove(client: TestClient, html: str, birth: dict[str, str] | None = None) -> Any:
    return client.post("/family/birth-date", data={"csrf_token": csrf(html), **(birth or BIRTH)})


def sign(client: TestClient, html: str, answers: dict[str, str], **fields: str) -> Any:
    data = {f"answer_{k}": v for k, v in answers.items()}
    data.update({"signer_name": "Maria Lopez", "relationship": "parent", "affirmed": "yes", **fields})
    return client.post("/family/sign", data={"csrf_token": csrf(html), **data})
