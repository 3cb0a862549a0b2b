"""Every error a person can get, as JSON with a message they can act on."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError

from media.images import ImageRejected
from registry.core.errors import Busy, RegistryError
from registry.core.storage import NotStored, StorageError

log = logging.getLogger(__name__)


class ErrorResponse(BaseModel):
    detail: str


class ValidationErrorResponse(BaseModel):
    detail: str
    # Only when fields of the request failed validation; other 422s (an unreadable photo, a rule of
    # the registry) say what is wrong in `detail` alone.
    errors: list[dict[str, Any]] = Field(default_factory=list, description="one entry per field at fault")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "the request cannot be carried out"},
    401: {"model": ErrorResponse, "description": "not signed in, or the token is expired or forged"},
    403: {"model": ErrorResponse, "description": "your role does not allow this"},
    404: {"model": ErrorResponse, "description": "no such record"},
    409: {"model": ErrorResponse, "description": "conflicts with what is already recorded"},
    413: {"model": ErrorResponse, "description": "the upload is too large"},
    415: {"model": ErrorResponse, "description": "the upload is not an accepted kind of file"},
    422: {"model": ValidationErrorResponse, "description": "the request's content is not valid"},
    503: {"model": ErrorResponse, "description": "too much of this work in hand: ask again after Retry-After seconds"},
}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form")]
    return ".".join(parts) or "request"


def _sentence(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        problem = error.get("ctx", {}).get("error", "check commas and quotes")
        return f"The request body is not valid JSON: {problem}"
    if error.get("type") == "extra_forbidden":
        return f"{_field(error['loc'])}: this field is not accepted here (check its spelling)"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{_field(error['loc'])}: {message}"


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field(tuple(e.get("loc", ()))), "message": _sentence(e), "type": e.get("type")} for e in exc.errors()
    ]
    detail = "; ".join(e["message"] for e in errors) or "The request is not valid."
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


async def _registry_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RegistryError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Busy) else None
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)


async def _image_rejected(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ImageRejected)
    return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)


async def _unstorable_value(request: Request, exc: Exception) -> JSONResponse:
    """A value that passed validation but that the database cannot hold: an id beyond the
    database's integers (PostgreSQL: 2^31, SQLite: 2^63) or text with a NUL byte (PostgreSQL)."""
    log.warning("refused an unstorable value in %s %s: %s", request.method, request.url.path, str(exc).splitlines()[0])
    return JSONResponse(
        {
            "detail": "A value in the request cannot be used: a number is far too large, or "
            "a text contains a character that is not allowed (such as a NUL byte)."
        },
        status_code=422,
    )


async def _store_away(request: Request, exc: Exception) -> JSONResponse:
    """Where photos and scans are kept is out of reach: nothing was recorded; the administrator reads why."""
    if isinstance(exc, NotStored):
        return JSONResponse({"detail": "The file is missing from storage; restore it from a backup."}, status_code=404)
    log.error("the store failed in %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {"detail": "Photos and scans cannot be kept or read just now; nothing was recorded. Try again shortly."},
        status_code=503,
        headers={"Retry-After": "30"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StorageError, _store_away)
    app.add_exception_handler(DataError, _unstorable_value)
    app.add_exception_handler(OverflowError, _unstorable_value)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ImageRejected, _image_rejected)
    app.add_exception_handler(RegistryError, _registry_error)
