"""The uploader names the faces the service does not recognise, on the photo's own page: one choice per
face and one button (registry/clearances/naming.py, the same service as the API's identify)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep, SettingsDep
from api.web.auth import FormDep, PageRoute, PageUser
from api.web.forms import text_values
from api.web.templating import flash
from registry.accounts.permissions import Permission, may
from registry.clearances import service as clearances
from registry.clearances.naming import FaceName, faces_to_name, may_be_named, name_faces, people_they_may_name
from registry.clearances.schemas import ClearancePublic
from registry.core.errors import RegistryError
from registry.models.accounts import User
from registry.models.base import id_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NOBODY = "nobody"


def naming_view(session: Session, public: ClearancePublic, user: User) -> dict[str, Any]:
    """For the photo's page: the faces its uploader may name, and whom they may name (reviewers name
    faces on the review page)."""
    clearance = clearances.get_clearance_for(session, public.id, user)
    waiting = faces_to_name(session, clearance)
    if clearance.uploader_id != id_of(user) or may(user.role, Permission.REVIEW):
        return {"to_name": waiting, "nameable_faces": [], "choices": []}
    faces = {f.index: f for f in clearances.faces_of(session, id_of(clearance))}
    open_faces = [
        f.index
        for f in public.faces
        if may_be_named(faces[f.index]) and (f.index in waiting or f.review is None) and f.verdict != "allowed"
    ]
    choices = people_they_may_name(session, user)
    if not waiting and not choices:  # a face that matched nobody, and nobody they could name it as
        open_faces = []
    return {"to_name": waiting, "nameable_faces": open_faces, "choices": choices}


@router.post("/clearances/{clearance_id}/names")
def save_face_names(
    request: Request,
    form: FormDep,
    clearance_id: int,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    user: PageUser,
) -> Response:
    """Every face given a name in the form, as one act; a face left on "a reviewer names them" waits for one."""
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    names = [
        FaceName(int(key[5:]), None if value == NOBODY else int(value) if str(value).isdigit() else -1)
        for key, value in sorted(text_values(form).items())
        if key.startswith("face_") and key[5:].isdigit() and value
    ]
    if not names:
        flash(request, "Choose who at least one face is, then save.", kind="error")
    else:
        try:
            name_faces(session, clearance=clearance, names=names, by=user, district=district, settings=settings)
            flash(request, f"{len(names)} face{'s' if len(names) != 1 else ''} named; the photo was checked again.")
        except RegistryError as exc:
            flash(request, f"Nothing was saved. {exc.message}", kind="error")
    return RedirectResponse(f"/clearances/{clearance_id}", status_code=303)
