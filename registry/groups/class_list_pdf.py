"""The class list on paper: one A4/Letter page or more a coach can pin up or carry to the field."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from fpdf import FPDF
from sqlmodel import Session, col, select

from registry.groups.class_list import ClassList, ListedPerson
from registry.models.faces import FaceTemplate
from registry.policy import vocabulary as v

# A Unicode font where the system has one (names are not all Latin-1); the built-in one otherwise.
FONT_FILES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)
PHOTO_MM = 18


def class_list_pdf(session: Session, listing: ClassList) -> bytes:
    pdf = FPDF(format="letter")
    pdf.set_title(f"Do not post: {listing.title}")
    pdf.set_auto_page_break(auto=True, margin=15)
    family = unicode_font(pdf)
    pdf.add_page()
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(0, 8, font_text(family, f"Do not post: {listing.title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    where = v.DESTINATION_LABELS[listing.destination]
    pdf.multi_cell(
        0,
        5,
        font_text(
            family,
            (
                f"People whose image may not go on {where}: no release or consent for it, or a refusal on "
                f"record. {len(listing.listed)} of {covered(listing)}. Printed on {listing.printed_on:%d %B %Y}; "
                "forms entered after this date may change it: check the registry before posting."
            ),
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    photos = _thumbnails(session, [s.person_id for s in listing.listed if s.has_thumbnail])
    for part, heading in ((listing.refusals, REFUSED_HEADING), (listing.without_release, NO_RELEASE_HEADING)):
        if part:
            _part(pdf, family, heading, part, photos)
    if not listing.listed:
        pdf.set_font(family, "B", 12)
        pdf.cell(0, 8, font_text(family, f"Everyone here has a release or consent for {where}."))
    return bytes(pdf.output())


REFUSED_HEADING = "Refused: never post these people"
NO_RELEASE_HEADING = "No release or consent for this"


def _part(pdf: FPDF, family: str, heading: str, people: tuple[ListedPerson, ...], photos: dict[int, bytes]) -> None:
    if pdf.get_y() + 10 + PHOTO_MM > pdf.h - 15:
        pdf.add_page()
    pdf.set_font(family, "B", 13)
    pdf.cell(0, 8, font_text(family, f"{heading} ({len(people)})"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    for student in people:
        if pdf.get_y() + PHOTO_MM + 4 > pdf.h - 15:
            pdf.add_page()
        top = pdf.get_y()
        if student.person_id in photos:
            pdf.image(BytesIO(photos[student.person_id]), x=pdf.l_margin, y=top, w=PHOTO_MM, h=PHOTO_MM)
        else:
            pdf.rect(pdf.l_margin, top, PHOTO_MM, PHOTO_MM)
        pdf.set_xy(pdf.l_margin + PHOTO_MM + 4, top)
        pdf.set_font(family, "B", 11)
        pdf.cell(
            0, 6, font_text(family, f"{student.name}{who(student)} - {label(student)}"), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_x(pdf.l_margin + PHOTO_MM + 4)
        pdf.set_font(family, "", 9)
        pdf.multi_cell(0, 4.5, font_text(family, student.words), new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), top + PHOTO_MM) + 3)
    pdf.ln(2)


KIND_WORDS = {"employee": "co-worker", "community_member": "parent or volunteer"}


def who(person: ListedPerson) -> str:
    """What the person is, beside their name: a student's grade, or that they are a co-worker or a parent."""
    if person.kind in KIND_WORDS:
        return f" ({KIND_WORDS[person.kind]})"
    return f" (grade {person.grade})" if person.grade else ""


def label(person: ListedPerson) -> str:
    if person.refused:
        return "REFUSED"
    return "NO RELEASE" if person.kind == "student" else "NO CONSENT"


def covered(listing: ClassList) -> str:
    students = f"{listing.students} student{'' if listing.students == 1 else 's'}"
    if not listing.others:
        return students
    return f"{students} and {listing.others} adult{'' if listing.others == 1 else 's'} of the group"


def unicode_font(pdf: FPDF) -> str:
    if all(f.exists() for f in FONT_FILES):
        pdf.add_font("DejaVu", "", str(FONT_FILES[0]))
        pdf.add_font("DejaVu", "B", str(FONT_FILES[1]))
        return "DejaVu"
    return "Helvetica"


def font_text(family: str, text: str) -> str:
    return text if family == "DejaVu" else text.encode("latin-1", "replace").decode("latin-1")


def _thumbnails(session: Session, person_ids: list[int]) -> dict[int, bytes]:
    if not person_ids:
        return {}
    rows = session.exec(
        select(FaceTemplate.person_id, FaceTemplate.thumbnail)
        .where(col(FaceTemplate.person_id).in_(person_ids), col(FaceTemplate.thumbnail).is_not(None))
        .order_by(col(FaceTemplate.id))
    ).all()
    return {person_id: bytes(thumb) for person_id, thumb in rows if thumb is not None}  # the newest wins
