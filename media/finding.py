"""The closer look: everyone in the photo, found, checked twice, and told apart honestly.

The first search (dlib's HOG on an upright 1600 px copy, ``media/faces.py``) finds upright, frontal
faces of about 80 px and more in a 12 MP photo: the faces it can encode and match. Before a photo is
allowed on the strength of *not* finding an unknown face, the closer look runs the detectors of
``PIPELINE`` in order, each a small module of ``media/detectors`` that says what it finds, and times
each one (``searches``: name and milliseconds, recorded with the decision):

1. YuNet at the four quarter turns: faces of every orientation, small, covered, or cut by the edge;
2. OpenCV's HOG people detector: people whose face cannot be seen at all.

Then every candidate is told apart, never merged into something else:

- **The same face twice is one face**, however the detectors drew their boxes: a face already found
  by the first search (either box's centre inside the other) is not found again.
- **A face to recognise**: the face turned upright (its quarter turn and the roll of its eyes), and
  found there again by dlib's HOG, a second, independent model. It is encoded from that upright crop
  and matched like any face.
- **A face too small, cut off or unclear to recognise** (*unrecognisable*): a face under
  ``min_face_px``, a face the photo's edge cuts, or one HOG cannot confirm upright (covered, turned
  aside, blurred). It is never encoded (half a face could match the wrong child) and never called an
  unknown person; it sends the photo to a reviewer with the reason in words. A candidate the first
  detector is not sure of (below ``SURE``) counts only if a second, independent network (MediaPipe's
  face-landmark model, ``media/detectors/presence.py``) says a face is there in the upright crop: a
  pattern on a shirt, a wall or a cup is not a reason to worry. Half a face at the edge is shown to it
  mirrored across the edge, as a whole face, and held to a lower bar (``CUT_PRESENT``).
- **A person with no face seen**: a body with no face found in or just above it.

A search that runs out of its time budget says so in ``unfinished``; what it found so far stands.
Numbers are measured in ``benchmarks/recall.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

import dlib
import numpy as np
from PIL import Image

from media.detectors import Candidate, Detector
from media.detectors.far_people import FarPeople
from media.detectors.people import People
from media.detectors.presence import face_presence
from media.detectors.yunet import UPRIGHT_SIDE, YuNet
from media.faces import Box, Face, encode_faces
from media.images import Reduced

DEFAULT_SIDE = 1600
DEFAULT_SECONDS = 60.0
DEFAULT_MAX_PIXELS = 24_000_000
DEFAULT_MIN_FACE_PX = 40
# A face the first detector scores at least this is a face without a second opinion (YuNet's scores on
# the faces of tests/data run 0.85-0.95, 0.68-0.86 with the upper half covered; on photos without people
# it never passed 0.68: benchmarks/recall.py).
SURE = 0.8
# Below SURE, the face-presence network must say a face is there (it scores 0.00 on every detection in
# photos without people, 0.5-1.0 on covered faces).
PRESENT = 0.5
# A face cut by the photo's edge is shown to the presence network mirrored across the edge; half faces
# then score 0.26-1.00, while a cut-off "face" on a wall beside a portrait scored 0.10.
CUT_PRESENT = 0.2
# A face with more than this share of its box outside the photo is cut off: it cannot be compared
# (a face at the edge whose box YuNet drew 11 % outside scored 0.43 for presence: benchmarks/recall.py).
CUT_OFF = 0.05
# Faces under this many pixels wide in the photo (YuNet's box), seen upright (a roll of at most ``UPRIGHT_ROLL``
# degrees), are faces on YuNet's score alone from ``TINY_SURE``: the presence network, shown a few pixels blown
# up, cannot judge them. The far-away faces of benchmarks/precision.py (16 px in a 12 MP photo, six people)
# scored 0.53-0.86 with YuNet on the 3600 px copy (5 of 6 from 0.7) and 0.0-0.74 with the presence network.
# Upright detections under 24 px on photos without people: none from 0.5 (what YuNet keeps) on the 40 photos
# at their own size, nor on 22 photos of consented people made 12 MP; on the 40 made 12 MP (blown up: smooth
# blobs), six from 0.5 in two photos, one from 0.7.
TINY_FACE_PX = 24
TINY_SURE = 0.7
UPRIGHT_ROLL = 60
# A detection this far from the orientation of a face HOG confirmed, touching it, is that face seen by a
# turned copy (echoes measured at 88-178°); neighbours in one tilted photo differ by up to 55° (YuNet's
# roll from the eyes is rough), and must both be kept.
ECHO_DEGREES = 70
# Under this presence score, and with YuNet seeing nothing there, a face HOG found is a pattern, not a face.
NO_FACE_PRESENCE = 0.05
# The upright crop HOG checks: this many face sizes wide, the face scaled to about HOG_FACE_PX.
CROP_FACES = 2.4
HOG_FACE_PX = 120
# The upright crop of a larger face is shrunk to this side before it is turned: the face about 250 px, twice
# what HOG is shown, and more than the face-presence network's input.
CROP_MAX_SIDE = 600
# YuNet draws a face's box tighter than dlib's HOG does (0.8-0.9 of its width on the faces of tests/data): a
# candidate this share of ``min_face_px`` or more is shown to HOG, and HOG's own size decides whether it is
# large enough to compare.
DRAWN_TIGHTER = 0.75


@dataclass(frozen=True)
class SearchLimits:
    side: int = DEFAULT_SIDE
    upright_side: int = UPRIGHT_SIDE  # the upright pass of a large photo searches a larger copy
    people_side: int = 640
    min_face_px: int = DEFAULT_MIN_FACE_PX
    seconds: float = DEFAULT_SECONDS
    max_pixels: int = DEFAULT_MAX_PIXELS
    encode: bool = True  # False (a district without face recognition): new faces come back with empty encodings


def pipeline(
    limits: SearchLimits, *, right_way_up: bool = False, upright_searched: bool = False
) -> tuple[Detector, ...]:
    """The detectors of the closer look, in the order they run. A new detector is one line here.
    ``right_way_up``: the first search found an upright face, so the photo is the right way up;
    ``upright_searched``: the first search was ``look_upright``, so only a larger upright copy adds anything."""
    return (
        YuNet(
            side=limits.side,
            upright_side=limits.upright_side,
            right_way_up=right_way_up,
            upright_searched=upright_searched,
        ),
        People(side=limits.people_side),
        FarPeople(),
    )


@dataclass(frozen=True)
class Unrecognisable:
    """A face or a person the service cannot compare with anyone, and why, in words."""

    box: Box
    why: str


TOO_SMALL = "a face too small to recognise"
CUT_BY_EDGE = "a face cut off by the photo's edge"
UNCLEAR = "a face turned away, covered or unclear"
NO_FACE = "a person whose face cannot be seen"


@dataclass(frozen=True, eq=False)
class CloserLook:
    faces: tuple[Face, ...]  # new faces to match, encoded upright; boxes in the photo's pixels
    unrecognisable: tuple[Unrecognisable, ...]  # faces and people that cannot be compared with anyone
    searches: tuple[str, ...]  # each detector that ran, with its milliseconds
    unfinished: str | None = None  # why the search stopped short, for a reviewer
    # every detection the search checked, decided or not: a later search's detection at the same place
    # competes with them, and the most confident of one place is the one that counts
    candidates: tuple[Candidate, ...] = ()


def look_upright(rgb: np.ndarray, *, limits: SearchLimits = SearchLimits()) -> CloserLook:  # noqa: B008
    """The first search: the upright faces of every size, from about 13 px in a copy up to
    ``limits.upright_side`` long (16 px in a 12 MP photo; ``YuNet.upright``), each checked upright by HOG and
    encoded from its upright crop, or told apart as unrecognisable (too small, cut off, unclear), as in the
    closer look."""
    started = time.perf_counter()
    detector = YuNet(side=limits.side, turns=(0,), upright_side=limits.upright_side)
    candidates = detector.upright(rgb)
    searches = [f"{detector.upright_passes(rgb)} {1000 * (time.perf_counter() - started):.0f} ms"]
    started = time.perf_counter()
    faces, unrecognisable = _tell_apart(rgb, candidates, known=(), min_face_px=limits.min_face_px, encode=limits.encode)
    searches.append(f"checked upright (dlib hog, face presence) {1000 * (time.perf_counter() - started):.0f} ms")
    return CloserLook(tuple(faces), tuple(unrecognisable), tuple(searches), candidates=tuple(candidates))


def look_closer(
    rgb: np.ndarray,
    *,
    known: tuple[Box, ...] = (),
    pending: tuple[Unrecognisable, ...] = (),
    upright_searched: bool = False,
    earlier: tuple[Candidate, ...] = (),
    limits: SearchLimits = SearchLimits(),  # noqa: B008
    reduced: Reduced | None = None,
    full: Callable[[], np.ndarray] | None = None,
) -> CloserLook:
    """Everyone in ``rgb`` the first search did not find (``known`` are the faces it found; ``pending`` what it
    found and could not compare, kept unless the closer look finds a face to compare there; ``upright_searched``:
    that first search was ``look_upright``, and ``earlier`` the detections it checked: the most confident
    detection of a place counts, and one of those was decided already).

    ``reduced`` instead of ``rgb`` (which is then ignored): the detectors search that reduced copy, and ``full``
    gives the photo's own pixels, decoded only when a new detection must be checked and encoded on them. An
    everyday photo whose closer look finds nobody new is never decoded whole again."""
    if reduced is not None:
        height, width, scale = reduced.height, reduced.width, reduced.scale
        searched, photo = reduced.rgb, full or (lambda: reduced.rgb)
    else:
        height, width, scale = rgb.shape[0], rgb.shape[1], 1.0
        searched, photo = rgb, lambda: rgb
    if width * height > limits.max_pixels:
        why = f"the photo has too many pixels for the closer look ({width * height / 1e6:.0f} MP; "
        why += f"the limit is {limits.max_pixels / 1e6:g} MP)"
        return CloserLook((), pending, (), unfinished=why)
    deadline = time.monotonic() + limits.seconds
    candidates: list[Candidate] = []
    searches: list[str] = []
    unfinished = None
    for detector in pipeline(limits, right_way_up=bool(known), upright_searched=upright_searched):
        if time.monotonic() > deadline:
            unfinished = f"the closer look did not finish within {limits.seconds:g} s ({detector.name} not run)"
            searches.append(f"{detector.name} (not run)")
            break
        started = time.perf_counter()
        candidates.extend(_scaled(c, scale, width=width, height=height) for c in detector.run(searched))
        searches.append(f"{detector.name} {1000 * (time.perf_counter() - started):.0f} ms")
    started = time.perf_counter()
    faces, unrecognisable = _tell_apart(
        photo,
        candidates,
        known=known,
        pending=pending,
        earlier=earlier,
        min_face_px=limits.min_face_px,
        encode=limits.encode,
    )
    searches.append(f"checked upright (dlib hog, face presence) {1000 * (time.perf_counter() - started):.0f} ms")
    return CloserLook(tuple(faces), tuple(unrecognisable), tuple(searches), unfinished)


def _scaled(candidate: Candidate, scale: float, *, width: int, height: int) -> Candidate:
    """A detection on a reduced copy, in the photo's own pixels."""
    if scale == 1.0:
        return candidate
    box = candidate.box
    return replace(
        candidate,
        box=Box(
            top=max(0, round(box.top * scale)),
            right=min(width, round(box.right * scale)),
            bottom=min(height, round(box.bottom * scale)),
            left=max(0, round(box.left * scale)),
        ),
        size=candidate.size * scale,
    )


