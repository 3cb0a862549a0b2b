"""Table: enrolled face templates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from registry.models.base import utcnow


class FaceTemplate(SQLModel, table=True):
    __tablename__ = "face_templates"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    encoding: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    model: str = Field(max_length=60)
    box_top: int
    box_right: int
    box_bottom: int
    box_left: int
    source_width: int
    source_height: int
    thumbnail: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
