"""A consent scan's PDF, checked whole before it is kept: a whole PDF that can run nothing and links nowhere.

The check is deliberately strict. A whole file has the header, a ``startxref`` pointing at a
cross-reference table (with its trailer) or stream, and ``%%EOF``. It lists at most ``MAX_OBJECTS``
objects (a scanned form of a hundred pages needs a few hundred). Nothing in it may name an action, a link
out or an attachment (``/JavaScript``, ``/OpenAction``, ``/Launch``, ``/URI``, ``/EmbeddedFile`` ...),
whether written plainly, with ``#xx`` escapes, or inside a compressed stream. It is read twice:

- as bytes: every name in the file, and every Flate stream inflated a megabyte at a time, its dictionary
  read back to the object's start with every name unescaped (``/Fi#6Cter`` is ``/Filter``), so that a
  stream a reader would find though no table lists it is checked too;
- as a PDF reader reads it, with the pinned ``pypdf``: every object the cross-reference lists, those
  packed in compressed object streams included, and every stream decoded with its own filters and
  predictors, whatever its dictionary's keys look like in the file.

Streams in encodings that cannot be read here are refused rather than passed unread; scanners write
Flate and the image codecs, which is all a scanned form needs. An encrypted PDF is refused: it cannot
be checked.
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.filters import decode_stream_data
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

MAX_OBJECTS = 20_000
FORBIDDEN_NAMES = frozenset(
    {
        b"JavaScript",
        b"JS",
        b"OpenAction",
        b"AA",
        b"Launch",
        b"URI",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"RichMedia",
        b"Rendition",
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
_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")
_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_FILTER = re.compile(rb"/Filter(?![^\s/<>\[\]()%{}])\s*(\[[^\]]*\]|/[^\s/<>\[\]()%{}]+)?")


class ScanRejected(ValueError):
    pass


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
    _refuse_too_many_objects(sum(1 for _ in zip(range(MAX_OBJECTS + 1), _OBJECT.finditer(data), strict=False)))
    budget = _refuse_active_content(data)
    _refuse_active_objects(data, budget)


def _refuse_too_many_objects(count: int) -> None:
    if count > MAX_OBJECTS:
        raise ScanRejected(
            f"The PDF is made of more than {MAX_OBJECTS:,} pieces, far more than a scanned form has, "
            "so it is not checked. Scan the form again, or print it to a new PDF."
        )


def _refuse_active_objects(data: bytes, budget: int) -> None:
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
        _refuse_too_many_objects(len(numbers))
        for number, generation in sorted(numbers):
            value = reader.get_object(IndirectObject(number, generation, reader))
            _check_value(value, depth=0)
            if isinstance(value, StreamObject):
                budget = _check_decoded_stream(value, budget)
    except ScanRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, zlib.error) as exc:
        raise ScanRejected(
            "The PDF is damaged and cannot be checked. Save it again as a PDF and upload the new file."
        ) from exc


def _check_decoded_stream(stream: StreamObject, budget: int) -> int:
    """A stream's data decoded by its own filters (as pypdf reads them: names unescaped, the key anywhere in
    its dictionary, an indirect filter followed) and checked for names; image data is not decoded."""
    filters = stream.get("/Filter")
    filters = filters.get_object() if isinstance(filters, IndirectObject) else filters
    names = list(filters) if isinstance(filters, ArrayObject) else [filters] if filters is not None else []
    if not all(isinstance(name, NameObject) for name in names):
        raise ScanRejected("The PDF's encodings cannot be read. Print it to a new PDF, or scan the form again.")
    spelled = [str(name).removeprefix("/").encode("latin-1", "replace") for name in names]
    if spelled and all(name in IMAGE_FILTERS for name in spelled):
        return budget
    if any(name != b"FlateDecode" for name in spelled):
        raise _unchecked_encoding(spelled)
    decoded = decode_stream_data(stream) if spelled else stream.get_data()
    budget -= len(decoded)
    if budget < 0:
        raise _too_large_unpacked()
    _check_names(decoded)
    return budget


def _check_value(value: Any, *, depth: int) -> None:
    if depth > 64:
        raise ScanRejected("The PDF nests its objects too deeply to be checked. Save it again as a PDF.")
    if isinstance(value, NameObject):
        _check_names(value.encode("latin-1", "replace"))
    elif isinstance(value, DictionaryObject):  # a stream's dictionary too; its data is checked apart
        for key, item in value.items():
            _check_names(str(key).encode("latin-1", "replace"))
            if not isinstance(item, IndirectObject):
                _check_value(item, depth=depth + 1)
    elif isinstance(value, ArrayObject):
        for item in value:
            if not isinstance(item, IndirectObject):
                _check_value(item, depth=depth + 1)


def _refuse_active_content(data: bytes) -> int:
    """The file read as bytes: every name, and every Flate stream inflated; returns the inflation budget left."""
    _check_names(data)
    budget = MAX_INFLATED_BYTES
    previous_end = 0
    for start in _STREAM.finditer(data):
        before = data[previous_end : start.start()]
        previous_end = start.end()
        opening = max((m.end() for m in _OBJECT.finditer(before)), default=0)
        dictionary = _unescaped(before[opening:])  # this object's dictionary, whole, however far back it starts
        filters = _filters(dictionary)
        if not filters or all(f in IMAGE_FILTERS for f in filters):
            continue  # plain text (scanned by the pass above) or image data
        if filters != [b"FlateDecode"]:
            raise _unchecked_encoding(filters)
        budget = _check_flate_stream(data, start.end(), budget)
    return budget


def _filters(dictionary: bytes) -> list[bytes]:
    found = _FILTER.search(dictionary)
    if found is None:
        return []
    if found.group(1) is None:  # /Filter 5 0 R: the encoding is elsewhere, not followed here: refused
        return [b"(given elsewhere in the file)"]
    return _NAME.findall(found.group(1))


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
                    raise _too_large_unpacked()
                _check_names(carry + piece)
                carry = piece[-64:]
    except zlib.error as exc:
        raise ScanRejected(
            "Part of the PDF is damaged or encrypted, so it cannot be checked. Save it again "
            "as a PDF without a password."
        ) from exc
    return budget


def _unchecked_encoding(filters: list[bytes]) -> ScanRejected:
    return ScanRejected(
        "The PDF holds data in an encoding the registry cannot check ("
        + ", ".join(f.decode("latin-1") for f in filters)
        + "). Print it to a new PDF, or scan the form again."
    )


def _too_large_unpacked() -> ScanRejected:
    return ScanRejected("The PDF unpacks to more than 256 MB; scan the form again at a lower resolution.")


def _check_names(text: bytes) -> None:
    for name in _NAME.findall(text):
        plain = _unescape(name)
        if plain in FORBIDDEN_NAMES:
            raise ScanRejected(
                f"The PDF contains /{plain.decode('latin-1')} (a script, an action, a link out of the form or "
                "an attached file). A scanned form needs none: print it to a new PDF or scan it again, and "
                "upload that."
            )


def _unescaped(text: bytes) -> bytes:
    return _NAME.sub(lambda m: b"/" + _unescape(m.group(1)), text)


def _unescape(name: bytes) -> bytes:
    return _HEX.sub(lambda m: bytes([int(m.group(1), 16)]), name)
