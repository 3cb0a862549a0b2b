"""Rate limits on sign-in and uploads: a sliding window per client address and per account.

The counts live in the database (registry/core/rate_counts.py), so every worker process on every API host
behind the proxy counts against the same limits: a client that spreads its requests over the hosts gets the
limit once, not once per host. The client's address is the one the request comes from, or the one a trusted
proxy forwarded (api/client_address.py). The guard that matters most for guessing, the lockout after repeated
wrong passwords, is in the database too (registry/accounts/sign_in.py).

Requests refused here are not counted, so a client that keeps hammering is let in again as soon as its
counted requests weigh less than the limit.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.client_address import client_address
from api.web.auth import USER_KEY
from registry.accounts import security
from registry.core import rate_counts
from registry.core.db import committed
from registry.core.settings import Settings

# A sign-in form is a few hundred bytes; past this the account name is not looked for.
_MAX_SIGN_IN_BODY = 16 * 1024


class SharedCounts:
    """Counts requests per key over the last `window` seconds in the database, for every host at once."""

    def __init__(self, *, window: int, clock: Callable[[], float] = time.time) -> None:
        self.window = window
        self.clock = clock
        self._next_sweep = 0.0  # when this process next drops old counts (any process may: it is only tidying)

    def hit(self, make_session: Callable[[], Session], *limits: tuple[str, int]) -> float | None:
        """Counts one request against each (key, limit) in turn; at the first key already at its limit, stops
        and returns the seconds until it would be let in (counting nothing for that key)."""
        with committed(make_session(), actor="system:rate-limits") as session:  # before the request goes on
            return self.hit_in(session, *limits)

    def hit_in(self, session: Session, *limits: tuple[str, int]) -> float | None:
        """As `hit`, in the caller's transaction, committed with it: for a page whose request holds one already
        (on SQLite that is the write lock, which a second session would wait for until the request ends)."""
        now = self.clock()
        wait = None
        for key, limit in limits:
            wait = rate_counts.count_request(session, key=key, limit=limit, window=self.window, now=now)
            if wait is not None:
                break
        if now >= self._next_sweep:
            self._next_sweep = now + self.window
            rate_counts.forget_old_counts(session, window=self.window, now=now)
        return wait


@dataclass(frozen=True)
class Rule:
    kind: str  # "sign_in" or "upload": which limits apply
    method: str
    path: re.Pattern[str]
    account_field: str = ""  # the sign-in form's field naming the account


RULES = (
    Rule("sign_in", "POST", re.compile(r"/api/v1/auth/token"), "username"),
    Rule("sign_in", "POST", re.compile(r"/login"), "email"),
    Rule("upload", "POST", re.compile(r"/api/v1/clearances(/batch)?"), ""),
    Rule("upload", "POST", re.compile(r"/api/v1/people/[^/]+/faces"), ""),
    Rule("upload", "POST", re.compile(r"/clearances/new"), ""),
    Rule("upload", "POST", re.compile(r"/albums/new"), ""),
    Rule("upload", "POST", re.compile(r"/people/[^/]+/faces(/preview)?"), ""),
)


class RateLimit:
    """ASGI middleware answering 429 with Retry-After once a client or an account is over its limit."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.secret = settings.secret_key
        self.trusted = settings.trusted_networks
        self.counts = SharedCounts(window=settings.rate_limit_window_seconds)
        self.limits = {
            "sign_in": (settings.rate_limit_sign_in_per_client, settings.rate_limit_sign_in_per_account),
            "upload": (settings.rate_limit_uploads_per_client, settings.rate_limit_uploads_per_account),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rule = _rule_for(scope)
        if rule is None:
            await self.app(scope, receive, send)
            return
        per_client, per_account = self.limits[rule.kind]
        if rule.kind == "sign_in":
            named, receive = await _sign_in_account(scope, receive, rule.account_field)
            if named is None:
                await _too_large(scope)(scope, receive, send)
                return
            account = named
        else:
            account = self._uploader(scope)
        address = client_address(scope, trusted=self.trusted)
        keys = [(f"{rule.kind}:client:{address}", per_client)] if per_client > 0 else []
        if account and per_account > 0:
            keys.append((f"{rule.kind}:account:{account}", per_account))
        if keys:
            wait = await run_in_threadpool(self.counts.hit, scope["app"].state.make_session, *keys)
            if wait is not None:
                await _too_many(scope, rule, wait)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _uploader(self, scope: Scope) -> str:
        return uploader_of(scope, secret=self.secret)


def uploader_of(scope: Scope, *, secret: str) -> str:
    """Who is uploading, from the bearer token or the page session, without the database ("": nobody known)."""
    authorization = Headers(scope=scope).get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.startswith(security.API_TOKEN_PREFIX):
        return "token:" + security.api_token_hash(token)[:32]
    if scheme.lower() == "bearer" and token:
        try:
            return f"user:{security.read_access_token(token, secret=secret).user_id}"
        except security.InvalidToken:
            return ""
    user_id = scope.get("session", {}).get(USER_KEY)
    return f"user:{user_id}" if user_id else ""


def _rule_for(scope: Scope) -> Rule | None:
    if scope["type"] != "http":
        return None
    path = scope.get("path", "").rstrip("/") or "/"
    return next((r for r in RULES if r.method == scope["method"] and r.path.fullmatch(path)), None)


async def _sign_in_account(scope: Scope, receive: Receive, field: str) -> tuple[str | None, Receive]:
    """The account named in a sign-in form, and a `receive` that hands the app the body again.

    The form is read as the app reads it (URL-encoded or multipart alike), so no encoding escapes the
    per-account limit. None: a form too large to be a sign-in, refused before the app sees it."""
    chunks: list[Message] = []
    size, more = 0, True
    while more and size <= _MAX_SIGN_IN_BODY:
        message = await receive()
        chunks.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        more = message.get("more_body", False)

    async def replay() -> Message:
        return chunks.pop(0) if chunks else await receive()

    if more or size > _MAX_SIGN_IN_BODY:
        return None, replay
    body = b"".join(m.get("body", b"") for m in chunks if m["type"] == "http.request")

    async def whole_body() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        async with Request(scope, whole_body).form(max_files=0, max_fields=20) as form:
            value = form.get(field)
    except Exception:  # not a form the app will accept either: its own parser answers
        return "", replay
    return (value.strip().lower()[:254] if isinstance(value, str) else ""), replay


def _too_large(scope: Scope) -> Response:
    message = "This sign-in form is far larger than a sign-in form can be."
    if scope.get("path", "").startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=413)
    return PlainTextResponse(message, status_code=413)


def _too_many(scope: Scope, rule: Rule, wait: float) -> Response:
    what = "sign-in attempts" if rule.kind == "sign_in" else "uploads"
    message = f"Too many {what} in a short time. Please wait a minute and try again."
    headers = {"Retry-After": str(math.floor(wait) + 1)}  # past the moment itself: at it, still refused
    if scope.get("path", "").startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=429, headers=headers)
    return PlainTextResponse(message, status_code=429, headers=headers)
