"""Tables: groups, their members and their leaders."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from registry.models.base import utcnow


class Group(SQLModel, table=True):
    __tablename__ = "groups"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    kind: str = Field(max_length=20)
    school: str | None = Field(default=None, max_length=120, index=True)
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class GroupMember(SQLModel, table=True):
    __tablename__ = "group_members"
    group_id: int = Field(foreign_key="groups.id", primary_key=True)
    person_id: int = Field(foreign_key="people.id", primary_key=True, index=True)


class GroupLeader(SQLModel, table=True):
    """A staff account that leads the group (a coach, a choir director, a homeroom teacher)."""

    __tablename__ = "group_leaders"
    group_id: int = Field(foreign_key="groups.id", primary_key=True)
    user_id: int = Field(foreign_key="users.id", primary_key=True, index=True)
