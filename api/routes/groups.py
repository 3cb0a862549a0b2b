"""Groups a member of staff leads (a team, a choir, a homeroom): office staff make them."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from api.deps import CurrentUser, OfficeUser, SessionDep
from registry.groups import service as groups
from registry.groups.schemas import GroupPublic, GroupSave
from registry.models.base import id_of
from registry.models.groups import Group

router = APIRouter(tags=["groups"])


def group_public(session: Session, group: Group) -> GroupPublic:
    return GroupPublic.model_validate(
        {
            **group.model_dump(),
            "member_ids": groups.member_ids(session, id_of(group)),
            "leader_ids": groups.leader_ids(session, id_of(group)),
        }
    )


@router.get("/groups", response_model=list[GroupPublic])
def list_groups(session: SessionDep, user: CurrentUser) -> list[GroupPublic]:
    """Office staff, reviewers and administrators see every group; an employee the groups they lead."""
    return [group_public(session, g) for g in groups.list_groups(session, user=user)]


@router.post("/groups", response_model=GroupPublic, status_code=201)
def add_group(data: GroupSave, session: SessionDep, user: OfficeUser) -> GroupPublic:
    group = groups.save_group(
        session,
        group=None,
        name=data.name,
        kind=data.kind,
        school=data.school,
        member_ids=data.member_ids,
        leader_ids=data.leader_ids,
        by=user,
    )
    return group_public(session, group)


@router.get("/groups/{group_id}", response_model=GroupPublic)
def get_group(group_id: int, session: SessionDep, user: CurrentUser) -> GroupPublic:
    return group_public(session, groups.get_group_for(session, group_id, user))


@router.put("/groups/{group_id}", response_model=GroupPublic)
def change_group(group_id: int, data: GroupSave, session: SessionDep, user: OfficeUser) -> GroupPublic:
    group = groups.save_group(
        session,
        group=groups.get_group_for(session, group_id, user),
        name=data.name,
        kind=data.kind,
        school=data.school,
        member_ids=data.member_ids,
        leader_ids=data.leader_ids,
        by=user,
    )
    return group_public(session, group)
