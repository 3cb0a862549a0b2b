"""Albums: many photos at once (a coach after a game), cleared in the background, shown by decision."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from api.deps import PackDep, SessionDep, SettingsDep
from api.responses import jpeg
from api.web.auth import FormDep, PageRoute, PageUser
from api.web.forms import FORM, checked, optional, text_values, uploaded
from api.web.held_photos import HeldAlbum, forget_album, held_album, hold_album
from api.web.pages_clearances import check_request, form_page, photo_check
from api.web.templating import render
from api.web.uploads import too_large
from registry.albums import service as albums
from registry.albums.files import IncomingPhoto, display_name, keep_photo, photos_in_zip
from registry.core.db import discard, hand_over
from registry.core.errors import RegistryError, TooLarge
from registry.core.settings import Settings
from registry.core.storage import storage_for
from registry.models.accounts import User
from registry.models.albums import AlbumJob
from registry.models.base import id_of
from registry.policy.pack import PolicyPack

router = APIRouter(route_class=PageRoute, include_in_schema=False)
THUMBNAIL_URL = "/albums/{album}/items/{item}/thumbnail"
GROUPS = (
    ("take_down", "Take down now: no longer allowed"),
    ("blocked", "Do not post"),
    ("needs_review", "Waiting for a reviewer"),
    ("allowed", "May be posted"),
    ("taken_down", "Taken down"),
)


@router.get("/albums/new")
def new_album_form(request: Request, session: SessionDep, pack: PackDep, _: PageUser) -> Response:
    return form_page(
        request, session, pack, values={"destination": "personal_social_media", "tags": []}, errors={}, album=True
    )


@router.post("/albums/new")
def start_album(
    request: Request,
    form: FormDep,
    session: SessionDep,
    settings: SettingsDep,
    pack: PackDep,
    user: PageUser,
) -> Response:
    values = text_values(form)
    values["tags"] = checked(form, "tags")
    photos = [p for p in form.getlist("photos") if isinstance(p, UploadFile) and p.filename]
    archive = uploaded(form, "zip")
    token = optional(values, "held_album")
    chosen = bool(photos) or archive is not None
    held = None if chosen else held_album(settings, user_id=id_of(user), token=token)
    if chosen:  # photos chosen again replace the ones kept
        forget_album(settings, user_id=id_of(user), token=token)
    job: AlbumJob | None = None
    with ExitStack() as opened:
        if held is not None:
            photos, archive = _reopened(settings, held, opened)
        errors = _check_album(settings, values, photos, archive)
        if token and held is None and not chosen:
            errors["photo"] = "The photos kept after the mistake are no longer kept (30 minutes): choose them again."
        if not errors:
            job = _started_album(
                session, values, photos, archive, user=user, pack=pack, settings=settings, errors=errors
            )
    if job is None:
        kept = _keep_after_mistake(settings, errors, user=user, held=held, photos=photos, archive=archive)
        if held is not None and kept is None:
            forget_album(settings, user_id=id_of(user), token=token)
        extra = {"held_album": kept.token, "held_words": kept.words()} if kept else {"photo_lost": chosen or bool(held)}
        return form_page(request, session, pack, values={**values, **extra}, errors=errors, status_code=422, album=True)
    forget_album(settings, user_id=id_of(user), token=token)
    hand_over(session)
    runner = getattr(request.app.state, "album_runner", None)
    if runner is not None:
        runner.wake()
    return RedirectResponse(f"/albums/{job.id}", status_code=303)


@router.post("/albums/new/forget")
def forget_kept_photos(form: FormDep, settings: SettingsDep, user: PageUser) -> Response:
    """The sender does not want the photos kept after a mistake: they are deleted now."""
    forget_album(settings, user_id=id_of(user), token=optional(text_values(form), "held_album"))
    return RedirectResponse("/albums/new", status_code=303)


def _check_album(
    settings: Settings, values: dict[str, Any], photos: list[UploadFile], archive: UploadFile | None
) -> dict[str, str]:
    errors = check_request(values, bool(photos) or archive is not None)
    if errors.get("photo"):
        errors["photo"] = "Choose the photos, or a zip file of them."
    if len(photos) > settings.max_album_photos:
        errors["photo"] = f"An album takes at most {settings.max_album_photos} photos; you chose {len(photos)}."
    if sum(p.size or 0 for p in photos) > settings.max_album_bytes:
        errors["photo"] = too_large(settings, "album", size=sum(p.size or 0 for p in photos))
    return errors


def _started_album(
    session: Session,
    values: dict[str, Any],
    photos: list[UploadFile],
    archive: UploadFile | None,
    *,
    user: User,
    pack: PolicyPack,
    settings: Settings,
    errors: dict[str, str],
) -> AlbumJob | None:
    """The album with its photos; or None, ``errors`` filled in and nothing kept of it."""
    try:
        job = albums.start_album(session, photo_check(values, user), source="web", pack=pack)
    except RegistryError as exc:
        discard(session)
        errors[FORM] = exc.message
        return None
    try:
        _add_photos(session, job=job, photos=photos, archive=archive, settings=settings)
    except RegistryError as exc:  # the zip: unreadable, or too many or too large photos in it
        discard(session)
        errors["zip"] = exc.message
        return None
    return job


def _keep_after_mistake(
    settings: Settings,
    errors: dict[str, str],
    *,
    user: User,
    held: HeldAlbum | None,
    photos: list[UploadFile],
    archive: UploadFile | None,
) -> HeldAlbum | None:
    """The photos kept for the form sent again: those already kept, or the ones just chosen; none when the
    mistake is in the photos themselves (too many, too large, an unreadable zip) or none were chosen."""
    if "photo" in errors or "zip" in errors or not (photos or archive):
        return None
    if held is not None:
        return held
    return hold_album(
        settings,
        user_id=id_of(user),
        photos=[(display_name(p.filename, f"photo {n}"), p.file) for n, p in enumerate(photos, 1)],
        zip_file=(display_name(archive.filename, "photos.zip"), archive.file) if archive is not None else None,
        max_bytes=settings.max_album_bytes,
    )


def _reopened(settings: Settings, held: HeldAlbum, opened: ExitStack) -> tuple[list[UploadFile], UploadFile | None]:
    """The kept photos, as if they had been chosen again: each fetched from the store to a temporary file,
    deleted when ``opened`` closes."""
    store = storage_for(settings)
    folder = Path(opened.enter_context(tempfile.TemporaryDirectory(prefix="held-album-")))

    def upload(name: str, key: str) -> UploadFile:
        path = folder / key.rsplit("/", 1)[-1]
        store.get_file(key, path)
        return UploadFile(opened.enter_context(path.open("rb")), size=path.stat().st_size, filename=name)

    return [upload(name, key) for name, key in held.photos], (upload(*held.zip) if held.zip else None)


def _add_photos(
    session: Session, *, job: AlbumJob, photos: list[UploadFile], archive: UploadFile | None, settings: Settings
) -> None:
    """Keeps every photo chosen, then every photo in the zip; a photo that is refused is listed with its reason.
    A zip that cannot be taken as a whole is refused before anything is kept."""
    in_zip: list[IncomingPhoto] = []
    if archive is not None:
        room = settings.max_album_photos - len(photos)
        if room <= 0:
            raise TooLarge(f"An album takes at most {settings.max_album_photos} photos.")
        members = photos_in_zip(
            archive.file,
            store=storage_for(settings),
            max_members=room,
            max_member_bytes=settings.max_upload_bytes,
            max_total_bytes=settings.max_album_bytes,
        )
        first = next(members, None)  # the zip's directory is checked here, before any photo is kept
        in_zip = [first, *members] if first is not None else []
    incoming = [
        keep_photo(
            display_name(upload.filename, f"photo {number}"),
            upload.file,
            store=storage_for(settings),
            max_bytes=settings.max_upload_bytes,
        )
        for number, upload in enumerate(photos, 1)
    ]
    for position, photo in enumerate(incoming + in_zip):
        albums.add_photo(
            session,
            job=job,
            position=position,
            name=photo.name,
            photo_file=photo.photo_file,
            error=photo.error,
            settings=settings,
        )


@router.get("/albums")
def album_list(request: Request, session: SessionDep, user: PageUser) -> Response:
    rows, _ = albums.list_albums(session, user=user, limit=50, offset=0)
    return render(
        request,
        "albums/list.html",
        {"albums": [albums.album_public(session, job, thumbnail_url=THUMBNAIL_URL) for job in rows]},
    )


@router.get("/albums/{album_id}")
def album_page(request: Request, album_id: int, session: SessionDep, user: PageUser) -> Response:
    return render(request, "albums/detail.html", _progress(session, album_id, user))


@router.get("/albums/{album_id}/progress")
def album_progress(request: Request, album_id: int, session: SessionDep, user: PageUser) -> Response:
    """The parts of the album's page that change while it is checked, for the page to update in place."""
    return render(request, "albums/_progress.html", _progress(session, album_id, user))


def _progress(session: Session, album_id: int, user: User) -> dict[str, Any]:
    album = albums.album_public(session, albums.get_album_for(session, album_id, user), thumbnail_url=THUMBNAIL_URL)
    return {
        "album": album,
        "done": album.counts.get("done", 0) + album.counts.get("failed", 0),
        "groups": [(standing, label, [i for i in album.items if i.standing == standing]) for standing, label in GROUPS],
        "standings": {standing: sum(1 for i in album.items if i.standing == standing) for standing, _ in GROUPS},
        "failed": [i for i in album.items if i.status == "failed"],
    }


@router.get("/albums/{album_id}/items/{item_id}/thumbnail")
def album_thumbnail(album_id: int, item_id: int, session: SessionDep, user: PageUser) -> Response:
    return jpeg(albums.item_thumbnail(session, album_id=album_id, item_id=item_id, user=user))
