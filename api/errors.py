"""Every error a person can get, as JSON with a message they can act on."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from media.images import ImageRejected
from registry.errors import RegistryError


class ErrorResponse(BaseModel):
    detail: str


class ValidationErrorResponse(BaseModel):
    detail: str
    errors: list[dict[str, Any]]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "the request cannot be carried out"},
    401: {"model": ErrorResponse, "description": "not signed in, or the token is expired or forged"},
    403: {"model": ErrorResponse, "description": "your role does not allow this"},
    404: {"model": ErrorResponse, "description": "no such record"},
    409: {"model": ErrorResponse, "description": "conflicts with what is already recorded"},
    413: {"model": ErrorResponse, "description": "the upload is too large"},
    415: {"model": ErrorResponse, "description": "the upload is not an accepted kind of file"},
    422: {"model": ValidationErrorResponse, "description": "the request's content is not valid"},
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


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field(tuple(e.get("loc", ()))), "message": _sentence(e), "type": e.get("type")}
        for e in exc.errors()
    ]
    detail = "; ".join(e["message"] for e in errors) or "The request is not valid."
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


async def _registry_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RegistryError)
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code)


async def _image_rejected(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ImageRejected)
    return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ImageRejected, _image_rejected)
    app.add_exception_handler(RegistryError, _registry_error)
