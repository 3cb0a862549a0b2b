"""The application: REST under /api/v1, OpenAPI at /docs, health at /healthz."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import cache, partial

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.access_log import hide_private_links
from api.docs import install_docs
from api.errors import ERROR_RESPONSES, install_error_handlers
from api.lanes import Lanes
from api.ratelimit import RateLimit
from api.routes import (
    albums,
    audit,
    auth,
    class_lists,
    clearances,
    consent_requests,
    consents,
    events,
    faces,
    groups,
    people,
    takedowns,
)
from api.security_headers import SecurityHeaders
from api.web.not_found import install_not_found_page
from api.web.routes import SESSION_COOKIE, SESSION_MAX_AGE, static_files, web_router
from api.web.uploads import FORM_OVERHEAD_BYTES, refused_upload_scope, upload_form
from registry.albums.runner import AlbumRunner
from registry.analysis.mode import analyser
from registry.analysis.queue import Dispatcher, conninfo
from registry.core.db import make_engine, new_session
from registry.core.settings import Settings, get_settings
from registry.faces.analysis_pool import pool_size, shared_pool
from registry.faces.templates import TemplateCache
from registry.policy.ledger import District
from registry.policy.pack import load_active_pack
from registry.takedowns.daily_recheck import DailyRecheck

API_PREFIX = "/api/v1"


class BodyLimit:
    """Refuses a request body larger than the limit before reading it (``larger``: per-path limits).

    A page's upload form (api/web/uploads.py) has its own kind's limit, and its refusal is that form's
    page, saying what happened, rather than the API's JSON.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, larger: dict[str, int] | None = None, settings: Settings
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        original = dict(scope)  # the app's routing writes into scope; a refusal's form page starts afresh
        path = scope.get("path", "")
        page = upload_form(path) if scope.get("method") == "POST" else None
        max_bytes = page[0].limit(self.settings) if page else self.larger.get(path, self.max_bytes)

        async def refuse() -> None:
            if page is None:
                message = f"The upload is larger than {max_bytes // (1024 * 1024)} MB."
                await JSONResponse({"detail": message}, status_code=413)(scope, receive, send)
                return
            form, form_page = page
            await self.app(
                refused_upload_scope(original, form=form, form_page=form_page, limit=max_bytes),
                _no_body,
                partial(_as_status, 413, send),
            )

        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await refuse()
            return
        received = 0
        state = {"started": False, "refused": False}

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
                # Answer now: the app may catch the error below and answer a vaguer 400 of its own.
                if not state["started"] and not state["refused"]:
                    state["refused"] = True
                    await refuse()
                raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if not state["refused"]:  # after the 413, whatever the app answers is dropped
                state["started"] = True
                await send(message)

        # Refused above, or the app had already started its answer: either way nothing more to send.
        with suppress(_BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _as_status(status: int, send: Send, message: Message) -> None:
    """A form page shown for a refused upload answers the refusal's status (a redirect to sign in stays one)."""
    if message["type"] == "http.response.start" and message["status"] == 200:
        message = {**message, "status": status}
    await send(message)


class _BodyTooLarge(Exception):
    pass


def start_album_runner(app: FastAPI) -> AlbumRunner | None:
    """Clears album photos in the background; not on a test's shared connection (one thread per connection).
    In the external mode the queue's workers clear them: the dispatcher is woken instead."""
    if app.state.dispatcher is not None:
        app.state.album_runner = app.state.dispatcher
        return None
    if not isinstance(app.state.bind, Engine):
        return None
    runner = AlbumRunner(
        app.state.bind,
        settings=app.state.settings,
        pack=app.state.pack,
        templates=app.state.templates,
        pool=app.state.analysis_pool,
    )
    runner.start()
    app.state.album_runner = runner
    return runner


@cache
def service_routes() -> tuple[BaseRoute, ...]:
    """The API's and the pages' routes, built once per process (building them is most of making an app): a
    route holds nothing of any one app, and every app of the process serves the same ones. No route depends
    on an app's ``dependency_overrides``, so they are included in a router of their own."""
    api = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    for module in (
        auth,
        people,
        faces,
        consents,
        consent_requests,
        events,
        clearances,
        takedowns,
        audit,
        albums,
        groups,
        class_lists,
    ):
        api.include_router(module.router)
    every = APIRouter()
    every.include_router(api)
    every.include_router(web_router())
    return tuple(every.routes)


def create_app(
    settings: Settings | None = None,
    *,
    bind: Engine | Connection | None = None,
    warm_start: bool | None = None,
) -> FastAPI:
    """The app on the settings' database, or on `bind` (tests hand in a connection they roll back).

    ``warm_start`` (by default, when the app owns its database: the real service): start-up waits until
    every face-engine worker has loaded the models, and /healthz answers 503 while they are not loaded,
    so that the first photo after a start takes as long as any other, even one refused for its type."""
    settings = settings or get_settings()
    if settings.analysis == "external":
        conninfo(settings)  # ExternalAnalysisUnavailable on SQLite, before anything starts
    owns_engine = bind is None
    bind = bind if bind is not None else make_engine(settings.sqlalchemy_url)
    warm_start = owns_engine if warm_start is None else warm_start

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.dispatcher is not None:  # the queue's tables, made on first use
            await asyncio.to_thread(app.state.dispatcher.open)
        elif warm_start:  # in a thread: the event loop (and uvicorn's own health check) goes on meanwhile
            await asyncio.to_thread(app.state.analysis_pool.warm)
        runner = start_album_runner(app)
        daily = None
        if owns_engine and isinstance(bind, Engine):  # the real service: tests drive the re-check themselves
            daily = DailyRecheck(
                bind,
                district=District(app.state.pack, settings.time_zone),
                at=settings.expiry_scan_at,
                settings=settings,
            )
            daily.start()
        yield
        if daily is not None:
            daily.stop()
        if runner is not None:
            runner.stop()
        app.state.analysis_pool.shutdown()  # a later app in this process starts it again (tests do)
        if app.state.dispatcher is not None:
            app.state.dispatcher.close()
        if owns_engine and isinstance(bind, Engine):
            bind.dispose()

    app = FastAPI(
        title="Consent Registry",
        description="Records consents and clears photos for posting under district policy.",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,  # see install_docs
    )
    app.state.settings = settings
    app.state.pack = load_active_pack(settings.policy_pack)
    app.state.templates = TemplateCache()
    app.state.bind = bind
    app.state.make_session = partial(
        new_session, bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    app.state.analysis_pool = shared_pool(pool_size(settings))
    app.state.dispatcher = (
        Dispatcher(bind if isinstance(bind, Engine) else bind.engine, settings)
        if settings.analysis == "external"
        else None
    )
    app.state.analyse = analyser(settings, pool=lambda: app.state.analysis_pool, dispatcher=app.state.dispatcher)
    install_error_handlers(app)
    install_not_found_page(app)
    hide_private_links()

    app.router.routes.extend(service_routes())
    app.mount("/static", static_files(), name="static")
    install_docs(app)

    @app.get("/healthz", tags=["health"], responses={503: {"description": "the face engine is still loading"}})
    def healthz(request: Request) -> JSONResponse:
        dispatcher = request.app.state.dispatcher
        with request.app.state.make_session() as session:
            session.execute(text("SELECT 1"))
            if dispatcher is not None:  # the face engine is elsewhere: say how many workers are alive
                return JSONResponse({"status": "ok", "face_engine_workers": dispatcher.workers_alive(session)})
        pool = request.app.state.analysis_pool
        if warm_start and not pool.ready:  # a worker died and was replaced, say: load it again, not on a photo
            pool.warm_in_background()
            return JSONResponse({"status": "starting", "detail": "The face engine is loading."}, status_code=503)
        return JSONResponse({"status": "ok"})

    # Innermost: a request waits for its lane's turn once the rate limits and the body limit have let it in.
    # In the external mode a photo's request only waits for a worker elsewhere, using no core here: the lane is
    # as wide as it may be (16; REGISTRY_PHOTO_CHECKS_AT_ONCE still sets it).
    lane_workers = app.state.analysis_pool.processes if app.state.dispatcher is None else 15
    app.add_middleware(Lanes, settings=settings, workers=lane_workers)
    app.add_middleware(RateLimit, settings=settings)  # inside the session: it reads the page's signed-in user
    app.add_middleware(  # inside the session too: a page's refused upload is answered with the form's page
        BodyLimit,
        max_bytes=max(settings.upload_limit(kind) for kind in ("photo", "scan", "reference_photo", "roster"))
        + FORM_OVERHEAD_BYTES,
        larger={f"{API_PREFIX}/clearances/batch": settings.max_album_bytes},
        settings=settings,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.session_cookie_secure,
    )
    app.add_middleware(SecurityHeaders)  # outermost: every answer has them, refusals included
    return app
