"""The service as several hosts against the embedded default, in the same run.

- embedded: `serve` as a school runs it (REGISTRY_ANALYSIS=local, its own pool of two face-engine processes,
  SQLite and the data folder);
- 1 worker host and 2 worker hosts: PostgreSQL, the object store (SeaweedFS), one API host and one or two
  worker hosts (one `registry worker` process each), every one a network namespace with its own address
  (tests/netns_cluster.py; needs root, and is left out with a message where namespaces cannot be made).

In each, an album of ALBUM photos (the repository's photos at their own sizes) is sent through the API and
followed until finished (photos/s), while another account sends a single photo every 3 s and times it until its
clearance is recorded (p50, p95): benchmarks/external_analysis.py's `run`. The CPU seconds each part used per
album photo are read from /proc (the workers, the API host, PostgreSQL, the object store), and one more figure
is measured in this process: what a 12 MP photo of 24 faces (a team photo) costs the face engine against the
album's photos, for the sizing on paper in the README ("Running on several hosts").

Run from the repository root, as root:  .venv/bin/python -m benchmarks.cluster [--quick]
(--quick: an album of 6; one set of hosts for both host counts, the second worker host started after the first's
album; the face engine's cost averaged over every fourth album photo.)
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from benchmarks.external_analysis import ALBUM_PHOTOS, environment, run
from benchmarks.load import percentile
from benchmarks.machine import OtherLoad, machine, process_table, process_tree
from benchmarks.service import ADMIN_EMAIL, ADMIN_PASSWORD, running_service
from tests.netns_cluster import PG_BIN, cluster, netns_refusal

TEAM_FACES = 24
Row = tuple[float, list[float], dict[str, float]]  # photos/s, single-photo latencies, CPU s per album photo


def cpu_of(pids: set[int]) -> float:
    table = process_table()
    return sum(table[pid][1] for pid in pids if pid in table)


def trees(roots: dict[str, list[int]]) -> dict[str, set[int]]:
    table = process_table()
    return {role: set().union(*(process_tree(pid, table) for pid in pids)) for role, pids in roots.items()}


def measured(url: str, album_size: int, roots: dict[str, list[int]], *, teacher: str = "teacher") -> Row:
    """``run``, with the CPU seconds per album photo of each part (processes that start during it included)."""
    before = {role: cpu_of(pids) for role, pids in trees(roots).items()}
    rate, latencies = run(url, album_size=album_size, teacher=teacher)
    after = {role: cpu_of(pids) for role, pids in trees(roots).items()}
    return rate, latencies, {role: (after[role] - before[role]) / album_size for role in roots}


def embedded(album_size: int) -> Row:
    with (
        tempfile.TemporaryDirectory() as folder,
        # Every single photo checked anew, as on the hosts: the same photo sent again within the repeat window
        # would be answered with its first clearance.
        environment(REGISTRY_ANALYSIS="local", REGISTRY_ANALYSIS_PROCESSES="2", REGISTRY_REPEAT_UPLOAD_MINUTES="0"),
        running_service(Path(folder)) as url,
    ):
        ours = os.getpid()
        children = [pid for pid, (parent, _) in process_table().items() if parent == ours]
        return measured(url, album_size, {"service (API and its pool)": children})


def on_hosts(album_size: int, counts: tuple[int, ...]) -> list[Row]:
    """A row for each count of worker hosts: fresh hosts for each, or (``counts`` of more than one) one set of
    hosts on which the worker hosts are started one by one, each count measured once its workers beat."""
    with tempfile.TemporaryDirectory() as folder:
        settings = {"REGISTRY_ADMIN_EMAIL": ADMIN_EMAIL, "REGISTRY_ADMIN_PASSWORD": ADMIN_PASSWORD}
        with cluster(Path(folder), apis=1, workers=max(counts), **settings) as hosts:
            rows = []
            for workers in counts:
                for n in range(len(hosts.workers) + 1, workers + 1):
                    hosts.start_worker(f"worker-{n}")
                hosts.wait_for_workers("api-1", workers)
                roots = {
                    "workers": [p.pid for n in range(1, workers + 1) for p in hosts.hosts[f"worker-{n}"].processes],
                    "API host": [p.pid for p in hosts.hosts["api-1"].processes],
                    "PostgreSQL": [p.pid for p in hosts.hosts["postgres"].processes],
                    "object store": [p.pid for p in hosts.hosts["store"].processes],
                }
                rows.append(measured(hosts.url("api-1"), album_size, roots, teacher=f"teacher-{workers}"))
            return rows


def team_photo() -> bytes:
    """A 12 MP photo of TEAM_FACES people: the repository's portraits side by side, six by four."""
    photo = Image.new("RGB", (4000, 3000), (90, 120, 90))
    portraits = [p for p in ALBUM_PHOTOS if "1080p" not in p.name and "720p" not in p.name]
    cell = (4000 // 6, 3000 // 4)
    for n in range(TEAM_FACES):
        with Image.open(portraits[n % len(portraits)]) as portrait:
            tile = portrait.convert("RGB")
            tile.thumbnail(cell)
            photo.paste(tile, ((n % 6) * cell[0], (n // 6) * cell[1]))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=90)
    return out.getvalue()


def face_engine_cost(every: int = 1) -> tuple[float, float, int]:
    """CPU seconds of the face engine (this process, the service's settings) for an album photo on average (over
    every ``every``-th) and for the team photo, and the faces it found in the team photo."""
    from media.analysis import analyse_photo, start_worker
    from registry.core.settings import Settings
    from registry.faces.analysis_pool import analysis_settings

    start_worker(None)
    how = analysis_settings(Settings(secret_key="benchmark-" + "x" * 40))

    def cpu(photo: bytes) -> tuple[float, int]:
        began = time.process_time()
        analysis = analyse_photo(photo, how)
        return time.process_time() - began, len(analysis.faces)

    album = statistics.mean(cpu(p.read_bytes())[0] for p in ALBUM_PHOTOS[::every])
    team = team_photo()
    cpu(team)  # once to warm up
    seconds, faces = cpu(team)
    return album, seconds, faces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 6-photo album instead of 200, one set of hosts")
    args = parser.parse_args()
    album_size = 6 if args.quick else 200
    print(machine())
    refusal = netns_refusal() or (None if (PG_BIN / "initdb").exists() else f"{PG_BIN} is not installed")
    if refusal:
        print(f"The worker hosts are left out: they are network namespaces, and {refusal}.")
    results: dict[str, Row] = {}
    with OtherLoad() as other:
        results["embedded (local pool of 2 processes, SQLite, data folder)"] = embedded(album_size)
        if not refusal:
            shared = [(1, 2)] if args.quick else [(1,), (2,)]  # fresh hosts for each count in the full run
            rows = [row for counts in shared for row in on_hosts(album_size, counts)]
            results["1 worker host"], results["2 worker hosts"] = rows
        album_cpu, team_cpu, team_faces = face_engine_cost(4 if args.quick else 1)
    base = results.get("1 worker host", next(iter(results.values())))[0]
    print(f"\n{other.sentence()}")
    print(f"| how faces are read | album of {album_size} (photos/s) | single photo meanwhile: p50 / p95 (n) |")
    print("|---|---|---|")
    for name, (rate, latencies, _) in results.items():
        ratio = f" ({rate / base:.2f}× one worker host)" if name != "1 worker host" and refusal is None else ""
        p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
        print(f"| {name} | {rate:.2f}{ratio} | {p50:.1f} / {p95:.1f} s ({len(latencies)}) |")
    print("\n| how faces are read | CPU seconds per album photo, by part |")
    print("|---|---|")
    for name, (_, _, cpu) in results.items():
        parts = ", ".join(f"{role} {seconds:.2f}" for role, seconds in cpu.items())
        print(f"| {name} | {parts} (all: {sum(cpu.values()):.2f}) |")
    print(
        f"\nThe face engine alone, in this process: {album_cpu:.2f} CPU s for an album photo on average; a 12 MP team"
        f" photo of {TEAM_FACES} people: {team_cpu:.2f} CPU s ({team_faces} faces found), {team_cpu / album_cpu:.1f}×."
    )


if __name__ == "__main__":
    main()
