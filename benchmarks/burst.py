"""A burst of classroom uploads through the real service, on SQLite and PostgreSQL, while /healthz and sign-in are
asked for without pause: how long they take to answer, and how long each photo takes to be decided.

For each database, in the same run: /healthz and sign-in are timed for a few seconds with nothing else to do
(the baseline), then throughout a burst of 30 concurrent uploads of a classroom photo of two enrolled,
consented employees (each is searched again more closely before it may be allowed, as every classroom photo
that would be allowed is), sent by ten teachers. A photo answered 201 was decided in its request; one
answered 202 was queued as an album of one photo and is followed until it is decided: its time to a decision
runs from the upload to the moment the album says so (asked every quarter second).

Run from the repository root:  .venv/bin/python -m benchmarks.burst [--quick]   (--quick: 10 uploads)
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.load import percentile
from benchmarks.machine import OtherLoad, machine
from benchmarks.service import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    FACES,
    enrol_people,
    fresh_postgres,
    running_service,
    sign_in,
)

IDLE_SECONDS = 3.0
TEACHERS = 10
PHOTO = FACES / "groups" / "biden-obama.jpg"
CLASSROOM = {"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"}


class Prober(threading.Thread):
    """Asks for /healthz every 50 ms, or signs in every 250 ms, until stopped; keeps each answer's time."""

    def __init__(self, url: str, what: str) -> None:
        super().__init__(daemon=True)
        self.url, self.what, self.stop = url, what, threading.Event()
        self.times: list[float] = []
        self.failures = 0

    def ask(self, client: httpx.Client) -> httpx.Response:
        if self.what == "healthz":
            return client.get("/healthz")
        return client.post("/api/v1/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=900) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    self.failures += self.ask(client).status_code != 200
                except httpx.HTTPError:
                    self.failures += 1
                self.times.append(time.perf_counter() - started)
                time.sleep(0.05 if self.what == "healthz" else 0.25)


def probing(url: str, seconds: float | None = None) -> tuple[Prober, Prober]:
    probers = (Prober(url, "healthz"), Prober(url, "sign-in"))
    for prober in probers:
        prober.start()
    if seconds is not None:
        time.sleep(seconds)
        stopped(probers)
    return probers


def stopped(probers: tuple[Prober, Prober]) -> None:
    for prober in probers:
        prober.stop.set()
    for prober in probers:
        prober.join(timeout=900)


def teachers(url: str, admin: dict[str, str]) -> list[dict[str, str]]:
    headers = []
    with httpx.Client(base_url=url, timeout=120) as client:
        for n in range(TEACHERS):
            email, password = f"teacher{n}@district.example.org", "a teacher's long password"
            client.post(
                "/api/v1/users",
                headers=admin,
                json={"email": email, "full_name": f"Teacher {n}", "role": "employee", "password": password},
            ).raise_for_status()
            token = client.post("/api/v1/auth/token", data={"username": email, "password": password})
            token.raise_for_status()
            headers.append({"Authorization": f"Bearer {token.json()['access_token']}"})
    return headers


def upload(client: httpx.Client, headers: dict[str, str], photo: bytes, n: int) -> tuple[float, str, str]:
    """(seconds from the upload to its decision, how it was answered, the decision)."""
    started = time.perf_counter()
    answer = client.post(
        "/api/v1/clearances", headers=headers, files={"photo": (f"class-{n}.jpg", photo, "image/jpeg")}, data=CLASSROOM
    )
    if answer.status_code == 201:
        return time.perf_counter() - started, "201", answer.json()["decision"]
    if answer.status_code != 202:
        return time.perf_counter() - started, str(answer.status_code), "none"
    while True:
        album = client.get(answer.headers["location"], headers=headers).json()
        if album["finished"]:
            return time.perf_counter() - started, "202", album["items"][0]["decision"] or "failed"
        time.sleep(0.25)


@dataclass
class Burst:
    idle: tuple[Prober, Prober]
    during: tuple[Prober, Prober]
    results: list[tuple[float, str, str]]  # each upload: seconds to its decision, its answer, the decision


def measure(data_dir: Path, database_url: str | None, uploads: int) -> Burst:
    photo = PHOTO.read_bytes()
    with running_service(data_dir, database_url=database_url) as url:
        admin = sign_in(url)
        enrol_people(url, admin)
        accounts = teachers(url, admin)
        idle = probing(url, IDLE_SECONDS)
        with httpx.Client(base_url=url, timeout=1800, limits=httpx.Limits(max_connections=uploads + 2)) as client:
            during = probing(url)
            with ThreadPoolExecutor(uploads) as pool:
                results = list(pool.map(lambda n: upload(client, accounts[n % TEACHERS], photo, n), range(uploads)))
            stopped(during)
    return Burst(idle, during, results)


def summary(times: list[float]) -> str:
    return f"{percentile(times, 0.5):.2f} / {percentile(times, 0.95):.2f} / {max(times):.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 uploads instead of 30")
    args = parser.parse_args()
    uploads = 10 if args.quick else 30
    print(f"## A burst of {uploads} concurrent classroom uploads on {machine()}\n", flush=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="registry-bench-") as tmp, OtherLoad() as other:
        results["SQLite"] = measure(Path(tmp) / "sqlite", None, uploads)
        with fresh_postgres() as url:
            results["PostgreSQL"] = measure(Path(tmp) / "postgres", url, uploads)
    print(other.sentence("the bursts (PostgreSQL's server processes count as other)") + "\n")
    print("| database | answer | during the burst: p50 / p95 / max | nothing else to do: p50 / p95 / max | p95 ratio |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        for busy, idle in zip(r.during, r.idle, strict=True):
            print(
                f"| {name} | {busy.what} ({len(busy.times)} answers, {busy.failures} failed) | {summary(busy.times)} "
                f"| {summary(idle.times)} | {percentile(busy.times, 0.95) / percentile(idle.times, 0.95):.0f}× |"
            )
    print("\n| database | uploads decided in the request / queued | time to a decision: p50 / p95 / max | decisions |")
    print("|---|---|---|---|")
    for name, r in results.items():
        done = r.results
        answered = {how: sum(h == how for _, h, _ in done) for how in sorted({h for _, h, _ in done})}
        decisions = {d: sum(x == d for _, _, x in done) for d in sorted({d for _, _, d in done})}
        print(
            f"| {name} | {answered.get('201', 0)} / {answered.get('202', 0)}"
            f"{'' if set(answered) <= {'201', '202'} else f' (other answers: {answered})'} "
            f"| {summary([t for t, _, _ in done])} | {decisions} |"
        )


if __name__ == "__main__":
    main()
