"""Request dependencies: the settings, the one session that commits, the signed-in user, roles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, UploadFile, status
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from api.client_address import client_address as forwarded_client
from registry.accounts import security, sign_in
from registry.accounts import service as accounts
from registry.accounts.permissions import Permission, may
from registry.clearances.check import Clearing
from registry.core.db import committed, end_before_slow_work
from registry.core.settings import Settings
from registry.faces.templates import TemplateCache
from registry.models.accounts import User
from registry.policy import PolicyPack
from registry.policy.ledger import District

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """The one place a request's work is committed, after the endpoint returns without error."""
    with committed(request.app.state.make_session(), actor="anonymous") as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": commit before the answer is sent, so a client never holds a 201 for a write that a
# crash (or a failed commit) then lost, nor reads before its own write is visible.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


# What an account that must change its password may still do through the API.
PASSWORD_CHANGE_PATHS = frozenset({"/api/v1/auth/me", "/api/v1/auth/password", "/api/v1/auth/sign-out"})


def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "Sign in first: this needs a bearer token.", headers=_UNAUTHORIZED
        )
    user: User | None
    if token.startswith(security.API_TOKEN_PREFIX):
        record = accounts.find_api_token(session, token)
        if record is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "This API token is unknown, expired or revoked.", headers=_UNAUTHORIZED
            )
        user = session.get(User, record.user_id)
    else:
        try:
            claims = security.read_access_token(token, secret=settings.secret_key)
        except security.InvalidToken as exc:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc), headers=_UNAUTHORIZED) from exc
        record = None
        user = session.get(User, claims.user_id)
        if user is not None and user.active and claims.session_version != user.session_version:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "This sign-in has ended (signed out, or the password was changed); sign in again.",
                headers=_UNAUTHORIZED,
            )
    if user is None or not user.active:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "This account is deactivated or no longer exists.", headers=_UNAUTHORIZED
        )
    session.info["actor"] = f"user:{user.id}"  # who the audit log names for this request's writes
    if record is not None:
        accounts.note_api_token_use(session, record=record)
    elif user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "Your password was set by an administrator: choose your own first "
            "(POST /api/v1/auth/password), then sign in again.",
        )
    end_lookup(session)
    return user


def client_address(request: Request) -> str:
    """The address wrong passwords are counted against: the request's own, or the one a trusted proxy forwarded."""
    return forwarded_client(request.scope, trusted=request.app.state.settings.trusted_networks)


def backoff(settings: Settings) -> sign_in.Backoff:
    return sign_in.Backoff(max_failures=settings.login_max_failures, minutes=settings.login_lockout_minutes)


def end_lookup(session: Session) -> None:
    """Ends the sign-in lookup's transaction before the request moves to another worker thread.

    Between this dependency and the endpoint the request waits for a free thread; if every thread is
    taken by requests waiting for SQLite's write lock, a lock held across the wait would never be
    released (they would fail with "database is locked").
    """
    end_before_slow_work(session)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require(permission: Permission) -> Callable[[User], User]:
    """The signed-in account, if its role has the permission (registry/accounts/permissions.py)."""

    def check(user: CurrentUser) -> User:
        if not may(user.role, permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                "Your account's role does not allow this. Ask an administrator if you need it.",
            )
        return user

    check.__name__ = f"require_{permission}"
    return check


OfficeUser = Annotated[User, Depends(require(Permission.MANAGE_PEOPLE))]
AdminUser = Annotated[User, Depends(require(Permission.MANAGE_ACCOUNTS))]
StaffReader = Annotated[User, Depends(require(Permission.READ_RECORDS))]

Limit = Annotated[int, Query(ge=1, le=200, description="at most this many items")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="skip this many items")]


def read_upload_limited(upload: UploadFile, max_bytes: int) -> bytes:
    """Reads an uploaded file in the worker thread. Endpoints that touch the database are plain
    functions (run in the thread pool): an async one would wait for SQLite's write lock on the
    event loop, which the lock's holder needs to finish."""
    data = upload.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise HTTPException(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"The file is larger than {max_bytes // (1024 * 1024)} MB."
        )
    if not data:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "The file is empty.")
    return data


def get_pack(request: Request) -> PolicyPack:
    pack: PolicyPack = request.app.state.pack
    return pack


def get_district(request: Request) -> District:
    """The pack and the district's clock: what reading a consent record needs."""
    return District(request.app.state.pack, request.app.state.settings.time_zone)


def get_templates(request: Request) -> TemplateCache:
    templates: TemplateCache = request.app.state.templates
    return templates


def get_clearing(request: Request) -> Clearing:
    """Clearing a photo in a request: faces are read where the mode says (registry/analysis/mode.py), with no
    transaction held."""
    state = request.app.state
    return Clearing(
        settings=state.settings,
        pack=state.pack,
        templates=state.templates,
        analyse=state.analyse,
        hold_no_transaction=True,
    )


PackDep = Annotated[PolicyPack, Depends(get_pack)]
ClearingDep = Annotated[Clearing, Depends(get_clearing)]
DistrictDep = Annotated[District, Depends(get_district)]
TemplatesDep = Annotated[TemplateCache, Depends(get_templates)]
ReviewerUser = Annotated[User, Depends(require(Permission.REVIEW))]
