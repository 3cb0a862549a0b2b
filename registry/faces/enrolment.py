"""Enrolling reference faces of a person, with their biometric consent, and removing them.

The service reads a reference photo's faces in its worker processes (``analyse`` is the pool's), with no
transaction open meanwhile (``release`` ends it: on SQLite it holds the write lock). The consent is
checked before the photo is read and again before the face is saved.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, col, select

from media.analysis import AnalysisSettings, PhotoAnalysis, analyse_photo
from media.faces import ENGINE, Box
from registry.clearances.facts import biometric_consent_in_force
from registry.core.errors import Forbidden, Invalid, NotFound
from registry.core.settings import Settings
from registry.faces.analysis_pool import analysis_settings
from registry.faces.recognition import check_recognition_allows_enrolment
from registry.faces.templates import bump_templates_version, encoding_to_bytes
from registry.models.accounts import User
from registry.models.base import id_of, utcnow
from registry.models.faces import FaceTemplate
from registry.models.people import Person
from registry.policy.ledger import District

Analyse = Callable[[bytes, AnalysisSettings], PhotoAnalysis]


def enrolment_settings(settings: Settings) -> AnalysisSettings:
    """A reference photo's analysis keeps a small crop of each face, to show and to keep with the template."""
    return analysis_settings(settings, face_thumbnails=True)


def preview_faces(
    session: Session,
    *,
    person: Person,
    photo: bytes,
    settings: Settings,
    district: District,
    analyse: Analyse = analyse_photo,
    release: Callable[[], None] | None = None,
) -> PhotoAnalysis:
    """The faces found in a reference photo, left to right, before anything is saved: only for a person
    whose faces may be enrolled (no face of anyone else is read)."""
    check_recognition_allows_enrolment(settings, person)
    check_enrolable(session, person, district=district)
    if release is not None:
        release()
    return analyse(photo, enrolment_settings(settings))


def check_enrolable(session: Session, person: Person, *, district: District) -> None:
    """Before any face of the person is read: active, with a biometric consent in force."""
    if person.status != "active":
        raise Invalid(f"{person.name} has departed: no new faces are enrolled for them.")
    if biometric_consent_in_force(session, person, utcnow(), district=district) is None:
        who = "a parent or guardian" if person.kind == "student" else person.name
        raise Forbidden(
            f"{person.name} has no biometric consent in force: record the form signed by {who} before enrolling a face."
        )


def enrol_face(
    session: Session,
    *,
    person: Person,
    photo: bytes,
    face_index: int | None,
    created_by: User,
    settings: Settings,
    district: District,
    analyse: Analyse = analyse_photo,
    release: Callable[[], None] | None = None,
) -> FaceTemplate:
    check_recognition_allows_enrolment(settings, person)
    check_enrolable(session, person, district=district)
    if release is not None:
        release()  # no transaction is held while the faces are read
    analysis = analyse(photo, enrolment_settings(settings))
    if release is not None:
        session.refresh(person)
        check_enrolable(session, person, district=district)  # the consent may have been revoked meanwhile
    return enrol_analysed(
        session, person=person, analysis=analysis, face_index=face_index, created_by=created_by, settings=settings
    )


def enrol_analysed(
    session: Session,
    *,
    person: Person,
    analysis: PhotoAnalysis,
    face_index: int | None,
    created_by: User,
    settings: Settings,
) -> FaceTemplate:
    """Saves one face of an analysed reference photo (made with face_thumbnails); call check_enrolable first."""
    check_recognition_allows_enrolment(settings, person)
    faces = analysis.faces
    if not faces:
        raise Invalid("No face was found in this photo. Use a clear, front-facing photo of one person.")
    if face_index is None:
        if len(faces) > 1:
            raise Invalid(
                f"This photo has {len(faces)} faces. Use a photo of {person.name} alone, or choose "
                f"which face (face_index 0 to {len(faces) - 1}, counted from the left)."
            )
        face_index = 0
    if not 0 <= face_index < len(faces):
        raise Invalid(f"face_index must be between 0 and {len(faces) - 1}: the photo has {len(faces)} faces.")
    face = faces[face_index]
    if face.box.size < settings.min_face_px:
        raise Invalid(
            f"The face is only {face.box.size} pixels across; a reference photo needs at least "
            f"{settings.min_face_px}. Use a closer or larger photo."
        )
    template = FaceTemplate(
        person_id=id_of(person),
        encoding=encoding_to_bytes(face.encoding),
        model=ENGINE,
        box_top=face.box.top,
        box_right=face.box.right,
        box_bottom=face.box.bottom,
        box_left=face.box.left,
        source_width=analysis.width,
        source_height=analysis.height,
        thumbnail=analysis.face_thumbnails[face_index] if analysis.face_thumbnails else None,
        created_by_id=id_of(created_by),
    )
    session.add(template)
    bump_templates_version(session)
    session.flush()
    return template


def list_templates(session: Session, person_id: int) -> list[FaceTemplate]:
    return list(
        session.exec(select(FaceTemplate).where(FaceTemplate.person_id == person_id).order_by(col(FaceTemplate.id)))
    )


def get_template(session: Session, *, person_id: int, template_id: int) -> FaceTemplate:
    template = session.get(FaceTemplate, template_id)
    if template is None or template.person_id != person_id:
        raise NotFound(f"Person {person_id} has no enrolled face with id {template_id}.")
    return template


def delete_template(session: Session, *, person_id: int, template_id: int) -> None:
    session.delete(get_template(session, person_id=person_id, template_id=template_id))
    bump_templates_version(session)
    session.flush()


def delete_person_templates(session: Session, *, person_id: int) -> int:
    templates = list_templates(session, person_id)
    for template in templates:
        session.delete(template)
    if templates:
        bump_templates_version(session)
        session.flush()
    return len(templates)


def template_box(template: FaceTemplate) -> Box:
    return Box(top=template.box_top, right=template.box_right, bottom=template.box_bottom, left=template.box_left)
