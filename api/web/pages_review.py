"""Reviewers: the queue of photos the machine must not decide alone, and resolving each face."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from api.deps import DistrictDep, SessionDep
from api.web.auth import FormDep, PageRoute, ReviewerPage
from api.web.forms import field_errors, optional, text_values
from api.web.pages_clearances import clearance_view
from api.web.templating import flash, render
from registry.clearances import reviews
from registry.clearances import service as clearances
from registry.clearances.disclosure import viewer_of
from registry.clearances.schemas import ClearanceFacePublic, ClearanceReviewRequest
from registry.core.errors import RegistryError
from registry.faces import enrolment
from registry.models.accounts import User

router = APIRouter(route_class=PageRoute, include_in_schema=False)
QUEUE_SIZE = 50
THUMBNAILS_PER_PERSON = 3


@router.get("/review")
def queue(request: Request, session: SessionDep, user: ReviewerPage) -> Response:
    rows, total = clearances.list_clearances(session, user=user, decision="needs_review", limit=QUEUE_SIZE)
    viewer = viewer_of(session, user)
    return render(
        request,
        "review/queue.html",
        {"clearances": [reviews.clearance_summary(session, c, viewer=viewer) for c in rows], "total": total},
    )


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
) -> Response:
    view = clearance_view(session, clearance_id, user)
    to_review = [f for f in view["clearance"].faces if f.verdict == "needs_review"]
    tags_waiting = [r for r in view["other_reasons"] if r.verdict == "needs_review" and r.message.startswith("Tag ")]
    return render(
        request,
        "review/detail.html",
        {
            **view,
            "to_review": [(f, _candidates(session, f)) for f in to_review],
            "errors": errors or {},
            "tags_waiting": tags_waiting,
        },
        status_code=status_code,
    )


@router.get("/review/{clearance_id}")
def review_page(request: Request, clearance_id: int, session: SessionDep, user: ReviewerPage) -> Response:
    return _review_page(request, session, clearance_id, user)


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
    if clearance.decision == "needs_review":
        flash(request, "Saved. This photo still needs a decision on the faces below.")
        return RedirectResponse(f"/review/{clearance_id}", status_code=303)
    words = {"allowed": "may be posted", "blocked": "may not be posted"}[clearance.decision]
    flash(request, f"Saved. The photo now {words}; its uploader sees the decision on their page.")
    return RedirectResponse("/review", status_code=303)
