"""Who is signed in to the pages: the signed session cookie, CSRF on every form, roles."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from api.deps import SessionDep, end_lookup
from api.web.templating import CSRF_KEY, render
from registry.accounts.permissions import Permission, may
from registry.core.errors import RegistryError
from registry.core.storage import NotStored, StorageError
from registry.models.accounts import User

USER_KEY = "user_id"
VERSION_KEY = "session_version"  # the account's session version at sign-in: the session ends when it moves on
CSRF_FIELD = "csrf_token"
PASSWORD_PAGE = "/account/password"
log = logging.getLogger(__name__)


class LoginRequired(Exception):
    """Nobody is signed in: the page sends the browser to the sign-in form."""


class PasswordChangeRequired(Exception):
    """The account's password was set by an administrator: the owner chooses their own before anything else."""


class PageRefused(Exception):
    """The signed-in role may not see this page, or the form's CSRF token is missing or wrong."""

    def __init__(self, message: str, *, title: str = "This page is not available to you") -> None:
        super().__init__(message)
        self.message = message
        self.title = title


async def read_form(request: Request) -> FormData:
    """The posted form, read on the event loop so that endpoints doing database work can be plain functions."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


def check_csrf(request: Request, form: FormData) -> None:
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(CSRF_KEY)
    if not isinstance(sent, str) or not isinstance(expected, str) or not secrets.compare_digest(sent, expected):
        raise PageRefused(
            "This form could not be accepted because it did not come from this site's current page "
            "(it may have been open too long, or you signed out in another tab). "
            "Go back, reload the page and submit it again.",
            title="The form has expired",
        )


def _session_user(request: Request, session: SessionDep) -> User:
    # A plain function: FastAPI runs it in a worker thread, never blocking the event loop on the database.
    user_id = request.session.get(USER_KEY)
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or request.session.get(VERSION_KEY) != user.session_version:
        request.session.pop(USER_KEY, None)
        raise LoginRequired
    request.state.user = user
    session.info["actor"] = f"user:{user.id}"  # who the audit log names for this page's writes
    end_lookup(session)
    return user


async def signed_in_even_with_a_temporary_password(
    request: Request,
    user: Annotated[User, Depends(_session_user)],
) -> User:
    """The signed-in account; on a POST, only with the form's CSRF token (checked after sign-in)."""
    if request.method == "POST":
        check_csrf(request, await request.form())
    return user


AnyPageUser = Annotated[User, Depends(signed_in_even_with_a_temporary_password)]


def signed_in_user(user: AnyPageUser) -> User:
    """The signed-in account, once it has a password of its own."""
    if user.must_change_password:
        raise PasswordChangeRequired
    return user


PageUser = Annotated[User, Depends(signed_in_user)]


def page_for(permission: Permission) -> Callable[[User], User]:
    """The signed-in account, if its role has the permission (registry/accounts/permissions.py)."""

    def check(user: PageUser) -> User:
        if not may(user.role, permission):
            raise PageRefused(
                "Your account's role does not give access to this page. "
                "If you need it for your work, ask an administrator."
            )
        return user

    check.__name__ = f"page_for_{permission}"
    return check


OfficePage = Annotated[User, Depends(page_for(Permission.MANAGE_PEOPLE))]
ReviewerPage = Annotated[User, Depends(page_for(Permission.REVIEW))]
AdminPage = Annotated[User, Depends(page_for(Permission.MANAGE_ACCOUNTS))]
StaffPage = Annotated[User, Depends(page_for(Permission.READ_RECORDS))]


def sign_in_session(request: Request, user: User) -> None:
    """A fresh session for the account: nothing of the anonymous one carries over."""
    request.session.clear()
    request.session[USER_KEY] = user.id
    request.session[VERSION_KEY] = user.session_version
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)


def error_page(request: Request, *, title: str, message: str, status_code: int) -> Response:
    return render(request, "error.html", {"title": title, "message": message}, status_code=status_code)


class PageRoute(APIRoute):
    """A page: sign-in redirects, refusals and domain errors become HTML pages, never JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler: Callable[[Request], Awaitable[Response]] = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                target = request.url.path if request.method == "GET" else "/"
                if request.method == "GET" and request.url.query:
                    target += "?" + request.url.query
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            except PasswordChangeRequired:
                return RedirectResponse(PASSWORD_PAGE, status_code=303)
            except PageRefused as exc:
                return error_page(request, title=exc.title, message=exc.message, status_code=403)
            except RegistryError as exc:
                title = "Not found" if exc.status_code == 404 else "That could not be done"
                return error_page(request, title=title, message=exc.message, status_code=exc.status_code)
            except NotStored:
                message = "The file is missing from storage; ask an administrator to restore it from a backup."
                return error_page(request, title="Not found", message=message, status_code=404)
            except StorageError as exc:  # where photos and scans are kept is out of reach (logged for the admin)
                log.error("the store failed in %s %s: %s", request.method, request.url.path, exc)
                return error_page(
                    request,
                    title="Photos cannot be reached just now",
                    message="Photos and scans cannot be kept or read just now; nothing was recorded. "
                    "Try again in a few minutes, and tell an administrator if it lasts.",
                    status_code=503,
                )

        return page_handler
