"""Sign-in (OAuth2 password flow), sign-out, your password, accounts and their lifecycle, API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel import Session

from api.deps import AdminUser, CurrentUser, DistrictDep, SessionDep, SettingsDep, backoff, client_address
from registry.accounts import security
from registry.accounts import service as accounts
from registry.accounts import sign_in as signing_in
from registry.accounts.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
    PasswordChange,
    TemporaryPassword,
    TemporaryPasswordSet,
    TokenResponse,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from registry.core.db import keep_despite_refusal
from registry.core.errors import Invalid
from registry.core.settings import Settings
from registry.models.accounts import User
from registry.models.base import id_of

router = APIRouter(tags=["accounts"])


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses={
        401: {"description": "wrong email or password"},
        429: {"description": "too many wrong passwords for this account from this address"},
    },
)
def sign_in(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenResponse:
    try:
        user = signing_in.sign_in(
            session,
            email=form.username,
            password=form.password,
            address=client_address(request),
            backoff=backoff(settings),
        )
    except signing_in.SignInRefused as exc:
        keep_despite_refusal(session)  # the count of wrong passwords stays although the request fails
        code = status.HTTP_429_TOO_MANY_REQUESTS if exc.locked else status.HTTP_401_UNAUTHORIZED
        raise HTTPException(code, exc.message, headers={"WWW-Authenticate": "Bearer"}) from exc
    return _token_for(user, settings)


@router.get("/auth/me", response_model=UserPublic)
def who_am_i(session: SessionDep, user: CurrentUser) -> UserPublic:
    return _public(session, user)


@router.post(
    "/auth/password",
    response_model=TokenResponse,
    responses={
        409: {"description": "another change of the account (a password, a sign-out) came first: sign in again"},
        429: {"description": "too many wrong passwords for this account from this address"},
    },
)
def change_my_password(
    request: Request,
    data: PasswordChange,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> TokenResponse:
    """Your own new password. Every earlier session and access token ends; the answer is a fresh token."""
    try:
        accounts.change_password(
            session,
            user=user,
            current=data.current_password,
            new=data.new_password,
            address=client_address(request),
            backoff=backoff(settings),
        )
    except signing_in.SignInRefused as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, exc.message) from exc
    except Invalid:
        keep_despite_refusal(session)  # a wrong current password is counted like a wrong sign-in
        raise
    return _token_for(user, settings)


@router.post("/auth/sign-out", status_code=204)
def sign_out(session: SessionDep, user: CurrentUser) -> Response:
    """Ends every session and access token of your account (web pages included); API tokens go on working."""
    accounts.end_sessions(session, user=user)
    return Response(status_code=204)


@router.get("/users", response_model=list[UserPublic])
def list_users(session: SessionDep, _: AdminUser) -> list[UserPublic]:
    users = accounts.list_users(session)
    locks = signing_in.locked_until(session, emails=[u.email for u in users])
    return [_public(session, u, locks=locks) for u in users]


@router.post("/users", response_model=UserPublic, status_code=201)
def add_user(data: UserCreate, session: SessionDep, _: AdminUser) -> UserPublic:
    return _public(session, accounts.add_user(session, data=data))


@router.get("/users/{user_id}", response_model=UserPublic)
def get_user(user_id: int, session: SessionDep, _: AdminUser) -> UserPublic:
    return _public(session, accounts.get_user(session, user_id))


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(
    user_id: int, changes: UserUpdate, session: SessionDep, district: DistrictDep, admin: AdminUser
) -> UserPublic:
    """Role, the person's record the account is (`person_id`, null unlinks), and `active` (false deactivates:
    its sessions, access tokens and API tokens stop working at once)."""
    user = accounts.get_user(session, user_id)
    return _public(session, accounts.update_user(session, user=user, changes=changes, by=admin, district=district))


@router.post("/users/{user_id}/unlock", response_model=UserPublic)
def unlock_user(user_id: int, session: SessionDep, _: AdminUser) -> UserPublic:
    """Lets every address sign in to the account again at once, after too many wrong passwords."""
    user = accounts.get_user(session, user_id)
    signing_in.unlock(session, email=user.email)
    return _public(session, user)


@router.post("/users/{user_id}/temporary-password", response_model=TemporaryPasswordSet)
def set_temporary_password(
    user_id: int,
    data: TemporaryPassword,
    session: SessionDep,
    admin: AdminUser,
) -> TemporaryPasswordSet:
    """A password the account must change at its next sign-in (one is made when none is given). Its sessions
    end and it is unlocked. Its API tokens are revoked too unless `revoke_api_tokens` is false: the answer
    lists those revoked and those still working."""
    user = accounts.get_user(session, user_id)
    if user.id == admin.id:
        raise HTTPException(status.HTTP_409_CONFLICT, "Change your own password with POST /auth/password.")
    done = accounts.set_temporary_password(
        session, user=user, password=data.password, revoke_api_tokens=data.revoke_api_tokens
    )
    return TemporaryPasswordSet(
        user=_public(session, user),
        password=done.password,
        api_tokens_revoked=[ApiTokenPublic.model_validate(t.model_dump()) for t in done.tokens_revoked],
        api_tokens_still_working=[ApiTokenPublic.model_validate(t.model_dump()) for t in done.tokens_working],
    )


def _token_for(user: User, settings: Settings) -> TokenResponse:
    token, expires_in = security.issue_access_token(
        user_id=id_of(user),
        secret=settings.secret_key,
        minutes=settings.access_token_minutes,
        session_version=user.session_version,
    )
    return TokenResponse(access_token=token, expires_in=expires_in, must_change_password=user.must_change_password)


def _public(session: Session, user: User, *, locks: dict[str, datetime] | None = None) -> UserPublic:
    if locks is None:
        locks = signing_in.locked_until(session, emails=[user.email])
    return UserPublic.model_validate({**user.model_dump(), "locked_until": locks.get(user.email)})


@router.get("/tokens", response_model=list[ApiTokenPublic])
def list_tokens(session: SessionDep, _: AdminUser) -> list[ApiTokenPublic]:
    return [ApiTokenPublic.model_validate(t.model_dump()) for t in accounts.list_api_tokens(session)]


@router.post("/tokens", response_model=ApiTokenCreated, status_code=201)
def create_token(data: ApiTokenCreate, session: SessionDep, admin: AdminUser) -> ApiTokenCreated:
    record, token = accounts.create_api_token(session, data=data, created_by=admin)
    return ApiTokenCreated.model_validate({**record.model_dump(), "token": token})


@router.post("/tokens/{token_id}/revoke", response_model=ApiTokenPublic)
def revoke_token(token_id: int, session: SessionDep, _: AdminUser) -> ApiTokenPublic:
    return ApiTokenPublic.model_validate(accounts.revoke_api_token(session, token_id=token_id).model_dump())