def _tell_apart(
    pixels: np.ndarray | Callable[[], np.ndarray],
    candidates: list[Candidate],
    *,
    known: tuple[Box, ...],
    pending: tuple[Unrecognisable, ...] = (),
    earlier: tuple[Candidate, ...] = (),
    min_face_px: int,
    encode: bool = True,
) -> tuple[list[Face], list[Unrecognisable]]:
    """First the faces HOG confirms upright (their orientation is then sure), then the rest. ``earlier``: the
    detections an earlier search decided; where one of them is the most confident of its place, the place is
    decided already (a weaker detection there, at another turn, is that same thing seen worse)."""
    found: list[tuple[Box, float]] = [(box, 0.0) for box in known]  # the first search's faces are upright
    decided = {id(c) for c in earlier}
    # a face the first search found, seen again (at another orientation: an echo) is that face; told by
    # its place alone, before anything is turned upright and checked
    every = [c for c in (*candidates, *earlier) if c.kind == "face"]
    new = [
        c
        for c in sorted(one_per_face(every), key=lambda c: -c.score)
        if id(c) not in decided and not any(_same_face(c, box, 0.0) for box in known)
    ]
    by_score = sorted(every, key=lambda c: -c.score)

    def comparable(c: Candidate) -> bool:
        return not _cut_off(c) and c.face_px >= DRAWN_TIGHTER * min_face_px

    faces: list[Face] = []
    rest: list[Candidate] = []
    # the photo's pixels, only when there is something new to check on them
    rgb = (pixels() if callable(pixels) else pixels) if new else np.zeros((0, 0, 3), dtype=np.uint8)
    crops = {id(c): upright_crop(rgb, c) for c in new}  # each candidate turned upright once, for both checks
    small: set[int] = set()  # candidates HOG measured under ``min_face_px``
    for candidate in new:
        checkable = comparable(candidate)
        face = _encoded_upright(crops[id(candidate)], candidate, rgb.shape, encode=encode) if checkable else None
        upright = candidate
        for turn in (180, 90, 270) if checkable and face is None else ():
            # a network that sees a face upside down or sideways reads its eyes wrongly: tried a quarter turn
            # and half a turn away
            turned = replace(candidate, degrees=(candidate.degrees + turn) % 360)
            face = _encoded_upright(upright_crop(rgb, turned), turned, rgb.shape, encode=encode)
            if face is not None:
                upright = turned
                break
        # the other detections of its place, most confident first: each draws its own box, and HOG may find
        # the face on the crop around one where it did not on the crop around another
        others = (o for o in by_score if o is not candidate and o.box.same_place(candidate.box) and comparable(o))
        for other in others if checkable and face is None else ():
            face = _encoded_upright(upright_crop(rgb, other), other, rgb.shape, encode=encode)
            if face is not None:
                upright = other
                break
        if face is not None and face.box.size < min_face_px:
            face = None
            small.add(id(candidate))
        if face is not None and not any(_same_face(upright, box, degrees) for box, degrees in found):
            faces.append(face)
            found.append((upright.box, upright.degrees))
        elif face is None:
            rest.append(candidate)
    # what an earlier search could not compare stays, unless a face to compare was found there now
    unrecognisable = [u for u in pending if not any(face.box.same_place(u.box) for face in faces)]
    for candidate in rest:
        # an echo is told only against faces whose orientation HOG confirmed: two faces that cannot be
        # checked are both kept unless they are plainly one (a child's face must never vanish into another)
        if any(_same_face(candidate, box, degrees) for box, degrees in found) or any(
            candidate.box.same_place(u.box) for u in unrecognisable
        ):
            continue
        why = _why_unrecognisable(
            crops[id(candidate)], candidate, small=id(candidate) in small or candidate.face_px < min_face_px
        )
        if why is not None:
            unrecognisable.append(Unrecognisable(candidate.box, why))
    seen = [box for box, _ in found] + [u.box for u in unrecognisable]
    for body in one_per_face([c for c in candidates if c.kind == "person"]):
        if not any(_belongs_to(body.box, face) for face in seen):
            unrecognisable.append(Unrecognisable(body.box, NO_FACE))
    order = lambda box: (box.left, box.top)  # noqa: E731
    return sorted(faces, key=lambda f: order(f.box)), sorted(unrecognisable, key=lambda u: order(u.box))


