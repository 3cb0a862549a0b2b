"""Password hashes (Argon2id), signed access tokens and long-lived API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults: Argon2id with the RFC 9106 low-memory parameters. Read at each call, so that the test
# suite can give its own accounts a cheaper hasher; the service never replaces it.
PASSWORD_HASHER = PasswordHasher()
API_TOKEN_PREFIX = "crt_"
JWT_ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The bearer token is expired, forged or malformed."""


def hash_password(password: str) -> str:
    return PASSWORD_HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_version: int  # valid only while it equals the account's (see User.session_version)
    issued_at: datetime | None = None  # when this sign-in began (the token was issued)


def issue_access_token(*, user_id: int, secret: str, minutes: int, session_version: int = 0) -> tuple[str, int]:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "ver": session_version,
        "iat": now.timestamp(),  # to the microsecond: an undo tells this sign-in from one earlier in the same second
        "exp": now + timedelta(minutes=minutes),
        "typ": "access",
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM), minutes * 60


def read_access_token(token: str, *, secret: str) -> AccessClaims:
    try:
        claims = jwt.decode(token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("Your session has expired; sign in again.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("The access token is not valid; sign in again.") from exc
    version = claims.get("ver")
    if claims.get("typ") != "access" or not str(claims.get("sub", "")).isdigit() or type(version) is not int:
        raise InvalidToken("The access token is not valid; sign in again.")
    issued = claims.get("iat")
    if isinstance(issued, int):  # whole seconds (a token made before): the sign-in began by the end of that second
        issued += 1
    issued_at = datetime.fromtimestamp(issued, UTC) if isinstance(issued, int | float) else None
    return AccessClaims(user_id=int(claims["sub"]), session_version=version, issued_at=issued_at)


def new_api_token() -> tuple[str, str]:
    """Returns (the token shown once to its creator, the hash that is stored)."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, api_token_hash(token)


def api_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_READABLE = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read out or copied by hand without mistakes


def new_password() -> str:
    """A random password a person can read aloud or type from paper: four groups of four (about 79 bits)."""
    return "-".join("".join(secrets.choice(_READABLE) for _ in range(4)) for _ in range(4))
