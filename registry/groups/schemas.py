"""API schemas for groups and class lists."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from registry.core.schemas import Request
from registry.policy.vocabulary import Destination, PersonKind

GroupKind = Literal["team", "choir", "homeroom", "other"]


class GroupSave(Request):
    name: str = Field(min_length=1, max_length=120)
    kind: GroupKind
    school: str | None = Field(None, max_length=120)
    member_ids: list[int] = Field(default_factory=list, max_length=2000, description="the people in the group")
    leader_ids: list[int] = Field(
        default_factory=list, max_length=50, description="the staff accounts who lead it (see its class list)"
    )


class GroupPublic(BaseModel):
    id: int
    name: str
    kind: GroupKind
    school: str | None
    member_ids: list[int]
    leader_ids: list[int]


class ListedStudentPublic(BaseModel):
    person_id: int
    name: str
    kind: PersonKind = Field(
        description="student, employee (a co-worker) or community_member (a parent or a volunteer)"
    )
    grade: str | None
    refused: bool = Field(description="a refusal or a withdrawal on record (otherwise: no release for it)")
    words: str
    thumbnail_url: str | None


class ClassListPublic(BaseModel):
    title: str
    destination: Destination
    printed_on: date
    students: int = Field(description="how many students the list covers")
    others: int = Field(0, description="how many co-workers, parents and volunteers of the group it covers")
    listed: list[ListedStudentPublic]
