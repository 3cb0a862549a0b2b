"""The same upload sent twice (a second tap, a retried request) is one clearance and one item for a reviewer;
a different question, or a consent recorded meanwhile, is a new check. The blurred copy likewise."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from registry.core.settings import Settings
from registry.models.clearances import Clearance
from tests.api.clearance_helpers import add_person, clear, enrol, group_photo_to_blur, record
from tests.api.hostile_helpers import SQLITE_ONLY
from tests.api.test_web_my_photos import _clear_on_the_page
from tests.api.test_web_pages import _sign_in


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The service's default: the same upload within minutes is answered with its first clearance."""
    return settings.model_copy(update={"repeat_upload_minutes": Settings.model_fields["repeat_upload_minutes"].default})


def _clearances(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Clearance)).one())


def _waiting(client: TestClient, headers: dict[str, str]) -> list[int]:
    response = client.get("/api/v1/clearances", params={"decision": "needs_review"}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_the_same_photo_sent_twice_for_the_same_question_is_one_clearance_and_one_review_item(
    client: TestClient, session: Session, office: dict[str, str], employee: dict[str, str], make_user
) -> None:
    kit = add_person(client, office, "C-1", "community_member", "Kit Harington")
    enrol(client, office, kit, "people/kit_harington/kit-1.jpg", signer="self")  # a volunteer the policy does not name
    first = clear(client, employee, "people/kit_harington/kit-2.jpg")
    assert first.status_code == 201, first.text
    assert first.json()["decision"] == "needs_review"
    again = clear(client, employee, "people/kit_harington/kit-2.jpg")
    assert again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert _clearances(session) == 1
    reviewer = make_user("reviewer")
    assert _waiting(client, reviewer) == [first.json()["id"]]


def test_another_question_or_another_account_is_a_new_check(
    client: TestClient, session: Session, employee: dict[str, str], make_user
) -> None:
    first = clear(client, employee, "people/obama/obama-2.jpg").json()
    elsewhere = clear(client, employee, "people/obama/obama-2.jpg", destination="district_website").json()
    public = clear(client, employee, "people/obama/obama-2.jpg", public=True).json()
    tagged = clear(client, employee, "people/obama/obama-2.jpg", tags=("floor_plan",)).json()
    someone_else = clear(client, make_user("employee"), "people/obama/obama-2.jpg").json()
    ids = {first["id"], elsewhere["id"], public["id"], tagged["id"], someone_else["id"]}
    assert len(ids) == 5
    assert _clearances(session) == 5


def test_a_consent_recorded_meanwhile_makes_the_same_photo_a_new_check(
    client: TestClient, session: Session, office: dict[str, str], employee: dict[str, str]
) -> None:
    obama = add_person(client, office, "S-1", "student", "Barack Obama")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    blocked = clear(client, employee, "people/obama/obama-2.jpg").json()
    assert blocked["decision"] == "blocked"
    record(client, office, obama)  # the parent's photo release arrives
    allowed = clear(client, employee, "people/obama/obama-2.jpg").json()
    assert allowed["id"] != blocked["id"]
    assert allowed["decision"] == "allowed"


def test_with_repeats_turned_off_every_upload_is_checked_anew(
    app, client: TestClient, session: Session, employee: dict[str, str]
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"repeat_upload_minutes": 0})
    first = clear(client, employee, "people/obama/obama-2.jpg").json()
    second = clear(client, employee, "people/obama/obama-2.jpg").json()
    assert first["id"] != second["id"]


@SQLITE_ONLY
def test_a_second_tap_on_the_page_leads_to_the_same_photo(client: TestClient, session: Session) -> None:
    token = _sign_in(client, session, "employee")
    first = _clear_on_the_page(client, token, "people/kit_harington/kit-2.jpg", "Volunteer day")
    second = _clear_on_the_page(client, token, "people/kit_harington/kit-2.jpg", "Volunteer day")
    assert second == first
    other_caption = _clear_on_the_page(client, token, "people/kit_harington/kit-2.jpg", "Volunteer day, again")
    assert other_caption != first
    mine = session.exec(select(func.count()).where(col(Clearance.caption) == "Volunteer day")).one()
    assert mine == 1


def test_the_blurred_copy_asked_for_twice_is_one_copy(
    client: TestClient, session: Session, office: dict[str, str], employee: dict[str, str]
) -> None:
    original = group_photo_to_blur(client, office, employee)
    first = client.get(f"/api/v1/clearances/{original['id']}/redacted", headers=employee)
    second = client.get(f"/api/v1/clearances/{original['id']}/redacted", headers=employee)
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Clearance-Id"] == second.headers["X-Clearance-Id"]
    assert first.content == second.content
    assert _clearances(session) == 2  # the photo and its one copy
