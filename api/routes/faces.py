"""Enrolled reference faces of a person. Encodings never leave the server."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from api.deps import DistrictDep, OfficeUser, SessionDep, SettingsDep, StaffReader, read_upload_limited
from api.responses import JPEG_RESPONSES, jpeg
from registry.core.db import end_before_slow_work
from registry.core.errors import NotFound
from registry.faces import enrolment
from registry.faces.schemas import BoxPublic, FaceTemplatePublic
from registry.models.base import id_of
from registry.models.faces import FaceTemplate
from registry.people.service import get_person

router = APIRouter(tags=["faces"])


def template_public(template: FaceTemplate) -> FaceTemplatePublic:
    return FaceTemplatePublic(
        id=id_of(template),
        person_id=template.person_id,
        model=template.model,
        box=BoxPublic(**enrolment.template_box(template).as_dict()),
        source_width=template.source_width,
        source_height=template.source_height,
        created_at=template.created_at,
    )


@router.get("/people/{person_id}/faces", response_model=list[FaceTemplatePublic])
def list_faces(person_id: int, session: SessionDep, _: StaffReader) -> list[FaceTemplatePublic]:
    get_person(session, person_id)
    return [template_public(t) for t in enrolment.list_templates(session, person_id)]


@router.post("/people/{person_id}/faces", response_model=FaceTemplatePublic, status_code=201)
def enrol_face(
    request: Request,
    person_id: int,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    user: OfficeUser,
    photo: Annotated[UploadFile, File(description="a JPEG, PNG or WebP photo of this person")],
    face_index: Annotated[int | None, Form(ge=0, le=200, description="which face, from the left")] = None,
) -> FaceTemplatePublic:
    """The faces are read in a worker process, with no transaction held meanwhile."""
    data = read_upload_limited(photo, settings.max_reference_photo_bytes)
    template = enrolment.enrol_face(
        session,
        person=get_person(session, person_id),
        photo=data,
        face_index=face_index,
        created_by=user,
        settings=settings,
        district=district,
        analyse=request.app.state.analyse,
        release=partial(end_before_slow_work, session),
    )
    return template_public(template)


@router.get(
    "/people/{person_id}/faces/{template_id}/thumbnail",
    response_class=Response,
    responses=JPEG_RESPONSES,
)
def face_thumbnail(person_id: int, template_id: int, session: SessionDep, _: StaffReader) -> Response:
    template = enrolment.get_template(session, person_id=person_id, template_id=template_id)
    if template.thumbnail is None:
        raise NotFound("No thumbnail is kept for this face.")
    return jpeg(template.thumbnail)


@router.delete("/people/{person_id}/faces/{template_id}", status_code=204)
def remove_face(person_id: int, template_id: int, session: SessionDep, _: OfficeUser) -> Response:
    enrolment.delete_template(session, person_id=person_id, template_id=template_id)
    return Response(status_code=204)
