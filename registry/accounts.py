"""User accounts, sign-in with lockout, and API tokens for integrations."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from registry import security
from registry.errors import Conflict, Invalid, NotFound
from registry.models import ApiToken, Person, User, as_utc, id_of, utcnow
from registry.schemas import ApiTokenCreate, UserCreate, UserUpdate


class SignInRefused(Exception):
    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.locked = locked


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def add_user(session: Session, *, data: UserCreate) -> User:
    email = data.email.strip().lower()
    if find_user_by_email(session, email) is not None:
        raise Conflict(f"An account for {email} already exists.")
    if data.person_id is not None and session.get(Person, data.person_id) is None:
        raise Invalid(f"No person with id {data.person_id} to link this account to.")
    user = User(
        email=email, full_name=data.full_name, role=data.role, person_id=data.person_id,
        password_hash=security.hash_password(data.password),
    )
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, *, user: User, changes: UserUpdate) -> User:
    values = changes.model_dump(exclude_unset=True)
    if values.get("person_id") is not None and session.get(Person, values["person_id"]) is None:
        raise Invalid(f"No person with id {values['person_id']} to link this account to.")
    for key, value in values.items():
        setattr(user, key, value)
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.email))))


def sign_in(
    session: Session, *, email: str, password: str, max_failures: int, lockout_minutes: int,
    now: datetime | None = None,
) -> User:
    now = now or utcnow()
    user = find_user_by_email(session, email)
    if user is None:
        security.verify_password(_DUMMY_HASH, password)  # same work whether or not the account exists
        raise SignInRefused("Wrong email or password.")
    if user.locked_until is not None and user.locked_until > now:
        raise SignInRefused(
            "Too many failed sign-ins: this account is locked for a few minutes. "
            "Try again later or ask an administrator.", locked=True,
        )
    if not security.verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
        session.add(user)
        session.flush()
        raise SignInRefused("Wrong email or password.")
    if not user.active:
        raise SignInRefused("This account is disabled; ask an administrator.")
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    session.flush()
    return user


_DUMMY_HASH = security.hash_password("not-a-real-password-used-for-timing")


def create_api_token(session: Session, *, data: ApiTokenCreate, created_by: User) -> tuple[ApiToken, str]:
    owner = get_user(session, data.user_id) if data.user_id is not None else created_by
    token, digest = security.new_api_token()
    record = ApiToken(
        name=data.name, user_id=id_of(owner), token_hash=digest, prefix=token[:10],
        created_by_id=id_of(created_by),
        expires_at=as_utc(data.expires_at) if data.expires_at else None,
    )
    session.add(record)
    session.flush()
    return record, token


def user_for_api_token(session: Session, token: str, *, now: datetime | None = None) -> User | None:
    now = now or utcnow()
    record = session.exec(
        select(ApiToken).where(ApiToken.token_hash == security.api_token_hash(token))
    ).first()
    if record is None or record.revoked_at is not None:
        return None
    if record.expires_at is not None and record.expires_at <= now:
        return None
    return session.get(User, record.user_id)


def revoke_api_token(session: Session, *, token_id: int) -> ApiToken:
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(f"No API token with id {token_id}.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        session.flush()
    return record


def list_api_tokens(session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))))


def ensure_first_admin(session: Session, *, email: str | None, password: str | None) -> tuple[User, str | None] | None:
    """Creates the first administrator when there is none. Returns it and a generated password, if any."""
    if session.exec(select(User).where(User.role == "admin")).first() is not None:
        return None
    generated = None
    if not password:
        password = generated = security.new_password()
    problem = security.password_problem(password)
    if problem:
        raise Invalid(f"REGISTRY_ADMIN_PASSWORD: {problem}")
    user = add_user(session, data=UserCreate(
        email=email or "admin@example.org", full_name="Administrator", role="admin", password=password,
    ))
    return user, generated
