"""Albums: many photos at once (a coach after a game), cleared in the background, shown by decision."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from api.deps import PackDep, SessionDep, SettingsDep
from api.responses import jpeg
from api.web.auth import FormDep, PageRoute, PageUser
from api.web.forms import FORM, checked, optional, text_values
from api.web.pages_clearances import check_request, form_page
from api.web.templating import render
from registry.albums import service as albums
from registry.albums.files import display_name, keep_photo
from registry.clearances.check import PhotoCheck
from registry.core.db import discard, hand_over
from registry.core.errors import RegistryError

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
    errors = check_request(values, bool(photos))
    if len(photos) > settings.max_album_photos:
        errors["photo"] = f"An album takes at most {settings.max_album_photos} photos; you chose {len(photos)}."
    if not errors:
        event_id = optional(values, "event_id")
        try:
            job = albums.start_album(
                session,
                PhotoCheck(
                    uploader=user,
                    destination=str(values["destination"]),
                    event_id=int(event_id) if event_id else None,
                    context_kind=None if event_id else str(values.get("context_kind")),
                    context_public=None if event_id else values.get("context_public") == "yes",
                    tags=tuple(values["tags"]),
                    caption=optional(values, "caption"),
                ),
                source="web",
                pack=pack,
            )
        except RegistryError as exc:
            discard(session)
            errors[FORM] = exc.message
    if errors:
        return form_page(
            request,
            session,
            pack,
            values={**values, "photo_lost": bool(photos)},
            errors=errors,
            status_code=422,
            album=True,
        )
    for position, upload in enumerate(photos):
        incoming = keep_photo(
            display_name(upload.filename, f"photo {position + 1}"),
            upload.file,
            directory=settings.uploads_dir,
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
    hand_over(session)
    runner = getattr(request.app.state, "album_runner", None)
    if runner is not None:
        runner.wake()
    return RedirectResponse(f"/albums/{job.id}", status_code=303)


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
    album = albums.album_public(session, albums.get_album_for(session, album_id, user), thumbnail_url=THUMBNAIL_URL)
    done = album.counts.get("done", 0) + album.counts.get("failed", 0)
    return render(
        request,
        "albums/detail.html",
        {
            "album": album,
            "done": done,
            "groups": [
                (standing, label, [i for i in album.items if i.standing == standing]) for standing, label in GROUPS
            ],
            "failed": [i for i in album.items if i.status == "failed"],
        },
    )


@router.get("/albums/{album_id}/items/{item_id}/thumbnail")
def album_thumbnail(album_id: int, item_id: int, session: SessionDep, user: PageUser) -> Response:
    return jpeg(albums.item_thumbnail(session, album_id=album_id, item_id=item_id, user=user))
