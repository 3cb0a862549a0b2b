"""Album work outlives the process: a restarted service finishes what a stopped one left behind."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from registry.albums.service import add_photo, start_album
from registry.clearances.check import PhotoCheck
from registry.core.db import new_session
from registry.events.schemas import EventCreate
from registry.events.service import add_event
from registry.models.accounts import User
from registry.models.albums import AlbumItem
from registry.models.base import utcnow
from registry.policy.pack import load_active_pack
from tests.api.album_helpers import add_account, album_client, album_engine, album_settings, blank_jpeg, wait_finished
from tests.api.clearance_helpers import with_camera_time
from tests.conftest import FACES

__all__ = ["album_engine"]


def test_photos_left_queued_or_running_by_a_stopped_service_are_finished_at_the_next_start(
    tmp_path,
    album_engine,
):
    settings = album_settings(tmp_path)
    coach = add_account(album_engine, settings, "employee", "coach@district.example.org")
    with new_session(album_engine, expire_on_commit=False) as session:
        user = session.get(User, 1)
        assert user is not None
        now = datetime.now().replace(microsecond=0)
        game = add_event(
            session,
            created_by_id=1,
            time_zone=settings.time_zone,
            data=EventCreate(
                name="Home game",
                kind="sporting_event",
                public=True,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=2),
            ),
        )
        job = start_album(
            session,
            PhotoCheck(
                uploader=user,
                destination="personal_social_media",
                event_id=game.id,
                context_kind=None,
                context_public=None,
                tags=tuple([]),
                caption=None,
            ),
            source="api",
            pack=load_active_pack(settings.policy_pack),
        )
        photos = [
            ("was-running.jpg", with_camera_time((FACES / "groups" / "kit-rose.jpg").read_bytes(), now)),
            ("was-queued.jpg", blank_jpeg()),
            ("file-lost.jpg", blank_jpeg()),
        ]
        items = [
            add_photo(session, job=job, position=n, name=name, data=data, error=None, settings=settings)
            for n, (name, data) in enumerate(photos)
        ]
        # The first was being analysed by a worker process that is gone (pid 999999 on this host) ...
        session.exec(
            update(AlbumItem)
            .where(col(AlbumItem.id) == items[0].id)
            .values(
                status="running", claimed_by=f"{socket.gethostname()}:999999:stopped", claimed_at=utcnow(), attempts=1
            )
        )
        session.commit()
    # ... and the third's file was removed while the service was down.
    (settings.uploads_dir / (items[2].photo_file or "")).unlink()

    with album_client(settings, album_engine) as client:
        album = wait_finished(client, coach, int(job.id or 0))
    outcome = {i["name"]: (i["status"], i["decision"]) for i in album["items"]}
    assert outcome == {
        "was-running.jpg": ("done", "blocked"),  # two faces nobody could identify: not taken for students (IV.A.1)
        "was-queued.jpg": ("done", "allowed"),
        "file-lost.jpg": ("failed", None),
    }
    lost = next(i for i in album["items"] if i["name"] == "file-lost.jpg")
    assert "no longer on the server" in lost["error"]
    assert album["finished_at"] is not None


def test_a_photo_claimed_by_a_live_worker_is_left_to_it(tmp_path, album_engine):
    """Another API worker on this host is still working on it: no second clearance of the same photo."""
    import os

    from registry.albums.claims import stale_claims

    settings = album_settings(tmp_path)
    add_account(album_engine, settings, "employee", "coach@district.example.org")
    with new_session(album_engine, expire_on_commit=False) as session:
        user = session.get(User, 1)
        assert user is not None
        job = start_album(
            session,
            PhotoCheck(
                uploader=user,
                destination="print",
                event_id=None,
                context_kind="assembly",
                context_public=False,
                tags=tuple([]),
                caption=None,
            ),
            source="api",
            pack=load_active_pack(settings.policy_pack),
        )
        item = add_photo(session, job=job, position=0, name="a.jpg", data=blank_jpeg(), error=None, settings=settings)
        item.status, item.claimed_at = "running", utcnow()
        item.claimed_by = f"{socket.gethostname()}:{os.getppid()}:other"
        session.add(item)
        session.commit()
        me = f"{socket.gethostname()}:{os.getpid()}:me"
        assert stale_claims(session, runner=me, older_than=utcnow().replace(year=2000)) == []
        item.claimed_by = f"{socket.gethostname()}:{os.getpid()}:earlier-life"
        assert [i.id for i in stale_claims(session, runner=me, older_than=utcnow().replace(year=2000))] == [item.id]
