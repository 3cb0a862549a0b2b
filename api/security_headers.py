"""Headers that tell browsers to run only the service's own scripts, never to frame its pages, never to
guess a file's type, and not to send its addresses to other sites.

Pages carry no inline script: every script is a file under /static (or the API docs' bundled Swagger UI
under /docs/assets), so ``script-src 'self'`` holds everywhere. Style attributes stay allowed for the
face boxes drawn over a photo; style elements are only allowed on the docs page, whose Swagger UI
injects them.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
COMMON = {
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"cross-origin-opener-policy": b"same-origin",
}


class SecurityHeaders:
    """Adds the headers to every answer; a header the answer set itself (a download's sandbox) is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        policy = DOCS_POLICY if path == "/docs" or path.startswith("/docs/") else PAGE_POLICY
        wanted = {**COMMON, b"content-security-policy": policy.encode()}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in wanted.items() if name not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
