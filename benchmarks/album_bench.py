"""Album throughput, in this process: the pool of worker processes against the same work in one process.

Both runs do the whole job per photo (decode, detect, encode, match against enrolled people,
decide, record, keep the file) on a SQLite database seeded identically. Memory is sampled as the
proportional set size (PSS: shared pages split between the processes sharing them) of this
process and all its descendants, so the pool's shared face models are not counted twice.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from benchmarks.machine import process_tree
from benchmarks.service import ENROLLED, FACES
from media.analysis import reuse_freed_memory
from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.albums.runner import AlbumRunner
from registry.albums.service import add_photo, start_album
from registry.clearances.check import Clearing, PhotoCheck
from registry.clearances.service import clear_photo
from registry.consents import service as consents
from registry.consents.schemas import ConsentCreate
from registry.core.db import make_engine, new_session, unit_of_work
from registry.core.migrate import upgrade
from registry.core.settings import Settings
from registry.faces.analysis_pool import AnalysisPool
from registry.faces.enrolment import enrol_face
from registry.faces.templates import TemplateCache
from registry.models.accounts import User
from registry.models.albums import AlbumItem
from registry.people import service as people
from registry.people.schemas import PersonCreate
from registry.policy.ledger import District
from registry.policy.pack import load_active_pack

CONTEXT: dict[str, Any] = {
    "destination": "personal_social_media",
    "event_id": None,
    "context_kind": "sporting_event",
    "context_public": True,
    "tags": [],
    "caption": None,
}


@dataclass(frozen=True)
class AlbumResult:
    photos: int
    seconds: float
    peak_mib: float

    @property
    def per_second(self) -> float:
        return self.photos / self.seconds


def seeded_database(folder: Path) -> Path:
    """A migrated SQLite file with an administrator and three enrolled, consenting employees."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "registry.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    settings = Settings(environment="test", data_dir=folder)
    district = District(load_active_pack(settings.policy_pack), settings.time_zone)
    signed = date.today() - timedelta(days=10)
    with unit_of_work(engine, actor="bench") as session:
        admin = accounts.add_user(
            session,
            data=UserCreate(
                email="bench@district.example.org", full_name="Bench", role="admin", password="benchmark password"
            ),
        )
        for external_id, name, photo in ENROLLED:
            person = people.add_person(session, data=PersonCreate(external_id=external_id, kind="employee", name=name))
            for kind, scopes in (("biometric", []), ("image_release", ["personal_social_media"])):
                consents.record_consent(
                    session,
                    data=ConsentCreate(
                        person_id=int(person.id or 0),
                        kind=kind,
                        status="granted",
                        scopes=scopes,
                        signer_name=name,
                        signer_relationship="self",
                        signed_on=signed,
                    ),
                    entered_by_id=int(admin.id or 0),
                    district=district,
                )
            enrol_face(
                session,
                person=person,
                photo=(FACES / photo).read_bytes(),
                face_index=None,
                created_by=admin,
                settings=settings,
                district=district,
            )
    engine.dispose()
    return path


def _fresh(seed: Path, folder: Path) -> tuple[Settings, object]:
    folder.mkdir(parents=True)
    shutil.copy(seed, folder / "registry.db")
    settings = Settings(environment="test", data_dir=folder)
    return settings, make_engine(settings.sqlalchemy_url)


def album_in_pool(seed: Path, folder: Path, photos: list[bytes], processes: int) -> AlbumResult:
    settings, engine = _fresh(seed, folder)
    pack = load_active_pack(settings.policy_pack)
    pool = AnalysisPool(processes)
    for future in [pool.submit(photos[0], _how(settings)) for _ in range(processes)]:
        future.result()  # a running service keeps its pool warm: start-up is not the album's cost
    with unit_of_work(engine, actor="bench") as session:  # type: ignore[arg-type]
        user = session.get(User, 1)
        assert user is not None
        job = start_album(session, PhotoCheck(uploader=user, **CONTEXT), source="cli", pack=pack)
        for n, photo in enumerate(photos):
            add_photo(session, job=job, position=n, name=f"{n}.jpg", data=photo, error=None, settings=settings)
        job_id = int(job.id or 0)
    runner = AlbumRunner(
        engine,  # type: ignore[arg-type]
        settings=settings,
        pack=pack,
        templates=TemplateCache(),
        pool=pool,
        poll_seconds=0.05,
        only_job=job_id,
    )
    with MemorySampler() as memory:
        start = time.perf_counter()
        while _unfinished(engine, job_id):
            runner.run_pass()
        seconds = time.perf_counter() - start
    pool.shutdown()
    return AlbumResult(len(photos), seconds, memory.peak_mib)


def album_in_one_process(seed: Path, folder: Path, photos: list[bytes]) -> AlbumResult:
    """The baseline: every photo in this process, one after another, with the pool workers' memory setting."""
    reuse_freed_memory()  # so that the ratio measures the second core, not the allocator
    settings, engine = _fresh(seed, folder)
    pack, templates = load_active_pack(settings.policy_pack), TemplateCache()
    with MemorySampler() as memory:
        start = time.perf_counter()
        for photo in photos:
            with unit_of_work(engine, actor="bench") as session:  # type: ignore[arg-type]
                user = session.get(User, 1)
                assert user is not None
                clear_photo(
                    session,
                    PhotoCheck(uploader=user, **CONTEXT),
                    photo,
                    using=Clearing(settings=settings, pack=pack, templates=templates),
                )
        seconds = time.perf_counter() - start
    return AlbumResult(len(photos), seconds, memory.peak_mib)


def _how(settings: Settings):
    from registry.faces.analysis_pool import analysis_settings

    return analysis_settings(settings)


def _unfinished(engine: object, job_id: int) -> int:
    with new_session(engine) as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(AlbumItem)
                .where(AlbumItem.job_id == job_id, col(AlbumItem.status).in_(("queued", "running")))
            ).one()
        )


def tree_pss_mib(root: int, tree: set[int] | None = None) -> float:
    """Summed PSS of ``root``'s process tree (or of the given processes), in MiB."""
    total_kib = 0
    for pid in tree if tree is not None else process_tree(root):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


class MemorySampler:
    """Peak PSS of this process tree while the block runs.

    Sampled every 200 ms, and the tree is listed again only once a second: reading /proc costs
    CPU that the work being measured competes for (every 50 ms, with the tree listed each time,
    it took about a tenth of the pool's throughput on 2 cores).
    """

    INTERVAL = 0.2
    TREE_EVERY = 1.0

    def __init__(self) -> None:
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        tree, listed = process_tree(os.getpid()), time.monotonic()
        while not self._stop.wait(self.INTERVAL):
            if time.monotonic() - listed > self.TREE_EVERY:
                tree, listed = process_tree(os.getpid()), time.monotonic()
            self.peak_mib = max(self.peak_mib, tree_pss_mib(os.getpid(), tree))

    def __enter__(self) -> MemorySampler:
        self.peak_mib = tree_pss_mib(os.getpid())
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
