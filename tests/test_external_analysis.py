"""REGISTRY_ANALYSIS=external, as a district would run it: the real service on PostgreSQL, and real
`registry worker` processes taking photos from the queue (procrastinate, on the same database).

The service reads no face itself here: each photo's clearance is recorded by a worker. A photo whose worker
has not finished within REGISTRY_ANALYSIS_WAIT_SECONDS is answered as still waiting for a face check and
completes once a worker records it; a worker SIGKILLed mid-photo loses nothing, and the photo is recorded
once, by another worker; a single photo goes ahead of a long album.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from PIL import Image

from media.images import ImageRejected
from registry.analysis.mode import analyser
from registry.analysis.queue import Dispatcher
from registry.core.db import make_engine
from registry.core.settings import Settings
from registry.core.storage import storage_for
from registry.faces.analysis_pool import AnalysisPool, analysis_settings
from tests.api.clearance_helpers import add_person, record
from tests.conftest import FACES, ROOT, create_pg_database, drop_pg_database, sqlalchemy_pg_url
from tests.test_service_start import free_port, wait_healthy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ADMIN, PASSWORD = "principal@district.example.org", "a long admin password"
WAIT_SECONDS = 6  # how long a request waits for its worker (REGISTRY_ANALYSIS_WAIT_SECONDS)
GAME = {"destination": "personal_social_media", "context_kind": "sporting_event", "context_public": "true"}
CLASSROOM = {"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"}
SMALL = FACES / "edge" / "obama-320x240.jpg"
CLEARANCES_SINCE = "SELECT count(*) FROM clearances WHERE id > %s"  # recorded since the test began (its ``first``)
JOBS_OF_ITEM = (
    "SELECT status::text, count(*) FROM procrastinate_jobs"
    " WHERE task_name = 'registry.clear_album_item' AND args->>'item_id' = %s GROUP BY 1"
)


@dataclass
class Cluster:
    """The service and its workers, on one fresh PostgreSQL database."""

    url: str
    database_url: str
    env: dict[str, str]
    logs: Path
    headers: dict[str, str] = field(default_factory=dict)
    workers: list[subprocess.Popen[str]] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen[str]:
        log = (self.logs / f"worker-{len(list(self.logs.glob('worker-*.log'))):02}.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "worker"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.workers.clear()

    def last_clearance(self) -> int:
        (found,) = self.query("SELECT coalesce(max(id), 0) FROM clearances")[0]
        assert isinstance(found, int)
        return found

    def query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with psycopg.connect(self.database_url) as conn:
            cursor = conn.execute(sql, args)
            return cursor.fetchall() if cursor.description else []

    def clear(self, photo: Path, form: dict[str, str]) -> httpx.Response:
        with photo.open("rb") as data:
            return httpx.post(
                f"{self.url}/api/v1/clearances",
                headers=self.headers,
                files={"photo": (photo.name, data, "image/jpeg")},
                data=form,
                timeout=120,
            )

    def album(self, album_id: int) -> dict[str, object]:
        answer = httpx.get(f"{self.url}/api/v1/albums/{album_id}", headers=self.headers, timeout=30)
        answer.raise_for_status()
        return answer.json()


def eventually(condition: Callable[[], object], *, seconds: float = 180, what: str = "") -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s: {what}")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One service for the module (starting one takes seconds); each test starts its own workers."""
    tmp_path = tmp_path_factory.mktemp("external")
    database = create_pg_database("registry_external")
    database_url = sqlalchemy_pg_url(database).replace("+psycopg", "")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REGISTRY_DATA_DIR": str(tmp_path / "data"),
        "REGISTRY_ADMIN_EMAIL": ADMIN,
        "REGISTRY_ADMIN_PASSWORD": PASSWORD,
        "REGISTRY_SECRET_KEY": "external-analysis-" + "x" * 40,
        "REGISTRY_ANALYSIS": "external",
        "REGISTRY_ANALYSIS_WAIT_SECONDS": str(WAIT_SECONDS),
        "REGISTRY_WORKER_HEARTBEAT_SECONDS": "1",
        "REGISTRY_HARDER_SEARCH_SECONDS": "900",
        "REGISTRY_REPEAT_UPLOAD_MINUTES": "0",
        "PYTHONWARNINGS": "ignore",
    }
    port, log = free_port(), tmp_path / "server.log"
    with log.open("w") as output:
        service = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "serve"],
            cwd=ROOT,
            env={**env, "PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    cluster = Cluster(url=f"http://127.0.0.1:{port}", database_url=database_url, env=env, logs=tmp_path)
    try:
        wait_healthy(port, service)
        token = httpx.post(f"{cluster.url}/api/v1/auth/token", data={"username": ADMIN, "password": PASSWORD})
        cluster.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        yield cluster
    finally:
        service.terminate()
        service.wait(timeout=60)
        drop_pg_database(database)
    assert "Traceback" not in log.read_text(), log.read_text()[-5000:]


@pytest.fixture
def cluster(service: Cluster) -> Iterator[Cluster]:
    """The service, with no worker running and no photo waiting when the test starts."""
    first_log = len(list(service.logs.glob("worker-*.log")))
    try:
        yield service
    finally:
        service.stop_workers()
        service.query("UPDATE album_items SET status = 'failed', error = 'test over' WHERE status <> 'done'")
        service.query("DELETE FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
    for worker_log in sorted(service.logs.glob("worker-*.log"))[first_log:]:
        assert "Traceback" not in worker_log.read_text(), worker_log.read_text()[-5000:]


def test_a_photo_is_cleared_through_the_api_by_a_worker(cluster: Cluster) -> None:
    assert httpx.get(f"{cluster.url}/healthz").json() == {"status": "ok", "face_engine_workers": 0}
    cluster.start_worker()
    eventually(
        lambda: httpx.get(f"{cluster.url}/healthz").json()["face_engine_workers"] == 1, what="the worker is alive"
    )
    answer = cluster.clear(SMALL, GAME)
    # Before the worker has loaded the face models the wait may run out: then it completes later (below).
    if answer.status_code == 202:
        album = answer.json()
        done = eventually(lambda: cluster.album(album["id"])["finished"], what="the worker records the photo")
        assert done
        clearance_id = cluster.album(album["id"])["items"][0]["clearance_id"]  # type: ignore[index]
        answer = httpx.get(f"{cluster.url}/api/v1/clearances/{clearance_id}", headers=cluster.headers)
    else:
        assert answer.status_code == 201, answer.text
    clearance = answer.json()
    assert len(clearance["faces"]) == 1  # read by the face engine, in the worker
    assert clearance["decision"] != "allowed"  # nobody is enrolled: an unknown face at a public game
    # Recorded by a worker: through an album of one photo on the queue, whose job succeeded.
    assert cluster.query("SELECT count(*) FROM album_items WHERE clearance_id = %s", clearance["id"]) == [(1,)]
    (item_id,) = cluster.query("SELECT id FROM album_items WHERE clearance_id = %s", clearance["id"])[0]
    assert cluster.query(JOBS_OF_ITEM, str(item_id)) == [("succeeded", 1)]


def test_a_photo_no_worker_reads_in_time_waits_queued_and_completes_later(cluster: Cluster) -> None:
    first = cluster.last_clearance()
    answer = cluster.clear(SMALL, GAME)  # no worker runs yet
    assert answer.status_code == 202, answer.text
    album = answer.json()
    assert answer.headers["Location"] == f"/api/v1/albums/{album['id']}"
    item = album["items"][0]
    assert (item["status"], item["clearance_id"], item["decision"]) == ("queued", None, None)
    assert item["status_words"] == "waiting for a face check; this page updates"
    assert cluster.query(CLEARANCES_SINCE, first) == [(0,)]  # nothing allowed, nothing decided

    cluster.start_worker()
    eventually(lambda: cluster.album(album["id"])["finished"], what="the worker completes the queued photo")
    item = cluster.album(album["id"])["items"][0]  # type: ignore[index]
    assert item["status"] == "done" and item["status_words"] == "checked"
    clearance = httpx.get(f"{cluster.url}/api/v1/clearances/{item['clearance_id']}", headers=cluster.headers).json()
    assert len(clearance["faces"]) == 1 and clearance["decision"] == item["decision"]
    assert cluster.query(CLEARANCES_SINCE, first) == [(1,)]


def test_a_worker_killed_mid_photo_loses_nothing_and_another_records_it_once(cluster: Cluster, tmp_path: Path) -> None:
    first_clearance = cluster.last_clearance()
    # A classroom photo of two people nobody enrolled, at 4000 px: several seconds to read at full size.
    photo = tmp_path / "classroom.jpg"
    with Image.open(FACES / "groups" / "biden-obama-child.jpg") as original:
        original.resize((4000, 2856)).save(photo, quality=90)
    album = httpx.post(
        f"{cluster.url}/api/v1/clearances/batch",
        headers=cluster.headers,
        files=[("photos", (photo.name, photo.read_bytes(), "image/jpeg"))],
        data={**CLASSROOM, "destination": "district_website"},
        timeout=60,
    )
    assert album.status_code == 202, album.text
    album_id = album.json()["id"]
    first = cluster.start_worker()
    eventually(
        lambda: cluster.query("SELECT status FROM album_items WHERE job_id = %s", album_id) == [("running",)],
        what="the first worker takes the photo",
    )
    time.sleep(0.5)  # well inside its analysis
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert cluster.query("SELECT status FROM album_items WHERE job_id = %s", album_id) == [("running",)]

    cluster.start_worker()
    eventually(lambda: cluster.album(album_id)["finished"], what="another worker takes the photo up again")
    item = cluster.album(album_id)["items"][0]  # type: ignore[index]
    assert item["status"] == "done", item
    assert cluster.query(CLEARANCES_SINCE, first_clearance) == [(1,)]  # recorded once
    ((item_id, attempts),) = cluster.query("SELECT id, attempts FROM album_items WHERE job_id = %s", album_id)
    assert attempts == 2
    # One job, started twice (the killed worker's run, and again after its worker went silent), finished once.
    assert cluster.query(JOBS_OF_ITEM.replace("count(*)", "max(attempts)"), str(item_id)) == [("succeeded", 2)]


def test_a_single_photo_goes_ahead_of_a_long_album(cluster: Cluster) -> None:
    cluster.start_worker()
    album_photos = [FACES / "people" / "obama" / "obama-720p.jpg"] * 10
    files = [("photos", (f"game-{n}.jpg", p.read_bytes(), "image/jpeg")) for n, p in enumerate(album_photos)]
    album = httpx.post(
        f"{cluster.url}/api/v1/clearances/batch", headers=cluster.headers, files=files, data=GAME, timeout=120
    )
    assert album.status_code == 202, album.text
    album_id = album.json()["id"]
    eventually(
        lambda: cluster.query("SELECT count(*) FROM album_items WHERE job_id = %s AND status = 'done'", album_id)[0][0],
        what="the album is under way",
    )
    answer = cluster.clear(SMALL, GAME)
    if answer.status_code == 202:
        single_album = answer.json()["id"]
        eventually(lambda: cluster.album(single_album)["finished"], what="the single photo is recorded")
        (single,) = cluster.query("SELECT clearance_id FROM album_items WHERE job_id = %s", single_album)
        single_id = single[0]
    else:
        assert answer.status_code == 201, answer.text
        single_id = answer.json()["id"]
    eventually(lambda: cluster.album(album_id)["finished"], what="the album is finished")
    (before,) = cluster.query(
        "SELECT count(*) FROM album_items WHERE job_id = %s AND clearance_id < %s", album_id, single_id
    )[0]
    assert isinstance(before, int)
    # The album photo being read when the single photo came, and at most one more that was already taken.
    assert 1 <= before <= 3, f"{before} of the album's 10 photos were recorded before the single photo"


def test_a_reference_face_or_a_blurred_copy_is_read_by_a_worker_through_the_store(
    cluster: Cluster, tmp_path: Path
) -> None:
    """The seam that enrolment and blurred copies call: the photo goes to the store, a worker reads it, the
    faces come back (with the face crops enrolment keeps), and nothing of it stays in the store."""
    settings = Settings(
        database_url=cluster.database_url,
        data_dir=Path(cluster.env["REGISTRY_DATA_DIR"]),
        secret_key=cluster.env["REGISTRY_SECRET_KEY"],
        analysis="external",
        analysis_wait_seconds=120,
    )
    engine = make_engine(settings.sqlalchemy_url)
    dispatcher = Dispatcher(engine, settings)
    analyse = analyser(settings, pool=lambda: AnalysisPool(1), dispatcher=dispatcher)
    cluster.start_worker()
    try:
        analysis = analyse(SMALL.read_bytes(), analysis_settings(settings, face_thumbnails=True))
        assert len(analysis.faces) == 1 and len(analysis.face_thumbnails) == 1
        assert analysis.faces[0].encoding.shape == (128,)
        with pytest.raises(ImageRejected):  # the photo's own refusal comes back as it would locally
            analyse(b"not a photo at all", analysis_settings(settings))
        assert list(storage_for(settings).keys("analysis/")) == []
    finally:
        dispatcher.close()
        engine.dispose()


def test_the_clear_command_hands_its_album_to_the_workers(cluster: Cluster, tmp_path: Path) -> None:
    folder = tmp_path / "game"
    folder.mkdir()
    for name in ("one.jpg", "two.jpg"):
        (folder / name).write_bytes(SMALL.read_bytes())
    cluster.start_worker()
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "clear", str(folder), "--destination", "personal_social_media"]
        + ["--context-kind", "sporting_event", "--public"],
        cwd=ROOT,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (1, 4), done.stdout + done.stderr  # unknown faces: blocked or for a reviewer
    (album_id,) = cluster.query("SELECT max(id) FROM album_jobs WHERE source = 'cli'")[0]
    items = cluster.query("SELECT id, status FROM album_items WHERE job_id = %s ORDER BY id", album_id)
    assert [status for _, status in items] == ["done", "done"]
    for item_id, _ in items:  # each read and recorded by a worker's job, none by the command itself
        assert cluster.query(JOBS_OF_ITEM, str(item_id)) == [("succeeded", 1)]


def test_the_enrol_folder_command_has_the_workers_read_the_reference_faces(cluster: Cluster, tmp_path: Path) -> None:
    """With faces read elsewhere, the command reads none itself: each reference photo goes to a worker."""
    cluster.start_worker()
    folder = tmp_path / "references"
    folder.mkdir()
    (folder / "S-ENROL-1.jpg").write_bytes(SMALL.read_bytes())
    with httpx.Client(base_url=cluster.url, timeout=30) as client:
        person_id = add_person(client, cluster.headers, "S-ENROL-1", "student", "Enrol Test")  # type: ignore[arg-type]
        record(client, cluster.headers, person_id, "biometric", signer="parent")  # type: ignore[arg-type]
    (before,) = cluster.query("SELECT count(*) FROM procrastinate_jobs")[0]
    assert isinstance(before, int)
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "enrol-folder", str(folder)],
        cwd=ROOT,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert cluster.query("SELECT count(*) FROM face_templates WHERE person_id = %s", person_id) == [(1,)]
    assert cluster.query("SELECT count(*) FROM procrastinate_jobs")[0][0] == before + 1  # read by a worker


