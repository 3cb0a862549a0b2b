"""Districts that may not use face recognition: faces named by people, decided as recognised ones are.

Every decision below is reached twice on the same people, forms and photo: once with the face recognised
(REGISTRY_FACE_RECOGNITION=on, the face enrolled) and once with recognition off and the face named by the
uploader. The decisions must be the same, and in the off mode no face template is ever written.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import func, select

from registry.accounts import security
from registry.models.accounts import User
from registry.models.faces import FaceTemplate
from tests.api.clearance_helpers import add_person, clear, enrol, full_view, record
from tests.api.test_disclosure import sign_in_page

# What is decided from a photo's faces, not how they are found: each photo is read once (tests/api/conftest.py).
pytestmark = pytest.mark.reuses_analysis

OBAMA_PHOTO = "people/obama/obama-2.jpg"


def set_mode(app, mode: str) -> None:
    app.state.settings = app.state.settings.model_copy(update={"face_recognition": mode})


def lead_group(client, office, leader_headers, member_ids: list[int], name: str = "Grade 5 homeroom") -> None:
    leader = client.get("/api/v1/auth/me", headers=leader_headers).json()["id"]
    response = client.post(
        "/api/v1/groups",
        json={"name": name, "kind": "homeroom", "member_ids": member_ids, "leader_ids": [leader]},
        headers=office,
    )
    assert response.status_code == 201, response.text


def identify(client, headers, clearance_id: int, index: int, **answer):
    return client.post(f"/api/v1/clearances/{clearance_id}/faces/{index}/identify", json=answer, headers=headers)


def two_pupils(client, office, teacher) -> tuple[int, int]:
    """Kit and Rose, whose families granted the image release (no biometric consent), in the teacher's homeroom."""
    kit = add_person(client, office, "S-KIT", "student", "Kit Harington")
    rose = add_person(client, office, "S-ROSE", "student", "Rose Leslie")
    for person in (kit, rose):
        record(client, office, person)
    lead_group(client, office, teacher, [kit, rose])
    return kit, rose


def templates(session) -> int:
    return int(session.exec(select(func.count()).select_from(FaceTemplate)).one())


@dataclass(frozen=True)
class Scenario:
    """Who is in the photo, what they (or their family) signed, where it was taken and where it goes."""

    release: str | None  # granted, refused, withdrawn (granted, then revoked), or None: no form
    context: str = "classroom"
    public: bool = False
    destination: str = "personal_social_media"
    coworker: bool = False  # Joe Biden, an employee, instead of Barack Obama, a student


