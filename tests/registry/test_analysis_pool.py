"""The analysis pool's worker processes: results, a worker that dies, an owner that dies, and memory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from media.analysis import AnalysisSettings
from registry.faces.analysis_pool import AnalysisPool, EngineStopped
from tests.conftest import FACES, ROOT

PHOTO = (FACES / "groups" / "biden-obama-child.jpg").read_bytes()


def worker_pids(pool: AnalysisPool) -> list[int]:
    executor = pool._current()
    return list(executor._processes)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def eventually(check, seconds: float = 30.0) -> bool:
    """Polls ``check`` until it holds; a generous bound on a shared machine, not a speed requirement."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return bool(check())


@pytest.fixture
def pool():
    pool = AnalysisPool(2)
    yield pool
    pool.shutdown()


def test_workers_find_the_same_faces_as_the_manifest(pool: AnalysisPool) -> None:
    analysis = pool.analyse(PHOTO, AnalysisSettings())
    assert len(analysis.faces) == 3
    assert all(len(face.encoding) == 128 for face in analysis.faces)


def test_a_worker_that_dies_fails_its_photo_and_the_pool_recovers(pool: AnalysisPool) -> None:
    pool.analyse(PHOTO, AnalysisSettings())
    future = pool.submit(PHOTO, AnalysisSettings())
    for pid in worker_pids(pool):
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(EngineStopped) as stopped:
        pool.result(future)
    assert stopped.value.status_code == 422 and "Export it again" in stopped.value.message
    assert len(pool.analyse(PHOTO, AnalysisSettings()).faces) == 3  # a new pool took over


OWNER = """
import json, os, sys
from media.analysis import AnalysisSettings
from registry.faces.analysis_pool import AnalysisPool
if __name__ == "__main__":
    pool = AnalysisPool(2)
    pool.analyse(open(sys.argv[1], "rb").read(), AnalysisSettings())
    print(json.dumps(list(pool._current()._processes)), flush=True)
    os.kill(os.getpid(), 9)  # killed: no shutdown, no clean-up
"""


@pytest.mark.slow
def test_workers_end_when_the_service_that_owns_them_is_killed() -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(FACES / "groups" / "kit-rose.jpg")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert owner.stdout is not None
        workers = json.loads(owner.stdout.readline())
        assert workers
        # Not reaped yet: the owner stays a zombie, as it may under a slow supervisor; it is gone all the same.
        assert eventually(lambda: not any(alive(pid) for pid in workers)), (
            "workers of a killed service are still running"
        )
    finally:
        owner.kill()
        owner.wait()


ALLOCATOR = """
import io, json, resource, sys
from PIL import Image
from media import analysis
faults = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
if sys.argv[1] == "reuse":
    assert analysis.reuse_freed_memory() is not None
out = io.BytesIO()
Image.open(sys.argv[2]).convert("RGB").resize((4000, 3000)).save(out, "JPEG", quality=90)
photo = out.getvalue()
analysis.analyse_photo(photo)  # the first photo's memory has to be faulted in either way
before = faults()
for _ in range(2):
    analysis.analyse_photo(photo)
print(json.dumps((faults() - before) // 2))
"""


def page_faults_per_photo(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", ALLOCATOR, mode, str(FACES / "groups" / "kit-rose.jpg")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return int(json.loads(out.stdout))


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux with glibc only")
def test_workers_reuse_a_photos_memory_for_the_next_instead_of_faulting_it_in_again() -> None:
    pixels = 4000 * 3000 * 3 // 4096  # pages of one decoded 12 MP photo
    default, reuse = page_faults_per_photo("default"), page_faults_per_photo("reuse")
    assert default > pixels  # by default each photo faults at least its own pixels in afresh
    assert reuse < default // 5, (reuse, default)


IDLE = """
import json, sys, time
import numpy as np
from media import analysis
rss = lambda: int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1]) // 1024
analysis.IDLE_TRIM_SECONDS = 1.0
analysis.start_worker()
block = np.ones(200 * 2**20, dtype=np.uint8)
del block
analysis._last_finished = time.monotonic()  # as when a photo has just been analysed
held = rss()
deadline = time.monotonic() + 60
while rss() > held - 150 and time.monotonic() < deadline:
    time.sleep(0.2)
print(json.dumps({"held": held, "after": rss()}))
"""


@pytest.mark.slow  # real processes: the whole suite runs it, the fast lane does not
def test_an_idle_worker_hands_its_memory_back() -> None:
    out = subprocess.run(
        [sys.executable, "-c", IDLE], cwd=ROOT, capture_output=True, text=True, check=True, timeout=180
    )
    memory = json.loads(out.stdout)
    assert memory["after"] < memory["held"] - 150, memory
