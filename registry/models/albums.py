"""Tables: album jobs and their photos."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import JSON, Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from registry.models.base import utcnow

ItemStatus = Literal["queued", "running", "done", "failed"]


class AlbumJob(SQLModel, table=True):
    __tablename__ = "album_jobs"
    id: int | None = Field(default=None, primary_key=True)
    uploader_id: int = Field(foreign_key="users.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="events.id")
    context_kind: str | None = Field(default=None, max_length=30)
    context_public: bool | None = None
    destination: str = Field(max_length=30)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    caption: str | None = Field(default=None, max_length=2000)
    source: str = Field(max_length=20, description="api, web or cli")
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class AlbumItem(SQLModel, table=True):
    __tablename__ = "album_items"
    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="album_jobs.id", index=True)
    position: int
    name: str = Field(max_length=255)
    photo_file: str | None = Field(default=None, max_length=80)
    status: str = Field(max_length=10, index=True)
    error: str | None = Field(default=None, max_length=500)
    # A purge may delete the clearance; the item then only says what became of the photo.
    clearance_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("clearances.id", ondelete="SET NULL"), nullable=True)
    )
    decision: str | None = Field(default=None, max_length=20)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=120)
    claimed_at: datetime | None = None
