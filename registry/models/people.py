"""Tables: people and students' guardians."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.models.base import utcnow


class Person(SQLModel, table=True):
    __tablename__ = "people"
    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=64, unique=True, index=True)
    kind: str = Field(max_length=20, index=True)
    name: str = Field(max_length=200, index=True)
    school: str | None = Field(default=None, max_length=120, index=True)
    grade: str | None = Field(default=None, max_length=20)
    birth_date: date | None = None  # from the roster: whether a student signs their own forms
    status: str = Field(default="active", max_length=10)
    departed_on: date | None = None
    # The day they last left the district, kept when they come back: forms signed on or before it end.
    last_departed_on: date | None = None
    # Name, ID and guardians' names as searched (registry/people/service.py search_key), kept on every write.
    search_key: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Guardian(SQLModel, table=True):
    __tablename__ = "guardians"
    __table_args__ = (UniqueConstraint("student_id", "name", name="uq_guardian_student_name"),)
    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="people.id", index=True)
    name: str = Field(max_length=200)
    relationship: str = Field(max_length=20)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
