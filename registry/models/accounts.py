"""Tables: accounts, API tokens, and the sign-in back-off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.models.base import utcnow


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=200)
    person_id: int | None = Field(default=None, foreign_key="people.id")
    active: bool = True
    # Raised to end every session and access token of the account (sign-out, new password, deactivation).
    session_version: int = 0
    must_change_password: bool = False
    # When the account last looked at its photos: reviewers' decisions after it are news on the home page.
    reviews_seen_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


ADDRESS_LENGTH = 64


class SignInBackoff(SQLModel, table=True):
    """Wrong passwords for one account name from one client address, and until when it must wait."""

    __tablename__ = "sign_in_backoffs"
    __table_args__ = (UniqueConstraint("account", "address", name="uq_sign_in_backoff_account_address"),)
    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=254, index=True)
    address: str = Field(max_length=ADDRESS_LENGTH)
    failures: int = 0
    last_failed_at: datetime = Field(default_factory=utcnow)
    blocked_until: datetime | None = None
