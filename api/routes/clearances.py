"""Photo clearances: upload and decide, fetch, review, and the blurred copy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Request, Response, UploadFile

from api.deps import (
    ClearingDep,
    CurrentUser,
    DistrictDep,
    Limit,
    Offset,
    ReviewerUser,
    SessionDep,
    SettingsDep,
    oauth2_scheme,
    read_upload_limited,
)
from api.lanes import queued_instead
from api.responses import JPEG_RESPONSES, jpeg
from api.routes.albums import accepted
from registry.accounts import security
from registry.albums import service as albums
from registry.albums.files import display_name
from registry.albums.schemas import AlbumPublic
from registry.analysis.mode import WaitingForFaceCheck, clear_by_worker
from registry.clearances import repeats, reviews
from registry.clearances import service as clearances
from registry.clearances.check import PhotoCheck
from registry.clearances.disclosure import viewer_of
from registry.clearances.naming import name_face
from registry.clearances.schemas import ClearancePublic, ClearanceReviewRequest, ClearanceSummary, FaceIdentification
from registry.core.errors import Conflict
from registry.core.schemas import Page
from registry.policy.vocabulary import ContextKind, Destination

router = APIRouter(tags=["clearances"])


def _tags(values: list[str]) -> list[str]:
    """Tags as repeated form fields or one comma-separated field."""
    return sorted({t.strip() for value in values for t in value.split(",") if t.strip()})


@router.post(
    "/clearances",
    response_model=ClearancePublic,
    status_code=201,
    responses={
        202: {
            "model": AlbumPublic,
            "description": "many photos are being read (or, with REGISTRY_ANALYSIS=external, no worker finished it "
            "within REGISTRY_ANALYSIS_WAIT_SECONDS): this one is kept and queued as an album of one photo, waiting "
            "for a face check, to be followed at Location until its item is done (its clearance_id) or failed",
        }
    },
)
def clear_photo(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    clearing: ClearingDep,
    user: CurrentUser,
    photo: Annotated[UploadFile, File(description="the photo to post: JPEG, PNG or WebP")],
    destination: Annotated[Destination, Form()],
    event_id: Annotated[int | None, Form(description="the district event it was taken at")] = None,
    context_kind: Annotated[ContextKind | None, Form(description="without an event: where it was taken")] = None,
    context_public: Annotated[bool | None, Form(description="without an event: open to the public?")] = None,
    tags: Annotated[
        list[str], Form(description="e.g. district_logo, premises_interior, floor_plan, building_exterior, school_name")
    ] = [],  # noqa: B006
    caption: Annotated[str | None, Form(max_length=2000)] = None,
) -> ClearancePublic | Response:
    data = read_upload_limited(photo, clearing.settings.max_upload_bytes)
    check = PhotoCheck(
        uploader=user,
        destination=destination,
        event_id=event_id,
        context_kind=context_kind,
        context_public=context_public,
        tags=tuple(_tags(tags)),
        caption=caption,
        file_name=display_name(photo.filename, "photo"),
    )
    if queued_instead(request):
        job = albums.queue_photo(session, check, data, source="api", pack=clearing.pack, settings=clearing.settings)
        return accepted(request, session, job, background)
    dispatcher = request.app.state.dispatcher
    if dispatcher is None:
        clearance = repeats.clear_photo_once(session, check, data, using=clearing)
    else:  # REGISTRY_ANALYSIS=external: a worker reads and records it; past the wait, it stays queued
        try:
            clearance = clear_by_worker(session, check, data, using=clearing, dispatcher=dispatcher, source="api")
        except WaitingForFaceCheck as waiting:
            return accepted(request, session, waiting.album, background)
    return reviews.clearance_public(session, clearance, viewer=viewer_of(session, user))


@router.get("/clearances", response_model=Page[ClearanceSummary])
def list_clearances(
    session: SessionDep,
    user: CurrentUser,
    decision: str | None = None,
    mine: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ClearanceSummary]:
    rows, total = clearances.list_clearances(
        session, user=user, decision=decision, mine=mine, limit=limit, offset=offset
    )
    viewer = viewer_of(session, user)
    return Page(
        items=[reviews.clearance_summary(session, c, viewer=viewer) for c in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/clearances/{clearance_id}", response_model=ClearancePublic)
def get_clearance(clearance_id: int, session: SessionDep, user: CurrentUser) -> ClearancePublic:
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    return reviews.clearance_public(session, clearance, viewer=viewer_of(session, user))


@router.get("/clearances/{clearance_id}/photo", response_class=Response, responses=JPEG_RESPONSES)
def clearance_photo(clearance_id: int, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> Response:
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    return jpeg(reviews.photo_jpeg(settings, clearance))


@router.get("/clearances/{clearance_id}/faces/{index}/crop", response_class=Response, responses=JPEG_RESPONSES)
def face_crop(
    clearance_id: int,
    index: int,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> Response:
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    return jpeg(reviews.face_crop(session, settings, clearance, index))


@router.get("/clearances/{clearance_id}/redacted", response_class=Response, responses=JPEG_RESPONSES)
def redacted_copy(
    clearance_id: int,
    session: SessionDep,
    clearing: ClearingDep,
    user: CurrentUser,
) -> Response:
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    blurred, copy = repeats.redacted_copy_once(session, clearance=clearance, user=user, using=clearing)
    return jpeg(blurred, filename=f"cleared-{copy.id}-blurred.jpg", headers={"X-Clearance-Id": str(copy.id)})


@router.post("/clearances/{clearance_id}/review", response_model=ClearancePublic)
def review_clearance(
    clearance_id: int,
    data: ClearanceReviewRequest,
    session: SessionDep,
    district: DistrictDep,
    reviewer: ReviewerUser,
) -> ClearancePublic:
    clearance = clearances.get_clearance_for(session, clearance_id, reviewer)
    reviewed = reviews.review_clearance(session, clearance=clearance, reviewer=reviewer, data=data, district=district)
    return reviews.clearance_public(session, reviewed, viewer=viewer_of(session, reviewer))


@router.post("/clearances/{clearance_id}/faces/{index}/identify", response_model=ClearancePublic)
def identify_face(
    clearance_id: int,
    index: int,
    data: FaceIdentification,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    user: CurrentUser,
) -> ClearancePublic:
    """Names a face the service did not recognise: the uploader names themself or a member of a group they
    lead; any other face is a reviewer's, who may name anyone. The photo is then decided again."""
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    named = name_face(
        session,
        clearance=clearance,
        index=index,
        person_id=data.person_id,
        nobody_enrolled=data.nobody_enrolled,
        by=user,
        district=district,
        settings=settings,
    )
    return reviews.clearance_public(session, named, viewer=viewer_of(session, user))


@router.post("/clearances/{clearance_id}/review/undo", response_model=ClearancePublic)
def undo_review(
    clearance_id: int,
    session: SessionDep,
    settings: SettingsDep,
    district: DistrictDep,
    reviewer: ReviewerUser,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> ClearancePublic:
    """Takes back the caller's last review act, if it was on this photo, in this sign-in (since the access
    token was issued), and nobody has acted on the photo since. The photo is decided again without it."""
    if not token or token.startswith(security.API_TOKEN_PREFIX):
        raise Conflict("Undo belongs to a sign-in: sign in with your password (auth/token) to undo an act.")
    since = security.read_access_token(token, secret=settings.secret_key).issued_at
    clearance = clearances.get_clearance_for(session, clearance_id, reviewer)
    undone = reviews.undo_last_act(session, clearance=clearance, reviewer=reviewer, since=since, district=district)
    return reviews.clearance_public(session, undone, viewer=viewer_of(session, reviewer))
