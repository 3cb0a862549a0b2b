"""The uploader names the faces the service does not recognise, on the photo's own page: one choice per
face and one button (registry/clearances/naming.py, the same service as the API's identify)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep
from api.web.auth import FormDep, PageRoute, PageUser
from api.web.forms import text_values
from api.web.templating import flash
from registry.accounts.permissions import Permission, may
from registry.clearances import service as clearances
from registry.clearances.naming import faces_to_name, may_be_named, name_face, people_they_may_name
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
    return {"to_name": waiting, "nameable_faces": open_faces, "choices": people_they_may_name(session, user)}


@router.post("/clearances/{clearance_id}/names")
def name_faces(
    request: Request,
    form: FormDep,
    clearance_id: int,
    session: SessionDep,
    district: DistrictDep,
    user: PageUser,
) -> Response:
    """Every face given a name in the form, in turn; a face left on "a reviewer names them" waits for one."""
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    named = 0
    for key, value in sorted(text_values(form).items()):
        if not key.startswith("face_") or not key[5:].isdigit() or not value:
            continue
        try:
            name_face(
                session,
                clearance=clearance,
                index=int(key[5:]),
                person_id=None if value == NOBODY else int(value) if str(value).isdigit() else -1,
                nobody_enrolled=value == NOBODY,
                by=user,
                district=district,
            )
            named += 1
        except RegistryError as exc:
            flash(request, f"Face {int(key[5:]) + 1}: {exc.message}", kind="error")
    if named:
        flash(request, f"{named} face{'s' if named != 1 else ''} named; the photo was checked again.")
    return RedirectResponse(f"/clearances/{clearance_id}", status_code=303)
