"""Where a district uses no face recognition, faces are found and never encoded, by either search."""

from __future__ import annotations

from media.analysis import AnalysisSettings, analyse_photo
from media.finding import SearchLimits
from tests.paths import FACES

PHOTO = (FACES / "groups" / "kit-rose.jpg").read_bytes()
HARDER = SearchLimits(seconds=600)


def test_the_first_search_finds_the_faces_without_encoding_them() -> None:
    encoded = analyse_photo(PHOTO)
    found = analyse_photo(PHOTO, AnalysisSettings(encode=False))
    assert [f.box for f in found.faces] == [f.box for f in encoded.faces] and len(found.faces) == 2
    assert {f.encoding.shape for f in encoded.faces} == {(128,)}
    assert {f.encoding.size for f in found.faces} == {0}


def test_the_closer_look_finds_faces_without_encoding_them() -> None:
    """Given no first faces (and no upright first search), the closer look finds both faces itself: encoded
    only when asked to."""
    for encode, size in ((True, 128), (False, 0)):
        how = AnalysisSettings(
            encode=encode,
            search_harder=True,
            harder=HARDER,
            first_faces=(),
            first_searches=("none",),
            first_search="hog",
        )
        faces = analyse_photo(PHOTO, how).faces
        assert len(faces) == 2 and {f.encoding.size for f in faces} == {size}
