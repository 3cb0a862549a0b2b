"""The one JPEG response: every photo, crop, thumbnail and blurred copy the API and the pages send.

Faces are personal data: nothing is cached outside the browser's own session, and the type is not
to be guessed. A blurred copy is an attachment with a file name the uploader recognises.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response

# For a route's OpenAPI `responses=`: its answer is a JPEG.
JPEG_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}}}}
PRIVATE_IMAGE_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def jpeg(data: bytes, *, filename: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """A JPEG kept private to this browser; with ``filename``, a download under that name."""
    sent = {**PRIVATE_IMAGE_HEADERS, **(headers or {})}
    if filename is not None:
        safe = "".join(c for c in filename if c.isalnum() or c in "._- ") or "photo.jpg"
        sent["Content-Disposition"] = f'attachment; filename="{safe}"'
    return Response(data, media_type="image/jpeg", headers=sent)
