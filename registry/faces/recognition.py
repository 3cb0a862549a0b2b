"""Whether this district recognises faces, and whom: `REGISTRY_FACE_RECOGNITION`.

- ``on``: every enrolled face is recognised (the registry as it always was).
- ``off`` (New York's schools, State Technology Law §106-b): faces are found and never encoded or
  compared; nobody's face may be enrolled; people name every face (registry/clearances/naming.py).
- ``staff_only``: only employees with a written biometric consent are recognised and enrolled; every
  other face is named by people.

A face no one recognised because of the mode is recorded with a reason that starts with `TO_BE_NAMED`:
the photo waits for it to be named and is never allowed before (registry/policy/engine.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from media.faces import Face
from media.matching import UNKNOWN, UNRECOGNISABLE, Match, TemplateIndex, match_faces
from registry.core.errors import Forbidden
from registry.core.settings import Settings
from registry.faces.templates import TemplateCache, encoding_from_bytes
from registry.models.faces import FaceTemplate
from registry.models.people import Person

TO_BE_NAMED = "to be named"
RECOGNISED_KINDS: dict[str, frozenset[str] | None] = {
    "on": None,  # everyone enrolled
    "staff_only": frozenset({"employee"}),
    "off": frozenset(),
}
WHY_TO_BE_NAMED = {
    "off": f"{TO_BE_NAMED}: this district does not use face recognition",
    "staff_only": f"{TO_BE_NAMED}: this district recognises only employees who consented in writing",
}


def recognises(settings: Settings, person_kind: str) -> bool:
    """Whether a person of this kind may be recognised (and so enrolled) in this district."""
    kinds = RECOGNISED_KINDS[settings.face_recognition]
    return kinds is None or person_kind in kinds


def enrolment_refusal(settings: Settings, person: Person) -> str | None:
    """Why this person's face may not be enrolled in this district (None: it may, with a consent)."""
    if recognises(settings, person.kind):
        return None
    if settings.face_recognition == "off":
        return (
            "This district does not use face recognition: no face is enrolled. "
            "People name the faces in each photo instead."
        )
    return (
        f"This district recognises only employees who consented in writing: {person.name}'s face is not "
        "enrolled. People name their face in each photo instead."
    )


def check_recognition_allows_enrolment(settings: Settings, person: Person) -> None:
    """Before any face of the person is read for enrolment, and again before a template is written."""
    if (refusal := enrolment_refusal(settings, person)) is not None:
        raise Forbidden(refusal)


def match_in_mode(
    session: Session, faces: Sequence[Face], *, settings: Settings, templates: TemplateCache, **narrowed: Any
) -> list[Match]:
    """One match per face, as the district's mode allows: compared with the templates it may use, or
    not compared at all (``off``: the encodings are not even looked at). ``narrowed`` goes to
    ``match_faces`` as given (e.g. who could be in the photo)."""
    mode = settings.face_recognition
    if mode == "off":
        return [Match(UNKNOWN, None, None, None, (), WHY_TO_BE_NAMED["off"]) for _ in faces]
    index = templates.index(session) if mode == "on" else staff_index(session)
    matches = match_faces(
        faces,
        index,
        match_threshold=settings.match_threshold,
        review_threshold=settings.review_threshold,
        min_margin=settings.min_margin,
        min_face_px=settings.min_face_px,
        recognisable_px=settings.recognisable_face_px,
        **narrowed,
    )
    if mode == "on":
        return matches
    return [
        Match(m.band, None, None, None, (), WHY_TO_BE_NAMED[mode]) if m.band in (UNKNOWN, UNRECOGNISABLE) else m
        for m in matches
    ]


def staff_index(session: Session) -> TemplateIndex:
    """The templates of employees only (few: read each time rather than cached)."""
    rows = session.exec(
        select(FaceTemplate.person_id, FaceTemplate.encoding)
        .join(Person, col(Person.id) == col(FaceTemplate.person_id))
        .where(Person.kind == "employee")
    ).all()
    encodings = np.stack([encoding_from_bytes(e) for _, e in rows]) if rows else np.empty((0, 128))
    return TemplateIndex([p for p, _ in rows], encodings)


def must_look_closer(settings: Settings, *, searched_harder: bool) -> bool:
    """Where people name the faces, a face the first search missed would be named by nobody and decided by
    nothing: every photo gets the closer look before it is recorded."""
    return settings.face_recognition != "on" and not searched_harder
