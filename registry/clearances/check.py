"""What clearing one photo is given: the uploader's question, and the service's means to answer it.

`PhotoCheck` is the question (who asks, for which destination, where the photo was taken, its tags
and caption; for a blurred copy, the original and the areas the service blurred). `Clearing` is the
service's side: settings, the policy pack, the enrolled templates, and where faces are read (a
worker pool, or this process). Both are frozen: the API route, the page, the album runner and the
blurred copy each build one and hand it to `registry.clearances.service.clear_photo` or, when the
faces are read elsewhere, `record_or_search_again`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from media.analysis import AnalysisSettings, PhotoAnalysis, analyse_photo
from media.faces import Box
from registry.core.settings import Settings
from registry.faces.templates import TemplateCache
from registry.models.accounts import User
from registry.models.albums import AlbumJob
from registry.models.clearances import Clearance
from registry.models.events import Event
from registry.policy import PolicyPack


@dataclass(frozen=True)
class PhotoCheck:
    """May this photo be posted there? Everything the uploader says about it."""

    uploader: User
    destination: str
    event_id: int | None = None
    context_kind: str | None = None  # without an event: what kind of occasion, and
    context_public: bool | None = None  # whether it was open to the public
    tags: tuple[str, ...] = ()
    caption: str | None = None
    file_name: str | None = None  # the photo's own name, as the uploader chose it (shown on their pages)
    redacted_of: Clearance | None = None  # a blurred copy: the clearance it was made from
    blurred_boxes: tuple[Box, ...] = ()  # and the areas the service blurred in it

    @classmethod
    def asked_again(cls, asked: AlbumJob | Clearance, *, uploader: User, **more: Any) -> PhotoCheck:
        """The question as an album or an earlier clearance recorded it, asked for another photo."""
        return cls(
            uploader=uploader,
            destination=asked.destination,
            event_id=asked.event_id,
            context_kind=asked.context_kind,
            context_public=asked.context_public,
            tags=tuple(asked.tags),
            caption=asked.caption,
            **more,
        )


@dataclass(frozen=True)
class Clearing:
    """The service's means to clear a photo.

    ``analyse`` reads the faces (a worker pool's, or in this process). With ``hold_no_transaction``
    the transaction ends before each reading: on SQLite it would hold the write lock for seconds.
    """

    settings: Settings
    pack: PolicyPack
    templates: TemplateCache
    analyse: Callable[[bytes, AnalysisSettings], PhotoAnalysis] = analyse_photo
    hold_no_transaction: bool = False


@dataclass(frozen=True)
class PhotoContext:
    """Where the photo was taken, resolved: the event named, or the kind and openness declared."""

    kind: str
    public: bool
    event: Event | None
