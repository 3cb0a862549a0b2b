"""The letters for a class: one page per student, in the family's language, with the district's form text, the
QR code of the family's private link and its short code, for a family without e-mail or who prefers paper.

The QR code is drawn as vector rectangles (one per run of dark modules in a row): sharp at any printer's
resolution, and no image to embed per page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import segno
from fpdf import FPDF

from registry.consent_requests.forms import form_text
from registry.consent_requests.i18n import gettext_for, long_date
from registry.consent_requests.service import Links
from registry.groups.class_list_pdf import font_text, unicode_font
from registry.models.consent_requests import ConsentRequest
from registry.models.people import Person
from registry.policy.ledger import District

QR_MM = 45
QUIET_ZONE_MM = 8


@dataclass(frozen=True)
class Letter:
    request: ConsentRequest
    person: Person


def draw_qr(pdf: FPDF, data: str, *, x: float, y: float, size: float) -> None:
    matrix = segno.make(data, error="m").matrix
    module = size / len(matrix)
    for row_number, row in enumerate(matrix):
        start = None
        for column, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                pdf.rect(x + start * module, y + row_number * module, (column - start) * module, module, style="F")
                start = None


def letters_pdf(
    letters: Sequence[Letter], *, links_: Links, district: District, forms_dir: Path | None = None
) -> bytes:
    pdf = FPDF(format="letter")
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(f"{district.pack.district}: consent letters")
    family = unicode_font(pdf)
    texts = {}
    width = pdf.w - pdf.l_margin - pdf.r_margin

    broken: dict[tuple[str, float, bool, float], list[str]] = {}

    def line(text: str, *, size: float = 10, bold: bool = False, height: float = 5) -> None:
        """The text wrapped to the margins. Every letter repeats the form's paragraphs: each is broken into lines
        once (fpdf's line breaking is most of a page's time) and the lines are written as cells."""
        pdf.set_font(family, "B" if bold else "", size)
        available = pdf.w - pdf.l_margin - pdf.r_margin
        key = (text, size, bold, available)
        if key not in broken:
            lines = pdf.multi_cell(available, height, font_text(family, text), dry_run=True, output="LINES", align="L")
            broken[key] = list(cast(list[str], lines))
        for piece in broken[key]:
            pdf.cell(available, height, piece, new_x="LMARGIN", new_y="NEXT")

    for letter in letters:
        request, person = letter.request, letter.person
        _ = gettext_for(request.language)
        key = (request.kind, request.language)
        if key not in texts:
            texts[key] = form_text(request.kind, request.language, district=district.pack.district, own_dir=forms_dir)
        text = texts[key]
        pdf.add_page()
        line(district.pack.district, size=11, bold=True)
        pdf.ln(2)
        line(text.title, size=16, bold=True, height=8)
        where = ", ".join(
            part for part in (person.school, person.grade and _("grade {grade}").format(grade=person.grade)) if part
        )
        line(_("To the family of {name}").format(name=person.name) + (f" ({where})" if where else ""), bold=True)
        pdf.ln(2)
        for paragraph in text.paragraphs:
            line(paragraph, size=9.5, height=4.6)
            pdf.ln(1.5)
        pdf.ln(QUIET_ZONE_MM)  # a QR code needs four modules of white around it to be found by a camera
        top = pdf.get_y()
        draw_qr(pdf, links_.url(request), x=pdf.l_margin, y=top, size=QR_MM)
        pdf.set_xy(pdf.l_margin + QR_MM + QUIET_ZONE_MM, top)
        pdf.set_left_margin(pdf.l_margin + QR_MM + QUIET_ZONE_MM)
        line(_("Answer online"), size=13, bold=True, height=7)
        line(_("Scan the code with your phone's camera, confirm your child's date of birth, and answer Yes or No."))
        pdf.ln(2)
        line(_("No camera? Go to {address} and type this code:").format(address=links_.public_url.rstrip("/") + "/f"))
        line(links_.code(request), size=20, bold=True, height=11)
        line(
            _("The code works until {day}. Keep this letter private: it opens your child's form.").format(
                day=long_date(district.today(request.expires_at), request.language)
            ),
            size=9,
        )
        pdf.set_left_margin(pdf.l_margin - QR_MM - QUIET_ZONE_MM)
        pdf.set_y(max(pdf.get_y(), top + QR_MM) + QUIET_ZONE_MM)
        pdf.set_font(family, "", 8)
        pdf.multi_cell(width, 4, font_text(family, _("Reference {number}").format(number=request.id)))
    if not letters:
        pdf.add_page()
        line("No open requests to print.", size=12, bold=True)
    return bytes(pdf.output())