def without_patterns(rgb: np.ndarray, faces: list[Face]) -> tuple[list[Face], int]:
    """The first search's faces less those two independent networks both say are no face: the face-presence
    network scores it under ``NO_FACE_PRESENCE`` and YuNet sees no face there. HOG alone takes a flower's
    centre or two buttons for a face now and then (benchmarks/precision.py); every real face of tests/data
    scored 0.18 or more for presence, and YuNet saw each one. Returns the faces kept and how many were not."""
    kept = []
    for face in faces:
        candidate = Candidate(box=face.box, detector="hog", score=0.0)
        crop = upright_crop(rgb, candidate)
        if face_presence(crop, faces_wide=CROP_FACES) >= NO_FACE_PRESENCE or YuNet(turns=(0,)).run(crop):
            kept.append(face)
    return kept, len(faces) - len(kept)


def _same_face(candidate: Candidate, box: Box, degrees: float) -> bool:
    """One face seen twice: either box's centre inside the other; or a detection at another orientation
    (``ECHO_DEGREES`` or more apart) touching a face found or the head around it (the face's box grown by a quarter):
    a detector turned sideways still fires on a head it sees side-on, beside where the face really is
    (measured on tests/data/faces: scores up to 0.84)."""
    if candidate.box.same_place(box):
        return True
    turn = abs(candidate.degrees - degrees) % 360
    head = Box(
        top=box.top - box.height // 4,
        right=box.right + box.width // 4,
        bottom=box.bottom + box.height // 4,
        left=box.left - box.width // 4,
    )
    return min(turn, 360 - turn) >= ECHO_DEGREES and _overlap(candidate.box, head) > 0


