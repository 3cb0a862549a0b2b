"""API schemas for albums."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as Described

from registry.core.schemas import PhotoStanding
from registry.models.albums import ItemStatus
from registry.policy.vocabulary import Verdict


class AlbumItemPublic(BaseModel):
    id: int
    position: int
    name: str
    status: ItemStatus
    status_words: str = Described(description="the status in words, as the album's page shows it")
    error: str | None
    clearance_id: int | None
    decision: Verdict | None
    standing: PhotoStanding | None = Described(
        None, description="the photo now: its decision, or take_down when it is no longer allowed since"
    )
    thumbnail_url: str | None


class AlbumPublic(BaseModel):
    id: int
    uploader_id: int
    event_id: int | None
    context_kind: str | None
    context_public: bool | None
    destination: str
    tags: list[str]
    caption: str | None
    source: str
    created_at: datetime
    finished_at: datetime | None
    finished: bool
    total: int
    counts: dict[str, int]
    decisions: dict[str, int]
    items: list[AlbumItemPublic]
