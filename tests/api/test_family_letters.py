"""The letters for a class: a page per student still to answer, with the family's short code and a QR code that
a phone's camera reads as the family's own link."""

from __future__ import annotations

import re
from io import BytesIO

import cv2
import numpy as np
import pytest
import segno
from fpdf import FPDF
from pypdf import PageObject, PdfReader

from registry.consent_requests import links
from registry.consent_requests.letters import QR_MM, draw_qr
from tests.api.family_helpers import ALL_DESTINATIONS, add_student, ask, open_link, prove, sign

_RECT = re.compile(rb"([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re f")


def _dark_rectangles(page: PageObject) -> list[tuple[float, ...]]:
    contents = page.get_contents()
    assert contents is not None
    rects = [tuple(float(n) for n in m.groups()) for m in _RECT.finditer(contents.get_data())]
    assert rects, "no QR code drawn"
    return rects


def _picture(page: PageObject, scale: int) -> np.ndarray:
    """The page's dark rectangles painted black on white, upright, `scale` pixels a point."""
    image = np.full((int(page.mediabox.height) * scale, int(page.mediabox.width) * scale), 255, np.uint8)
    for x, y, w, h in _dark_rectangles(page):
        low, high = sorted((y, y + h))
        # the same rounding on every edge, so that neighbouring modules meet with no gap between them
        image[round(low * scale) : round(high * scale), round(x * scale) : round((x + w) * scale)] = 0
    return np.asarray(cv2.flip(image, 0))  # PDF's y axis points up


def qr_matches(page: PageObject, url: str) -> bool:
    """Whether the QR code drawn on the page, module by module, is the QR code of `url`: each module's centre is
    dark exactly where the encoder's matrix is dark."""
    expected = np.array([list(row) for row in segno.make(url, error="m").matrix], dtype=bool)
    scale = 4
    dark = _picture(page, scale) == 0
    rows, cols = np.nonzero(dark)
    top, left, height, width = rows.min(), cols.min(), rows.max() + 1 - rows.min(), cols.max() + 1 - cols.min()
    assert abs(int(height) - int(width)) <= 1, "the QR code is not square"
    centres = (np.arange(len(expected)) + 0.5) * width / len(expected)
    drawn = dark[np.ix_((top + centres).astype(int), (left + centres).astype(int))]
    return bool((drawn == expected).all())


def qr_read_by_a_camera(page: PageObject) -> str:
    """The QR code on the page as OpenCV's detector reads it from a picture of the page."""
    found, _points, _straight = cv2.QRCodeDetector().detectAndDecode(_picture(page, 4))
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
    assert qr_matches(pages[0], made["Ana Alvarez"]["url"])


def test_letters_are_for_office_staff_only(client, employee):
    assert client.get("/api/v1/consent-requests/letters.pdf", headers=employee).status_code == 403


@pytest.mark.slow
def test_every_link_s_qr_code_reads_back():
    pdf = FPDF(format="letter")
    urls = [
        links.link_for("https://registry.lps.example", links.token_for("s" * 40, links.new_salt())) for _ in range(20)
    ]
    for url in urls:
        pdf.add_page()
        draw_qr(pdf, url, x=20, y=60, size=QR_MM)
    pages = PdfReader(BytesIO(bytes(pdf.output()))).pages
    assert all(qr_matches(page, url) for page, url in zip(pages, urls, strict=True))
    assert not qr_matches(pages[0], urls[1])  # another family's link is another code
    # A camera's decoder reads them too. OpenCV's misses about one code in fifty even drawn perfectly (measured
    # on the encoder's own matrices), so a few unread codes are its limit, not the drawing's; none is misread.
    read = [qr_read_by_a_camera(page) for page in pages]
    assert all(found in ("", url) for found, url in zip(read, urls, strict=True))
    assert sum(found == url for found, url in zip(read, urls, strict=True)) >= 17