def _cut_off(candidate: Candidate) -> bool:
    return candidate.outside > CUT_OFF


def _encoded_upright(
    crop: np.ndarray, candidate: Candidate, shape: tuple[int, ...], *, encode: bool = True
) -> Face | None:
    """The face in its upright ``crop``, found there again by dlib's HOG, and encoded (unless ``encode`` is
    False: an empty encoding); None if HOG does not see it. Its box is the candidate's, at the size HOG
    measured (the size every face the first search finds has)."""
    scaled = _scaled_for_hog(crop, candidate.face_px * crop.shape[0] / crop_side(candidate))
    box = _hog_face_at_centre(scaled)
    if box is None:
        return None
    size = max(1, round(box.size * crop_side(candidate) / scaled.shape[0]))
    centred = _centred(candidate.box, size, width=shape[1], height=shape[0])
    if not encode:
        return Face(box=centred, encoding=np.empty(0))
    back = crop.shape[0] / scaled.shape[0]
    if back <= 1:
        return Face(box=centred, encoding=encode_faces(scaled, [box])[0].encoding)
    # the crop shows the face larger than HOG was shown it: encoded from there, with every pixel it has
    side = crop.shape[0]
    larger = Box(
        top=max(0, round(box.top * back)),
        right=min(side, round(box.right * back)),
        bottom=min(side, round(box.bottom * back)),
        left=max(0, round(box.left * back)),
    )
    return Face(box=centred, encoding=encode_faces(np.ascontiguousarray(crop), [larger])[0].encoding)


