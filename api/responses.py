"""The one JPEG response: every photo, crop, thumbnail and blurred copy the API and the pages send.

Faces are personal data: nothing is cached outside the browser's own session, and the type is not
to be guessed. A blurred copy is an attachment with a file name the uploader recognises.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import Response

# For a route's OpenAPI `responses=`: its answer is a JPEG.
JPEG_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}}}}
PRIVATE_IMAGE_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def jpeg(data: bytes, *, filename: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """A JPEG kept private to this browser; with ``filename``, a download under that name."""
    sent = {**PRIVATE_IMAGE_HEADERS, **(headers or {})}
    if filename is not None:
        sent["Content-Disposition"] = attachment(filename)
    return Response(data, media_type="image/jpeg", headers=sent)


_UNSAFE_IN_QUOTES = re.compile(r"[^A-Za-z0-9._ ()+-]")


def attachment(name: str, *, fallback: str | None = None) -> str:
    """A download named as the uploader named the photo: plain ASCII for every browser (``fallback``, or the
    name with what is not plain ASCII replaced), the exact name (RFC 6266, RFC 5987) for those that read it."""
    plain = _UNSAFE_IN_QUOTES.sub("_", fallback if fallback is not None else name).strip() or "photo.jpg"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
