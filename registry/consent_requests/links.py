"""A request's private link and its short code for paper.

Neither is stored. Each request keeps a random salt; the token is an HMAC of that salt under the
service's secret key, so the service can print the same link on a letter or in an e-mail again, while the
database alone (a backup, a read-only copy) can open no family's form. Only SHA-256 hashes of the token and of
the short code are kept, to find the request when a family opens it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# Crockford's base32 without I, L, O, U: read aloud and typed from paper without confusion.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10  # 50 bits: with the date of birth and the per-address limit, far beyond guessing
TOKEN_BYTES = 24  # 192 bits
LINK_PATH = "/f/"


def new_salt() -> str:
    return secrets.token_hex(16)


def _mac(secret: str, salt: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"consent-request:{purpose}:{salt}".encode(), hashlib.sha256).digest()


def token_for(secret: str, salt: str) -> str:
    return base64.urlsafe_b64encode(_mac(secret, salt, "link")[:TOKEN_BYTES]).decode().rstrip("=")


def code_for(secret: str, salt: str) -> str:
    number = int.from_bytes(_mac(secret, salt, "code")[:8], "big")
    return "".join(CODE_ALPHABET[(number >> (5 * i)) & 31] for i in range(CODE_LENGTH))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def code_hash(code: str) -> str:
    return hashlib.sha256(b"code:" + normal_code(code).encode()).hexdigest()


def normal_code(typed: str) -> str:
    """A short code as typed from paper: any case, spaces and dashes ignored, O read as 0 and I or L as 1."""
    cleaned = "".join(c for c in typed.upper() if c.isalnum())
    return cleaned.translate(str.maketrans("OIL", "011"))


def code_words(code: str) -> str:
    """The short code as printed: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def link_for(public_url: str, token: str) -> str:
    return public_url.rstrip("/") + LINK_PATH + token