def _centred(box: Box, size: int, *, width: int, height: int) -> Box:
    """A ``size`` square on ``box``'s centre, inside the photo (a detector's box of a turned face is larger
    than the face, and YuNet's are tighter than HOG's)."""
    cx, cy, half = (box.left + box.right) // 2, (box.top + box.bottom) // 2, size // 2
    return Box(
        top=max(0, cy - half),
        right=min(width, cx + size - half),
        bottom=min(height, cy + size - half),
        left=max(0, cx - half),
    )


def _why_unrecognisable(crop: np.ndarray, candidate: Candidate, *, small: bool) -> str | None:
    """Why this face cannot be compared with anyone; None when a second model says it is no face."""
    if _cut_off(candidate):
        return CUT_BY_EDGE if _confirmed(candidate, crop, bar=CUT_PRESENT) else None
    if not _confirmed(candidate, crop):
        return None
    return TOO_SMALL if small else UNCLEAR


def _overlap(a: Box, b: Box) -> int:
    return max(0, min(a.right, b.right) - max(a.left, b.left)) * max(0, min(a.bottom, b.bottom) - max(a.top, b.top))


def _confirmed(candidate: Candidate, crop: np.ndarray, *, bar: float = PRESENT) -> bool:
    """Sure enough on its own, or a second, independent network says a face is in the upright crop. A face
    seen upright under ``TINY_FACE_PX`` is one by YuNet's word alone: the presence network, shown it blown up
    many times, cannot judge it."""
    if candidate.score >= SURE or (
        candidate.face_px < TINY_FACE_PX and candidate.score >= TINY_SURE and _upright(candidate)
    ):
        return True
    return face_presence(crop, faces_wide=CROP_FACES) >= bar


