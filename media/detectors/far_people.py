"""People far away, face or no face: OpenCV's HOG people detector on a 1280 px copy, held to a higher score.

The same detector and model as ``media/detectors/people.py`` (Dalal and Triggs' 64 x 128 people model that
ships in ``opencv-python-headless``; nothing is downloaded), searched in a copy twice as large: a person
needs about 128 px in that copy, a tenth of a 12 MP photo's height, where the 640 px copy needs a fifth.
Chosen by measurement (``benchmarks/backs.py``): of the detectors that ship with their model it finds the
most people whose faces cannot be seen (26 of 43, people walking towards and away from the camera,
down to about a tenth of the photo's height; the 640 px copy found 3) and sent none of the 40 photos
without people to a reviewer. A larger copy sees more patterns that look like a person in lines and
water (at the people detector's score of 0.5 it flagged a lake at dawn), so it asks for a score of 1.0.
People sitting, or seen from behind in a crowd (the people at the bar of groups-wild/2008_002079.jpg),
are still not found by it: no detector measured finds them without sending many photos without people
to review.
"""

from __future__ import annotations

import cv2
import numpy as np

from media.detectors import Candidate, box_around
from media.detectors.people import DEFAULT_SIDE as PEOPLE_SIDE
from media.detectors.people import people_in

DEFAULT_SIDE = 1280
# The SVM's score a window needs in the 1280 px copy (benchmarks/backs.py): at 0.5 it found 33 of the 43
# people, but saw a "person" in 1 of the 40 photos without people (a lake at dawn) and in a second photo of
# consented people; at 0.75 and at 1.0 it found 26, in none of the 40; 1.0 keeps a margin. It still sees
# one figurine among the Elvis figures on a shop wall (groups-wild/2008_004176.jpg) as a person.
SCORE = 1.0


class FarPeople:
    finds = "people standing or walking, about a tenth of the photo's height or more, face or no face"

    def __init__(self, side: int = DEFAULT_SIDE) -> None:
        self.side = side
        self.name = f"people@{side} far (opencv hog)"

    def run(self, rgb: np.ndarray) -> list[Candidate]:
        height, width = rgb.shape[:2]
        if max(height, width) <= PEOPLE_SIDE:
            # the people detector searches such a photo whole; its people would be under 64 px tall here
            return []
        ratio = self.side / max(height, width)
        size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
        # scaled up as well as down: a small photo's far-off people are as small a share of it
        resample = cv2.INTER_AREA if ratio < 1 else cv2.INTER_LINEAR
        copy = cv2.resize(np.ascontiguousarray(rgb), size, interpolation=resample)
        rects, weights = people_in(copy, score=SCORE)
        scale = width / size[0]
        found = []
        for (x, y, w, h), weight in zip(rects, weights, strict=True):
            box, _ = box_around([(x * scale, y * scale), ((x + w) * scale, (y + h) * scale)], width, height)
            found.append(Candidate(box=box, detector="far people", score=float(weight), kind="person"))
        return found
