"""Clearing one uploaded photo from a request: the API route and the web page share this."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from sqlmodel import Session

from registry.clearances import service as clearances
from registry.core.settings import Settings
from registry.faces.analysis_pool import AnalysisPool, analysis_settings
from registry.faces.templates import TemplateCache
from registry.models.accounts import User
from registry.models.clearances import Clearance
from registry.policy import PolicyPack


def clear_uploaded_photo(
    request: Request,
    session: Session,
    *,
    photo: bytes,
    uploader: User,
    destination: str,
    event_id: int | None,
    context_kind: str | None,
    context_public: bool | None,
    tags: Sequence[str],
    caption: str | None,
    settings: Settings,
    pack: PolicyPack,
    templates: TemplateCache,
) -> Clearance:
    """Checks the request, reads the faces in a worker process, then decides and records.

    A photo that would be allowed is searched again first (a larger copy, turned copies, a
    pose-robust detector) if a face the first search missed could change that (see
    ``clearances.needs_closer_look``).

    The request's transaction is ended before the seconds of face work: on SQLite it holds the write
    lock (BEGIN IMMEDIATE) and would stall every other request in every worker meanwhile.
    """
    context = clearances.resolve_context(
        session, event_id=event_id, context_kind=context_kind, context_public=context_public
    )
    clearances.check_request_words(destination=destination, tags=tags, pack=pack)
    session.commit()
    pool: AnalysisPool = request.app.state.analysis_pool
    analysis = pool.analyse(photo, analysis_settings(settings))
    if clearances.needs_closer_look(
        session,
        analysis=analysis,
        uploader=uploader,
        context=context,
        destination=destination,
        tags=tags,
        caption=caption,
        settings=settings,
        pack=pack,
        templates=templates,
    ):
        session.rollback()  # nothing was recorded; do not hold the database during the second search
        analysis = pool.analyse(photo, clearances.closer_look_settings(settings, analysis))
    return clearances.record_clearance(
        session,
        analysis=analysis,
        uploader=uploader,
        context=context,
        destination=destination,
        tags=tags,
        caption=caption,
        settings=settings,
        pack=pack,
        templates=templates,
        photo_file=clearances.store_upload(settings.uploads_dir, photo),
    )
