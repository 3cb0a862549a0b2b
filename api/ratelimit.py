"""Rate limits on sign-in and uploads: a sliding window per client address and per account.

The counts live in the worker process. With `serve --workers N` a client that spreads its
requests over every worker gets at most N times the limit; that is accepted, because these limits
only blunt floods and password guessing, and the guard that matters for guessing, the account
lockout after repeated failures, is kept in the database and so shared by every worker.

Requests refused here are not counted, so a client that keeps hammering is let in again as soon
as its oldest counted request leaves the window.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.web.auth import USER_KEY
from registry.accounts import security
from registry.core.settings import Settings

# A sign-in form is a few hundred bytes; past this the account name is not looked for.
_MAX_SIGN_IN_BODY = 16 * 1024


class SlidingWindow:
    """Counts events per key over the last `window` seconds; thread-safe, memory bounded by the limits."""

    def __init__(self, *, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def hit(self, key: str, limit: int) -> float | None:
        """Count one event for `key`; if `limit` are already in the window, count nothing and
        return the seconds until one leaves it."""
        now = self.clock()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                return hits[0] + self.window - now
            hits.append(now)
            return None

    def _sweep(self, now: float) -> None:
        self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}
        self._next_sweep = now + self.window


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
        self.window = SlidingWindow(window=settings.rate_limit_window_seconds)
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
        client = scope.get("client")
        keys = [(f"{rule.kind}:client:{client[0] if client else 'unknown'}", per_client)]
        if account:
            keys.append((f"{rule.kind}:account:{account}", per_account))
        for key, limit in keys:
            wait = self.window.hit(key, limit) if limit > 0 else None
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
    headers = {"Retry-After": str(max(1, math.ceil(wait)))}
    if scope.get("path", "").startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=429, headers=headers)
    return PlainTextResponse(message, status_code=429, headers=headers)
