"""All the pages in one router, and the pieces the app needs to serve them."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from api.web import (
    pages_admin,
    pages_albums,
    pages_class_lists,
    pages_clearances,
    pages_consent_forms,
    pages_consent_requests,
    pages_consents,
    pages_faces,
    pages_family,
    pages_family_acts,
    pages_groups,
    pages_naming,
    pages_office,
    pages_people,
    pages_privacy,
    pages_review,
    pages_session,
    pages_takedowns,
)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
SESSION_COOKIE = "registry_session"
SESSION_MAX_AGE = 10 * 60 * 60  # a working day: the cookie and its signature expire together


def web_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for module in (
        pages_session,
        pages_people,
        pages_consent_forms,
        pages_consents,
        pages_consent_requests,
        pages_faces,
        pages_office,
        pages_admin,
        pages_clearances,
        pages_naming,
        pages_albums,
        pages_review,
        pages_takedowns,
        pages_class_lists,
        pages_family,
        pages_family_acts,
        pages_groups,
        pages_privacy,
    ):
        router.include_router(module.router)
    return router


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
