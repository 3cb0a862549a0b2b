"""The letters for a class: a page per student still to answer, with the family's short code and a QR code that
a phone's camera reads as the family's own link."""

from __future__ import annotations

import re
from io import BytesIO

import cv2
import numpy as np
from pypdf import PageObject, PdfReader

from tests.api.family_helpers import ALL_DESTINATIONS, add_student, ask, open_link, prove, sign

_RECT = re.compile(rb"([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re f")


def qr_on(page: PageObject) -> str:
    """The QR code drawn on a PDF page, read back by OpenCV from the page's own rectangles."""
    contents = page.get_contents()
    assert contents is not None
    rects = [tuple(float(n) for n in m.groups()) for m in _RECT.finditer(contents.get_data())]
    assert rects, "no QR code drawn"
    scale = 8
    image = np.full((int(page.mediabox.height) * scale, int(page.mediabox.width) * scale), 255, np.uint8)
    for x, y, w, h in rects:
        top, bottom = sorted((y, y + h))
        image[int(top * scale) : int(round(bottom * scale)), int(x * scale) : int(round((x + w) * scale))] = 0
    upright = cv2.flip(image, 0)  # PDF's y axis points up
    found, _points, _straight = cv2.QRCodeDetector().detectAndDecode(upright)
    return str(found)


def test_a_class_gets_a_letter_per_student_still_to_answer(client, office):
    ids = [
        add_student(client, office, f"S-L{n}", name, school="Lincoln", grade="4")
        for n, name in enumerate(("Ana Alvarez", "Ben Brown", "Chloé Chen"))
    ]
    add_student(client, office, "S-L9", "Other Grade", school="Lincoln", grade="5")
    group = client.post(
        "/api/v1/groups", json={"name": "4A", "kind": "homeroom", "member_ids": ids, "leader_ids": []}, headers=office
    ).json()["id"]
    made = {r["person_name"]: r for r in ask(client, office, group_id=group)["items"]}
    ask(client, office, person_id=ids[2], kind="biometric", language="es")
    form = prove(client, open_link(client, made["Ben Brown"]["url"]))
    sign(client, form.text, dict.fromkeys(ALL_DESTINATIONS, "yes"))  # Ben's family has answered

    response = client.get(
        "/api/v1/consent-requests/letters.pdf", params={"school": "Lincoln", "grade": "4"}, headers=office
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pages = PdfReader(BytesIO(response.content)).pages
    texts = [page.extract_text() for page in pages]
    assert len(pages) == 3  # Ana's release, Chloé's release and Chloé's biometric consent (in Spanish)
    assert "Ana Alvarez" in texts[0] and made["Ana Alvarez"]["short_code"] in texts[0]
    assert "Ben Brown" not in "".join(texts)
    assert any("Chloé Chen" in t and "reconocimiento facial" in t for t in texts)
    assert qr_on(pages[0]) == made["Ana Alvarez"]["url"]


def test_letters_are_for_office_staff_only(client, employee):
    assert client.get("/api/v1/consent-requests/letters.pdf", headers=employee).status_code == 403
