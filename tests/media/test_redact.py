from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageCms

from media.faces import Box, Face, encode_faces, find_faces
from media.images import Photo, decode_photo
from media.matching import TemplateIndex, match_faces
from media.redact import face_thumbnail_jpeg, redact
from tests.media.conftest import BIDEN, OBAMA, jpeg_bytes, read_photo

FacesOf = Callable[[str], tuple[Photo, list[Face]]]


def inside(face: Face, area: Box) -> bool:
    cx, cy = (face.box.left + face.box.right) / 2, (face.box.top + face.box.bottom) / 2
    return area.left <= cx < area.right and area.top <= cy < area.bottom


def with_exif_gps_and_icc(file: str) -> bytes:
    image = Image.open(io.BytesIO(read_photo(file)))
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    exif[0x0132] = "2024:05:17 10:31:07"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (41.0, 44.0, 50.0)
    gps[3], gps[4] = "W", (73.0, 11.0, 20.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return jpeg_bytes(image, exif=exif.tobytes(), icc_profile=icc, comment=b"room 12B")


def test_redacted_face_is_beyond_recognition_and_the_others_still_match(
    faces_of: FacesOf, obama_biden_index: TemplateIndex
) -> None:
    photo, faces = faces_of("groups/biden-obama.jpg")
    obama, biden = faces
    assert [m.person_id for m in match_faces(faces, obama_biden_index)] == [OBAMA, BIDEN]

    out_photo, out_faces = find_faces(redact(photo, [obama.box]))
    hidden = obama.box.padded(0.25, width=photo.width, height=photo.height)
    in_blur = [f for f in out_faces if inside(f, hidden)]
    outside = [f for f in out_faces if not inside(f, hidden)]
    obama_template = obama_biden_index.person_distances(obama.encoding)[0][0]
    assert obama_template < 0.5  # the unredacted face does match the enrolled Obama
    for face in in_blur:
        assert obama_biden_index.person_distances(face.encoding)[0][0] > 0.6
    assert [m.band for m in match_faces(in_blur, obama_biden_index)] == ["unknown"] * len(in_blur)
    assert [(m.band, m.person_id) for m in match_faces(outside, obama_biden_index)] == [("identified", BIDEN)]
    assert (out_photo.width, out_photo.height) == (photo.width, photo.height)
    # Even told exactly where the face was, the encoder no longer sees Obama in it.
    [forced] = encode_faces(out_photo.rgb, [obama.box])
    assert obama_biden_index.person_distances(forced.encoding)[0][0] > 0.6


def test_redaction_outside_the_boxes_leaves_the_picture_alone(faces_of: FacesOf) -> None:
    photo, [_, biden] = faces_of("groups/biden-obama.jpg")
    out = decode_photo(redact(photo, [biden.box])).rgb.astype(int)
    hidden = biden.box.padded(0.25, width=photo.width, height=photo.height)
    before = photo.rgb.astype(int)
    face_area = (slice(hidden.top, hidden.bottom), slice(hidden.left, hidden.right))
    assert np.abs(out[face_area] - before[face_area]).mean() > 10
    untouched = np.ones(before.shape[:2], dtype=bool)
    untouched[face_area] = False
    assert np.abs(out[untouched] - before[untouched]).mean() < 3  # JPEG noise only


def test_redacted_copy_carries_no_metadata() -> None:
    data = with_exif_gps_and_icc("people/kit_harington/kit-2.jpg")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the input has GPS
    photo, faces = find_faces(data)
    assert photo.taken_at is not None
    for output in (redact(photo, [f.box for f in faces]), face_thumbnail_jpeg(photo, faces[0].box)):
        image = Image.open(io.BytesIO(output))
        assert image.format == "JPEG"
        assert not image.getexif()
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
        assert b"room 12B" not in output and b"Camera Maker" not in output


def test_face_thumbnail_is_small_and_shows_the_face(faces_of: FacesOf) -> None:
    photo, [face] = faces_of("people/obama/obama-portrait.jpg")
    thumb = face_thumbnail_jpeg(photo, face.box, max_side=160)
    assert max(Image.open(io.BytesIO(thumb)).size) == 160
    assert len(find_faces(thumb, upsample=2)[1]) == 1
