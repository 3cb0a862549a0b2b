"""Everyone: clear a photo before posting it, see the decision face by face, and earlier photos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain, groupby
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from api.deps import ClearingDep, PackDep, SessionDep, SettingsDep
from api.lanes import queued_instead
from api.responses import jpeg
from api.web.auth import FormDep, PageRoute, PageUser
from api.web.forms import FORM, checked, optional, text_values, uploaded
from api.web.held_photos import forget_photo, held_photo, hold_photo
from api.web.pages_naming import naming_view
from api.web.templating import long_day, render
from api.web.uploads import too_large
from media.images import ImageRejected
from registry.albums import service as albums
from registry.albums.files import display_name
from registry.analysis.mode import WaitingForFaceCheck, clear_by_worker
from registry.clearances import repeats, reviews
from registry.clearances import service as clearances
from registry.clearances.check import PhotoCheck
from registry.clearances.disclosure import viewer_of
from registry.clearances.schemas import ClearanceSummary
from registry.core.db import discard, hand_over
from registry.core.errors import NotFound, RegistryError
from registry.events import service as events
from registry.models.accounts import User
from registry.models.base import as_utc, id_of
from registry.policy import PolicyPack
from registry.policy.vocabulary import CONTEXT_KINDS, DESTINATIONS

router = APIRouter(route_class=PageRoute, include_in_schema=False)
HISTORY_PAGE_SIZE = 25


def form_page(
    request: Request,
    session: Session,
    pack: PolicyPack,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    album: bool = False,
) -> Response:
    """The upload form, for one photo or (``album``) many at once."""
    recent, _total = events.list_events(session, limit=100)
    return render(
        request,
        "clearances/new.html",
        {
            "events": recent,
            "tags": [(tag, sorted(pack.destinations_asking(tag.name))) for tag in pack.tags],
            "values": values,
            "errors": errors,
            "pack": pack,
            "album": album,
        },
        status_code=status_code,
    )


@router.get("/clearances/new")
def new_clearance_form(request: Request, session: SessionDep, pack: PackDep, _: PageUser) -> Response:
    return form_page(request, session, pack, values={"destination": "personal_social_media", "tags": []}, errors={})


def photo_check(values: dict[str, Any], user: User, *, file_name: str | None = None) -> PhotoCheck:
    """The question a photo form asks (a photo's or an album's), from its checked values."""
    event_id = optional(values, "event_id")
    return PhotoCheck(
        uploader=user,
        destination=str(values["destination"]),
        event_id=int(event_id) if event_id else None,
        context_kind=None if event_id else str(values.get("context_kind")),
        context_public=None if event_id else values.get("context_public") == "yes",
        tags=tuple(values["tags"]),
        caption=optional(values, "caption"),
        file_name=file_name,
    )


def check_request(values: dict[str, Any], has_photo: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not has_photo:
        errors["photo"] = "Choose the photo you want to post."
    if values.get("destination") not in DESTINATIONS:
        errors["destination"] = "Choose where you want to post the photo."
    event_id = optional(values, "event_id")
    if event_id is not None and not event_id.isdigit():
        errors["event_id"] = "Choose an event from the list."
    if event_id is None and values.get("context_kind") not in CONTEXT_KINDS:
        errors["event_id"] = (
            "Choose the event the photo was taken at, or, if it is not in the list, say what kind of occasion it was."
        )
    return errors


@router.post("/clearances/new")
def clear_photo(
    request: Request,
    form: FormDep,
    session: SessionDep,
    settings: SettingsDep,
    pack: PackDep,
    clearing: ClearingDep,
    user: PageUser,
) -> Response:
    values = text_values(form)
    values["tags"] = checked(form, "tags")
    photo = uploaded(form, "photo")
    token = None if photo is not None else optional(values, "held_photo")
    held = held_photo(settings, user_id=id_of(user), token=token)
    errors = check_request(values, photo is not None or held is not None)
    data, file_name = held if held is not None else (None, None)
    if photo is not None:
        data, file_name = photo.file.read(settings.max_upload_bytes + 1), display_name(photo.filename, "photo")
        if len(data) > settings.max_upload_bytes:
            errors["photo"], data = too_large(settings, "photo", size=photo.size), None
    if not errors and data is not None:
        try:
            check = photo_check(values, user, file_name=file_name)
            if queued_instead(request):  # many photos are being read: this one is followed like an album
                job = albums.queue_photo(session, check, data, source="web", pack=pack, settings=settings)
                hand_over(session)
                forget_photo(settings, user_id=id_of(user), token=token)
                runner = getattr(request.app.state, "album_runner", None)
                if runner is not None:
                    runner.wake()
                return RedirectResponse(f"/albums/{job.id}", status_code=303)
            dispatcher = request.app.state.dispatcher
            if dispatcher is None:
                clearance = repeats.clear_photo_once(session, check, data, using=clearing)
            else:  # REGISTRY_ANALYSIS=external: a worker reads and records it; past the wait, it stays queued
                clearance = clear_by_worker(session, check, data, using=clearing, dispatcher=dispatcher, source="web")
        except WaitingForFaceCheck as waiting:
            forget_photo(settings, user_id=id_of(user), token=token)
            return RedirectResponse(f"/albums/{waiting.album.id}", status_code=303)
        except ImageRejected as exc:
            discard(session)  # nothing of a refused photo is kept
            errors["photo"], data = exc.message, None
        except RegistryError as exc:
            discard(session)
            errors[FORM] = exc.message
    if errors:
        if data is not None and held is None:  # kept for a few minutes: the form comes back with it chosen
            token = hold_photo(settings, user_id=id_of(user), photo=data, file_name=file_name)
        kept = {"held_photo": token, "held_name": file_name} if data is not None else {}
        lost = photo is not None and data is None
        return form_page(
            request, session, pack, values={**values, **kept, "photo_lost": lost}, errors=errors, status_code=422
        )
    forget_photo(settings, user_id=id_of(user), token=token)
    return RedirectResponse(f"/clearances/{clearance.id}", status_code=303)


@dataclass(frozen=True)
class HistoryEntry:
    """A photo in "My photos", with the blurred copies made of it listed under it."""

    photo: ClearanceSummary
    copies: list[ClearanceSummary]


@router.get("/clearances")
def history(request: Request, session: SessionDep, settings: SettingsDep, user: PageUser, page: int = 1) -> Response:
    page = max(page, 1)
    reviews.mark_reviews_seen(session, user=user)  # what a reviewer decided is no longer news on the home page
    rows, total = clearances.list_clearances(
        session, user=user, mine=True, originals=True, limit=HISTORY_PAGE_SIZE, offset=(page - 1) * HISTORY_PAGE_SIZE
    )
    copies = clearances.blurred_copies(session, rows, user=user)
    viewer = viewer_of(session, user)
    summaries = iter(reviews.clearance_summaries(session, [*rows, *chain(*copies.values())], viewer=viewer))
    photos = [next(summaries) for _ in rows]
    entries = [HistoryEntry(p, [next(summaries) for _ in copies[p.id]]) for p in photos]
    zone = ZoneInfo(settings.time_zone)
    today = datetime.now(zone).date()
    days = [
        (day_heading(day, today=today), list(group))
        for day, group in groupby(entries, key=lambda e: as_utc(e.photo.created_at).astimezone(zone).date())
    ]
    return render(
        request,
        "clearances/list.html",
        {"days": days, "total": total, "page": page, "pages": max(1, -(-total // HISTORY_PAGE_SIZE))},
    )


def day_heading(day: date, *, today: date) -> str:
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return long_day(day)


@router.get("/clearances/{clearance_id}/thumbnail")
def thumbnail(clearance_id: int, session: SessionDep, user: PageUser) -> Response:
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    if clearance.thumbnail is None:
        raise NotFound("No small copy of this photo is kept.")
    return jpeg(clearance.thumbnail)


def clearance_view(session: Session, clearance_id: int, user: Any) -> dict[str, Any]:
    """What a result page and a review page both show: the decision, faces, and the other reasons."""
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    public = reviews.clearance_public(session, clearance, viewer=viewer_of(session, user))
    other_reasons = [r for r in public.reasons if r.rule != "summary" and not r.message.startswith("Face ")]
    summary = next((r.message for r in public.reasons if r.rule == "summary"), "")
    event = events.get_event(session, public.event_id) if public.event_id else None
    return {
        "clearance": public,
        "summary": summary,
        "other_reasons": other_reasons,
        "event": event,
    }


@router.get("/clearances/{clearance_id}")
def result(request: Request, clearance_id: int, session: SessionDep, user: PageUser) -> Response:
    view = clearance_view(session, clearance_id, user)
    view = view | naming_view(session, view["clearance"], user)
    return render(request, "clearances/result.html", {**view, "album_id": albums.album_of(session, clearance_id)})


@router.get("/clearances/{clearance_id}/photo")
def photo(clearance_id: int, session: SessionDep, settings: SettingsDep, user: PageUser) -> Response:
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    return jpeg(reviews.photo_jpeg(settings, clearance))


@router.get("/clearances/{clearance_id}/faces/{index}/crop")
def face_crop(clearance_id: int, index: int, session: SessionDep, settings: SettingsDep, user: PageUser) -> Response:
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    return jpeg(reviews.face_crop(session, settings, clearance, index))


@router.get("/clearances/{clearance_id}/blurred")
def blurred_copy(
    clearance_id: int,
    session: SessionDep,
    clearing: ClearingDep,
    user: PageUser,
) -> Response:
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    blurred, copy = repeats.redacted_copy_once(session, clearance=clearance, user=user, using=clearing)
    return jpeg(blurred, filename=reviews.blurred_file_name(clearance))
