"""Reviewers: the queue of photos the machine must not decide alone, and resolving each face."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep
from api.responses import jpeg
from api.web.auth import FormDep, PageRoute, ReviewerPage
from api.web.forms import field_errors, optional, text_values
from api.web.pages_clearances import clearance_view
from api.web.templating import flash, render
from registry.clearances import reviews
from registry.clearances import service as clearances
from registry.clearances.disclosure import viewer_of
from registry.clearances.schemas import ClearanceFacePublic, ClearanceReviewRequest
from registry.core.errors import NotFound, RegistryError
from registry.faces import enrolment
from registry.models.accounts import User
from registry.models.base import as_utc, id_of
from registry.models.people import Person
from registry.people import service as people
from registry.policy.engine import NOT_APPROVABLE

router = APIRouter(route_class=PageRoute, include_in_schema=False)
QUEUE_SIZE = 50
THUMBNAILS_PER_PERSON = 3
SEARCH_SIZE = 10


LAST_ACT = "last_review"  # this sign-in's last review act: {"clearance_id", "at"}; what Undo takes back


def _undo_offer(request: Request, session: Session, user: User) -> dict[str, Any] | None:
    """The act Undo would take back: this reviewer's last, made in this sign-in, if it still may be."""
    remembered = request.session.get(LAST_ACT)
    if not isinstance(remembered, dict):
        return None
    acts = reviews.last_act(session, reviewer=user)
    if not acts or acts[0].clearance_id != remembered.get("clearance_id"):
        return None
    if as_utc(acts[0].reviewed_at).isoformat() != remembered.get("at"):
        return None
    return {"clearance_id": acts[0].clearance_id, "words": reviews.act_words(acts)}


@router.get("/review")
def queue(request: Request, session: SessionDep, user: ReviewerPage) -> Response:
    rows, total = reviews.review_queue(session, limit=QUEUE_SIZE)
    viewer = viewer_of(session, user)
    uploaders = reviews.uploader_names(session, {c.uploader_id for c in rows})
    waiting = []
    for clearance in rows:
        public = reviews.clearance_public(session, clearance, viewer=viewer)
        waiting.append(
            {
                "clearance": public,
                "uploader": uploaders.get(clearance.uploader_id, "a former account"),
                "why": reviews.why_review(public),
                "has_thumbnail": clearance.thumbnail is not None,
            }
        )
    return render(
        request,
        "review/queue.html",
        {"waiting": waiting, "total": total, "undo": _undo_offer(request, session, user)},
    )


@router.get("/review/{clearance_id}/thumbnail")
def thumbnail(clearance_id: int, session: SessionDep, user: ReviewerPage) -> Response:
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    if clearance.thumbnail is None:
        raise NotFound("This photo has no thumbnail.")
    return jpeg(clearance.thumbnail)


def _candidates(session: Session, face: ClearanceFacePublic) -> list[dict[str, Any]]:
    """The people this face may be, nearest first, each with a few of their enrolled faces to compare."""
    people = [(c.person_id, c.name) for c in face.candidates]
    if face.person_id is not None and face.person_id not in {pid for pid, _ in people}:
        people.insert(0, (face.person_id, face.person_name))
    return [
        {
            "person_id": pid,
            "name": name or f"person {pid}",
            "templates": [t.id for t in enrolment.list_templates(session, pid)[:THUMBNAILS_PER_PERSON]],
        }
        for pid, name in people
    ]


def _review_page(
    request: Request,
    session: Session,
    clearance_id: int,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    search: tuple[int, str] | None = None,
) -> Response:
    view = clearance_view(session, clearance_id, user)
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    to_review = [f for f in view["clearance"].faces if f.verdict == "needs_review"]
    found: list[Person] = []
    if search is not None and search[1].strip():
        found, _ = people.list_people(session, query=search[1], limit=SEARCH_SIZE)
    acts = clearances.reviews_of(session, clearance_id)
    tags_waiting = [r for r in view["other_reasons"] if r.verdict == "needs_review" and r.message.startswith("Tag ")]
    return render(
        request,
        "review/detail.html",
        {
            **view,
            "to_review": [(f, _candidates(session, f)) for f in to_review],
            "errors": errors or {},
            "tags_waiting": tags_waiting,
            "search": {
                "face": search[0],
                "who": search[1],
                "found": found,
                # each person's reference face, so that the reviewer does not pick a name blind
                "faces": {id_of(p): [t.id for t in enrolment.list_templates(session, id_of(p))[:1]] for p in found},
            }
            if search
            else None,
            "place": clearances.place_in_doubt(acts),
            "place_question": reviews.place_question(clearance),
            "place_reasons": clearances.place_reasons(clearance.review_reasons),
            "not_approvable": NOT_APPROVABLE,
            "undo": _undo_offer(request, session, user),
        },
        status_code=status_code,
    )


