"""API schemas for accounts, passwords and API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import (
    BaseModel,
    EmailStr,
    Field,
    model_validator,
)

from registry.accounts.permissions import Role
from registry.core.schemas import Password, Request


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    must_change_password: bool = Field(False, description="true: only POST /auth/password works until it is done")


class UserCreate(Request):
    email: EmailStr
    full_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: Password = Field(min_length=10, max_length=200)
    person_id: int | None = None
    must_change_password: bool = Field(
        False,
        description="true: the owner chooses their own password at first sign-in (the account page always sets "
        "it for a person's account; false suits a program's account, whose password no person types)",
    )


class UserUpdate(Request):
    role: Role | None = None
    active: bool | None = Field(None, description="false deactivates the account (ending its sessions)")
    person_id: int | None = Field(None, description="the person's record this account is; null unlinks it")

    @model_validator(mode="after")
    def _no_empty_role_or_state(self) -> UserUpdate:
        for name in ("role", "active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null: leave it out to keep it as it is")
        return self


class UserPublic(BaseModel):
    id: int
    email: str
    full_name: str
    role: Role
    person_id: int | None
    active: bool
    must_change_password: bool
    locked_until: datetime | None = Field(None, description="some address must wait until then to sign in")
    created_at: datetime


class PasswordChange(Request):
    current_password: Password = Field(min_length=1, max_length=200)
    new_password: Password = Field(min_length=1, max_length=200)


class ApiTokenCreate(Request):
    name: str = Field(min_length=1, max_length=100)
    user_id: int | None = Field(None, description="the account the token acts as; yours by default")
    expires_at: datetime | None = None


class ApiTokenPublic(BaseModel):
    id: int
    name: str
    user_id: int
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenPublic):
    token: str = Field(description="shown once: store it now, it cannot be read again")


class TemporaryPassword(Request):
    password: Password | None = Field(None, max_length=200, description="leave out to have one made")
    revoke_api_tokens: bool = Field(
        True,
        description="also revoke the account's API tokens, which a password does not end (the default: a "
        "temporary password is often set because someone else may hold the account); false keeps them working",
    )


class TemporaryPasswordSet(BaseModel):
    user: UserPublic
    password: str | None = Field(description="the password made for the account (shown once); null if given")
    api_tokens_revoked: list[ApiTokenPublic] = Field(description="the account's API tokens revoked in this act")
    api_tokens_still_working: list[ApiTokenPublic] = Field(
        description="the account's API tokens that go on working (revoke_api_tokens was false)"
    )
