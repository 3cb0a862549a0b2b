"""Scanned consent forms are checked by their content before they are kept: an image must decode whole
within the pixel limit, and a PDF must be a whole PDF that can run nothing.

The PDF check is deliberately strict. A whole file has the header, a ``startxref`` pointing at a
cross-reference table (with its trailer) or stream, and ``%%EOF``. Nothing in it may name an action or
an attachment (``/JavaScript``, ``/OpenAction``, ``/Launch``, ``/EmbeddedFile`` ...), whether written
plainly, with ``#xx`` escapes, or inside a Flate-compressed stream; and every object the file lists,
those packed in compressed object streams included (whatever their filters and predictors), is read with
the pinned ``pypdf`` and checked the same way. Streams in encodings that cannot be read here are refused
rather than passed unread; scanners write Flate and the image codecs, which is all a scanned form needs.
An encrypted PDF is refused: it cannot be checked.
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from media.images import ImageRejected, check_image_decodes
from registry.core.errors import Invalid, TooLarge, UnsupportedMedia

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
MAGIC = {b"%PDF-": PDF, b"\xff\xd8\xff": JPEG, b"\x89PNG\r\n\x1a\n": PNG}
FORBIDDEN_NAMES = frozenset(
    {
        b"JavaScript",
        b"JS",
        b"OpenAction",
        b"AA",
        b"Launch",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"RichMedia",
        b"XFA",
        b"SubmitForm",
        b"ImportData",
        b"GoToE",
        b"GoToR",
        b"Sound",
        b"Movie",
    }
)
IMAGE_FILTERS = frozenset({b"DCTDecode", b"CCITTFaxDecode", b"JBIG2Decode", b"JPXDecode"})
MAX_INFLATED_BYTES = 256 * 1024 * 1024  # all Flate streams together, read a chunk at a time
_CHUNK = 1024 * 1024
_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_HEADER = re.compile(rb"%PDF-(1\.[0-7]|2\.0)[\r\n\s%]")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/<>\[\]()]+)")


class ScanRejected(ValueError):
    pass


def check_scan(data: bytes, *, max_bytes: int, max_pixels: int, max_decode_bytes: int) -> str:
    """The scan's content type, once its content has been checked; a clear 4xx otherwise."""
    if len(data) > max_bytes:
        raise TooLarge(f"The scan is {len(data) // 1024} KB; the limit is {max_bytes // 1024} KB.")
    if not data:
        raise Invalid("The scan is empty.")
    content_type = next((kind for magic, kind in MAGIC.items() if data.startswith(magic)), None)
    if content_type is None:
        raise UnsupportedMedia("The scan must be a PDF, JPEG or PNG file.")
    if content_type == PDF:
        try:
            check_pdf(data)
        except ScanRejected as exc:
            raise Invalid(str(exc)) from exc
        return content_type
    try:
        check_image_decodes(data, max_pixels=max_pixels, max_decode_bytes=max_decode_bytes)
    except ImageRejected as exc:
        error = TooLarge if exc.status_code == 413 else Invalid
        raise error(exc.message.replace("This photo", "This scan")) from exc
    return content_type


def check_pdf(data: bytes) -> None:
    if not _HEADER.match(data[:16]):
        raise ScanRejected("The scan does not start like a PDF file (%PDF-1.x). Scan or save it again as a PDF.")
    tail = data[-1024:]
    found = _STARTXREF.search(tail)
    if found is None:
        raise ScanRejected(
            "The PDF is incomplete (its end is missing): the upload or the copy was cut short. "
            "Save it again and upload the new file."
        )
    offset = int(found.group(1))
    at = data[offset : offset + 64] if offset < len(data) else b""
    if at.startswith(b"xref"):
        if b"trailer" not in data[offset:] or b"/Root" not in data[offset:]:
            raise ScanRejected("The PDF's table of contents has no trailer. Save it again as a PDF.")
    elif not re.match(rb"\d+\s+\d+\s+obj\b", at) or b"/XRef" not in data[offset : offset + 4096]:
        raise ScanRejected("The PDF's table of contents is damaged. Save it again as a PDF.")
    _refuse_active_content(data)
    _refuse_active_objects(data)