SCENARIOS = {
    "parent granted, classroom": Scenario("granted"),
    "parent refused, classroom": Scenario("refused"),
    "no image release, classroom": Scenario(None),
    "no image release, public game": Scenario(None, "sporting_event", True),
    "parent refused, public game": Scenario("refused", "sporting_event", True),
    "parent granted, field trip": Scenario("granted", "field_trip"),
    "parent withdrew, classroom": Scenario("withdrawn"),
    "granted for personal accounts, district website": Scenario("granted", destination="district_website"),
    "co-worker without consent, classroom": Scenario(None, coworker=True),
    "co-worker consented, classroom": Scenario("granted", coworker=True),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_named_face_is_decided_as_the_recognised_face_was(client, app, office, employee, make_user, scenario):
    case = SCENARIOS[scenario]
    reviewer = make_user("reviewer")
    kind, name, signer = ("employee", "Joe Biden", "self") if case.coworker else ("student", "Barack Obama", "parent")
    who = add_person(client, office, "P-1", kind, name)
    if case.release is not None:
        granted = case.release in ("granted", "withdrawn")
        form = record(
            client,
            office,
            who,
            status="granted" if granted else "refused",
            scopes=("personal_social_media",) if granted else (),
            signer=signer,
        )
        if case.release == "withdrawn":
            revoked = client.post(
                f"/api/v1/consents/{form['id']}/revoke", json={"reason": "family asked"}, headers=office
            )
            assert revoked.status_code == 200, revoked.text
    lead_group(client, office, employee, [who])
    reference, photo = (
        ("biden/biden-portrait.jpg", "people/biden/biden-2.jpg")
        if case.coworker
        else (
            "obama/obama-portrait.jpg",
            OBAMA_PHOTO,
        )
    )
    enrol(client, office, who, f"people/{reference}", signer=signer)
    asked = {"context_kind": case.context, "public": case.public, "destination": case.destination}
    recognised = full_view(client, reviewer, clear(client, employee, photo, **asked).json())
    assert recognised["faces"][0]["band"] == "identified"

    set_mode(app, "off")
    waiting = clear(client, employee, photo, **asked)
    assert waiting.status_code == 201, waiting.text
    waiting = waiting.json()
    assert waiting["decision"] == "needs_review"
    assert any("waiting for faces to be named" in r["message"] for r in waiting["reasons"])
    assert waiting["faces"][0]["distance"] is None and waiting["faces"][0]["candidates"] == []
    named = identify(client, employee, waiting["id"], 0, person_id=who)
    assert named.status_code == 200, named.text
    named = full_view(client, reviewer, named.json())

    assert named["decision"] == recognised["decision"], (scenario, named["reasons"], recognised["reasons"])
    face, was = named["faces"][0], recognised["faces"][0]
    assert (face["verdict"], face["rule"], face["clause"]) == (was["verdict"], was["rule"], was["clause"])
    assert named["consents_relied_on"] == recognised["consents_relied_on"]
    assert face["review"]["resolution"] == "named" and face["review"]["note"] == (
        "the uploader leads their group Grade 5 homeroom"
    )


def test_off_mode_writes_no_template_and_refuses_enrolment(client, app, session, office, employee, make_user):
    set_mode(app, "off")
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    biden = add_person(client, office, "E-BIDEN", "employee", "Joe Biden")
    record(client, office, obama)
    record(client, office, obama, "biometric")
    record(client, office, biden, "biometric", signer="self")
    for person, photo in ((obama, "people/obama/obama-portrait.jpg"), (biden, "people/biden/biden-portrait.jpg")):
        with open(f"tests/data/faces/{photo}", "rb") as handle:
            refused = client.post(
                f"/api/v1/people/{person}/faces", files={"photo": ("p.jpg", handle, "image/jpeg")}, headers=office
            )
        assert refused.status_code == 403, refused.text
        assert "does not use face recognition" in refused.json()["detail"]
    lead_group(client, office, employee, [obama])
    clearance = clear(client, employee, "groups/biden-obama.jpg").json()
    assert len(clearance["faces"]) == 2 and clearance["decision"] == "needs_review"
    for face in clearance["faces"]:
        assert identify(client, employee, clearance["id"], face["index"], nobody_enrolled=True).status_code == 200
    assert templates(session) == 0


def test_the_photo_is_never_allowed_before_every_face_is_named(client, app, office, employee, make_user):
    """Two students whose families granted the release: waiting until both are named, then allowed."""
    set_mode(app, "off")
    kit, rose = two_pupils(client, office, employee)
    clearance = clear(client, employee, "groups/kit-rose.jpg").json()
    assert len(clearance["faces"]) == 2 and clearance["decision"] == "needs_review"
    assert all(f["rule"] == "face-to-be-named" for f in clearance["faces"])
    first = identify(client, employee, clearance["id"], 0, person_id=kit).json()
    assert first["decision"] == "needs_review"
    assert any("waiting for faces to be named: face 2" in r["message"] for r in first["reasons"])
    second = identify(client, employee, clearance["id"], 1, person_id=rose).json()
    assert second["decision"] == "allowed"
    assert not any("waiting for faces" in r["message"] for r in second["reasons"])


def test_an_employee_names_only_their_groups_and_themself(client, app, office, employee, make_user):
    set_mode(app, "off")
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    record(client, office, obama)
    clearance = clear(client, employee, OBAMA_PHOTO).json()
    refused = identify(client, employee, clearance["id"], 0, person_id=obama)
    assert refused.status_code == 403
    assert "a reviewer names it" in refused.json()["detail"]
    assert client.get(f"/api/v1/clearances/{clearance['id']}", headers=employee).json()["decision"] == "needs_review"
    stranger = make_user("employee")
    assert identify(client, stranger, clearance["id"], 0, person_id=obama).status_code == 404
    reviewer = make_user("reviewer")
    named = identify(client, reviewer, clearance["id"], 0, person_id=obama)
    assert named.status_code == 200, named.text
    assert named.json()["decision"] == "allowed"
    assert named.json()["faces"][0]["review"]["resolution"] == "person"
    # a reviewer's word stands: the uploader cannot change it
    assert identify(client, employee, clearance["id"], 0, nobody_enrolled=True).status_code == 409


def test_nobody_on_any_roster_is_an_unknown_face(client, app, office, employee):
    """A visitor in a classroom photo: the pack's rule for an unknown face decides (it blocks)."""
    set_mode(app, "off")
    clearance = clear(client, employee, OBAMA_PHOTO).json()
    named = identify(client, employee, clearance["id"], 0, nobody_enrolled=True)
    assert named.status_code == 200, named.text
    assert named.json()["decision"] == "blocked"
    assert named.json()["faces"][0]["review"]["resolution"] == "named_nobody"
    both = identify(client, employee, clearance["id"], 0, nobody_enrolled=True, person_id=1)
    assert both.status_code == 422


def test_in_the_normal_mode_a_face_matching_nobody_can_be_named(client, app, office, employee, make_user):
    """A child whose family granted the image release and not the biometric consent can be posted."""
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    record(client, office, obama)
    lead_group(client, office, employee, [obama])
    clearance = clear(client, employee, OBAMA_PHOTO).json()
    assert clearance["decision"] == "blocked" and clearance["faces"][0]["band"] == "unknown"
    named = identify(client, employee, clearance["id"], 0, person_id=obama)
    assert named.status_code == 200, named.text
    assert named.json()["decision"] == "allowed"


def test_staff_only_recognises_consented_employees_and_no_student(client, app, office, employee, make_user):
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    biden = add_person(client, office, "E-BIDEN", "employee", "Joe Biden")
    enrol(client, office, obama, "people/obama/obama-portrait.jpg", signer="parent")
    enrol(client, office, biden, "people/biden/biden-portrait.jpg", signer="self")
    record(client, office, biden, signer="self")
    set_mode(app, "staff_only")
    reviewer = make_user("reviewer")
    clearance = full_view(client, reviewer, clear(client, employee, "groups/biden-obama.jpg").json())
    bands = sorted((f["band"], f["person_name"]) for f in clearance["faces"])
    assert bands == [("identified", "Joe Biden"), ("unknown", None)]
    assert clearance["decision"] == "needs_review"
    with open("tests/data/faces/people/obama/obama-3.jpg", "rb") as handle:
        refused = client.post(
            f"/api/v1/people/{obama}/faces", files={"photo": ("p.jpg", handle, "image/jpeg")}, headers=office
        )
    assert refused.status_code == 403 and "only employees" in refused.json()["detail"]


def test_the_uploader_names_the_faces_on_the_photos_page(client, app, session, settings, office):
    set_mode(app, "off")
    csrf = sign_in_page(client, session, "employee")
    user = session.exec(select(User).where(User.email == "web-employee@district.example.org")).one()
    token, _ = security.issue_access_token(user_id=int(user.id or 0), secret=settings.secret_key, minutes=5)
    uploader = {"Authorization": f"Bearer {token}"}
    kit, rose = two_pupils(client, office, uploader)
    clearance = clear(client, uploader, "groups/kit-rose.jpg").json()
    page = client.get(f"/clearances/{clearance['id']}")
    assert "the faces in this photo must be named" in page.text and "Name the faces" in page.text
    assert "Kit Harington (Grade 5 homeroom)" in page.text
    saved = client.post(
        f"/clearances/{clearance['id']}/names",
        data={"csrf_token": csrf, "face_0": str(kit), "face_1": str(rose)},
        follow_redirects=True,
    )
    assert saved.status_code == 200
    assert "2 faces named" in saved.text and "You may post this photo" in saved.text
    assert client.get(f"/api/v1/clearances/{clearance['id']}", headers=uploader).json()["decision"] == "allowed"


def test_an_uploader_cannot_name_a_face_as_someone_the_service_knows(client, app, office, employee, make_user):
    """Kit is enrolled: a face that matched nobody is not taken to be him on his teacher's word."""
    kit = add_person(client, office, "S-KIT", "student", "Kit Harington")
    enrol(client, office, kit, "people/kit_harington/kit-1.jpg", signer="parent")
    record(client, office, kit)
    lead_group(client, office, employee, [kit])
    clearance = clear(client, employee, OBAMA_PHOTO).json()
    assert clearance["faces"][0]["band"] == "unknown" and clearance["decision"] == "blocked"
    refused = identify(client, employee, clearance["id"], 0, person_id=kit)
    assert refused.status_code == 403 and "is enrolled" in refused.json()["detail"]
    assert client.get(f"/api/v1/clearances/{clearance['id']}", headers=employee).json()["decision"] == "blocked"


def test_the_persons_page_says_why_no_face_is_enrolled(client, app, session, office):
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    record(client, office, obama, "biometric")
    sign_in_page(client, session, "office_staff")
    assert "Add a photo of Barack Obama" in client.get(f"/people/{obama}").text
    set_mode(app, "off")
    page = client.get(f"/people/{obama}").text
    assert "does not use face recognition" in page and "Add a photo of Barack Obama" not in page
    set_mode(app, "staff_only")
    assert "recognises only employees" in client.get(f"/people/{obama}").text


def test_the_blurred_copy_keeps_the_names_its_faces_were_given(client, app, office, employee, make_user):
    """The visitor nobody may show is blurred in the copy; the pupil keeps the name the teacher gave him."""
    set_mode(app, "off")
    obama = add_person(client, office, "S-OBAMA", "student", "Barack Obama")
    record(client, office, obama)
    lead_group(client, office, employee, [obama])
    clearance = clear(client, employee, "groups/biden-obama.jpg").json()
    visitor, pupil = sorted(clearance["faces"], key=lambda f: f["box"]["left"])
    identify(client, employee, clearance["id"], visitor["index"], nobody_enrolled=True)
    named = identify(client, employee, clearance["id"], pupil["index"], person_id=obama).json()
    assert named["decision"] == "blocked" and named["redaction_offered"] is True, named["reasons"]
    copy = client.get(f"/api/v1/clearances/{clearance['id']}/redacted", headers=employee)
    assert copy.status_code == 200, copy.text
    blurred = full_view(client, make_user("reviewer"), {"id": int(copy.headers["X-Clearance-Id"])})
    assert blurred["decision"] == "allowed"
    assert [f["review"]["note"] for f in blurred["faces"] if f["review"]] == [
        f"as named in photo {clearance['id']}: the uploader leads their group Grade 5 homeroom"
    ]
