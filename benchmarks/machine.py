"""What the benchmarks ran on, and how much of it other processes took meanwhile.

Ratios against a baseline hold up on a busy machine only if both sides got the same CPU, and the
pool ratio needs a free second core. So each benchmark reports the share of the machine's CPU time
that processes outside its own process tree used while it ran.
"""

from __future__ import annotations

import os
import platform
import threading
import time
from pathlib import Path


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return (
        f"{model}, {os.cpu_count()} cores, {memory / 2**20:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def process_table() -> dict[int, tuple[int, float]]:
    """Every process on the machine: pid -> (parent pid, CPU seconds it has used so far)."""
    ticks = os.sysconf("SC_CLK_TCK")
    table: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
            except (OSError, ValueError, IndexError):
                continue
    return table


def process_tree(root: int, table: dict[int, tuple[int, float]] | None = None) -> set[int]:
    """``root`` and every process descended from it (forkserver and pool workers included)."""
    table = process_table() if table is None else table
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, (parent, _) in table.items() if parent == pid and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return tree


class OtherLoad:
    """Measures the CPU that processes outside this benchmark used while the block ran.

    Read ``share`` afterwards: 0.0 is an idle machine; 0.5 means other work took half of every core.
    The process table is read once a second; a process outside this benchmark's tree is charged
    the CPU it used since it was first seen (or all of it, if it started during the block). A
    process that starts and ends between two readings is missed.
    """

    INTERVAL = 1.0

    def __init__(self) -> None:
        self.share = 0.0
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _read(self, *, starting: bool) -> None:
        table = process_table()
        ours = process_tree(os.getpid(), table)
        for pid, (_, cpu) in table.items():
            if pid in ours:
                continue
            if starting:
                self._first[pid] = cpu
            else:
                self._first.setdefault(pid, 0.0)
                self._last[pid] = cpu

    def _watch(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            self._read(starting=False)

    def __enter__(self) -> OtherLoad:
        self._read(starting=True)
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._read(starting=False)
        capacity = (time.monotonic() - self._started) * (os.cpu_count() or 1)
        used = sum(max(0.0, cpu - self._first[pid]) for pid, cpu in self._last.items())
        self.share = used / capacity if capacity > 0 else 0.0

    def sentence(self, during: str = "this run") -> str:
        verdict = (
            "the machine was otherwise idle" if self.share < 0.1 else "ratios that need a free core are understated"
        )
        return f"Other processes used {self.share:.0%} of the machine's CPU during {during}: {verdict}."
