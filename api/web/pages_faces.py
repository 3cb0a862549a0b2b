"""Office staff: enrol a person's reference face (preview the face found, then save) and remove one."""

from __future__ import annotations

import base64
import secrets
import time
from functools import partial

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep, SettingsDep
from api.responses import jpeg
from api.web.auth import FormDep, OfficePage, PageRoute, StaffPage
from api.web.forms import text_values, uploaded
from api.web.templating import flash, render
from api.web.uploads import too_large
from media.images import ImageRejected
from registry.core.db import end_before_slow_work
from registry.core.errors import Invalid, NotFound, RegistryError
from registry.core.settings import Settings
from registry.core.storage import NotStored, Storage, storage_for
from registry.faces import enrolment
from registry.people import service as people

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PREVIEW_KEY = "enrol_preview"
PREVIEW_LIFETIME_SECONDS = 30 * 60


def _preview_key(token: str) -> str:
    return f"enrol-previews/{token}"


def _forget_old_previews(store: Storage) -> None:
    """Uploaded reference photos are kept only while someone decides; stale ones go (and all at start-up)."""
    cutoff = time.time() - PREVIEW_LIFETIME_SECONDS
    for entry in list(store.entries("enrol-previews/")):
        if entry.modified < cutoff:
            store.delete(entry.key)


def _forget_preview(request: Request, settings: Settings) -> None:
    """This browser's preview photo, saved, cancelled or replaced by a new one, goes at once."""
    remembered = request.session.pop(PREVIEW_KEY, None)
    if isinstance(remembered, list) and remembered and isinstance(remembered[0], str):
        token = remembered[0]
        if token.isalnum():
            storage_for(settings).delete(_preview_key(token))


def _person_redirect(person_id: int) -> Response:
    return RedirectResponse(f"/people/{person_id}#faces", status_code=303)


@router.post("/people/{person_id}/faces/preview")
def preview(
    request: Request,
    form: FormDep,
    person_id: int,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    _: OfficePage,
) -> Response:
    person = people.get_person(session, person_id)
    _forget_preview(request, settings)
    _forget_old_previews(storage_for(settings))
    upload = uploaded(form, "photo")
    if upload is None:
        flash(request, "Choose a photo of the person's face first.", kind="error")
        return _person_redirect(person_id)
    try:
        data = upload.file.read(settings.max_reference_photo_bytes + 1)
        if len(data) > settings.max_reference_photo_bytes:
            raise Invalid(too_large(settings, "reference_photo", size=upload.size))
        analysis = enrolment.preview_faces(
            session,
            person=person,
            photo=data,
            settings=settings,
            district=district,
            analyse=request.app.state.analyse,
            release=partial(end_before_slow_work, session),
        )
    except (ImageRejected, RegistryError) as exc:
        flash(request, exc.message, kind="error")
        return _person_redirect(person_id)
    faces = analysis.faces
    crops = [base64.b64encode(crop).decode() for crop in analysis.face_thumbnails]
    token = secrets.token_hex(24)  # a plain storage key: letters and digits only
    if faces:  # kept only while there is a face to decide on
        storage_for(settings).put(_preview_key(token), data)
        request.session[PREVIEW_KEY] = [token, person_id]
    small = [f.box.size < settings.min_face_px for f in faces]
    return render(
        request,
        "people/face_preview.html",
        {"person": person, "crops": list(zip(crops, small, strict=True)), "token": token},
    )


@router.post("/people/{person_id}/faces")
def save(
    request: Request,
    form: FormDep,
    person_id: int,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    user: OfficePage,
) -> Response:
    person = people.get_person(session, person_id)
    values = text_values(form)
    remembered = request.session.get(PREVIEW_KEY) or [None, None]
    token = values.get("token")
    if token != remembered[0] or remembered[1] != person_id or not isinstance(token, str):
        raise NotFound("This preview has expired or belongs to another person: upload the photo again.")
    if not token.isalnum():
        raise NotFound("This preview has expired or belongs to another person: upload the photo again.")
    store = storage_for(settings)
    try:
        photo = store.get(_preview_key(token))
    except NotStored:
        raise NotFound("This preview has expired: upload the photo again.") from None
    index = values.get("face_index", "0")
    try:
        enrolment.enrol_face(
            session,
            person=person,
            photo=photo,
            face_index=int(index) if str(index).isdigit() else 0,
            created_by=user,
            settings=settings,
            district=district,
            analyse=request.app.state.analyse,
            release=partial(end_before_slow_work, session),
        )
    except (ImageRejected, RegistryError) as exc:
        flash(request, exc.message, kind="error")
        return _person_redirect(person_id)
    finally:
        store.delete(_preview_key(token))
        request.session.pop(PREVIEW_KEY, None)
    flash(request, f"The face has been enrolled for {person.name}.")
    return _person_redirect(person_id)


@router.post("/people/{person_id}/faces/preview/cancel")
def cancel(request: Request, person_id: int, settings: SettingsDep, _: OfficePage) -> Response:
    """The uploaded reference photo goes now, not when the preview would have expired."""
    _forget_preview(request, settings)
    return _person_redirect(person_id)


@router.post("/people/{person_id}/faces/{template_id}/remove")
def remove(request: Request, person_id: int, template_id: int, session: SessionDep, _: OfficePage) -> Response:
    enrolment.delete_template(session, person_id=person_id, template_id=template_id)
    flash(request, f"The enrolled face of {people.get_person(session, person_id).name} has been removed.")
    return _person_redirect(person_id)


@router.get("/people/{person_id}/faces/{template_id}/thumbnail")
def thumbnail(person_id: int, template_id: int, session: SessionDep, _: StaffPage) -> Response:
    template = enrolment.get_template(session, person_id=person_id, template_id=template_id)
    if template.thumbnail is None:
        raise NotFound("No thumbnail is kept for this face.")
    return jpeg(template.thumbnail)
