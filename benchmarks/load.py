"""A bounded load on a running service, from a process of its own: N clearances, C at a time.

    python -m benchmarks.load URL TOKEN REQUESTS CONCURRENCY PHOTO...

Prints one JSON object: requests, errors, seconds, rps, p50 and p95 latency in seconds.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from benchmarks.service import clear


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else float("nan")


def run(url: str, token: str, requests: int, concurrency: int, photos: list[bytes]) -> dict[str, float]:
    local = httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
        limits=httpx.Limits(max_connections=concurrency),
    )

    def one(n: int) -> tuple[float, bool]:
        start = time.perf_counter()
        response = clear(local, photos[n % len(photos)], f"load-{n}.jpg")
        return time.perf_counter() - start, response.status_code == 201

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(requests)))
    seconds = time.perf_counter() - start
    local.close()
    latencies = [t for t, ok in results if ok]
    return {
        "requests": requests,
        "errors": sum(not ok for _, ok in results),
        "seconds": seconds,
        "rps": len(latencies) / seconds,
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
    }


def main() -> None:
    url, token, requests, concurrency, *paths = sys.argv[1:]
    photos = [Path(p).read_bytes() for p in paths]
    print(json.dumps(run(url, token, int(requests), int(concurrency), photos)))


if __name__ == "__main__":
    main()
