"""A blurred copy keeps the names people gave its photo's faces.

Where the district does not recognise faces, a face of the original photo was named by the uploader or a
reviewer (registry/clearances/naming.py). Its blurred copy is cleared afresh, and its faces would wait to be
named again; the faces the copy shares with the original (at the same place, not blurred) carry the
original's naming over, as an act of the same person, saying where it comes from.
"""

from __future__ import annotations

from sqlmodel import Session

from media.faces import Box
from registry.clearances.service import decide_again, faces_of, reviewed, reviews_of, waits_for_name
from registry.models.base import id_of, utcnow
from registry.models.clearances import Clearance, ClearanceFace, ClearanceReview
from registry.policy.ledger import District

NAMING_ACTS = ("person", "nobody", "named", "named_nobody")


def carry_names_over(session: Session, *, original: Clearance, copy: Clearance, district: District) -> Clearance:
    """The copy's faces that wait for a name take the name given to the same face of the original."""
    original_acts = reviews_of(session, id_of(original))
    names = {}
    for face in faces_of(session, id_of(original)):
        acts = [a for a in original_acts if a.face_index == face.index and a.resolution in NAMING_ACTS]
        if acts:
            names[face.index] = (_box(face), acts[-1])
    copy_acts = reviews_of(session, id_of(copy))
    before, at = copy.decision, utcnow()
    carried = []
    for face in faces_of(session, id_of(copy)):
        if not waits_for_name(face, reviewed(face, [a for a in copy_acts if a.face_index == face.index])):
            continue
        same = next((act for box, act in names.values() if box.same_place(_box(face))), None)
        if same is None:
            continue
        carried.append(
            ClearanceReview(
                clearance_id=id_of(copy),
                face_index=face.index,
                resolution=same.resolution,
                person_id=same.person_id,
                note=f"as named in photo {original.id}: {same.note or ''}"[:1000],
                reviewer_id=same.reviewer_id,
                decision_before=before,
                decision_after=before,
                reviewed_at=at,
            )
        )
    if not carried:
        return copy
    session.add_all(carried)
    session.flush()
    decision = decide_again(session, clearance=copy, district=district)
    for act in carried:
        act.decision_after = decision.decision
    session.add_all(carried)
    session.flush()
    return copy


def _box(face: ClearanceFace) -> Box:
    return Box(top=face.box_top, right=face.box_right, bottom=face.box_bottom, left=face.box_left)
