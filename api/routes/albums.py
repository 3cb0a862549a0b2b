"""Album clearance: many photos (files and/or a zip) in one upload, cleared in the background."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from sqlmodel import Session

from api.deps import CurrentUser, Limit, Offset, PackDep, SessionDep, SettingsDep
from api.responses import JPEG_RESPONSES, jpeg
from registry.albums import service as albums
from registry.albums.files import display_name, keep_photo, photos_in_zip
from registry.clearances.check import PhotoCheck
from registry.core.errors import Invalid, TooLarge
from registry.core.schemas import Page
from registry.core.storage import storage_for
from registry.models.albums import AlbumJob
from registry.policy.vocabulary import ContextKind, Destination

router = APIRouter(tags=["albums"])
THUMBNAIL_URL = "/api/v1/albums/{album}/items/{item}/thumbnail"


def _tags(values: list[str]) -> list[str]:
    return sorted({t.strip() for value in values for t in value.split(",") if t.strip()})


@router.post(
    "/clearances/batch",
    response_model=albums.AlbumPublic,
    status_code=202,
    responses={202: {"description": "accepted; follow the album at Location"}},
)
def clear_album(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    pack: PackDep,
    user: CurrentUser,
    destination: Annotated[Destination, Form()],
    photos: Annotated[list[UploadFile], File(description="the photos: JPEG, PNG or WebP, repeat the field")] = [],  # noqa: B006
    zip: Annotated[UploadFile | None, File(description="or a zip of photos (folders inside are ignored)")] = None,
    event_id: Annotated[int | None, Form(description="the district event they were taken at")] = None,
    context_kind: Annotated[ContextKind | None, Form(description="without an event: where they were taken")] = None,
    context_public: Annotated[bool | None, Form(description="without an event: open to the public?")] = None,
    tags: Annotated[list[str], Form(description="e.g. district_logo, premises_interior, building_exterior")] = [],  # noqa: B006
    caption: Annotated[str | None, Form(max_length=2000)] = None,
) -> JSONResponse:
    """Every photo is kept before this answers; a photo that cannot be read is reported, the rest go on."""
    if not photos and zip is None:
        raise Invalid("Send the photos as repeated 'photos' files, or one 'zip'.")
    if len(photos) > settings.max_album_photos:
        raise TooLarge(f"An album takes at most {settings.max_album_photos} photos; this upload has {len(photos)}.")
    job = albums.start_album(
        session,
        PhotoCheck(
            uploader=user,
            destination=destination,
            event_id=event_id,
            context_kind=context_kind,
            context_public=context_public,
            tags=tuple(_tags(tags)),
            caption=caption,
        ),
        source="api",
        pack=pack,
    )
    position = 0
    for number, upload in enumerate(photos, 1):
        incoming = keep_photo(
            display_name(upload.filename, f"photo {number}"),
            upload.file,
            store=storage_for(settings),
            max_bytes=settings.max_upload_bytes,
        )
        albums.add_photo(
            session,
            job=job,
            position=position,
            name=incoming.name,
            photo_file=incoming.photo_file,
            error=incoming.error,
            settings=settings,
        )
        position += 1
    if zip is not None:
        room = settings.max_album_photos - position
        if room <= 0:
            raise TooLarge(f"An album takes at most {settings.max_album_photos} photos.")
        for incoming in photos_in_zip(
            zip.file,
            store=storage_for(settings),
            max_members=room,
            max_member_bytes=settings.max_upload_bytes,
            max_total_bytes=settings.max_album_bytes,
        ):
            albums.add_photo(
                session,
                job=job,
                position=position,
                name=incoming.name,
                photo_file=incoming.photo_file,
                error=incoming.error,
                settings=settings,
            )
            position += 1
    return accepted(request, session, job, background)


def accepted(request: Request, session: Session, job: AlbumJob, background: BackgroundTasks) -> JSONResponse:
    """202 with the album as it stands, to be followed at Location; the runner is woken once this commits."""
    runner = getattr(request.app.state, "album_runner", None)
    if runner is not None:
        background.add_task(runner.wake)  # after the commit: the items are there to claim
    body = albums.album_public(session, job, thumbnail_url=THUMBNAIL_URL)
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=202,
        background=background,
        headers={"Location": f"/api/v1/albums/{job.id}"},
    )


@router.get("/albums", response_model=Page[albums.AlbumPublic])
def list_albums(session: SessionDep, user: CurrentUser, limit: Limit = 20, offset: Offset = 0) -> Page[Any]:
    """Newest first; employees see their own albums only."""
    rows, total = albums.list_albums(session, user=user, limit=limit, offset=offset)
    return Page(
        items=[albums.album_public(session, job, thumbnail_url=THUMBNAIL_URL) for job in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/albums/{album_id}", response_model=albums.AlbumPublic)
def get_album(album_id: int, session: SessionDep, user: CurrentUser) -> albums.AlbumPublic:
    """Progress (counts by status and by decision) and every photo with its clearance or its error."""
    job = albums.get_album_for(session, album_id, user)
    return albums.album_public(session, job, thumbnail_url=THUMBNAIL_URL)


@router.get("/albums/{album_id}/items/{item_id}/thumbnail", response_class=Response, responses=JPEG_RESPONSES)
def album_thumbnail(album_id: int, item_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """A 240 px copy of a cleared photo, for a grid of the album by decision."""
    return jpeg(albums.item_thumbnail(session, album_id=album_id, item_id=item_id, user=user))
