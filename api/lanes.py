"""Two lanes for requests, so that health checks, sign-in and pages never wait behind face analysis.

Reading a photo's faces takes seconds of a worker process; everything else takes milliseconds. Each
service process lets at most ``GENERAL_AT_ONCE`` ordinary requests and ``photo_checks_at_once`` photo
checks (a photo to clear, a blurred copy, a reference face to enrol) be in progress at once, each lane
waiting on the event loop for its own turn. Both stay below the thread pool's 40 threads together: each
request in progress uses one thread at a time while hopping between them, and with more in progress than
threads, a request holding SQLite's write lock could wait for a thread every other request holds while
waiting for that lock.

A photo check waits for its turn only as long as ``photo_check_wait_seconds``, and not at all when the
photos ahead of it (the recent photos' time, a lane's width at a time) would take longer, or when its
account already has ``photo_checks_per_account`` photos read or waiting. It is then answered at once: a
photo to clear is queued as a one-photo album and followed like one (the route reads ``queued_instead``);
anything else is answered ``503`` with ``Retry-After``. No photo is decided without its analysis.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import Counter, deque
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.ratelimit import uploader_of
from registry.core.settings import Settings

GENERAL_AT_ONCE = 20
QUEUED_INSTEAD = "photo_queued_instead"  # in the request's state: no turn in the lane, queue the photo
FIRST_GUESS_SECONDS = 3.0  # a photo's time in the lane before any has been measured


@dataclass(frozen=True)
class PhotoCheckRoute:
    method: str
    path: re.Pattern[str]
    queueable: bool  # a photo to clear: queued as a one-photo album when the lane is full


PHOTO_CHECKS = (
    PhotoCheckRoute("POST", re.compile(r"/api/v1/clearances"), queueable=True),
    PhotoCheckRoute("POST", re.compile(r"/clearances/new"), queueable=True),
    PhotoCheckRoute("GET", re.compile(r"/api/v1/clearances/[^/]+/redacted"), queueable=False),
    PhotoCheckRoute("GET", re.compile(r"/clearances/[^/]+/blurred"), queueable=False),
    PhotoCheckRoute("POST", re.compile(r"/api/v1/people/[^/]+/faces"), queueable=False),
    PhotoCheckRoute("POST", re.compile(r"/people/[^/]+/faces(/preview)?"), queueable=False),
)


def photo_check_route(scope: Scope) -> PhotoCheckRoute | None:
    path = scope.get("path", "").rstrip("/") or "/"
    return next((r for r in PHOTO_CHECKS if r.method == scope.get("method") and r.path.fullmatch(path)), None)


def queued_instead(request: Request) -> bool:
    """This photo got no turn to be read in its request: queue it instead (registry/albums/service.py)."""
    return bool(getattr(request.state, QUEUED_INSTEAD, False))


class PhotoLane:
    """A bounded queue of photo checks, first come first served, with a share per account. Used on the
    event loop only: no locks."""

    def __init__(self, *, width: int, per_account: int, wait_seconds: float) -> None:
        self.width, self.per_account, self.wait_seconds = width, per_account, wait_seconds
        self.typical_seconds = FIRST_GUESS_SECONDS
        self._free = width
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._held: Counter[str] = Counter()  # an account's photos read or waiting

    def expected_wait(self) -> float:
        """Seconds until a photo arriving now would get its turn (0 when a turn is free)."""
        if self._free and not self._waiting:
            return 0.0
        return (len(self._waiting) // self.width + 1) * self.typical_seconds

    async def enter(self, account: str) -> bool:
        """True: this request holds a turn (``leave`` gives it back). False: it got none, and holds nothing."""
        if account and self._held[account] >= self.per_account:
            return False
        if self._free and not self._waiting:
            self._free -= 1
            self._held[account] += 1
            return True
        if self.expected_wait() > self.wait_seconds:
            return False
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        self._held[account] += 1
        try:
            await asyncio.wait_for(asyncio.shield(turn), self.wait_seconds)
        except BaseException as exc:  # its wait is over, or the client went away
            if turn.done() and not turn.cancelled():
                self._hand_on()  # the turn came as the wait ended: the next in line has it
            else:
                self._waiting.remove(turn)
                turn.cancel()
            self._release(account)
            if isinstance(exc, TimeoutError):
                return False
            raise
        return True

    def leave(self, account: str, seconds: float) -> None:
        self.typical_seconds = 0.7 * self.typical_seconds + 0.3 * seconds
        self._release(account)
        self._hand_on()

    def _release(self, account: str) -> None:
        self._held[account] -= 1
        if self._held[account] <= 0:
            del self._held[account]

    def _hand_on(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1


class Lanes:
    """ASGI middleware: ordinary requests and photo checks each wait for a turn in their own lane."""

    def __init__(self, app: ASGIApp, *, settings: Settings, workers: int) -> None:
        self.app = app
        self.secret = settings.secret_key
        self.photos = PhotoLane(
            width=settings.photo_checks_at_once or workers + 1,
            per_account=settings.photo_checks_per_account,
            wait_seconds=settings.photo_check_wait_seconds,
        )
        self._general: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._general is None:
            self._general = asyncio.Semaphore(GENERAL_AT_ONCE)
        route = photo_check_route(scope)
        if route is None:
            async with self._general:
                await self.app(scope, receive, send)
            return
        account = uploader_of(scope, secret=self.secret)
        if await self.photos.enter(account):
            started = time.monotonic()
            try:
                await self.app(scope, receive, send)
            finally:
                self.photos.leave(account, time.monotonic() - started)
        elif route.queueable:
            scope.setdefault("state", {})[QUEUED_INSTEAD] = True
            async with self._general:  # queueing the photo is ordinary work: a write, then an answer
                await self.app(scope, receive, send)
        else:
            await _busy(scope, self.photos.expected_wait())(scope, receive, send)


def _busy(scope: Scope, wait: float) -> Response:
    message = (
        "Many photos are being checked just now, so this one was not started. Please try again in a minute; "
        "nothing of it was kept."
    )
    headers = {"Retry-After": str(max(1, math.ceil(wait)))}
    if scope.get("path", "").startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=503, headers=headers)
    return PlainTextResponse(message, status_code=503, headers=headers)