def _upright(candidate: Candidate) -> bool:
    return abs((candidate.degrees + 180) % 360 - 180) <= UPRIGHT_ROLL


def upright_crop(rgb: np.ndarray, candidate: Candidate) -> np.ndarray:
    """A square around the face, ``CROP_FACES`` faces wide, turned so that the face is upright. Past the
    photo's edge the photo is mirrored: half a face cut by the edge is shown with its mirror image as a
    whole face, which is what the checking networks were made for (a wall stays a wall)."""
    height, width = rgb.shape[:2]
    side = crop_side(candidate)
    cx, cy = (candidate.box.left + candidate.box.right) / 2, (candidate.box.top + candidate.box.bottom) / 2
    left, top = round(cx - side / 2), round(cy - side / 2)
    inside = rgb[max(0, top) : min(height, top + side), max(0, left) : min(width, left + side)]
    if inside.size == 0:
        return np.zeros((side, side, 3), dtype=np.uint8)
    pad_top, pad_left = max(0, -top), max(0, -left)
    pad_bottom, pad_right = side - pad_top - inside.shape[0], side - pad_left - inside.shape[1]
    square = np.pad(inside, ((pad_top, pad_bottom), (pad_left, pad_right), (0, 0)), mode="symmetric")
    image = Image.fromarray(np.ascontiguousarray(square))
    if side > CROP_MAX_SIDE:  # a large face is checked at the size the checking networks use, not turned whole
        image = image.resize((CROP_MAX_SIDE, CROP_MAX_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    if candidate.degrees % 360 == 0:
        return np.asarray(image)
    return np.asarray(image.rotate(candidate.degrees, Image.Resampling.BILINEAR))


def crop_side(candidate: Candidate) -> int:
    """The side of ``upright_crop``'s square, in the photo's pixels (the crop itself may be smaller)."""
    return round(2 * max(8.0, CROP_FACES * max(candidate.face_px, candidate.box.size) / 2))


def _scaled_for_hog(crop: np.ndarray, face_px: float) -> np.ndarray:
    scale = HOG_FACE_PX / max(1, face_px)
    side = max(1, round(crop.shape[0] * scale))
    return np.asarray(Image.fromarray(crop).resize((side, side), Image.Resampling.BILINEAR))


def _hog_face_at_centre(crop: np.ndarray) -> Box | None:
    rects, scores, _ = _hog().run(crop, 0, 0.0)
    side = crop.shape[0]
    for rect, _score in sorted(zip(rects, scores, strict=True), key=lambda r: -r[1]):
        cx, cy = (rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2
        if abs(cx - side / 2) <= side / CROP_FACES / 2 and abs(cy - side / 2) <= side / CROP_FACES / 2:
            return Box(
                top=max(0, rect.top()),
                right=min(side, rect.right()),
                bottom=min(side, rect.bottom()),
                left=max(0, rect.left()),
            )
    return None


@cache
def _hog() -> dlib.fhog_object_detector:
    return dlib.get_frontal_face_detector()


def one_per_face(candidates: list[Candidate]) -> list[Candidate]:
    """The most confident of the detections of each face (either box's centre inside the other)."""
    kept: list[Candidate] = []
    for candidate in sorted(candidates, key=lambda c: -c.score):
        if not any(candidate.box.same_place(k.box) for k in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda c: (c.box.left, c.box.top))


def _belongs_to(body: Box, face: Box) -> bool:
    """A body whose upper part holds a face found, or that lies just under one (shoulders beside a
    portrait's face): that face's body. Measured on the portraits of tests/data/faces (benchmarks/people.py)."""
    head_room = Box(top=body.top - body.height // 2, right=body.right, bottom=body.bottom, left=body.left)
    if face.centre_in(head_room):
        return True
    cy, cx = (body.top + body.bottom) / 2, (body.left + body.right) / 2
    reach = 1.5 * face.width
    return cy >= face.top and face.left - reach <= cx <= face.right + reach
