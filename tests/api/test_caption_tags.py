"""A school's building or name in a photo: Danbury rule 10 (Board of Education material) needs the
supervisor's written permission; the service tags a caption that names a school it knows."""

from __future__ import annotations

import pytest

from registry.policy import load_builtin_pack
from tests.api.album_helpers import blank_jpeg
from tests.api.clearance_helpers import add_person


def clear_blank(client, headers, *, caption: str | None = None, tags: tuple[str, ...] = ()) -> dict:
    data: dict[str, object] = {"destination": "personal_social_media", "context_kind": "classroom"}
    data["context_public"] = "false"
    if caption is not None:
        data["caption"] = caption
    if tags:
        data["tags"] = list(tags)
    response = client.post(
        "/api/v1/clearances", headers=headers, files={"photo": ("p.jpg", blank_jpeg(), "image/jpeg")}, data=data
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def lincoln(client, office) -> None:
    person = add_person(client, office, "S-LH", "student", "Someone At Lincoln")
    client.patch(f"/api/v1/people/{person}", json={"school": "Lincoln High"}, headers=office)


def test_under_danbury_a_caption_naming_a_school_needs_the_supervisor(client, app, employee, lincoln):
    app.state.pack = load_builtin_pack("danbury-4-303")
    named = clear_blank(client, employee, caption="Front steps of  LINCOLN high this morning")
    assert named["decision"] == "needs_review"
    assert "school_name" in named["tags"]
    assert any(r["rule"] == "board-material-personal" and "rule 10" in r["clause"] for r in named["reasons"])
    district = clear_blank(client, employee, caption="Proud of Danbury Public Schools")
    assert "school_name" in district["tags"] and district["decision"] == "needs_review"
    plain = clear_blank(client, employee, caption="Lincolnshire sunrise")  # not the school's name as words
    assert plain["decision"] == "allowed" and plain["tags"] == []
    entrance = clear_blank(client, employee, tags=("building_exterior",))
    assert entrance["decision"] == "needs_review"


def test_under_litchfield_naming_a_school_is_allowed_and_recorded(client, employee, lincoln):
    named = clear_blank(client, employee, caption="Lincoln High, home of the Lions", tags=("building_exterior",))
    assert named["decision"] == "allowed"
    assert named["tags"] == ["building_exterior", "school_name"]
