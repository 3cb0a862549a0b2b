"""Takedown requests: when a photo cleared earlier is no longer allowed (a refusal, a withdrawal, a
correction, a form that ran out, a departure), its uploader is asked to take it down, and the request is
tracked until confirmed. Which photos: registry/consents/standing.py decides them again after every such act.
A reviewer's act that stopped a photo raises one too; undoing the act withdraws it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from registry.accounts.permissions import Permission, may
from registry.consents import standing
from registry.core.errors import Invalid, NotFound
from registry.models.accounts import User
from registry.models.base import as_utc, id_of, utcnow
from registry.models.clearances import Clearance
from registry.models.takedowns import Takedown
from registry.policy import Decision
from registry.policy.ledger import District


def daily_recheck(session: Session, *, district: District, at: datetime | None = None) -> list[Takedown]:
    """Every photo still allowed, decided again today: forms that ran out, and anything an upgrade or a
    missed act left behind. Run by the service once a day (REGISTRY_EXPIRY_SCAN_AT) and at start-up,
    and by `registry expiry-scan`."""
    return standing.recheck_all(session, district=district, cause="expired", at=at)


def withdraw_raised_since(session: Session, *, clearance: Clearance, since: datetime, decision: Decision) -> None:
    """A reviewer's act taken back: the takedown request it raised (a reviewer's, made ``since`` the act)
    goes with it, as the photo is decided as before the act. Should the photo still not be allowed (a
    consent changed meanwhile), a request stays, resting on the decision of now rather than on the undone
    act, and confirmed if the uploader had confirmed the one withdrawn."""
    raised = [
        t
        for t in session.exec(
            select(Takedown).where(Takedown.clearance_id == id_of(clearance), Takedown.cause == "reviewed")
        )
        if as_utc(t.created_at) >= as_utc(since)
    ]
    for takedown in raised:
        session.delete(takedown)
    session.flush()
    if raised and decision.decision != "allowed":
        again = standing.request_takedown(session, clearance=clearance, decision=decision, cause="reviewed")
        if again is not None and raised[0].confirmed_at is not None:
            again.confirmed_at, again.confirmed_by_id = raised[0].confirmed_at, raised[0].confirmed_by_id
            session.add(again)
            session.flush()


def list_takedowns(
    session: Session,
    *,
    user: User,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Takedown], int]:
    statement = select(Takedown)
    if not may(user.role, Permission.SEE_EVERY_TAKEDOWN):
        statement = statement.where(Takedown.uploader_id == user.id)
    if state == "open":
        statement = statement.where(col(Takedown.confirmed_at).is_(None))
    elif state == "confirmed":
        statement = statement.where(col(Takedown.confirmed_at).is_not(None))
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(col(Takedown.id)).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def open_for_uploader(session: Session, *, user: User) -> int:
    """How many takedown requests this person must still do (their own photos)."""
    statement = select(func.count()).where(Takedown.uploader_id == id_of(user), col(Takedown.confirmed_at).is_(None))
    return int(session.exec(statement).one())


def get_takedown_for(session: Session, takedown_id: int, user: User) -> Takedown:
    takedown = session.get(Takedown, takedown_id)
    if takedown is None or (not may(user.role, Permission.SEE_EVERY_TAKEDOWN) and takedown.uploader_id != user.id):
        raise NotFound(f"No takedown request with id {takedown_id}.")
    return takedown


def takedown_thumbnail(session: Session, takedown_id: int, user: User) -> bytes:
    """The small copy of the photo kept with its clearance, so the uploader can find the post."""
    takedown = get_takedown_for(session, takedown_id, user)
    clearance = session.get(Clearance, takedown.clearance_id)
    if clearance is None or clearance.thumbnail is None:
        raise NotFound("No copy of this photo is kept.")
    return clearance.thumbnail


def confirm_takedown(session: Session, *, takedown: Takedown, user: User) -> Takedown:
    if takedown.uploader_id != user.id:
        raise Invalid("Only the person who posted the photo can confirm they took it down.")
    if takedown.confirmed_at is None:
        takedown.confirmed_at = utcnow()
        takedown.confirmed_by_id = id_of(user)
        session.add(takedown)
        session.flush()
    return takedown


def age_in_days(takedown: Takedown, now: datetime | None = None) -> int:
    end = takedown.confirmed_at or now or utcnow()
    return max(0, (end - takedown.created_at).days)
