"""Sign-in (OAuth2 password flow), the signed-in account, users and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import AdminUser, CurrentUser, SessionDep, SettingsDep
from registry import accounts, security
from registry.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
    TokenResponse,
    UserCreate,
    UserPublic,
    UserUpdate,
)

router = APIRouter(tags=["accounts"])


@router.post("/auth/token", response_model=TokenResponse,
             responses={401: {"description": "wrong email or password"},
                        429: {"description": "account locked after repeated failures"}})
def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, settings: SettingsDep,
) -> TokenResponse:
    try:
        user = accounts.sign_in(
            session, email=form.username, password=form.password,
            max_failures=settings.login_max_failures, lockout_minutes=settings.login_lockout_minutes,
        )
    except accounts.SignInRefused as exc:
        session.commit()  # keep the failure count even though the request fails
        code = status.HTTP_429_TOO_MANY_REQUESTS if exc.locked else status.HTTP_401_UNAUTHORIZED
        raise HTTPException(code, exc.message, headers={"WWW-Authenticate": "Bearer"}) from exc
    assert user.id is not None
    token, expires_in = security.issue_access_token(
        user_id=user.id, secret=settings.secret_key, minutes=settings.access_token_minutes)
    return TokenResponse(access_token=token, expires_in=expires_in)


@router.get("/auth/me", response_model=UserPublic)
def who_am_i(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user.model_dump())


@router.get("/users", response_model=list[UserPublic])
def list_users(session: SessionDep, _: AdminUser) -> list[UserPublic]:
    return [UserPublic.model_validate(u.model_dump()) for u in accounts.list_users(session)]


@router.post("/users", response_model=UserPublic, status_code=201)
def add_user(data: UserCreate, session: SessionDep, _: AdminUser) -> UserPublic:
    return UserPublic.model_validate(accounts.add_user(session, data=data).model_dump())


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(user_id: int, changes: UserUpdate, session: SessionDep, admin: AdminUser) -> UserPublic:
    user = accounts.get_user(session, user_id)
    if user.id == admin.id and (changes.active is False or (changes.role and changes.role != "admin")):
        raise HTTPException(status.HTTP_409_CONFLICT,
                            "You cannot disable or demote your own administrator account.")
    return UserPublic.model_validate(accounts.update_user(session, user=user, changes=changes).model_dump())


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
