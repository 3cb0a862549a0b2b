"""An address nobody serves: a page in the site's layout for a browser, JSON for the API and scripts."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response

from api.errors import validation_error
from api.web.auth import USER_KEY, VERSION_KEY
from api.web.templating import render
from registry.models.accounts import User

API_PREFIX = "/api/"


def wants_a_page(request: Request) -> bool:
    """A browser asking for a page (Accept: text/html), not the API under /api/v1 nor a script."""
    return not request.url.path.startswith(API_PREFIX) and "text/html" in request.headers.get("accept", "")


def _signed_in(request: Request) -> User | None:
    """Who is signed in, for the header's navigation; nobody when the session has ended."""
    if "session" not in request.scope:
        return None
    user_id = request.session.get(USER_KEY)
    if not isinstance(user_id, int):
        return None
    with request.app.state.make_session() as session:
        user = session.get(User, user_id)
        if user is None or not user.active or request.session.get(VERSION_KEY) != user.session_version:
            return None
        session.expunge(user)
        return user


async def _not_found(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code != 404 or not wants_a_page(request):
        return await http_exception_handler(request, exc)
    return await _page(request)


async def _no_such_record(request: Request, exc: Exception) -> Response:
    """A page's address with a record number that is not a number (/clearances/abc) names no page either."""
    assert isinstance(exc, RequestValidationError)
    in_path = all(error.get("loc", ("",))[0] == "path" for error in exc.errors())
    if request.method == "GET" and in_path and wants_a_page(request):
        return await _page(request)
    return await validation_error(request, exc)


async def _page(request: Request) -> Response:
    request.state.user = await run_in_threadpool(_signed_in, request)
    return render(
        request,
        "error.html",
        {
            "title": "Page not found",
            "message": "There is no page at this address. It may have been mistyped, or the link that led here is "
            "out of date.",
        },
        status_code=404,
    )


def install_not_found_page(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _not_found)
    app.add_exception_handler(RequestValidationError, _no_such_record)
