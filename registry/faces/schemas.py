"""API schemas for face boxes and enrolled templates."""

from __future__ import annotations

from datetime import datetime

from pydantic import (
    BaseModel,
)


class BoxPublic(BaseModel):
    top: int
    right: int
    bottom: int
    left: int


class FaceTemplatePublic(BaseModel):
    """An enrolled face, described; the encoding itself never leaves the server."""

    id: int
    person_id: int
    model: str
    box: BoxPublic
    source_width: int
    source_height: int
    created_at: datetime
