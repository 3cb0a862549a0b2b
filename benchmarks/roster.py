"""Roster import at district size: a 40,000-row CSV through the real service, on SQLite and PostgreSQL, while
/healthz and sign-in are asked for without pause.

For each database, in the same run: a 4,000-row import into an empty registry (the baseline: ten of them is
what a 40,000-row import should cost if it scales linearly), the 40,000-row import into another empty
registry, and the same file again (nothing to change). /healthz is timed for a few seconds with no import
running (its baseline) and throughout each import; the longest answer during the import is what a
signed-in user would notice. Besides the wall-clock time, the service's own CPU seconds are reported: on a
machine others share, they move far less than the wall clock.

Run from the repository root:  .venv/bin/python -m benchmarks.roster [--quick]
(--quick: 10,000 rows, /healthz timed for QUICK_IDLE_SECONDS with no import running)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks.machine import OtherLoad, machine, process_table, process_tree
from benchmarks.service import fresh_postgres, running_service, sign_in

IDLE_SECONDS = 3.0
QUICK_IDLE_SECONDS = 1.5


def roster_csv(rows: int, *, first: int = 0) -> bytes:
    lines = ["external_id,name,kind,school,grade,guardian1_name,guardian1_relationship,guardian1_email"]
    lines += [
        f"S-{n:06},Student {n},student,School {n % 12},{n % 12 + 1},Parent {n},parent,parent{n}@example.org"
        for n in range(first, first + rows)
    ]
    return ("\n".join(lines) + "\n").encode()


class Prober(threading.Thread):
    """Asks /healthz every 50 ms until stopped; keeps each answer's time. (Sign-in is left out: its password
    hash would take the CPU the import is measured by; tests/api/test_roster_scale.py times it.)"""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop = url, threading.Event()
        self.health: list[float] = []
        self.failures = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=600) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                self.failures += client.get("/healthz").status_code != 200
                self.health.append(time.perf_counter() - started)
                time.sleep(0.05)


def service_cpu() -> float:
    """CPU seconds used so far by the service's processes (this one's descendants; not PostgreSQL's)."""
    table = process_table()
    return sum(table[pid][1] for pid in process_tree(os.getpid(), table) - {os.getpid()} if pid in table)


def probed(url: str, work: Callable[[], object]) -> tuple[float, float, Prober]:
    """Runs ``work()`` while a prober asks the service: its seconds, the service's CPU seconds, the answers."""
    prober = Prober(url)
    prober.start()
    started, cpu = time.perf_counter(), service_cpu()
    work()
    took, cpu = time.perf_counter() - started, service_cpu() - cpu
    prober.stop.set()
    prober.join(timeout=120)
    return took, cpu, prober


def import_file(client: httpx.Client, content: bytes) -> dict[str, object]:
    answer = client.post("/api/v1/people/import", files={"file": ("roster.csv", content, "text/csv")})
    answer.raise_for_status()
    report: dict[str, object] = answer.json()
    if report["rejected"]:
        raise RuntimeError(f"rows were rejected: {report['rejected']!r:.300}")
    return report


def measure(data_dir: Path, database_url: str | None, rows: int, idle_seconds: float) -> dict[str, float]:
    small = roster_csv(rows // 10, first=10_000_000)
    large = roster_csv(rows)
    with running_service(data_dir, database_url=database_url) as url:
        headers = sign_in(url)
        with httpx.Client(base_url=url, headers=headers, timeout=900) as client:
            _, _, idle = probed(url, lambda: time.sleep(idle_seconds))
            baseline, baseline_cpu, _ = probed(url, lambda: import_file(client, small))
            took, cpu, during = probed(url, lambda: import_file(client, large))
            again, again_cpu, _ = probed(url, lambda: import_file(client, large))
            verified = client.get("/api/v1/audit/verify").json()
    if not verified["ok"]:
        raise RuntimeError(f"the audit log does not verify after the import: {verified}")
    return {
        "baseline": baseline,
        "baseline_cpu": baseline_cpu,
        "import": took,
        "cpu": cpu,
        "again": again,
        "again_cpu": again_cpu,
        "idle_health": max(idle.health),
        "health": max(during.health),
        "answers": len(during.health),
        "failures": during.failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 rows instead of 40,000, a shorter idle baseline")
    args = parser.parse_args()
    rows = 10_000 if args.quick else 40_000
    idle_seconds = QUICK_IDLE_SECONDS if args.quick else IDLE_SECONDS
    print(f"## Roster import ({rows:,} rows) on {machine()}\n", flush=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="registry-bench-") as tmp, OtherLoad() as other:
        results["SQLite"] = measure(Path(tmp) / "sqlite", None, rows, idle_seconds)
        with fresh_postgres() as url:
            results["PostgreSQL"] = measure(Path(tmp) / "postgres", url, rows, idle_seconds)
    print(other.sentence("the imports (PostgreSQL's server processes count as other)") + "\n")
    print("| measurement | this run | baseline, same run | ratio |\n|---|---|---|---|")
    for name, r in results.items():
        linear = r["baseline"] * 10
        print(
            f"| {name}: {rows:,}-row import | {r['import']:.1f} s ({rows / r['import']:,.0f} rows/s) "
            f"| {linear:.1f} s (10 × the {rows // 10:,}-row import) | {r['import'] / linear:.2f}× |"
        )
        print(
            f"| {name}: the service's CPU for it | {r['cpu']:.1f} s | {r['baseline_cpu'] * 10:.1f} s (10 × the "
            f"{rows // 10:,}-row import) | {r['cpu'] / (r['baseline_cpu'] * 10):.2f}× |"
        )
        print(
            f"| {name}: the same file again (nothing changes) | {r['again']:.1f} s, {r['again_cpu']:.1f} s CPU "
            f"| {r['import']:.1f} s, {r['cpu']:.1f} s CPU | {r['again'] / r['import']:.2f}× |"
        )
        print(
            f"| {name}: longest /healthz answer during the import ({int(r['answers'])} answers, "
            f"{int(r['failures'])} failed) | {r['health']:.2f} s | {r['idle_health']:.2f} s (longest, no import) "
            f"| {r['health'] / r['idle_health']:.0f}× |"
        )


if __name__ == "__main__":
    main()