def test_a_worker_the_others_gave_up_joins_the_queue_again_and_reads_photos(cluster: Cluster) -> None:
    """A worker whose row a starting worker pruned (its heartbeat was late: its host was cut off, the database was
    away) beats into nothing: it must notice, join again as a new worker, and go on reading photos."""
    cluster.start_worker()
    eventually(lambda: cluster.query("SELECT count(*) FROM procrastinate_workers")[0][0] == 1, what="it beats")
    ((first,),) = cluster.query("SELECT id FROM procrastinate_workers")
    cluster.query("DELETE FROM procrastinate_workers WHERE id = %s", first)  # what a starting worker's prune does

    eventually(
        lambda: cluster.query("SELECT count(*) FROM procrastinate_workers WHERE id <> %s", first)[0][0] == 1,
        seconds=60,
        what="the worker joins the queue again",
    )
    eventually(
        lambda: httpx.get(f"{cluster.url}/healthz").json()["face_engine_workers"] == 1,
        seconds=30,
        what="the service counts it again",
    )
    assert cluster.workers[-1].poll() is None  # the same process, still running
    answer = cluster.clear(SMALL, GAME)
    if answer.status_code == 202:  # the wait ran out: the photo completes later
        album_id = answer.json()["id"]
        eventually(lambda: cluster.album(album_id)["finished"], what="the worker records the photo")
    else:
        assert answer.status_code == 201, answer.text
        assert len(answer.json()["faces"]) == 1  # read by the worker that joined again