def _refuse_active_objects(data: bytes) -> None:
    """Every object the cross-reference lists, read as a PDF reader would (object streams unpacked)."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged scan is answered, not logged at length
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ScanRejected(
                "The PDF is protected with a password, so it cannot be checked. Save it again without a password."
            )
        _check_value(reader.trailer, depth=0)
        numbers = {(number, generation) for generation, table in reader.xref.items() for number in table}
        numbers |= {(number, 0) for number in reader.xref_objStm}
        for number, generation in sorted(numbers):
            _check_value(reader.get_object(IndirectObject(number, generation, reader)), depth=0)
    except ScanRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, zlib.error) as exc:
        raise ScanRejected(
            "The PDF is damaged and cannot be checked. Save it again as a PDF and upload the new file."
        ) from exc


def _check_value(value: Any, *, depth: int) -> None:
    if depth > 64:
        raise ScanRejected("The PDF nests its objects too deeply to be checked. Save it again as a PDF.")
    if isinstance(value, NameObject):
        _check_names(value.encode("latin-1", "replace"))
    elif isinstance(value, DictionaryObject):  # a stream's dictionary too; its data is not decoded
        for key, item in value.items():
            _check_names(str(key).encode("latin-1", "replace"))
            if not isinstance(item, IndirectObject):
                _check_value(item, depth=depth + 1)
    elif isinstance(value, ArrayObject):
        for item in value:
            if not isinstance(item, IndirectObject):
                _check_value(item, depth=depth + 1)


def _refuse_active_content(data: bytes) -> None:
    _check_names(data)
    budget = MAX_INFLATED_BYTES
    for start in _STREAM.finditer(data):
        window = data[max(0, start.start() - 4096) : start.start()]
        dictionary = window[window.rfind(b"obj") + 1 :]  # this object's dictionary, not the one before
        filters = _filters(dictionary)
        if not filters or all(f in IMAGE_FILTERS for f in filters):
            continue  # plain text (scanned by the pass above) or image data
        if filters != [b"FlateDecode"]:
            raise ScanRejected(
                "The PDF holds data in an encoding the registry cannot check ("
                + ", ".join(f.decode("latin-1") for f in filters)
                + "). Print it to a new PDF, or scan the form again."
            )
        budget = _check_flate_stream(data, start.end(), budget)


def _filters(dictionary: bytes) -> list[bytes]:
    found = _FILTER.search(dictionary)
    if found is None:
        return []
    return [_unescape(name) for name in _NAME.findall(found.group(1))]


def _check_flate_stream(data: bytes, start: int, budget: int) -> int:
    """Inflates one stream a megabyte at a time, looking for forbidden names; returns the budget left."""
    inflater = zlib.decompressobj()
    carry, position = b"", start
    try:
        while position < len(data) and not inflater.eof:
            pending = data[position : position + 65536]
            position += len(pending)
            while pending and not inflater.eof:
                piece = inflater.decompress(pending, _CHUNK)
                pending = inflater.unconsumed_tail
                budget -= len(piece)
                if budget < 0:
                    raise ScanRejected(
                        "The PDF unpacks to more than 256 MB; scan the form again at a lower resolution."
                    )
                _check_names(carry + piece)
                carry = piece[-64:]
    except zlib.error as exc:
        raise ScanRejected(
            "Part of the PDF is damaged or encrypted, so it cannot be checked. Save it again "
            "as a PDF without a password."
        ) from exc
    return budget


def _check_names(text: bytes) -> None:
    for name in _NAME.findall(text):
        plain = _unescape(name)
        if plain in FORBIDDEN_NAMES:
            raise ScanRejected(
                f"The PDF contains /{plain.decode('latin-1')} (a script, an action or an "
                "attached file). A scanned form needs none: print it to a new PDF or scan "
                "it again, and upload that."
            )


def _unescape(name: bytes) -> bytes:
    return _HEX.sub(lambda m: bytes([int(m.group(1), 16)]), name)
