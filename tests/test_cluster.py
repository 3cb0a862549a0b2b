"""The service as several hosts, on one machine: PostgreSQL, the object store (SeaweedFS), two API hosts and two
worker hosts, each a network namespace with its own address (tests/netns_cluster.py).

An album sent through one API host is followed through the other; a worker host is cut off (its link taken
down) while it reads a photo, and brought back once the other worker has taken that photo up again. Every
photo ends recorded exactly once, none lost, and the audit log verifies.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import FACES
from tests.netns_cluster import Cluster, cluster, netns_refusal

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.s3]

GAME = {"destination": "personal_social_media", "context_kind": "sporting_event", "context_public": "true"}
ALBUM = sorted(p for p in (FACES / "people").rglob("*.jpg") if "1080p" not in p.name)
ALBUM_SIZE = 16
DOING = "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'registry.clear_album_item' AND status = 'doing'"
READING = (  # photos claimed by a running job: its worker is past the claim, reading the photo
    "SELECT count(*) FROM procrastinate_jobs j JOIN album_items i ON i.claimed_by = 'job:' || j.id"
    " WHERE j.status = 'doing' AND i.status = 'running' AND i.job_id = %s"
)


def eventually(condition: Callable[[], object], *, seconds: float = 120, what: str = "") -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    refusal = netns_refusal()
    assert refusal is None, f"the cluster test makes network namespaces as hosts (ip netns, as root), and {refusal}"
    folder = tmp_path_factory.mktemp("cluster")
    with cluster(folder, apis=2, workers=2) as running:
        made = [host.namespace for host in running.hosts.values()]
        yield running
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not [name for name in made if name in left], left  # the namespaces (and their links) are gone
    for log in sorted(folder.glob("api-*.log")):
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-5000:]


def test_an_album_through_one_api_host_followed_through_another_survives_a_worker_host_cut_off(
    hosts: Cluster, tmp_path: Path
) -> None:
    one, two = hosts.url("api-1"), hosts.url("api-2")
    headers = hosts.sign_in("api-1")  # a sign-in made on one host holds on the other (the same secret key)
    assert httpx.get(f"{two}/api/v1/albums", headers=headers, timeout=30).status_code == 200
    for name in ("worker-1", "worker-2"):
        hosts.start_worker(name)
    hosts.wait_for_workers("api-2", 2)

    # The album's first two photos are large (seconds to read), so that each worker is cut or not cut while it
    # reads a photo, not while it writes one down.
    large = tmp_path / "large.jpg"
    with Image.open(FACES / "groups" / "biden-obama-child.jpg") as original:
        original.resize((4000, 2856)).save(large, quality=90)
    photos = [large, large] + [ALBUM[n % len(ALBUM)] for n in range(ALBUM_SIZE - 2)]
    files = [("photos", (f"{n:02}-{p.name}", p.read_bytes(), "image/jpeg")) for n, p in enumerate(photos)]
    sent = httpx.post(f"{one}/api/v1/clearances/batch", headers=headers, files=files, data=GAME, timeout=120)
    assert sent.status_code == 202, sent.text
    album_id = sent.json()["id"]

    # Both workers are reading one of the large photos: worker-1's host is cut off mid-photo.
    eventually(lambda: hosts.query(READING, album_id)[0][0] == 2, what="both workers reading the album")
    cut = hosts.hosts["worker-1"]
    cut.cut_off()
    progress: list[dict[str, Any]] = []

    def finished() -> bool:
        progress.append(httpx.get(f"{two}/api/v1/albums/{album_id}", headers=headers, timeout=30).json())
        return bool(progress[-1]["finished"])

    try:
        # worker-2 takes up the photo worker-1 had begun (once its heartbeat stops; if worker-1 was cut inside a
        # transaction, once PostgreSQL gives its connection up, about 20 s) and every other photo: the album is
        # finished, followed through the other API host, while worker-1 is still cut off.
        eventually(
            lambda: httpx.get(f"{two}/healthz", timeout=10).json()["face_engine_workers"] == 1,
            seconds=30,
            what="the cut-off host's heartbeat stops reaching the database",
        )
        eventually(finished, seconds=180, what="the album is finished without the cut-off host")
    finally:
        cut.bring_back()
    # The host that came back finishes (or drops) the photo it was reading: wait until it beats again or stops,
    # then no job is left under way, so a second recording would show below.
    worker_one = hosts.workers["worker-1"]
    eventually(
        lambda: (
            worker_one.poll() is not None or httpx.get(f"{two}/healthz", timeout=10).json()["face_engine_workers"] == 2
        ),
        seconds=180,  # it first finishes the photo it was reading, with a closer look that now does more
        what="the host that was cut off is back or has stopped",
    )
    eventually(lambda: hosts.query(DOING)[0][0] == 0, seconds=60, what="no photo under way")

    items = progress[-1]["items"]
    # As the album was when it was finished, so it stays once the cut-off host is back.
    again = httpx.get(f"{one}/api/v1/albums/{album_id}", headers=headers, timeout=30).json()["items"]
    assert [(i["status"], i["clearance_id"]) for i in again] == [(i["status"], i["clearance_id"]) for i in items]
    assert len(items) == ALBUM_SIZE
    assert [item["status"] for item in items] == ["done"] * ALBUM_SIZE, items
    recorded = [item["clearance_id"] for item in items]
    assert None not in recorded and len(set(recorded)) == ALBUM_SIZE  # every photo recorded, each its own
    # Exactly one clearance per photo in the whole database: none recorded twice by the two hosts.
    assert hosts.query("SELECT count(*) FROM clearances") == [(ALBUM_SIZE,)]
    per_item = hosts.query(
        "SELECT i.id, count(c.id) FROM album_items i LEFT JOIN clearances c ON c.id = i.clearance_id"
        " WHERE i.job_id = %s GROUP BY i.id",
        album_id,
    )
    assert [count for _, count in per_item] == [1] * ALBUM_SIZE
    # Every photo had a job. (A job's own status is not the photo's: the cut-off host, back, can mark the job
    # it had begun failed, its connection having been given up, while the other host's run recorded the photo.)
    jobs = hosts.query("SELECT args->>'item_id' FROM procrastinate_jobs WHERE task_name = 'registry.clear_album_item'")
    assert {str(item) for (item,) in jobs} == {str(item_id) for item_id, _ in per_item}
    # Nothing a reviewer would miss: the album never said "finished" while a photo was still being read.
    for seen in progress:
        if seen["finished"]:
            assert all(item["status"] == "done" for item in seen["items"])

    verified = httpx.get(f"{two}/api/v1/audit/verify", headers=headers, timeout=60)
    assert verified.status_code == 200 and verified.json()["ok"], verified.text
    assert not unexpected_errors(hosts.logs / "worker-2.log")
    assert not unexpected_errors(hosts.logs / "worker-1.log", cut_off=True)


# When the cut-off host comes back it finishes the run it had begun; the job it was running is then marked
# finished by whichever of the two runs ends first, and the queue refuses the other's finish (procrastinate logs
# it as an error of its own task). Which one recorded the photo is decided by the photo's claim (asserted above);
# that refusal is expected here, any other error is not.
# The host cut off inside a transaction finds, back, that PostgreSQL gave up its connection (after about 20 s).
# Cut off while it fetches the photo from the store, its job ends with the store's own error, in words.
SECOND_FINISH = 'Job was not found or not in "doing" or "todo" status'
CONNECTION_GIVEN_UP = "server closed the connection unexpectedly"
STORE_UNREACHABLE = "cannot be reached ("  # the store's words; then whichever connection error it met


def unexpected_errors(log: Path, *, cut_off: bool = False) -> list[str]:
    expected = (SECOND_FINISH, CONNECTION_GIVEN_UP, STORE_UNREACHABLE) if cut_off else (SECOND_FINISH,)
    entries = re.split(r"\n(?=\d{4}-\d\d-\d\d )", log.read_text(errors="replace"))
    return [entry for entry in entries if "Traceback" in entry and not any(words in entry for words in expected)]
