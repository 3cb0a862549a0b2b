"""Face analysis on workers (REGISTRY_ANALYSIS=external) against the embedded default, in the same run.

The real service on a fresh PostgreSQL database each time, the photos of tests/data/faces at their own sizes:

- embedded: `serve` with its own pool of two face-engine processes (the default on 2 cores);
- external, 1 worker and 2 workers: `serve` with REGISTRY_ANALYSIS=external and that many `registry worker`
  processes (on this one machine: the processes a worker host would run, not separate hosts).

In each, an album of ALBUM photos is sent through the API and followed until it is finished (photos/s), while
a single photo is sent every SINGLE_EVERY seconds by another account and timed until its clearance is
recorded (p50, p95): what a teacher waits while a coach's album is read.

Run from the repository root:  .venv/bin/python -m benchmarks.external_analysis [--quick]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from benchmarks.load import percentile
from benchmarks.machine import OtherLoad, machine
from benchmarks.service import FACES, ROOT, fresh_postgres, running_service, sign_in

GAME = {"destination": "personal_social_media", "context_kind": "sporting_event", "context_public": "true"}
SINGLE = FACES / "edge" / "obama-320x240.jpg"
SINGLE_EVERY = 3.0
ALBUM_PHOTOS = sorted(p for p in (FACES / "people").rglob("*.jpg"))


@contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def workers(count: int, database_url: str, data_dir: Path) -> Iterator[None]:
    env = {**os.environ, "DATABASE_URL": database_url, "REGISTRY_DATA_DIR": str(data_dir), "PYTHONWARNINGS": "ignore"}
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


def cleared(client: httpx.Client, answer: httpx.Response) -> None:
    """Until the photo's clearance is recorded (at once for 201, by its worker for a 202 album of one)."""
    if answer.status_code == 201:
        return
    answer.raise_for_status()
    album = answer.json()["id"]
    while not client.get(f"/api/v1/albums/{album}").json()["finished"]:
        time.sleep(0.1)


def run(url: str, *, album_size: int, teacher: str = "teacher") -> tuple[float, list[float]]:
    """Photos/s of an album and the latencies of the single photos ``teacher`` (a new account's name before
    the @) sends meanwhile."""
    headers = sign_in(url)
    email = f"{teacher}@district.example.org"
    account = httpx.post(
        f"{url}/api/v1/users",
        headers=headers,
        json={"email": email, "full_name": "A Teacher", "role": "employee", "password": "a long teacher password"},
    )
    account.raise_for_status()
    token = httpx.post(
        f"{url}/api/v1/auth/token", data={"username": email, "password": "a long teacher password"}
    ).json()["access_token"]
    teacher_headers = {"Authorization": f"Bearer {token}"}
    photos = [ALBUM_PHOTOS[n % len(ALBUM_PHOTOS)] for n in range(album_size)]
    files = [("photos", (f"{n}-{p.name}", p.read_bytes(), "image/jpeg")) for n, p in enumerate(photos)]
    began = time.perf_counter()
    album = httpx.post(f"{url}/api/v1/clearances/batch", headers=headers, files=files, data=GAME, timeout=300)
    album.raise_for_status()
    album_id = album.json()["id"]
    latencies: list[float] = []
    finished = threading.Event()

    # One client for each loop: a new one per request loads the CA bundle again (tens of ms of CPU), which
    # every poll would take from the cores the album is read on.
    def singles() -> None:
        with httpx.Client(base_url=url, headers=teacher_headers, timeout=300) as client:
            while not finished.is_set():
                sent = time.perf_counter()
                with SINGLE.open("rb") as data:
                    answer = client.post(
                        "/api/v1/clearances", files={"photo": (SINGLE.name, data, "image/jpeg")}, data=GAME
                    )
                cleared(client, answer)
                latencies.append(time.perf_counter() - sent)
                finished.wait(SINGLE_EVERY)

    sender = threading.Thread(target=singles)
    sender.start()
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        while not client.get(f"/api/v1/albums/{album_id}").json()["finished"]:
            time.sleep(0.2)
    seconds = time.perf_counter() - began
    finished.set()
    sender.join()
    return album_size / seconds, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 12-photo album instead of 60")
    args = parser.parse_args()
    album_size = 12 if args.quick else 60
    print(machine())
    results: dict[str, tuple[float, list[float]]] = {}
    common = {"REGISTRY_SECRET_KEY": "benchmark-" + "x" * 40, "REGISTRY_REPEAT_UPLOAD_MINUTES": "0"}
    with OtherLoad() as other:
        for name, count in (
            ("embedded (local pool, 2 processes)", 0),
            ("external, 1 worker", 1),
            ("external, 2 workers", 2),
        ):
            with fresh_postgres() as database_url, tempfile.TemporaryDirectory() as folder:
                data_dir = Path(folder)
                mode = {"REGISTRY_ANALYSIS": "external"} if count else {"REGISTRY_ANALYSIS_PROCESSES": "2"}
                with (
                    environment(**common, **mode),
                    running_service(data_dir, database_url=database_url) as url,
                    workers(count, database_url, data_dir),
                ):
                    _wait_for_workers(url, count)
                    results[name] = run(url, album_size=album_size)
            rate, latencies = results[name]
            print(f"{name}: {rate:.2f} photos/s; single photo p50 {percentile(latencies, 0.5):.1f} s", flush=True)
    base = results["external, 1 worker"][0]
    print(f"\nother processes used {other.share:.0%} of the CPU meanwhile")
    print(f"| how faces are read | album of {album_size} (photos/s) | single photo while it runs: p50 / p95 (n) |")
    print("|---|---|---|")
    for name, (rate, latencies) in results.items():
        ratio = f" ({rate / base:.2f}× one worker)" if not name.endswith("1 worker") else ""
        print(
            f"| {name} | {rate:.2f}{ratio} | {percentile(latencies, 0.5):.1f} / {percentile(latencies, 0.95):.1f} s"
            f" ({len(latencies)}) |"
        )


def _wait_for_workers(url: str, count: int) -> None:
    deadline = time.monotonic() + 300
    while count and time.monotonic() < deadline:
        if httpx.get(f"{url}/healthz", timeout=5).json().get("face_engine_workers", 0) >= count:
            return
        time.sleep(0.5)


if __name__ == "__main__":
    main()
