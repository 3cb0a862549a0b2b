"""Scale benchmark: 12 MP photos through the HTTP API, a 200-photo album, memory, and 4 API workers on
SQLite against PostgreSQL. Every ratio is against a baseline measured in the same run.

Run from the repository root:  .venv/bin/python -m benchmarks.scale [--quick]
(`./scripts/bench` runs this after benchmarks/faces.py, which measures matching at 1k–100k templates.)
--quick: the QUICK_PHOTOS through the API, an album of 6 of them, 24 requests per database (most of the quick
run's time is starting the 4 API workers twice: each starts its own face-engine process).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.album_bench import album_in_one_process, album_in_pool, seeded_database
from benchmarks.faces import manifest, read, upscaled_jpeg
from benchmarks.machine import OtherLoad, machine
from benchmarks.service import FACES, ROOT, clear, enrol_people, fresh_postgres, running_service, sign_in
from media.images import decode_photo

QUICK_PHOTOS = ("groups/biden-obama-child.jpg",)
SMALL_LOAD_PHOTOS = (
    "groups/biden-obama.jpg",
    "people/obama/obama-2.jpg",
    "people/kit_harington/kit-2.jpg",
    "groups/kit-rose.jpg",
)


def twelve_mp(folder: Path, files: list[str]) -> list[Path]:
    """12 MP JPEG upscales of the test photos, written to a temporary folder (never the repository)."""
    paths = []
    for n, file in enumerate(files):
        path = folder / f"{n:02d}-{Path(file).stem}.jpg"
        path.write_bytes(upscaled_jpeg(decode_photo(read(file))))
        paths.append(path)
    return paths


def plain_script(path: Path) -> tuple[float, list[tuple[int, int, int, int]]]:
    """What one would write with face_recognition alone: load, detect at full resolution, encode."""
    import face_recognition

    start = time.perf_counter()
    image = face_recognition.load_image_file(path)
    locations = face_recognition.face_locations(image)
    face_recognition.face_encodings(image, locations)
    return time.perf_counter() - start, locations


def same_faces(api_boxes: list[dict[str, int]], script_boxes: list[tuple[int, int, int, int]]) -> int:
    """Faces found by both: a script box whose centre lies inside an API box."""
    found = 0
    for top, right, bottom, left in script_boxes:
        y, x = (top + bottom) / 2, (left + right) / 2
        found += any(b["top"] <= y <= b["bottom"] and b["left"] <= x <= b["right"] for b in api_boxes)
    return found


def api_versus_script(data_dir: Path, photos: list[Path]) -> dict[str, float]:
    script_time, script_faces, api_time, api_faces, both = 0.0, 0, 0.0, 0, 0
    with running_service(data_dir) as url:
        headers = sign_in(url)
        enrol_people(url, headers)
        with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
            # Warm, with a photo not measured: the same photo sent again would be answered with its clearance.
            clear(client, (FACES / SMALL_LOAD_PHOTOS[0]).read_bytes()).raise_for_status()
            for path in photos:
                data = path.read_bytes()
                start = time.perf_counter()
                response = clear(client, data, path.name)
                api_time += time.perf_counter() - start
                response.raise_for_status()
                boxes = [face["box"] for face in response.json()["faces"]]
                seconds, locations = plain_script(path)
                script_time += seconds
                api_faces, script_faces = api_faces + len(boxes), script_faces + len(locations)
                both += same_faces(boxes, locations)
    n = len(photos)
    return {
        "api": api_time / n,
        "script": script_time / n,
        "api_faces": api_faces,
        "script_faces": script_faces,
        "both": both,
    }


def one_photo_memory(path: Path) -> dict[str, float]:
    """Peak RSS of a fresh worker process analysing one 12 MP photo, and its RSS with the engine loaded."""
    # VmHWM, not ru_maxrss: the latter keeps the peak of the forked parent across exec.
    code = (
        "import sys, json\nfrom media.analysis import analyse_photo, start_worker\n"
        "hwm = lambda: int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])\n"
        "start_worker()\nloaded = hwm()\nanalyse_photo(open(sys.argv[1], 'rb').read())\n"
        "print(json.dumps({'loaded': loaded / 1024, 'peak': hwm() / 1024}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return json.loads(out.stdout)


def load_test(data_dir: Path, database_url: str | None, requests: int, concurrency: int) -> dict[str, float]:
    photos = [str(FACES / p) for p in SMALL_LOAD_PHOTOS]
    with running_service(data_dir, workers=4, database_url=database_url) as url:
        headers = sign_in(url)
        enrol_people(url, headers)
        token = headers["Authorization"].split()[1]
        load = [sys.executable, "-m", "benchmarks.load", url, token]
        subprocess.run(
            [*load, str(concurrency * 2), str(concurrency), *photos], cwd=ROOT, check=True, capture_output=True
        )  # warm every worker's pool first; not measured
        out = subprocess.run(
            [*load, str(requests), str(concurrency), *photos], cwd=ROOT, check=True, capture_output=True, text=True
        )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer photos, a smaller album")
    args = parser.parse_args()
    files = list(QUICK_PHOTOS) if args.quick else [e.file for e in manifest() if e.faces > 0]
    in_manifest = sum(e.faces for e in manifest() if e.file in files)
    album_size, requests = (6, 24) if args.quick else (200, 120)
    cores = os.cpu_count() or 1
    print(f"## Scale ({'quick' if args.quick else 'full'} run) on {machine()}\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="registry-bench-") as tmp:
        root = Path(tmp)
        (root / "photos").mkdir()
        photos = twelve_mp(root / "photos", files)
        # PostgreSQL's server processes are not this benchmark's descendants: measure before them.
        with OtherLoad() as other:
            api = api_versus_script(root / "api", photos)
            memory = one_photo_memory(max(photos, key=lambda p: p.stat().st_size))
            seed = seeded_database(root / "seed")
            album = [photos[n % len(photos)].read_bytes() for n in range(album_size)]
            pooled = album_in_pool(seed, root / "pooled", album, cores)
            single = album_in_one_process(seed, root / "single", album)
        sqlite = load_test(root / "sqlite", None, requests, 8)
        with fresh_postgres() as url:
            postgres = load_test(root / "postgres", url, requests, 8)
    rows = [
        (
            "12 MP photo through the HTTP API (s/photo)",
            f"{api['api']:.2f} s",
            f"{api['script']:.2f} s (face_recognition script, full resolution)",
            api["script"] / api["api"],
            "≥ 4×",
        ),
        (
            f"faces found in the {len(photos)} photo{'s' * (len(photos) != 1)} ({in_manifest} in the manifest)",
            f"{api['api_faces']}",
            f"{api['script_faces']} ({api['both']} found by both)",
            None,
            "same faces",
        ),
        (
            f"album of {album_size} 12 MP photos, {cores} processes (photos/s)",
            f"{pooled.per_second:.2f}",
            f"{single.per_second:.2f} (one process)",
            pooled.per_second / single.per_second,
            "≥ 1.7×",
        ),
        (
            "peak memory, one 12 MP photo (worker process)",
            f"{memory['peak']:.0f} MiB",
            f"{memory['loaded']:.0f} MiB with the engine loaded",
            None,
            "",
        ),
        (
            f"peak memory, album run (PSS, all {cores + 2} processes)",
            f"{pooled.peak_mib:.0f} MiB",
            f"{single.peak_mib:.0f} MiB (one process)",
            None,
            "bounded",
        ),
        (
            f"4 API workers, {requests} clearances, 8 at a time (req/s)",
            f"{postgres['rps']:.2f} PostgreSQL",
            f"{sqlite['rps']:.2f} SQLite",
            postgres["rps"] / sqlite["rps"],
            "",
        ),
        (
            "4 API workers, p95 latency (p50)",
            f"{postgres['p95']:.2f} s ({postgres['p50']:.2f} s) PostgreSQL",
            f"{sqlite['p95']:.2f} s ({sqlite['p50']:.2f} s) SQLite",
            None,
            f"errors {int(postgres['errors'])}/{int(sqlite['errors'])}",
        ),
    ]
    print(other.sentence("the API and album measurements") + "\n")
    print("| measurement | this service | baseline, same run | ratio | target |\n|---|---|---|---|---|")
    for name, value, baseline, ratio, target in rows:
        print(f"| {name} | {value} | {baseline} | {f'{ratio:.1f}×' if ratio else ''} | {target} |")


if __name__ == "__main__":
    main()
