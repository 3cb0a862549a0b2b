"""Groups of people a member of staff leads: a team, a choir, a homeroom. Office staff make them.

An employee who leads a group may know who its members are: their faces are named to them in
a photo check (registry/clearances/disclosure.py) and their class list is theirs to print
(registry/groups/class_list.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from registry.accounts.permissions import Permission, may
from registry.core.errors import Invalid, NotFound
from registry.models.accounts import User
from registry.models.base import id_of, utcnow
from registry.models.groups import Group, GroupLeader, GroupMember
from registry.models.people import Person

GROUP_KINDS: tuple[str, ...] = ("team", "choir", "homeroom", "other")


def save_group(
    session: Session,
    *,
    group: Group | None,
    name: str,
    kind: str,
    school: str | None,
    member_ids: Sequence[int],
    leader_ids: Sequence[int],
    by: User,
) -> Group:
    """A new group, or an existing one with its name, members and leaders replaced."""
    name = name.strip()
    if not name:
        raise Invalid("Give the group a name.")
    if kind not in GROUP_KINDS:
        raise Invalid(f"A group is one of: {', '.join(GROUP_KINDS)}.")
    members, leaders = sorted(set(member_ids)), sorted(set(leader_ids))
    found = set(session.exec(select(Person.id).where(col(Person.id).in_(members))).all()) if members else set()
    if missing := [m for m in members if m not in found]:
        raise Invalid(f"No person with id {missing[0]}.")
    staff = set(session.exec(select(User.id).where(col(User.id).in_(leaders))).all()) if leaders else set()
    if missing := [u for u in leaders if u not in staff]:
        raise Invalid(f"No account with id {missing[0]}.")
    if group is None:
        group = Group(name=name, kind=kind, school=school or None, created_by_id=id_of(by))
    else:
        group.name, group.kind, group.school, group.updated_at = name, kind, school or None, utcnow()
    session.add(group)
    session.flush()
    gid = id_of(group)
    # Only who joins or leaves, row by row: the audit log names each, and audit verification can then tell
    # a member or leader added behind the log's back from one the office removed (registry/trust/audit_tables.py).
    _replace(session, GroupMember, gid, "person_id", members)
    _replace(session, GroupLeader, gid, "user_id", leaders)
    session.flush()
    return group


def _replace(session: Session, table: type[GroupMember | GroupLeader], gid: int, column: str, ids: list[int]) -> None:
    rows = session.exec(select(table).where(table.group_id == gid)).all()
    for row in rows:
        if getattr(row, column) not in ids:
            session.delete(row)
    present = {getattr(row, column) for row in rows}
    session.add_all([table(group_id=gid, **{column: i}) for i in ids if i not in present])


def get_group_for(session: Session, group_id: int, user: User) -> Group:
    """The group, if this user may see it: staff who lead it, office staff, reviewers, administrators."""
    group = session.get(Group, group_id)
    if group is None or (
        not may(user.role, Permission.SEE_EVERY_GROUP) and group_id not in led_group_ids(session, user)
    ):
        raise NotFound(f"No group with id {group_id}.")
    return group


def list_groups(session: Session, *, user: User) -> list[Group]:
    statement = select(Group)
    if not may(user.role, Permission.SEE_EVERY_GROUP):
        statement = statement.where(
            col(Group.id).in_(select(GroupLeader.group_id).where(GroupLeader.user_id == user.id))
        )
    return list(session.exec(statement.order_by(col(Group.school), col(Group.name), col(Group.id))))


def led_group_ids(session: Session, user: User) -> set[int]:
    if user.id is None:
        return set()
    return set(session.exec(select(GroupLeader.group_id).where(GroupLeader.user_id == user.id)).all())


def people_led_by(session: Session, user: User) -> frozenset[int]:
    """Everyone in the groups this user leads."""
    if user.id is None:
        return frozenset()
    rows = session.exec(
        select(GroupMember.person_id)
        .join(GroupLeader, col(GroupLeader.group_id) == col(GroupMember.group_id))
        .where(GroupLeader.user_id == user.id)
    )
    return frozenset(rows.all())


def member_counts(session: Session, group_ids: Sequence[int]) -> dict[int, int]:
    """How many people each group has (a group with none is not in the answer)."""
    if not group_ids:
        return {}
    rows = session.exec(
        select(GroupMember.group_id, func.count())
        .where(col(GroupMember.group_id).in_(group_ids))
        .group_by(col(GroupMember.group_id))
    ).all()
    return {group_id: int(n) for group_id, n in rows}


def member_ids(session: Session, group_id: int) -> list[int]:
    return sorted(session.exec(select(GroupMember.person_id).where(GroupMember.group_id == group_id)).all())


def leader_ids(session: Session, group_id: int) -> list[int]:
    return sorted(session.exec(select(GroupLeader.user_id).where(GroupLeader.group_id == group_id)).all())