@router.get("/review/{clearance_id}")
def review_page(
    request: Request,
    clearance_id: int,
    session: SessionDep,
    user: ReviewerPage,
    face: int | None = None,
    who: str | None = None,
) -> Response:
    """The photo to review; with ``face`` and ``who``, the people whose name or id matches, to say the face
    is someone the service did not suggest."""
    search = (face, (who or "")[:100]) if face is not None else None
    return _review_page(request, session, clearance_id, user, search=search)


@router.post("/review/{clearance_id}")
def resolve(
    request: Request,
    form: FormDep,
    clearance_id: int,
    session: SessionDep,
    district: DistrictDep,
    user: ReviewerPage,
) -> Response:
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    values = text_values(form)
    index, person_id = optional(values, "index"), optional(values, "person_id")
    faces = (
        [] if index is None else [{"index": index, "resolution": values.get("resolution", ""), "person_id": person_id}]
    )
    try:
        data = ClearanceReviewRequest.model_validate(
            {
                "faces": faces,
                "context_confirmed": values.get("context_confirmed") == "yes",
                "tags_approved": values.get("tags_approved") == "yes",
                "not_at_event": values.get("not_at_event") == "yes",
                "note": optional(values, "note"),
            }
        )
        with session.begin_nested():
            reviews.review_clearance(session, clearance=clearance, reviewer=user, data=data, district=district)
    except ValidationError as exc:
        return _review_page(
            request,
            session,
            clearance_id,
            user,
            errors={"review": "; ".join(field_errors(exc).values())},
            status_code=422,
        )
    except RegistryError as exc:
        return _review_page(
            request, session, clearance_id, user, errors={"review": exc.message}, status_code=exc.status_code
        )
    acts = reviews.last_act(session, reviewer=user)
    request.session[LAST_ACT] = {"clearance_id": clearance_id, "at": as_utc(acts[0].reviewed_at).isoformat()}
    if clearance.decision == "needs_review":
        flash(request, "Saved. This photo still needs a decision on the faces below.")
        return RedirectResponse(f"/review/{clearance_id}", status_code=303)
    words = {"allowed": "may be posted", "blocked": "may not be posted"}[clearance.decision]
    flash(request, f"Saved. The photo now {words}; its uploader sees the decision on their page.")
    return RedirectResponse("/review", status_code=303)


@router.post("/review/{clearance_id}/undo")
def undo(
    request: Request,
    form: FormDep,
    clearance_id: int,
    session: SessionDep,
    district: DistrictDep,
    user: ReviewerPage,
) -> Response:
    """Takes back this reviewer's last act in this sign-in (remembered in the session), if nobody acted since."""
    clearance = clearances.get_clearance_for(session, clearance_id, user)
    remembered = request.session.get(LAST_ACT)
    at = remembered.get("at") if isinstance(remembered, dict) else None
    if not isinstance(at, str) or remembered.get("clearance_id") != clearance_id:  # type: ignore[union-attr]
        flash(request, "There is nothing of yours to undo on this photo in this sign-in.", kind="error")
        return RedirectResponse(f"/review/{clearance_id}", status_code=303)
    try:
        with session.begin_nested():
            reviews.undo_last_act(
                session, clearance=clearance, reviewer=user, since=datetime.fromisoformat(at), district=district
            )
    except RegistryError as exc:
        flash(request, exc.message, kind="error")
        return RedirectResponse(f"/review/{clearance_id}", status_code=303)
    request.session.pop(LAST_ACT, None)
    words = {"allowed": "may be posted", "blocked": "may not be posted", "needs_review": "waits for a reviewer"}
    flash(request, f"Undone. Photo {clearance_id} now {words[clearance.decision]}, as before your act.")
    return RedirectResponse(f"/review/{clearance_id}", status_code=303)
